"""The street office's board (街道看板): one row per compound and the figures of the weekly report.

Reads only. The caller passes a queryset of compounds that is already scoped to the user (the
views build it from `grids.selectors.streets_for` and `staff_compounds`); everything here costs a
fixed number of queries whatever the number of compounds:

1. the compounds, with their community and street and whether a compound party branch exists;
2. the committees that matter (in office, or elected by an election that is still running);
3. every election of those compounds (a compound has a handful over the years);
4. and 5. for the elections in the voting stage, one aggregate of valid ballots and one of voters,
   grouped by election (turnout only: never a choice, DESIGN.md "Ballot secrecy");
6. the owners' proposals that reached their threshold and wait for the committee to convene the
   temporary assembly (shown until staff record it convened);
7. to 12. the committee between elections: the active 物业管理委员会 (物管会), the open tracked
   deadlines (filings, handovers: three queries) and the open escalations with their steps (two).

Term status, deadlines and lateness are then computed in Python from those rows with the pure
`elections.rules.timeline`, so that nothing here runs a query per compound.

Definitions where the issue leaves room (docs/guide-street.md repeats them for the clerk):

- A committee is *in office* while its `ended_on` is empty; if a compound has several, the one
  whose term started last counts. A committee in office counts for the committee coverage even
  when its term has run out (应换未换): it still exists until it is replaced.
- The *current* election of a compound is the most recently created one that is still under way
  (any stage but done or failed). When none is under way the row shows the last election, done
  or failed, so that a failed election stays visible.
- *Under way* counts elections (of any kind) in any stage but done or failed.
- *Due to start this year*: the committee in office must start its re-election (`start_by`, the
  term's end minus the profile's months) on a day of the current calendar year, and no election
  for that term is under way (anything but a matters-only vote) or done (a re-election or first
  assembly, other than the committee's own, decided on or after the term started). The figure
  follows the year, not the alert window: in January it already counts a term that ends in
  October. A term whose `start_by` fell in an earlier year and that was never re-elected is not
  in it: it shows in *alert* (in the alert window now) or *overdue*.
- *Alert*: compounds whose term is in its alert window today (from `start_by` through the term's
  last day), whatever is under way.
- *Re-elections done this year*: elections of kind re-election that reached done with a filing
  date in the current year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from elections.lifecycle.escalation import open_escalations
from elections.lifecycle.filings import DeadlineRow, deadline_rows
from elections.models import (
    AssemblyProposal,
    Ballot,
    Committee,
    Election,
    Escalation,
    PropertyCommittee,
    Stage,
    Voter,
)
from elections.rules import timeline
from grids.models import Compound, PartyOrg, Street
from yezhu import formats

CLOSED_STAGES = (Stage.DONE, Stage.FAILED)
#: Milestones of the next term (start of the next re-election, handover at the term's end) are not
#: deadlines of the election under way, so the board leaves them out of "next deadline" and "late".
_TERM_MILESTONES = frozenset({"reelection_start", "handover"})
#: A vote on matters only has no candidates and elects no committee (as its own timeline page).
_NOT_FOR_MATTERS = frozenset(
    {"candidate_notice_start", "candidate_notice_end", "first_meeting", "officers_published"}
)


class TermStatus:
    """Where a compound's committee stands (values of `BoardRow.term_status`)."""

    NONE = "none"  # 无业委会
    IN_OFFICE = timeline.ReelectionStatus.IN_OFFICE.value  # 任期内
    ALERT = timeline.ReelectionStatus.ALERT.value  # 临近届满，应启动换届
    OVERDUE = timeline.ReelectionStatus.OVERDUE.value  # 任期届满未换届（应换未换）

    ALL = (NONE, IN_OFFICE, ALERT, OVERDUE)


