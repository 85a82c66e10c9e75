from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from yezhu.accounts.models import SmsMessage
from yezhu.accounts.services import enqueue
from yezhu.sms import SmsError, get_backend

MAX_ATTEMPTS = 5


def attempt_sms(message_id: int) -> tuple[str, SmsError | None]:
    """One delivery attempt of an outbox message: ("sent" | "skipped" | "failed" | "retry", error).
    Safe to run twice: a sent message is never sent again."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status == SmsMessage.Status.SENT:
            return "skipped", None
        message.attempts += 1
        try:
            reference = get_backend().send(message.phone, message.body)
        except SmsError as exc:
            message.provider_reply = str(exc)[:300]
            final = message.attempts >= MAX_ATTEMPTS
            message.status = SmsMessage.Status.FAILED if final else SmsMessage.Status.QUEUED
            message.save(update_fields=["attempts", "provider_reply", "status"])
            return ("failed" if final else "retry"), exc
        message.status = SmsMessage.Status.SENT
        message.sent_at = timezone.now()
        message.provider_reply = reference[:300]
        message.save(update_fields=["attempts", "provider_reply", "status", "sent_at"])
        return "sent", None


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True)
def send_sms(self, message_id: int) -> str:
    """Deliver one outbox message, retrying with back-off: 2 s, 4 s, 8 s, …"""
    outcome, error = attempt_sms(message_id)
    if outcome != "retry":
        return outcome
    attempts = SmsMessage.objects.filter(pk=message_id).values_list("attempts", flat=True).first() or 1
    raise self.retry(exc=error, countdown=2**attempts)


@shared_task(ignore_result=True)
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
