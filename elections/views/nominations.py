"""Nominations, vetting, the candidate notice, objections and printable notices.

Owners (/e/<pk>/…, namespace "elections"): nominate, support, accept or decline, read the
candidate notice, object. Staff (/manage/e/<pk>/…, namespace "manage"): the list of nominations
with the composition advisory, paper and organisation nominations, vetting, objections, printing.
Every election is reached through the scoped selectors; an election outside the user's scope is
a 404, and so is a nomination that is not the user's to answer.
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import nominations as svc
from elections.errors import ElectionError
from elections.forms.nominations import (
    AcceptForm,
    AnswerForm,
    DecisionForm,
    DeclineForm,
    FlagForm,
    ObjectionForm,
    OwnerNominateForm,
    PaperAnswerForm,
    PublishForm,
    StaffNominateForm,
    VettingForm,
)
from elections.models import Candidate, Election, Nomination, Objection, Race, Stage, VettingFlag
from elections.nominations import SUPPORT_SALT, candidate_notice_published, support_token
from elections.notices_print import KINDS, notice_context
from elections.selectors import get_managed_election, get_visible_election, staff_elections
from yezhu.site import public_url

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _nomination_from_token(election: Election, token: str) -> Nomination:
    try:
        pk = int(signing.Signer(salt=SUPPORT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise Http404 from None
    return get_object_or_404(
        Nomination.objects.select_related("nominee", "race", "election"), pk=pk, election=election
    )


def _is_staff_viewer(user, election: Election) -> bool:
    return staff_elections(user).filter(pk=election.pk).exists()


def _step_urls(election: Election) -> dict[str, str]:
    """The stage steps offered on the nominations page post to the election overview's actions
    (elections/views/manage.py owns the transitions)."""
    return {
        "vetting_start_url": reverse("manage:do", args=[election.pk, "vetting_start"]),
        "publish_url": reverse("manage:candidate_notice_publish", args=[election.pk]),
    }


def _flash_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}：{error}" if label else error)


def _file_response(field_file, *, filename: str) -> FileResponse:
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, filename=filename)
    response["Content-Disposition"] = response["Content-Disposition"].replace("attachment", "inline")
    response["Cache-Control"] = "private, max-age=300"
    return response


def _staff_nomination(request, pk: int, nid: int) -> tuple[Election, Nomination]:
    election = get_managed_election(request.user, pk)
    nomination = get_object_or_404(
        Nomination.objects.select_related("nominee", "race", "election", "election__compound"),
        pk=nid,
        election=election,
    )
    return election, nomination


# ---------------------------------------------------------------------------------------------
# Owners
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def nominate(request, pk: int):
    """An owner nominates themself or another owner of the compound (推荐/自荐)."""
    election = get_visible_election(request.user, pk)
    is_owner = bool(svc.owners_of_user(request.user, election.compound))
    has_race = Race.objects.filter(election=election).exists()
    form = OwnerNominateForm(request.POST or None, request.FILES or None, election=election)
    if request.method == "POST" and is_owner and has_race and form.is_valid():
        data = form.cleaned_data
        mine = svc.owners_of_user(request.user, election.compound)
        if data["who"] == "self":
            nominee = mine[0]
            source = Nomination.Source.SELF
        else:
            nominee = svc.find_owner(election.compound, unit_code=data["unit_code"], name=data["name"])
            source = Nomination.Source.OWNERS
        if nominee is None:
            form.add_error(
                "name",
                _(
                    "No owner of that name is registered on unit %(unit)s. Check the unit number and write "
                    "the name as on the property certificate."
                )
                % {"unit": svc.normalise_unit_code(data["unit_code"])},
            )
        else:
            try:
                nomination = svc.nomination_create(
                    election=election,
                    race=data["race"],
                    nominee=nominee,
                    source=source,
                    actor=request.user,
                    statement=data["statement"],
                    bio=data["bio"],
                    photo=data["photo"],
                    party_member=data["party_member"],
                    birth_year=data["birth_year"],
                    occupation=data["occupation"],
                )
            except ElectionError as error:
                form.add_error(None, str(error))
            else:
                if nomination.source == Nomination.Source.SELF:
                    messages.success(
                        request, _("Your self-nomination is recorded. The working group will now vet it.")
                    )
                elif svc.supporters_needed(nomination):
                    messages.success(
                        request,
                        _(
                            "Your nomination is recorded. It needs %(n)s more owners to support it: "
                            "send them the link on this page."
                        )
                        % {"n": svc.supporters_needed(nomination)},
                    )
                else:
                    messages.success(
                        request,
                        _("Your nomination is recorded. %(name)s will be asked to accept it.")
                        % {"name": nominee.name},
                    )
                return redirect("elections:my_nominations", pk=election.pk)
    return render(
        request,
        "elections/nominations/nominate.html",
        {
            "election": election,
            "form": form,
            "is_owner": is_owner,
            "has_race": has_race,
            "open": election.stage == Stage.NOMINATION,
        },
    )


@login_required
@require_GET
def my_nominations(request, pk: int):
    """What concerns me: nominations of me to answer, those I made or supported, and decisions."""
    election = get_visible_election(request.user, pk)
    rows = []
    my_owner_ids = {o.pk for o in svc.owners_of_user(request.user, election.compound)}
    for nomination in svc.nominations_of_user(request.user, election):
        rows.append(
            {
                "nomination": nomination,
                "is_me": nomination.nominee_id in my_owner_ids,
                "supporters": nomination.supporters.count(),
                "needed": svc.supporters_needed(nomination),
                "to_answer": nomination.nominee_id in my_owner_ids and svc.reaches_nominee(nomination),
                "share_url": public_url(
                    reverse("elections:nomination_support", args=[election.pk, support_token(nomination)])
                )
                if nomination.source == Nomination.Source.OWNERS
                and nomination.status == Nomination.Status.AWAITING_ACCEPTANCE
                else "",
            }
        )
    return render(
        request,
        "elections/nominations/mine.html",
        {
            "election": election,
            "rows": rows,
            "required": election.nominations_required,
            "is_owner": bool(my_owner_ids),
        },
    )


def _my_nomination(request, pk: int, nid: int) -> tuple[Election, Nomination]:
    election = get_visible_election(request.user, pk)
    nomination = get_object_or_404(
        Nomination.objects.select_related("nominee", "race", "election"),
        pk=nid,
        election=election,
        nominee__user=request.user,
    )
    return election, nomination


@login_required
@require_GET
def nomination_respond(request, pk: int, nid: int):
    """The nominee reads a nomination of themself and accepts or declines it (个人意愿)."""
    election, nomination = _my_nomination(request, pk, nid)
    initial = {
        "bio": nomination.bio,
        "birth_year": nomination.birth_year,
        "occupation": nomination.occupation,
        "party_member": nomination.party_member,
    }
    return render(
        request,
        "elections/nominations/respond.html",
        {
            "election": election,
            "nomination": nomination,
            "accept_form": AcceptForm(initial=initial),
            "decline_form": DeclineForm(),
            "can_answer": svc.reaches_nominee(nomination) and election.stage in svc.ACCEPT_STAGES,
            "needed": svc.supporters_needed(nomination),
        },
    )


@login_required
@require_POST
def nomination_accept(request, pk: int, nid: int):
    election, nomination = _my_nomination(request, pk, nid)
    form = AcceptForm(request.POST, request.FILES)
    if not form.is_valid():
        _flash_errors(request, form)
        return redirect("elections:nomination_respond", pk=pk, nid=nid)
    data = form.cleaned_data
    try:
        svc.nomination_accept(
            nomination=nomination,
            actor=request.user,
            note=data["note"],
            bio=data["bio"],
            photo=data["photo"],
            birth_year=data["birth_year"],
            occupation=data["occupation"],
            party_member=data["party_member"],
        )
    except ElectionError as error:
        messages.error(request, str(error))
        return redirect("elections:nomination_respond", pk=pk, nid=nid)
    messages.success(
        request, _("Thank you. You have agreed to stand; the working group will now vet the nomination.")
    )
    return redirect("elections:my_nominations", pk=election.pk)


@login_required
@require_POST
def nomination_decline(request, pk: int, nid: int):
    election, nomination = _my_nomination(request, pk, nid)
    form = DeclineForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        svc.nomination_decline(nomination=nomination, actor=request.user, note=note)
    except ElectionError as error:
        messages.error(request, str(error))
        return redirect("elections:nomination_respond", pk=pk, nid=nid)
    messages.success(request, _("You have declined the nomination. It ends here."))
    return redirect("elections:my_nominations", pk=election.pk)


@login_required
@require_http_methods(["GET", "POST"])
def nomination_support(request, pk: int, token: str):
    """An owner who was sent the link adds their support to an owners' nomination (联名推荐)."""
    election = get_visible_election(request.user, pk)
    nomination = _nomination_from_token(election, token)
    if request.method == "POST":
        try:
            svc.nomination_support(nomination=nomination, actor=request.user)
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your support is recorded."))
        return redirect("elections:nomination_support", pk=pk, token=token)
    my_owner_ids = {o.pk for o in svc.owners_of_user(request.user, election.compound)}
    return render(
        request,
        "elections/nominations/support.html",
        {
            "election": election,
            "nomination": nomination,
            "supporters": nomination.supporters.count(),
            "needed": svc.supporters_needed(nomination),
            "already": nomination.supporters.filter(pk__in=my_owner_ids).exists(),
            "is_owner": bool(my_owner_ids),
            "open": election.stage == Stage.NOMINATION
            and nomination.status == Nomination.Status.AWAITING_ACCEPTANCE
            and nomination.source == Nomination.Source.OWNERS,
        },
    )


