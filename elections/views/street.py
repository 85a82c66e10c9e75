"""The street office's board under /street/ (namespace "street").

Who may look: street staff see their street; district staff see every street of their district
and the roll-up; an auditor with a street or district scope may read everything here but import
nothing. Anyone else gets 404. Filters, search and sort are GET parameters handled on the server,
so the board works without JavaScript (static/js/street.js only submits the filters on change).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from elections import board as selectors
from elections import composition as comp
from elections.committee_import import COLUMNS, CommitteeImportError, committees_import, template_xlsx
from elections.models import Election, MassSend, Stage
from elections.rules import street_svg
from elections.rules.timeline import MilestoneStatus
from elections.views.interim_parts import interim_context
from grids.models import Street
from grids.selectors import managed_compounds, staff_compounds, streets_for
from yezhu import formats
from yezhu.audit.log import record
from yezhu.xlsx import XLSX_CONTENT_TYPE as XLSX
from yezhu.xlsx import Workbook

MAX_UPLOAD = 5 * 1024 * 1024


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def _streets(request) -> list[Street]:
    """The streets the user may see on the board; 404 when there is none."""
    streets = list(streets_for(request.user).select_related("district").order_by("name", "pk"))
    if not streets:
        raise Http404
    return streets


def _chosen(request, streets: list[Street]) -> Street | None:
    """The street named by ?street=, if any; 404 for a street outside the user's scope."""
    raw = request.GET.get("street", "").strip()
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    for street in streets:
        if street.pk == pk:
            return street
    raise Http404


def _compounds(user, streets: list[Street]):
    return staff_compounds(user).filter(community__street__in=[s.pk for s in streets])


def _one_street(request):
    """(streets, street) for pages about one street; a user with several must pick one."""
    streets = _streets(request)
    street = _chosen(request, streets)
    if street is None and len(streets) == 1:
        street = streets[0]
    return streets, street


def _with_query(url: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None, False)})
    return f"{url}?{query}" if query else url


def _election_url(election: Election, managed: bool = True) -> str:
    """The election's timeline in /manage/ for those who run it (when that page exists), else its
    public page."""
    return reverse("manage:timeline" if managed else "elections:detail", args=[election.pk])


# ---------------------------------------------------------------------------------------------
# Labels (gettext at request time, so the language of the request applies)
# ---------------------------------------------------------------------------------------------


def term_status_labels() -> dict[str, str]:
    return {
        selectors.TermStatus.NONE: _("No committee"),
        selectors.TermStatus.IN_OFFICE: _("In office"),
        selectors.TermStatus.ALERT: _("Term ends soon: re-election due"),
        selectors.TermStatus.OVERDUE: _("Term expired, not re-elected"),
    }


def count_labels() -> dict[str, str]:
    return {
        "compounds": _("Compounds"),
        "with_committee": _("With a committee"),
        "reelections_done": _("Re-elections done this year"),
        "under_way": _("Elections under way"),
        "due_to_start": _("Re-elections due to start this year"),
        "overdue": _("Overdue re-elections"),
        "alert": _("Terms in the alert window now"),
        "late": _("Elections under way with a late deadline"),
        "under_property_committee": _("Compounds under a property management committee"),
        "overdue_deadlines": _("Overdue filings and handovers"),
        "escalated": _("Escalations the street office must act on"),
    }


#: Headline counts drawn as a warning or an alarm when they are not zero.
COUNT_CSS = {
    "due_to_start": "warn",
    "alert": "warn",
    "overdue": "bad",
    "late": "bad",
    "overdue_deadlines": "bad",
    "escalated": "bad",
}


def coverage_labels() -> dict[str, str]:
    return {
        "party_branch": _("Party branch coverage"),
        "committee": _("Committee coverage"),
        "property_manager": _("Property manager coverage"),
        "all_three": _("All three covered"),
    }


def milestone_status_labels() -> dict[str, str]:
    return {
        selectors.PLANNED: _("planned"),
        MilestoneStatus.DONE: _("done"),
        MilestoneStatus.DONE_LATE: _("done late"),
        MilestoneStatus.OUT_OF_ORDER: _("out of order: check the date"),
        MilestoneStatus.DUE: _("due"),
        MilestoneStatus.OVERDUE: _("overdue"),
        MilestoneStatus.NOT_YET_KNOWN: _("date not yet known"),
    }


