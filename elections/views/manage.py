"""Staff pages that run an election (/manage/, namespace "manage"): the elections of the user's
compounds, an election's stages and blockers, its timeline, matters and races, working group,
case file, and each compound's committee register.

Every page reaches data through the scoped selectors (`get_managed_election`, `managed_compounds`),
so another street's staff get 404; every write calls a service in `elections/lifecycle.py` and turns
its `ElectionError` into a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import lifecycle
from elections.calendar import db_calendar
from elections.errors import ElectionError
from elections.forms import manage as f
from elections.forms.transitions import parameters, transition_form
from elections.models import (
    Ballot,
    CaseStep,
    Committee,
    CommitteeMember,
    Election,
    Matter,
    MatterDocument,
    Race,
    Scrutineer,
    Stage,
    WorkingGroupMember,
)
from elections.rules import timeline as tl
from elections.rules.documents import KINDS
from elections.selectors import election_shared_people, get_managed_election, managed_elections
from elections.services import city_platform_rule
from elections.views.files import document_response
from grids.selectors import managed_compounds
from grids.services import RollError, compound_first_delivery_set
from yezhu.audit.models import AuditEntry
from yezhu.jobs.models import Job

urlpatterns: list = []

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _managed_compound(user, pk: int):
    """The compound if the user manages it, else 404 (never reveal that it exists)."""
    return get_object_or_404(managed_compounds(user).select_related("community__street"), pk=pk)


def _managed_committee(user, pk: int) -> Committee:
    return get_object_or_404(
        Committee.objects.filter(compound__in=managed_compounds(user)).select_related(
            "compound__community__street", "election"
        ),
        pk=pk,
    )


def _overview(election: Election):
    return redirect("manage:election", pk=election.pk)


def _with_role_labels(members, roles):
    labels = dict(roles)
    for m in members:
        m.role_label = labels.get(m.role, m.role)
    return members


def _error(request, error: ElectionError) -> None:
    messages.error(request, str(error))


MILESTONE_CLASS = {
    tl.MilestoneStatus.DONE: "ok",
    tl.MilestoneStatus.DONE_LATE: "warn",
    tl.MilestoneStatus.OUT_OF_ORDER: "bad",
    tl.MilestoneStatus.DUE: "info",
    tl.MilestoneStatus.OVERDUE: "bad",
    tl.MilestoneStatus.NOT_YET_KNOWN: "",
}


def milestone_status_label(status: str) -> str:
    return {
        tl.MilestoneStatus.DONE: _("done"),
        tl.MilestoneStatus.DONE_LATE: _("done late"),
        tl.MilestoneStatus.OUT_OF_ORDER: _("out of order: check the date"),
        tl.MilestoneStatus.DUE: _("due"),
        tl.MilestoneStatus.OVERDUE: _("overdue"),
        tl.MilestoneStatus.NOT_YET_KNOWN: _("date not yet known"),
    }.get(status, status)


def _milestone_rows(view: lifecycle.TimelineView) -> list[dict]:
    return [
        {
            "m": m,
            "css": MILESTONE_CLASS.get(m.status, ""),
            "label": milestone_status_label(m.status),
        }
        for m in view.milestones
    ]


# ---------------------------------------------------------------------------------------------
# The transitions offered on the overview
# ---------------------------------------------------------------------------------------------


@login_required
@require_POST
def transition(request, pk: int, action: str):
    """Take one transition of the table (elections.lifecycle.table) with its form's values."""
    election = get_managed_election(request.user, pk)
    if action not in lifecycle.SERVICES:
        raise Http404
    form = transition_form(action, election, data=request.POST, files=request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _overview(election)
    try:
        outcome = lifecycle.SERVICES[action](
            election=election, actor=request.user, **parameters(action, form.cleaned_data)
        )
    except ElectionError as error:
        _error(request, error)
        return _overview(election)
    if action == "election_restart" and isinstance(outcome, Election):
        messages.success(request, _("A new election was started: %(title)s") % {"title": outcome.title})
        return _overview(outcome)
    messages.success(request, _("Done: %(action)s.") % {"action": lifecycle.transition(action).label})
    return _overview(election)


@login_required
@require_POST
def candidate_notice_publish(request, pk: int):
    """The candidate notice button of the nominations pages posts here."""
    return transition(request, pk, "candidate_notice_publish")


# ---------------------------------------------------------------------------------------------
# The elections of the user's compounds
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request):
    user = request.user
    compounds = list(managed_compounds(user).select_related("community__street").order_by("name"))
    elections = list(
        managed_elections(user)
        .select_related("committee", "compound__community__street")
        .order_by("-created_at")
    )
    calendar = db_calendar()
    today = timezone.localdate()
    by_compound: dict[int, list[dict]] = {}
    open_compounds: set[int] = set()
    for election in elections:
        row = {"election": election, "deadline": None}
        if election.is_open_stage:
            open_compounds.add(election.compound_id)
            view = lifecycle.election_timeline(election, today=today, calendar=calendar)
            deadline = lifecycle.next_deadline(view)
            if deadline:
                row["deadline"] = deadline
                row["deadline_css"] = MILESTONE_CLASS.get(deadline.status, "")
        by_compound.setdefault(election.compound_id, []).append(row)
    groups = [{"compound": c, "rows": by_compound.get(c.pk, [])} for c in compounds]
    committees = Committee.objects.filter(compound__in=managed_compounds(user)).select_related(
        "compound__community__street"
    )
    alerts = lifecycle.reelection_alerts(committees, today=today, open_compounds=open_compounds)
    return render(
        request,
        "elections/manage/index.html",
        {
            "groups": groups,
            "alerts": alerts,
            "create_form": f.ElectionCreateForm(compounds=managed_compounds(user)) if compounds else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def election_new(request):
    compounds = managed_compounds(request.user)
    if not compounds.exists():
        raise Http404
    form = f.ElectionCreateForm(
        request.POST or None, compounds=compounds, initial={"compound": request.GET.get("compound")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            election = lifecycle.election_create(
                compound=form.cleaned_data["compound"],
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
                actor=request.user,
                concurrent=form.cleaned_data["concurrent"],
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The election was created. Form the working group next."))
            return _overview(election)
    return render(request, "elections/manage/election_new.html", {"form": form})


# ---------------------------------------------------------------------------------------------
# One election
# ---------------------------------------------------------------------------------------------

ACTION_LABELS = {
    "election.stage": gettext_lazy("stage changed"),
    "election.created": gettext_lazy("election created"),
    "election.settings": gettext_lazy("rules changed"),
    "election.working_group_published": gettext_lazy("working group list published"),
    "election.voting_scheduled": gettext_lazy("voting window set"),
    "election.voting_opened": gettext_lazy("voting opened"),
    "election.roll_frozen": gettext_lazy("roll frozen"),
    "election.result_published": gettext_lazy("result published"),
    "election.committee_registered": gettext_lazy("committee put on the register"),
    "election.restarted": gettext_lazy("started again"),
    "election.start_approved": gettext_lazy("start approved by the street office"),
    "election.working_group_approved": gettext_lazy("working group approved by the street office"),
    "election.working_group_approval_lapsed": gettext_lazy("working group changed: approval lapsed"),
    "election.first_assembly_exception": gettext_lazy(
        "street office's exception to the first assembly's conditions"
    ),
    "committee.ended": gettext_lazy("previous committee left office"),
}


def _log(election: Election) -> list[dict]:
    stages = dict(Stage.choices)
    rows = []
    actions = list(ACTION_LABELS)
    for entry in AuditEntry.objects.filter(election_id=election.pk, action__in=actions).order_by(
        "-at", "-id"
    )[:40]:
        detail = ""
        if entry.action == "election.stage":
            detail = f"{stages.get(entry.data.get('from'), entry.data.get('from'))} → {stages.get(entry.data.get('to'), '')}"
            if entry.data.get("reason"):
                detail += f"（{entry.data['reason']}）"
        rows.append(
            {"entry": entry, "label": ACTION_LABELS.get(entry.action, entry.action), "detail": detail}
        )
    return rows


def _result_summary(election: Election) -> dict | None:
    """The counted result for staff: only once voting is closed (ballot secrecy)."""
    if election.result is None or election.stage in (Stage.VOTING, Stage.COUNTING):
        return None
    result = election.result
    races = []
    for race in election.races.all().prefetch_related("candidates"):
        entry = result.get("races", {}).get(race.key, {})
        names = {c.key: c.name for c in race.candidates.all()}
        races.append(
            {
                "race": race,
                "elected": [names.get(k, k) for k in entry.get("elected", [])],
                "tied": [names.get(k, k) for k in entry.get("tied", [])],
            }
        )
    matters = [
        {"matter": m, "passed": result.get("matters", {}).get(m.key, {}).get("passed")}
        for m in election.matters.all()
    ]
    return {
        "participation": result.get("participation", {}),
        "totals": result.get("totals", {}),
        "races": races,
        "matters": matters,
        "problems": lifecycle.result_problems(election),
    }


COUNT_JOB = "count"


def _count_job(election: Election) -> Job | None:
    """The latest count of a closed election (the overview shows its progress bar)."""
    if election.stage not in (Stage.COUNTING, Stage.RESULT_NOTICE):
        return None
    return Job.objects.filter(kind=COUNT_JOB, election_id=election.pk).order_by("-created_at").first()


@login_required
@require_GET
def count_status(request, pk: int):
    """The progress bar's JSON for the count of an election the user manages (whoever started it:
    the scheduler starts most counts)."""
    election = get_managed_election(request.user, pk)
    job = _count_job(election)
    if job is None:
        return JsonResponse(
            {"status": "none", "status_display": "", "percent": 0, "message": "", "errors": []}
        )
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "message": job.message,
            "errors": job.errors[:20],
        }
    )


@login_required
@require_GET
def election_detail(request, pk: int):
    election = get_managed_election(request.user, pk)
    election = Election.objects.select_related("compound__community__street").get(pk=election.pk)
    view = lifecycle.election_timeline(election)
    allowed = lifecycle.allowed_actions(election, actor=request.user)
    main_actions, side_actions = [], []
    for name in allowed:
        entry = lifecycle.transition(name)
        item = {
            "name": name,
            "label": entry.label,
            "form": transition_form(name, election),
            "url": reverse("manage:do", args=[election.pk, name]),
            "danger": entry.danger,
        }
        (
            side_actions if entry.danger or entry.secondary or name == "election_restart" else main_actions
        ).append(item)
    stage_now = lifecycle.stage_index(election.stage)
    track = [
        {"label": label, "state": "done" if i < stage_now else ("now" if i == stage_now else "")}
        for i, label in enumerate(dict(Stage.choices)[s] for s in lifecycle.STAGE_ORDER)
    ]
    restart_of, restarted_as = lifecycle.restart_links(election)
    turnout = None
    if election.roll_frozen_at is not None:
        voted = Ballot.objects.filter(election=election, status=Ballot.Status.VALID).count()
        turnout = {"voted": voted, "heads": election.total_heads or 0}
    case_steps = None
    if lifecycle.case_file_wanted(election, view):
        case_steps = _case_rows(election)
    settings_form = f.SettingsForm(
        initial={
            "quorum_numerator": election.quorum_numerator,
            "quorum_denominator": election.quorum_denominator,
            "ordinary_numerator": election.ordinary_numerator,
            "ordinary_denominator": election.ordinary_denominator,
            "special_numerator": election.special_numerator,
            "special_denominator": election.special_denominator,
            "proxy_limit": election.proxy_limit,
            "nominations_required": election.nominations_required,
            "temporary_meeting": election.temporary_meeting,
            "silent_majority": election.silent_majority,
            "meeting_form": election.meeting_form,
            "ballot_secrecy": election.ballot_secrecy,
        }
    )
    links = {
        "scrutineers": reverse("manage:scrutineers", args=[election.pk]),
        "nominations": reverse("manage:nominations", args=[election.pk])
        if election.kind != Election.Kind.MATTERS_ONLY
        else "",
        "paper": reverse("manage:paper", args=[election.pk]),
        "designations": reverse("manage:designations", args=[election.pk]),
        "meeting": reverse("manage:meeting", args=[election.pk])
        if election.meeting_form == Election.MeetingForm.COLLECTIVE
        else "",
        "platform": reverse("manage:platform_import", args=[election.pk])
        if city_platform_rule(election) is not None
        else "",
        "turnout": reverse("manage:turnout", args=[election.pk]),
        "results": reverse("elections:results", args=[election.pk]) if election.results_public() else "",
        "public": reverse("elections:detail", args=[election.pk]),
    }
    return render(
        request,
        "elections/manage/election.html",
        {
            "first_assembly": _first_assembly(election),
            "count_job": _count_job(election),
            "election": election,
            "view": view,
            "next": lifecycle.next_deadline(view),
            "blockers": lifecycle.blockers(election),
            "main_actions": main_actions,
            "side_actions": side_actions,
            "track": track,
            "settings_form": settings_form,
            "override_form": f.OverrideForm(),
            "overrides": [
                {"name": n, "label": lifecycle.rule_label(n), **entry}
                for n, entry in lifecycle.overrides_of(election).items()
            ],
            "can_change_rules": election.stage in lifecycle.SETUP_STAGES,
            "restart_of": restart_of,
            "restarted_as": restarted_as,
            "turnout": turnout,
            "result": _result_summary(election),
            "committee": lifecycle.committee_of(election),
            "case_steps": case_steps,
            "links": links,
            "log": _log(election),
            "shared": election_shared_people(election),
            "matters": list(election.matters.all()),
            "races": list(election.races.all()),
        },
    )


def _first_assembly(election: Election) -> dict | None:
    """The first assembly's conditions as the overview shows them (指导规则; RULES.md issue 15)."""
    if election.kind != Election.Kind.FIRST_ASSEMBLY:
        return None
    status = lifecycle.first_assembly_status(election)
    profile = lifecycle.effective_profile(election)
    return {
        "status": status,
        "share": lifecycle.share_text(status.delivered_share),
        "area_source": profile.first_assembly_delivered_percent.source,
        "years_source": profile.first_assembly_years_since_delivery.source,
        "exception": lifecycle.first_assembly_exception_of(election),
        "form": f.FirstDeliveryForm(initial={"first_delivered_on": election.compound.first_delivered_on})
        if election.stage == Stage.STARTED
        else None,
    }


@login_required
@require_POST
def first_delivery(request, pk: int):
    """Record the day the compound's first home was delivered (the first assembly's second condition)."""
    election = get_managed_election(request.user, pk)
    form = f.FirstDeliveryForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _overview(election)
    try:
        compound_first_delivery_set(
            compound=election.compound, on=form.cleaned_data["first_delivered_on"], actor=request.user
        )
    except RollError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return _overview(election)


@login_required
@require_GET
def exception_document(request, pk: int):
    """The street office's decision recorded with an exception to the first assembly's conditions."""
    election = get_managed_election(request.user, pk)
    exception = lifecycle.first_assembly_exception_of(election)
    if exception is None:
        raise Http404
    kind = next((k for k in KINDS.values() if k.content_type == exception.content_type), None)
    return document_response(
        exception.document,
        content_type=exception.content_type,
        filename=f"decision-{election.pk}{kind.extension if kind else ''}",
    )


def _pair(data: dict, name: str) -> tuple[int, int] | None:
    """A threshold from the settings form, or None (unchanged) when its fields are left empty."""
    n, d = data.get(f"{name}_numerator"), data.get(f"{name}_denominator")
    return (n, d) if n and d else None


@login_required
@require_POST
def election_settings(request, pk: int):
    election = get_managed_election(request.user, pk)
    form = f.SettingsForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _overview(election)
    d = form.cleaned_data
    try:
        lifecycle.election_update_settings(
            election=election,
            actor=request.user,
            quorum=(d["quorum_numerator"], d["quorum_denominator"]),
            ordinary=_pair(d, "ordinary"),
            special=_pair(d, "special"),
            proxy_limit=d["proxy_limit"],
            nominations_required=d["nominations_required"],
            temporary_meeting=d["temporary_meeting"],
            silent_majority=d["silent_majority"],
            meeting_form=d.get("meeting_form") or None,
            ballot_secrecy=d["ballot_secrecy"] or None,
        )
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("The rules were saved."))
    return _overview(election)


@login_required
@require_POST
def election_override(request, pk: int):
    election = get_managed_election(request.user, pk)
    remove = request.POST.get("remove")
    try:
        if remove:
            lifecycle.election_update_settings(
                election=election, actor=request.user, overrides={remove: None}
            )
        else:
            form = f.OverrideForm(request.POST)
            if not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        messages.error(request, error)
                return _overview(election)
            d = form.cleaned_data
            lifecycle.election_update_settings(
                election=election,
                actor=request.user,
                overrides={d["name"]: (d["value"], d["reason"])},
            )
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("The rules were saved."))
    return _overview(election)


@login_required
@require_GET
def election_timeline(request, pk: int):
    election = get_managed_election(request.user, pk)
    view = lifecycle.election_timeline(election)
    return render(
        request,
        "elections/manage/timeline.html",
        {
            "election": election,
            "view": view,
            "rows": _milestone_rows(view),
            "overrides": [
                {"name": n, "label": lifecycle.rule_label(n), **entry}
                for n, entry in lifecycle.overrides_of(election).items()
            ],
        },
    )


# ---------------------------------------------------------------------------------------------
# Matters and races
# ---------------------------------------------------------------------------------------------


def _editable(election: Election) -> bool:
    return election.notice_published_on is None and election.stage in (Stage.STARTED, Stage.WORKING_GROUP)


@login_required
@require_GET
def matters(request, pk: int):
    election = get_managed_election(request.user, pk)
    low, high, odd = lifecycle.committee_size_rules(election)
    return render(
        request,
        "elections/manage/matters.html",
        {
            "election": election,
            "matters": list(election.matters.prefetch_related("documents")),
            "document_form": f.MatterDocumentForm(),
            "agenda_problems": lifecycle.agenda_problems(election)
            if election.kind == Election.Kind.FIRST_ASSEMBLY
            else [],
            "races": list(election.races.all()),
            "matter_form": f.MatterForm(),
            "race_form": f.RaceForm(),
            "editable": _editable(election),
            "size": {"low": low, "high": high, "odd": odd},
            "committee_kind": election.kind in lifecycle.COMMITTEE_KINDS,
            "matters_only": election.kind == Election.Kind.MATTERS_ONLY,
        },
    )


def _edit_object(request, election, form_class, obj, initial, save, template, kind):
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ElectionError as error:
            if obj is None:
                _error(request, error)
                return redirect("manage:matters", pk=election.pk)
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("manage:matters", pk=election.pk)
    elif request.method == "POST" and obj is None:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("manage:matters", pk=election.pk)
    return render(
        request,
        template,
        {"election": election, "form": form, "object": obj, "kind": kind, "editable": _editable(election)},
    )


@login_required
@require_POST
def matter_add(request, pk: int):
    election = get_managed_election(request.user, pk)
    return _edit_object(
        request,
        election,
        f.MatterForm,
        None,
        None,
        lambda d: lifecycle.matter_save(election=election, actor=request.user, **d),
        "elections/manage/object_form.html",
        "matter",
    )


@login_required
@require_http_methods(["GET", "POST"])
def matter_edit(request, pk: int, mid: int):
    election = get_managed_election(request.user, pk)
    matter = get_object_or_404(Matter, pk=mid, election=election)
    return _edit_object(
        request,
        election,
        f.MatterForm,
        matter,
        {"title": matter.title, "text": matter.text, "item": matter.item},
        lambda d: lifecycle.matter_save(election=election, matter=matter, actor=request.user, **d),
        "elections/manage/object_form.html",
        "matter",
    )


@login_required
@require_POST
def matter_delete(request, pk: int, mid: int):
    election = get_managed_election(request.user, pk)
    matter = get_object_or_404(Matter, pk=mid, election=election)
    try:
        lifecycle.matter_delete(matter=matter, actor=request.user)
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:matters", pk=election.pk)


@login_required
@require_POST
def matter_document_add(request, pk: int, mid: int):
    election = get_managed_election(request.user, pk)
    matter = get_object_or_404(Matter, pk=mid, election=election)
    form = f.MatterDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("manage:matters", pk=election.pk)
    try:
        lifecycle.matter_document_add(
            matter=matter,
            actor=request.user,
            upload=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
        )
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect("manage:matters", pk=election.pk)


@login_required
@require_POST
def matter_document_remove(request, pk: int, did: int):
    election = get_managed_election(request.user, pk)
    document = get_object_or_404(MatterDocument, pk=did, matter__election=election)
    try:
        lifecycle.matter_document_remove(document=document, actor=request.user)
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:matters", pk=election.pk)


def document_filename(document: MatterDocument) -> str:
    kind = next((k for k in KINDS.values() if k.content_type == document.content_type), None)
    return f"{document.matter.key}-{document.pk}{kind.extension if kind else ''}"


@login_required
@require_GET
def matter_document(request, pk: int, did: int):
    """A matter's document for staff (to check it, and to print it for the notice board)."""
    election = get_managed_election(request.user, pk)
    document = get_object_or_404(
        MatterDocument.objects.select_related("matter"), pk=did, matter__election=election
    )
    return document_response(
        document.file, content_type=document.content_type, filename=document_filename(document)
    )


@login_required
@require_POST
def race_add(request, pk: int):
    election = get_managed_election(request.user, pk)
    return _edit_object(
        request,
        election,
        f.RaceForm,
        None,
        None,
        lambda d: lifecycle.race_save(election=election, actor=request.user, **d),
        "elections/manage/object_form.html",
        "race",
    )


@login_required
@require_http_methods(["GET", "POST"])
def race_edit(request, pk: int, rid: int):
    election = get_managed_election(request.user, pk)
    race = get_object_or_404(Race, pk=rid, election=election)
    return _edit_object(
        request,
        election,
        f.RaceForm,
        race,
        {"title": race.title, "seats": race.seats, "alternates": race.alternates},
        lambda d: lifecycle.race_save(election=election, race=race, actor=request.user, **d),
        "elections/manage/object_form.html",
        "race",
    )


@login_required
@require_POST
def race_delete(request, pk: int, rid: int):
    election = get_managed_election(request.user, pk)
    race = get_object_or_404(Race, pk=rid, election=election)
    try:
        lifecycle.race_delete(race=race, actor=request.user)
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:matters", pk=election.pk)


# ---------------------------------------------------------------------------------------------
# Working group
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def working_group(request, pk: int):
    election = get_managed_election(request.user, pk)
    form = f.WorkingGroupMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.working_group_member_add(election=election, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("manage:working_group", pk=election.pk)
    members = _with_role_labels(list(election.working_group.all()), f.WORKING_GROUP_ROLES)
    election = Election.objects.select_related(
        "compound__community__street", "working_group_approved_by"
    ).get(pk=election.pk)
    allowed = lifecycle.allowed_actions(election, actor=request.user)
    makeup = lifecycle.working_group_makeup(election)
    affiliations = dict(WorkingGroupMember.Affiliation.choices)
    return render(
        request,
        "elections/manage/working_group.html",
        {
            "election": election,
            "members": members,
            "form": form,
            "party_count": makeup.party_members,
            "makeup": makeup,
            "affiliations": [(affiliations.get(k, k), n) for k, n in makeup.by_affiliation.items()],
            "gate": election.compound.community.street.gate_working_group,
            "composition": lifecycle.group_problems(election),
            "profile": lifecycle.effective_profile(election),
            "publish_form": transition_form("working_group_publish", election)
            if "working_group_publish" in allowed
            else None,
            "approve_form": transition_form("working_group_approve", election)
            if "working_group_approve" in allowed
            else None,
        },
    )


@login_required
@require_POST
def working_group_remove(request, pk: int, mid: int):
    election = get_managed_election(request.user, pk)
    member = get_object_or_404(WorkingGroupMember, pk=mid, election=election)
    try:
        lifecycle.working_group_member_remove(member=member, actor=request.user)
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:working_group", pk=election.pk)


@login_required
@require_GET
def working_group_notice(request, pk: int):
    """The printable notice of the working group's members (筹备组成员名单公告)."""
    election = get_managed_election(request.user, pk)
    election = Election.objects.select_related("compound__community__street").get(pk=election.pk)
    return render(
        request,
        "elections/manage/working_group_notice.html",
        {
            "election": election,
            "members": _with_role_labels(list(election.working_group.all()), f.WORKING_GROUP_ROLES),
            "today": timezone.localdate(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Scrutineers (监票人、计票人)
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def scrutineers(request, pk: int):
    election = get_managed_election(request.user, pk)
    form = f.ScrutineerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.scrutineer_add(election=election, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("manage:scrutineers", pk=election.pk)
    return render(
        request,
        "elections/manage/scrutineers.html",
        {
            "election": election,
            "scrutineers": list(election.scrutineers.select_related("user")),
            "form": form,
            "can_change": election.stage in lifecycle.SETUP_STAGES,
        },
    )


@login_required
@require_POST
def scrutineer_remove(request, pk: int, sid: int):
    election = get_managed_election(request.user, pk)
    scrutineer = get_object_or_404(Scrutineer, pk=sid, election=election)
    try:
        lifecycle.scrutineer_remove(scrutineer=scrutineer, actor=request.user)
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:scrutineers", pk=election.pk)


# ---------------------------------------------------------------------------------------------
# Case file (六步法)
# ---------------------------------------------------------------------------------------------


def _case_rows(election: Election) -> list[dict]:
    saved = {s.step: s for s in election.case_steps.all()}
    rows = []
    for value, label in CaseStep.Step.choices:
        step = saved.get(value)
        rows.append(
            {
                "value": value,
                "label": label,
                "step": step,
                "form": f.CaseStepForm(
                    initial={
                        "responsible": step.responsible,
                        "due_on": step.due_on,
                        "done_on": step.done_on,
                        "notes": step.notes,
                    }
                    if step
                    else None,
                    prefix=f"s{value}",
                ),
                "overdue": bool(
                    step and step.done_on is None and step.due_on and step.due_on < timezone.localdate()
                ),
            }
        )
    return rows


@login_required
@require_GET
def case_file(request, pk: int):
    election = get_managed_election(request.user, pk)
    return render(
        request, "elections/manage/case_file.html", {"election": election, "rows": _case_rows(election)}
    )


@login_required
@require_POST
def case_step(request, pk: int, step: int):
    election = get_managed_election(request.user, pk)
    if step not in CaseStep.Step.values:
        raise Http404
    form = f.CaseStepForm(request.POST, prefix=f"s{step}")
    if form.is_valid():
        try:
            lifecycle.case_step_save(election=election, actor=request.user, step=step, **form.cleaned_data)
        except ElectionError as error:
            _error(request, error)
        else:
            messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("manage:case_file", pk=election.pk)


# ---------------------------------------------------------------------------------------------
# Committee register
# ---------------------------------------------------------------------------------------------


COMMITTEE_STATUS = {
    "in_office": (gettext_lazy("in office"), "ok"),
    "elected": (gettext_lazy("elected, awaiting filing"), "info"),
    "ended": (gettext_lazy("left office"), ""),
}


@login_required
@require_GET
def committees(request, cpk: int):
    compound = _managed_compound(request.user, cpk)
    rows = []
    today = timezone.localdate()
    profile = tl.PROFILES.get(compound.community.street.profile) or tl.get_profile("national")
    for committee in (
        Committee.objects.filter(compound=compound)
        .select_related("election")
        .prefetch_related(Prefetch("members", queryset=CommitteeMember.objects.order_by("position", "id")))
    ):
        status = lifecycle.committee_status(committee)
        label, css = COMMITTEE_STATUS[status]
        alert = None
        if status == "in_office":
            alert_status, start_by = tl.reelection_alert(committee.term_end, profile, today)
            if alert_status != tl.ReelectionStatus.IN_OFFICE:
                alert = {"status": alert_status, "start_by": start_by}
        members = _with_role_labels(list(committee.members.all()), f.COMMITTEE_ROLES)
        rows.append(
            {
                "committee": committee,
                "label": label,
                "css": css,
                "alert": alert,
                "members": members,
                "party": sum(
                    1 for m in members if m.party_member and m.role != CommitteeMember.Role.ALTERNATE
                ),
                "seated": sum(1 for m in members if m.role != CommitteeMember.Role.ALTERNATE),
                "cross": sum(1 for m in members if m.cross_post),
            }
        )
    return render(request, "elections/manage/committees.html", {"compound": compound, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def committee_new(request, cpk: int):
    compound = _managed_compound(request.user, cpk)
    form = f.CommitteeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            committee = lifecycle.committee_register(
                compound=compound, actor=request.user, **form.cleaned_data
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The committee is on the register. Add its members."))
            return redirect("manage:committee", pk=committee.pk)
    return render(request, "elections/manage/committee_new.html", {"compound": compound, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def committee_detail(request, pk: int):
    committee = _managed_committee(request.user, pk)
    dates_form = f.CommitteeDatesForm(
        request.POST or None,
        initial={
            "first_meeting_on": committee.first_meeting_on,
            "officers_published_on": committee.officers_published_on,
            "ended_on": committee.ended_on,
            "handed_over_on": committee.handed_over_on,
        },
    )
    if request.method == "POST" and dates_form.is_valid():
        try:
            lifecycle.committee_update(committee=committee, actor=request.user, **dates_form.cleaned_data)
        except ElectionError as error:
            dates_form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("manage:committee", pk=committee.pk)
    members = list(committee.members.order_by("position", "id"))
    return render(
        request,
        "elections/manage/committee.html",
        {
            "committee": committee,
            "status": COMMITTEE_STATUS[lifecycle.committee_status(committee)],
            "dates_form": dates_form,
            "members": [
                {
                    "member": m,
                    "form": f.CommitteeMemberForm(
                        initial={
                            "name": m.name,
                            "role": m.role,
                            "party_member": m.party_member,
                            "cross_post": m.cross_post,
                            "branch_secretary": m.branch_secretary,
                        },
                        prefix=f"m{m.pk}",
                    ),
                }
                for m in members
            ],
            "member_form": f.CommitteeMemberForm(prefix="new"),
        },
    )


@login_required
@require_POST
def committee_member(request, pk: int, mid: int | None = None):
    committee = _managed_committee(request.user, pk)
    member = get_object_or_404(CommitteeMember, pk=mid, committee=committee) if mid else None
    form = f.CommitteeMemberForm(request.POST, prefix=f"m{mid}" if mid else "new")
    if form.is_valid():
        try:
            lifecycle.committee_member_save(
                committee=committee, member=member, actor=request.user, **form.cleaned_data
            )
        except ElectionError as error:
            _error(request, error)
        else:
            messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("manage:committee", pk=committee.pk)


@login_required
@require_POST
def committee_member_remove(request, pk: int, mid: int):
    committee = _managed_committee(request.user, pk)
    member = get_object_or_404(CommitteeMember, pk=mid, committee=committee)
    try:
        lifecycle.committee_member_remove(member=member, actor=request.user)
    except ElectionError as error:
        _error(request, error)
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:committee", pk=committee.pk)


manage_urlpatterns = [
    path("", index, name="index"),
    path("new/", election_new, name="election_new"),
    path("e/<int:pk>/", election_detail, name="election"),
    path("e/<int:pk>/do/<str:action>/", transition, name="do"),
    path("e/<int:pk>/count/", count_status, name="count_status"),
    path("e/<int:pk>/candidate-notice/publish/", candidate_notice_publish, name="candidate_notice_publish"),
    path("e/<int:pk>/settings/", election_settings, name="settings"),
    path("e/<int:pk>/overrides/", election_override, name="override"),
    path("e/<int:pk>/timeline/", election_timeline, name="timeline"),
    path("e/<int:pk>/matters/", matters, name="matters"),
    path("e/<int:pk>/matters/add/", matter_add, name="matter_add"),
    path("e/<int:pk>/matters/<int:mid>/", matter_edit, name="matter_edit"),
    path("e/<int:pk>/matters/<int:mid>/delete/", matter_delete, name="matter_delete"),
    path("e/<int:pk>/matters/<int:mid>/documents/", matter_document_add, name="matter_document_add"),
    path("e/<int:pk>/documents/<int:did>/", matter_document, name="matter_document"),
    path("e/<int:pk>/documents/<int:did>/delete/", matter_document_remove, name="matter_document_remove"),
    path("e/<int:pk>/first-delivery/", first_delivery, name="first_delivery"),
    path("e/<int:pk>/exception/document/", exception_document, name="exception_document"),
    path("e/<int:pk>/races/add/", race_add, name="race_add"),
    path("e/<int:pk>/races/<int:rid>/", race_edit, name="race_edit"),
    path("e/<int:pk>/races/<int:rid>/delete/", race_delete, name="race_delete"),
    path("e/<int:pk>/working-group/", working_group, name="working_group"),
    path("e/<int:pk>/working-group/<int:mid>/delete/", working_group_remove, name="working_group_remove"),
    path("e/<int:pk>/working-group/notice/", working_group_notice, name="working_group_notice"),
    path("e/<int:pk>/scrutineers/", scrutineers, name="scrutineers"),
    path("e/<int:pk>/scrutineers/<int:sid>/delete/", scrutineer_remove, name="scrutineer_remove"),
    path("e/<int:pk>/case/", case_file, name="case_file"),
    path("e/<int:pk>/case/<int:step>/", case_step, name="case_step"),
    path("c/<int:cpk>/committees/", committees, name="committees"),
    path("c/<int:cpk>/committees/new/", committee_new, name="committee_new"),
    path("committee/<int:pk>/", committee_detail, name="committee"),
    path("committee/<int:pk>/members/", committee_member, name="committee_member_add"),
    path("committee/<int:pk>/members/<int:mid>/", committee_member, name="committee_member"),
    path(
        "committee/<int:pk>/members/<int:mid>/delete/",
        committee_member_remove,
        name="committee_member_remove",
    ),
]
