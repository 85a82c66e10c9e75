"""The transition table: every way an election's stage (or its schedule) changes, one entry each.

An entry names the transition, the stages it leaves from, its preconditions (each a
:class:`~elections.errors.Problem`: a stable code and a Chinese message), the parameters staff give
(from which the page's form, ``elections.forms.transitions``, and the API's serializer,
``elections.api.lifecycle``, are both built), its label, and the service that performs it: the
function of the same name in :mod:`elections.lifecycle.stages`, which checks these same
preconditions through :func:`check` before it moves anything.

Read from here: the staff overview's buttons and forms, the API's ``actions`` endpoints,
:func:`allowed_actions`, :func:`blockers` (what keeps the election from its next step), and the
services themselves. Adding a transition is one entry below plus its service in ``stages``
(docs/ARCHITECTURE.md shows an example); a test holds the page, the API and this table together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.errors import P, Problem, Refused
from elections.lifecycle.moves import is_street_office, stage_problem
from elections.lifecycle.preconditions import (
    p_candidate_notice,
    p_close,
    p_committee,
    p_count,
    p_fail,
    p_file,
    p_finalise,
    p_first_assembly,
    p_first_assembly_exception,
    p_nominations,
    p_notice,
    p_open,
    p_restart,
    p_result_publish,
    p_start_approve,
    p_vetting,
    p_wg_approve,
    p_wg_form,
    p_wg_publish,
    window_problems,
)
from elections.lifecycle.state import RENOTICE_STAGES, RESTART_AT, SETUP_STAGES, Kind, result_problems
from elections.models import Election, Stage

# ---------------------------------------------------------------------------------------------
# The parts of an entry
# ---------------------------------------------------------------------------------------------

DATE = "date"
DATETIME = "datetime"
TEXT = "text"
CHOICE = "choice"
FILE = "file"  # an uploaded document (PDF or image), checked by its content in the service


@dataclass(frozen=True)
class Param:
    """One value staff give with a transition. The page's form field and the API's serializer field
    are both made from it, so they cannot disagree on names, kinds or what is required."""

    name: str
    kind: str  # DATE, DATETIME, TEXT, CHOICE or FILE
    label: Promise | str
    required: bool = True
    #: A date left out is today (the page pre-fills today; the API takes today).
    today_if_empty: bool = False
    max_length: int | None = None
    choices: tuple[tuple[str, Promise | str], ...] = ()
    default: str | None = None
    help_text: Promise | str = ""
    #: What the page shows before staff type anything (e.g. the window already scheduled).
    initial: Callable[[Election], Any] | None = None


Preconditions = Callable[[Election, datetime, dict], list[Problem]]


@dataclass(frozen=True)
class Transition:
    name: str  # also the name of the service in elections.lifecycle.stages
    label: Promise | str
    #: The stages it leaves from.
    sources: tuple[str, ...]
    #: What refuses it: (election, now, params) → problems. The service checks the same function.
    preconditions: Preconditions
    params: tuple[Param, ...] = ()
    #: Whether the overview offers it now; by default when nothing refuses it with the parameters
    #: left out. A transition whose form supplies what is missing (a reason) says so here.
    offered: Callable[[Election, datetime], bool] | None = None
    #: Whether it is the next step of the election at its stage: its problems are then the blockers.
    leads: Callable[[Election], bool] | None = None
    #: What staff still have to do when nothing refuses the next step (shown with the blockers).
    todo: Callable[[Election], list[Problem]] | None = None
    danger: bool = False  # shown apart, in red (marking the election failed)
    secondary: bool = False  # shown apart, not as the next step (rescheduling the vote)
    #: Whether the scheduler may take it on time (voting_open, voting_close, result_finalise).
    scheduled: bool = False
    #: Only the street office may take it (the approvals of its gates, 三关): the page and the API
    #: offer it to no one else, and the service refuses anyone else.
    street_office: bool = False
    extra: dict = field(default_factory=dict)

    def problems(self, election: Election, now: datetime, params: dict | None = None) -> list[Problem]:
        return [_coded(p) for p in self.preconditions(election, now, dict(params or {}))]

    def may_take(self, actor, election: Election) -> bool:
        return not self.street_office or is_street_office(actor, election.compound.community.street_id)

    def is_offered(self, election: Election, now: datetime) -> bool:
        if self.offered is not None:
            return self.offered(election, now)
        return not self.problems(election, now)

    def is_next_step(self, election: Election) -> bool:
        if election.stage not in self.sources or self.danger or self.secondary:
            return False
        return self.leads(election) if self.leads is not None else True


def _coded(problem: str) -> Problem:
    return problem if isinstance(problem, Problem) else P("refused", problem)


def _today(params: dict, name: str = "on") -> date:
    return params.get(name) or timezone.localdate()


# ---------------------------------------------------------------------------------------------
# The parameters staff give
# ---------------------------------------------------------------------------------------------

ON = Param(
    "on",
    DATE,
    gettext_lazy("Date"),
    required=False,
    today_if_empty=True,
    help_text=gettext_lazy("The day it happened (YYYY-MM-DD); today if left out."),
)


OPINION = Param(
    "note",
    TEXT,
    gettext_lazy("Opinion of the street office"),
    required=False,
    max_length=300,
    help_text=gettext_lazy("Optional: what the street office checked or asks for."),
)


def _scheduled(name: str) -> Callable[[Election], Any]:
    def initial(election: Election):
        moment = getattr(election, name)
        return timezone.localtime(moment) if moment else None

    return initial


# ---------------------------------------------------------------------------------------------
# The table, in process order
# ---------------------------------------------------------------------------------------------

TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "start_approve",
        gettext_lazy("Approve the start of the election (street office)"),
        sources=(Stage.STARTED,),
        preconditions=lambda e, now, p: p_start_approve(e),
        params=(OPINION,),
        leads=lambda e: False,  # forming the working group is the next step; this is one of its conditions
        street_office=True,
    ),
    Transition(
        "first_assembly_exception",
        gettext_lazy("Record the street office's exception to the first assembly's conditions"),
        sources=(Stage.STARTED,),
        preconditions=lambda e, now, p: p_first_assembly_exception(
            e, _today(p), p.get("reason", ""), p.get("document")
        ),
        params=(
            Param(
                "on",
                DATE,
                gettext_lazy("Day of the street office's decision"),
                required=False,
                today_if_empty=True,
                help_text=gettext_lazy("The day the street office decided (YYYY-MM-DD); today if left out."),
            ),
            Param(
                "reason",
                TEXT,
                gettext_lazy("Why the first assembly is called although its conditions are not met"),
                max_length=300,
            ),
            Param(
                "document",
                FILE,
                gettext_lazy("The street office's decision (PDF or photo)"),
                help_text=gettext_lazy("A PDF, JPG, PNG or WebP file of the signed and stamped decision."),
            ),
        ),
        # Offered while the conditions refuse the working group; the form asks for the rest.
        offered=lambda e, now: (
            e.stage == Stage.STARTED
            and e.kind == Kind.FIRST_ASSEMBLY
            and bool(p_first_assembly(e, timezone.localdate(now)))
        ),
        secondary=True,
    ),
    Transition(
        "working_group_form",
        gettext_lazy("Record that the working group is formed"),
        sources=(Stage.STARTED,),
        # A first assembly is called only when its conditions are met (or the street office's
        # exception is recorded): its working group is formed on that footing (指导规则 第九条).
        preconditions=lambda e, now, p: [*p_wg_form(e), *p_first_assembly(e, _today(p))],
        params=(ON,),
        todo=lambda e: [
            P("working_group_not_formed", _("Form the working group and enter the day it was formed."))
        ],
    ),
    Transition(
        "working_group_approve",
        gettext_lazy("Approve the working group's make-up (street office)"),
        sources=(Stage.WORKING_GROUP,),
        preconditions=lambda e, now, p: p_wg_approve(e),
        params=(OPINION,),
        leads=lambda e: False,  # the notice is the next step; this approval is one of its conditions
        street_office=True,
    ),
    Transition(
        "working_group_publish",
        gettext_lazy("Record that the working group list is published"),
        sources=(Stage.WORKING_GROUP,),
        preconditions=lambda e, now, p: p_wg_publish(e),
        params=(ON,),
        leads=lambda e: False,  # the notice is the next step; publishing the list is one of its conditions
    ),
    Transition(
        "notice_publish",
        gettext_lazy("Record that the assembly notice is published"),
        sources=(Stage.WORKING_GROUP, *RENOTICE_STAGES),
        preconditions=lambda e, now, p: p_notice(e),
        params=(ON,),
        leads=lambda e: e.stage == Stage.WORKING_GROUP,
    ),
    Transition(
        "nominations_open",
        gettext_lazy("Open nominations"),
        sources=(Stage.NOTICE,),
        preconditions=lambda e, now, p: p_nominations(e),
        leads=lambda e: e.kind != Kind.MATTERS_ONLY,
    ),
    Transition(
        "vetting_start",
        gettext_lazy("Close nominations and start vetting"),
        sources=(Stage.NOMINATION,),
        preconditions=lambda e, now, p: p_vetting(e),
    ),
    Transition(
        "candidate_notice_publish",
        gettext_lazy("Publish the candidate notice"),
        sources=(Stage.VETTING,),
        preconditions=lambda e, now, p: p_candidate_notice(e, p.get("start")),
        params=(
            Param(
                "start",
                DATE,
                gettext_lazy("Posted from"),
                required=False,
                today_if_empty=True,
                help_text=gettext_lazy("First day of the candidate notice; today if left out."),
            ),
            Param(
                "end",
                DATE,
                gettext_lazy("Posted until"),
                required=False,
                help_text=gettext_lazy("Last day; left out: the shortest period the rules allow."),
            ),
        ),
    ),
    Transition(
        "voting_schedule",
        gettext_lazy("Set the voting window"),
        sources=SETUP_STAGES,
        preconditions=lambda e, now, p: _schedule_problems(e, p),
        params=(
            Param("opens_at", DATETIME, gettext_lazy("Voting opens"), initial=_scheduled("voting_opens_at")),
            Param(
                "closes_at", DATETIME, gettext_lazy("Voting closes"), initial=_scheduled("voting_closes_at")
            ),
        ),
        secondary=True,
    ),
    Transition(
        "voting_open",
        gettext_lazy("Open voting (freezes the roll)"),
        sources=(Stage.NOTICE, Stage.CANDIDATE_NOTICE),
        preconditions=lambda e, now, p: p_open(e, now),
        leads=lambda e: e.stage == Stage.CANDIDATE_NOTICE or e.kind == Kind.MATTERS_ONLY,
        scheduled=True,
    ),
    Transition(
        "voting_close",
        gettext_lazy("Close voting and count"),
        sources=(Stage.VOTING,),
        preconditions=lambda e, now, p: p_close(e, now, p.get("reason", "")),
        params=(
            Param(
                "reason",
                TEXT,
                gettext_lazy("Decision to close early (only before the scheduled close)"),
                required=False,
                max_length=300,
                help_text=gettext_lazy(
                    "Only before the scheduled close: the street office's or a court's decision."
                ),
            ),
        ),
        # Closing early needs a reason, which the form asks for: offered whenever voting is open.
        offered=lambda e, now: e.stage == Stage.VOTING,
        scheduled=True,
    ),
    Transition(
        "election_count",
        gettext_lazy("Count the ballots"),
        sources=(Stage.COUNTING,),
        preconditions=lambda e, now, p: p_count(e),
        scheduled=True,
    ),
    Transition(
        "result_publish",
        gettext_lazy("Record that the result is published"),
        sources=(Stage.RESULT_NOTICE,),
        preconditions=lambda e, now, p: p_result_publish(e),
        params=(ON,),
        leads=lambda e: e.result_published_on is None,
        todo=lambda e: [
            *result_problems(e),
            P("result_to_publish", _("Publish the result; the objection window starts on that day.")),
        ],
    ),
    Transition(
        "result_finalise",
        gettext_lazy("Make the result final"),
        sources=(Stage.RESULT_NOTICE,),
        preconditions=lambda e, now, p: p_finalise(e, p.get("on") or timezone.localdate(now)),
        leads=lambda e: e.result_published_on is not None,
        scheduled=True,
    ),
    Transition(
        "committee_from_result",
        gettext_lazy("Put the elected committee on the register"),
        sources=(Stage.FILING,),
        preconditions=lambda e, now, p: p_committee(e),
        leads=lambda e: False,  # filing is the next step; the register is one of its conditions
    ),
    Transition(
        "election_file",
        gettext_lazy("Record the filing"),
        sources=(Stage.FILING,),
        preconditions=lambda e, now, p: p_file(e),
        params=(ON,),
    ),
    Transition(
        "election_fail",
        gettext_lazy("Mark as not successful"),
        sources=tuple(s for s in Stage.values if s not in (Stage.DONE, Stage.FAILED)),
        preconditions=lambda e, now, p: p_fail(e, p.get("reason", "")),
        params=(
            Param(
                "reason",
                TEXT,
                gettext_lazy("Why the election did not succeed"),
                max_length=300,
                help_text=gettext_lazy(
                    "Quorum not met, seats unfilled, or the decision of the street or a court."
                ),
            ),
        ),
        offered=lambda e, now: e.is_open_stage,
        danger=True,
    ),
    Transition(
        "election_restart",
        gettext_lazy("Start again"),
        sources=(Stage.FAILED,),
        preconditions=lambda e, now, p: p_restart(e, p.get("at") or "notice"),
        params=(
            Param(
                "at",
                CHOICE,
                gettext_lazy("Start again from"),
                required=False,
                default="notice",
                choices=(
                    ("notice", gettext_lazy("a new assembly notice (matters and seats can be changed)")),
                    (
                        "nomination",
                        gettext_lazy(
                            "the nominations (matters and candidates are kept; publish a new assembly notice)"
                        ),
                    ),
                ),
                help_text=gettext_lazy(
                    "notice: a new assembly notice (matters and seats editable again); "
                    "nomination: the notice stands and the candidates are kept."
                ),
            ),
        ),
    ),
)

assert {c for c, _label in TRANSITIONS[-1].params[0].choices} == set(RESTART_AT)

BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def _schedule_problems(election: Election, params: dict) -> list[Problem]:
    if stage_problem(election, *SETUP_STAGES):
        return [P("window_locked", _("The voting window cannot change once voting has opened."))]
    opens, closes = params.get("opens_at"), params.get("closes_at")
    if opens is None or closes is None:
        return []
    return window_problems(election, opens, closes)


# ---------------------------------------------------------------------------------------------
# What the services, the page and the API read from the table
# ---------------------------------------------------------------------------------------------


def transition(name: str) -> Transition:
    return BY_NAME[name]


def check(name: str, election: Election, *, now: datetime | None = None, **params) -> None:
    """Refuse with every problem of the transition (the service calls this before it moves)."""
    problems = BY_NAME[name].problems(election, now or timezone.now(), params)
    if problems:
        raise Refused(problems)


def allowed_actions(election: Election, *, now: datetime | None = None, actor=None) -> list[str]:
    """The transitions the overview offers now, in process order; given an ``actor``, only those
    that actor may take (the street office's approvals are offered to the street office only)."""
    now = now or timezone.now()
    return [
        t.name
        for t in TRANSITIONS
        if election.stage in t.sources
        and (actor is None or t.may_take(actor, election))
        and t.is_offered(election, now)
    ]


def next_step(election: Election) -> Transition | None:
    for t in TRANSITIONS:
        if t.is_next_step(election):
            return t
    return None


def blockers(election: Election, *, now: datetime | None = None) -> list[Problem]:
    """What keeps the election from its next step, in words staff can act on (Helios habit)."""
    step = next_step(election)
    if step is None:
        return []
    problems = step.problems(election, now or timezone.now())
    if not problems and step.todo is not None:
        problems = step.todo(election)
    return problems
