"""Notices (公告、候选人公示、投票提醒、结果公示、异议答复) and their deliveries (送达).

A `Notice` names its audience and channels; sending it fans out into one `Delivery` per recipient
and channel, created with `bulk_create(ignore_conflicts=True)` on the unique key (notice, round,
channel, recipient), so a second fan-out (a task run twice, beat catching up) adds nothing. Staff
send through elections/mass_sends.py (estimate, budget, approval, rounds); `notice_send` here is the
system's own first send (reminders, alerts, proposals), recorded there as round 1. The deliveries
are then sent in chunks of DELIVERY_CHUNK by `elections.tasks.send_deliveries`, which calls
`deliveries_send` here: the chunk's rows are claimed in one transaction (`SKIP LOCKED` on
PostgreSQL, so two workers never take the same delivery) and skipped unless still queued, and their
text messages go to the SMS outbox in one insert; so each is sent at most once however often its
task runs. Email, which cannot be taken back by a rollback, goes one by one through
`elections.tasks.send_delivery` (`delivery_send`), with the same claim and its own retries.

The delivery rows are the outbox: they are written in the same transaction as the notice's change of
status, and `elections.tasks.drain_deliveries` (beat) queues again whatever is still waiting, so a
broker that was down loses nothing.

Proof of service (送达): the in-site inbox records when an owner first opened a notice
(`delivery_opened`), and `deliveries_export_xlsx` writes, per election, every owner's record (text
message sent, email sent, opened), because a disputed assembly is judged on whether owners were
notified in time.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import (
    Committee,
    CommitteeMember,
    Delivery,
    Election,
    MassSend,
    Notice,
    Voter,
    WorkingGroupMember,
)
from elections.sms_deliveries import reports_by_delivery, sms_for_deliveries, sms_for_delivery, sms_message
from grids.models import Owner, Ownership, RoleAssignment
from yezhu.accounts.models import SmsMessage
from yezhu.actors import Actor, person
from yezhu.audit.log import record
from yezhu.queue import enqueue
from yezhu.site import public_url
from yezhu.sms import SmsError, billed_text, render_body, shown_body, sms_segments
from yezhu.xlsx import Workbook

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a delivery is tried at most this often before it ends `failed`
BACKOFF_SECONDS = 15  # first wait before a retry; doubled at each attempt (15 s, 30 s, 60 s, 120 s)

Kind = Notice.Kind
SmsStatus = SmsMessage.Status
Audience = Notice.Audience
Channel = Delivery.Channel

# The audiences that make sense for each kind of notice; the first is the default.
AUDIENCES_BY_KIND: dict[str, tuple[str, ...]] = {
    Kind.ASSEMBLY: (Audience.ALL_OWNERS, Audience.WORKING_GROUP, Audience.GRID_LEADERS),
    Kind.CANDIDATES: (
        Audience.ALL_OWNERS,
        Audience.CANDIDATES,
        Audience.WORKING_GROUP,
        Audience.GRID_LEADERS,
    ),
    Kind.REMINDER: (Audience.NON_VOTERS, Audience.ALL_OWNERS, Audience.GRID_LEADERS),
    Kind.RESULT: (Audience.ALL_OWNERS, Audience.CANDIDATES, Audience.WORKING_GROUP, Audience.GRID_LEADERS),
    Kind.OBJECTION_ANSWER: (Audience.ALL_OWNERS, Audience.CANDIDATES, Audience.WORKING_GROUP),
    Kind.REELECTION_ALERT: (Audience.STREET_STAFF, Audience.WORKING_GROUP),
    Kind.PROPOSAL: (Audience.COMMITTEE, Audience.STREET_STAFF),
    Kind.OTHER: tuple(Audience.values),
}


class DeliveryRetry(Exception):
    """The provider failed and the delivery has attempts left: the task retries it later."""

    def __init__(self, reason: str, attempts: int):
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


def backoff(attempts: int) -> int:
    """Seconds to wait before the next try after `attempts` failed tries (doubling)."""
    return BACKOFF_SECONDS * 2 ** max(0, attempts - 1)


# ---------------------------------------------------------------------------------------------
# Message texts (in Chinese whatever the staff member's language: they go to owners' phones)
# ---------------------------------------------------------------------------------------------


def inbox_url() -> str:
    return public_url(reverse("elections:inbox"))


def sms_text(notice: Notice) -> str:
    """The text message for a notice, with the registered sign name (签名) the provider requires."""
    with translation.override("zh-hans"):
        return render_body(*sms_message(notice))


def sms_preview(notice: Notice) -> str:
    """The text message as a page shows it: as sent in Chinese, the same template in English."""
    kind, params = sms_message(notice)
    if "kind" in params:  # the notice's kind in the page's language, as the template around it
        params = {**params, "kind": str(notice.get_kind_display())}
    return shown_body(kind, params, sms_text(notice))


def sms_billed_text(notice: Notice) -> str:
    """The text message as the provider sends it (long variables cut): what the estimate counts."""
    with translation.override("zh-hans"):
        return billed_text(*sms_message(notice))


def email_subject(notice: Notice) -> str:
    with translation.override("zh-hans"):
        return _("[%(compound)s] %(title)s") % {"compound": notice.compound.name, "title": notice.title}


def email_text(notice: Notice) -> str:
    with translation.override("zh-hans"):
        footer = _("Also in your inbox on the owners' portal: %(url)s") % {"url": inbox_url()}
        sign = _("%(sign)s (sent automatically, please do not reply)") % {"sign": settings.SMS_SIGN_NAME}
    return f"{notice.body}\n\n{footer}\n\n{sign}\n"


# ---------------------------------------------------------------------------------------------
# Audiences: who receives a notice, in a fixed number of queries whatever the compound's size
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    key: str  # "owner:12" or "user:5"
    owner_id: int | None
    user_id: int | None
    mobile: str
    email: str


def _owner_recipients(owners) -> list[Recipient]:
    rows = owners.order_by("pk").values_list("pk", "user_id", "mobile", "user__phone", "user__email")
    return [
        Recipient(
            key=f"owner:{pk}",
            owner_id=pk,
            user_id=user_id,
            mobile=mobile or user_phone or "",
            email=email or "",
        )
        for pk, user_id, mobile, user_phone, email in rows
    ]


def _user_recipients(rows: Iterable[tuple[int, str, str]]) -> list[Recipient]:
    return [
        Recipient(key=f"user:{pk}", owner_id=None, user_id=pk, mobile=phone or "", email=email or "")
        for pk, phone, email in rows
    ]


def _non_voter_owners(notice: Notice):
    election = notice.election
    if election is None or election.roll_frozen_at is None:
        # Before voting opens nobody has voted: every owner is a non-voter.
        return Owner.objects.filter(ownerships__unit__compound_id=notice.compound_id).distinct()
    waiting = Voter.objects.filter(election=election).exclude(ballots__status="valid")
    return Owner.objects.filter(ownerships__unit__election_voters__in=waiting).distinct()


def _committee_owners(compound_id: int):
    """The owners sitting on the compound's committee in office (filed, or registered by hand),
    alternates left out: one query, whatever the committee's size."""
    sitting = (
        Committee.objects.filter(compound_id=compound_id, ended_on__isnull=True)
        .exclude(filed_on__isnull=True, election__isnull=False)
        .order_by("-term_start", "-pk")
        .values("pk")[:1]
    )
    members = CommitteeMember.objects.filter(committee_id__in=sitting, owner__isnull=False).exclude(
        role=CommitteeMember.Role.ALTERNATE
    )
    return Owner.objects.filter(pk__in=members.values("owner_id"))


