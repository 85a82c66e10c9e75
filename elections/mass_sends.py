"""Mass sends (群发) of a notice: the estimate, the street's monthly budget, the second staff
member's approval, the job that sends, and no second send by accident.

- **Estimate** (`mass_send_estimate`): the people the notice goes to, how many of them have a
  mobile number, how many billed text messages that makes (`yezhu.sms.sms_segments`: 70
  characters for one, 67 per part beyond) and what it costs at `SMS_PRICE_PER_MESSAGE` 元, all
  in `Decimal`.
- **Budget**: a street's `sms_monthly_budget` (empty: no ceiling). Every send that is not refused
  counts in the calendar month (Asia/Shanghai) it was asked for, a send waiting for approval
  included, so two requests cannot both spend the last of it. The street's row is locked while a
  request decides, so requests from two compounds of one street are decided one after the other.
- **Approval**: a send of more than `MASS_SEND_APPROVAL_OVER` text messages waits until another
  staff member who manages the compound approves it; whoever asked for it cannot.
- **Job**: an approved (or small) send runs as a background job (`elections.tasks.mass_send_job`)
  that writes the deliveries in batches and reports its progress; the deliveries are the outbox
  (elections/notices.py). A job whose queueing failed stays `queued` and beat queues it again.
- **Once**: each send of a notice is a `round`. A request names the round it expects (the one the
  estimate showed); the database allows one live send per round (a partial unique index), so two
  clicks at once make one send, and a second send of a notice to the same audience is refused
  unless staff confirm it as a resend (it then counts against the budget again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Delivery, MassSend, Notice
from elections.notices import audience_recipients, delivery_address, missing_reason, sms_billed_text
from elections.selectors import can_manage
from grids.models import Street
from grids.selectors import managed_compounds
from yezhu.actors import Actor, SystemActor, person, require_actor
from yezhu.audit.log import record
from yezhu.jobs.services import job_start
from yezhu.queue import enqueue
from yezhu.sms import sms_length, sms_segments

log = logging.getLogger(__name__)

MASS_SEND_KIND = "mass_send"
BATCH = 500  # recipients written per transaction while the job runs (its progress steps)
Status = MassSend.Status
Channel = Delivery.Channel


class MassSendRefused(ElectionError):
    code = "mass_send_refused"
    status = 400

    def __init__(self, message: str, *, code: str, status: int = 400):
        super().__init__(message, code=code)
        self.status = status


def month_of(moment: datetime) -> date:
    """The first day of the calendar month (Asia/Shanghai) a moment falls in: the budget's month."""
    return timezone.localdate(moment).replace(day=1)


def yuan(amount: Decimal) -> str:
    """An amount in 元, exactly: two decimals at least, more where the price has them (0.135)."""
    text = f"{amount.quantize(Decimal('0.0001')):f}"
    whole, _sep, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def _live(notice_id: int):
    return MassSend.objects.filter(notice_id=notice_id).exclude(status=Status.REFUSED)


def street_spent(street_id: int, month: date) -> Decimal:
    """What the street's sends of the month cost (waiting, queued and sent; refused ones not)."""
    total = (
        MassSend.objects.filter(street_id=street_id, month=month)
        .exclude(status=Status.REFUSED)
        .aggregate(total=Sum("cost"))["total"]
    )
    return total or Decimal("0")


def _last_round(notice: Notice) -> int:
    """The round of the notice's latest send; a notice sent before mass sends were recorded
    (deliveries but no row) counts as one send."""
    last = _live(notice.pk).aggregate(top=Max("round"))["top"] or 0
    if last == 0 and notice.status == Notice.Status.SENT:
        return 1
    return last


@dataclass(frozen=True)
class Estimate:
    """What a send of the notice would be, now."""

    recipients: int  # people
    sms_recipients: int  # of them, with a mobile number (when the notice goes by text message)
    characters: int  # length of the text message as providers count it
    segments: int  # billed text messages per person
    messages: int  # billed text messages in all
    price: Decimal
    cost: Decimal
    month: date
    budget: Decimal | None  # the street's monthly budget; None: no ceiling
    spent: Decimal
    round: int  # the round this send would be
    approval_over: int
    previous: list[MassSend] = field(default_factory=list)  # earlier live sends, newest first

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.spent

    @property
    def within_budget(self) -> bool:
        return self.budget is None or self.cost <= self.budget - self.spent

    @property
    def needs_approval(self) -> bool:
        return self.messages > self.approval_over

    @property
    def is_resend(self) -> bool:
        return self.round > 1


