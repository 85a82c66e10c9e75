"""Reading an election: its stage order, its profile and rule overrides, its key dates and timeline,
why its result did not succeed, its committee, and the street's re-election alerts. No writes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.calendar import db_calendar
from elections.errors import P, Problem
from elections.models import (
    Committee,
    Election,
    Stage,
)
from elections.rules import timeline as tl
from elections.rules.assembly import FirstAssemblyCheck, first_assembly_check
from grids.models import Compound, Unit
from grids.roll import counted_units

Kind = Election.Kind


#: Kinds that elect an owners' committee and are subject to the constitution rule (RULES §5).
COMMITTEE_KINDS = (Kind.FIRST_ASSEMBLY, Kind.REELECTION)


#: Stages in which the matters and races, the rules and the voting window may still change.
SETUP_STAGES = (
    Stage.STARTED,
    Stage.WORKING_GROUP,
    Stage.NOTICE,
    Stage.NOMINATION,
    Stage.VETTING,
    Stage.CANDIDATE_NOTICE,
)


STAGE_ORDER = [
    Stage.STARTED,
    Stage.WORKING_GROUP,
    Stage.NOTICE,
    Stage.NOMINATION,
    Stage.VETTING,
    Stage.CANDIDATE_NOTICE,
    Stage.VOTING,
    Stage.COUNTING,
    Stage.RESULT_NOTICE,
    Stage.FILING,
    Stage.DONE,
]


#: The profile's values an election's rules of procedure may override (not the statutory ones).
PROFILE_RULES = tl.Profile.overridable_names()


RESTART_AT = ("notice", "nomination")


def street_profile_key(compound: Compound) -> str:
    key = compound.community.street.profile
    return key if key in tl.PROFILES else "national"


def effective_profile(election: Election) -> tl.Profile:
    """The regional profile of the election with its rules of procedure applied (议事规则)."""
    profile = tl.PROFILES.get(election.profile) or tl.get_profile("national")
    for name, entry in (election.rule_overrides or {}).items():
        if name.startswith("_") or name not in PROFILE_RULES or not isinstance(entry, dict):
            continue
        profile = profile.with_overrides(reason=str(entry.get("reason") or "—"), **{name: entry.get("value")})
    return profile


def overrides_of(election: Election) -> dict[str, dict]:
    """The timeline overrides the rules of procedure make, without the bookkeeping keys."""
    return {
        name: entry
        for name, entry in (election.rule_overrides or {}).items()
        if not name.startswith("_") and name in PROFILE_RULES and isinstance(entry, dict)
    }


@dataclass(frozen=True)
class WorkingGroupMakeup:
    """What the street office vets (三关): how many members, how many party members, from where."""

    members: int
    party_members: int
    by_affiliation: dict[str, int]
    names: list[str]
    target: Fraction  # the street's advisory party share

    @property
    def party_share(self) -> Fraction | None:
        return Fraction(self.party_members, self.members) if self.members else None

    @property
    def party_percent(self) -> str:
        share = self.party_share
        if share is None:
            return "—"
        tenths = math.floor(share * 1000 + Fraction(1, 2))
        return f"{tenths // 10}.{tenths % 10}%"

    @property
    def meets_target(self) -> bool:
        return self.party_share is not None and self.party_share >= self.target

    @property
    def target_percent(self) -> int:
        return math.floor(self.target * 100 + Fraction(1, 2))


def working_group_makeup(election: Election) -> WorkingGroupMakeup:
    members = list(election.working_group.all())
    by_affiliation: dict[str, int] = {}
    for m in members:
        by_affiliation[m.affiliation] = by_affiliation.get(m.affiliation, 0) + 1
    return WorkingGroupMakeup(
        members=len(members),
        party_members=sum(1 for m in members if m.party_member),
        by_affiliation=by_affiliation,
        names=[m.name for m in members],
        target=Fraction(election.compound.community.street.party_share_target),
    )


def committee_of(election: Election) -> Committee | None:
    try:
        return election.committee
    except Committee.DoesNotExist:
        return None


def local_date(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


LOOK_UP = object()


def outgoing_committee(election: Election) -> Committee | None:
    """The committee a re-election replaces: the compound's latest committee whose term started
    before the re-election's working group was formed (or the election was created), other than
    the one this election elected."""
    if election.kind != Kind.REELECTION:
        return None
    return pick_outgoing(election, Committee.objects.filter(compound_id=election.compound_id))


def pick_outgoing(election: Election, committees) -> Committee | None:
    """Of the compound's committees (already loaded, e.g. by the street board), the one a
    re-election replaces (see :func:`outgoing_committee`)."""
    if election.kind != Kind.REELECTION:
        return None
    before = election.working_group_formed_on or timezone.localdate(election.created_at)
    found = [
        c
        for c in committees
        if c.compound_id == election.compound_id and c.term_start < before and c.election_id != election.pk
    ]
    return max(found, key=lambda c: (c.term_start, c.pk), default=None)


def key_dates(
    election: Election, committee=LOOK_UP, *, with_term: bool = True, outgoing=LOOK_UP
) -> tl.KeyDates:
    """The timeline's key dates of an election and of the committee it elected.

    Pass `committee` (or None) when the caller already has it, to save the query; likewise
    `outgoing`, the committee a re-election replaces (its alert starts the 换届小组's period).
    `with_term=False` leaves the committee's term out: its end belongs to the next re-election
    (the street board).
    """
    if committee is LOOK_UP:
        committee = committee_of(election)
    if outgoing is LOOK_UP:
        outgoing = outgoing_committee(election)
    term = committee if with_term else None
    return tl.KeyDates(
        working_group_formed=election.working_group_formed_on,
        working_group_published=election.working_group_published_on,
        assembly_notice_published=election.notice_published_on,
        candidate_notice_start=election.candidate_notice_start,
        candidate_notice_end=election.candidate_notice_end,
        voting_opens=local_date(election.voting_opens_at),
        voting_closes=local_date(election.voting_closes_at),
        decided=election.decided_on,
        result_published=election.result_published_on,
        objection_window_end=election.objection_window_end,
        first_meeting=committee.first_meeting_on if committee else None,
        officers_published=committee.officers_published_on if committee else None,
        filed=election.filed_on,
        term_start=term.term_start if term else None,
        term_end=term.term_end if term else None,
        handover_done=term.handed_over_on if term else None,
        previous_term_end=outgoing.term_end if outgoing is not None else None,
    )


#: Milestones that do not apply to a vote on matters only (no candidates, no committee).
NOT_FOR_MATTERS = {
    "candidate_notice_start",
    "candidate_notice_end",
    "first_meeting",
    "officers_published",
    "reelection_start",
    "handover",
}


@dataclass
class TimelineView:
    milestones: list[tl.Milestone]
    violations: list[tl.Violation]
    warnings: list[tl.Text]
    profile: tl.Profile


def election_timeline(
    election: Election, *, today: date | None = None, calendar: tl.HolidayCalendar | None = None
) -> TimelineView:
    """The election's milestones, the requirements its dates break and the holiday-data warnings."""
    today = today or timezone.localdate()
    calendar = calendar if calendar is not None else db_calendar()
    profile = effective_profile(election)
    kd = key_dates(election)
    options = {
        "temporary_meeting": election.temporary_meeting,
        "first_assembly": election.kind == Kind.FIRST_ASSEMBLY,
    }
    milestones = tl.compute_timeline(kd, profile, calendar, today, **options)
    # A scheduled opening or close is a plan, not a deed: until it has happened the milestone it
    # completes is still to do (the pure timeline cannot tell a schedule from a record).
    not_yet = {"first_assembly"} if election.roll_frozen_at is None else set()
    if election.stage in SETUP_STAGES or election.stage == Stage.VOTING:
        not_yet.add("voting_closes")
    milestones = [
        as_planned(m, today, planned=m.key == "voting_closes")
        if m.key in not_yet and m.done_on is not None
        else m
        for m in milestones
    ]
    if election.kind in (Kind.MATTERS_ONLY, Kind.BY_ELECTION):
        skip = NOT_FOR_MATTERS if election.kind == Kind.MATTERS_ONLY else {"reelection_start", "handover"}
        milestones = [m for m in milestones if m.key not in skip]
    found = tl.violations(kd, profile, calendar, **options)
    warnings: list[tl.Text] = []
    for item_warnings in [*(m.warnings for m in milestones), *(v.warnings for v in found)]:
        for warning in item_warnings:
            if warning not in warnings:
                warnings.append(warning)
    return TimelineView(milestones=milestones, violations=found, warnings=warnings, profile=profile)


def as_planned(milestone: tl.Milestone, today: date, *, planned: bool = False) -> tl.Milestone:
    """A milestone whose date is a plan (a scheduled close), not a deed. With ``planned`` the plan
    is the deadline staff and owners work to (the close owners were told), not the rule's limit:
    the overview's next deadline then matches what owners see."""
    due = milestone.due
    if planned and milestone.done_on is not None and (due is None or milestone.done_on <= due):
        due = milestone.done_on
    if due is None:
        status = tl.MilestoneStatus.NOT_YET_KNOWN
    else:
        status = tl.MilestoneStatus.DUE if today <= due else tl.MilestoneStatus.OVERDUE
    return replace(milestone, due=due, done_on=None, status=status)


def next_deadline(view: TimelineView) -> tl.Milestone | None:
    """The earliest milestone still to be done (overdue first)."""
    open_ = [
        m
        for m in view.milestones
        if m.due is not None and m.status in ("due", "overdue") and m.key != "reelection_start"
    ]
    return min(open_, key=lambda m: m.due or date.max) if open_ else None


def committee_size_rules(election: Election, profile: tl.Profile | None = None) -> tuple[int, int, bool]:
    """(smallest, largest, must be odd) committee for this election's compound.

    A profile that lets small compounds elect fewer members lowers the minimum when the compound is
    within its limit: 杭州 and 北京 by households (at most 100 counted residential units), 上海 by
    area (at most 10,000 ㎡ of counted area). "At most" includes the limit (民法典 第1259条).
    """
    p = profile or effective_profile(election)
    low = p.committee_size_min.value
    small = p.small_compound_committee_size.value
    households, area = p.small_compound_max_households.value, p.small_compound_max_area.value
    if small is not None and small < low and (households is not None or area is not None):
        units = counted_units(election.compound)
        if (
            households is not None
            and units.filter(kind=Unit.Kind.RESIDENTIAL).count() <= households
            or area is not None
            and (units.aggregate(total=Sum("area"))["total"] or Decimal(0)) <= area
        ):
            low = small
    return low, p.committee_size_max.value, p.committee_size_odd.value


def result_problems(election: Election) -> list[Problem]:
    """Why the tallied result does not succeed: quorum not met, or a committee not constituted."""
    result = election.result
    if not result:
        return []
    problems = []
    if not result.get("participation", {}).get("quorum_met"):
        problems.append(
            P(
                "quorum_not_met",
                _(
                    "Fewer owners took part than the quorum requires (%(quorum)s of the area and of the owners): "
                    "the vote did not succeed."
                )
                % {"quorum": f"{election.quorum_numerator}/{election.quorum_denominator}"},
            )
        )
        return problems
    if election.kind in COMMITTEE_KINDS:
        low, _high, _odd = committee_size_rules(election)
        for race in election.races.all():
            entry = result.get("races", {}).get(race.key)
            elected = len(entry["elected"]) if entry else 0
            if elected < low or 2 * elected <= race.seats:
                problems.append(
                    P(
                        "committee_not_constituted",
                        _(
                            "%(race)s: %(elected)s elected of %(seats)s seats; a committee needs at least "
                            "%(low)s members and more than half of the seats, so it is not constituted."
                        )
                        % {"race": race.title, "elected": elected, "seats": race.seats, "low": low},
                    )
                )
    return problems


#: Stages in which a restarted election's new assembly notice may be published without moving on.
RENOTICE_STAGES = (Stage.NOMINATION, Stage.VETTING, Stage.CANDIDATE_NOTICE)


def renotice(election: Election) -> bool:
    """A restart at nomination whose new assembly notice is still to be published."""
    return (
        election.stage in RENOTICE_STAGES
        and election.notice_published_on is None
        and bool((election.rule_overrides or {}).get("_restart_of"))
    )


#: Why ``silent_majority`` cannot be turned on yet (the settings form shows it next to the box).
SILENT_MAJORITY_UNSUPPORTED = gettext_lazy(
    "Not supported yet: counting the owners who did not vote with the majority needs proof that "
    "each household's ballot was delivered. Keep the default setting (not counted)."
)


def sitting_committee(compound_id: int) -> Committee | None:
    """The committee in office: not ended, and filed or registered by hand."""
    return (
        Committee.objects.filter(compound_id=compound_id, ended_on__isnull=True)
        .exclude(filed_on__isnull=True, election__isnull=False)
        .order_by("-term_start")
        .first()
    )


ATTEMPT = re.compile(r"（第\d+次）$")


def restart_title(title: str, attempt: int) -> str:
    base = ATTEMPT.sub("", title).strip()
    suffix = f"（第{attempt}次）"
    return base[: 200 - len(suffix)] + suffix


def restart_links(election: Election) -> tuple[int | None, int | None]:
    """(the election this one restarts, the election that restarted this one)."""
    rules = election.rule_overrides or {}
    return rules.get("_restart_of"), rules.get("_restarted_as")


def committee_status(committee: Committee) -> str:
    """``ended``, ``in_office``, or ``elected`` (on the register, waiting for its filing)."""
    if committee.ended_on is not None:
        return "ended"
    if committee.election_id is not None and committee.filed_on is None:
        return "elected"
    return "in_office"


@dataclass
class ReelectionRow:
    committee: Committee
    status: tl.ReelectionStatus
    start_by: date
    election_under_way: bool = False
    profile: str = ""
    members: list = field(default_factory=list)


def reelection_alerts(
    committees, *, today: date | None = None, open_compounds: set[int] | None = None
) -> list[ReelectionRow]:
    """Committees in office whose re-election is due (alert) or overdue (应换未换), most urgent first."""
    today = today or timezone.localdate()
    rows = []
    for committee in committees:
        if committee_status(committee) != "in_office":
            continue
        profile = tl.PROFILES.get(committee.compound.community.street.profile) or tl.get_profile("national")
        status, start_by = tl.reelection_alert(committee.term_end, profile, today)
        if status == tl.ReelectionStatus.IN_OFFICE:
            continue
        rows.append(
            ReelectionRow(
                committee=committee,
                status=status,
                start_by=start_by,
                election_under_way=committee.compound_id in (open_compounds or set()),
                profile=profile.label,
            )
        )
    rows.sort(key=lambda r: (r.status != tl.ReelectionStatus.OVERDUE, r.committee.term_end))
    return rows


def case_file_wanted(election: Election, view: TimelineView | None = None) -> bool:
    """A case file belongs to an election that failed or has an overdue milestone (or has one)."""
    if election.stage == Stage.FAILED or election.case_steps.exists():
        return True
    view = view or election_timeline(election)
    return any(m.status == tl.MilestoneStatus.OVERDUE for m in view.milestones if m.key != "reelection_start")


def rule_label(name: str) -> str:
    """A timeline rule's name the way staff say it."""
    labels = {
        "working_group_publish_days": _("Working group list published within (days of forming)"),
        "first_assembly_days": _("First assembly held within (days of forming)"),
        "notice_days": _("Assembly notice at least (days before voting)"),
        "temporary_meeting_notice_days": _("Temporary meeting notice at least (days before voting)"),
        "candidate_notice_min_days": _("Candidate notice at least (days)"),
        "candidate_notice_start_days_before_voting": _(
            "Candidate notice posted at least (days before voting)"
        ),
        "result_publish_days": _("Result published within (days of the count)"),
        "objection_window_days": _("Objection window at least (days)"),
        "first_meeting_days": _("Committee's first meeting within (days of the election)"),
        "officers_publish_days": _("Officers published within (days of the first meeting)"),
        "filing_days": _("Filing within (days of the election)"),
        "reelection_months_before": _("Re-election starts (months before the term ends)"),
        "term_years_min": _("Shortest term (years)"),
        "term_years_max": _("Longest term (years)"),
        "handover_days": _("Records and seal handed over within (days of the term's end)"),
        "committee_size_min": _("Smallest committee (members)"),
        "committee_size_max": _("Largest committee (members)"),
        "committee_size_odd": _("Committee size must be odd"),
        "small_compound_committee_size": _("Committee size of a small compound (members)"),
        "small_compound_max_households": _("Small compound: at most (households)"),
        "small_compound_max_area": _("Small compound: at most (square metres)"),
        "term_years": _("Term of this committee (years)"),
        "voting_days_min": _("Voting window at least (days)"),
        "voting_days_max": _("Voting window at most (days)"),
        "proxy_principals_max": _("Owners one proxy may represent"),
        "first_assembly_delivered_percent": _(
            "First assembly: delivered area at least (percent of the total)"
        ),
        "first_assembly_years_since_delivery": _("First assembly: years since the first delivery"),
        "working_group_odd": _("Working group size must be odd"),
        "working_group_owner_percent_min": _("Working group: owners' representatives at least (percent)"),
        "working_group_leaders": _("Working group led by"),
        "reelection_group_days": _("Re-election working group formed within (days of the alert)"),
        "city_platform": _("Online votes only on the city's e-voting platform"),
        "property_committee_term_years_max": _("Property management committee: longest term (years)"),
        "property_committee_members_min": _("Property management committee: fewest members"),
        "change_filing_days": _("Committee changes filed within (days of the change)"),
        "member_handover_days": _("A departing member hands over within (days of leaving)"),
        "escalation_term_days": _("Escalated to the street office after the term expired by (days)"),
        "escalation_stalled_days": _("Escalated to the street office after a deadline overdue by (days)"),
        "vacancy_filing_days": _("An alternate's move-up filed within (days of its notice's end)"),
        "outgoing_committee_major_matters_barred": _(
            "During a re-election the outgoing committee puts no major matters to the assembly"
        ),
    }
    return labels.get(name, name)


def stage_index(stage: str) -> int:
    order = [str(s) for s in STAGE_ORDER]
    return order.index(stage) if stage in order else -1


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def challenge_window(election: Election) -> tuple[date, date] | None:
    """(from, last day) of an owner's year to ask a court to revoke the decision (民法典 第280条第二款;
    最高人民法院 建筑物区分所有权解释 第12条: "知道或者应当知道…之日起一年内").

    Counted from the day the result was published (when owners should have known of it), else
    from the day of the count; the starting day is not counted and a year ends on the same date
    of the next year, moved past rest days (民法典 第201–203条). An owner who learnt of it later
    counts from that day: the page says so.
    """
    start = election.result_published_on or election.decided_on
    if start is None:
        return None
    nominal = tl.add_years(start, 1)
    end = tl.period_end(nominal, 0, db_calendar()).due
    return start, end


def first_assembly_exception_of(election: Election):
    """The street office's recorded exception to the first assembly's conditions, if any: recorded
    on this election or on the failed election it restarts (a restart is the same assembly called
    again, on the same footing)."""
    from elections.models import FirstAssemblyException

    ids = [election.pk]
    restart_of = (election.rule_overrides or {}).get("_restart_of")
    while restart_of and restart_of not in ids and len(ids) < 10:
        ids.append(restart_of)
        rules = Election.objects.filter(pk=restart_of).values_list("rule_overrides", flat=True).first()
        restart_of = (rules or {}).get("_restart_of")
    found = {
        e.election_id: e
        for e in FirstAssemblyException.objects.filter(election_id__in=ids).select_related("recorded_by")
    }
    return next((found[pk] for pk in ids if pk in found), None)


def first_assembly_status(election: Election, on: date | None = None) -> FirstAssemblyCheck:
    """The compound's first-assembly conditions on ``on`` (today if left out): the delivered units'
    share of the roll's area (the units that count toward the roll, as grids.roll counts them) and
    the years since the first delivery."""
    on = on or timezone.localdate()
    units = counted_units(election.compound)
    cents = Decimal("0.01")
    total = Decimal(units.aggregate(total=Sum("area"))["total"] or 0).quantize(cents)
    delivered = Decimal(
        units.filter(status=Unit.Status.DELIVERED).aggregate(total=Sum("area"))["total"] or 0
    ).quantize(cents)
    return first_assembly_check(
        delivered_area=delivered,
        total_area=total,
        first_delivery=election.compound.first_delivered_on,
        on=on,
        profile=effective_profile(election),
    )
