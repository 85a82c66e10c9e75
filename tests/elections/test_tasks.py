"""Celery tasks of the elections app: sending once, retries with back-off, the outbox drain, and
beat's tick catching up on what is due (run late, run twice)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from celery.exceptions import Retry
from django.test import TestCase
from django.utils import timezone

from elections import tasks
from elections.models import Committee, Delivery, Election, Notice, Stage
from elections.notices import notice_create, notice_send
from elections.services import ballot_record, roll_freeze
from elections.tasks import drain_deliveries, due_reminder, send_deliveries, send_delivery, send_notice, tick
from grids.models import RoleAssignment
from tests.factories import UserFactory, election_with_ballot_paper, grant, owner_user
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_outbox import MAX_ATTEMPTS as SMS_MAX_ATTEMPTS
from yezhu.accounts.tasks import send_sms
from yezhu.actors import OPERATOR, SCHEDULER
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_file(settings, tmp_path):
    """Every text message appended as one line: a double send would show as two lines."""
    path = tmp_path / "sms.txt"
    path.touch()
    settings.SMS_BACKEND = "yezhu.sms_providers.FileBackend"
    settings.SMS_FILE_PATH = str(path)
    return path


@pytest.fixture
def people(compound):
    return [owner_user(compound, f"1-1-{i:03d}", name=f"业主{i}")[0] for i in range(1, 4)]


def a_notice(compound, election=None, **extra):
    extra.setdefault("actor", OPERATOR)
    return notice_create(
        compound=compound,
        election=election,
        kind=extra.pop("kind", Notice.Kind.OTHER),
        audience=extra.pop("audience", Notice.Audience.ALL_OWNERS),
        channels=extra.pop("channels", ["sms"]),
        title="停水通知",
        body="明日停水。",
        **extra,
    )


def ready_to_open(compound, *, opens_at, closes_at) -> Election:
    """An election at the candidate notice whose dates satisfy every notice period."""
    election = election_with_ballot_paper(
        compound,
        stage=Stage.CANDIDATE_NOTICE,
        opens_in=opens_at - timezone.now(),
        closes_in=closes_at - timezone.now(),
    )
    opening_day = timezone.localdate(opens_at)
    election.notice_published_on = opening_day - timedelta(days=30)
    election.candidate_notice_start = opening_day - timedelta(days=30)
    election.candidate_notice_end = opening_day - timedelta(days=20)
    election.save()
    return election


def voting(compound, *, closes_in: timedelta, **extra) -> Election:
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, closes_in=closes_in, **extra)
    roll_freeze(election=election, actor=OPERATOR)
    return election


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


def test_it_sends_a_delivery_once_even_if_its_task_runs_twice(
    compound, people, sms_file, django_capture_on_commit_callbacks
):
    """send_delivery run twice (and a third time through the queue) sends one text message."""
    notice = a_notice(compound)
    notice_send(notice=notice, dispatch=False, actor=OPERATOR)
    delivery = Delivery.objects.filter(notice=notice).first()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_delivery.apply(args=[delivery.pk]).get() == "sent"
    with django_capture_on_commit_callbacks(execute=True):
        assert send_delivery.apply(args=[delivery.pk]).get() == "skipped"
        send_delivery.delay(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 1
    lines = sms_file.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[0] for line in lines] == [delivery.address]
    assert SmsMessage.objects.filter(phone=delivery.address).count() == 1


def test_it_dispatches_a_notice_twice_without_sending_twice(
    compound, people, sms_file, django_capture_on_commit_callbacks
):
    """send_notice run twice fans out once and sends each delivery once."""
    notice = a_notice(compound)
    with django_capture_on_commit_callbacks(execute=True):
        send_notice.apply(args=[notice.pk])
    with django_capture_on_commit_callbacks(execute=True):
        send_notice.apply(args=[notice.pk])
    assert Delivery.objects.filter(notice=notice, status="sent").count() == 3
    assert len(sms_file.read_text(encoding="utf-8").splitlines()) == 3


def test_it_fails_the_delivery_with_the_providers_reason_when_the_outbox_gives_up(
    compound, people, settings, django_capture_on_commit_callbacks
):
    """A notice's text message goes through the SMS outbox, which retries an unreachable provider with
    back-off; when it gives up, the delivery ends failed with the provider's reason, and staff can
    resend it."""
    settings.SMS_BACKEND = "yezhu.sms.FailingBackend"
    notice = a_notice(compound)
    notice_send(notice=notice, dispatch=False, actor=OPERATOR)
    delivery = Delivery.objects.filter(notice=notice).first()
    with django_capture_on_commit_callbacks(execute=False):
        assert send_delivery.apply(args=[delivery.pk]).get() == "sent"
    message = SmsMessage.objects.get(reference=f"delivery:{delivery.pk}")
    countdowns = []
    for _ in range(SMS_MAX_ATTEMPTS - 1):
        with pytest.raises(Retry) as retry:
            send_sms.apply(args=[message.pk], throw=True)
        countdowns.append(retry.value.when)
    assert countdowns == [2, 4, 8, 16]
    assert send_sms.apply(args=[message.pk]).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.provider_reply == "FailingBackend: provider unavailable"
    assert send_delivery.apply(args=[delivery.pk]).get() == "skipped"


def test_it_keeps_deliveries_queued_when_the_broker_is_down_and_the_drain_sends_them(
    compound, people, sms_file, monkeypatch, django_capture_on_commit_callbacks
):
    """With the broker down, sending a notice still writes its deliveries (queued); the drain
    queues them once they are a few minutes old, and each is sent once."""

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(send_notice, "delay", broker_down)
    monkeypatch.setattr(send_deliveries, "delay", broker_down)
    monkeypatch.setattr(send_delivery, "delay", broker_down)
    notice = a_notice(compound)
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(notice=notice, actor=OPERATOR)
    assert Delivery.objects.filter(notice=notice, status="queued").count() == 3
    assert drain_deliveries(older_than_minutes=0) == 0  # still down: nothing lost, nothing queued
    monkeypatch.undo()
    assert drain_deliveries() == 0  # too fresh: their own tasks may still be on the way
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        assert drain_deliveries() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert drain_deliveries() == 0
    assert Delivery.objects.filter(notice=notice, status="sent").count() == 3
    assert len(sms_file.read_text(encoding="utf-8").splitlines()) == 3


# ---------------------------------------------------------------------------------------------
# Beat
# ---------------------------------------------------------------------------------------------


def run_tick(capture, when=None):
    """One beat tick, with the work it queues after its commits run as the worker would."""
    with capture(execute=True):
        return tick(now=when.isoformat() if when else None)


def test_it_sends_a_scheduled_notice_when_due_and_only_once(
    compound, people, sms_file, django_capture_on_commit_callbacks
):
    """A scheduled notice goes out at the first tick after its moment, and never twice."""
    capture = django_capture_on_commit_callbacks
    now = timezone.now()
    notice = a_notice(compound, scheduled_at=now + timedelta(minutes=30))
    assert run_tick(capture, now)["notices"] == 0
    late = now + timedelta(hours=2)  # the worker was down for an hour and a half
    assert run_tick(capture, late)["notices"] == 1
    assert run_tick(capture, late)["notices"] == 0
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT
    assert len(sms_file.read_text(encoding="utf-8").splitlines()) == 3


def test_it_opens_and_closes_voting_once_when_it_runs_late(compound, people):
    """A tick run minutes after the instants opens what was due to open and closes (and counts)
    what was due to close; run again, it changes nothing."""
    now = timezone.now()
    to_open = ready_to_open(compound, opens_at=now - timedelta(minutes=7), closes_at=now + timedelta(days=7))
    to_close = voting(compound, closes_in=timedelta(minutes=-9))
    not_yet = ready_to_open(compound, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8))
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = tick(now=now.isoformat())
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = tick(now=now.isoformat())
    assert (first["opened"], first["closed"]) == (1, 1)
    assert (second["opened"], second["closed"]) == (0, 0)
    to_open.refresh_from_db()
    to_close.refresh_from_db()
    not_yet.refresh_from_db()
    assert to_open.stage == Stage.VOTING and to_open.roll_frozen_at is not None
    assert to_close.stage == Stage.RESULT_NOTICE and to_close.result is not None
    assert not_yet.stage == Stage.CANDIDATE_NOTICE
    assert AuditEntry.objects.filter(action="election.voting_opened", election_id=to_open.pk).count() == 1
    assert AuditEntry.objects.filter(action="election.stage", election_id=to_close.pk).count() == 2


def test_it_keeps_going_when_one_election_cannot_be_opened(compound, people):
    """An election the lifecycle refuses to open is logged and left; the others still open."""
    now = timezone.now()
    broken = ready_to_open(compound, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7))
    Election.objects.filter(pk=broken.pk).update(notice_published_on=None)
    fine = ready_to_open(compound, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7))
    assert tick(now=now.isoformat())["opened"] == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.stage == Stage.CANDIDATE_NOTICE
    assert fine.stage == Stage.VOTING


def test_it_reminds_non_voters_once_at_each_offset(
    compound, people, sms_file, django_capture_on_commit_callbacks
):
    """3 days and 1 day before the close, owners who have not voted get one reminder each; a
    second tick makes no second reminder."""
    capture = django_capture_on_commit_callbacks
    now = timezone.now()
    election = voting(compound, closes_in=timedelta(hours=70))
    voter = election.voters.get(units__code="1-1-001")
    ballot_record(
        election=election, voter=voter, actor=people[0], cast_as="owner", channel="online", choices={}
    )
    assert run_tick(capture, now)["reminders"] == 1
    assert run_tick(capture, now)["reminders"] == 0
    assert run_tick(capture, now + timedelta(hours=1))["reminders"] == 0
    assert run_tick(capture, now + timedelta(hours=47))["reminders"] == 1
    assert run_tick(capture, now + timedelta(hours=48))["reminders"] == 0
    keys = sorted(Notice.objects.filter(kind=Notice.Kind.REMINDER).values_list("dedupe_key", flat=True))
    assert keys == [f"reminder:{election.pk}:24h", f"reminder:{election.pk}:72h"]
    reminded = {line.split("\t")[0] for line in sms_file.read_text(encoding="utf-8").splitlines()}
    assert reminded == {people[1].phone, people[2].phone}
    assert len(sms_file.read_text(encoding="utf-8").splitlines()) == 4  # two owners, two reminders


def test_it_sends_only_the_latest_missed_reminder_when_it_catches_up(compound, people):
    """A worker down through the 3-day reminder sends only the 1-day one when it comes back."""
    election = voting(compound, closes_in=timedelta(hours=20))
    tick(now=timezone.now().isoformat())
    assert list(Notice.objects.values_list("dedupe_key", flat=True)) == [f"reminder:{election.pk}:24h"]


def test_it_reads_reminder_offsets_from_the_rules_of_procedure(compound):
    """rule_overrides["reminder_offsets_hours"] replaces the 3-day and 1-day defaults."""
    close = timezone.now() + timedelta(hours=100)
    election = Election(
        compound=compound,
        voting_closes_at=close,
        rule_overrides={"reminder_offsets_hours": {"value": [6, 48], "reason": "议事规则第12条"}},
    )
    assert due_reminder(election, close - timedelta(hours=50)) is None
    assert due_reminder(election, close - timedelta(hours=40)) == 48
    assert due_reminder(election, close - timedelta(hours=5)) == 6
    assert due_reminder(election, close) is None
    election.rule_overrides = {}
    assert due_reminder(election, close - timedelta(hours=71)) == 72
    assert due_reminder(election, close - timedelta(hours=23)) == 24


def test_it_finalises_results_whose_objection_window_has_ended(compound, monkeypatch):
    """The day after the objection window's last day, tick asks the lifecycle to finalise."""
    from elections import lifecycle

    calls = []

    def result_finalise(
        *,
        election,
        actor,
        on=None,
    ):
        calls.append((election.pk, on, actor))
        Election.objects.filter(pk=election.pk).update(stage=Stage.FILING, result_final=True)
        return election

    monkeypatch.setitem(lifecycle.SERVICES, "result_finalise", result_finalise)
    today = timezone.localdate()
    ended = election_with_ballot_paper(
        compound, stage=Stage.RESULT_NOTICE, opens_in=timedelta(days=-20), closes_in=timedelta(days=-12)
    )
    Election.objects.filter(pk=ended.pk).update(objection_window_end=today - timedelta(days=1), result={})
    running = election_with_ballot_paper(
        compound, stage=Stage.RESULT_NOTICE, opens_in=timedelta(days=-20), closes_in=timedelta(days=-12)
    )
    Election.objects.filter(pk=running.pk).update(objection_window_end=today, result={})
    tick()
    tick()
    assert calls == [(ended.pk, today, SCHEDULER)]


