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
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from yezhu.accounts.sms_limits import lock_number, over_limit
from yezhu.hooks import sms_status_changed
from yezhu.sms import Outgoing, SmsBackend, SmsError, SmsRefused, SmsUncertain, get_backends

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


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
            message.provider_reply = f"not sent: this number reached its limit of {limit}"[:300]
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


def outbox_attempt(message_id: int, backends: list[SmsBackend] | None = None) -> tuple[str, SmsError | None]:
    """One attempt at an outbox message: ("sent" | "skipped" | "failed" | "retry" | "in_flight", error).

    Safe to run twice, and at once: only the call that claims the message sends it."""
    from yezhu.accounts.models import SmsMessage

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
            log.warning("SMS #%s: %s may have taken it; it will be looked up", message.pk, backend.name)
            _record(message, provider=backend.name, provider_reply=str(exc)[:300])
            return "in_flight", exc
        except SmsError as exc:
            log.warning("SMS #%s: %s did not take it: %s", message.pk, backend.name, exc)
            errors.append((backend.name, exc))
            continue
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
        sms_status_changed(message)
        return "sent", None

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
    if retry:
        return "retry", last
    sms_status_changed(message)
    return "failed", last