_STATUS_BADGE = {
    selectors.TermStatus.NONE: "",
    selectors.TermStatus.IN_OFFICE: "ok",
    selectors.TermStatus.ALERT: "warn",
    selectors.TermStatus.OVERDUE: "bad",
}


def _charts(figures: selectors.Figures) -> dict[str, str]:
    counts = count_labels()
    cover = coverage_labels()
    return {
        "counts_svg": mark_safe(  # noqa: S308 - street_svg escapes every text it draws
            street_svg.bar_chart(
                [(counts[key], value) for key, value in figures.as_counts()], title=_("Headline counts")
            )
        ),
        "coverage_svg": mark_safe(  # noqa: S308
            street_svg.coverage_chart(
                [(cover[key], c.share, c.percent) for key, c in figures.as_coverage()],
                title=_("Coverage"),
            )
        ),
    }


# ---------------------------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------------------------


def _row_texts() -> dict[str, str]:
    """The per-row sentences, translated once per request rather than once per row."""
    return {
        "until": _("in office until %(date)s"),
        "start_by": _("re-election due from %(date)s"),
        "turnout": _("owners %(heads)s · area %(area)s"),
    }


def _row_view(row: selectors.BoardRow, street: Street, managed: set[int], labels: dict, texts: dict) -> dict:
    election = row.election
    may_manage = row.compound.pk in managed
    return {
        "committee_text": texts["until"] % {"date": row.committee.term_end.isoformat()}
        if row.committee
        else "",
        "start_by_text": texts["start_by"] % {"date": row.start_by.isoformat()}
        if row.start_by and row.term_status != selectors.TermStatus.IN_OFFICE
        else "",
        "turnout_text": texts["turnout"]
        % {"heads": row.turnout.heads_percent, "area": row.turnout.area_percent}
        if row.turnout
        else "",
        "next": row.next_deadline,
        "next_date": row.next_deadline_date,
        "late": row.late,
        "row": row,
        "status_label": labels[row.term_status],
        "status_badge": _STATUS_BADGE[row.term_status],
        "compound_url": reverse("street:compound", args=[row.compound.pk]),
        "election_url": _election_url(election, may_manage) if election else "",
        "timeline_url": _with_query(reverse("street:timeline"), street=street.pk, election=election.pk)
        if election
        else "",
        "last_url": _election_url(row.last_election, may_manage) if row.last_election else "",
        "committees_url": reverse("manage:committees", args=[row.compound.pk]) if may_manage else "",
        "proposals_url": reverse("manage:proposals", args=[row.compound.pk]) if may_manage else "",
    }


SORT_COLUMNS = ("code", "name", "term_end", "status", "stage", "deadline", "turnout")
#: The board's GET parameters that choose and order the rows (the exports take the same ones).
BOARD_PARAMS = ("q", "status", "stage", "late", "sort", "dir")


def _board_params(request) -> dict:
    """The board's search, filters and sort from the query string; anything unknown is ignored."""
    get = request.GET
    return {
        "q": get.get("q", "").strip()[:100],
        "status": get.get("status", "") if get.get("status") in selectors.TermStatus.ALL else "",
        "stage": get.get("stage", "") if get.get("stage") in ("none", "any", *Stage.values) else "",
        "late": get.get("late") == "1",
        "sort": get.get("sort") if get.get("sort") in SORT_COLUMNS else "code",
        "dir": "desc" if get.get("dir") == "desc" else "asc",
    }


def _filtered(rows, params: dict) -> list[selectors.BoardRow]:
    return selectors.filter_rows(
        rows,
        q=params["q"],
        status=params["status"],
        stage=params["stage"],
        late=params["late"],
        sort=params["sort"],
        descending=params["dir"] == "desc",
    )


def _filters_in_use(params: dict) -> dict:
    """The parameters that differ from the defaults, as they go into a link (late as "1")."""
    used = {k: params[k] for k in ("q", "status", "stage") if params[k]}
    if params["late"]:
        used["late"] = "1"
    if params["sort"] != "code":
        used["sort"] = params["sort"]
    if params["dir"] == "desc":
        used["dir"] = "desc"
    return used


