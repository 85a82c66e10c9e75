"""Per-number limits on text messages, kept below the providers' own (yezhu/accounts/sms_outbox.py applies them).

Providers refuse a number that gets too many messages (阿里云 and 腾讯云 default for codes: 1 a
minute, 5 an hour, 10 a day per number) and may count a refusal against the account. Yezhu counts
what it handed to a provider for a number, from the outbox table (the database, not the cache:
they hold while Redis is down) and never asks a provider for more. The sign-in page applies the
same numbers earlier through allauth's rate limits (settings.ACCOUNT_RATE_LIMITS), so an owner is
told to wait instead of being given a code that never leaves.

`settings.SMS_NUMBER_LIMITS` maps a message kind (or "*" for every other kind) to limits written
"COUNT/PERIOD" with PERIOD one of s, m, h, d or a number of seconds and a unit ("1/m,5/h,10/d").
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: Statuses of messages that reached (or may have reached) a provider.
COUNTED = ("sending", "sent", "delivered", "unknown")


def parse_limits(text: str) -> list[tuple[int, int]]:
    """ "1/m,5/h,10/d" → [(1, 60), (5, 3600), (10, 86400)] (count, seconds)."""
    limits = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        match = re.fullmatch(r"(\d+)/(\d*)([smhd])", part)
        if not match:
            raise ValueError(f"bad SMS limit {part!r}: use COUNT/PERIOD, e.g. 5/h")
        count, times, unit = int(match[1]), int(match[2] or 1), match[3]
        limits.append((count, times * UNITS[unit]))
    return limits


def limits_for(kind: str) -> list[tuple[int, int]]:
    table = settings.SMS_NUMBER_LIMITS
    return parse_limits(table.get(kind, table.get("*", "")))


def lock_number(phone: str) -> None:
    """Serialise the limit check for one number across processes (PostgreSQL: an advisory lock held
    until the transaction ends; SQLite already runs one writer at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"yezhu-sms:{phone}"])


def lock_numbers(phones) -> None:
    """`lock_number` for several numbers in one round trip, always in the same (sorted) order, so two
    batches sharing numbers wait for each other instead of deadlocking."""
    keys = sorted({f"yezhu-sms:{phone}" for phone in phones})
    if keys and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(k.key)) "
                "FROM unnest(%s::text[]) WITH ORDINALITY AS k(key, n) ORDER BY k.n",
                [keys],
            )


def _counted(kind: str):
    """The messages that count against the limits of `kind` (its own, or the shared "*")."""
    from yezhu.accounts.models import SmsMessage

    sent = SmsMessage.objects.filter(status__in=COUNTED)
    if kind in settings.SMS_NUMBER_LIMITS:
        return sent.filter(kind=kind)
    return sent.exclude(kind__in=[k for k in settings.SMS_NUMBER_LIMITS if k != "*"])


def _broken(limits: list[tuple[int, int]], times: list, now) -> str:
    for count, seconds in limits:
        since = now - timedelta(seconds=seconds)
        if sum(1 for t in times if t >= since) >= count:
            return f"{count}/{seconds}s"
    return ""


def over_limits(messages) -> dict[int, str]:
    """`over_limit` for a batch of queued messages, in a query per kind rather than per message:
    {message id: the limit it would break} for those that may not go. The messages are taken in
    order and each one that may go counts against the next to the same number, as if they had been
    claimed one after the other. Call inside the claiming transaction, after `lock_numbers`."""
    by_kind: dict[str, list] = defaultdict(list)
    for message in messages:
        by_kind[message.kind].append(message)
    now = timezone.now()
    refused: dict[int, str] = {}
    for kind, batch in by_kind.items():
        limits = limits_for(kind)
        if not limits:
            continue
        longest = max(seconds for _count, seconds in limits)
        times: dict[str, list] = defaultdict(list)
        rows = (
            _counted(kind)
            .filter(phone__in={m.phone for m in batch}, claimed_at__gte=now - timedelta(seconds=longest))
            .exclude(pk__in=[m.pk for m in batch])
            .values_list("phone", "claimed_at")
        )
        for phone, claimed_at in rows:
            times[phone].append(claimed_at)
        for message in batch:
            limit = _broken(limits, times[message.phone], now)
            if limit:
                refused[message.pk] = limit
            else:
                times[message.phone].append(now)
    return refused


def over_limit(message) -> str:
    """The limit this message would break ("5/3600s"), or "" when it may go. Call inside the
    transaction that claims it, after `lock_number`."""
    limits = limits_for(message.kind)
    if not limits:
        return ""
    now = timezone.now()
    longest = max(seconds for _count, seconds in limits)
    times = list(
        _counted(message.kind)
        .filter(phone=message.phone, claimed_at__gte=now - timedelta(seconds=longest))
        .exclude(pk=message.pk)
        .values_list("claimed_at", flat=True)
    )
    return _broken(limits, times, now)
