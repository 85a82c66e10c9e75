"""Writing the audit log. Every service that changes something that matters calls `record`.

Every row says which street it belongs to (`AuditEntry.street_id`), because auditors read the log
by street (yezhu.audit.selectors):

- a row about a compound (`compound_id=`) belongs to the compound's street, looked up here;
- a row about a street (a street-level role, a board export) is given `street_id=`, or
  `streets=` when it concerns several streets (a district-wide export or role);
- a row about a user rather than a place (sign-in, sign-out, failed sign-in for a known number,
  API token created, rotated or revoked) is given `streets=streets_of_user(user)`: every street the
  user has a role in (a district role counts as each street of the district) or owns a unit in.

An event that concerns several streets is written once per street, each row with the same
`data["streets"]`, so that each street's auditor sees it and no auditor sees another street's
row. An event that concerns no street (a user with no role and no home, an unknown number, the
site's own jobs) has no street: only superusers read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from yezhu.actors import actor_label, is_person, require_actor
from yezhu.audit.context import current
from yezhu.audit.models import AuditEntry
from yezhu.hooks import places
from yezhu.sql import insert_row


def street_of_compound(compound_id: int) -> int | None:
    return places().street_of_compound(compound_id)


def streets_of_user(user, *, roles: Iterable[str] | None = None, homes: bool = True) -> list[int]:
    """The streets a user belongs to (their roles' and, with `homes`, their homes'): see yezhu.hooks."""
    return places().streets_of_user(user, roles=roles, homes=homes)


def record(
    action: str,
    *,
    actor: object,
    obj: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
    compound_id: int | None = None,
    election_id: int | None = None,
    street_id: int | None = None,
    streets: Iterable[int] | None = None,
) -> AuditEntry:
    """Write one audit row (one per street when `streets` names several; the first is returned).
    The street comes from `street_id`, else from the compound, else from `streets`.

    `actor` is required: the person (a User, or an anonymous visitor for a refused sign-in) or the
    `yezhu.actors.SystemActor` that acted. Where from (the client's address) comes from the audit
    context that the middleware and the task signals set (`yezhu.audit.context`)."""
    entries = audit_entries(
        action,
        actor=actor,
        obj=obj,
        summary=summary,
        data=data,
        compound_id=compound_id,
        election_id=election_id,
        street_id=street_id,
        streets=streets,
    )
    for entry in entries:
        # What `entry.save()` does for a new row, without the ORM compiling the INSERT each time
        # (every ballot writes one; docs/performance.md, issue 19).
        insert_row(entry)
    return entries[0]


def audit_entries(
    action: str,
    *,
    actor: object,
    obj: models.Model | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
    compound_id: int | None = None,
    election_id: int | None = None,
    street_id: int | None = None,
    streets: Iterable[int] | None = None,
) -> list[AuditEntry]:
    """The rows `record` writes, built and not yet saved: for a caller that writes its single row
    in a statement of its own with its change (the ballot's chain append, `elections.services`)."""
    require_actor(actor)
    label = actor_label(actor)
    person = actor if is_person(actor) else None
    if street_id is None and compound_id is not None:
        street_id = street_of_compound(compound_id)
    targets: list[int | None] = [street_id]
    data = dict(data or {})
    if street_id is None and compound_id is None and streets is not None:
        targets = sorted(set(streets)) or [None]
        if len(targets) > 1:
            data["streets"] = targets
    context = current()
    return [
        AuditEntry(
            actor=person,
            actor_label=label,
            ip=context.ip,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            compound_id=compound_id,
            street_id=street,
            election_id=election_id,
            summary=summary[:300],
            data=data,
        )
        for street in targets
    ]