@require_GET
@login_required
def board(request):
    """Every compound of the street: committee, term, current election, deadlines, coverage."""
    streets, street = _one_street(request)
    if street is None:
        return redirect("street:district")
    today = timezone.localdate()
    rows = selectors.board_rows(_compounds(request.user, [street]), today=today)
    figures = selectors.figures(rows)
    params = _board_params(request)
    shown = _filtered(rows, params)
    base = reverse("street:board")
    keep = {
        "street": street.pk if len(streets) > 1 else "",
        **{k: params[k] for k in ("q", "status", "stage")},
    }
    keep["late"] = "1" if params["late"] else ""
    sort_links = {
        key: _with_query(
            base,
            **keep,
            sort=key,
            dir="desc" if params["sort"] == key and params["dir"] == "asc" else "",
        )
        for key in SORT_COLUMNS
    }
    scope = {"street": street.pk, **_filters_in_use(params)}
    managed = set(
        managed_compounds(request.user).filter(community__street=street).values_list("pk", flat=True)
    )
    composition = comp.figures(comp.compositions(_compounds(request.user, [street])))
    rate_labels = comp.rate_labels()
    labels, texts = term_status_labels(), _row_texts()  # once, not once a row: 500 rows, 3,500 lookups
    context = {
        "street": street,
        "streets": streets,
        "today": today,
        "rows": [_row_view(r, street, managed, labels, texts) for r in shown],
        "filtered": bool(_filters_in_use(params).keys() - {"sort", "dir"}),
        "total_rows": len(rows),
        "figures": figures,
        "count_items": [
            (count_labels()[k], v, COUNT_CSS.get(k, "") if v else "") for k, v in figures.as_counts()
        ],
        "coverage_items": [(coverage_labels()[k], c) for k, c in figures.as_coverage()],
        "composition_items": [(rate_labels[k], r) for k, r in composition.as_rates()],
        "composition": composition,
        "composition_url": _with_query(
            reverse("street:composition"), street=street.pk if len(streets) > 1 else ""
        ),
        "params": params,
        "sort_links": sort_links,
        "status_choices": list(term_status_labels().items()),
        "stage_choices": [("any", _("Any election under way")), ("none", _("No election under way"))]
        + [(value, label) for value, label in Stage.choices if value not in selectors.CLOSED_STAGES],
        "export_board_url": _with_query(reverse("street:export_board"), **scope),
        "export_figures_url": _with_query(reverse("street:export_figures"), **scope),
        "timeline_url": _with_query(reverse("street:timeline"), **scope),
        "can_import": bool(managed),
        "waiting_proposals": [
            {
                "row": r,
                "proposal": p,
                "url": reverse("manage:proposals", args=[r.compound.pk]) if r.compound.pk in managed else "",
            }
            for r in rows
            for p in r.proposals
        ],
        "escalation_items": [e for r in rows for e in r.escalations],
        "overdue_items": [(r, d) for r in rows for d in r.overdue_deadlines],
        "sends_waiting": _sends_waiting(request.user, street) if managed else [],
        **_charts(figures),
    }
    return render(request, "elections/street/board.html", context)


def _sends_waiting(user, street: Street) -> list[MassSend]:
    """The mass sends of the street's compounds held for a second staff member's approval that
    someone else asked for. The board is where the street office starts its day: without this
    list a send waited unseen until its asker phoned (issue 20, the street office's journey)."""
    # The compounds the user manages as a subquery: a list of a street's 500 ids as parameters
    # cost the board more to build than the rest of its queries.
    managed = managed_compounds(user).filter(community__street=street).values("pk")
    return list(
        MassSend.objects.filter(
            street=street,
            status=MassSend.Status.PENDING,
            compound_id__in=managed,
            notice__election__isnull=False,  # the send's page is an election's
        )
        .exclude(requested_by=user)
        .select_related("notice", "compound", "requested_by")
        .order_by("requested_at", "pk")[:50]
    )


