"""Who acts: every service takes a required ``actor``, a person or a named part of the system.

A person is a signed-in :class:`~yezhu.accounts.models.User`; what they may do is decided by their
roles (each app's selectors). A :class:`SystemActor` is a named part of the system acting on its
own: the scheduler keeping the law's clock, an import job, an operator's management command. What
a system actor may do differently is a property of that actor (``acts_anywhere``), never implied by
a missing argument: there is no default actor, and an anonymous user is a person without rights.

    from yezhu.actors import SCHEDULER
    voting_close(election=e, actor=SCHEDULER)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from yezhu.accounts.models import User


@dataclass(frozen=True)
class SystemActor:
    """A named part of the system. Never a person: ``is_authenticated`` is False and it has no pk."""

    key: str  # stable, in the audit row's label: "system:<key>"
    label: str  # what the audit log shows
    #: May act on any compound without a role (the scheduler closes every election on time; an
    #: operator's command runs with the server's authority). A system actor without it is refused
    #: wherever a person without a role would be.
    acts_anywhere: bool = True
    #: Leaves to staff what needs a person's judgement: the scheduler closes voting on time but
    #: does not count an election with paper ballots (staff say when every one is keyed in).
    defers_to_staff: bool = False

    is_authenticated = False
    is_anonymous = False
    is_system = True
    pk = None

    def __str__(self) -> str:
        return f"system:{self.key}"


#: Celery beat and the tasks it schedules: opening and closing voting on time, reminders, drains.
SCHEDULER = SystemActor("scheduler", "定时任务", defers_to_staff=True)
#: A background job acting on data a person uploaded when that person is no longer known.
IMPORT_JOB = SystemActor("import_job", "导入任务")
#: A management command run by an operator on the server (import_roll, seed_holidays, demo).
OPERATOR = SystemActor("operator", "运维命令")

Actor: TypeAlias = "User | SystemActor"
#: What a view may hand on: a signed-in user, an anonymous one (refused like an outsider), or the system.
MaybePerson: TypeAlias = "User | AnonymousUser | SystemActor"


def is_system(actor: object) -> bool:
    return isinstance(actor, SystemActor)


def is_person(actor: object) -> bool:
    """A signed-in person (not the system, not anonymous)."""
    return not isinstance(actor, SystemActor) and bool(getattr(actor, "is_authenticated", False))


def person(actor: object) -> User | None:
    """The signed-in person behind an actor, or None for the system (for a "who did it" column
    that the system may leave empty)."""
    return actor if is_person(actor) else None  # type: ignore[return-value]


def require_person(actor: object) -> User:
    """The signed-in person behind an actor, for what only a person does (keying a paper ballot,
    casting, filing an objection): the system or an anonymous visitor is refused."""
    from yezhu.errors import DomainError

    if not is_person(actor):
        raise DomainError("这一步只能由已登录的人办理。", code="person_required")
    return actor  # type: ignore[return-value]


def require_actor(actor: object) -> None:
    """Refuse a missing actor loudly: a programming error, never a silent system action."""
    if actor is None:
        raise TypeError("actor is required: pass the signed-in user or a yezhu.actors.SystemActor")


def defers_to_staff(actor: object) -> bool:
    return isinstance(actor, SystemActor) and actor.defers_to_staff


def actor_label(actor: object) -> str:
    """What the audit log records as the actor's name."""
    if isinstance(actor, SystemActor):
        return str(actor)
    if getattr(actor, "is_authenticated", False):
        return str(actor)[:100]
    return "anonymous"
