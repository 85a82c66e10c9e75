"""Writes for accounts: queueing text messages through the outbox."""

from __future__ import annotations

import logging

from django.db import transaction

from yezhu.accounts.models import SmsMessage
from yezhu.sms import with_signature

log = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """Queue a Celery task; False (and a log line) when the broker cannot be reached.

    The caller's outbox row stays `queued`, and the periodic drain picks it up later.
    """
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure must not lose the caller's write
        log.warning("could not queue %s%r; the outbox drain will retry", task.name, args, exc_info=True)
        return False
    return True


def sms_queue(*, phone: str, body: str, purpose: str) -> SmsMessage:
    from yezhu.accounts.tasks import send_sms

    message = SmsMessage.objects.create(phone=phone, body=with_signature(body), purpose=purpose)
    transaction.on_commit(lambda: enqueue(send_sms, message.pk))
    return message
