"""Paper ballots for staff who run an election (/manage/e/<pk>/paper/…, namespace "manage").

Printing (one ballot, or every ballot printed with a building), double entry (双人录入: scan or
type the serial, then key in the ballot; the second entry is blind), the review queue of
entries whose two readings differ with the entries still waiting for their second keying,
withdrawing an entry that should not count (撤回), and the bulk import of a keyed-in sheet as a
background job.
Every page reaches the election through `get_managed_election`: another scope's user gets 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from elections import paper as svc
from elections.errors import ElectionError
from elections.forms.paper import PaperBallotForm, PaperImportForm, ResolveForm, SerialForm
from elections.models import Election, Matter, PaperEntry, Race, Voter
from elections.selectors import get_managed_election
from grids.models import Building
from yezhu.csvfile import CSV_CONTENT_TYPE, csv_bytes
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_start
from yezhu.natural import natural_sorted

urlpatterns: list = []


def _after_close(election: Election) -> bool:
    return election.voting_closes_at is not None and timezone.now() >= election.voting_closes_at


@login_required
@require_GET
def paper_index(request, pk: int):
    election = get_managed_election(request.user, pk)
    buildings = natural_sorted(
        Building.objects.filter(units__election_voters__election=election).distinct(), key=lambda b: b.name
    )
    unit = request.GET.get("unit", "").strip()[:60]
    found = []
    if unit:
        found = natural_sorted(
            Voter.objects.filter(election=election, units__code__icontains=unit)
            .distinct()
            .order_by("unit_codes")[:20],
            key=lambda v: v.unit_codes,
        )
    return render(
        request,
        "elections/paper/index.html",
        {
            "election": election,
            "counts": svc.paper_counts(election),
            "buildings": buildings,
            "unit": unit,
            "found": found,
            "refusal": svc.entry_refusal(election, received_before_close=True, now=timezone.now()),
        },
    )


def _print(request, election: Election, voters, title: str):
    matters, races = svc.ballot_paper(election)
    return render(
        request,
        "elections/paper/print.html",
        {
            "election": election,
            # Each print is in the audit log with its serials (paper.printed).
            "ballots": svc.paper_ballots_print(
                election=election, voters=list(voters), actor=request.user, what=title
            ),
            "matters": matters,
            "races": races,
            "title": title,
        },
    )


@login_required
@require_GET
def paper_print_building(request, pk: int, building_id: int):
    election = get_managed_election(request.user, pk)
    building = Building.objects.filter(pk=building_id, compound_id=election.compound_id).first()
    if building is None:
        raise Http404
    voters = svc.voters_printed_with_building(election=election, building_id=building.pk)
    return _print(request, election, voters, str(building))


@login_required
@require_GET
def paper_print_voter(request, pk: int, voter_id: int):
    election = get_managed_election(request.user, pk)
    voter = Voter.objects.filter(election=election, pk=voter_id).first()
    if voter is None:
        raise Http404
    return _print(request, election, [voter], voter.unit_codes)


@login_required
@require_http_methods(["GET", "POST"])
def paper_entry(request, pk: int):
    """Step 1: the serial (GET ?serial=…). Step 2: the ballot form for that serial (POST)."""
    election = get_managed_election(request.user, pk)
    matters, races = svc.ballot_paper(election)
    after_close = _after_close(election)
    refusal = svc.entry_refusal(election, received_before_close=True, now=timezone.now())
    serial_form = SerialForm(request.GET if "serial" in request.GET else None)
    voter = entry = form = None
    serial = ""
    if request.method == "POST":
        serial = request.POST.get("serial", "")
    elif serial_form.is_bound and serial_form.is_valid():
        serial = serial_form.cleaned_data["serial"]
    if serial and not refusal:
        try:
            voter = svc.voter_for_serial(election=election, serial=serial)
        except ElectionError as error:
            serial_form.add_error("serial", str(error))
            voter = None
    if voter is not None:
        serial = svc.serial_for(voter)
        entry = svc.live_entries(election).filter(serial=serial).first()
        form = PaperBallotForm(
            request.POST if request.method == "POST" else None,
            matters=matters,
            races=races,
            after_close=after_close,
        )
        if request.method == "POST" and form.is_valid():
            try:
                done = svc.paper_entry_submit(
                    election=election,
                    serial=serial,
                    actor=request.user,
                    received_before_close=bool(form.cleaned_data.get("received_before_close")),
                    **form.service_kwargs(),
                )
            except ElectionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _entry_message(done))
                return redirect("manage:paper_entry", pk=election.pk)
    return render(
        request,
        "elections/paper/entry.html",
        {
            "election": election,
            "refusal": refusal,
            "serial_form": serial_form,
            "serial": serial,
            "voter": voter,
            # Only the state of an earlier entry and who made it; never its reading (blind entry).
            "entry": entry,
            "mine": entry is not None and entry.first_by_id == request.user.pk,
            "form": form,
        },
    )


def _entry_message(entry: PaperEntry) -> str:
    if entry.status == PaperEntry.Status.AWAITING_SECOND:
        return _(
            "Ballot %(serial)s: first entry saved. Another staff member must now key it in a second time."
        ) % {"serial": entry.serial}
    if entry.status == PaperEntry.Status.MISMATCH:
        return _(
            "Ballot %(serial)s: the two entries differ. It has gone to the review queue for a third look."
        ) % {"serial": entry.serial}
    if entry.status == PaperEntry.Status.REJECTED:
        return _(
            "Ballot %(serial)s: both entries agree; the ballot is recorded as rejected (%(reason)s)."
        ) % {
            "serial": entry.serial,
            "reason": entry.note,
        }
    return _("Ballot %(serial)s: both entries agree; the ballot is recorded.") % {"serial": entry.serial}


def reading_differences(first: dict, second: dict) -> list[str]:
    """Which parts of two described readings differ, as keys the review page marks: "signature",
    then the keys of the matters and races whose answers are not the same."""
    differ = []
    if (first["signed"], first["unreadable"]) != (second["signed"], second["unreadable"]):
        differ.append("signature")
    for (matter, a), (_m, b) in zip(first["matters"], second["matters"], strict=True):
        if a != b:
            differ.append(matter.key)
    for (race, a), (_r, b) in zip(first["races"], second["races"], strict=True):
        if sorted(a) != sorted(b):
            differ.append(race.key)
    return differ


def difference_labels(differ: list[str], matters: list[Matter], races: list[Race]) -> list[str]:
    """The differing parts named for a person: "Signature", "M1 title", "R1 title"."""
    names = {m.key: f"{m.key} {m.title}" for m in matters} | {r.key: f"{r.key} {r.title}" for r in races}
    return [_("Signature") if key == "signature" else names[key] for key in differ]


def _resolve_message(entry: PaperEntry, pick: str) -> str:
    """What the reviewer chose, said back: never "both entries agree" for a settled mismatch."""
    chosen = {
        "first": _("the first entry"),
        "second": _("the second entry"),
        "new": _("the reviewer's own reading"),
    }[pick]
    if entry.status == PaperEntry.Status.REJECTED:
        return _(
            "Ballot %(serial)s: recorded from %(chosen)s; the ballot is recorded as rejected (%(reason)s)."
        ) % {"serial": entry.serial, "chosen": chosen, "reason": entry.note}
    return _("Ballot %(serial)s: recorded from %(chosen)s.") % {"serial": entry.serial, "chosen": chosen}


WAITING_SHOWN = 100
WITHDRAWN_SHOWN = 50


@login_required
@require_GET
def paper_review_list(request, pk: int):
    """The review queue, the entries waiting for their second keying (with a search by serial or
    home, since an imported sheet leaves thousands), and the latest withdrawn entries."""
    election = get_managed_election(request.user, pk)
    entries = (
        PaperEntry.objects.filter(election=election, status=PaperEntry.Status.MISMATCH)
        .select_related("voter", "first_by", "second_by")
        .order_by("created_at")
    )
    q = request.GET.get("q", "").strip()[:60]
    waiting = PaperEntry.objects.filter(election=election, status=PaperEntry.Status.AWAITING_SECOND)
    if q:
        waiting = waiting.filter(
            Q(serial__icontains=svc.normalize_serial(q)) | Q(voter__unit_codes__icontains=q)
        )
    withdrawn = (
        PaperEntry.objects.filter(election=election, status=PaperEntry.Status.WITHDRAWN)
        .select_related("voter", "withdrawn_by")
        .order_by("-withdrawn_at", "-pk")
    )
    return render(
        request,
        "elections/paper/review_list.html",
        {
            "election": election,
            "entries": entries,
            "q": q,
            "waiting": waiting.select_related("voter", "first_by").order_by("created_at", "pk")[
                :WAITING_SHOWN
            ],
            "waiting_total": waiting.count(),
            "withdrawn": withdrawn[:WITHDRAWN_SHOWN],
            "may_withdraw": not svc.entry_refusal(election, received_before_close=True, now=timezone.now()),
        },
    )


def _entry_or_404(election, entry_id: int, *related: str) -> PaperEntry:
    """An entry of this (already scoped) election, with its voter and keyers; 404 otherwise."""
    entry = (
        PaperEntry.objects.filter(election=election, pk=entry_id)
        .select_related("voter", "first_by", "second_by", *related)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def paper_review(request, pk: int, entry_id: int):
    election = get_managed_election(request.user, pk)
    entry = _entry_or_404(election, entry_id, "ballot")
    matters, races = svc.ballot_paper(election)
    posted = request.method == "POST"
    pick_form = ResolveForm(request.POST if posted else None)
    # The "neither" section is needed only when picked: no browser-side `required`, or a hidden
    # radio there would stop the reviewer from recording the first or the second entry.
    new_form = PaperBallotForm(
        request.POST if posted else None,
        matters=matters,
        races=races,
        prefix="new",
        use_required_attribute=False,
    )
    if posted and pick_form.is_valid():
        pick = pick_form.cleaned_data["pick"]
        kwargs = {}
        ok = True
        if pick == "new":
            ok = new_form.is_valid()
            if ok:
                kwargs = new_form.service_kwargs()
        if ok:
            try:
                done = svc.paper_entry_resolve(entry=entry, actor=request.user, pick=pick, **kwargs)
            except ElectionError as error:
                pick_form.add_error(None, str(error))
            else:
                messages.success(request, _resolve_message(done, pick))
                return redirect("manage:paper_review_list", pk=election.pk)
    readings = []
    differ: list[str] = []
    if entry.status == PaperEntry.Status.MISMATCH:
        first = svc.describe_reading(election, entry.first_entry, matters, races)
        second = svc.describe_reading(election, entry.second_entry or {}, matters, races)
        differ = reading_differences(first, second)
        readings = [
            (_("First entry"), entry.first_by, first),
            (_("Second entry"), entry.second_by, second),
        ]
    return render(
        request,
        "elections/paper/review.html",
        {
            "election": election,
            "entry": entry,
            "readings": readings,
            "differ": differ,
            "differ_labels": difference_labels(differ, matters, races),
            "pick_form": pick_form,
            "new_form": new_form,
            "mine": request.user.pk in (entry.first_by_id, entry.second_by_id),
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is this entry withdrawn?"),
        max_length=300,
        help_text=gettext_lazy(
            "For example: keyed in under the wrong serial; not a ballot of this election; "
            "received after the close."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_withdraw(request, pk: int, entry_id: int):
    """Confirm withdrawing an entry that has not produced a ballot (撤回), with a reason."""
    election = get_managed_election(request.user, pk)
    entry = _entry_or_404(election, entry_id, "withdrawn_by")
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            done = svc.paper_entry_withdraw(
                entry=entry, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            message = _(
                "Ballot %(serial)s: the entry is withdrawn. If the paper is a ballot of this election, "
                "key it in afresh under this serial, twice."
            ) % {"serial": done.serial}
            if _after_close(election) and not svc.paper_pending_count(election):
                message += " " + _("No paper ballot is waiting any more: the votes can now be counted.")
            messages.success(request, message)
            return redirect("manage:paper_review_list", pk=election.pk)
    return render(
        request,
        "elections/paper/withdraw.html",
        {
            "election": election,
            "entry": entry,
            "form": form,
            "withdrawable": entry.status in svc.WITHDRAWABLE,
            "refusal": svc.entry_refusal(election, received_before_close=True, now=timezone.now()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def paper_import(request, pk: int):
    from elections.tasks_paper import KIND, paper_import_task

    election = get_managed_election(request.user, pk)
    after_close = _after_close(election)
    form = PaperImportForm(request.POST or None, request.FILES or None, after_close=after_close)
    refusal = svc.entry_refusal(election, received_before_close=True, now=timezone.now())
    if request.method == "POST" and form.is_valid():
        if refusal:
            form.add_error(None, refusal)
        else:
            upload = form.cleaned_data["file"]
            job = job_start(
                kind=KIND,
                user=request.user,
                task=paper_import_task,
                params={
                    "filename": upload.name,
                    "received_before_close": bool(form.cleaned_data.get("received_before_close")),
                    "language": getattr(request, "LANGUAGE_CODE", ""),
                },
                input_file=upload,
                compound_id=election.compound_id,
                election_id=election.pk,
            )
            return redirect("manage:paper_import_job", pk=election.pk, job_id=job.pk)
    jobs = Job.objects.filter(kind=KIND, election_id=election.pk, created_by=request.user)[:10]
    return render(
        request,
        "elections/paper/import.html",
        {
            "election": election,
            "form": form,
            "refusal": refusal,
            "jobs": jobs,
            "header": svc.template_header(election),
        },
    )


@login_required
@require_GET
def paper_import_job(request, pk: int, job_id: int):
    from elections.tasks_paper import KIND

    election = get_managed_election(request.user, pk)
    job = Job.objects.filter(pk=job_id, kind=KIND, election_id=election.pk, created_by=request.user).first()
    if job is None:
        raise Http404
    finished = job.status in (Job.Status.DONE, Job.Status.FAILED)
    return render(
        request,
        "elections/paper/import_job.html",
        {
            "election": election,
            "job": job,
            "finished": finished,
            "done_url": reverse("manage:paper_import_job", args=[election.pk, job.pk]),
        },
    )


@login_required
@require_GET
def paper_import_template(request, pk: int):
    """An empty sheet with the right header, as CSV (UTF-8 with BOM, so Excel reads the Chinese)."""
    election = get_managed_election(request.user, pk)
    response = HttpResponse(csv_bytes([svc.template_header(election)]), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="paper-ballots-{election.pk}.csv"'
    return response


manage_urlpatterns = [
    path("e/<int:pk>/paper/", paper_index, name="paper"),
    path(
        "e/<int:pk>/paper/print/building/<int:building_id>/",
        paper_print_building,
        name="paper_print_building",
    ),
    path("e/<int:pk>/paper/print/voter/<int:voter_id>/", paper_print_voter, name="paper_print_voter"),
    path("e/<int:pk>/paper/entry/", paper_entry, name="paper_entry"),
    path("e/<int:pk>/paper/review/", paper_review_list, name="paper_review_list"),
    path("e/<int:pk>/paper/review/<int:entry_id>/", paper_review, name="paper_review"),
    path("e/<int:pk>/paper/entries/<int:entry_id>/withdraw/", paper_withdraw, name="paper_withdraw"),
    path("e/<int:pk>/paper/import/", paper_import, name="paper_import"),
    path("e/<int:pk>/paper/import/template.csv", paper_import_template, name="paper_import_template"),
    path("e/<int:pk>/paper/import/<int:job_id>/", paper_import_job, name="paper_import_job"),
]
