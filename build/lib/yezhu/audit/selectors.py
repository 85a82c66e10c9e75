"""Who may read which audit entries (审计日志的查看范围).

Superusers read everything. A user with the auditor role reads the entries of the compounds in
that role's scope (street, community, compound or district) and, when the role is over a street
or a district, also the rows that belong to one of those streets without a compound: sign-ins,
token events, street-level role changes, board and audit exports (yezhu.audit.log says how a row
gets its street). A row of another street is never shown. Nobody else reads the log here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from yezhu.audit.models import AuditEntry
from yezhu.hooks import places


def may_read_audit(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or places().audit_scope(user) is not None


def audit_entries_for(user) -> QuerySet[AuditEntry]:
    """The audit entries the user may read (none for anyone but auditors and superusers)."""
    if not getattr(user, "is_authenticated", False):
        return AuditEntry.objects.none()
    if user.is_superuser:
        return AuditEntry.objects.all()
    scope = places().audit_scope(user)
    if scope is None:
        return AuditEntry.objects.none()
    return AuditEntry.objects.filter(scope)


def audit_streets(user) -> list[int]:
    """The streets whose street-level rows the user's auditor roles cover (street or district roles)."""
    return places().auditor_streets(user)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_entries(
    entries: QuerySet[AuditEntry],
    *,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
    election_id: int | None = None,
) -> QuerySet[AuditEntry]:
    """Narrow a scoped queryset by action (prefix: "ballot" matches ballot.cast and ballot.rejected),
    by local calendar day (both ends included) and by election."""
    if action:
        entries = entries.filter(action__startswith=action)
    if since:
        entries = entries.filter(at__gte=_day_start(since))
    if until:
        entries = entries.filter(at__lt=_day_start(until + timedelta(days=1)))
    if election_id:
        entries = entries.filter(election_id=election_id)
    return entries


def actions_in(entries: QuerySet[AuditEntry]) -> list[str]:
    return sorted(set(entries.order_by().values_list("action", flat=True).distinct()))
