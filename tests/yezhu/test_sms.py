"""Text messages go through the outbox and a Celery task with retries."""

import pytest
from celery.exceptions import Retry

from yezhu.accounts.models import SmsMessage
from yezhu.accounts.services import sms_queue
from yezhu.accounts.tasks import MAX_ATTEMPTS, drain_sms_outbox, send_sms

pytestmark = pytest.mark.django_db

CODE = {"code": "123456", "minutes": "5"}


def test_it_sends_a_queued_message_once_even_if_the_task_runs_twice(
    django_capture_on_commit_callbacks, settings, capsys
):
    settings.SMS_BACKEND = "yezhu.sms.ConsoleBackend"
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(phone="13800138000", kind="login_code", params=CODE, purpose="test")
    send_sms.delay(message.pk)  # a duplicate delivery of the same task
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT
    assert message.attempts == 1
    assert capsys.readouterr().out.count("13800138000") == 1


def test_it_retries_and_then_records_the_providers_reason(settings):
    settings.SMS_BACKEND = "yezhu.sms.FailingBackend"
    message = SmsMessage.objects.create(
        phone="13800138000", kind="login_code", params=CODE, body="x", purpose="test"
    )
    countdowns = []
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(Retry) as retry:
            send_sms.apply(args=[message.pk], throw=True)
        countdowns.append(retry.value.when)
        message.refresh_from_db()
        assert message.status == SmsMessage.Status.QUEUED
    assert countdowns == [2, 4, 8, 16]  # back-off doubles
    assert send_sms.apply(args=[message.pk]).get() == "failed"
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert "provider unavailable" in message.provider_reply


def test_it_keeps_the_message_when_the_broker_is_down(django_capture_on_commit_callbacks, monkeypatch):
    """A broker failure while queueing leaves the row queued; the drain task sends it later."""

    def broker_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(send_sms, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = sms_queue(phone="13800138000", kind="login_code", params=CODE, purpose="test")
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.QUEUED
    monkeypatch.undo()
    SmsMessage.objects.filter(pk=message.pk).update(created_at=message.created_at.replace(year=2020))
    assert drain_sms_outbox() == 1
    message.refresh_from_db()
    assert message.status == SmsMessage.Status.SENT


def test_it_prefixes_the_sign_name(settings):
    settings.SMS_SIGN_NAME = "某某街道"
    message = sms_queue(phone="13800138000", kind="login_code", params=CODE, purpose="test")
    assert message.body.startswith("【某某街道】") and "123456" in message.body
