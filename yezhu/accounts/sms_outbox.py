"""Sending one outbox message, at most once, with a second provider taking over.

One attempt (`outbox_attempt`) is three steps, and no provider is ever called inside a transaction
that could roll back the record of the call:

1. **Claim**, in a short transaction that commits: the row goes `queued → sending` (a conditional
   update, so two tasks for one message send once), unless the number is over its limit
   (yezhu/accounts/sms_limits.py), in which case it ends `failed` without reaching a provider.
2. **Call** the providers in the configured order (settings.SMS_BACKEND), outside any transaction.
   A provider that refuses (SmsRefused) or cannot be reached (SmsUnavailable) sent nothing, so the
   next one is tried. A provider that may have taken the message but did not answer (SmsUncertain:
   a timeout after the request left) stops the chain: trying another would risk two messages.
3. **Record** what happened, in a conditional update on `status = sending`: `sent` with the
   provider's reference; `queued` again (a retry) when every provider was unreachable and tries
   remain; `failed` with the providers' codes otherwise; still `sending` after an uncertain call.

A message still `sending` long after its claim (the process died mid-call, or the call timed out)
is never sent again: `reconcile_in_flight` (yezhu/accounts/sms_reports.py, on beat) asks the providers
whether they have it (by our `out_id`) and marks it sent, delivered or failed; when none has it or
none can tell, it ends `unknown` for staff to check.

A batch (`outbox_attempt_batch`, a notice's fan-out) takes the same three steps for many messages:
one claiming transaction for all of them (the numbers locked in one round trip, the limits read
in one query a kind, the rows taken with `skip_locked` on PostgreSQL), then each provider's
`send_batch`, each message recorded as soon as its answer comes back, exactly as above; a message
that is to be retried is retried alone (the task queues `send_sms` for it with its back-off).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from yezhu.accounts.sms_limits import lock_number, lock_numbers, over_limit, over_limits
from yezhu.hooks import sms_status_changed, sms_statuses_changed
from yezhu.sms import Accepted, Outgoing, SmsBackend, SmsError, SmsRefused, SmsUncertain, get_backends

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
#: Messages one task sends at once (`yezhu.accounts.tasks.send_sms_batch`, a notice's fan-out).
SMS_BATCH = 200


def in_transaction() -> bool:
    """True inside an atomic block that could roll back (a test case's own wrapper does not count)."""
    connection = transaction.get_connection()
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _claim(message_id: int):
    """Claim a queued message for one attempt; (message, None), (None, "skipped") or
    (message, "limited")."""
    from yezhu.accounts.models import SmsMessage

    with transaction.atomic():
        phone = SmsMessage.objects.filter(pk=message_id).values_list("phone", flat=True).first()
        if phone is None:
            return None, "skipped"
        lock_number(phone)
        message = (
            SmsMessage.objects.select_for_update()
            .filter(pk=message_id, status=SmsMessage.Status.QUEUED)
            .first()
        )
        if message is None:
            return None, "skipped"
        now = timezone.now()
        limit = over_limit(message)
        if limit:
            message.status = SmsMessage.Status.FAILED
            message.report_code = "LOCAL_LIMIT"
            message.provider_reply = _limit_reply(limit)
            message.save(update_fields=["status", "report_code", "provider_reply"])
            return message, "limited"
        message.status = SmsMessage.Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at"])
        return message, None


def _record(message, **fields) -> bool:
    """Write the outcome of a claimed attempt; False if the row is no longer `sending`
    (reconciliation got there first)."""
    from yezhu.accounts.models import SmsMessage

    changed = SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.SENDING).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
    return changed == 1


def outgoing(message) -> Outgoing:
    return Outgoing(
        phone=message.phone,
        kind=message.kind,
        params={k: str(v) for k, v in (message.params or {}).items()},
        body=message.body,
        out_id=message.out_id,
    )


def _limit_reply(limit: str) -> str:
    return f"not sent: this number reached its limit of {limit}"[:300]


def _record_accepted(message, accepted: Accepted, errors: list[tuple[str, SmsError]]) -> None:
    from yezhu.accounts.models import SmsMessage

    reply = "; ".join(f"{name}: {err.code or err}" for name, err in errors)
    _record(
        message,
        status=SmsMessage.Status.SENT,
        provider=accepted.provider,
        provider_ref=accepted.reference[:100],
        provider_reply=(f"{accepted.provider} {accepted.code}" + (f" (after {reply})" if reply else ""))[
            :300
        ],
        sent_at=timezone.now(),
    )


def _record_uncertain(message, backend: SmsBackend, exc: SmsUncertain) -> None:
    log.warning("SMS #%s: %s may have taken it; it will be looked up", message.pk, backend.name)
    _record(message, provider=backend.name, provider_reply=str(exc)[:300])


def _record_refusals(message, errors: list[tuple[str, SmsError]]) -> tuple[str, SmsError]:
    """No provider took the message: queued again ("retry") while one was only unreachable and tries
    remain, else "failed" with the providers' codes."""
    from yezhu.accounts.models import SmsMessage

    last = errors[-1][1] if errors else SmsRefused("no SMS backend configured", code="no_backend")
    reply = "; ".join(str(err) for _name, err in errors)[:300] or str(last)
    retry = any(not isinstance(err, SmsRefused) for _name, err in errors) and message.attempts < MAX_ATTEMPTS
    _record(
        message,
        status=SmsMessage.Status.QUEUED if retry else SmsMessage.Status.FAILED,
        provider=errors[-1][0] if errors else "",
        provider_reply=reply,
        report_code=(last.code or "")[:60],
    )
    return ("retry" if retry else "failed"), last