def test_it_raises_a_reelection_alert_once_to_street_staff(
    compound, street_staff, sms_file, django_capture_on_commit_callbacks
):
    """A committee whose term ends within the profile's months gets one alert to the street staff."""
    capture = django_capture_on_commit_callbacks
    today = timezone.localdate()
    due = Committee.objects.create(
        compound=compound, term_start=date(2021, 1, 1), term_end=today + timedelta(days=40)
    )
    Committee.objects.create(
        compound=compound, term_start=date(2024, 1, 1), term_end=today + timedelta(days=900)
    )
    assert run_tick(capture)["alerts"] == 1
    assert run_tick(capture)["alerts"] == 0
    notice = Notice.objects.get(kind=Notice.Kind.REELECTION_ALERT)
    assert notice.dedupe_key == f"reelection:{due.pk}:{due.term_end.isoformat()}"
    assert notice.status == Notice.Status.SENT
    inbox = Delivery.objects.get(notice=notice, channel="inbox")
    assert inbox.user == street_staff and inbox.status == Delivery.Status.SENT
    assert sms_file.read_text(encoding="utf-8").count(street_staff.phone) == 1


def test_it_names_its_beat_entries():
    """The beat schedule to merge into settings names real tasks."""
    assert {entry["task"] for entry in tasks.BEAT_SCHEDULE.values()} == {
        tick.name,
        drain_deliveries.name,
    }


def test_it_leaves_a_reminder_notice_to_non_voters_only_while_voting(compound, people):
    """No reminder is made for an election that is not in voting."""
    election_with_ballot_paper(
        compound, stage=Stage.CANDIDATE_NOTICE, opens_in=timedelta(days=3), closes_in=timedelta(days=10)
    )
    grant(UserFactory(), RoleAssignment.Role.STREET_STAFF, compound.community.street)
    assert tick()["reminders"] == 0
    assert not Notice.objects.exists()
