"""Writes for accounts: queueing text messages through the outbox."""

from __future__ import annotations

import logging

from django.db import transaction

from yezhu.accounts.models import SmsMessage, User
from yezhu.accounts.sms_outbox import SMS_BATCH
from yezhu.queue import enqueue  # noqa: F401 - also imported from here
from yezhu.sms import check_params, render_body

log = logging.getLogger(__name__)


#: Messages someone is waiting for on the other side of the screen: if the broker (Redis) is down
#: they are sent once from the request itself rather than when the outbox drain runs again.
URGENT_PURPOSES = frozenset({"login_code"})


def sms_queue(*, phone: str, kind: str, params: dict, purpose: str, reference: str = "") -> SmsMessage:
    """Write one text message to the outbox and send it after the commit.

    `kind` names the registered template (yezhu/sms.py: login_code, notice, reminder, result) and
    `params` its variables; the text staff see is rendered from them. Call inside the transaction
    of the change that causes the message: it goes out only if that commits, at most once.
    """
    from yezhu.accounts.tasks import attempt_sms, send_sms

    params = check_params(kind, params)
    message = SmsMessage.objects.create(
        phone=phone,
        kind=kind,
        params=params,
        body=render_body(kind, params),
        purpose=purpose,
        reference=reference,
    )

    def queue() -> None:
        if enqueue(send_sms, message.pk) or purpose not in URGENT_PURPOSES:
            return
        try:
            attempt_sms(message.pk)  # one attempt now; a failure stays queued for the drain
        except Exception:  # noqa: BLE001 - the sign-in page must still answer
            log.warning("could not send sign-in code #%s directly", message.pk, exc_info=True)

    transaction.on_commit(queue)
    return message


def sms_queue_many(*, messages: list[dict]) -> list[SmsMessage]:
    """`sms_queue` for many messages at once (a notice's fan-out): the rows written in one insert,
    and after the commit queued in batches of SMS_BATCH, each sent by one task.

    Each item of `messages` has the arguments of `sms_queue` (phone, kind, params, purpose,
    reference). If the broker is down the rows stay `queued` and the outbox drain sends them.
    """
    from yezhu.accounts.tasks import send_sms_batch

    bodies: dict[tuple, tuple[dict, str]] = {}
    rows = []
    for item in messages:
        key = (item["kind"], tuple(sorted(item["params"].items())))
        if key not in bodies:
            params = check_params(item["kind"], item["params"])
            bodies[key] = (params, render_body(item["kind"], params))
        params, body = bodies[key]
        rows.append(
            SmsMessage(
                phone=item["phone"],
                kind=item["kind"],
                params=params,
                body=body,
                purpose=item["purpose"],
                reference=item.get("reference", ""),
            )
        )
    created = SmsMessage.objects.bulk_create(rows, batch_size=1000)
    ids = [message.pk for message in created]

    def queue() -> None:
        for start in range(0, len(ids), SMS_BATCH):
            if not enqueue(send_sms_batch, ids[start : start + SMS_BATCH]):
                return  # the broker is down: the drain sends the rest, not one failure per batch

    transaction.on_commit(queue)
    return created


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


def tokens_end_at_sign_out(*, actor: User) -> int:
    """Signing out ends the user's API tokens, except the long-lived ones staff made for programs
    (yezhu/api/tokens.py). Returns how many ended."""
    from yezhu.accounts import token_cache
    from yezhu.accounts.models import ApiToken
    from yezhu.audit.log import record, streets_of_user

    with transaction.atomic():
        rows = list(ApiToken.objects.filter(user=actor, long_lived=False).values_list("pk", "key_hash"))
        if not rows:
            return 0
        gone = [pk for pk, _hash in rows]
        ApiToken.objects.filter(pk__in=gone).delete()
        token_cache.forget(key_hash for _pk, key_hash in rows)
        record(
            "api.token_revoked",
            actor=actor,
            summary=f"{len(gone)} API token(s) ended at sign-out",
            data={"tokens": gone, "reason": "sign_out"},
            streets=streets_of_user(actor),
        )
    return len(gone)
