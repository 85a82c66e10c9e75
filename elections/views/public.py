"""The election page (/e/<pk>/), the results, the ballot board and the bundle.

Ballot secrecy (DESIGN.md): the results page, the board, the bundle and the staff export show
nothing of any choice or count until the result is public (`Election.results_public`); before
that they say when it will be, and nothing else.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from elections import lifecycle, voting
from elections.choices import BALLOT_LABELS, Choice
from elections.designations import live_designation
from elections.models import Ballot, Delivery, Election, Matter, MatterDocument, Race
from elections.notices import inbox_deliveries
from elections.rules.bundle import dump_json
from elections.rules.documents import KINDS
from elections.selectors import staff_elections
from elections.services import (
    BUNDLE_NAMED,
    ballot_board,
    bundle_export,
    bundle_variant,
    online_channel_refusal,
    valid_ballot_of,
    voters_of_user,
    window_refusal,
)
from elections.views.ballot import ballot_status
from elections.views.files import document_response
from grids.selectors import owner_units
from yezhu import formats
from yezhu.audit.log import record
from yezhu.natural import natural_sorted
from yezhu.xlsx import XLSX_CONTENT_TYPE, Workbook

BOARD_PAGE_SIZE = 200


def _percent(part: Decimal | int, whole: Decimal | int) -> str:
    """A share for display, one decimal, as turnout shows it (the thresholds themselves are
    decided by the tally on the exact shares)."""
    return formats.percent_figure(part, whole, empty="0.0")


# ---------------------------------------------------------------------------------------------
# The election page
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def detail(request, pk: int):
    """Title, stage, window; the owner's voters with their ballot status; the proxies they hold."""
    election = voting.election_for_voting(request.user, pk)
    now = timezone.now()
    is_open = election.voting_is_open(now)
    mine = []
    for voter in voters_of_user(election=election, user=request.user):
        proxy = voting.active_proxy(voter)
        designation = live_designation(voter)
        mine.append(
            {
                "voter": voter,
                "status": ballot_status(valid_ballot_of(voter)),
                "proxy": proxy,
                "shared": voting.owner_count(voter) > 1,
                "designation": designation,
                # Another co-owner holds the vote: the page says so instead of offering the ballot.
                "designated_other": designation is not None
                and designation.status == "active"
                and designation.designee.user_id != request.user.pk,
            }
        )
    held = [
        {"proxy": proxy, "voter": proxy.principal, "status": ballot_status(valid_ballot_of(proxy.principal))}
        for proxy in voting.proxies_held(election=election, user=request.user)
    ]
    public = voting.board_public(election)
    # Before the roll is frozen there are no voters yet: an owner of the compound is told the roll
    # is still to come, never that their home is not on it.
    homes_here = (
        natural_sorted(
            owner_units(request.user).filter(compound_id=election.compound_id).values_list("code", flat=True)
        )
        if not mine and not held and election.roll_frozen_at is None
        else []
    )
    return render(
        request,
        "elections/public/detail.html",
        {
            "roll_frozen": election.roll_frozen_at is not None,
            "homes_here": homes_here,
            "notices": list(
                inbox_deliveries(request.user).filter(status=Delivery.Status.SENT, notice__election=election)[
                    :20
                ]
            ),
            "matters": published_matters(request.user, election),
            "election": election,
            "is_open": is_open,
            "refusal": window_refusal(election, now),
            "online_closed": online_channel_refusal(election),
            "mine": mine,
            "held": held,
            "proxies_open": voting.proxies_open(election, now),
            "results_public": public,
            "candidate_notice_url": reverse("elections:candidate_notice", args=[election.pk]),
            "scrutineers": list(election.scrutineers.all()),
        },
    )


def documents_readable(user, election: Election) -> bool:
    """Owners read the matters and their documents once the assembly notice has published them;
    staff in the compound's scope read them before (to check and print them)."""
    return election.notice_published_on is not None or staff_elections(user).filter(pk=election.pk).exists()