def audience_recipients(notice: Notice) -> list[Recipient]:
    """Everyone the notice goes to, once each (a person in two roles is one recipient)."""
    audience = notice.audience
    compound_id = notice.compound_id
    found: list[Recipient] = []
    if audience == Audience.ALL_OWNERS:
        found = _owner_recipients(Owner.objects.filter(ownerships__unit__compound_id=compound_id).distinct())
    elif audience == Audience.NON_VOTERS:
        found = _owner_recipients(_non_voter_owners(notice))
    elif audience == Audience.CANDIDATES:
        if notice.election_id:
            owners = Owner.objects.filter(
                Q(candidacies__race__election_id=notice.election_id)
                | Q(nominations__election_id=notice.election_id, nominations__status="approved")
            ).distinct()
            found = _owner_recipients(owners)
    elif audience == Audience.WORKING_GROUP:
        if notice.election_id:
            members = WorkingGroupMember.objects.filter(election_id=notice.election_id).values_list(
                "user_id", "user__phone", "user__email", "owner_id", "owner__mobile", "owner__user_id"
            )
            for user_id, phone, email, owner_id, owner_mobile, owner_user in members:
                if user_id:
                    found.append(Recipient(f"user:{user_id}", None, user_id, phone or "", email or ""))
                elif owner_id:
                    found.append(Recipient(f"owner:{owner_id}", owner_id, owner_user, owner_mobile or "", ""))
        found += _user_recipients(
            RoleAssignment.objects.filter(role=RoleAssignment.Role.WORKING_GROUP, compound_id=compound_id)
            .order_by("user_id")
            .values_list("user_id", "user__phone", "user__email")
        )
    elif audience == Audience.GRID_LEADERS:
        found = _user_recipients(
            RoleAssignment.objects.filter(role=RoleAssignment.Role.GRID_LEADER, grid__compound_id=compound_id)
            .order_by("user_id")
            .values_list("user_id", "user__phone", "user__email")
        )
    elif audience == Audience.COMMITTEE:
        found = _owner_recipients(_committee_owners(compound_id))
    elif audience == Audience.STREET_STAFF:
        found = _user_recipients(
            RoleAssignment.objects.filter(
                role=RoleAssignment.Role.STREET_STAFF, street__communities__compounds__id=compound_id
            )
            .order_by("user_id")
            .values_list("user_id", "user__phone", "user__email")
        )
    unique: dict[str, Recipient] = {}
    for recipient in found:
        unique.setdefault(recipient.key, recipient)
    return list(unique.values())


