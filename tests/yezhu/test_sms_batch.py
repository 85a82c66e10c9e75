"""The SMS outbox sending a batch (a notice's fan-out): one claim for many messages, each message
still sent at most once, recorded as soon as its provider answered, retried alone, and held to its
number's limits as if the batch had gone one by one."""

from __future__ import annotations

import pytest

from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_outbox import outbox_attempt_batch
from yezhu.accounts.tasks import send_sms, send_sms_batch
from yezhu.sms import Accepted, SmsBackend, SmsRefused, SmsUnavailable, SmsUncertain

pytestmark = pytest.mark.django_db

NOTICE = {"compound": "西园里", "kind": "公告", "title": "停水", "url": "https://yz.example.cn/e/inbox/"}
UNREACHABLE = "13800000002"  # the number the flaky provider cannot reach
TIMES_OUT = "13800000003"  # the number whose send the provider took but did not answer


class FlakyBackend(SmsBackend):
    """Takes every message but those to UNREACHABLE (unreachable) and TIMES_OUT (no answer); on
    each send, notes the status the earlier messages of the batch have in the database."""

    name = "flaky"
    handed: list[str] = []
    seen: list[dict[str, str]] = []

    def send(self, message):
        FlakyBackend.seen.append(
            dict(SmsMessage.objects.filter(phone__in=FlakyBackend.handed).values_list("phone", "status"))
        )
        FlakyBackend.handed.append(message.phone)
        if message.phone == UNREACHABLE:
            raise SmsUnavailable("flaky: unreachable", code="unreachable")
        if message.phone == TIMES_OUT:
            raise SmsUncertain("flaky: no answer", code="no_answer")
        return Accepted(self.name, f"ref-{message.phone}")


class RefusingBackend(SmsBackend):
    name = "refusing"

    def send(self, message):
        raise SmsRefused("refusing: no", code="isv.NO")


@pytest.fixture
def flaky(settings):
    FlakyBackend.handed, FlakyBackend.seen = [], []
    settings.SMS_BACKEND = "tests.yezhu.test_sms_batch.FlakyBackend"
    return FlakyBackend


def queued(*phones: str) -> list[SmsMessage]:
    return [
        SmsMessage.objects.create(phone=p, kind="notice", params=NOTICE, body="x", purpose="notice:1")
        for p in phones
    ]


def test_it_sends_each_message_of_a_batch_once_even_if_the_batch_runs_twice(flaky):
    """A batch task run twice (a redelivered task, the drain) hands each message over once."""
    messages = queued("13800000001", "13800000004", "13800000005")
    ids = [m.pk for m in messages]
    assert [a.outcome for a in outbox_attempt_batch(ids)] == ["sent", "sent", "sent"]
    assert [a.outcome for a in outbox_attempt_batch(ids)] == ["skipped", "skipped", "skipped"]
    assert flaky.handed == ["13800000001", "13800000004", "13800000005"]
    rows = SmsMessage.objects.filter(pk__in=ids).order_by("pk")
    assert [(m.status, m.attempts, m.provider, m.provider_ref) for m in rows] == [
        ("sent", 1, "flaky", f"ref-{m.phone}") for m in messages
    ]


def test_it_records_each_message_before_handing_over_the_next(flaky):
    """A worker killed half-way through a batch leaves the messages already handed over marked
    sent (not `sending`, which reconciliation would have to look up)."""
    queued("13800000001", "13800000004", "13800000005")
    outbox_attempt_batch(SmsMessage.objects.values_list("pk", flat=True))
    assert flaky.seen == [{}, {"13800000001": "sent"}, {"13800000001": "sent", "13800000004": "sent"}]


def test_a_failure_of_one_message_in_a_batch_retries_that_message_only(flaky, monkeypatch):
    """The provider cannot reach one number: that message alone is queued again, with its own
    back-off; the others are sent, and the one whose answer never came is left for reconciliation."""
    messages = queued("13800000001", UNREACHABLE, TIMES_OUT, "13800000004")
    retries = []
    monkeypatch.setattr(
        send_sms, "apply_async", lambda args, countdown=None: retries.append((tuple(args), countdown))
    )
    assert send_sms_batch.apply(args=[[m.pk for m in messages]]).get() == {
        "sent": 2,
        "retry": 1,
        "in_flight": 1,
    }
    assert retries == [((messages[1].pk,), 2)]  # 2 s after the first attempt, as send_sms waits
    status = dict(SmsMessage.objects.values_list("phone", "status"))
    assert status == {
        "13800000001": "sent",
        UNREACHABLE: "queued",
        TIMES_OUT: "sending",
        "13800000004": "sent",
    }
    failed = SmsMessage.objects.get(phone=UNREACHABLE)
    assert failed.attempts == 1 and failed.provider_reply == "flaky: unreachable"


def test_the_second_provider_takes_over_for_the_messages_the_first_refused(settings):
    messages = queued("13800000001", "13800000004")
    settings.SMS_BACKEND = (
        "tests.yezhu.test_sms_batch.RefusingBackend,tests.yezhu.test_sms_batch.FlakyBackend"
    )
    FlakyBackend.handed, FlakyBackend.seen = [], []
    assert [a.outcome for a in outbox_attempt_batch([m.pk for m in messages])] == ["sent", "sent"]
    replies = set(SmsMessage.objects.values_list("provider", "provider_reply"))
    assert replies == {("flaky", "flaky OK (after refusing: isv.NO)")}


def test_it_fails_a_batch_every_provider_refused_with_their_reasons(settings):
    settings.SMS_BACKEND = "tests.yezhu.test_sms_batch.RefusingBackend"
    messages = queued("13800000001", "13800000004")
    attempts = outbox_attempt_batch([m.pk for m in messages])
    assert [a.outcome for a in attempts] == ["failed", "failed"]
    assert set(SmsMessage.objects.values_list("status", "report_code")) == {("failed", "isv.NO")}


def test_it_counts_the_earlier_messages_of_a_batch_against_a_numbers_limit(flaky, settings):
    """Three messages to one number allowed two a day: two go, the third fails without reaching the
    provider, as if they had been sent one after the other."""
    settings.SMS_NUMBER_LIMITS = {"login_code": "1/m", "*": "2/d"}
    messages = queued("13800000001", "13800000001", "13800000001", "13800000004")
    attempts = outbox_attempt_batch([m.pk for m in messages])
    assert [a.outcome for a in attempts] == ["sent", "sent", "failed", "sent"]
    assert flaky.handed == ["13800000001", "13800000001", "13800000004"]
    limited = SmsMessage.objects.get(pk=messages[2].pk)
    assert limited.report_code == "LOCAL_LIMIT" and limited.attempts == 0
    assert limited.provider_reply == "not sent: this number reached its limit of 2/86400s"


def test_the_drain_queues_waiting_messages_in_batches(flaky, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from yezhu.accounts import tasks

    monkeypatch.setattr(tasks, "SMS_BATCH", 2)
    messages = queued("13800000001", "13800000004", "13800000005")
    SmsMessage.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    batches = []
    monkeypatch.setattr(send_sms_batch, "delay", lambda ids: batches.append(ids))
    assert tasks.drain_sms_outbox() == 3
    assert batches == [[messages[0].pk, messages[1].pk], [messages[2].pk]]
