"""Writes for accounts: queueing text messages through the outbox."""

from __future__ import annotations

import logging
from typing import Protocol

from django.db import transaction

from yezhu.accounts.models import SmsMessage
from yezhu.sms import with_signature

log = logging.getLogger(__name__)


class Queueable(Protocol):
    """What `enqueue` needs of a Celery task."""

    name: str

    def delay(self, *args: object) -> object: ...


def enqueue(task: Queueable, *args: object) -> bool:
    """Queue a Celery task; False (and a log line) when the broker cannot be reached.

    The caller's outbox row stays `queued`, and the periodic drain picks it up later.
    """
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure must not lose the caller's write
        log.warning("could not queue %s%r; the outbox drain will retry", task.name, args, exc_info=True)
        return False
    return True


#: Messages someone is waiting for on the other side of the screen: if the broker (Redis) is down
#: they are sent once from the request itself rather than when the outbox drain runs again.
URGENT_PURPOSES = frozenset({"login_code"})


def sms_queue(*, phone: str, body: str, purpose: str) -> SmsMessage:
    from yezhu.accounts.tasks import attempt_sms, send_sms

    message = SmsMessage.objects.create(phone=phone, body=with_signature(body), purpose=purpose)

    def queue() -> None:
        if enqueue(send_sms, message.pk) or purpose not in URGENT_PURPOSES:
            return
        try:
            attempt_sms(message.pk)  # one attempt now; a failure stays queued for the drain
        except Exception:  # noqa: BLE001 - the sign-in page must still answer
            log.warning("could not send sign-in code #%s directly", message.pk, exc_info=True)

    transaction.on_commit(queue)
    return message


def user_fill_name(*, user_id: int, name: str) -> bool:
    """Give an account the owner's name from the roll, unless it already has one.

    Called wherever an owner record is linked to an account, so a roll owner is greeted by name
    rather than by a masked number. A conditional UPDATE: a name set meanwhile is never overwritten.
    """
    from yezhu.accounts.models import User

    name = (name or "").strip()[: User._meta.get_field("name").max_length]
    if not name:
        return False
    return User.objects.filter(pk=user_id, name="").update(name=name) == 1
