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

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models

from yezhu.audit.models import AuditEntry


def client_ip(request) -> str | None:
    """The client's address: the X-Forwarded-For entry our own proxies added
    (`settings.TRUSTED_PROXY_COUNT` of them, the same rule as the rate limits), else REMOTE_ADDR.
    Entries a client put in the header themselves are never taken."""
    if request is None:
        return None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    candidate = None
    if count > 0 and forwarded:
        entries = [part.strip() for part in forwarded.split(",")]
        if len(entries) >= count:
            candidate = entries[-count]
    candidate = candidate or request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def street_of_compound(compound_id: int) -> int | None:
    from grids.models import Compound

    return Compound.objects.filter(pk=compound_id).values_list("community__street_id", flat=True).first()


def streets_of_user(user, *, roles: Iterable[str] | None = None, homes: bool = True) -> list[int]:
    """The streets a user belongs to: those of their role assignments (only `roles` if given; a
    district role counts as every street of its district) and, with `homes`, of the units they own."""
    from grids.models import RoleAssignment, Street, Unit

    if user is None or getattr(user, "pk", None) is None:
        return []
    assignments = RoleAssignment.objects.filter(user_id=user.pk)
    if roles is not None:
        assignments = assignments.filter(role__in=list(roles))
    found: set[int] = set()
    districts: set[int] = set()
    for district, *streets in assignments.values_list(
        "district_id",
        "street_id",
        "community__street_id",
        "compound__community__street_id",
        "grid__community__street_id",
    ):
        if district:
            districts.add(district)
        found.update(s for s in streets if s)
    if districts:
        found.update(Street.objects.filter(district_id__in=districts).values_list("pk", flat=True))
    if homes:
        found.update(
            s
            for s in Unit.objects.filter(ownerships__owner__user_id=user.pk)
            .values_list("compound__community__street_id", flat=True)
            .distinct()
            if s
        )
    return sorted(found)


def record(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    request=None,
    summary: str = "",
    data: dict[str, Any] | None = None,
    compound_id: int | None = None,
    election_id: int | None = None,
    street_id: int | None = None,
    streets: Iterable[int] | None = None,
) -> AuditEntry:
    """Write one audit row (one per street when `streets` names several; the first is returned).
    The street comes from `street_id`, else from the compound, else from `streets`."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    label = ""
    if actor is not None:
        label = str(actor)[:100]
    if street_id is None and compound_id is not None:
        street_id = street_of_compound(compound_id)
    targets: list[int | None] = [street_id]
    data = dict(data or {})
    if street_id is None and compound_id is None and streets is not None:
        targets = sorted(set(streets)) or [None]
        if len(targets) > 1:
            data["streets"] = targets
    ip = client_ip(request)
    entries = []
    for street in targets:
        entry = AuditEntry(
            actor=actor,
            actor_label=label or "system",
            ip=ip,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
            compound_id=compound_id,
            street_id=street,
            election_id=election_id,
            summary=summary[:300],
            data=data,
        )
        entry.save()
        entries.append(entry)
    return entries[0]