# ---------------------------------------------------------------------------------------------
# A compound's page on the board
# ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def compound(request, pk: int):
    """A compound as the street sees it: the committee in office with its members, its elections."""
    streets = _streets(request)
    found = _compounds(request.user, streets).filter(pk=pk).select_related("community__street").first()
    if found is None:
        raise Http404
    today = timezone.localdate()
    row = selectors.board_rows(_compounds(request.user, streets).filter(pk=pk), today=today)[0]
    committees = list(found.committees.prefetch_related("members").order_by("-term_start", "-pk"))
    elections = list(found.elections.order_by("-created_at", "-pk"))
    may_manage = managed_compounds(request.user).filter(pk=pk).exists()
    context = {
        "compound": found,
        "street": found.community.street,
        "row": row,
        "status_label": term_status_labels()[row.term_status],
        "status_badge": _STATUS_BADGE[row.term_status],
        "committees": committees,
        "elections": [(e, _election_url(e, may_manage)) for e in elections],
        "board_url": _with_query(reverse("street:board"), street=found.community.street_id),
        "committees_url": reverse("manage:committees", args=[found.pk]) if may_manage else "",
        **interim_context(found, request.user, today, may_manage=may_manage),
    }
    return render(request, "elections/street/compound.html", context)


# ---------------------------------------------------------------------------------------------
# The timeline of the elections under way
# ---------------------------------------------------------------------------------------------


def _bars(election: Election, milestones, today: date) -> list[street_svg.Bar]:
    """The stages of an election as bars: known dates, with the planned end where only a deadline is."""
    due = {m.key: m.due for m in milestones}
    opens = selectors.local_date(election.voting_opens_at)
    closes = selectors.local_date(election.voting_closes_at)
    day = timedelta(days=1)
    bars = []

    def add(label, start, end, planned=False):
        if start is None:
            return
        if end is None or end < start:
            end, planned = max(today, start), True
        bars.append(street_svg.Bar(start, end, label, planned or end > today))

    add(
        _("Working group"),
        election.working_group_formed_on,
        (election.notice_published_on or opens or today) - day,
    )
    add(_("Assembly notice"), election.notice_published_on, opens - day if opens else None)
    add(_("Candidate notice"), election.candidate_notice_start, election.candidate_notice_end)
    add(_("Voting"), opens, closes)
    add(
        _("Result notice"),
        election.result_published_on,
        election.objection_window_end or due.get("objection_window_end"),
    )
    add(_("Filing"), election.decided_on, election.filed_on or due.get("filed"))
    return bars


def _marks(milestones, today: date) -> list[street_svg.Mark]:
    labels = milestone_status_labels()
    marks = []
    for m in milestones:
        day = (
            m.done_on
            if m.status in (MilestoneStatus.DONE, MilestoneStatus.DONE_LATE, MilestoneStatus.OUT_OF_ORDER)
            else m.due
        )
        if day is None:
            continue
        state = selectors.milestone_state(m, today)
        text = _("%(milestone)s: %(status)s") % {"milestone": formats.words(m.title), "status": labels[state]}
        if m.due:
            text += _(", deadline %(date)s") % {"date": formats.day(m.due)}
        shown = "due" if state == selectors.PLANNED else state
        marks.append(street_svg.Mark(day, text, shown))
    return marks


def _interim_track(row: selectors.BoardRow, today: date) -> street_svg.Track:
    """A compound's committee between elections: its 物管会's term as a bar, its open filings and
    handovers as marks (overdue ones in red)."""
    bars = []
    body = row.property_committee
    if body is not None:
        bars.append(street_svg.Bar(body.term_start, body.term_end, _("Property management committee"), True))
    marks = [
        street_svg.Mark(
            d.due_on,
            f"{d.title}：{_('deadline')} {d.due_on.isoformat()}",
            "overdue" if d.overdue(today) else "due",
        )
        for d in row.open_deadlines
    ]
    what = _("Filings and handovers")
    return street_svg.Track(
        label=f"{row.compound.name} · {what}",
        bars=tuple(bars),
        marks=tuple(marks),
        href=reverse("street:compound", args=[row.compound.pk]) + "#deadlines",
        late=bool(row.overdue_deadlines),
    )