def _channels(notice: Notice, round_: int) -> list[str]:
    """The channels of a send: a resend repeats texts and emails; the inbox already holds it."""
    if round_ > 1:
        return [c for c in notice.channels if c != Channel.INBOX]
    return list(notice.channels)


def mass_send_estimate(notice: Notice, *, now: datetime | None = None) -> Estimate:
    """People, text messages and cost of sending the notice now, with the street's budget."""
    now = now or timezone.now()
    street = Street.objects.get(pk=notice.compound.community.street_id)
    round_ = _last_round(notice) + 1
    recipients = audience_recipients(notice)
    by_sms = Channel.SMS in _channels(notice, round_)
    text = sms_billed_text(notice) if by_sms else ""
    sms_recipients = sum(1 for r in recipients if r.mobile) if by_sms else 0
    segments = sms_segments(text)
    messages = sms_recipients * segments
    price = settings.SMS_PRICE_PER_MESSAGE
    month = month_of(now)
    return Estimate(
        recipients=len(recipients),
        sms_recipients=sms_recipients,
        characters=sms_length(text),
        segments=segments,
        messages=messages,
        price=price,
        cost=price * messages,
        month=month,
        budget=street.sms_monthly_budget,
        spent=street_spent(street.pk, month),
        round=round_,
        approval_over=settings.MASS_SEND_APPROVAL_OVER,
        previous=list(_live(notice.pk).select_related("requested_by").order_by("-round")),
    )


# ---------------------------------------------------------------------------------------------
# Who may send
# ---------------------------------------------------------------------------------------------


def may_send(actor: Actor, notice: Notice) -> bool:
    """Staff who manage the notice's compound (street, community, working group) or the system."""
    if isinstance(actor, SystemActor):
        return actor.acts_anywhere
    user = person(actor)
    if user is None:
        return False
    if notice.election is not None:
        return can_manage(user, notice.election)
    return managed_compounds(user).filter(pk=notice.compound_id).exists()


def _check_may_send(actor: Actor, notice: Notice) -> None:
    require_actor(actor)
    if not may_send(actor, notice):
        raise MassSendRefused(
            _("Only staff who manage this compound may send its notices."), code="not_allowed", status=403
        )


# ---------------------------------------------------------------------------------------------
# Request, approve, refuse
# ---------------------------------------------------------------------------------------------


def _audit(action: str, send: MassSend, *, actor: Actor, summary: str, **data) -> None:
    record(
        action,
        actor=actor,
        obj=send.notice,
        election_id=send.notice.election_id,
        compound_id=send.compound_id,
        summary=summary,
        data={
            "mass_send": send.pk,
            "round": send.round,
            "audience": send.audience,
            "recipients": send.recipients,
            "messages": send.messages,
            "cost": str(send.cost),
            **data,
        },
    )