def published_matters(user, election: Election) -> list[Matter]:
    """The election's matters with their documents, for the election page and the ballot."""
    if not documents_readable(user, election):
        return []
    return list(Matter.objects.filter(election=election).prefetch_related("documents"))


@login_required
@require_http_methods(["GET"])
def document(request, pk: int, did: int):
    """A document a matter carries, for whoever may see the election (owners, their proxies, staff
    in scope), once the notice has published it."""
    election = voting.election_for_voting(request.user, pk)
    if not documents_readable(request.user, election):
        raise Http404
    found = MatterDocument.objects.select_related("matter").filter(pk=did, matter__election=election).first()
    if found is None:
        raise Http404
    kind = next((k for k in KINDS.values() if k.content_type == found.content_type), None)
    return document_response(
        found.file,
        content_type=found.content_type,
        filename=f"{found.matter.key}-{found.pk}{kind.extension if kind else ''}",
    )


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


def results_context(election: Election) -> dict:
    """The stored `yezhu-result/1` result with names, shares and outcomes for the page and XLSX."""
    result = election.result or {}
    totals = result.get("totals") or {}
    part = result.get("participation") or {}
    total_area = Decimal(totals.get("area") or "0")
    total_heads = int(totals.get("heads") or 0)
    part_area = Decimal(part.get("area") or "0")
    part_heads = int(part.get("heads") or 0)
    quorum = Fraction(election.quorum_numerator, election.quorum_denominator)
    quorum_percent = _percent(quorum.numerator, quorum.denominator)
    quorum_area = Decimal(math.ceil(Fraction(total_area) * quorum * 100)) / 100
    quorum_heads = math.ceil(total_heads * quorum)

    matter_rows = []
    for matter in Matter.objects.filter(election=election):
        data = (result.get("matters") or {}).get(matter.key)
        if data is None:
            continue
        answers = []
        for key, label in BALLOT_LABELS.items():
            area = Decimal(data[key]["area"])
            heads = int(data[key]["heads"])
            answers.append(
                {
                    "key": key,
                    "label": label,
                    "area": area,
                    "heads": heads,
                    "area_percent": _percent(area, part_area),
                    "heads_percent": _percent(heads, part_heads),
                }
            )
        matter_rows.append({"matter": matter, "answers": answers, "passed": data["passed"]})

    race_rows = []
    for race in Race.objects.filter(election=election).prefetch_related("candidates"):
        data = (result.get("races") or {}).get(race.key)
        if data is None:
            continue
        elected = data.get("elected") or []
        tied = data.get("tied") or []
        candidates = []
        for candidate in race.candidates.all():
            cdata = (data.get("candidates") or {}).get(candidate.key) or {"yes": {"area": "0", "heads": 0}}
            area = Decimal(cdata["yes"]["area"])
            heads = int(cdata["yes"]["heads"])
            candidates.append(
                {
                    "candidate": candidate,
                    "area": area,
                    "heads": heads,
                    "area_percent": _percent(area, part_area),
                    "heads_percent": _percent(heads, part_heads),
                    "qualified": bool(cdata.get("qualified")),
                    "elected": candidate.key in elected,
                    "rank": elected.index(candidate.key) + 1 if candidate.key in elected else None,
                    "tied": candidate.key in tied,
                }
            )
        names = {c.key: c.name for c in race.candidates.all()}
        race_rows.append(
            {
                "race": race,
                "seats": data.get("seats", race.seats),
                "invalid_ballots": data.get("invalid_ballots", 0),
                "candidates": candidates,
                "elected_names": [names.get(k, k) for k in elected],
                "tied_names": [names.get(k, k) for k in tied],
            }
        )

    area_percent = _percent(part_area, total_area)
    heads_percent = _percent(part_heads, total_heads)
    return {
        "total_area": total_area,
        "total_heads": total_heads,
        "part_area": part_area,
        "part_heads": part_heads,
        "area_percent": area_percent,
        "heads_percent": heads_percent,
        "area_width": formats.whole_percent(part_area, total_area),
        "heads_width": formats.whole_percent(part_heads, total_heads),
        "quorum_met": bool(part.get("quorum_met")),
        "quorum_percent": quorum_percent,
        "quorum_mark": formats.whole_percent(quorum.numerator, quorum.denominator),
        "quorum_area": quorum_area,
        "quorum_heads": quorum_heads,
        "matter_rows": matter_rows,
        "race_rows": race_rows,
    }