@login_required
@require_GET
def candidate_notice(request, pk: int):
    """The candidate notice (候选人公示): candidates with photo, bio and party membership."""
    election = get_visible_election(request.user, pk)
    published = candidate_notice_published(election)
    staff = _is_staff_viewer(request.user, election)
    is_owner = bool(svc.owners_of_user(request.user, election.compound))
    races = []
    if published or staff:
        races = [(race, list(race.candidates.all())) for race in Race.objects.filter(election=election)]
    window = svc.objection_window(election, timezone.localdate())
    form = None
    if is_owner and window:
        form = ObjectionForm(election=election, candidate_kind=window == Objection.Kind.CANDIDATE)
    my_objections = Objection.objects.filter(election=election, filed_by=request.user).select_related(
        "candidate"
    )
    return render(
        request,
        "elections/nominations/candidate_notice.html",
        {
            "election": election,
            "published": published,
            "preview": staff and not published,
            "races": races,
            "form": form,
            "window": window,
            "my_objections": my_objections,
            "this_year": timezone.localdate().year,
        },
    )


@login_required
@require_GET
def candidate_photo(request, pk: int, cid: int):
    election = get_visible_election(request.user, pk)
    candidate = get_object_or_404(Candidate, pk=cid, race__election=election)
    if not (candidate_notice_published(election) or _is_staff_viewer(request.user, election)):
        raise Http404
    return _file_response(candidate.photo, filename=f"{candidate.key}{_ext(candidate.photo.name)}")