def mass_send_request(
    *,
    notice: Notice,
    actor: Actor,
    round: int,  # noqa: A002 - the round the estimate showed, named as staff see it
    resend: bool = False,
    now: datetime | None = None,
    run_now: bool = False,
) -> MassSend:
    """Ask for the notice to go out: refused when it was sent (or asked for) already and the
    resend is not confirmed, or when it would cost more than what is left of the street's budget;
    held for approval above the threshold; otherwise queued as a job (or, with `run_now`, for a
    task already in a worker, sent at once).
    """
    _check_may_send(actor, notice)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = (
                Notice.objects.select_for_update().select_related("compound__community").get(pk=notice.pk)
            )
            # The street first: requests of one street decide on its budget one after the other.
            street = Street.objects.select_for_update().get(pk=locked.compound.community.street_id)
            if _live(locked.pk).filter(status=Status.PENDING).exists():
                raise MassSendRefused(
                    _("A send of this notice is already waiting for approval."), code="send_pending"
                )
            estimate = mass_send_estimate(locked, now=now)
            if round != estimate.round:
                raise MassSendRefused(
                    _(
                        "This notice was sent (or a send was asked for) since you looked: "
                        "nothing was sent again. Look at the estimate again."
                    ),
                    code="already_sent",
                )
            if estimate.is_resend and not resend:
                raise MassSendRefused(
                    _(
                        "This notice has already gone to this audience. To send it again, confirm "
                        "that it is a resend: it counts against the budget again."
                    ),
                    code="resend_unconfirmed",
                )
            if not estimate.within_budget:
                raise MassSendRefused(
                    _(
                        "Over the street's text-message budget: this send would cost %(cost)s yuan "
                        "and only %(left)s yuan is left this month (budget %(budget)s yuan)."
                    )
                    % {
                        "cost": yuan(estimate.cost),
                        "left": yuan(max(estimate.remaining or Decimal("0"), Decimal("0"))),
                        "budget": yuan(estimate.budget or Decimal("0")),
                    },
                    code="over_budget",
                )
            send = MassSend.objects.create(
                notice=locked,
                compound_id=locked.compound_id,
                street=street,
                audience=locked.audience,
                round=estimate.round,
                resend=estimate.is_resend,
                recipients=estimate.recipients,
                sms_recipients=estimate.sms_recipients,
                segments=estimate.segments,
                messages=estimate.messages,
                price=estimate.price,
                cost=estimate.cost,
                month=estimate.month,
                status=Status.PENDING if estimate.needs_approval else Status.QUEUED,
                # A notice the scheduler sends was asked for by whoever scheduled it.
                requested_by=person(actor) or locked.created_by,
            )
            if locked.status in (Notice.Status.DRAFT, Notice.Status.SCHEDULED):
                locked.status = Notice.Status.SENDING
                locked.save(update_fields=["status"])
            _audit(
                "notice.send_requested",
                send,
                actor=actor,
                summary=(
                    f"send #{send.round} of notice {locked.title} asked for: {send.recipients} people, "
                    f"{send.messages} text messages, {yuan(send.cost)} yuan"
                    + (" (waiting for approval)" if send.status == Status.PENDING else "")
                ),
                resend=send.resend,
                needs_approval=send.status == Status.PENDING,
            )
            if send.status == Status.QUEUED and not run_now:
                _start_job(send, actor=actor)
    except IntegrityError:
        # Another request for the same round committed first (two clicks at once).
        raise MassSendRefused(
            _("This notice is already being sent: nothing was sent twice."), code="already_sent"
        ) from None
    if run_now and send.status == Status.QUEUED:
        mass_send_run(send.pk, actor=actor)
        send.refresh_from_db()
    return send


def _start_job(send: MassSend, *, actor: Actor) -> None:
    job = job_start(
        kind=MASS_SEND_KIND,
        user=person(actor) or send.requested_by,
        task="elections.tasks.mass_send_job",
        params={"mass_send": send.pk},
        compound_id=send.compound_id,
        election_id=send.notice.election_id,
    )
    MassSend.objects.filter(pk=send.pk).update(job=job)
    send.job = job


def _locked_pending(send: MassSend, actor: Actor) -> MassSend:
    locked = MassSend.objects.select_for_update().select_related("notice").get(pk=send.pk)
    _check_may_send(actor, locked.notice)
    if locked.status != Status.PENDING:
        raise MassSendRefused(_("This send is no longer waiting for approval."), code="not_pending")
    return locked


def mass_send_approve(*, mass_send: MassSend, actor: Actor) -> MassSend:
    """A second staff member approves a send held above the threshold; it then runs as a job."""
    require_actor(actor)
    user = person(actor)
    if user is None:
        raise MassSendRefused(
            _("Only a staff member may approve a send."), code="person_required", status=403
        )
    with transaction.atomic():
        locked = _locked_pending(mass_send, actor)
        if locked.requested_by_id == user.pk:
            raise MassSendRefused(
                _("You asked for this send: another staff member must approve it."),
                code="own_request",
                status=403,
            )
        locked.status = Status.QUEUED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        _audit(
            "notice.send_approved",
            locked,
            actor=actor,
            summary=f"send #{locked.round} of notice {locked.notice.title} approved ({locked.messages} text messages)",
            requested_by=locked.requested_by_id,
        )
        _start_job(locked, actor=actor)
    return locked