@require_GET
@login_required
def timeline(request):
    """The elections under way in the street as bars against the calendar, late milestones in red."""
    streets, street = _one_street(request)
    if street is None:
        return redirect("street:district")
    today = timezone.localdate()
    every = selectors.board_rows(_compounds(request.user, [street]), today=today)
    rows = [r for r in every if r.election]
    rows.sort(key=lambda r: (not r.late, r.compound.code))
    interim_rows = [r for r in every if r.open_deadlines or r.property_committee]
    focus = None
    raw = request.GET.get("election", "").strip()
    if raw:
        focus = next((r for r in rows if str(r.election.pk) == raw), None)
        if focus is None:
            raise Http404
    shown = [focus] if focus else rows
    tracks, days = [], []
    for r in shown:
        bars = _bars(r.election, r.milestones, today)
        marks = _marks(r.milestones, today)
        days += [b.start for b in bars] + [b.end for b in bars] + [m.day for m in marks]
        tracks.append(
            street_svg.Track(
                label=f"{r.compound.name} · {r.election.get_stage_display()}",
                bars=tuple(bars),
                marks=tuple(marks),
                href=_with_query(reverse("street:timeline"), street=street.pk, election=r.election.pk),
                late=r.late,
            )
        )
    if focus is None:
        for r in interim_rows:
            track = _interim_track(r, today)
            days += [b.start for b in track.bars] + [b.end for b in track.bars] + [m.day for m in track.marks]
            tracks.append(track)
    start, end = street_svg.window(days, today)
    chart = street_svg.timeline_chart(
        tracks,
        start=start,
        end=end,
        today=today,
        title=_("Timeline of the elections under way"),
        today_label=_("today"),
    )
    labels = milestone_status_labels()
    context = {
        "street": street,
        "streets": streets,
        "today": today,
        "rows": rows,
        "interim_rows": [] if focus else interim_rows,
        "focus": focus,
        "focus_url": _election_url(
            focus.election, managed_compounds(request.user).filter(pk=focus.compound.pk).exists()
        )
        if focus
        else "",
        "focus_milestones": [
            (
                m,
                labels[selectors.milestone_state(m, today)],
                selectors.is_late(m),
                selectors.is_planned(m, today),
            )
            for m in (focus.milestones if focus else [])
        ],
        "timeline_svg": mark_safe(chart),  # noqa: S308 - street_svg escapes every text it draws
        "board_url": _with_query(reverse("street:board"), street=street.pk if len(streets) > 1 else ""),
        "all_url": _with_query(reverse("street:timeline"), street=street.pk if len(streets) > 1 else ""),
    }
    return render(request, "elections/street/timeline.html", context)


# ---------------------------------------------------------------------------------------------
# District roll-up
# ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def district(request):
    """The same figures for every street the user may see, street by street and per district."""
    streets = _scope_streets(request)
    rows = selectors.board_rows(_compounds(request.user, streets))
    by_street = dict((s.pk, f) for s, f in selectors.figures_by_street(rows))
    grouped = defaultdict(list)
    for street in streets:
        grouped[street.district].append(street)
    districts = []
    for district_obj, members in sorted(grouped.items(), key=lambda kv: (kv[0] is None, str(kv[0] or ""))):
        ids = {s.pk for s in members}
        total = selectors.figures(r for r in rows if r.street.pk in ids)
        districts.append(
            {
                "district": district_obj,
                "total": total,
                "streets": [
                    (
                        s,
                        by_street.get(s.pk) or selectors.figures([]),
                        _with_query(reverse("street:board"), street=s.pk),
                    )
                    for s in members
                ],
            }
        )
    total = selectors.figures(rows)
    context = {
        "districts": districts,
        "total": total,
        "streets": streets,
        "export_board_url": reverse("street:export_board"),
        "export_figures_url": reverse("street:export_figures"),
        **_charts(total),
    }
    return render(request, "elections/street/district.html", context)


# ---------------------------------------------------------------------------------------------
# Exports (XLSX, for the weekly report)
# ---------------------------------------------------------------------------------------------


def _scope_streets(request) -> list[Street]:
    streets = _streets(request)
    street = _chosen(request, streets)
    return [street] if street else streets