def _ext(name: str) -> str:
    return name[name.rfind(".") :] if "." in name else ""


@login_required
@require_http_methods(["GET", "POST"])
def objection_file(request, pk: int):
    """An owner files an objection during the candidate notice or the result notice (异议)."""
    election = get_visible_election(request.user, pk)
    window = svc.objection_window(election, timezone.localdate())
    is_owner = bool(svc.owners_of_user(request.user, election.compound))
    form = ObjectionForm(
        request.POST or None, election=election, candidate_kind=window == Objection.Kind.CANDIDATE
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.objection_file(
                election=election,
                actor=request.user,
                text=form.cleaned_data["text"],
                candidate=form.cleaned_data.get("candidate"),
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your objection is recorded. The working group will answer it on this page.")
            )
            return redirect("elections:objection_file", pk=election.pk)
    return render(
        request,
        "elections/nominations/objection.html",
        {
            "election": election,
            "form": form,
            "window": window,
            "is_owner": is_owner,
            "my_objections": Objection.objects.filter(
                election=election, filed_by=request.user
            ).select_related("candidate"),
        },
    )


urlpatterns = [
    path("<int:pk>/nominate/", nominate, name="nominate"),
    path("<int:pk>/my-nominations/", my_nominations, name="my_nominations"),
    path("<int:pk>/nominations/<int:nid>/", nomination_respond, name="nomination_respond"),
    path("<int:pk>/nominations/<int:nid>/accept/", nomination_accept, name="nomination_accept"),
    path("<int:pk>/nominations/<int:nid>/decline/", nomination_decline, name="nomination_decline"),
    path("<int:pk>/support/<str:token>/", nomination_support, name="nomination_support"),
    path("<int:pk>/candidates/", candidate_notice, name="candidate_notice"),
    path("<int:pk>/candidates/<int:cid>/photo/", candidate_photo, name="candidate_photo"),
    path("<int:pk>/objection/", objection_file, name="objection_file"),
]


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def nominations(request, pk: int):
    """All nominations of the election, the composition advisory and the links to vet each one."""
    election = get_managed_election(request.user, pk)
    rows = []
    nominations_qs = (
        Nomination.objects.filter(election=election)
        .select_related("nominee", "race", "nominated_by")
        .prefetch_related("flags", "supporters")
        .order_by("race__position", "created_at")
    )
    candidates = {c.nomination_id: c for c in Candidate.objects.filter(race__election=election)}
    for nomination in nominations_qs:
        supporters = len(nomination.supporters.all())
        rows.append(
            {
                "nomination": nomination,
                "supporters": supporters,
                "needed": max(0, election.nominations_required - supporters)
                if nomination.source == Nomination.Source.OWNERS
                else 0,
                "flags": len(nomination.flags.all()),
                "candidate": candidates.get(nomination.pk),
            }
        )
    return render(
        request,
        "elections/nominations/manage_list.html",
        {
            "election": election,
            "rows": rows,
            "advisory": svc.composition_advisory(election),
            "has_race": Race.objects.filter(election=election).exists(),
            "open": election.stage == Stage.NOMINATION,
            "vetting": election.stage == Stage.VETTING,
            "published": candidate_notice_published(election),
            "publish_form": PublishForm(
                prefix="candidate_notice_publish", initial={"start": timezone.localdate()}
            ),
            **_step_urls(election),
            "manage_page": reverse("manage:election", args=[election.pk]),
            "objections_open": Objection.objects.filter(election=election, answer="").count(),
            "print_kinds": [
                ("assembly", _("Assembly notice (A4)")),
                ("candidate", _("Candidate notice (A4)")),
                ("result", _("Result notice (A4)")),
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def nomination_new(request, pk: int):
    """Staff enter a paper nomination or nominate for the working group or the party organisation."""
    election = get_managed_election(request.user, pk)
    form = StaffNominateForm(request.POST or None, request.FILES or None, election=election)
    has_race = Race.objects.filter(election=election).exists()
    if request.method == "POST" and has_race and form.is_valid():
        data = form.cleaned_data
        nominee = svc.find_owner(election.compound, unit_code=data["unit_code"], name=data["name"])
        if nominee is None:
            form.add_error(
                "name",
                _("No owner of that name is registered on unit %(unit)s of this compound.")
                % {"unit": svc.normalise_unit_code(data["unit_code"])},
            )
        else:
            try:
                svc.nomination_create(
                    election=election,
                    race=data["race"],
                    nominee=nominee,
                    source=data["source"],
                    actor=request.user,
                    statement=data["statement"],
                    bio=data["bio"],
                    photo=data["photo"],
                    party_member=data["party_member"],
                    birth_year=data["birth_year"],
                    occupation=data["occupation"],
                )
            except ElectionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("The nomination of %(name)s is recorded and waits for their acceptance.")
                    % {"name": nominee.name},
                )
                return redirect("manage:nominations", pk=election.pk)
    return render(
        request,
        "elections/nominations/manage_new.html",
        {
            "election": election,
            "form": form,
            "has_race": has_race,
            "open": election.stage == Stage.NOMINATION,
        },
    )


@login_required
@require_GET
def vetting(request, pk: int, nid: int):
    """One nomination: flags with evidence, the three opinions, the decision (资格审查)."""
    election, nomination = _staff_nomination(request, pk, nid)
    vetting_form = VettingForm(
        initial={
            "opinion_party": nomination.opinion_party,
            "opinion_owners": nomination.opinion_owners,
            "opinion_self": nomination.opinion_self,
            "positive_notes": nomination.positive_notes,
            "party_member": nomination.party_member,
            "branch_member": nomination.branch_member,
            "branch_secretary": nomination.branch_secretary,
        }
    )
    return render(
        request,
        "elections/nominations/vetting.html",
        {
            "election": election,
            "nomination": nomination,
            "flags": nomination.flags.select_related("created_by").order_by("created_at"),
            "flag_form": FlagForm(),
            "vetting_form": vetting_form,
            "decision_form": DecisionForm(),
            "paper_form": PaperAnswerForm(),
            "supporters": nomination.supporters.order_by("name"),
            "needed": svc.supporters_needed(nomination),
            "candidate": Candidate.objects.filter(nomination=nomination).first(),
            "party_hint": svc.party_roll_hint(nomination.nominee, election.compound),
            "units": nomination.nominee.units.filter(compound=election.compound).order_by("code"),
            "can_vet": election.stage in svc.VETTING_STAGES,
            "can_decide": election.stage == Stage.VETTING,
            "can_answer": svc.reaches_nominee(nomination) and election.stage in svc.ACCEPT_STAGES,
        },
    )


@login_required
@require_POST
def vetting_flag(request, pk: int, nid: int):
    election, nomination = _staff_nomination(request, pk, nid)
    form = FlagForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            svc.vetting_flag_add(
                nomination=nomination,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The finding is recorded."))
    else:
        _flash_errors(request, form)
    return redirect("manage:vetting", pk=election.pk, nid=nomination.pk)


@login_required
@require_POST
def vetting_opinions(request, pk: int, nid: int):
    election, nomination = _staff_nomination(request, pk, nid)
    form = VettingForm(request.POST)
    if form.is_valid():
        try:
            svc.vetting_update(nomination=nomination, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The vetting notes are saved."))
    else:
        _flash_errors(request, form)
    return redirect("manage:vetting", pk=election.pk, nid=nomination.pk)


@login_required
@require_POST
def vetting_decide(request, pk: int, nid: int):
    election, nomination = _staff_nomination(request, pk, nid)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            svc.nomination_decide(
                nomination=nomination,
                actor=request.user,
                approve=approve,
                reason=form.cleaned_data["reason"],
            )
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            candidate = Candidate.objects.filter(nomination=nomination).first()
            if approve and candidate:
                messages.success(
                    request,
                    _("%(name)s is approved as candidate %(key)s.")
                    % {"name": candidate.name, "key": candidate.key},
                )
            else:
                messages.success(
                    request, _("The nomination is not approved; the nominee can read the reason.")
                )
            return redirect("manage:nominations", pk=election.pk)
    else:
        _flash_errors(request, form)
    return redirect("manage:vetting", pk=election.pk, nid=nomination.pk)


@login_required
@require_POST
def nomination_paper_answer(request, pk: int, nid: int):
    """Staff record an acceptance or a refusal the nominee gave on paper or in person."""
    election, nomination = _staff_nomination(request, pk, nid)
    form = PaperAnswerForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["answer"] == "accept":
                svc.nomination_accept(
                    nomination=nomination, actor=request.user, note=form.cleaned_data["note"]
                )
            else:
                svc.nomination_decline(
                    nomination=nomination, actor=request.user, note=form.cleaned_data["note"]
                )
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The nominee's answer is recorded."))
    else:
        _flash_errors(request, form)
    return redirect("manage:vetting", pk=election.pk, nid=nomination.pk)


@login_required
@require_GET
def nomination_photo(request, pk: int, nid: int):
    _election, nomination = _staff_nomination(request, pk, nid)
    return _file_response(
        nomination.photo, filename=f"nomination-{nomination.pk}{_ext(nomination.photo.name)}"
    )


@login_required
@require_GET
def vetting_evidence(request, pk: int, fid: int):
    election = get_managed_election(request.user, pk)
    flag = get_object_or_404(VettingFlag, pk=fid, nomination__election=election)
    return _file_response(flag.evidence, filename=f"evidence-{flag.pk}{_ext(flag.evidence.name)}")


@login_required
@require_GET
def objections(request, pk: int):
    """Objections filed by owners, with the answer form for each."""
    election = get_managed_election(request.user, pk)
    rows = Objection.objects.filter(election=election).select_related("candidate", "filed_by", "answered_by")
    return render(
        request,
        "elections/nominations/manage_objections.html",
        {"election": election, "objections": rows, "answer_form": AnswerForm()},
    )


@login_required
@require_POST
def objection_answer(request, pk: int, oid: int):
    election = get_managed_election(request.user, pk)
    objection = get_object_or_404(Objection, pk=oid, election=election)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            svc.objection_answer(objection=objection, actor=request.user, answer=form.cleaned_data["answer"])
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The answer is saved; the owner sees it on their page."))
    else:
        _flash_errors(request, form)
    return redirect("manage:objections", pk=election.pk)


@login_required
@require_GET
def print_notice(request, pk: int, kind: str):
    """A printable A4 notice (assembly, candidate or result) for posting in the compound."""
    election = get_managed_election(request.user, pk)
    if kind not in KINDS:
        raise Http404
    try:
        context = notice_context(election, kind)
    except ElectionError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("manage:nominations", args=[election.pk]))
    context["back_url"] = reverse("manage:nominations", args=[election.pk])
    return render(request, "elections/print/notice.html", context)


manage_urlpatterns = [
    path("e/<int:pk>/nominations/", nominations, name="nominations"),
    path("e/<int:pk>/nominations/new/", nomination_new, name="nomination_new"),
    path("e/<int:pk>/nominations/<int:nid>/", vetting, name="vetting"),
    path("e/<int:pk>/nominations/<int:nid>/flags/", vetting_flag, name="vetting_flag"),
    path("e/<int:pk>/nominations/<int:nid>/opinions/", vetting_opinions, name="vetting_opinions"),
    path("e/<int:pk>/nominations/<int:nid>/decide/", vetting_decide, name="nomination_decide"),
    path("e/<int:pk>/nominations/<int:nid>/answer/", nomination_paper_answer, name="nomination_paper_answer"),
    path("e/<int:pk>/nominations/<int:nid>/photo/", nomination_photo, name="nomination_photo"),
    path("e/<int:pk>/evidence/<int:fid>/", vetting_evidence, name="vetting_evidence"),
    path("e/<int:pk>/objections/", objections, name="objections"),
    path("e/<int:pk>/objections/<int:oid>/answer/", objection_answer, name="objection_answer"),
    path("e/<int:pk>/print/<str:kind>/", print_notice, name="print_notice"),
]
