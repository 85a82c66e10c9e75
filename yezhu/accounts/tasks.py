from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_outbox import MAX_ATTEMPTS, SMS_BATCH, outbox_attempt, outbox_attempt_batch
from yezhu.queue import enqueue
from yezhu.sms import SmsError

__all__ = ["MAX_ATTEMPTS", "attempt_sms", "drain_sms_outbox", "send_sms", "send_sms_batch"]


def attempt_sms(message_id: int) -> tuple[str, SmsError | None]:
    """One delivery attempt of an outbox message (yezhu/accounts/sms_outbox.py): at most once."""
    return outbox_attempt(message_id)


@shared_task(name="yezhu.accounts.tasks.send_sms", bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True)
def send_sms(self, message_id: int) -> str:
    """Deliver one outbox message, retrying with back-off while every provider is unreachable: 2 s, 4 s, 8 s, …"""
    outcome, error = attempt_sms(message_id)
    if outcome != "retry":
        return outcome
    attempts = SmsMessage.objects.filter(pk=message_id).values_list("attempts", flat=True).first() or 1
    raise self.retry(exc=error, countdown=2**attempts)


@shared_task(name="yezhu.accounts.tasks.send_sms_batch", acks_late=True, ignore_result=True)
def send_sms_batch(message_ids: list[int]) -> dict[str, int]:
    """Deliver several outbox messages (a notice's fan-out), each at most once. A message whose
    providers were all unreachable is queued again on its own, with the back-off `send_sms` uses."""
    outcomes: dict[str, int] = {}
    for attempt in outbox_attempt_batch(message_ids):
        outcomes[attempt.outcome] = outcomes.get(attempt.outcome, 0) + 1
        if attempt.outcome == "retry":
            # Its own task from here on: the message's attempts (not the task's) cap its retries.
            enqueue(send_sms, attempt.message_id, countdown=2**attempt.attempts)
    return outcomes


@shared_task(name="yezhu.accounts.tasks.drain_sms_outbox", ignore_result=True)
def drain_sms_outbox(limit: int = 5000) -> int:
    """Re-queue messages still waiting a minute after they were written (broker was down), in
    batches of SMS_BATCH; returns how many messages were queued."""
    cutoff = timezone.now() - timedelta(seconds=60)
    ids = list(
        SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED, created_at__lte=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    queued = 0
    for start in range(0, len(ids), SMS_BATCH):
        batch = ids[start : start + SMS_BATCH]
        if not enqueue(send_sms_batch, batch):
            break  # the broker is still down: try again at the next beat, not once per batch
        queued += len(batch)
    return queued


@shared_task(ignore_result=True)
def reconcile_sms_in_flight() -> dict:
    """Settle messages interrupted while sending (looked up with the providers, never resent)."""
    from yezhu.accounts.sms_reports import reconcile_in_flight

    return reconcile_in_flight()


@shared_task(ignore_result=True)
def fetch_sms_reports() -> int:
    """Aliyun's delivery reports, asked for (Tencent posts its own to the status callback)."""
    from yezhu.accounts.sms_reports import fetch_aliyun_reports

    return fetch_aliyun_reports()