def _xlsx_response(book: Workbook, filename: str) -> HttpResponse:
    return HttpResponse(
        book.to_bytes(),
        content_type=XLSX,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


PERCENT = formats.XLSX_PERCENT


def _ratio(part, whole) -> Decimal | None:
    """``part / whole`` as an exact-as-Excel-keeps-it number for a cell with a percent format."""
    if not whole:
        return None
    return Decimal(part) / Decimal(whole)


def _share(value: Fraction | None) -> Decimal | None:
    return _ratio(value.numerator, value.denominator) if value is not None else None


def _formats(values: list, percent_columns: set[int]) -> dict[int, str]:
    """Dates as yyyy-mm-dd and ratios as percentages with one decimal (the numbers stay numbers)."""
    formats = {}
    for column, value in enumerate(values, start=1):
        if isinstance(value, date):
            formats[column] = "yyyy-mm-dd"
        elif column in percent_columns and isinstance(value, int | float | Decimal):
            formats[column] = PERCENT
    return formats


def _export_scope(request):
    """(streets, params, rows) of an export: the user's streets, and the board's filters applied."""
    streets = _scope_streets(request)
    params = _board_params(request)
    today = timezone.localdate()
    rows = selectors.board_rows(_compounds(request.user, streets), today=today)
    return streets, params, rows, today


@require_GET
@login_required
def export_board(request):
    """The board's rows as an XLSX sheet (one street, or every street the user may see), with the
    board's search, filters and sort of the query string."""
    streets, params, rows, today = _export_scope(request)
    rows = _filtered(rows, params)
    if "sort" not in request.GET:  # the report's order: street by street, by code
        rows.sort(key=lambda r: (r.street.name, r.compound.code))
    labels = term_status_labels()
    book = Workbook()
    sheet = book.sheet(_("Board"))
    sheet.widths((12, 12, 12, 18, 12, 12, 16, 12, 28, 10, 24, 12, 6, 30, 8, 8, 10, 10, 8, 8, 16, 8))
    columns = [
        _("Street"),
        _("Community"),
        _("Compound code"),
        _("Compound name"),
        _("Committee term starts"),
        _("Committee term ends"),
        _("Term status"),
        _("Re-election should start by"),
        _("Current election"),
        _("Stage"),
        _("Next deadline"),
        _("Due"),
        _("Late"),
        _("Late milestones"),
        _("Owners voted"),
        _("Owners on the roll"),
        _("Turnout (owners)"),
        _("Turnout (area)"),
        _("Party branch"),
        _("Owners' committee"),
        _("Property manager"),
        _("All three"),
    ]
    sheet.header(columns)
    for r in rows:
        nxt = r.next_deadline
        t = r.turnout
        values = [
            r.street.name,
            r.compound.community.name,
            r.compound.code,
            r.compound.name,
            r.committee.term_start if r.committee else None,
            r.committee.term_end if r.committee else None,
            labels[r.term_status],
            r.start_by,
            r.election.title if r.election else "",
            r.election.get_stage_display() if r.election else "",
            formats.words(nxt.title) if nxt else "",
            r.next_deadline_date,
            _yes(r.late) if r.election else "",
            "、".join(formats.words(m.title) for m in r.late_milestones),
            t.heads if t else None,
            t.heads_total if t else None,
            _share(t.heads_share) if t else None,
            _share(t.area_share) if t else None,
            _yes(r.has_branch),
            _yes(r.has_committee),
            r.compound.property_manager or _yes(False),
            _yes(r.all_three),
        ]
        sheet.append(values, formats=_formats(values, {17, 18}))
    record(
        "street.export_board",
        actor=request.user,
        summary=f"board exported: {len(rows)} compounds of {len(streets)} street(s)",
        data={"streets": [s.pk for s in streets], "rows": len(rows), "filters": _filters_in_use(params)},
        streets=[s.pk for s in streets],
    )
    name = streets[0].name if len(streets) == 1 else _("streets")
    return _xlsx_response(book, f"{name}-{_('board')}-{today.isoformat()}.xlsx")


def coverage_count_labels() -> dict[str, str]:
    return {
        "party_branch": _("Compounds with a party branch"),
        "committee": _("Compounds with a committee"),
        "property_manager": _("Compounds with a property manager"),
        "all_three": _("Compounds with all three"),
    }


@require_GET
@login_required
def export_figures(request):
    """The headline figures per street (and the total) as an XLSX sheet: counts as numbers, each
    coverage as a count and a ratio with a percent format; over the rows the board's filters keep."""
    streets, params, rows, today = _export_scope(request)
    rows = _filtered(rows, params)
    by_street = dict((s.pk, f) for s, f in selectors.figures_by_street(rows))
    counts, cover, cover_counts = count_labels(), coverage_labels(), coverage_count_labels()
    book = Workbook()
    sheet = book.sheet(_("Figures"))
    sheet.widths([16])
    empty = selectors.figures([])
    count_keys = [k for k, _v in empty.as_counts()]
    cover_keys = [k for k, _v in empty.as_coverage()]
    header = [_("Street"), *[counts[k] for k in count_keys]]
    for k in cover_keys:
        header += [cover_counts[k], cover[k]]
    sheet.header(header)
    first_ratio = 1 + len(count_keys) + 2
    ratio_columns = {first_ratio + 2 * i for i in range(len(cover_keys))}

    def line(label, f: selectors.Figures):
        values = [label, *[v for _k, v in f.as_counts()]]
        for _k, c in f.as_coverage():
            values += [c.count, _ratio(c.count, c.total)]
        return values

    lines = [line(street.name, by_street.get(street.pk) or empty) for street in streets]
    if len(streets) > 1:
        lines.append(line(_("Total"), selectors.figures(rows)))
    for values in lines:
        sheet.append(values, formats=_formats(values, ratio_columns))
    sheet.append([])
    sheet.append([_("As of %(date)s") % {"date": today.isoformat()}])
    if _filters_in_use(params).keys() - {"sort", "dir"}:
        sheet.append([_("Only the compounds that match the board's search and filters are counted.")])
    record(
        "street.export_figures",
        actor=request.user,
        summary=f"figures exported for {len(streets)} street(s)",
        data={"streets": [s.pk for s in streets], "compounds": len(rows), "filters": _filters_in_use(params)},
        streets=[s.pk for s in streets],
    )
    name = streets[0].name if len(streets) == 1 else _("streets")
    return _xlsx_response(book, f"{name}-{_('figures')}-{today.isoformat()}.xlsx")


# ---------------------------------------------------------------------------------------------
# Importing sitting committees
# ---------------------------------------------------------------------------------------------


class CommitteeFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Committee sheet (.xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        if f.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return f


@require_http_methods(["GET", "POST"])
@login_required
def import_committees(request):
    """Register the sitting committees of the street's compounds from an XLSX sheet, all or nothing."""
    streets = _streets(request)
    if not managed_compounds(request.user).filter(community__street__in=[s.pk for s in streets]).exists():
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("template") == "1":
        return HttpResponse(
            template_xlsx(),
            content_type=XLSX,
            headers={"Content-Disposition": content_disposition_header(True, _("committee-template.xlsx"))},
        )
    errors: list[str] = []
    form = CommitteeFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = committees_import(actor=request.user, file=upload, filename=upload.name)
        except CommitteeImportError as exc:
            errors = exc.errors
        else:
            messages.success(
                request,
                _("%(count)d committees registered.") % {"count": len(created)},
            )
            return redirect("street:board")
    context = {
        "form": form,
        "errors": errors,
        "streets": streets,
        "template_url": _with_query(reverse("street:import_committees"), template="1"),
        "columns": "、".join(COLUMNS),
        "board_url": reverse("street:board"),
    }
    return render(request, "elections/street/import.html", context, status=400 if errors else 200)


urlpatterns = [
    path("", board, name="board"),
    path("district/", district, name="district"),
    path("timeline/", timeline, name="timeline"),
    path("compound/<int:pk>/", compound, name="compound"),
    path("export/board.xlsx", export_board, name="export_board"),
    path("export/figures.xlsx", export_figures, name="export_figures"),
    path("committees/import/", import_committees, name="import_committees"),
]
