"""Celery tasks of the elections app: sending notices, the outbox drain, and beat's `tick`.

Every task takes ids, loads, calls services, and is safe to run twice and safe to run late:

- `send_notice` fans a notice out (a second fan-out creates nothing) and queues its deliveries in
  chunks of `DELIVERY_CHUNK`.
- `send_deliveries` sends a chunk in one transaction, each delivery at most once (the rows are
  claimed with `SKIP LOCKED`, so two workers never take the same one; a text message goes to the
  SMS outbox, which sends the chunk's messages as a batch, `send_sms_batch`).
- `send_delivery` sends one delivery at most once (the row is locked and skipped unless queued),
  retrying with a doubling back-off until it ends `sent` or `failed` with the provider's reason:
  the path of email, which leaves at once and cannot ride in a chunk's transaction.
- `drain_deliveries` (beat) queues again the deliveries still waiting: the outbox drain that
  recovers work whose queueing failed while the broker was down, or whose worker died mid-chunk.
- `tick` (beat, every minute) does what is due by the clock, whatever was missed while no worker
  ran: scheduled notices, opening and closing voting, reminders to non-voters, the end of the
  objection window, and re-election alerts. Each piece decides from the database what is due, and
  makes it once (conditional updates in the lifecycle services, unique `dedupe_key` on notices).

`BEAT_SCHEDULE` is merged into `settings.CELERY_BEAT_SCHEDULE`.

The tasks that web requests queue ignore their results: with a Redis result backend, queueing a
task whose result is kept first subscribes to its result channel, and with Redis down that waits
for the backend's retries (about 20 s) before failing; ignoring the result makes the publish fail
in under a second, so the page answers and the outbox row waits for the drain.
"""

from __future__ import annotations

import inspect
import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from elections import lifecycle
from elections.errors import ElectionError
from elections.mass_sends import (
    MASS_SEND_KIND,
    MassSendRefused,
    mass_send_estimate,
    mass_send_request,
    mass_send_run,
)
from elections.models import Committee, Delivery, Election, Escalation, Notice, PropertyCommittee, Stage
from elections.notices import (
    DeliveryRetry,
    backoff,
    deliveries_export_xlsx,
    deliveries_send,
    delivery_send,
    notice_create,
    notice_dispatch,
    notice_send,
    queue_in_chunks,
)
from yezhu.actors import SCHEDULER
from yezhu.audit.log import record
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_finish, job_progress
from yezhu.jobs.tasks import register
from yezhu.queue import enqueue

log = logging.getLogger(__name__)

BEAT_SCHEDULE = {
    "elections-tick": {"task": "elections.tasks.tick", "schedule": 60.0},
    "elections-drain-deliveries": {"task": "elections.tasks.drain_deliveries", "schedule": 120.0},
}

DEFAULT_REMINDER_OFFSETS_HOURS = (72, 24)  # 3 days and 1 day before the close
DRAIN_AFTER_MINUTES = 5
EXPORT_KIND = "deliveries_export"
# The stage from which beat opens voting at `voting_opens_at`: after the candidate notice, or after
# the assembly notice for a vote on matters only (the lifecycle service checks the rest).
BEFORE_VOTING = Q(stage=Stage.CANDIDATE_NOTICE) | Q(stage=Stage.NOTICE, kind=Election.Kind.MATTERS_ONLY)


# ---------------------------------------------------------------------------------------------
# Notices
# ---------------------------------------------------------------------------------------------


@shared_task(name="elections.tasks.send_notice", acks_late=True, ignore_result=True)
def send_notice(notice_id: int) -> int:
    """Fan out a notice if that is not done yet, then queue each delivery still waiting."""
    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        return 0
    if notice.status != Notice.Status.SENT:
        notice_send(notice=notice, dispatch=False, actor=SCHEDULER)
    return notice_dispatch(notice_id, queue=lambda ids: enqueue(send_deliveries, ids))


