"""What refuses each transition, one function each: a list of
:class:`~elections.errors.Problem` (a stable code and a message staff can act on). The transition
table (:mod:`elections.lifecycle.table`) names which function gates which transition; the services
and :func:`~elections.lifecycle.table.blockers` read them from there."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from math import floor

from django.utils import timezone
from django.utils.translation import gettext as _

from elections.calendar import db_calendar
from elections.errors import P, Problem
from elections.lifecycle.moves import stage_problem
from elections.lifecycle.seats import by_election_problems, major_matter_problem
from elections.lifecycle.state import (
    COMMITTEE_KINDS,
    RESTART_AT,
    Kind,
    committee_of,
    committee_size_rules,
    effective_profile,
    election_timeline,
    first_assembly_exception_of,
    first_assembly_status,
    local_date,
    renotice,
    result_problems,
    sitting_committee,
)
from elections.models import (
    Candidate,
    Election,
    Matter,
    MatterDocument,
    Objection,
    PlatformImport,
    Race,
    Stage,
    WorkingGroupMember,
)
from elections.paper import paper_pending_count
from elections.rules import timeline as tl
from elections.rules.assembly import GroupMember, GroupProblem, working_group_problems
from elections.services import city_platform_rule
from yezhu.formats import words
from yezhu.jobs.models import Job

# ---------------------------------------------------------------------------------------------
# The street office's gates (三关), where the street's settings ask for them
# ---------------------------------------------------------------------------------------------


def _street(election: Election):
    return election.compound.community.street


def start_gate(election: Election) -> bool:
    """The street asks for its approval before an election starts (its working group is formed)."""
    return bool(_street(election).gate_start)


def working_group_gate(election: Election) -> bool:
    """The street vets and approves the working group's make-up before its list and the notice."""
    return bool(_street(election).gate_working_group)


def p_wg_form(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.STARTED)
    if start_gate(election) and election.start_approved_at is None:
        problems.append(
            P(
                "start_not_approved",
                _(
                    "The street office has not approved the start of this election yet: the working group "
                    "can be formed once it has."
                ),
            )
        )
    return problems


def p_start_approve(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.STARTED)
    if not start_gate(election):
        problems.append(
            P("gate_not_set", _("This street does not ask for the street office's approval of the start."))
        )
    elif election.start_approved_at is not None:
        problems.append(P("start_already_approved", _("The street office has already approved the start.")))
    return problems


def working_group_gate_problems(election: Election) -> list[Problem]:
    if working_group_gate(election) and election.working_group_approved_at is None:
        return [
            P(
                "working_group_not_approved",
                _("The street office has not vetted and approved the working group's make-up yet."),
            )
        ]
    return []


def p_wg_approve(election: Election) -> list[Problem]:
    problems = stage_problem(election, Stage.WORKING_GROUP)
    if not working_group_gate(election):
        problems.append(
            P(
                "gate_not_set",
                _("This street does not ask for the street office's approval of the working group."),
            )
        )
    elif election.working_group_approved_at is not None:
        problems.append(
            P(
                "working_group_already_approved",
                _("The street office has already approved the working group."),
            )
        )
    if not election.working_group.exists():
        problems.append(P("working_group_empty", _("Enter the members of the working group first.")))
    return problems


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
    else:
        problems.extend(group_problems(election))
    problems.extend(working_group_gate_problems(election))
    if election.kind == Kind.FIRST_ASSEMBLY:
        problems.extend(agenda_problems(election))
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
    if election.kind == Kind.BY_ELECTION and races:
        problems.extend(by_election_problems(election.compound_id, seats=sum(r.seats for r in races)))
    for item in sorted(set(election.matters.values_list("item", flat=True))):
        major = major_matter_problem(election, item)
        if major is not None:
            problems.append(major)
            break
    if election.voting_opens_at is None or election.voting_closes_at is None:
        # The notice tells owners when to vote (指导规则 第十五条: 会议召开的时间): no dates, no notice.
        problems.append(
            P(
                "notice_without_dates",
                _(
                    "Set the voting window (when voting opens and closes) before publishing the assembly "
                    "notice: the notice tells owners when to vote."
                ),
            )
        )
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


