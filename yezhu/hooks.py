"""What the platform asks of the domain, without importing it.

The platform (accounts, audit, jobs, SMS) must not import a domain app (the import contracts in
pyproject.toml hold that line), yet the audit log files each row under a street and sign-in treats
staff differently from owners. The domain answers these questions by registering a
:class:`Places` in its AppConfig.ready() (grids does: `grids.places`). Without one (the platform
alone, in its own tests) every row has no street and nobody is staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from django.db.models import Q


class Places(Protocol):
    def street_of_compound(self, compound_id: int) -> int | None:
        """The street a compound belongs to."""
        ...

    def streets_of_user(self, user, *, roles: Iterable[str] | None = None, homes: bool = True) -> list[int]:
        """The streets of the user's roles (only `roles` if given) and, with `homes`, of their homes."""
        ...

    def audit_scope(self, user) -> Q | None:
        """The audit rows an auditor may read (a Q over AuditEntry), None if the user is no auditor."""
        ...

    def auditor_streets(self, user) -> list[int]:
        """The streets whose street-level rows the user's auditor roles cover."""
        ...

    def is_staff(self, user) -> bool:
        """Staff (a staff role over a scope) sign in with a password and a code."""
        ...


class _Nowhere:
    def street_of_compound(self, compound_id: int) -> int | None:
        return None

    def streets_of_user(self, user, *, roles=None, homes=True) -> list[int]:
        return []

    def audit_scope(self, user):
        return None

    def auditor_streets(self, user) -> list[int]:
        return []

    def is_staff(self, user) -> bool:
        return False


_places: Places = _Nowhere()


def register_places(places: Places) -> None:
    global _places
    _places = places


def places() -> Places:
    return _places


# Text messages: the domain learns what became of a message it caused (a notice's delivery is
# marked failed when its text message fails, and the proof of service shows the delivery report).
_sms_listeners: list[tuple] = []


def register_sms_listener(listener, *, many=None) -> None:
    """`listener(message)` is called, outside any transaction, after a text message's status changed;
    `many(messages)`, if given, instead of it for the messages of a batch (the same outcome in fewer
    queries)."""
    if all(one is not listener for one, _many in _sms_listeners):
        _sms_listeners.append((listener, many))


def _safely(listener, argument, label) -> None:
    import logging

    try:
        listener(argument)
    except Exception:  # noqa: BLE001 - a listener's failure must not undo the recorded status
        logging.getLogger(__name__).exception("SMS listener %r failed for %s", listener, label)


def sms_status_changed(message) -> None:
    for listener, _many in list(_sms_listeners):
        _safely(listener, message, f"#{message.pk}")


def sms_statuses_changed(messages) -> None:
    """`sms_status_changed` for each of a batch of messages."""
    messages = list(messages)
    if not messages:
        return
    for listener, many in list(_sms_listeners):
        if many is not None:
            _safely(many, messages, f"{len(messages)} messages from #{messages[0].pk}")
        else:
            for message in messages:
                _safely(listener, message, f"#{message.pk}")


# ---------------------------------------------------------------------------------------------
# Votes under way: who may cast is decided by the live links between owners, units and accounts,
# so the admin must not change them while a vote runs. The elections app answers.
# ---------------------------------------------------------------------------------------------


class VoteLocks(Protocol):
    def votes_under_way(self, *, compound_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> list[str]:
        """The titles of the votes under way in these compounds, or in the compounds where these
        users own a home (empty: nothing locks them)."""
        ...


class _NoVotes:
    def votes_under_way(self, *, compound_ids=(), user_ids=()) -> list[str]:
        return []


_vote_locks: VoteLocks = _NoVotes()


def register_vote_locks(locks: VoteLocks) -> None:
    global _vote_locks
    _vote_locks = locks


def votes_under_way(*, compound_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> list[str]:
    return _vote_locks.votes_under_way(compound_ids=compound_ids, user_ids=user_ids)
