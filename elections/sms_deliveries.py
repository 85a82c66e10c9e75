"""A notice's text messages go through the site's one SMS outbox (yezhu/accounts/sms_outbox.py).

A delivery on the SMS channel hands its message to the outbox in the delivery's own transaction
(`sms_for_delivery`; a chunk of them at once, `sms_for_deliveries`), so the message is sent at most
once, by a registered template, with the second provider and the per-number limits. What becomes of the message comes back through
`yezhu.hooks.sms_status_changed` (`on_sms_status`, and `on_sms_statuses` for a batch): a message that fails for good fails its
delivery (staff can resend it), and the delivery report (送达回执) is kept on the message and shown
in the proof of service (`reports_by_delivery`).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import translation

from elections.models import Delivery, Notice
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.services import sms_queue, sms_queue_many
from yezhu.site import public_url

PREFIX = "delivery:"


_SEPARATORS = " :：-—·|｜"


def bare_title(title: str, *prefixes: str) -> str:
    """`title` without the words the message template already says in front of it (the compound's
    name, the notice's kind: "投票提醒：…" in "西园里投票提醒：…"); the whole title if nothing is left."""
    bare = title.strip()
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if prefix and bare.startswith(prefix) and bare[len(prefix) :].strip(_SEPARATORS):
                bare = bare[len(prefix) :].lstrip(_SEPARATORS)
                changed = True
    return bare


def sms_message(notice: Notice) -> tuple[str, dict[str, str]]:
    """The registered template kind and its variables for a notice's text message."""
    compound = notice.compound.name
    with translation.override("zh-hans"):  # it goes to owners' phones whatever the staff's language
        kind = str(notice.get_kind_display())
    params = {"compound": compound, "url": public_url(reverse("elections:inbox"))}
    if notice.kind in (Notice.Kind.REMINDER, Notice.Kind.RESULT):
        # "…: voting on %(title)s is open" / "the result of %(title)s": the election's title reads
        # right there, where the reminder's own title ("投票提醒：投票将于…截止") would not.
        title = notice.election.title if notice.election_id else bare_title(notice.title, compound, kind)
        return ("reminder" if notice.kind == Notice.Kind.REMINDER else "result"), {
            **params,
            "title": bare_title(title, compound),
        }
    return "notice", {**params, "kind": kind, "title": bare_title(notice.title, compound, kind)}


def sms_for_delivery(delivery: Delivery) -> str:
    """Queue the delivery's text message in the outbox (inside the delivery's transaction)."""
    kind, params = sms_message(delivery.notice)
    message = sms_queue(
        phone=delivery.address[:11],
        kind=kind,
        params=params,
        purpose=f"notice:{delivery.notice_id}",
        reference=f"{PREFIX}{delivery.pk}",
    )
    return f"outbox #{message.pk}"


def sms_for_deliveries(deliveries: list[Delivery]) -> list[str]:
    """`sms_for_delivery` for a chunk of deliveries (inside the chunk's transaction): one insert into
    the outbox; each delivery's reference ("outbox #12"), in their order."""
    texts: dict[int, tuple[str, dict[str, str]]] = {}
    rows = []
    for delivery in deliveries:
        if delivery.notice_id not in texts:
            texts[delivery.notice_id] = sms_message(delivery.notice)
        kind, params = texts[delivery.notice_id]
        rows.append(
            {
                "phone": delivery.address[:11],
                "kind": kind,
                "params": params,
                "purpose": f"notice:{delivery.notice_id}",
                "reference": f"{PREFIX}{delivery.pk}",
            }
        )
    return [f"outbox #{message.pk}" for message in sms_queue_many(messages=rows)]


def _delivery_id(message: SmsMessage) -> int | None:
    if not message.reference.startswith(PREFIX):
        return None
    try:
        return int(message.reference[len(PREFIX) :])
    except ValueError:
        return None


def on_sms_statuses(messages: list[SmsMessage]) -> None:
    """`on_sms_status` for a batch: the deliveries of the messages the provider took get its
    reference in one statement; the rare failures go one by one."""
    Status = SmsMessage.Status
    taken = []
    for message in messages:
        delivery_id = _delivery_id(message)
        if delivery_id is None:
            continue
        if message.status == Status.SENT:
            reply = f"{message.provider} {message.provider_ref}".strip()[:300]
            taken.append(Delivery(pk=delivery_id, provider_reply=reply))
        else:
            on_sms_status(message)
    if taken:
        Delivery.objects.bulk_update(taken, ["provider_reply"], batch_size=500)


def on_sms_status(message: SmsMessage) -> None:
    """Carry a notice message's outcome to its delivery."""
    delivery_id = _delivery_id(message)
    if delivery_id is None:
        return
    Status = SmsMessage.Status
    with transaction.atomic():
        if message.status == Status.FAILED:
            Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.SENT).update(
                status=Delivery.Status.FAILED,
                provider_reply=(message.provider_reply or message.report_code or "failed")[:300],
            )
        elif message.status in (Status.SENT, Status.DELIVERED, Status.UNKNOWN):
            reply = {
                Status.SENT: f"{message.provider} {message.provider_ref}",
                Status.DELIVERED: f"{message.provider} {message.report_code}",
                Status.UNKNOWN: message.provider_reply,
            }[message.status]
            Delivery.objects.filter(pk=delivery_id).update(provider_reply=reply.strip()[:300])


def reports_by_delivery(notice_ids) -> dict[int, dict]:
    """{delivery id: its latest text message's status, provider, report code and report time} for
    the notices given, in one query."""
    rows = (
        SmsMessage.objects.filter(
            purpose__in=[f"notice:{pk}" for pk in notice_ids], reference__startswith=PREFIX
        )
        .order_by("pk")
        .values("reference", "status", "provider", "report_code", "reported_at")
    )
    return {int(row["reference"][len(PREFIX) :]): row for row in rows}