def outbox_attempt(message_id: int, backends: list[SmsBackend] | None = None) -> tuple[str, SmsError | None]:
    """One attempt at an outbox message: ("sent" | "skipped" | "failed" | "retry" | "in_flight", error).

    Safe to run twice, and at once: only the call that claims the message sends it."""
    if in_transaction():
        raise RuntimeError("a text message is sent outside any transaction (yezhu/accounts/sms_outbox.py)")
    backends = get_backends() if backends is None else backends  # a misconfiguration fails before the claim
    message, outcome = _claim(message_id)
    if outcome == "skipped":
        return "skipped", None
    if outcome == "limited":
        sms_status_changed(message)
        return "failed", SmsRefused(message.provider_reply, code="LOCAL_LIMIT")

    errors: list[tuple[str, SmsError]] = []
    payload = outgoing(message)
    for backend in backends:
        try:
            accepted = backend.send(payload)
        except SmsUncertain as exc:
            _record_uncertain(message, backend, exc)
            return "in_flight", exc
        except SmsError as exc:
            log.warning("SMS #%s: %s did not take it: %s", message.pk, backend.name, exc)
            errors.append((backend.name, exc))
            continue
        _record_accepted(message, accepted, errors)
        sms_status_changed(message)
        return "sent", None

    outcome, last = _record_refusals(message, errors)
    if outcome == "failed":
        sms_status_changed(message)
    return outcome, last


# ---------------------------------------------------------------------------------------------
# Many messages at once (a notice's fan-out)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What became of one message of a batch: its outcome as `outbox_attempt` names it, the error,
    and its attempts so far (the back-off of a retry)."""

    message_id: int
    outcome: str
    error: SmsError | None = None
    attempts: int = 0


def _claim_batch(message_ids: list[int]) -> tuple[list, list]:
    """Claim the queued messages among `message_ids` in one transaction: (claimed, limited).

    The numbers are locked first (as `_claim` locks one), then the rows; on PostgreSQL a row another
    claimer holds is skipped, not waited for (that claimer sends it). The claim itself is a
    conditional update (`status = queued`), so on a database without row locks (SQLite) a message
    changed meanwhile makes the whole claim roll back rather than go out twice."""
    from yezhu.accounts.models import SmsMessage

    Status = SmsMessage.Status
    with transaction.atomic():
        waiting = SmsMessage.objects.filter(pk__in=message_ids, status=Status.QUEUED)
        lock_numbers(waiting.order_by().values_list("phone", flat=True).distinct())
        rows = waiting.order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        messages = list(rows)
        if not messages:
            return [], []
        limits = over_limits(messages)
        limited = [m for m in messages if m.pk in limits]
        claimed = [m for m in messages if m.pk not in limits]
        now = timezone.now()
        changed = 0
        if claimed:
            changed += SmsMessage.objects.filter(pk__in=[m.pk for m in claimed], status=Status.QUEUED).update(
                status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
            )
        for message in limited:
            message.status = Status.FAILED
            message.report_code = "LOCAL_LIMIT"
            message.provider_reply = _limit_reply(limits[message.pk])
        for limit in set(limits.values()):
            changed += SmsMessage.objects.filter(
                pk__in=[m.pk for m in limited if limits[m.pk] == limit], status=Status.QUEUED
            ).update(status=Status.FAILED, report_code="LOCAL_LIMIT", provider_reply=_limit_reply(limit))
        if changed != len(messages):
            log.warning("SMS batch from #%s: taken meanwhile by another worker; left to it", message_ids[0])
            transaction.set_rollback(True)
            return [], []
        for message in claimed:
            message.status = Status.SENDING
            message.attempts += 1
            message.claimed_at = now
    return claimed, limited


def outbox_attempt_batch(
    message_ids: Iterable[int], backends: list[SmsBackend] | None = None
) -> list[Attempt]:
    """One attempt at each of several outbox messages, each at most once: what `outbox_attempt`
    does for one, with one claim for all and each provider's `send_batch`. A message not claimed
    here (sent, or taken by another worker) is "skipped"; a "retry" is for the caller to queue again
    on its own, with its back-off."""
    if in_transaction():
        raise RuntimeError("a text message is sent outside any transaction (yezhu/accounts/sms_outbox.py)")
    ids = sorted(set(message_ids))
    backends = get_backends() if backends is None else backends
    claimed, limited = _claim_batch(ids)
    results: dict[int, Attempt] = {pk: Attempt(pk, "skipped") for pk in ids}
    for message in limited:
        error = SmsRefused(message.provider_reply, code="LOCAL_LIMIT")
        results[message.pk] = Attempt(message.pk, "failed", error, message.attempts)
    changed = list(limited)
    errors: dict[int, list[tuple[str, SmsError]]] = {message.pk: [] for message in claimed}
    pending = claimed
    for backend in backends:
        if not pending:
            break
        refused = []
        answers = backend.send_batch([outgoing(message) for message in pending])
        for message, answer in zip(pending, answers, strict=True):
            if isinstance(answer, Accepted):
                _record_accepted(message, answer, errors[message.pk])
                results[message.pk] = Attempt(message.pk, "sent", None, message.attempts)
                changed.append(message)
            elif isinstance(answer, SmsUncertain):
                _record_uncertain(message, backend, answer)
                results[message.pk] = Attempt(message.pk, "in_flight", answer, message.attempts)
            else:
                log.warning("SMS #%s: %s did not take it: %s", message.pk, backend.name, answer)
                errors[message.pk].append((backend.name, answer))
                refused.append(message)
        pending = refused
    for message in pending:
        outcome, last = _record_refusals(message, errors[message.pk])
        results[message.pk] = Attempt(message.pk, outcome, last, message.attempts)
        if outcome == "failed":
            changed.append(message)
    sms_statuses_changed(changed)
    return [results[pk] for pk in ids]
