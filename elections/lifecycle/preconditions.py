"""What refuses each transition, one function each: a list of
:class:`~elections.errors.Problem` (a stable code and a message staff can act on). The transition
table (:mod:`elections.lifecycle.table`) names which function gates which transition; the services
and :func:`~elections.lifecycle.table.blockers` read them from there."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from elections.calendar import db_calendar
from elections.errors import P, Problem
from elections.lifecycle.moves import stage_problem
from elections.lifecycle.state import (
    COMMITTEE_KINDS,
    RESTART_AT,
    Kind,
    committee_of,
    committee_size_rules,
    effective_profile,
    election_timeline,
    local_date,
    renotice,
    result_problems,
    sitting_committee,
)
from elections.models import (
    Candidate,
    Election,
    Objection,
    PlatformImport,
    Race,
    Stage,
)
from elections.paper import paper_pending_count
from elections.rules import timeline as tl
from elections.services import city_platform_rule
from yezhu.jobs.models import Job


def p_notice(election: Election) -> list[Problem]:
    problems = [] if renotice(election) else stage_problem(election, Stage.WORKING_GROUP)
    if election.notice_published_on:
        problems.append(P("notice_already_published", _("The assembly notice is already published.")))
    if not election.working_group.exists():
        problems.append(P("working_group_empty", _("Enter the members of the working group first.")))
    elif election.working_group_published_on is None:
        problems.append(
            P("working_group_unpublished", _("Publish the list of the working group's members first."))
        )
    matters = election.matters.count()
    races = list(election.races.all())
    if election.kind == Kind.MATTERS_ONLY:
        if not matters:
            problems.append(
                P(
                    "no_matters",
                    _("Add at least one matter to be voted on: only published matters may be voted on."),
                )
            )
    elif not races:
        problems.append(P("no_race", _("Add the seats to be elected (a race) before the notice.")))
    else:
        problems.extend(race_problems(election, races))
    return problems


def race_problems(election: Election, races: list[Race]) -> list[Problem]:
    problems: list[Problem] = []
    if election.kind not in COMMITTEE_KINDS:
        return problems
    low, high, odd = committee_size_rules(election)
    for race in races:
        message = seat_problem(race.seats, low, high, odd)
        if message:
            problems.append(P("committee_size", f"{race.title}: {message}"))
    return problems


def seat_problem(seats: int, low: int, high: int, odd: bool) -> str:
    if seats < low or seats > high or (odd and seats % 2 == 0):
        if odd:
            return _("a committee has %(low)s to %(high)s members, an odd number.") % {
                "low": low,
                "high": high,
            }
        return _("a committee has %(low)s to %(high)s members.") % {"low": low, "high": high}
    return ""


def p_nominations(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.NOTICE)
    if election.kind == Kind.MATTERS_ONLY:
        problems.append(
            P(
                "matters_only_no_candidates",
                _("A vote on matters only has no candidates: open voting after the notice instead."),
            )
        )
    elif not election.races.exists():
        problems.append(P("no_race", _("Add the seats to be elected (a race) first.")))
    return problems


def p_vetting(election: Election) -> list[Problem]:
    return stage_problem(election, Stage.NOMINATION)


def p_candidate_notice(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.VETTING)
    for race in election.races.all():
        if not Candidate.objects.filter(race=race).exists():
            problems.append(
                P(
                    "race_without_candidate",
                    _("%(race)s has no approved candidate yet.") % {"race": race.title},
                )
            )
    return problems


def window_problems(election: Election, opens: datetime, closes: datetime) -> list[Problem]:
    if closes <= opens:
        return [P("window_inverted", _("Voting must close after it opens."))]
    kd = tl.KeyDates(voting_opens=local_date(opens), voting_closes=local_date(closes))
    found = tl.violations(kd, effective_profile(election), db_calendar())
    return [
        P(
            v.key,
            _("Voting window refused: %(rule)s (%(source)s).") % {"rule": v.message, "source": v.source},
        )
        for v in found
        if v.key.startswith("voting_window")
    ]


#: Timeline violations that keep voting from opening (the owners' notice periods and the window).
OPENING_RULES = (
    "assembly_notice_late",
    "candidate_notice_too_short",
    "candidate_notice_late",
    "voting_window_too_short",
    "voting_window_too_long",
)


def p_open(election: Election, now: datetime) -> list[Problem]:
    allowed = (Stage.NOTICE,) if election.kind == Kind.MATTERS_ONLY else (Stage.CANDIDATE_NOTICE,)
    problems = stage_problem(election, *allowed)
    if election.voting_opens_at is None or election.voting_closes_at is None:
        problems.append(
            P("window_unscheduled", _("Schedule the voting window (when voting opens and closes) first."))
        )
        return problems
    if election.notice_published_on is None:
        problems.append(P("notice_unpublished", _("Publish the assembly notice first.")))
    opening_day = timezone.localtime(election.voting_opens_at).date()
    if timezone.localtime(now).date() < opening_day:
        problems.append(
            P(
                "before_opening_day",
                _("Voting can be opened on its opening day, %(day)s, not before.")
                % {"day": opening_day.isoformat()},
            )
        )
    if now >= election.voting_closes_at:
        problems.append(P("close_passed", _("The scheduled close has passed: schedule a new voting window.")))
    if election.roll_frozen_at is not None:
        problems.append(P("roll_already_frozen", _("The roll of this election is already frozen.")))
    waiting = Objection.objects.filter(
        election=election, kind=Objection.Kind.CANDIDATE, answered_at__isnull=True
    ).count()
    if waiting:
        problems.append(
            P(
                "candidate_objections_open",
                _(
                    "%(n)s objection(s) to candidates filed during the candidate notice have not been answered "
                    "yet: answer them on the objections page before voting opens."
                )
                % {"n": waiting},
            )
        )
    view = election_timeline(election)
    for v in view.violations:
        if v.key in OPENING_RULES:
            problems.append(
                P(
                    v.key,
                    _(
                        "%(rule)s (%(source)s). Reschedule the vote, or record the rule of procedure that allows it."
                    )
                    % {"rule": v.message, "source": v.source},
                )
            )
    return problems


def p_close(election: Election, now: datetime, reason: str) -> list[Problem]:
    """Voting closes on time, or earlier with a decision; an election left counting finishes its count."""
    problems = stage_problem(election, Stage.VOTING)
    if (
        not problems
        and election.voting_closes_at is not None
        and now < election.voting_closes_at
        and not reason.strip()
    ):
        problems.append(
            P(
                "close_early_needs_reason",
                _(
                    "Voting closes at %(when)s. Closing earlier needs a decision of the street office "
                    "or a court: give it as the reason."
                )
                % {"when": timezone.localtime(election.voting_closes_at).strftime("%Y-%m-%d %H:%M")},
            )
        )
    return problems


def p_count(election: Election) -> list[Problem]:
    """The count starts once voting is closed, every paper ballot is keyed in, and no count runs."""
    problems = stage_problem(election, Stage.COUNTING)
    if problems:
        return problems
    if Job.objects.filter(
        kind="count", election_id=election.pk, status__in=(Job.Status.QUEUED, Job.Status.RUNNING)
    ).exists():
        return [
            P(
                "count_running",
                _("The ballots are being counted; the result is posted when the count is done."),
            )
        ]
    pending = paper_pending_count(election)
    if pending:
        problems.append(
            P(
                "paper_pending",
                _(
                    "%(n)s paper ballots are still waiting for their second entry or review; finish them first."
                )
                % {"n": pending},
            )
        )
    rule = city_platform_rule(election)
    if rule is not None and not PlatformImport.objects.filter(election=election).exists():
        problems.append(
            P(
                "platform_result_missing",
                _(
                    "Online votes were cast on the city's e-voting platform (%(source)s): import its "
                    "per-unit result before the count."
                )
                % {"source": rule.source},
            )
        )
    return problems


def p_result_publish(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.RESULT_NOTICE)
    if election.result is None:
        problems.append(P("no_result", _("There is no result yet: close voting first.")))
    if election.result_published_on is not None:
        problems.append(P("result_already_published", _("The result is already published.")))
    return problems


def p_finalise(election: Election, on: date) -> list[Problem]:
    problems = stage_problem(election, Stage.RESULT_NOTICE)
    if election.result_published_on is None or election.objection_window_end is None:
        problems.append(
            P(
                "result_unpublished",
                _("Publish the result first: the objection window runs from its publication."),
            )
        )
    elif on <= election.objection_window_end:
        problems.append(
            P(
                "objection_window_open",
                _("The objection window runs until the end of %(day)s; the result becomes final after it.")
                % {"day": election.objection_window_end.isoformat()},
            )
        )
    open_objections = Objection.objects.filter(
        election=election, kind=Objection.Kind.RESULT, answered_at__isnull=True
    ).count()
    if open_objections:
        problems.append(
            P(
                "result_objections_open",
                _("%(n)s objection(s) to the result have not been answered yet.") % {"n": open_objections},
            )
        )
    failures = result_problems(election)
    if failures:
        problems.extend(failures)
        problems.append(P("election_failed", _("Mark the election as not successful and restart it.")))
    return problems


def p_committee(election: Election) -> list[Problem]:
    # The register takes only a final result (stage ``filing``): during the objection window
    # (``result_notice``) an objection or a court may still overturn the result.
    if election.stage == Stage.RESULT_NOTICE or (
        election.stage == Stage.FILING and not election.result_final
    ):
        problems = [
            P(
                "result_not_final",
                _(
                    "The result is not final yet: put the committee on the register after the objection "
                    "window has ended and the result is made final."
                ),
            )
        ]
    else:
        problems = stage_problem(election, Stage.FILING)
    if election.kind == Kind.MATTERS_ONLY:
        problems.append(P("matters_only_no_committee", _("A vote on matters only elects no committee.")))
        return problems
    if election.result is None:
        problems.append(P("no_result", _("There is no result yet: close voting first.")))
        return problems
    if election.kind == Kind.BY_ELECTION:
        if (election.rule_overrides or {}).get("_committee_updated"):
            problems.append(
                P("already_registered", _("The members elected here are already on the committee register."))
            )
        elif sitting_committee(election.compound_id) is None:
            problems.append(
                P(
                    "no_sitting_committee",
                    _("The compound has no committee in office to add the elected members to."),
                )
            )
    elif committee_of(election) is not None:
        problems.append(P("already_registered", _("The committee elected here is already on the register.")))
    problems.extend(result_problems(election))
    return problems


def p_file(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.FILING)
    if election.kind in COMMITTEE_KINDS and committee_of(election) is None:
        problems.append(P("committee_unregistered", _("Put the elected committee on the register first.")))
    return problems


def p_fail(election: Election, reason: str) -> list[Problem]:
    problems = []
    if not election.is_open_stage:
        problems.append(
            P(
                "wrong_stage",
                _("This cannot be done while the election is at the stage “%(stage)s”.")
                % {"stage": election.get_stage_display()},
            )
        )
    if not reason.strip():
        problems.append(
            P(
                "reason_missing",
                _(
                    "Give the reason (quorum not met, seats unfilled, or the decision of the street or a court)."
                ),
            )
        )
    return problems


def p_restart(election: Election, at: str) -> list[Problem]:
    problems = stage_problem(election, Stage.FAILED)
    if (election.rule_overrides or {}).get("_restarted_as"):
        problems.append(P("already_restarted", _("This election has already been restarted.")))
    if at not in RESTART_AT:
        problems.append(P("bad_restart_point", _("Restart at the notice or at the nominations.")))
    elif at == "nomination":
        if election.kind == Kind.MATTERS_ONLY:
            problems.append(
                P(
                    "matters_only_no_nominations",
                    _("A vote on matters only has no nominations: restart at the notice."),
                )
            )
        elif election.notice_published_on is None:
            problems.append(
                P(
                    "notice_never_published",
                    _("The notice of this election was never published: restart at the notice."),
                )
            )
    return problems


def p_wg_publish(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.WORKING_GROUP)
    if election.working_group_published_on is not None:
        problems.append(
            P(
                "working_group_already_published",
                _("The list of the working group's members is already published."),
            )
        )
    if not election.working_group.exists():
        problems.append(P("working_group_empty", _("Enter the members of the working group first.")))
    return problems