def delivery_address(recipient: Recipient, channel: str) -> str:
    if channel == Channel.SMS:
        return recipient.mobile
    if channel == Channel.EMAIL:
        return recipient.email
    return ""


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------


def _clean_channels(channels: Iterable[str]) -> list[str]:
    chosen = [c for c in Notice.CHANNELS if c in set(channels)]
    unknown = set(channels) - set(Notice.CHANNELS)
    if unknown or not chosen:
        raise ElectionError(_("Choose at least one way to send the notice: text message, email or inbox."))
    return chosen


def notice_create(
    *,
    compound,
    election: Election | None = None,
    kind: str,
    audience: str,
    channels: Iterable[str],
    title: str,
    body: str,
    scheduled_at: datetime | None = None,
    dedupe_key: str = "",
    actor: Actor,
) -> Notice:
    """Write a notice (a draft, or scheduled when `scheduled_at` is given).

    With a `dedupe_key`, a second call returns the notice the first made (beat's reminders and
    alerts): the database's unique key decides, so two ticks at once make one notice.
    """
    if kind not in Kind.values:
        raise ElectionError(_("Unknown kind of notice."))
    if audience not in Audience.values:
        raise ElectionError(_("Unknown audience."))
    if election is not None and election.compound_id != compound.pk:
        raise ElectionError(_("The election belongs to another compound."))
    if audience in (Audience.NON_VOTERS, Audience.CANDIDATES) and election is None:
        raise ElectionError(_("This audience needs an election."))
    if not title.strip() or not body.strip():
        raise ElectionError(_("Give the notice a title and a text."))
    chosen = _clean_channels(channels)
    notice = Notice(
        compound=compound,
        election=election,
        kind=kind,
        audience=audience,
        channels=chosen,
        title=title.strip()[:200],
        body=body.strip(),
        scheduled_at=scheduled_at,
        status=Notice.Status.SCHEDULED if scheduled_at else Notice.Status.DRAFT,
        dedupe_key=dedupe_key,
        created_by=person(actor),
    )
    notice.full_clean(exclude=["created_by", "election"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            notice.save()
            record(
                "notice.created",
                actor=actor,
                obj=notice,
                election_id=notice.election_id,
                compound_id=compound.pk,
                summary=f"{kind} notice to {audience} by {', '.join(chosen)}: {notice.title}",
                data={"kind": kind, "audience": audience, "channels": chosen, "dedupe_key": dedupe_key},
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return Notice.objects.get(compound=compound, dedupe_key=dedupe_key)
    return notice


def notice_schedule(
    *,
    notice: Notice,
    scheduled_at: datetime,
    actor: Actor,
) -> Notice:
    """Set (or move) the moment a notice goes out; beat's `tick` sends it then."""
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.status not in (Notice.Status.DRAFT, Notice.Status.SCHEDULED):
            raise ElectionError(_("This notice has already been sent; write a new one instead."))
        locked.scheduled_at = scheduled_at
        locked.status = Notice.Status.SCHEDULED
        locked.save(update_fields=["scheduled_at", "status"])
        record(
            "notice.scheduled",
            actor=actor,
            obj=locked,
            election_id=locked.election_id,
            compound_id=locked.compound_id,
            summary=f"notice scheduled for {timezone.localtime(scheduled_at):%Y-%m-%d %H:%M}",
            data={"scheduled_at": scheduled_at.isoformat()},
        )
    return locked


def notice_send(*, notice: Notice, actor: Actor, dispatch: bool = True) -> int:
    """Fan the notice out into deliveries (one per recipient and channel) and queue them.

    Safe to call twice: the unique key makes the second fan-out create nothing, and a notice
    already sent is only dispatched again (its queued deliveries). Returns the number of new
    deliveries. The deliveries are queued after the commit; if the broker is down they stay
    `queued` and `drain_deliveries` queues them later.
    """
    with transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("compound__community").get(pk=notice.pk)
        if locked.status in (Notice.Status.SENT, Notice.Status.SENDING):
            # Sent, or a mass send of it is waiting for approval or running (elections/mass_sends.py).
            created = 0
        else:
            now = timezone.now()
            recipients = audience_recipients(locked)
            rows = []
            for recipient in recipients:
                for channel in locked.channels:
                    address = delivery_address(recipient, channel)
                    missing = channel != Channel.INBOX and not address
                    rows.append(
                        Delivery(
                            notice=locked,
                            channel=channel,
                            recipient_key=recipient.key,
                            owner_id=recipient.owner_id,
                            user_id=recipient.user_id,
                            address=address,
                            status=Delivery.Status.FAILED if missing else Delivery.Status.QUEUED,
                            provider_reply=missing_reason(channel) if missing else "",
                        )
                    )
            before = Delivery.objects.filter(notice=locked).count()
            Delivery.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
            created = Delivery.objects.filter(notice=locked).count() - before
            locked.status = Notice.Status.SENT
            locked.sent_at = now
            locked.save(update_fields=["status", "sent_at"])
            _count_send(locked, recipients, actor=actor, now=now)
            record(
                "notice.sent",
                actor=actor,
                obj=locked,
                election_id=locked.election_id,
                compound_id=locked.compound_id,
                summary=f"notice sent to {len(recipients)} recipients, {created} deliveries",
                data={"recipients": len(recipients), "deliveries": created, "channels": locked.channels},
            )
        if dispatch:
            transaction.on_commit(lambda: enqueue("elections.tasks.send_notice", locked.pk))
    notice.refresh_from_db()
    return created


def _count_send(notice: Notice, recipients: list[Recipient], *, actor: Actor, now: datetime) -> None:
    """Record a send the system makes by itself (reminders to non-voters, re-election alerts, an
    owners' proposal to the committee) as the notice's first round, so its text messages count
    against the street's monthly budget like any mass send (elections/mass_sends.py)."""
    by_sms = Channel.SMS in notice.channels
    segments = sms_segments(sms_billed_text(notice)) if by_sms else 0
    messages = segments * sum(1 for r in recipients if r.mobile) if by_sms else 0
    price = settings.SMS_PRICE_PER_MESSAGE
    MassSend.objects.create(
        notice=notice,
        compound_id=notice.compound_id,
        street_id=notice.compound.community.street_id,
        audience=notice.audience,
        round=1,
        recipients=len(recipients),
        sms_recipients=messages // segments if segments else 0,
        segments=segments,
        messages=messages,
        price=price,
        cost=price * messages,
        month=timezone.localdate(now).replace(day=1),
        status=MassSend.Status.SENT,
        requested_by=person(actor),
        sent_at=now,
    )


def missing_reason(channel: str) -> str:
    with translation.override("zh-hans"):
        if channel == Channel.SMS:
            return _("No mobile number on the roll")
        return _("No email address on file")


def notice_dispatch(notice_id: int, *, queue: Callable[[list[int]], bool]) -> int:
    """Queue every delivery of the notice that is still waiting, in chunks of DELIVERY_CHUNK (one
    task each); returns how many deliveries were queued. `queue` answers False when the broker is
    down: the rest then wait for `drain_deliveries`."""
    ids = list(
        Delivery.objects.filter(notice_id=notice_id, status=Delivery.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return queue_in_chunks(ids, queue)


def queue_in_chunks(ids: list[int], queue: Callable[[list[int]], bool]) -> int:
    queued = 0
    for start in range(0, len(ids), DELIVERY_CHUNK):
        chunk = ids[start : start + DELIVERY_CHUNK]
        if not queue(chunk):
            break  # the broker is down: one failure, not one per chunk
        queued += len(chunk)
    return queued


def notices_resend_failed(
    *,
    notice: Notice,
    actor: Actor,
) -> int:
    """Queue the failed deliveries of a notice again, with the roll's current mobile and email.

    A delivery that still has no address stays failed with its reason. Returns how many were queued.
    """
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != Notice.Status.SENT:
            raise ElectionError(_("This notice has not been sent yet."))
        failed = list(
            Delivery.objects.filter(notice=locked, status=Delivery.Status.FAILED).select_related(
                "owner", "owner__user", "user"
            )
        )
        requeued = []
        for delivery in failed:
            if delivery.channel == Channel.SMS:
                person = delivery.owner
                address = (person.mobile or (person.user.phone if person.user else "")) if person else ""
                if not person and delivery.user:
                    address = delivery.user.phone
            elif delivery.channel == Channel.EMAIL:
                user = delivery.user or (delivery.owner.user if delivery.owner else None)
                address = user.email if user else ""
            else:
                address = ""
            if delivery.channel != Channel.INBOX and not address:
                continue
            delivery.address = address
            delivery.status = Delivery.Status.QUEUED
            delivery.attempts = 0
            requeued.append(delivery)
        Delivery.objects.bulk_update(requeued, ["address", "status", "attempts"], batch_size=1000)
        record(
            "notice.resent",
            actor=actor,
            obj=locked,
            election_id=locked.election_id,
            compound_id=locked.compound_id,
            summary=f"{len(requeued)} of {len(failed)} failed deliveries queued again",
            data={"failed": len(failed), "requeued": len(requeued)},
        )
        if requeued:
            transaction.on_commit(lambda: enqueue("elections.tasks.send_notice", locked.pk))
    return len(requeued)


# ---------------------------------------------------------------------------------------------
# One delivery
# ---------------------------------------------------------------------------------------------


def _send_one(delivery: Delivery) -> str:
    """Hand one delivery to its channel; return the provider's reference or raise SmsError."""
    notice = delivery.notice
    if delivery.channel == Channel.INBOX:
        return "inbox"
    if delivery.channel == Channel.SMS:
        return sms_for_delivery(delivery)  # the outbox sends it once, after this transaction commits
    try:
        count = send_mail(
            email_subject(notice),
            email_text(notice),
            settings.DEFAULT_FROM_EMAIL,
            [delivery.address],
            fail_silently=False,
        )
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise SmsError(f"{type(exc).__name__}: {exc}") from exc
    if count != 1:
        raise SmsError("the mail server accepted no message")
    return "email"


def delivery_send(delivery_id: int) -> str:
    """Send one delivery once: "sent", "failed", "skipped" (not queued any more), or raise
    `DeliveryRetry` (after the attempt is saved) when the provider failed and tries remain.

    The row is locked for the send, so a task that runs twice at once sends once.
    """
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notice", "notice__compound")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != Delivery.Status.QUEUED:
            return "skipped"
        delivery.attempts += 1
        try:
            reference = _send_one(delivery)
        except SmsError as exc:
            delivery.provider_reply = str(exc)[:300]
            final = delivery.attempts >= MAX_ATTEMPTS
            delivery.status = Delivery.Status.FAILED if final else Delivery.Status.QUEUED
            delivery.save(update_fields=["attempts", "provider_reply", "status"])
            outcome = "failed" if final else "retry"
        else:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.provider_reply = str(reference)[:300]
            delivery.save(update_fields=["attempts", "provider_reply", "status", "sent_at"])
            outcome = "sent"
    if outcome == "retry":
        raise DeliveryRetry(delivery.provider_reply, delivery.attempts)
    return outcome


# ---------------------------------------------------------------------------------------------
# A chunk of deliveries (the fan-out)
# ---------------------------------------------------------------------------------------------

#: Deliveries one task sends at once (`elections.tasks.send_deliveries`).
DELIVERY_CHUNK = 200
#: The channels a chunk sends in its own transaction: both are rows written in the database (the
#: inbox is the delivery itself, a text message goes to the SMS outbox), so a chunk that rolls back
#: has sent nothing. An email leaves at once and cannot be taken back: it keeps `delivery_send`.
CHUNK_CHANNELS = (Channel.INBOX, Channel.SMS)


@dataclass
class ChunkOutcome:
    sent: int = 0  # marked sent here (an inbox delivery, or a text message handed to the outbox)
    skipped: int = 0  # no longer queued, or being sent by another worker
    one_by_one: list[int] = field(default_factory=list)  # still queued, for `send_delivery` (email)


def _claim_chunk(ids: list[int]) -> list[Delivery]:
    """Lock and claim the chunk's deliveries that are still queued (inside the chunk's transaction).

    PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a second worker given the same deliveries (a task run
    twice, the drain) takes none of those the first holds, without waiting for it. The claim is
    then a conditional update (`status = queued`) that must touch every row read: on SQLite (no row
    locks, one writer at a time) a delivery changed meanwhile makes the chunk roll back, never go
    out twice."""
    waiting = Delivery.objects.filter(pk__in=ids, status=Delivery.Status.QUEUED, channel__in=CHUNK_CHANNELS)
    if connection.features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True, of=("self",))
    rows = list(waiting.select_related("notice", "notice__compound", "notice__election").order_by("pk"))
    if not rows:
        return []
    claimed = Delivery.objects.filter(pk__in=[d.pk for d in rows], status=Delivery.Status.QUEUED).update(
        attempts=F("attempts") + 1
    )
    if claimed != len(rows):
        log.warning("delivery chunk from #%s: taken meanwhile by another worker; left to it", ids[0])
        transaction.set_rollback(True)
        return []
    for delivery in rows:
        delivery.attempts += 1
    return rows


def deliveries_send(delivery_ids: Iterable[int]) -> ChunkOutcome:
    """Send a chunk of deliveries, each at most once, in one transaction: claimed together, the
    inbox ones marked sent, the text messages written to the SMS outbox in one insert (sent by the
    outbox after the commit, `yezhu.accounts.tasks.send_sms_batch`), each delivery marked as
    `delivery_send` marks it. A worker that dies mid-chunk rolls the whole chunk back: its
    deliveries are still queued, and `drain_deliveries` queues them again.

    Email deliveries are not sent here but returned (`one_by_one`) for `send_delivery`."""
    ids = sorted(set(delivery_ids))
    outcome = ChunkOutcome()
    if not ids:
        return outcome
    with transaction.atomic():
        claimed = _claim_chunk(ids)
        now = timezone.now()
        inbox = [d for d in claimed if d.channel == Channel.INBOX]
        texts = [d for d in claimed if d.channel == Channel.SMS]
        for delivery, reference in zip(texts, sms_for_deliveries(texts) if texts else [], strict=True):
            delivery.provider_reply = reference[:300]
        for delivery in inbox:
            delivery.provider_reply = "inbox"
        for delivery in claimed:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = now
        Delivery.objects.bulk_update(claimed, ["provider_reply", "status", "sent_at"], batch_size=500)
        outcome.sent = len(claimed)
    taken = {d.pk for d in claimed}
    outcome.one_by_one = list(
        Delivery.objects.filter(pk__in=[pk for pk in ids if pk not in taken], status=Delivery.Status.QUEUED)
        .exclude(channel__in=CHUNK_CHANNELS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    outcome.skipped = len(ids) - outcome.sent - len(outcome.one_by_one)
    return outcome


def delivery_opened(
    *,
    delivery: Delivery,
    actor: Actor,
) -> bool:
    """Record that the owner opened the notice in the inbox (proof of service); only the first
    opening counts. Returns True when this call recorded it."""
    now = timezone.now()
    with transaction.atomic():
        changed = Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=now)
        if changed:
            notice = delivery.notice
            record(
                "notice.opened",
                actor=actor,
                obj=delivery,
                election_id=notice.election_id,
                compound_id=notice.compound_id,
                summary=f"notice #{notice.pk} opened by {delivery.recipient_key}",
                data={"notice": notice.pk, "recipient": delivery.recipient_key},
            )
    delivery.refresh_from_db(fields=["opened_at"])
    return bool(changed)


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def delivery_counts(notices: Iterable[Notice]) -> dict[int, dict[str, int]]:
    """{notice id: {"queued": n, "sent": n, "failed": n, "opened": n, "total": n}} in one query."""
    ids = [n.pk for n in notices]
    counts: dict[int, dict[str, int]] = {
        pk: {s: 0 for s in (*Delivery.Status.values, "opened", "total")} for pk in ids
    }
    rows = (
        Delivery.objects.filter(notice_id__in=ids)
        .values("notice_id", "status")
        .annotate(n=Count("pk"), opened=Count("pk", filter=Q(opened_at__isnull=False)))
    )
    for row in rows:
        entry = counts[row["notice_id"]]
        entry[row["status"]] += row["n"]
        entry["opened"] += row["opened"]
        entry["total"] += row["n"]
    return counts


def delivery_matrix(notice: Notice) -> list[dict]:
    """Per channel: counts by status and openings, for the notice's page."""
    rows = (
        Delivery.objects.filter(notice=notice)
        .values("channel", "status")
        .annotate(n=Count("pk"), opened=Count("pk", filter=Q(opened_at__isnull=False)))
    )
    table: dict[str, dict] = {}
    for channel in notice.channels:
        table[channel] = {
            "channel": channel,
            "label": Channel(channel).label,
            "queued": 0,
            "sent": 0,
            "failed": 0,
            "opened": 0,
            "total": 0,
        }
    for row in rows:
        entry = table.setdefault(
            row["channel"],
            {
                "channel": row["channel"],
                "label": Channel(row["channel"]).label,
                "queued": 0,
                "sent": 0,
                "failed": 0,
                "opened": 0,
                "total": 0,
            },
        )
        entry[row["status"]] += row["n"]
        entry["opened"] += row["opened"]
        entry["total"] += row["n"]
    return list(table.values())


def mask_address(address: str) -> str:
    """A mobile number with only its last four digits; an email with its first letter and domain."""
    if not address:
        return ""
    if "@" in address:
        local, _sep, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return "*" * max(0, len(address) - 4) + address[-4:]


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def deliveries_export_xlsx(
    election: Election, *, progress: Callable[[int, int], None] | None = None
) -> bytes:
    """The proof-of-service record of an election (送达记录): each owner, their units, each notice
    and channel, when it was sent, its status, the provider's reason and when it was opened.

    Mobile numbers are masked except their last four digits. Costs a fixed number of queries.
    """
    with translation.override("zh-hans"):
        header = [
            _("Notice"),
            _("Kind"),
            _("Owner or staff"),
            _("Units"),
            _("How sent"),
            _("Mobile or email"),
            _("Status"),
            _("Sent at"),
            _("Provider reply"),
            _("Delivery report"),
            _("Report code"),
            _("Reported at"),
            _("Opened at"),
        ]
        units: dict[int, list[str]] = {}
        for owner_id, code in (
            Ownership.objects.filter(unit__compound_id=election.compound_id)
            .order_by("unit__code")
            .values_list("owner_id", "unit__code")
        ):
            units.setdefault(owner_id, []).append(code)
        deliveries = (
            Delivery.objects.filter(notice__election=election)
            .select_related("notice", "owner", "user")
            .order_by("notice__created_at", "notice_id", "owner__name", "recipient_key", "channel")
        )
        total = deliveries.count()
        reports = reports_by_delivery(Notice.objects.filter(election=election).values_list("pk", flat=True))
        sms_status = dict(SmsStatus.choices)
        workbook = Workbook(streaming=True)
        sheet = workbook.sheet(_("Proof of service"))
        sheet.append(header)
        for done, d in enumerate(deliveries.iterator(chunk_size=2000), start=1):
            name = d.owner.name if d.owner else (str(d.user) if d.user else d.recipient_key)
            sheet.append(
                [
                    d.notice.title,
                    d.notice.get_kind_display(),
                    name,
                    "、".join(units.get(d.owner_id, [])) if d.owner_id else "",
                    d.get_channel_display(),
                    mask_address(d.address),
                    d.get_status_display(),
                    _local(d.sent_at),
                    d.provider_reply,
                    str(sms_status.get(reports[d.pk]["status"], "")) if d.pk in reports else "",
                    reports[d.pk]["report_code"] if d.pk in reports else "",
                    _local(reports[d.pk]["reported_at"]) if d.pk in reports else "",
                    _local(d.opened_at),
                ]
            )
            if progress is not None and done % 500 == 0:
                progress(done, total)
        return workbook.to_bytes()


def inbox_deliveries(user):
    """The signed-in person's in-site inbox: their own deliveries on the inbox channel."""
    if not getattr(user, "is_authenticated", False):
        return Delivery.objects.none()
    return (
        Delivery.objects.filter(channel=Channel.INBOX)
        .filter(Q(owner__user=user) | Q(user=user))
        .select_related("notice", "notice__compound")
        .order_by("-notice__sent_at", "-pk")
    )


def inbox_unread_count(user) -> int:
    """How many notices in the person's inbox they have not opened yet (the header's counter)."""
    return inbox_deliveries(user).filter(status=Delivery.Status.SENT, opened_at__isnull=True).count()
