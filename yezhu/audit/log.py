"""Writing the audit log. Every service that changes something that matters calls `record`."""

from __future__ import annotations

import ipaddress
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
) -> AuditEntry:
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    label = ""
    if actor is not None:
        label = str(actor)[:100]
    entry = AuditEntry(
        actor=actor,
        actor_label=label or "system",
        ip=client_ip(request),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        compound_id=compound_id,
        election_id=election_id,
        summary=summary[:300],
        data=data or {},
    )
    entry.save()
    return entry