@login_required
@require_http_methods(["GET"])
def results(request, pk: int):
    election = voting.election_for_voting(request.user, pk)
    public = voting.board_public(election)
    context = {"election": election, "results_public": public}
    if public:
        context.update(results_context(election))
        context["can_export"] = staff_elections(request.user).filter(pk=election.pk).exists()
        context["challenge"] = lifecycle.challenge_window(election)
    return render(request, "elections/public/results.html", context)


@login_required
@require_http_methods(["GET"])
def results_xlsx(request, pk: int):
    """The published result as a spreadsheet, for staff in the election's scope."""
    try:
        election = staff_elections(request.user).get(pk=pk)
    except Election.DoesNotExist:
        raise Http404 from None
    if not voting.board_public(election):
        return render(
            request, "elections/public/results.html", {"election": election, "results_public": False}
        )
    data = results_context(election)
    book = Workbook()
    sheet = book.sheet(_("Participation"))
    rows = [
        [_("Election"), election.title],
        [_("Compound"), election.compound.name],
        [_("Total area (㎡)"), data["total_area"]],
        [_("Total owners"), data["total_heads"]],
        [_("Participating area (㎡)"), data["part_area"]],
        [_("Participating owners"), data["part_heads"]],
        [_("Quorum"), f"{election.quorum_numerator}/{election.quorum_denominator}"],
        [_("Quorum met"), _("yes") if data["quorum_met"] else _("no")],
        [_("Ballot chain head"), election.chain_head],
    ]
    for row in rows:
        sheet.append(row, bold={1})
    matters = book.sheet(_("Matters"))
    matters.header(
        [
            _("Key"),
            _("Matter"),
            _("Threshold"),
            _("Agree (㎡)"),
            _("Agree (owners)"),
            _("Disagree (㎡)"),
            _("Disagree (owners)"),
            _("Abstain (㎡)"),
            _("Abstain (owners)"),
            _("Passed"),
        ],
        freeze=False,
    )
    for row in data["matter_rows"]:
        line = [row["matter"].key, row["matter"].title, row["matter"].get_category_display()]
        for answer in row["answers"]:
            line += [answer["area"], answer["heads"]]
        line.append(_("yes") if row["passed"] else _("no"))
        matters.append(line)
    races = book.sheet(_("Races"))
    races.header(
        [
            _("Race"),
            _("Seats"),
            _("Void ballots"),
            _("Candidate"),
            _("Agree (㎡)"),
            _("Agree (owners)"),
            _("Qualified"),
            _("Elected"),
            _("Tied"),
        ],
        freeze=False,
    )
    for row in data["race_rows"]:
        for cand in row["candidates"]:
            races.append(
                [
                    row["race"].title,
                    row["seats"],
                    row["invalid_ballots"],
                    cand["candidate"].name,
                    cand["area"],
                    cand["heads"],
                    _("yes") if cand["qualified"] else _("no"),
                    cand["rank"] or "",
                    _("yes") if cand["tied"] else "",
                ]
            )
    content = book.to_bytes()
    record(
        "result.exported",
        actor=request.user,
        obj=election,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary="result exported as XLSX",
        data={"format": "xlsx"},
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="election-{election.pk}-result.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------
# The ballot board and the bundle
# ---------------------------------------------------------------------------------------------


def _choice_labels(election: Election):
    matters = list(Matter.objects.filter(election=election).values_list("key", "title"))
    races = list(Race.objects.filter(election=election).prefetch_related("candidates"))
    names = {race.key: {c.key: c.name for c in race.candidates.all()} for race in races}

    def render_choices(status: str, choices: dict) -> dict:
        if status != Ballot.Status.VALID:
            return {"matters": [], "races": []}
        given = choices.get("matters") or {}
        ticks = choices.get("races") or {}
        return {
            "matters": [
                {
                    "key": key,
                    "answer": BALLOT_LABELS.get(given.get(key, Choice.ABSTAIN), ""),
                    "code": given.get(key, Choice.ABSTAIN.value),
                }
                for key, _title in matters
            ],
            "races": [
                {
                    "key": race.key,
                    "names": [names[race.key].get(k, k) for k in ticks.get(race.key, [])],
                    "over": len(ticks.get(race.key, [])) > race.seats,
                }
                for race in races
            ],
        }

    return matters, races, render_choices


@login_required
@require_http_methods(["GET"])
def board(request, pk: int):
    """Every ballot's receipt and choices, and a receipt search (services.ballot_board).

    A secret vote (不记名) lists them in receipt order, with no position, time or hash: nothing that
    lines a ballot up with the turnout or the audit log. A named vote (记名) lists them in the
    order cast with the home and the hashes."""
    election = voting.election_for_voting(request.user, pk)
    public = voting.board_public(election)
    context = {"election": election, "board_public": public}
    if not public:
        return render(request, "elections/public/board.html", context)
    matters, races, render_choices = _choice_labels(election)
    query = (request.GET.get("receipt") or "").strip().upper().replace(" ", "")
    found = None
    page_number = request.GET.get("page") or 1
    rows = ballot_board(election)
    if query:
        found = rows.filter(receipt=query).first()
        if found is not None:
            found["shown"] = render_choices(found["status"], found["choices"])
            before = (
                Ballot.objects.filter(election=election, receipt__lt=query).count()
                if election.is_secret
                else found["seq"] - 1
            )
            page_number = before // BOARD_PAGE_SIZE + 1
    paginator = Paginator(rows, BOARD_PAGE_SIZE)
    page = paginator.get_page(page_number)
    shown = [{**row, "shown": render_choices(row["status"], row["choices"])} for row in page.object_list]
    context.update(
        {
            "matters": matters,
            "races": races,
            "query": query,
            "found": found,
            "searched": bool(query),
            "page": page,
            "rows": shown,
            "head": election.chain_head,
            "count": paginator.count,
            "secret": election.is_secret,
            "has_record": bundle_variant(election=election, user=request.user) == BUNDLE_NAMED,
        }
    )
    return render(request, "elections/public/board.html", context)


@login_required
@require_http_methods(["GET"])
def bundle(request, pk: int):
    """The `yezhu-bundle/1` export: anyone may recount it with `manage.py recount`."""
    election = voting.election_for_voting(request.user, pk)
    if not voting.board_public(election):
        return render(request, "elections/public/board.html", {"election": election, "board_public": False})
    # A secret vote: the per-ballot record for its scrutineers and the street office, the board
    # (result and receipts) for everyone else; a named vote: the record for all.
    data, variant = bundle_export(election=election, actor=request.user)
    response = HttpResponse(dump_json(data), content_type="application/json; charset=utf-8")
    name = "bundle" if variant == BUNDLE_NAMED else "board"
    response["Content-Disposition"] = f'attachment; filename="election-{election.pk}-{name}.json"'
    return response


urlpatterns = [
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/documents/<int:did>/", document, name="document"),
    path("<int:pk>/results/", results, name="results"),
    path("<int:pk>/board/", board, name="board"),
    path("<int:pk>/bundle.json", bundle, name="bundle"),
]

manage_urlpatterns = [
    path("<int:pk>/results/export.xlsx", results_xlsx, name="results_xlsx"),
]