def last_nomination_on(election: Election) -> date | None:
    """The day the election's last nomination was made (entered): the notice comes after it."""
    made = election.nominations.order_by("-created_at").values_list("created_at", flat=True).first()
    return timezone.localdate(made) if made is not None else None


def p_candidate_notice(election: Election, start: date | None = None) -> list[Problem]:
    problems = stage_problem(election, Stage.VETTING)
    # The candidate notice announces the outcome of the nominations: it cannot have been posted
    # before the last of them was made, nor before the assembly notice that opened them. The
    # recorded dates decide, not the day the stage moved: staff may record a paper process later.
    if start is not None:
        earliest = max(
            (d for d in (election.notice_published_on, last_nomination_on(election)) if d is not None),
            default=None,
        )
        if earliest is not None and start < earliest:
            problems.append(
                P(
                    "candidate_notice_before_nominations",
                    _(
                        "The candidate notice cannot start on %(start)s: the nominations it announces ran "
                        "until %(closed)s. Give the day it was actually posted."
                    )
                    % {"start": start.isoformat(), "closed": earliest.isoformat()},
                )
            )
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
            _("Voting window refused: %(rule)s (%(source)s).")
            % {"rule": words(v.message), "source": v.source},
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
                    % {"rule": words(v.message), "source": v.source},
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
    else:
        problems.extend(group_problems(election))
        problems.extend(working_group_gate_problems(election))
    return problems


# ---------------------------------------------------------------------------------------------
# The first assembly (首次业主大会): its conditions, its agenda, its working group
# ---------------------------------------------------------------------------------------------


def share_text(share: Fraction | None) -> str:
    """A share as a percentage with one decimal, rounded down (49.99 % shows as 49.9 %, never as
    the 50 % it does not reach)."""
    if share is None:
        return "—"
    tenths = floor(share * 1000)
    return f"{tenths // 10}.{tenths % 10}%"


def p_first_assembly(election: Election, on: date) -> list[Problem]:
    """A first assembly is called (its working group formed, 指导规则 第九条) only when the delivered
    area reaches the profile's share or the years since the first delivery have passed, unless
    the street office has recorded an exception."""
    if election.kind != Kind.FIRST_ASSEMBLY or first_assembly_exception_of(election) is not None:
        return []
    check = first_assembly_status(election, on)
    if check.met:
        return []
    profile = effective_profile(election)
    area = _("the delivered homes hold %(share)s of the area, and %(percent)s%% is needed (%(source)s)") % {
        "share": share_text(check.delivered_share),
        "percent": check.percent,
        "source": profile.first_assembly_delivered_percent.source,
    }
    if check.years is None:
        time = ""
    elif check.first_delivery is None:
        time = _("the day the first home was delivered is not entered")
    else:
        time = _(
            "the first home was delivered on %(day)s, so %(years)s years have passed only from %(from)s "
            "(%(source)s)"
        ) % {
            "day": check.first_delivery.isoformat(),
            "years": check.years,
            "from": check.time_met_from.isoformat() if check.time_met_from else "—",
            "source": profile.first_assembly_years_since_delivery.source,
        }
    reasons = "; ".join(part for part in (area, time) if part)
    return [
        P(
            "first_assembly_conditions_unmet",
            _(
                "The first assembly cannot be called on %(on)s: %(reasons)s. Enter the day the first home "
                "was delivered, or record the street office's exception with its decision."
            )
            % {"on": on.isoformat(), "reasons": reasons},
        )
    ]


def p_first_assembly_exception(election: Election, on: date, reason: str, document) -> list[Problem]:
    """The street office's exception: only for a first assembly not yet called whose conditions
    are not met, once, with the reason and the decision's document."""
    problems = stage_problem(election, Stage.STARTED)
    if election.kind != Kind.FIRST_ASSEMBLY:
        problems.append(
            P("not_first_assembly", _("Only a first assembly has conditions the street office may waive."))
        )
        return problems
    if first_assembly_exception_of(election) is not None:
        problems.append(
            P("exception_already_recorded", _("The street office's exception is already recorded."))
        )
        return problems
    if first_assembly_status(election, on).met:
        problems.append(
            P(
                "first_assembly_conditions_met",
                _("The first assembly's conditions are met: no exception is needed."),
            )
        )
    if not reason.strip():
        problems.append(P("reason_missing", _("Give the reason for the street office's decision.")))
    if not document:
        problems.append(
            P("document_missing", _("Attach the street office's decision (a PDF or a photo of it)."))
        )
    return problems