@shared_task(name="elections.tasks.send_deliveries", acks_late=True, ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Send a chunk of deliveries (the fan-out). Safe to run twice and at once: each delivery is
    claimed by one run, and one no longer queued is skipped. Email deliveries go on one by one."""
    outcome = deliveries_send(delivery_ids)
    for pk in outcome.one_by_one:
        if not enqueue(send_delivery, pk):
            break  # the broker is down: the drain queues them again
    return {"sent": outcome.sent, "skipped": outcome.skipped, "one_by_one": len(outcome.one_by_one)}


@shared_task(
    name="elections.tasks.send_delivery", bind=True, acks_late=True, max_retries=None, ignore_result=True
)
def send_delivery(self, delivery_id: int) -> str:
    """Send one delivery. Safe to run twice: a delivery that is no longer queued is skipped."""
    try:
        return delivery_send(delivery_id)
    except DeliveryRetry as exc:
        # The attempt is saved; wait 15 s, 30 s, 60 s, 120 s before the next one.
        raise self.retry(exc=exc, countdown=backoff(exc.attempts)) from None


@shared_task(name="elections.tasks.drain_deliveries", ignore_result=True)
def drain_deliveries(older_than_minutes: int = DRAIN_AFTER_MINUTES, limit: int = 5000) -> int:
    """Queue again the deliveries still `queued` some minutes after they were written.

    Their first queueing may have failed (broker down) or been lost with the broker's memory. A
    delivery that is in fact still waiting for a retry is harmless to queue again: the send is
    skipped once it is no longer queued, and its attempts are capped.
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        Delivery.objects.filter(status=Delivery.Status.QUEUED, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    # In chunks, as the fan-out queues them; on a broker that is down the first failure stops it,
    # and the next run tries again from the oldest.
    queued = queue_in_chunks(ids, lambda chunk: enqueue(send_deliveries, chunk))
    if ids:
        log.info("drain_deliveries: %s of %s waiting deliveries queued", queued, len(ids))
    return queued


# ---------------------------------------------------------------------------------------------
# Long jobs: the proof-of-service export
# ---------------------------------------------------------------------------------------------


@register(EXPORT_KIND)
@shared_task(name="elections.tasks.deliveries_export_job", acks_late=True, ignore_result=True)
def deliveries_export_job(job_id: int) -> str:
    """Write the proof-of-service workbook of one election, reporting progress to the job."""
    from yezhu.jobs.models import Job
    from yezhu.jobs.services import job_finish, job_progress

    job = Job.objects.filter(pk=job_id, kind=EXPORT_KIND).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    election = Election.objects.filter(pk=job.election_id).select_related("compound").first()
    with translation.override("zh-hans"):
        if election is None:
            job_finish(job, errors=[_("The election no longer exists.")], message=_("Export failed."))
            return "failed"
        total = Delivery.objects.filter(notice__election=election).count()
        job_progress(job, done=0, total=max(total, 1), message=_("Writing the proof of service"))
        data = deliveries_export_xlsx(
            election, progress=lambda done, all_: job_progress(job, done=done, total=max(all_, 1))
        )
        name = f"songda-{election.pk}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
        job_finish(
            job,
            result={"deliveries": total},
            message=_("%(count)s deliveries written.") % {"count": total},
            output_file=ContentFile(data, name=name),
        )
    return "done"


@register(MASS_SEND_KIND)
@shared_task(name="elections.tasks.mass_send_job", acks_late=True, ignore_result=True)
def mass_send_job(job_id: int) -> str:
    """Send one approved (or small) mass send, reporting progress to the job. Safe to run twice:
    the deliveries' unique key adds nothing twice and a send already sent is skipped."""
    job = Job.objects.select_related("created_by").filter(pk=job_id, kind=MASS_SEND_KIND).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    actor = job.created_by or SCHEDULER
    with translation.override("zh-hans"):
        created = mass_send_run(
            int(job.params["mass_send"]),
            actor=actor,
            progress=lambda done, total: job_progress(
                job, done=done, total=max(total, 1), message=_("Writing the deliveries")
            ),
        )
        job.refresh_from_db()
        job_finish(
            job,
            result={"deliveries": created},
            message=_("%(count)s deliveries queued.") % {"count": created},
        )
    return "done"


def _send_scheduled(notice: Notice, moment: datetime) -> bool:
    """A notice staff scheduled goes out as a mass send asked for by the scheduler: the budget and
    the approval apply as to a send from the page. Refused (over budget, or sent meanwhile), it
    goes back to the drafts with the reason in the audit log, so it is not tried every minute."""
    try:
        mass_send_request(
            notice=notice,
            actor=SCHEDULER,
            round=mass_send_estimate(notice, now=moment).round,
            now=moment,
            run_now=True,
        )
    except MassSendRefused as refusal:
        moved = Notice.objects.filter(pk=notice.pk, status=Notice.Status.SCHEDULED).update(
            status=Notice.Status.DRAFT
        )
        if moved:
            record(
                "notice.send_refused",
                actor=SCHEDULER,
                obj=notice,
                election_id=notice.election_id,
                compound_id=notice.compound_id,
                summary=f"scheduled notice {notice.title} not sent: {refusal}",
                data={"code": refusal.code, "message": str(refusal)},
            )
        log.warning("tick: scheduled notice %s refused: %s", notice.pk, refusal.code)
        return False
    return True


@shared_task(name="elections.tasks.count_election", acks_late=True, ignore_result=True)
def count_election(job_id: int) -> str:
    """Count one closed election (the job of `lifecycle.count_queue`): safe to run twice."""
    job = Job.objects.select_related("created_by").filter(pk=job_id, kind="count").first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    election = Election.objects.filter(pk=job.election_id).first()
    if election is None:
        job_finish(job, errors=["election not found"])
        return "failed"
    actor = job.created_by or SCHEDULER
    now = datetime.fromisoformat(job.params["now"]) if job.params.get("now") else timezone.now()
    try:
        counted = lifecycle.election_count_run(
            election=election,
            actor=actor,
            now=now,
            progress=lambda done, total, message: job_progress(job, done=done, total=total, message=message),
        )
    except ElectionError as error:
        job.refresh_from_db()
        job_finish(job, errors=[str(error)], message=str(error))
        return "failed"
    job.refresh_from_db()
    job_finish(job, result={"stage": counted.stage}, message=str(_("The result is posted.")))
    return "done"


# ---------------------------------------------------------------------------------------------
# Beat
# ---------------------------------------------------------------------------------------------


def _lifecycle(name: str, election: Election, now: datetime):
    """Take the transition `name` of the table for one election, as the scheduler. Only the entries
    marked `scheduled` (opening and closing voting, making a result final) are taken on time."""
    if not lifecycle.transition(name).scheduled:
        raise ValueError(f"the scheduler does not take {name}")
    func = lifecycle.SERVICES[name]
    params = inspect.signature(func).parameters
    kwargs = {"election": election}
    if "now" in params:
        kwargs["now"] = now
    elif "on" in params:
        kwargs["on"] = timezone.localdate(now)
    return func(**kwargs, actor=SCHEDULER)


def _safely(label: str, election_id, func, *args) -> bool:
    """Run one piece of the tick; a failure is logged and never stops the other pieces.

    True when the piece ran and did not answer False (a helper answers False for "nothing to do").
    """
    try:
        result = func(*args)
    except ElectionError as exc:
        log.warning("tick: %s refused for election %s: %s", label, election_id, exc)
        return False
    except Exception:
        log.exception("tick: %s failed for election %s", label, election_id)
        return False
    return result is not False


def reminder_offsets(election: Election) -> list[int]:
    """Hours before the close at which non-voters are reminded, largest first.

    `rule_overrides["reminder_offsets_hours"]` (a list, or {"value": [...], "reason": "…"} as the
    other overrides are written) replaces the default of 72 and 24 hours.
    """
    raw = (election.rule_overrides or {}).get("reminder_offsets_hours")
    if isinstance(raw, dict):
        raw = raw.get("value")
    if not raw:
        return list(DEFAULT_REMINDER_OFFSETS_HOURS)
    try:
        hours = sorted({int(h) for h in raw if int(h) > 0}, reverse=True)
    except (TypeError, ValueError):
        log.warning("election %s: bad reminder_offsets_hours %r; defaults used", election.pk, raw)
        return list(DEFAULT_REMINDER_OFFSETS_HOURS)
    return hours or list(DEFAULT_REMINDER_OFFSETS_HOURS)


def due_reminder(election: Election, now: datetime) -> int | None:
    """The offset whose reminder is due now, or None.

    The reminder at offset h is due from `close − h` until the next (smaller) offset falls due, so
    a worker that was down sends only the latest reminder it missed, never a burst of old ones.
    """
    close = election.voting_closes_at
    if close is None or now >= close:
        return None
    offsets = reminder_offsets(election)
    for i, hours in enumerate(offsets):
        starts = close - timedelta(hours=hours)
        ends = close - timedelta(hours=offsets[i + 1]) if i + 1 < len(offsets) else close
        if starts <= now < ends:
            return hours
    return None


def _remind(election: Election, hours: int) -> bool:
    key = f"reminder:{election.pk}:{hours}h"
    if Notice.objects.filter(compound_id=election.compound_id, dedupe_key=key).exists():
        return False
    close = timezone.localtime(election.voting_closes_at)
    with translation.override("zh-hans"):
        title = _("Reminder: voting closes on %(close)s") % {"close": f"{close:%Y-%m-%d %H:%M}"}
        body = _(
            "%(title)s: voting closes on %(close)s and your vote has not been recorded yet. "
            "Please vote online, or ask your building leader for a paper ballot."
        ) % {"title": election.title, "close": f"{close:%Y-%m-%d %H:%M}"}
    notice = notice_create(
        compound=election.compound,
        election=election,
        kind=Notice.Kind.REMINDER,
        audience=Notice.Audience.NON_VOTERS,
        channels=["sms", "inbox"],
        title=title,
        body=body,
        dedupe_key=key,
        actor=SCHEDULER,
    )
    notice_send(notice=notice, actor=SCHEDULER)
    return True


def _reelection_alert(committee: Committee, start_by, status: str) -> bool:
    key = f"reelection:{committee.pk}:{committee.term_end.isoformat()}"
    if Notice.objects.filter(compound_id=committee.compound_id, dedupe_key=key).exists():
        return False
    with translation.override("zh-hans"):
        if status == "overdue":
            title = _("%(compound)s: the committee's term has ended without a re-election") % {
                "compound": committee.compound.name
            }
        else:
            title = _("%(compound)s: the committee's re-election is due") % {
                "compound": committee.compound.name
            }
        body = _(
            "The term of the owners' committee of %(compound)s ends on %(end)s. The re-election "
            "should start by %(start)s."
        ) % {
            "compound": committee.compound.name,
            "end": f"{committee.term_end:%Y-%m-%d}",
            "start": f"{start_by:%Y-%m-%d}",
        }
    notice = notice_create(
        compound=committee.compound,
        kind=Notice.Kind.REELECTION_ALERT,
        audience=Notice.Audience.STREET_STAFF,
        channels=["inbox", "sms"],
        title=title,
        body=body,
        dedupe_key=key,
        actor=SCHEDULER,
    )
    notice_send(notice=notice, actor=SCHEDULER)
    return True


@shared_task(
    name="elections.tasks.tick", acks_late=True, ignore_result=False
)  # the worker tests read what it did
def tick(now: str | None = None) -> dict:
    """Everything due by the clock (beat, every minute). Safe to run twice and late.

    `now` (ISO 8601) is for tests and for replaying a missed moment; beat passes nothing.
    """
    moment = datetime.fromisoformat(now) if now else timezone.now()
    today = timezone.localdate(moment)
    done = {"notices": 0, "opened": 0, "closed": 0, "counted": 0, "reminders": 0, "finalised": 0, "alerts": 0}

    # 1. Scheduled notices whose moment has come.
    for notice in Notice.objects.filter(status=Notice.Status.SCHEDULED, scheduled_at__lte=moment).order_by(
        "scheduled_at"
    )[:200]:
        if _safely("scheduled notice", notice.election_id, _send_scheduled, notice, moment):
            done["notices"] += 1

    # 2. Open voting whose opening instant has passed (never after the close: then staff decide).
    for election in Election.objects.filter(
        BEFORE_VOTING, voting_opens_at__lte=moment, voting_closes_at__gt=moment
    ):
        if _safely("voting_open", election.pk, _lifecycle, "voting_open", election, moment):
            done["opened"] += 1
    late = Election.objects.filter(BEFORE_VOTING, voting_closes_at__lte=moment).values_list("pk", flat=True)
    for pk in late:
        log.warning("tick: election %s was never opened and its window has passed; staff must decide", pk)

    # 3. Close voting whose closing instant has passed (the lifecycle service tallies).
    for election in Election.objects.filter(stage=Stage.VOTING, voting_closes_at__lte=moment):
        if _safely("voting_close", election.pk, _lifecycle, "voting_close", election, moment):
            done["closed"] += 1

    # 3b. Counts that never ran (a worker died, the broker was down): an election closed without
    #     paper ballots and with no count under way is counted now.
    for election in Election.objects.filter(stage=Stage.COUNTING, paper_entries__isnull=True).distinct():
        idle = not lifecycle.transition("election_count").problems(election, moment)
        if idle and _safely("election_count", election.pk, _lifecycle, "election_count", election, moment):
            done["counted"] += 1

    # 4. Remind non-voters at the configured offsets before the close.
    for election in Election.objects.filter(
        stage=Stage.VOTING, voting_opens_at__lte=moment, voting_closes_at__gt=moment
    ).select_related("compound"):
        hours = due_reminder(election, moment)
        if hours is not None and _safely("reminder", election.pk, _remind, election, hours):
            done["reminders"] += 1

    # 5. Objection windows that have ended (at 24:00 of their last day): the result becomes final.
    for election in Election.objects.filter(
        stage=Stage.RESULT_NOTICE, result_final=False, objection_window_end__lt=today
    ):
        if _safely("result_finalise", election.pk, _lifecycle, "result_finalise", election, moment):
            done["finalised"] += 1

    # 6. Re-election alerts for committees whose term ends within the profile's lead months
    #    (timeline.reelection_alert, through the lifecycle's list that the street board shows).
    horizon = today + timedelta(days=31 * 7)  # beyond every profile's months (6 at most)
    committees = Committee.objects.filter(ended_on__isnull=True, term_end__lte=horizon).select_related(
        "compound__community__street"
    )
    for row in lifecycle.reelection_alerts(committees, today=today):
        if _safely("reelection alert", None, _reelection_alert, row.committee, row.start_by, str(row.status)):
            done["alerts"] += 1

    # 7. The committee between elections: a 物管会 whose successor took office is dissolved, and a
    #    compound overdue beyond the profile's limit is escalated to the street office (told by an
    #    inbox message and a text), or its escalation resolved. Both are idempotent.
    for compound_id in PropertyCommittee.objects.filter(dissolved_on__isnull=True).values_list(
        "compound_id", flat=True
    ):
        _safely(
            "property committee dissolution",
            None,
            lambda c=compound_id: lifecycle.property_committee_dissolve_if_succeeded(
                compound_id=c, actor=SCHEDULER
            ),
        )
    swept = {"raised": [], "resolved": []}
    try:
        swept = lifecycle.escalations_sweep(actor=SCHEDULER, today=today)
    except Exception:
        log.exception("tick: the escalation sweep failed")
    for escalation in swept["raised"]:
        _safely("escalation notice", escalation.election_id, _escalation_notice, escalation)
    done["escalated"] = len(swept["raised"])
    done["escalations_resolved"] = len(swept["resolved"])
    return done


def _escalation_notice(escalation: Escalation) -> bool:
    """Tell the street office's staff of a new escalation (once: the notice's dedupe key)."""
    key = f"escalation:{escalation.pk}"
    if Notice.objects.filter(compound_id=escalation.compound_id, dedupe_key=key).exists():
        return False
    compound = escalation.compound
    with translation.override("zh-hans"):
        title = _("%(compound)s: the street office must act (%(reason)s)") % {
            "compound": compound.name,
            "reason": escalation.get_reason_display(),
        }
        body = _(
            "%(compound)s has been overdue since %(since)s beyond the regional limit. Order the election "
            "or form the property management committee, and record it on the street board."
        ) % {"compound": compound.name, "since": f"{escalation.overdue_since:%Y-%m-%d}"}
    notice = notice_create(
        compound=compound,
        election=escalation.election,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.STREET_STAFF,
        channels=["inbox", "sms"],
        title=title,
        body=body,
        dedupe_key=key,
        actor=SCHEDULER,
    )
    notice_send(notice=notice, actor=SCHEDULER)
    return True