def mass_send_refuse(*, mass_send: MassSend, actor: Actor, note: str = "") -> MassSend:
    """Refuse (or, for whoever asked, withdraw) a send waiting for approval: it costs nothing and
    the notice can be sent again without a resend."""
    require_actor(actor)
    user = person(actor)
    if user is None:
        raise MassSendRefused(_("Only a staff member may refuse a send."), code="person_required", status=403)
    with transaction.atomic():
        locked = _locked_pending(mass_send, actor)
        locked.status = Status.REFUSED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        locked.note = note.strip()[:300]
        locked.save(update_fields=["status", "decided_by", "decided_at", "note"])
        notice = Notice.objects.select_for_update().get(pk=locked.notice_id)
        if notice.status == Notice.Status.SENDING and not _live(notice.pk).exists():
            notice.status = Notice.Status.DRAFT
            notice.save(update_fields=["status"])
        _audit(
            "notice.send_refused",
            locked,
            actor=actor,
            summary=f"send #{locked.round} of notice {notice.title} refused: {locked.note or '-'}",
            requested_by=locked.requested_by_id,
            note=locked.note,
        )
    return locked


# ---------------------------------------------------------------------------------------------
# The send itself (the job)
# ---------------------------------------------------------------------------------------------


def mass_send_run(
    mass_send_id: int,
    *,
    actor: Actor,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the send's deliveries in batches, then mark it sent and queue the deliveries.

    Safe to run twice and after a crash: the deliveries' unique key (notice, round, channel,
    recipient) makes a batch written before add nothing, and a send that is no longer queued is
    skipped. Returns the number of deliveries this call wrote.
    """
    send = MassSend.objects.select_related("notice__compound").filter(pk=mass_send_id).first()
    if send is None or send.status != Status.QUEUED:
        return 0
    notice = send.notice
    channels = _channels(notice, send.round)
    recipients = audience_recipients(notice)
    total = len(recipients)
    created = 0
    if progress is not None:
        progress(0, total)
    for start in range(0, total, BATCH):
        rows = []
        for recipient in recipients[start : start + BATCH]:
            for channel in channels:
                address = delivery_address(recipient, channel)
                missing = channel != Channel.INBOX and not address
                rows.append(
                    Delivery(
                        notice=notice,
                        round=send.round,
                        channel=channel,
                        recipient_key=recipient.key,
                        owner_id=recipient.owner_id,
                        user_id=recipient.user_id,
                        address=address,
                        status=Delivery.Status.FAILED if missing else Delivery.Status.QUEUED,
                        provider_reply=missing_reason(channel) if missing else "",
                    )
                )
        with transaction.atomic():
            before = Delivery.objects.filter(notice=notice, round=send.round).count()
            Delivery.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
            created += Delivery.objects.filter(notice=notice, round=send.round).count() - before
        if progress is not None:
            progress(min(start + BATCH, total), total)
    with transaction.atomic():
        now = timezone.now()
        if (
            MassSend.objects.filter(pk=send.pk, status=Status.QUEUED).update(status=Status.SENT, sent_at=now)
            != 1
        ):
            return created
        Notice.objects.filter(pk=notice.pk).exclude(status=Notice.Status.SENT).update(
            status=Notice.Status.SENT, sent_at=now
        )
        send.status = Status.SENT
        _audit(
            "notice.sent",
            send,
            actor=actor,
            summary=f"send #{send.round} of notice {notice.title}: {total} recipients, {created} deliveries",
            deliveries=created,
            channels=channels,
        )
        transaction.on_commit(lambda: enqueue("elections.tasks.send_notice", notice.pk))
    return created


def mass_send_progress(send: MassSend) -> dict:
    """The progress bar's numbers: the job's while it writes the deliveries, then the deliveries'
    own (sent or failed out of all) until none is waiting."""
    job = send.job
    if send.status == Status.PENDING:
        return {"status": "queued", "done": 0, "total": send.recipients, "percent": 0}
    if send.status == Status.REFUSED:
        return {"status": "failed", "done": 0, "total": 0, "percent": 0}
    if send.status == Status.QUEUED:
        if job is None:
            return {"status": "queued", "done": 0, "total": send.recipients, "percent": 0}
        status = "running" if job.status in ("running", "done") else str(job.status)
        return {"status": status, "done": job.done, "total": job.total, "percent": min(job.percent, 99)}
    rows = Delivery.objects.filter(notice_id=send.notice_id, round=send.round)
    total = rows.count()
    waiting = rows.filter(status=Delivery.Status.QUEUED).count()
    done = total - waiting
    return {
        "status": "running" if waiting else "done",
        "done": done,
        "total": total,
        "percent": 100 if not total else done * 100 // total,
    }