#: The matters a first assembly must adopt (民法典 第278条 第一、二项; 指导规则 第十五条).
FIRST_ASSEMBLY_ITEMS = (Matter.Item.PROCEDURE_RULES, Matter.Item.STATUTE)


def agenda_problems(election: Election) -> list[Problem]:
    """A first assembly adopts the rules of procedure and the management statute: each is a matter
    on its agenda before the notice, carrying its draft (a document, or the full text) that owners
    read before they vote (指导规则 第十二条: the drafts are published with the notice)."""
    problems: list[Problem] = []
    matters = list(Matter.objects.filter(election=election, item__in=FIRST_ASSEMBLY_ITEMS))
    with_documents = set(
        MatterDocument.objects.filter(matter__in=matters).values_list("matter_id", flat=True)
    )
    messages = {
        Matter.Item.PROCEDURE_RULES: (
            "agenda_procedure_rules_missing",
            _(
                "A first assembly adopts the rules of procedure of the assembly (议事规则): add it as a matter "
                "(民法典 第278条 第一项; 指导规则 第十五条)."
            ),
        ),
        Matter.Item.STATUTE: (
            "agenda_statute_missing",
            _(
                "A first assembly adopts the management statute (管理规约): add it as a matter "
                "(民法典 第278条 第二项; 指导规则 第十五条)."
            ),
        ),
    }
    for item in FIRST_ASSEMBLY_ITEMS:
        found = [m for m in matters if m.item == item]
        if not found:
            code, message = messages[item]
            problems.append(P(code, message))
            continue
        for matter in found:
            if matter.pk not in with_documents and not matter.text.strip():
                problems.append(
                    P(
                        "draft_missing",
                        _(
                            "%(title)s: attach the draft (a PDF or images) or enter its full text, so owners can "
                            "read it before they vote (指导规则 第十二条)."
                        )
                        % {"title": matter.title},
                    )
                )
    return problems


def _affiliations(values) -> str:
    labels = dict(WorkingGroupMember.Affiliation.choices)
    return _(" or ").join(str(labels.get(v, v)) for v in values)


def _group_message(problem: GroupProblem) -> Problem:
    if problem.code == "working_group_even":
        message = _("The working group has %(size)s members: it must have an odd number (%(source)s).") % {
            "size": problem.size,
            "source": problem.source,
        }
    elif problem.code == "working_group_owners_short":
        message = _(
            "The working group has %(owners)s owners' representatives among %(size)s members: at least "
            "%(needed)s are needed (%(source)s)."
        ) % {
            "owners": problem.owners,
            "size": problem.size,
            "needed": problem.owners_needed,
            "source": problem.source,
        }
    elif problem.code == "working_group_no_leader":
        message = _("Name the leader of the working group, a member from the %(allowed)s (%(source)s).") % {
            "allowed": _affiliations(problem.allowed),
            "source": problem.source,
        }
    elif problem.code == "working_group_leaders":
        message = _("The working group has %(n)s leaders: name one (%(source)s).") % {
            "n": problem.leaders,
            "source": problem.source,
        }
    else:
        message = _(
            "The working group's leader is from the %(affiliation)s: the leader must be from the %(allowed)s "
            "(%(source)s)."
        ) % {
            "affiliation": _affiliations([problem.leader_affiliation]),
            "allowed": _affiliations(problem.allowed),
            "source": problem.source,
        }
    return P(problem.code, message)


def group_problems(election: Election) -> list[Problem]:
    """The working group's make-up against the election's profile (指导规则 第十条), for the elections
    that elect a committee (a first assembly's 筹备组, a re-election's 换届小组)."""
    if election.kind not in COMMITTEE_KINDS:
        return []
    members = [
        GroupMember(affiliation=a, role=r)
        for a, r in WorkingGroupMember.objects.filter(election=election).values_list("affiliation", "role")
    ]
    return [_group_message(p) for p in working_group_problems(members, effective_profile(election))]