def percent(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with one decimal, rounded half up ("95.0%"); "—" for 0/0."""
    return formats.percent(part, whole)


def percent_of(value: Fraction | None) -> str:
    return formats.share_percent(value)


def whole_percent(value: Fraction | None) -> int:
    """A share as a whole percentage 0–100 (for the .w0 … .w100 width classes)."""
    return 0 if value is None else formats.whole_percent(value)


def profile_for_street(street: Street) -> timeline.Profile:
    """The street's regional profile; an unknown key falls back to the national one."""
    try:
        return timeline.get_profile(street.profile)
    except KeyError:
        return timeline.get_profile("national")


def profile_for_election(election: Election) -> timeline.Profile:
    """The election's profile with the overrides its rules of procedure make (议事规则).

    The same as the election's own timeline page (`elections.lifecycle.effective_profile`). An
    override that does not name a known rule or a valid value is left out rather than breaking the
    board: the election's own timeline page is where such a mistake is shown and corrected.
    """
    try:
        from elections.lifecycle import effective_profile
    except ImportError:
        pass
    else:
        try:
            return effective_profile(election)
        except (KeyError, TypeError, ValueError):
            pass
    try:
        profile = timeline.get_profile(election.profile)
    except KeyError:
        profile = timeline.get_profile("national")
    overrides = election.rule_overrides if isinstance(election.rule_overrides, dict) else {}
    for name, spec in overrides.items():
        try:
            value = spec["value"] if isinstance(spec, dict) else spec
            reason = (spec.get("reason") if isinstance(spec, dict) else "") or timeline.RULES_OF_PROCEDURE
            profile = profile.with_overrides(reason=str(reason), **{name: value})
        except (KeyError, TypeError, ValueError):
            continue
    return profile


def local_date(value: datetime | None) -> date | None:
    if value is None:
        return None
    return timezone.localdate(value) if timezone.is_aware(value) else value.date()


def key_dates(
    election: Election, committee: Committee | None = None, outgoing: Committee | None = None
) -> timeline.KeyDates:
    """The key dates of an election, with the first meeting and officers of the committee it elected
    and, for a re-election, the term's end of the committee it replaces (the 换届小组's period).

    The term of the elected committee is left out on purpose: its end belongs to the next re-election.
    """
    from elections.lifecycle import key_dates as election_key_dates

    return election_key_dates(election, committee, with_term=False, outgoing=outgoing)


def election_milestones(
    election: Election,
    *,
    calendar: timeline.HolidayCalendar,
    today: date,
    committee: Committee | None = None,
    outgoing: Committee | None = None,
) -> list[timeline.Milestone]:
    """The election's milestones on ``today`` (pure Python once the rows are loaded)."""
    skip = _TERM_MILESTONES | (
        _NOT_FOR_MATTERS if election.kind == Election.Kind.MATTERS_ONLY else frozenset()
    )
    return [
        m
        for m in timeline.compute_timeline(
            key_dates(election, committee, outgoing),
            profile_for_election(election),
            calendar,
            today,
            temporary_meeting=election.temporary_meeting,
            first_assembly=election.kind == Election.Kind.FIRST_ASSEMBLY,
        )
        if m.key not in skip
    ]


def is_late(milestone: timeline.Milestone) -> bool:
    return milestone.status in (
        timeline.MilestoneStatus.OVERDUE,
        timeline.MilestoneStatus.DONE_LATE,
        timeline.MilestoneStatus.OUT_OF_ORDER,
    )


PLANNED = timeline.MilestoneStatus.PLANNED.value


def is_planned(milestone: timeline.Milestone, today: date) -> bool:
    """A date recorded ahead of time (the planned close of voting) is not done yet, only planned."""
    return milestone.status == timeline.MilestoneStatus.PLANNED


def milestone_state(milestone: timeline.Milestone, today: date) -> str:
    return milestone.status.value


def default_calendar() -> timeline.HolidayCalendar:
    """The holiday table if the calendar module is there (one query), else the package's data."""
    try:
        from elections.calendar import db_calendar  # type: ignore[import-not-found]
    except ImportError:
        return timeline.PackageCalendar()
    return db_calendar()


# ---------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turnout:
    """Who has voted so far (参与率): heads and area. Never any choice."""

    heads: int
    heads_total: int
    area: Decimal
    area_total: Decimal

    @property
    def heads_share(self) -> Fraction | None:
        return Fraction(self.heads, self.heads_total) if self.heads_total else None

    @property
    def area_share(self) -> Fraction | None:
        return Fraction(self.area) / Fraction(self.area_total) if self.area_total else None

    @property
    def heads_percent(self) -> str:
        return percent_of(self.heads_share)

    @property
    def area_percent(self) -> str:
        return percent_of(self.area_share)

    @property
    def width(self) -> int:
        """The lower of the two shares, as a whole percentage: both must reach the quorum."""
        shares = [s for s in (self.heads_share, self.area_share) if s is not None]
        return whole_percent(min(shares)) if shares else 0


@dataclass
class BoardRow:
    compound: Compound
    street: Street
    committee: Committee | None
    term_status: str
    start_by: date | None  # the day the re-election should start (the alert window opens)
    election: Election | None  # the current election (under way), if any
    last_election: Election | None  # the latest election when none is under way
    milestones: list[timeline.Milestone] = field(default_factory=list)
    turnout: Turnout | None = None
    has_branch: bool = False
    today: date | None = None
    reelections_done_this_year: int = 0
    open_elections: int = 0  # elections of any kind under way
    committee_election_under_way: bool = False  # an election under way that elects a committee
    term_reelection_done: bool = False  # an election for this term is done (defensive: see figures)
    #: Owners' proposals that reached 20 % of the area and of the heads and whose temporary
    #: assembly is not convened yet (指导规则 第二十一条): the committee must convene it.
    proposals: list[AssemblyProposal] = field(default_factory=list)
    #: The 物业管理委员会 acting for the compound in the interim, if any.
    property_committee: PropertyCommittee | None = None
    #: Tracked deadlines (filings, handovers) not done yet; `overdue_deadlines` those past their day.
    open_deadlines: list[DeadlineRow] = field(default_factory=list)
    #: Escalations the street office must act on (or has acted on, waiting for the effect).
    escalations: list[Escalation] = field(default_factory=list)

    @property
    def overdue_deadlines(self) -> list[DeadlineRow]:
        return [d for d in self.open_deadlines if self.today is not None and d.overdue(self.today)]

    @property
    def has_committee(self) -> bool:
        return self.committee is not None

    @property
    def has_manager(self) -> bool:
        return bool(self.compound.property_manager.strip())

    @property
    def all_three(self) -> bool:  # 三覆盖
        return self.has_branch and self.has_committee and self.has_manager

    @property
    def under_way(self) -> bool:
        return self.election is not None

    @property
    def next_deadline(self) -> timeline.Milestone | None:
        """The first milestone still due, in process order; else the first one only planned."""
        due = next((m for m in self.milestones if m.status == timeline.MilestoneStatus.DUE), None)
        if due is None and self.today is not None:
            due = next((m for m in self.milestones if is_planned(m, self.today)), None)
        return due

    @property
    def next_deadline_date(self) -> date | None:
        m = self.next_deadline
        if m is None:
            return None
        return m.due if m.status == timeline.MilestoneStatus.DUE else m.done_on

    @property
    def late_milestones(self) -> list[timeline.Milestone]:
        return [m for m in self.milestones if is_late(m)]

    @property
    def late(self) -> bool:
        return any(is_late(m) for m in self.milestones)

    @property
    def term_end(self) -> date | None:
        return self.committee.term_end if self.committee else None

    @property
    def due_this_year(self) -> bool:
        """The re-election must start in the current calendar year and nothing for this term has."""
        return (
            self.committee is not None
            and self.start_by is not None
            and self.today is not None
            and self.start_by.year == self.today.year
            and not self.committee_election_under_way
            and not self.term_reelection_done
        )


def _annotated(compounds: QuerySet[Compound]) -> QuerySet[Compound]:
    branch = PartyOrg.objects.filter(compound=OuterRef("pk"), level=PartyOrg.Level.COMPOUND)
    return (
        compounds.select_related("community__street")
        .annotate(has_branch=Exists(branch))
        .order_by("code", "pk")
    )


def _turnouts(voting: Sequence[Election]) -> dict[int, Turnout]:
    if not voting:
        return {}
    ids = [e.pk for e in voting]
    cast = {
        row["election_id"]: row
        for row in Ballot.objects.filter(election_id__in=ids, status=Ballot.Status.VALID)
        .values("election_id")
        .annotate(heads=Count("voter_id", distinct=True), area=Sum("voter__area"))
        .order_by()
    }
    rolls = {
        row["election_id"]: row
        for row in Voter.objects.filter(election_id__in=ids)
        .values("election_id")
        .annotate(heads=Count("id"), area=Sum("area"))
        .order_by()
    }
    found = {}
    for election in voting:
        c = cast.get(election.pk, {})
        r = rolls.get(election.pk, {})
        heads_total = election.total_heads if election.total_heads is not None else r.get("heads", 0)
        area_total = election.total_area if election.total_area is not None else r.get("area")
        found[election.pk] = Turnout(
            heads=c.get("heads", 0) or 0,
            heads_total=heads_total or 0,
            area=Decimal(c.get("area") or 0),
            area_total=Decimal(area_total or 0),
        )
    return found


_TERM_KINDS = (Election.Kind.FIRST_ASSEMBLY, Election.Kind.REELECTION)
_COMMITTEE_FIELDS = (
    *(f.name for f in Committee._meta.concrete_fields),
    "election__stage",
)


def _outgoing(election: Election, committees: list[Committee]) -> Committee | None:
    from elections.lifecycle.state import pick_outgoing

    return pick_outgoing(election, committees)


def _replaces(election: Election, committee: Committee) -> bool:
    """A done election that elected the successor of ``committee`` (not the committee's own)."""
    if election.pk == committee.election_id:
        return False
    if election.stage != Stage.DONE or election.kind not in _TERM_KINDS:
        return False
    day = election.decided_on or election.filed_on
    return day is not None and day >= committee.term_start


def most_relevant(elections: Sequence[Election]) -> Election:
    """The election a board shows when a compound has several under way: a live vote first, then
    the one furthest along, then the newest. A newly started election never hides a running vote.
    `elections` come newest first."""
    return min(
        enumerate(elections),
        key=lambda pair: (pair[1].stage != Stage.VOTING, -_STAGE_ORDER.get(pair[1].stage, -1), pair[0]),
    )[1]


def board_rows(
    compounds: QuerySet[Compound],
    *,
    today: date | None = None,
    calendar: timeline.HolidayCalendar | None = None,
) -> list[BoardRow]:
    """One row per compound of ``compounds`` (already scoped), in a fixed number of queries."""
    today = today or timezone.localdate()
    calendar = calendar if calendar is not None else default_calendar()
    base = compounds.values("pk")
    rows_compounds = list(_annotated(compounds))

    committees: dict[int, Committee] = {}
    elected: dict[int, Committee] = {}  # election id → the committee it elected
    # Every committee of the compounds (a handful each over the years): the one in office, the one
    # each running election elected, and the one a running re-election replaces.
    compound_committees: dict[int, list[Committee]] = defaultdict(list)
    for c in (
        Committee.objects.filter(compound__in=base)
        .select_related("election")
        .only(*_COMMITTEE_FIELDS)
        .order_by("compound_id", "-term_start", "-pk")
    ):
        compound_committees[c.compound_id].append(c)
        if c.election_id is not None and c.election.stage not in CLOSED_STAGES:
            elected[c.election_id] = c
        if c.ended_on is None and c.compound_id not in committees:
            committees[c.compound_id] = c

    by_compound: dict[int, list[Election]] = defaultdict(list)
    for e in (
        Election.objects.filter(compound__in=base)
        .defer("result", "chain_head")
        .order_by("compound_id", "-created_at", "-pk")
    ):
        by_compound[e.compound_id].append(e)

    current: dict[int, Election] = {}
    last: dict[int, Election] = {}
    for compound_id, elections in by_compound.items():
        open_ = [e for e in elections if e.stage not in CLOSED_STAGES]
        if open_:
            current[compound_id] = most_relevant(open_)
        elif elections:
            last[compound_id] = elections[0]

    turnouts = _turnouts([e for e in current.values() if e.stage == Stage.VOTING])

    waiting: dict[int, list[AssemblyProposal]] = defaultdict(list)
    for proposal in AssemblyProposal.objects.filter(
        compound__in=base, status=AssemblyProposal.Status.REACHED
    ).order_by("reached_at", "pk"):
        waiting[proposal.compound_id].append(proposal)

    interim: dict[int, PropertyCommittee] = {
        p.compound_id: p
        for p in PropertyCommittee.objects.filter(compound__in=base, dissolved_on__isnull=True)
    }
    # The compounds as a subquery, as every query above: their ids as parameters (5,000 in a
    # district) cost more to build than the queries take.
    deadlines: dict[int, list[DeadlineRow]] = defaultdict(list)
    for d in deadline_rows(base, today=today, open_only=True, calendar=calendar):
        deadlines[d.compound_id].append(d)
    escalated: dict[int, list[Escalation]] = defaultdict(list)
    for esc in open_escalations(base):
        escalated[esc.compound_id].append(esc)

    rows: list[BoardRow] = []
    for compound in rows_compounds:
        street = compound.community.street
        committee = committees.get(compound.pk)
        if committee is None:
            status, start_by = TermStatus.NONE, None
        else:
            alert, start_by = timeline.reelection_alert(committee.term_end, profile_for_street(street), today)
            status = alert.value
        election = current.get(compound.pk)
        milestones = (
            election_milestones(
                election,
                calendar=calendar,
                today=today,
                committee=elected.get(election.pk),
                outgoing=_outgoing(election, compound_committees.get(compound.pk, [])),
            )
            if election is not None
            else []
        )
        history = by_compound.get(compound.pk, [])
        rows.append(
            BoardRow(
                compound=compound,
                street=street,
                committee=committee,
                term_status=status,
                start_by=start_by,
                election=election,
                last_election=last.get(compound.pk),
                milestones=milestones,
                turnout=turnouts.get(election.pk) if election is not None else None,
                has_branch=bool(compound.has_branch),
                today=today,
                reelections_done_this_year=sum(
                    1
                    for e in history
                    if e.kind == Election.Kind.REELECTION
                    and e.stage == Stage.DONE
                    and e.filed_on is not None
                    and e.filed_on.year == today.year
                ),
                open_elections=sum(1 for e in history if e.stage not in CLOSED_STAGES),
                committee_election_under_way=any(
                    e.stage not in CLOSED_STAGES and e.kind != Election.Kind.MATTERS_ONLY for e in history
                ),
                term_reelection_done=committee is not None and any(_replaces(e, committee) for e in history),
                proposals=waiting.get(compound.pk, []),
                property_committee=interim.get(compound.pk),
                open_deadlines=deadlines.get(compound.pk, []),
                escalations=escalated.get(compound.pk, []),
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    count: int
    total: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.total) if self.total else None

    @property
    def percent(self) -> str:
        return percent(self.count, self.total)

    @property
    def width(self) -> int:
        return whole_percent(self.share)


@dataclass(frozen=True)
class Figures:
    """The headline counts of the weekly report (the wall chart)."""

    compounds: int
    with_committee: int
    reelections_done: int  # this year
    under_way: int
    due_to_start: int  # this calendar year (see the module docstring)
    overdue: int
    alert: int  # in the alert window today
    late: int  # elections under way with a late milestone
    voting: int
    party_branch: Coverage
    committee: Coverage
    property_manager: Coverage
    all_three: Coverage  # 三覆盖
    under_property_committee: int = 0  # compounds under a 物管会
    overdue_deadlines: int = 0  # filings and handovers past their day
    escalated: int = 0  # compounds with an escalation the street office must act on

    def as_counts(self) -> list[tuple[str, int]]:
        """(key, number) in the order the report lists them."""
        return [
            ("compounds", self.compounds),
            ("with_committee", self.with_committee),
            ("reelections_done", self.reelections_done),
            ("under_way", self.under_way),
            ("due_to_start", self.due_to_start),
            ("overdue", self.overdue),
            ("alert", self.alert),
            ("late", self.late),
            ("under_property_committee", self.under_property_committee),
            ("overdue_deadlines", self.overdue_deadlines),
            ("escalated", self.escalated),
        ]

    def as_coverage(self) -> list[tuple[str, Coverage]]:
        return [
            ("party_branch", self.party_branch),
            ("committee", self.committee),
            ("property_manager", self.property_manager),
            ("all_three", self.all_three),
        ]


def figures(rows: Iterable[BoardRow]) -> Figures:
    rows = list(rows)
    n = len(rows)
    return Figures(
        compounds=n,
        with_committee=sum(r.has_committee for r in rows),
        reelections_done=sum(r.reelections_done_this_year for r in rows),
        under_way=sum(r.open_elections for r in rows),
        due_to_start=sum(r.due_this_year for r in rows),
        overdue=sum(r.term_status == TermStatus.OVERDUE for r in rows),
        alert=sum(r.term_status == TermStatus.ALERT for r in rows),
        late=sum(r.late for r in rows),
        voting=sum(r.election is not None and r.election.stage == Stage.VOTING for r in rows),
        party_branch=Coverage(sum(r.has_branch for r in rows), n),
        committee=Coverage(sum(r.has_committee for r in rows), n),
        property_manager=Coverage(sum(r.has_manager for r in rows), n),
        all_three=Coverage(sum(r.all_three for r in rows), n),
        under_property_committee=sum(r.property_committee is not None for r in rows),
        overdue_deadlines=sum(len(r.overdue_deadlines) for r in rows),
        escalated=sum(1 for r in rows if any(e.status == Escalation.Status.OPEN for e in r.escalations)),
    )


def figures_by_street(rows: Iterable[BoardRow]) -> list[tuple[Street, Figures]]:
    """The figures of each street, in street name order (the district roll-up)."""
    grouped: dict[int, list[BoardRow]] = defaultdict(list)
    streets: dict[int, Street] = {}
    for row in rows:
        grouped[row.street.pk].append(row)
        streets[row.street.pk] = row.street
    return [
        (streets[pk], figures(grouped[pk])) for pk in sorted(grouped, key=lambda pk: (streets[pk].name, pk))
    ]


# ---------------------------------------------------------------------------------------------
# Filter, search and sort (server side, so that it works without JavaScript)
# ---------------------------------------------------------------------------------------------

SORTS = ("code", "name", "term_end", "status", "stage", "deadline", "turnout")
_STATUS_ORDER = {TermStatus.OVERDUE: 0, TermStatus.ALERT: 1, TermStatus.NONE: 2, TermStatus.IN_OFFICE: 3}
_STAGE_ORDER = {value: i for i, value in enumerate(Stage.values)}
_FAR = date.max


def _sort_key(name: str):
    if name == "name":
        return lambda r: (r.compound.name, r.compound.code)
    if name == "term_end":
        return lambda r: (r.term_end or _FAR, r.compound.code)
    if name == "status":
        return lambda r: (_STATUS_ORDER[r.term_status], r.term_end or _FAR, r.compound.code)
    if name == "stage":
        return lambda r: (
            _STAGE_ORDER.get(r.election.stage, 99) if r.election else 99,
            r.compound.code,
        )
    if name == "deadline":
        return lambda r: (
            not r.late,
            r.next_deadline_date or _FAR,
            r.compound.code,
        )
    if name == "turnout":
        return lambda r: (
            -(r.turnout.heads_share or 0) if r.turnout else 1,
            r.compound.code,
        )
    return lambda r: r.compound.code


def filter_rows(
    rows: Iterable[BoardRow],
    *,
    q: str = "",
    status: str = "",
    stage: str = "",
    late: bool = False,
    sort: str = "code",
    descending: bool = False,
) -> list[BoardRow]:
    """The rows that match the search (name or code), the term status, the stage and lateness."""
    needle = q.strip().casefold()
    found = []
    for r in rows:
        if needle and needle not in r.compound.name.casefold() and needle not in r.compound.code.casefold():
            continue
        if status and r.term_status != status:
            continue
        if stage == "none" and r.election is not None:
            continue
        if stage == "any" and r.election is None:
            continue
        if stage not in ("", "none", "any") and (r.election is None or r.election.stage != stage):
            continue
        if late and not r.late:
            continue
        found.append(r)
    found.sort(key=_sort_key(sort if sort in SORTS else "code"), reverse=descending)
    return found
