"""The life of an election, for staff: setting it up and moving it through its stages.

Stages (``elections.models.Stage``, RULES.md §5–§6)::

    started → working_group → notice → nomination → vetting → candidate_notice → voting
            → counting → result_notice → filing → done
    (any open stage) → failed → restart (a new election) at "notice" or at "nomination"

A stage names the step that has been taken: ``notice`` means the assembly notice is out and the
notice period runs; ``result_notice`` means the tally is in and its result is (to be) posted for
objections. An election of kind ``matters_only`` skips nomination, vetting and the candidate
notice and opens voting from ``notice``.

Every transition is one service here (keyword-only, one transaction) that checks its
preconditions, moves the stage with a conditional ``UPDATE … WHERE stage = <the stage it checked>``
that must touch exactly one row (so of two clicks, two tabs or a click and the Celery task, one
wins and the other gets a message), and writes an ``election.stage`` audit row with ``from``/``to``,
who and when. A refused transition raises :class:`~elections.services.ElectionError` whose message
says what to do; :func:`blockers` lists the same reasons for the page before anyone clicks.

The close of voting (:func:`voting_close`) is what the task at ``voting_closes_at`` calls: it is
safe to run twice and late. It first moves ``voting → counting`` in its own transaction (no ballot
is accepted from then on), then tallies and moves ``counting → result_notice``; a crash in between
leaves ``counting``, and the next call finishes the count. The result is always posted
(``result_notice``), whether or not the election succeeded: owners must see a failed result too.
Staff then mark a failed election ``failed`` with the reason (:func:`election_fail`).

**Restart design.** A restart creates a *new* election and leaves the failed one untouched
(stage ``failed``, its frozen roll, ballots, chain head and result as they were). Voters and
ballots belong to an election, and the one-valid-ballot constraint, the hash chain and the
published bundle are per election, so a second round in the same row would either have to delete
ballots (the log must stay append-only) or mix two rounds in one chain and one roll. A new row keeps
each round recountable on its own. The new election copies the kind, rules and working group, is
titled "…（第N次）" (N = the attempt), carries ``restart_count`` + 1 and
``rule_overrides["_restart_of"]`` = the failed election's id (no model field exists for it; keys
starting with ``_`` are bookkeeping, never a timeline rule), and the failed one gets
``rule_overrides["_restarted_as"]``. A restart at ``notice`` copies matters and races (editable
again, the notice must be published anew); a restart at ``nomination`` keeps the published
matters, races, nominations and candidates ("withdraws nothing") and reopens nominations. Either way
the new election starts without an assembly notice: the failed election's notice announced the
failed election's voting window, and a new vote is a new meeting that owners must be told of at
least 15 days ahead (物业管理条例 第14条). After a restart at ``nomination`` staff publish the new
notice while the election is at nomination, vetting or the candidate notice (the stage stays);
:func:`voting_open` refuses until it is out, and the timeline measures the notice period from it.

Also here: the election's setup (settings and rule overrides, working group, matters and races), the
committee register (:class:`~elections.models.Committee`) and the six-step case file
(:class:`~elections.models.CaseStep`), since they are the same staff's writes on the same rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.calendar import db_calendar
from elections.errors import ElectionError
from elections.models import (
    Candidate,
    CaseStep,
    Committee,
    CommitteeMember,
    Election,
    Matter,
    Nomination,
    Objection,
    Race,
    Stage,
    VettingFlag,
    WorkingGroupMember,
)
from elections.rules import timeline as tl
from elections.services import election_tally, roll_freeze
from grids.models import Compound, Unit
from grids.roll import counted_units
from grids.selectors import managed_compounds
from yezhu.actors import actor_label, defers_to_staff, is_system, require_actor
from yezhu.audit.log import record

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
PROFILE_RULES = tl.Profile.rule_names()
RESTART_AT = ("notice", "nomination")


# ---------------------------------------------------------------------------------------------
# Reading an election's rules and dates
# ---------------------------------------------------------------------------------------------


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


def committee_of(election: Election) -> Committee | None:
    try:
        return election.committee
    except Committee.DoesNotExist:
        return None


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


_LOOK_UP = object()


def key_dates(election: Election, committee=_LOOK_UP, *, with_term: bool = True) -> tl.KeyDates:
    """The timeline's key dates of an election and of the committee it elected.

    Pass `committee` (or None) when the caller already has it, to save the query. `with_term=False`
    leaves the committee's term out: its end belongs to the next re-election (the street board).
    """
    if committee is _LOOK_UP:
        committee = committee_of(election)
    term = committee if with_term else None
    return tl.KeyDates(
        working_group_formed=election.working_group_formed_on,
        working_group_published=election.working_group_published_on,
        assembly_notice_published=election.notice_published_on,
        candidate_notice_start=election.candidate_notice_start,
        candidate_notice_end=election.candidate_notice_end,
        voting_opens=_local_date(election.voting_opens_at),
        voting_closes=_local_date(election.voting_closes_at),
        decided=election.decided_on,
        result_published=election.result_published_on,
        objection_window_end=election.objection_window_end,
        first_meeting=committee.first_meeting_on if committee else None,
        officers_published=committee.officers_published_on if committee else None,
        filed=election.filed_on,
        term_start=term.term_start if term else None,
        term_end=term.term_end if term else None,
        handover_done=term.handed_over_on if term else None,
    )


#: Milestones that do not apply to a vote on matters only (no candidates, no committee).
_NOT_FOR_MATTERS = {
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
    warnings: list[str]
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
        _as_planned(m, today) if m.key in not_yet and m.done_on is not None else m for m in milestones
    ]
    if election.kind in (Kind.MATTERS_ONLY, Kind.BY_ELECTION):
        skip = _NOT_FOR_MATTERS if election.kind == Kind.MATTERS_ONLY else {"reelection_start", "handover"}
        milestones = [m for m in milestones if m.key not in skip]
    found = tl.violations(kd, profile, calendar, **options)
    warnings: list[str] = []
    for item in [*milestones, *found]:
        for warning in item.warnings:
            if warning not in warnings:
                warnings.append(warning)
    return TimelineView(milestones=milestones, violations=found, warnings=warnings, profile=profile)


def _as_planned(milestone: tl.Milestone, today: date) -> tl.Milestone:
    if milestone.due is None:
        status = tl.MilestoneStatus.NOT_YET_KNOWN
    else:
        status = tl.MilestoneStatus.DUE if today <= milestone.due else tl.MilestoneStatus.OVERDUE
    return replace(milestone, done_on=None, status=status)


def next_deadline(view: TimelineView) -> tl.Milestone | None:
    """The earliest milestone still to be done (overdue first)."""
    open_ = [
        m
        for m in view.milestones
        if m.due is not None and m.status in ("due", "overdue") and m.key != "reelection_start"
    ]
    return min(open_, key=lambda m: m.due) if open_ else None


def committee_size_rules(election: Election, profile: tl.Profile | None = None) -> tuple[int, int, bool]:
    """(smallest, largest, must be odd) committee for this election's compound.

    A profile that lets small compounds elect fewer members (杭州: 3 where at most 100 households)
    lowers the minimum when the compound's counted residential units are within the limit.
    """
    p = profile or effective_profile(election)
    low = p.committee_size_min.value
    small, limit = p.small_compound_committee_size.value, p.small_compound_max_households.value
    if small is not None and limit is not None and small < low:
        households = counted_units(election.compound).filter(kind=Unit.Kind.RESIDENTIAL).count()
        if households <= limit:
            low = small
    return low, p.committee_size_max.value, p.committee_size_odd.value


def result_problems(election: Election) -> list[str]:
    """Why the tallied result does not succeed: quorum not met, or a committee not constituted."""
    result = election.result
    if not result:
        return []
    problems = []
    if not result.get("participation", {}).get("quorum_met"):
        problems.append(
            _(
                "Fewer owners took part than the quorum requires (%(quorum)s of the area and of the owners): "
                "the vote did not succeed."
            )
            % {"quorum": f"{election.quorum_numerator}/{election.quorum_denominator}"}
        )
        return problems
    if election.kind in COMMITTEE_KINDS:
        low, _high, _odd = committee_size_rules(election)
        for race in election.races.all():
            entry = result.get("races", {}).get(race.key)
            elected = len(entry["elected"]) if entry else 0
            if elected < low or 2 * elected <= race.seats:
                problems.append(
                    _(
                        "%(race)s: %(elected)s elected of %(seats)s seats; a committee needs at least "
                        "%(low)s members and more than half of the seats, so it is not constituted."
                    )
                    % {"race": race.title, "elected": elected, "seats": race.seats, "low": low}
                )
    return problems


# ---------------------------------------------------------------------------------------------
# Moving the stage safely
# ---------------------------------------------------------------------------------------------


def _fresh(election: Election) -> Election:
    return Election.objects.select_related("compound__community__street").get(pk=election.pk)


def _check_may_manage(actor, compound_id: int) -> None:
    """A person acting must manage the compound; a system actor that acts anywhere (the scheduler, an
    operator's command) may. An anonymous user is refused like anyone outside the scope."""
    require_actor(actor)
    if is_system(actor):
        if actor.acts_anywhere:
            return
        raise ElectionError(_("You do not run elections in this compound."))
    if (
        not getattr(actor, "is_authenticated", False)
        or not managed_compounds(actor).filter(pk=compound_id).exists()
    ):
        raise ElectionError(_("You do not run elections in this compound."))


def _require(problems: list[str]) -> None:
    if problems:
        raise ElectionError(" ".join(problems))


def _stage_problem(election: Election, *allowed: str) -> list[str]:
    if election.stage in allowed:
        return []
    return [
        _("This cannot be done while the election is at the stage “%(stage)s”.")
        % {"stage": election.get_stage_display()}
    ]


def _audit(action: str, election: Election, *, actor, summary: str, data: dict | None = None) -> None:
    record(
        action,
        actor=actor,
        obj=election,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary=summary,
        data=data or {},
    )


def _move(
    election: Election,
    *,
    to: str,
    actor,
    fields: dict | None = None,
    data: dict | None = None,
) -> None:
    """Move from the stage the caller checked to ``to``: a conditional UPDATE that must hit one row."""
    old = election.stage
    fields = fields or {}
    touched = Election.objects.filter(pk=election.pk, stage=old).update(stage=to, **fields)
    if touched != 1:
        raise ElectionError(
            _("Someone else changed this election a moment ago. Reload the page and check its stage.")
        )
    for name, value in fields.items():
        setattr(election, name, value)
    election.stage = to
    _audit(
        "election.stage",
        election,
        actor=actor,
        summary=f"stage {old} → {to}",
        data={"from": old, "to": to, **(data or {})},
    )


def _update_if(election: Election, *, stage: str, fields: dict, **where) -> None:
    """Change fields only if the election is still at ``stage`` (and matches ``where``)."""
    touched = Election.objects.filter(pk=election.pk, stage=stage, **where).update(**fields)
    if touched != 1:
        raise ElectionError(
            _("Someone else changed this election a moment ago. Reload the page and check its stage.")
        )
    for name, value in fields.items():
        setattr(election, name, value)


def _done(election: Election) -> Election:
    election.refresh_from_db()
    return election


# ---------------------------------------------------------------------------------------------
# Preconditions, one function per transition (the services and `blockers` share them)
# ---------------------------------------------------------------------------------------------


#: Stages in which a restarted election's new assembly notice may be published without moving on.
RENOTICE_STAGES = (Stage.NOMINATION, Stage.VETTING, Stage.CANDIDATE_NOTICE)


def _renotice(election: Election) -> bool:
    """A restart at nomination whose new assembly notice is still to be published."""
    return (
        election.stage in RENOTICE_STAGES
        and election.notice_published_on is None
        and bool((election.rule_overrides or {}).get("_restart_of"))
    )


def _p_notice(election: Election) -> list[str]:
    problems = [] if _renotice(election) else _stage_problem(election, Stage.WORKING_GROUP)
    if election.notice_published_on:
        problems.append(_("The assembly notice is already published."))
    if not election.working_group.exists():
        problems.append(_("Enter the members of the working group first."))
    elif election.working_group_published_on is None:
        problems.append(_("Publish the list of the working group's members first."))
    matters = election.matters.count()
    races = list(election.races.all())
    if election.kind == Kind.MATTERS_ONLY:
        if not matters:
            problems.append(
                _("Add at least one matter to be voted on: only published matters may be voted on.")
            )
    elif not races:
        problems.append(_("Add the seats to be elected (a race) before the notice."))
    else:
        problems.extend(_race_problems(election, races))
    return problems


def _race_problems(election: Election, races: list[Race]) -> list[str]:
    problems = []
    if election.kind not in COMMITTEE_KINDS:
        return problems
    low, high, odd = committee_size_rules(election)
    for race in races:
        message = _seat_problem(race.seats, low, high, odd)
        if message:
            problems.append(f"{race.title}: {message}")
    return problems


def _seat_problem(seats: int, low: int, high: int, odd: bool) -> str:
    if seats < low or seats > high or (odd and seats % 2 == 0):
        if odd:
            return _("a committee has %(low)s to %(high)s members, an odd number.") % {
                "low": low,
                "high": high,
            }
        return _("a committee has %(low)s to %(high)s members.") % {"low": low, "high": high}
    return ""


def _p_nominations(election: Election) -> list[str]:
    problems = _stage_problem(election, Stage.NOTICE)
    if election.kind == Kind.MATTERS_ONLY:
        problems.append(_("A vote on matters only has no candidates: open voting after the notice instead."))
    elif not election.races.exists():
        problems.append(_("Add the seats to be elected (a race) first."))
    return problems


def _p_vetting(election: Election) -> list[str]:
    return _stage_problem(election, Stage.NOMINATION)


def _p_candidate_notice(election: Election) -> list[str]:
    problems = _stage_problem(election, Stage.VETTING)
    for race in election.races.all():
        if not Candidate.objects.filter(race=race).exists():
            problems.append(_("%(race)s has no approved candidate yet.") % {"race": race.title})
    return problems


def _window_problems(election: Election, opens: datetime, closes: datetime) -> list[str]:
    if closes <= opens:
        return [_("Voting must close after it opens.")]
    kd = tl.KeyDates(voting_opens=_local_date(opens), voting_closes=_local_date(closes))
    found = tl.violations(kd, effective_profile(election), db_calendar())
    return [
        _("Voting window refused: %(rule)s (%(source)s).") % {"rule": v.message, "source": v.source}
        for v in found
        if v.key.startswith("voting_window")
    ]


#: Timeline violations that keep voting from opening (the owners' notice periods and the window).
_OPENING_RULES = (
    "assembly_notice_late",
    "candidate_notice_too_short",
    "candidate_notice_ends_late",
    "voting_window_too_short",
    "voting_window_too_long",
)


def _p_open(election: Election, now: datetime) -> list[str]:
    allowed = (Stage.NOTICE,) if election.kind == Kind.MATTERS_ONLY else (Stage.CANDIDATE_NOTICE,)
    problems = _stage_problem(election, *allowed)
    if election.voting_opens_at is None or election.voting_closes_at is None:
        problems.append(_("Schedule the voting window (when voting opens and closes) first."))
        return problems
    if election.notice_published_on is None:
        problems.append(_("Publish the assembly notice first."))
    opening_day = timezone.localtime(election.voting_opens_at).date()
    if timezone.localtime(now).date() < opening_day:
        problems.append(
            _("Voting can be opened on its opening day, %(day)s, not before.")
            % {"day": opening_day.isoformat()}
        )
    if now >= election.voting_closes_at:
        problems.append(_("The scheduled close has passed: schedule a new voting window."))
    if election.roll_frozen_at is not None:
        problems.append(_("The roll of this election is already frozen."))
    waiting = Objection.objects.filter(
        election=election, kind=Objection.Kind.CANDIDATE, answered_at__isnull=True
    ).count()
    if waiting:
        problems.append(
            _(
                "%(n)s objection(s) to candidates filed during the candidate notice have not been answered "
                "yet: answer them on the objections page before voting opens."
            )
            % {"n": waiting}
        )
    view = election_timeline(election)
    for v in view.violations:
        if v.key in _OPENING_RULES:
            problems.append(
                _(
                    "%(rule)s (%(source)s). Reschedule the vote, or record the rule of procedure that allows it."
                )
                % {"rule": v.message, "source": v.source}
            )
    return problems


def _p_close(election: Election, now: datetime, reason: str) -> list[str]:
    problems = _stage_problem(election, Stage.VOTING)
    if (
        not problems
        and election.voting_closes_at is not None
        and now < election.voting_closes_at
        and not reason.strip()
    ):
        problems.append(
            _(
                "Voting closes at %(when)s. Closing earlier needs a decision of the street office "
                "or a court: give it as the reason."
            )
            % {"when": timezone.localtime(election.voting_closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    return problems


def _p_result_publish(election: Election) -> list[str]:
    problems = _stage_problem(election, Stage.RESULT_NOTICE)
    if election.result is None:
        problems.append(_("There is no result yet: close voting first."))
    if election.result_published_on is not None:
        problems.append(_("The result is already published."))
    return problems


def _p_finalise(election: Election, on: date) -> list[str]:
    problems = _stage_problem(election, Stage.RESULT_NOTICE)
    if election.result_published_on is None or election.objection_window_end is None:
        problems.append(_("Publish the result first: the objection window runs from its publication."))
    elif on <= election.objection_window_end:
        problems.append(
            _("The objection window runs until the end of %(day)s; the result becomes final after it.")
            % {"day": election.objection_window_end.isoformat()}
        )
    open_objections = Objection.objects.filter(
        election=election, kind=Objection.Kind.RESULT, answered_at__isnull=True
    ).count()
    if open_objections:
        problems.append(
            _("%(n)s objection(s) to the result have not been answered yet.") % {"n": open_objections}
        )
    failures = result_problems(election)
    if failures:
        problems.extend(failures)
        problems.append(_("Mark the election as not successful and restart it."))
    return problems


def _p_committee(election: Election) -> list[str]:
    # The register takes only a final result (stage ``filing``): during the objection window
    # (``result_notice``) an objection or a court may still overturn the result.
    if election.stage == Stage.RESULT_NOTICE or (
        election.stage == Stage.FILING and not election.result_final
    ):
        problems = [
            _(
                "The result is not final yet: put the committee on the register after the objection "
                "window has ended and the result is made final."
            )
        ]
    else:
        problems = _stage_problem(election, Stage.FILING)
    if election.kind == Kind.MATTERS_ONLY:
        problems.append(_("A vote on matters only elects no committee."))
        return problems
    if election.result is None:
        problems.append(_("There is no result yet: close voting first."))
        return problems
    if election.kind == Kind.BY_ELECTION:
        if (election.rule_overrides or {}).get("_committee_updated"):
            problems.append(_("The members elected here are already on the committee register."))
        elif _sitting_committee(election.compound_id) is None:
            problems.append(_("The compound has no committee in office to add the elected members to."))
    elif committee_of(election) is not None:
        problems.append(_("The committee elected here is already on the register."))
    problems.extend(result_problems(election))
    return problems


def _p_file(election: Election) -> list[str]:
    problems = _stage_problem(election, Stage.FILING)
    if election.kind in COMMITTEE_KINDS and committee_of(election) is None:
        problems.append(_("Put the elected committee on the register first."))
    return problems


def _p_fail(election: Election, reason: str) -> list[str]:
    problems = []
    if not election.is_open_stage:
        problems.append(
            _("This cannot be done while the election is at the stage “%(stage)s”.")
            % {"stage": election.get_stage_display()}
        )
    if not reason.strip():
        problems.append(
            _("Give the reason (quorum not met, seats unfilled, or the decision of the street or a court).")
        )
    return problems


def _p_restart(election: Election, at: str) -> list[str]:
    problems = _stage_problem(election, Stage.FAILED)
    if (election.rule_overrides or {}).get("_restarted_as"):
        problems.append(_("This election has already been restarted."))
    if at not in RESTART_AT:
        problems.append(_("Restart at the notice or at the nominations."))
    elif at == "nomination":
        if election.kind == Kind.MATTERS_ONLY:
            problems.append(_("A vote on matters only has no nominations: restart at the notice."))
        elif election.notice_published_on is None:
            problems.append(_("The notice of this election was never published: restart at the notice."))
    return problems


# ---------------------------------------------------------------------------------------------
# What the page shows: blockers and the actions allowed now
# ---------------------------------------------------------------------------------------------


def blockers(election: Election, *, now: datetime | None = None) -> list[str]:
    """What keeps the election from its next step, in words staff can act on (Helios habit)."""
    now = now or timezone.now()
    stage, kind = election.stage, election.kind
    if stage == Stage.STARTED:
        return [_("Form the working group and enter the day it was formed.")]
    if stage == Stage.WORKING_GROUP:
        return _p_notice(election)
    if stage == Stage.NOTICE:
        return _p_open(election, now) if kind == Kind.MATTERS_ONLY else _p_nominations(election)
    if stage == Stage.NOMINATION:
        return _p_vetting(election)
    if stage == Stage.VETTING:
        return _p_candidate_notice(election)
    if stage == Stage.CANDIDATE_NOTICE:
        return _p_open(election, now)
    if stage == Stage.VOTING:
        return _p_close(election, now, "")
    if stage == Stage.COUNTING:
        return [_("The ballots are being counted. If this lasts, close voting again to finish the count.")]
    if stage == Stage.RESULT_NOTICE:
        if election.result_published_on is None:
            return [
                *result_problems(election),
                _("Publish the result; the objection window starts on that day."),
            ]
        return _p_finalise(election, timezone.localdate(now))
    if stage == Stage.FILING:
        return _p_file(election)
    if stage == Stage.FAILED and (election.rule_overrides or {}).get("_restarted_as"):
        return [_("This election has already been restarted.")]
    return []


#: Every transition the overview can offer, in process order.
ACTIONS = (
    "working_group_form",
    "working_group_publish",
    "notice_publish",
    "nominations_open",
    "vetting_start",
    "candidate_notice_publish",
    "voting_schedule",
    "voting_open",
    "voting_close",
    "result_publish",
    "result_finalise",
    "committee_from_result",
    "election_file",
    "election_fail",
    "election_restart",
)


def allowed_actions(election: Election, *, now: datetime | None = None) -> list[str]:
    """The actions the overview offers now: their stage fits and nothing blocks them."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    stage, kind = election.stage, election.kind
    checks = {
        "working_group_form": lambda: _stage_problem(election, Stage.STARTED),
        "working_group_publish": lambda: _p_wg_publish(election),
        "notice_publish": lambda: _p_notice(election),
        "nominations_open": lambda: _p_nominations(election),
        "vetting_start": lambda: _p_vetting(election),
        "candidate_notice_publish": lambda: _p_candidate_notice(election),
        "voting_schedule": lambda: _stage_problem(election, *SETUP_STAGES),
        "voting_open": lambda: _p_open(election, now),
        "voting_close": lambda: (
            [] if stage == Stage.COUNTING else _stage_problem(election, Stage.VOTING)
        ),  # early close asks for a reason in the form
        "result_publish": lambda: _p_result_publish(election),
        "result_finalise": lambda: _p_finalise(election, today),
        "committee_from_result": lambda: _p_committee(election) if kind != Kind.MATTERS_ONLY else ["-"],
        "election_file": lambda: _p_file(election),
        "election_fail": lambda: [] if election.is_open_stage else ["-"],
        "election_restart": lambda: _p_restart(election, "notice"),
    }
    return [name for name in ACTIONS if not checks[name]()]


# ---------------------------------------------------------------------------------------------
# Creating an election and its settings
# ---------------------------------------------------------------------------------------------


def election_create(
    *,
    compound: Compound,
    title: str,
    kind: str = Kind.REELECTION,
    actor,
    profile: str | None = None,
) -> Election:
    """Start an election in a compound (stage ``started``) with the street's regional profile."""
    _check_may_manage(actor, compound.pk)
    title = title.strip()
    if not title:
        raise ElectionError(_("Give the election a title."))
    if kind not in Kind.values:
        raise ElectionError(_("Unknown kind of election."))
    key = profile or street_profile_key(compound)
    if key not in tl.PROFILES:
        raise ElectionError(_("Unknown regional profile: %(key)s") % {"key": key})
    with transaction.atomic():
        election = Election(
            compound=compound,
            title=title[:200],
            kind=kind,
            profile=key,
            proxy_limit=tl.PROFILES[key].proxy_principals_max.value,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        election.full_clean()
        election.save()
        _audit(
            "election.created",
            election,
            actor=actor,
            summary=f"election created: {election.title}",
            data={"kind": kind, "profile": key},
        )
    return election


def _parse_quorum(value: Fraction | str | tuple[int, int]) -> Fraction:
    try:
        q = Fraction(*value) if isinstance(value, tuple) else Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ElectionError(_("The quorum must be a fraction such as 2/3.")) from None
    if not 0 < q <= 1:
        raise ElectionError(_("The quorum must be more than 0 and at most 1."))
    return q


def _clean_override_value(name: str, value):
    if name in tl.Profile._BOOLEAN:
        if isinstance(value, str):
            value = value.strip().lower() in ("1", "true", "yes", "on", "是")
        return bool(value)
    if value in (None, "") and name in tl.Profile._OPTIONAL:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ElectionError(_("%(name)s must be a whole number.") % {"name": rule_label(name)}) from None
    if number < 0:
        raise ElectionError(_("%(name)s must be a whole number.") % {"name": rule_label(name)})
    return number


#: Why ``silent_majority`` cannot be turned on yet (the settings form shows it next to the box).
SILENT_MAJORITY_UNSUPPORTED = gettext_lazy(
    "Not supported yet: counting the owners who did not vote with the majority needs proof that "
    "each household's ballot was delivered. Keep the default setting (not counted)."
)


def election_update_settings(
    *,
    election: Election,
    actor,
    quorum: Fraction | str | tuple[int, int] | None = None,
    proxy_limit: int | None = None,
    nominations_required: int | None = None,
    temporary_meeting: bool | None = None,
    silent_majority: bool | None = None,
    overrides: dict[str, tuple[object, str] | None] | None = None,
) -> Election:
    """Change the rules the rules of procedure decide (RULES §5) before voting opens.

    ``overrides`` maps a timeline rule name (``Profile.rule_names()``) to ``(value, reason)``, or to
    ``None`` to drop an override; each is kept in ``rule_overrides`` as
    ``{"value", "reason", "by", "at"}`` and the timeline shows the reason as the source.
    """
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        _check_may_manage(actor, fresh.compound_id)
        if fresh.stage not in SETUP_STAGES:
            raise ElectionError(_("The rules cannot change once voting has opened."))
        changes: dict[str, object] = {}
        if quorum is not None:
            q = _parse_quorum(quorum)
            if (q.numerator, q.denominator) != (fresh.quorum_numerator, fresh.quorum_denominator):
                changes["quorum"] = f"{q.numerator}/{q.denominator}"
                fresh.quorum_numerator, fresh.quorum_denominator = q.numerator, q.denominator
        for name, value in (
            ("proxy_limit", proxy_limit),
            ("nominations_required", nominations_required),
        ):
            if value is not None:
                if int(value) < 1:
                    raise ElectionError(_("%(name)s must be at least 1.") % {"name": name})
                if getattr(fresh, name) != int(value):
                    changes[name] = int(value)
                    setattr(fresh, name, int(value))
        if silent_majority and not fresh.silent_majority:
            # RULES §5: counting silent owners needs, per household, proof that the ballot and the
            # warning of the consequence were delivered, and the result shown with and without
            # them. The tally does neither yet, so the setting cannot be turned on.
            raise ElectionError(str(SILENT_MAJORITY_UNSUPPORTED))
        for name, value in (("temporary_meeting", temporary_meeting), ("silent_majority", silent_majority)):
            if value is not None and getattr(fresh, name) != bool(value):
                changes[name] = bool(value)
                setattr(fresh, name, bool(value))
        rules = dict(fresh.rule_overrides or {})
        for name, entry in (overrides or {}).items():
            if name not in PROFILE_RULES:
                raise ElectionError(_("Unknown timeline rule: %(name)s") % {"name": name})
            if entry is None:
                if name in rules:
                    rules.pop(name)
                    changes[f"override:{name}"] = None
                continue
            value, reason = entry
            reason = (reason or "").strip()
            if not reason:
                raise ElectionError(
                    _("Give the article of the rules of procedure that sets %(name)s.")
                    % {"name": rule_label(name)}
                )
            value = _clean_override_value(name, value)
            rules[name] = {
                "value": value,
                "reason": reason[:200],
                "by": actor_label(actor),
                "at": timezone.now().isoformat(timespec="seconds"),
            }
            changes[f"override:{name}"] = {"value": value, "reason": reason}
        fresh.rule_overrides = rules
        try:
            effective_profile(fresh)
        except (ValueError, TypeError) as error:
            raise ElectionError(_("These values do not fit together: %(error)s") % {"error": error}) from None
        if not changes:
            return _done(election)
        fresh.full_clean()
        touched = Election.objects.filter(pk=fresh.pk, stage=fresh.stage).update(
            quorum_numerator=fresh.quorum_numerator,
            quorum_denominator=fresh.quorum_denominator,
            proxy_limit=fresh.proxy_limit,
            nominations_required=fresh.nominations_required,
            temporary_meeting=fresh.temporary_meeting,
            silent_majority=fresh.silent_majority,
            rule_overrides=fresh.rule_overrides,
        )
        if touched != 1:
            raise ElectionError(
                _("Someone else changed this election a moment ago. Reload the page and check its stage.")
            )
        _audit(
            "election.settings",
            fresh,
            actor=actor,
            summary="settings changed: " + ", ".join(changes),
            data={"changes": changes},
        )
    return _done(election)


# ---------------------------------------------------------------------------------------------
# The transitions
# ---------------------------------------------------------------------------------------------


def working_group_form(
    *,
    election: Election,
    actor,
    on: date | None = None,
) -> Election:
    """The working group (筹备组/换届小组) is formed on ``on``: started → working_group."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_stage_problem(fresh, Stage.STARTED))
        _move(
            fresh,
            to=Stage.WORKING_GROUP,
            actor=actor,
            fields={"working_group_formed_on": on},
            data={"formed_on": on.isoformat()},
        )
    return _done(election)


def _p_wg_publish(election: Election) -> list[str]:
    problems = _stage_problem(election, Stage.WORKING_GROUP)
    if election.working_group_published_on is not None:
        problems.append(_("The list of the working group's members is already published."))
    if not election.working_group.exists():
        problems.append(_("Enter the members of the working group first."))
    return problems


def working_group_publish(
    *,
    election: Election,
    actor,
    on: date | None = None,
) -> Election:
    """The list of the working group's members is published on ``on`` (stage unchanged)."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_wg_publish(fresh))
        if fresh.working_group_formed_on and on < fresh.working_group_formed_on:
            raise ElectionError(_("The list cannot be published before the working group was formed."))
        _update_if(
            fresh,
            stage=Stage.WORKING_GROUP,
            fields={"working_group_published_on": on},
            working_group_published_on__isnull=True,
        )
        _audit(
            "election.working_group_published",
            fresh,
            actor=actor,
            summary=f"working group published on {on}",
            data={"on": on.isoformat(), "members": fresh.working_group.count()},
        )
    return _done(election)


def notice_publish(
    *,
    election: Election,
    actor,
    on: date | None = None,
) -> Election:
    """The assembly notice (会议公告) with every matter and the seats is out: → notice.

    The new notice of an election restarted at nomination is published at nomination, vetting or
    the candidate notice and leaves the stage as it is. A restarted election's notice must be
    dated after the notice of the election it restarts.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_notice(fresh))
        restart_of = (fresh.rule_overrides or {}).get("_restart_of")
        previous = (
            Election.objects.filter(pk=restart_of).values_list("notice_published_on", flat=True).first()
            if restart_of
            else None
        )
        if previous is not None and on <= previous:
            raise ElectionError(
                _(
                    "The new assembly notice must be dated after the notice of the failed election "
                    "(%(day)s): enter the day the new notice is posted."
                )
                % {"day": previous.isoformat()}
            )
        if _renotice(fresh):
            _update_if(
                fresh,
                stage=fresh.stage,
                fields={"notice_published_on": on},
                notice_published_on__isnull=True,
            )
            _audit(
                "election.notice_published",
                fresh,
                actor=actor,
                summary=f"new assembly notice of the restarted election published on {on}",
                data={"on": on.isoformat(), "stage": fresh.stage, "restart_of": restart_of},
            )
            return _done(election)
        _move(
            fresh,
            to=Stage.NOTICE,
            actor=actor,
            fields={"notice_published_on": on},
            data={"on": on.isoformat()},
        )
    return _done(election)


def nominations_open(
    *,
    election: Election,
    actor,
) -> Election:
    """Owners may recommend and put themselves forward: notice → nomination."""
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_nominations(fresh))
        _move(fresh, to=Stage.NOMINATION, actor=actor)
    return _done(election)


def vetting_start(
    *,
    election: Election,
    actor,
) -> Election:
    """Nominations close and vetting (资格审查) starts: nomination → vetting."""
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_vetting(fresh))
        _move(fresh, to=Stage.VETTING, actor=actor)
    return _done(election)


def candidate_notice_publish(
    *,
    election: Election,
    actor,
    start: date | None = None,
    end: date | None = None,
) -> Election:
    """The candidate list is posted (候选人公示) from ``start`` to ``end``: vetting → candidate_notice.

    ``end`` defaults to the shortest notice the profile allows. Every race needs a candidate.
    """
    start = start or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_candidate_notice(fresh))
        profile = effective_profile(fresh)
        end = end or start + timedelta(days=profile.candidate_notice_min_days.value)
        if end <= start:
            raise ElectionError(_("The candidate notice must end after it starts."))
        days = (end - start).days
        if days < profile.candidate_notice_min_days.value:
            raise ElectionError(
                _("The candidate notice must run at least %(days)s days (%(source)s).")
                % {
                    "days": profile.candidate_notice_min_days.value,
                    "source": profile.candidate_notice_min_days.source,
                }
            )
        _move(
            fresh,
            to=Stage.CANDIDATE_NOTICE,
            actor=actor,
            fields={"candidate_notice_start": start, "candidate_notice_end": end},
            data={"start": start.isoformat(), "end": end.isoformat()},
        )
    return _done(election)


def voting_schedule(
    *,
    election: Election,
    actor,
    opens_at: datetime,
    closes_at: datetime,
) -> Election:
    """Set the voting window; its length must be within the profile's limits (杭州 第20条: 5–60 days)."""
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        problems = _stage_problem(fresh, *SETUP_STAGES)
        if problems:
            problems = [_("The voting window cannot change once voting has opened.")]
        problems += _window_problems(fresh, opens_at, closes_at)
        _require(problems)
        before = (fresh.voting_opens_at, fresh.voting_closes_at)
        _update_if(
            fresh, stage=fresh.stage, fields={"voting_opens_at": opens_at, "voting_closes_at": closes_at}
        )
        _audit(
            "election.voting_scheduled",
            fresh,
            actor=actor,
            summary=f"voting window {opens_at:%Y-%m-%d %H:%M} – {closes_at:%Y-%m-%d %H:%M}",
            data={
                "opens_at": opens_at.isoformat(),
                "closes_at": closes_at.isoformat(),
                "before": [b.isoformat() if b else None for b in before],
            },
        )
    return _done(election)


def voting_open(
    *,
    election: Election,
    actor,
    now: datetime | None = None,
) -> Election:
    """Voting opens: the roll is frozen and the stage moves to ``voting``.

    Refused before the opening day, after the scheduled close, and when the recorded dates break
    a notice period of the profile (with the election's overrides): the timeline's violations.
    """
    now = now or timezone.now()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_open(fresh, now))
        _move(fresh, to=Stage.VOTING, actor=actor, data={"at": now.isoformat()})
        voters = roll_freeze(election=fresh, actor=actor)
        _audit(
            "election.voting_opened",
            fresh,
            actor=actor,
            summary=f"voting opened with {voters} voters",
            data={"voters": voters},
        )
    return _done(election)


def voting_close(
    *,
    election: Election,
    actor,
    now: datetime | None = None,
    reason: str = "",
) -> Election:
    """Close voting, count, and post the result (→ result_notice). Safe to run twice and late.

    Before the scheduled close it needs ``reason`` (a street-office or court decision). Called on an
    election already past the count it does nothing; called on one left in ``counting`` it
    finishes the count.
    """
    now = now or timezone.now()
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        if fresh.stage in (Stage.RESULT_NOTICE, Stage.FILING, Stage.DONE) and fresh.result is not None:
            return _done(election)
        if fresh.stage != Stage.COUNTING:
            _check_may_manage(actor, fresh.compound_id)
            _require(_p_close(fresh, now, reason))
            fields: dict = {}
            early = fresh.voting_closes_at is not None and now < fresh.voting_closes_at
            if early and fresh.voting_opens_at is not None and now > fresh.voting_opens_at:
                fields["voting_closes_at"] = now
            _move(
                fresh,
                to=Stage.COUNTING,
                actor=actor,
                fields=fields,
                data={
                    "at": now.isoformat(),
                    "early": early,
                    "reason": reason.strip(),
                    "scheduled_close": fresh.voting_closes_at.isoformat() if fresh.voting_closes_at else None,
                },
            )
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        if fresh.stage != Stage.COUNTING:
            return _done(election)
        from elections.paper import paper_pending_count

        pending = paper_pending_count(fresh)
        if pending:
            # Paper ballots still waiting for their second keying or in review would be left out.
            if defers_to_staff(actor):
                return _done(election)  # the scheduler waits; staff finish the count
            raise ElectionError(
                _(
                    "%(n)s paper ballots are still waiting for their second entry or review; finish them first."
                )
                % {"n": pending}
            )
        if defers_to_staff(actor) and fresh.paper_entries.exists():
            # An election with paper ballots is counted when staff say every paper ballot received
            # before the close is keyed in, not automatically at the close.
            return _done(election)
        result = election_tally(fresh)
        decided = timezone.localdate(now)
        fresh.result = result
        problems = result_problems(fresh)
        _move(
            fresh,
            to=Stage.RESULT_NOTICE,
            actor=actor,
            fields={"result": result, "decided_on": decided},
            data={
                "decided_on": decided.isoformat(),
                "quorum_met": result["participation"]["quorum_met"],
                "ballots": fresh.ballot_count,
                "chain_head": fresh.chain_head,
                "problems": problems,
            },
        )
    return _done(election)


def result_publish(
    *,
    election: Election,
    actor,
    on: date | None = None,
) -> Election:
    """The result is posted on ``on``; the objection window (询异公示) runs from that day."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_result_publish(fresh))
        if fresh.decided_on and on < fresh.decided_on:
            raise ElectionError(_("The result cannot be published before it was counted."))
        profile = effective_profile(fresh)
        deadline = tl.period_end(on, profile.objection_window_days.value, db_calendar())
        _update_if(
            fresh,
            stage=Stage.RESULT_NOTICE,
            fields={"result_published_on": on, "objection_window_end": deadline.due},
            result_published_on__isnull=True,
        )
        _audit(
            "election.result_published",
            fresh,
            actor=actor,
            summary=f"result published on {on}, objections until {deadline.due}",
            data={
                "on": on.isoformat(),
                "objection_window_end": deadline.due.isoformat(),
                "warnings": list(deadline.warnings),
            },
        )
    return _done(election)


def result_finalise(
    *,
    election: Election,
    actor,
    on: date | None = None,
) -> Election:
    """After the objection window the result is final: result_notice → filing."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_finalise(fresh, on))
        _move(
            fresh,
            to=Stage.FILING,
            actor=actor,
            fields={"result_final": True},
            data={"on": on.isoformat()},
        )
    return _done(election)


def _sitting_committee(compound_id: int) -> Committee | None:
    """The committee in office: not ended, and filed or registered by hand."""
    return (
        Committee.objects.filter(compound_id=compound_id, ended_on__isnull=True)
        .exclude(filed_on__isnull=True, election__isnull=False)
        .order_by("-term_start")
        .first()
    )


def _ranked_alternates(entry: dict, candidates: list[Candidate], count: int) -> list[Candidate]:
    """Qualified candidates not elected, by yes-heads then yes-area, then ballot order (RULES §5)."""
    if count <= 0:
        return []
    elected = set(entry.get("elected", []))
    scored = []
    for c in candidates:
        tally = entry.get("candidates", {}).get(c.key)
        if not tally or not tally.get("qualified") or c.key in elected:
            continue
        yes = tally["yes"]
        scored.append((-int(yes["heads"]), -Fraction(yes["area"]), c.position, c.pk, c))
    scored.sort(key=lambda row: row[:4])
    return [row[-1] for row in scored[:count]]


def committee_from_result(
    *,
    election: Election,
    actor,
) -> Committee:
    """Put the elected committee on the register (业主委员会名册).

    Elected candidates become members in rank order, the next qualified ones alternates (up to the
    race's number of alternates). The term starts on the day of the count and runs the profile's
    longest term. The previous committee stays in office until this one is filed. A by-election
    adds its elected members to the committee in office instead.
    """
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_committee(fresh))
        profile = effective_profile(fresh)
        races = list(Race.objects.filter(election=fresh).prefetch_related("candidates"))
        if fresh.kind == Kind.BY_ELECTION:
            committee = _sitting_committee(fresh.compound_id)
            position = (committee.members.aggregate(m=Max("position"))["m"] or 0) + 1
        else:
            start = fresh.decided_on or timezone.localdate()
            committee = Committee(
                compound_id=fresh.compound_id,
                election=fresh,
                term_start=start,
                term_end=tl.add_years(start, profile.term_years_max.value),
            )
            committee.full_clean()
            committee.save()
            position = 1
        members = []
        for race in races:
            entry = fresh.result["races"].get(race.key, {})
            candidates = list(race.candidates.all())
            by_key = {c.key: c for c in candidates}
            chosen = [
                (by_key[k], CommitteeMember.Role.MEMBER) for k in entry.get("elected", []) if k in by_key
            ]
            chosen += [
                (c, CommitteeMember.Role.ALTERNATE)
                for c in _ranked_alternates(entry, candidates, race.alternates)
            ]
            for candidate, role in chosen:
                members.append(
                    CommitteeMember(
                        committee=committee,
                        name=candidate.name,
                        owner_id=candidate.owner_id,
                        role=role,
                        party_member=candidate.party_member,
                        cross_post=candidate.branch_member or candidate.branch_secretary,
                        position=position,
                    )
                )
                position += 1
        CommitteeMember.objects.bulk_create(members)
        if fresh.kind == Kind.BY_ELECTION:
            rules = dict(fresh.rule_overrides or {})
            rules["_committee_updated"] = committee.pk
            Election.objects.filter(pk=fresh.pk).update(rule_overrides=rules)
        _audit(
            "election.committee_registered",
            fresh,
            actor=actor,
            summary=f"committee #{committee.pk} from the result: {len(members)} members and alternates",
            data={"committee": committee.pk, "members": [m.name for m in members]},
        )
    election.refresh_from_db()
    return committee


def election_file(
    *,
    election: Election,
    actor,
    on: date | None = None,
) -> Election:
    """Filed (备案) with the district housing office and the street: filing → done.

    The new committee is then in office and the previous one leaves office on the filing day.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_file(fresh))
        if fresh.decided_on and on < fresh.decided_on:
            raise ElectionError(_("The filing cannot be before the election."))
        _move(
            fresh,
            to=Stage.DONE,
            actor=actor,
            fields={"filed_on": on},
            data={"on": on.isoformat()},
        )
        committee = committee_of(fresh)
        ended: list[int] = []
        if committee is not None:
            Committee.objects.filter(pk=committee.pk).update(filed_on=on)
            previous = Committee.objects.filter(compound_id=fresh.compound_id, ended_on__isnull=True).exclude(
                pk=committee.pk
            )
            ended = list(previous.values_list("pk", flat=True))
            previous.update(ended_on=on)
        if ended:
            _audit(
                "committee.ended",
                fresh,
                actor=actor,
                summary=f"previous committee(s) {ended} left office on {on}",
                data={"committees": ended, "on": on.isoformat()},
            )
    return _done(election)


def election_fail(
    *,
    election: Election,
    actor,
    reason: str,
    on: date | None = None,
) -> Election:
    """Mark the election not successful (quorum not met, seats unfilled, a street or court decision).

    A committee put on the register from this election but never filed is removed (the audit row
    keeps its members); the previous committee stays in office.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _require(_p_fail(fresh, reason))
        committee = committee_of(fresh)
        removed = None
        if committee is not None and committee.filed_on is None:
            removed = {
                "committee": committee.pk,
                "members": list(committee.members.values_list("name", flat=True)),
            }
            committee.delete()
        _move(
            fresh,
            to=Stage.FAILED,
            actor=actor,
            fields={"failed_reason": reason.strip()[:300]},
            data={"reason": reason.strip(), "on": on.isoformat(), "removed_committee": removed},
        )
    return _done(election)


_ATTEMPT = re.compile(r"（第\d+次）$")


def restart_title(title: str, attempt: int) -> str:
    base = _ATTEMPT.sub("", title).strip()
    suffix = f"（第{attempt}次）"
    return base[: 200 - len(suffix)] + suffix


def election_restart(
    *,
    election: Election,
    actor,
    at: str = "notice",
) -> Election:
    """Run a failed election again as a new election (see the module docstring for why new).

    ``at="notice"``: a new notice is needed (stage ``working_group``, matters and races copied and
    editable). ``at="nomination"``: the published matters and races stand and nominations reopen
    with every nomination and candidate kept (stage ``nomination``); the new voting window still
    needs a new assembly notice (:func:`notice_publish`) before voting opens. Returns the new
    election.
    """
    with transaction.atomic():
        old = Election.objects.select_for_update().get(pk=election.pk)
        _check_may_manage(actor, old.compound_id)
        _require(_p_restart(old, at))
        attempt = old.restart_count + 2  # the first run is attempt 1
        kept_rules = {k: v for k, v in (old.rule_overrides or {}).items() if not k.startswith("_")}
        new = Election.objects.create(
            compound_id=old.compound_id,
            title=restart_title(old.title, attempt),
            kind=old.kind,
            stage=Stage.NOMINATION if at == "nomination" else Stage.WORKING_GROUP,
            quorum_numerator=old.quorum_numerator,
            quorum_denominator=old.quorum_denominator,
            profile=old.profile,
            rule_overrides={**kept_rules, "_restart_of": old.pk},
            proxy_limit=old.proxy_limit,
            nominations_required=old.nominations_required,
            silent_majority=old.silent_majority,
            temporary_meeting=old.temporary_meeting,
            working_group_formed_on=old.working_group_formed_on,
            working_group_published_on=old.working_group_published_on,
            # The old notice announced the old voting window; the new one is announced anew.
            notice_published_on=None,
            restart_count=old.restart_count + 1,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        WorkingGroupMember.objects.bulk_create(
            [
                WorkingGroupMember(
                    election=new,
                    name=m.name,
                    user_id=m.user_id,
                    owner_id=m.owner_id,
                    affiliation=m.affiliation,
                    role=m.role,
                    party_member=m.party_member,
                )
                for m in old.working_group.all()
            ]
        )
        Matter.objects.bulk_create(
            [
                Matter(
                    election=new,
                    key=m.key,
                    title=m.title,
                    text=m.text,
                    item=m.item,
                    category=m.category,
                    position=m.position,
                )
                for m in old.matters.all()
            ]
        )
        copied = {"nominations": 0, "candidates": 0}
        for race in old.races.all():
            new_race = Race.objects.create(
                election=new,
                key=race.key,
                title=race.title,
                seats=race.seats,
                alternates=race.alternates,
                position=race.position,
            )
            if at == "nomination":
                copied_now = _copy_candidates(race, new_race, new)
                copied["nominations"] += copied_now[0]
                copied["candidates"] += copied_now[1]
        rules = dict(old.rule_overrides or {})
        rules["_restarted_as"] = new.pk
        Election.objects.filter(pk=old.pk, stage=Stage.FAILED).update(rule_overrides=rules)
        _audit(
            "election.restarted",
            old,
            actor=actor,
            summary=f"restarted at {at} as election #{new.pk}",
            data={"new": new.pk, "at": at, **copied},
        )
        _audit(
            "election.created",
            new,
            actor=actor,
            summary=f"restart of election #{old.pk} at {at}",
            data={"restart_of": old.pk, "at": at, "stage": new.stage, **copied},
        )
    election.refresh_from_db()
    return new


def _copy_candidates(race: Race, new_race: Race, new: Election) -> tuple[int, int]:
    """Copy a race's nominations (with supporters and vetting flags) and candidates."""
    by_old: dict[int, Nomination] = {}
    nominations = list(Nomination.objects.filter(race=race).prefetch_related("supporters", "flags"))
    for n in nominations:
        copy = Nomination.objects.create(
            election=new,
            race=new_race,
            nominee_id=n.nominee_id,
            source=n.source,
            nominated_by_id=n.nominated_by_id,
            statement=n.statement,
            bio=n.bio,
            photo=n.photo,
            party_member=n.party_member,
            branch_member=n.branch_member,
            branch_secretary=n.branch_secretary,
            birth_year=n.birth_year,
            occupation=n.occupation,
            status=n.status,
            accepted_at=n.accepted_at,
            opinion_party=n.opinion_party,
            opinion_owners=n.opinion_owners,
            opinion_self=n.opinion_self,
            positive_notes=n.positive_notes,
            decision_reason=n.decision_reason,
            decided_by_id=n.decided_by_id,
            decided_at=n.decided_at,
        )
        copy.supporters.set(n.supporters.all())
        VettingFlag.objects.bulk_create(
            [
                VettingFlag(
                    nomination=copy,
                    kind=f.kind,
                    note=f.note,
                    evidence=f.evidence,
                    created_by_id=f.created_by_id,
                )
                for f in n.flags.all()
            ]
        )
        by_old[n.pk] = copy
    candidates = list(Candidate.objects.filter(race=race))
    Candidate.objects.bulk_create(
        [
            Candidate(
                race=new_race,
                key=c.key,
                name=c.name,
                owner_id=c.owner_id,
                nomination=by_old.get(c.nomination_id),
                bio=c.bio,
                photo=c.photo,
                party_member=c.party_member,
                branch_member=c.branch_member,
                branch_secretary=c.branch_secretary,
                birth_year=c.birth_year,
                occupation=c.occupation,
                position=c.position,
            )
            for c in candidates
        ]
    )
    return len(nominations), len(candidates)


def restart_links(election: Election) -> tuple[int | None, int | None]:
    """(the election this one restarts, the election that restarted this one)."""
    rules = election.rule_overrides or {}
    return rules.get("_restart_of"), rules.get("_restarted_as")


# ---------------------------------------------------------------------------------------------
# Working group, matters and races (the election's setup)
# ---------------------------------------------------------------------------------------------


def working_group_member_add(
    *,
    election: Election,
    actor,
    name: str,
    affiliation: str,
    role: str = WorkingGroupMember.Role.MEMBER,
    party_member: bool = False,
) -> WorkingGroupMember:
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        if fresh.stage not in SETUP_STAGES:
            raise ElectionError(_("The working group cannot change once voting has opened."))
        member = WorkingGroupMember(
            election=fresh, name=name.strip(), affiliation=affiliation, role=role, party_member=party_member
        )
        member.full_clean()
        member.save()
        _audit(
            "election.working_group_member_added",
            fresh,
            actor=actor,
            summary=f"working group member added: {member.name}",
            data={"member": member.pk, "name": member.name, "affiliation": affiliation, "role": role},
        )
    return member


def working_group_member_remove(
    *,
    member: WorkingGroupMember,
    actor,
) -> None:
    with transaction.atomic():
        fresh = _fresh(member.election)
        _check_may_manage(actor, fresh.compound_id)
        if fresh.stage not in SETUP_STAGES:
            raise ElectionError(_("The working group cannot change once voting has opened."))
        _audit(
            "election.working_group_member_removed",
            fresh,
            actor=actor,
            summary=f"working group member removed: {member.name}",
            data={"member": member.pk, "name": member.name},
        )
        member.delete()


def _check_setup_open(election: Election) -> None:
    """Matters and races are fixed once the notice is out (北京 第35条, 杭州 第19条)."""
    if election.notice_published_on is not None or election.stage not in (Stage.STARTED, Stage.WORKING_GROUP):
        raise ElectionError(
            _(
                "After the notice is published the matters to be voted on may not change (北京 第35条、杭州 第19条)."
            )
        )


def _next_key(prefix: str, keys) -> str:
    numbers = [int(k[len(prefix) :]) for k in keys if k.startswith(prefix) and k[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def matter_save(
    *,
    election: Election,
    actor,
    matter: Matter | None = None,
    title: str,
    text: str = "",
    item: int = Matter.Item.OTHER,
) -> Matter:
    """Add or change a matter; items 6–8 of 民法典 第278条 need three-quarters (special)."""
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _check_setup_open(fresh)
        if matter is not None and matter.election_id != fresh.pk:
            raise ElectionError(_("This matter belongs to another election."))
        item = int(item)
        if item not in Matter.Item.values:
            raise ElectionError(_("Choose one of the nine statutory items."))
        category = Matter.Category.SPECIAL if item in Matter.SPECIAL_ITEMS else Matter.Category.ORDINARY
        if matter is None:
            keys = list(Matter.objects.filter(election=fresh).values_list("key", flat=True))
            matter = Matter(election=fresh, key=_next_key("M", keys), position=len(keys) + 1)
        matter.title, matter.text, matter.item, matter.category = title.strip(), text, item, category
        matter.full_clean()
        matter.save()
        _audit(
            "election.matter_saved",
            fresh,
            actor=actor,
            summary=f"matter {matter.key}: {matter.title}",
            data={"matter": matter.pk, "key": matter.key, "item": item, "category": category},
        )
    return matter


def matter_delete(
    *,
    matter: Matter,
    actor,
) -> None:
    with transaction.atomic():
        fresh = _fresh(matter.election)
        _check_may_manage(actor, fresh.compound_id)
        _check_setup_open(fresh)
        _audit(
            "election.matter_deleted",
            fresh,
            actor=actor,
            summary=f"matter {matter.key} removed",
            data={"key": matter.key, "title": matter.title},
        )
        matter.delete()


def race_save(
    *,
    election: Election,
    actor,
    race: Race | None = None,
    title: str,
    seats: int,
    alternates: int | None = None,
) -> Race:
    """Add or change a race. A committee has the profile's size (5–11, odd, unless overridden).

    ``alternates`` (候补委员) not given: as many as the seats, the default of RULES §5 (qualified
    candidates not elected, in rank order, up to the number of seats).
    """
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        _check_setup_open(fresh)
        if fresh.kind == Kind.MATTERS_ONLY:
            raise ElectionError(_("A vote on matters only elects nobody: change the kind of election first."))
        if race is not None and race.election_id != fresh.pk:
            raise ElectionError(_("This race belongs to another election."))
        seats = int(seats)
        alternates = seats if alternates is None else int(alternates)
        if seats < 1:
            raise ElectionError(_("A race needs at least one seat."))
        if fresh.kind in COMMITTEE_KINDS:
            message = _seat_problem(seats, *committee_size_rules(fresh))
            if message:
                raise ElectionError(message[:1].upper() + message[1:])
        if alternates < 0 or alternates > seats:
            raise ElectionError(_("There may be at most as many alternates as seats."))
        if race is None:
            keys = list(Race.objects.filter(election=fresh).values_list("key", flat=True))
            race = Race(election=fresh, key=_next_key("R", keys), position=len(keys) + 1)
        race.title, race.seats, race.alternates = title.strip(), seats, alternates
        race.full_clean()
        race.save()
        _audit(
            "election.race_saved",
            fresh,
            actor=actor,
            summary=f"race {race.key}: {race.title}, {seats} seats",
            data={"race": race.pk, "key": race.key, "seats": seats, "alternates": alternates},
        )
    return race


def race_delete(
    *,
    race: Race,
    actor,
) -> None:
    with transaction.atomic():
        fresh = _fresh(race.election)
        _check_may_manage(actor, fresh.compound_id)
        _check_setup_open(fresh)
        if race.candidates.exists() or race.nominations.exists():
            raise ElectionError(_("This race already has nominations or candidates."))
        _audit(
            "election.race_deleted",
            fresh,
            actor=actor,
            summary=f"race {race.key} removed",
            data={"key": race.key, "title": race.title},
        )
        race.delete()


# ---------------------------------------------------------------------------------------------
# The committee register (业主委员会名册)
# ---------------------------------------------------------------------------------------------


def _committee_audit(action: str, committee: Committee, *, actor, summary: str, data: dict) -> None:
    record(
        action,
        actor=actor,
        obj=committee,
        compound_id=committee.compound_id,
        election_id=committee.election_id,
        summary=summary,
        data=data,
    )


def committee_register(
    *,
    compound: Compound,
    actor,
    term_start: date,
    term_end: date,
    filed_on: date | None = None,
    first_meeting_on: date | None = None,
    officers_published_on: date | None = None,
) -> Committee:
    """Register a committee already sitting (elected before Yezhu was used) by hand.

    Refused while another committee of the compound is in office, or for a term over five years.
    """
    _check_may_manage(actor, compound.pk)
    with transaction.atomic():
        # One registration at a time per compound, so two clerks cannot both add a committee.
        Compound.objects.select_for_update().filter(pk=compound.pk).values_list("pk").first()
        committee = Committee(
            compound=compound,
            term_start=term_start,
            term_end=term_end,
            filed_on=filed_on,
            first_meeting_on=first_meeting_on,
            officers_published_on=officers_published_on,
        )
        if term_end <= term_start:
            raise ElectionError(_("The term must end after it starts."))
        _require(committee.term_problems())
        committee.full_clean()
        committee.save()
        _committee_audit(
            "committee.registered",
            committee,
            actor=actor,
            summary=f"committee registered by hand: {term_start} – {term_end}",
            data={"term_start": term_start.isoformat(), "term_end": term_end.isoformat()},
        )
    return committee


COMMITTEE_DATES = (
    "term_start",
    "term_end",
    "first_meeting_on",
    "officers_published_on",
    "filed_on",
    "ended_on",
    "handed_over_on",
)


def committee_update(*, committee: Committee, actor, **dates: date | None) -> Committee:
    """Record the first meeting, the officers' notice, the filing, leaving office or the handover.

    The filing of a committee elected here is recorded by :func:`election_file`; its term is set
    by the election and changes only by hand-registered committees.
    """
    unknown = set(dates) - set(COMMITTEE_DATES)
    if unknown:
        raise TypeError(f"unknown committee dates: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        _check_may_manage(actor, fresh.compound_id)
        if fresh.election_id is not None:
            for name in ("term_start", "term_end", "filed_on"):
                if name in dates and dates[name] != getattr(fresh, name):
                    raise ElectionError(
                        _("The term and the filing of a committee elected here follow its election.")
                    )
        changed = {}
        for name, value in dates.items():
            if getattr(fresh, name) != value:
                changed[name] = value.isoformat() if value else None
                setattr(fresh, name, value)
        if fresh.term_end <= fresh.term_start:
            raise ElectionError(_("The term must end after it starts."))
        if not changed:
            return fresh
        if "ended_on" in changed and fresh.ended_on is None:
            # Back in office: one at a time per compound (the lock as in committee_register).
            Compound.objects.select_for_update().filter(pk=fresh.compound_id).values_list("pk").first()
        _require(fresh.term_problems())
        fresh.full_clean()
        fresh.save()
        _committee_audit(
            "committee.updated",
            fresh,
            actor=actor,
            summary="committee dates: " + ", ".join(changed),
            data=changed,
        )
    committee.refresh_from_db()
    return committee


def committee_member_save(
    *,
    committee: Committee,
    actor,
    member: CommitteeMember | None = None,
    name: str,
    role: str = CommitteeMember.Role.MEMBER,
    party_member: bool = False,
    cross_post: bool = False,
) -> CommitteeMember:
    """Add or change a member: one chair at most (主任), officers elected at the first meeting."""
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        _check_may_manage(actor, fresh.compound_id)
        if member is not None and member.committee_id != fresh.pk:
            raise ElectionError(_("This member belongs to another committee."))
        if role == CommitteeMember.Role.CHAIR:
            others = CommitteeMember.objects.filter(committee=fresh, role=CommitteeMember.Role.CHAIR)
            if member is not None:
                others = others.exclude(pk=member.pk)
            if others.exists():
                raise ElectionError(
                    _("The committee already has a chair; make the present chair a member first.")
                )
        if member is None:
            position = (fresh.members.aggregate(m=Max("position"))["m"] or 0) + 1
            member = CommitteeMember(committee=fresh, position=position)
        member.name, member.role = name.strip(), role
        member.party_member, member.cross_post = party_member, cross_post
        member.full_clean()
        member.save()
        _committee_audit(
            "committee.member_saved",
            fresh,
            actor=actor,
            summary=f"committee member {member.name}: {role}",
            data={
                "member": member.pk,
                "name": member.name,
                "role": role,
                "party": party_member,
                "cross_post": cross_post,
            },
        )
    return member


def committee_member_remove(
    *,
    member: CommitteeMember,
    actor,
) -> None:
    with transaction.atomic():
        committee = Committee.objects.select_for_update().get(pk=member.committee_id)
        _check_may_manage(actor, committee.compound_id)
        _committee_audit(
            "committee.member_removed",
            committee,
            actor=actor,
            summary=f"committee member removed: {member.name}",
            data={"member": member.pk, "name": member.name, "role": member.role},
        )
        member.delete()


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


# ---------------------------------------------------------------------------------------------
# The six-step case file (六步法)
# ---------------------------------------------------------------------------------------------


def case_file_wanted(election: Election, view: TimelineView | None = None) -> bool:
    """A case file belongs to an election that failed or has an overdue milestone (or has one)."""
    if election.stage == Stage.FAILED or election.case_steps.exists():
        return True
    view = view or election_timeline(election)
    return any(m.status == tl.MilestoneStatus.OVERDUE for m in view.milestones if m.key != "reelection_start")


def case_step_save(
    *,
    election: Election,
    actor,
    step: int,
    responsible: str = "",
    due_on: date | None = None,
    done_on: date | None = None,
    notes: str = "",
) -> CaseStep:
    """Record one of the six steps (明确问题→设定目标→分析原因→制定对策→对策实施→效果检查)."""
    step = int(step)
    if step not in CaseStep.Step.values:
        raise ElectionError(_("The case file has six steps."))
    with transaction.atomic():
        fresh = _fresh(election)
        _check_may_manage(actor, fresh.compound_id)
        if done_on is not None and step > 1:
            missing = [
                s
                for s in range(1, step)
                if not CaseStep.objects.filter(election=fresh, step=s, done_on__isnull=False).exists()
            ]
            if missing:
                raise ElectionError(
                    _("Finish step %(step)s first: the six steps are taken in order.") % {"step": missing[0]}
                )
        case_step, _created = CaseStep.objects.get_or_create(election=fresh, step=step)
        case_step.responsible, case_step.due_on, case_step.done_on = responsible.strip(), due_on, done_on
        case_step.notes = notes
        case_step.full_clean()
        case_step.save()
        _audit(
            "election.case_step",
            fresh,
            actor=actor,
            summary=f"case file step {step} saved",
            data={
                "step": step,
                "responsible": case_step.responsible,
                "due_on": due_on.isoformat() if due_on else None,
                "done_on": done_on.isoformat() if done_on else None,
            },
        )
    return case_step


# ---------------------------------------------------------------------------------------------
# Words for the page
# ---------------------------------------------------------------------------------------------


def rule_label(name: str) -> str:
    """A timeline rule's name the way staff say it."""
    labels = {
        "working_group_publish_days": _("Working group list published within (days of forming)"),
        "first_assembly_days": _("First assembly held within (days of forming)"),
        "notice_days": _("Assembly notice at least (days before voting)"),
        "temporary_meeting_notice_days": _("Temporary meeting notice at least (days before voting)"),
        "candidate_notice_min_days": _("Candidate notice at least (days)"),
        "candidate_notice_end_days_before_voting": _("Candidate notice ends at least (days before voting)"),
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
        "voting_days_min": _("Voting window at least (days)"),
        "voting_days_max": _("Voting window at most (days)"),
        "proxy_principals_max": _("Owners one proxy may represent"),
    }
    return labels.get(name, name)


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage) if stage in STAGE_ORDER else -1


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
