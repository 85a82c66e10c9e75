from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_outbox import MAX_ATTEMPTS, outbox_attempt
from yezhu.queue import enqueue
from yezhu.sms import SmsError

__all__ = ["MAX_ATTEMPTS", "attempt_sms", "drain_sms_outbox", "send_sms"]


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


@shared_task(name="yezhu.accounts.tasks.drain_sms_outbox", ignore_result=True)
def drain_sms_outbox() -> int:
    """Re-queue messages still waiting a minute after they were written (broker was down)."""
    cutoff = timezone.now() - timedelta(seconds=60)
    ids = list(
        SmsMessage.objects.filter(status=SmsMessage.Status.QUEUED, created_at__lte=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    queued = 0
    for pk in ids:
        if not enqueue(send_sms, pk):
            break  # the broker is still down: try again at the next beat, not once per row
        queued += 1
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
