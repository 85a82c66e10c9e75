"""The outbox against both providers' fakes: the second provider takes over, sending is at most
once, per-number limits hold, delivery reports come back (Tencent's callback, Aliyun's query)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from tests.sms_fakes import FakeAliyun, FakeTencent
from tests.yezhu.test_sms_providers import ALIYUN_TEMPLATES, SIGN, TENCENT_TEMPLATES, closed_port
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.services import sms_queue
from yezhu.accounts.sms_outbox import outbox_attempt
from yezhu.accounts.sms_reports import fetch_aliyun_reports, reconcile_in_flight
from yezhu.sms import Accepted, SmsBackend

pytestmark = pytest.mark.django_db
BOTH = "yezhu.sms_providers.AliyunBackend,yezhu.sms_providers.TencentBackend"
CODE = {"code": "271828", "minutes": "5"}


@pytest.fixture
def providers(settings):
    with (
        FakeAliyun(
            keys={"LTAI5tYezhu": "aliyun-secret"}, sign_name=SIGN, templates=ALIYUN_TEMPLATES
        ) as aliyun,
        FakeTencent(
            keys={"AKIDyezhu": "tencent-secret"},
            app_id="1400787878",
            sign_name=SIGN,
            templates=TENCENT_TEMPLATES,
        ) as tencent,
    ):
        settings.SMS_BACKEND = BOTH
        settings.SMS_SIGN_NAME = SIGN
        settings.SMS_ALIYUN = {
            "access_key_id": "LTAI5tYezhu",
            "access_key_secret": "aliyun-secret",
            "endpoint": aliyun.endpoint,
            "protocol": "HTTP",
            "templates": {"login_code": "SMS_480001:code", "notice": "SMS_480002:compound,title,url"},
            "timeout": 1,
        }
        settings.SMS_TENCENT = {
            "secret_id": "AKIDyezhu",
            "secret_key": "tencent-secret",
            "sdk_app_id": "1400787878",
            "endpoint": tencent.endpoint,
            "protocol": "http",
            "templates": {"login_code": "2190001:code,minutes", "notice": "2190002:compound,title,url"},
            "timeout": 1,
        }
        settings.SMS_TENCENT_CALLBACK_TOKEN = "cb-secret-token-0123456789"
        yield aliyun, tencent


def queued(phone="13800138000", kind="login_code", params=CODE) -> SmsMessage:
    return SmsMessage.objects.create(phone=phone, kind=kind, params=params, body="x", purpose=kind)


def test_it_sends_through_the_first_provider(providers):
    aliyun, tencent = providers
    message = queued()
    assert outbox_attempt(message.pk)[0] == "sent"
    message.refresh_from_db()
    assert (message.status, message.provider, message.provider_ref) == (
        "sent",
        "aliyun",
        aliyun.sent[0]["biz_id"],
    )
    assert aliyun.sent[0]["out_id"] == message.out_id
    assert tencent.sent == []


def test_the_second_provider_takes_over_when_the_first_refuses(providers):
    aliyun, tencent = providers
    aliyun.refuse_with = "isv.AMOUNT_NOT_ENOUGH"
    message = queued()
    assert outbox_attempt(message.pk)[0] == "sent"
    message.refresh_from_db()
    assert message.provider == "tencent" and message.provider_ref == tencent.sent[0]["serial"]
    assert "isv.AMOUNT_NOT_ENOUGH" in message.provider_reply
    assert aliyun.sent == []


def test_the_second_provider_takes_over_when_the_first_is_down(providers, settings):
    _aliyun, tencent = providers
    settings.SMS_ALIYUN = {**settings.SMS_ALIYUN, "endpoint": closed_port()}
    message = queued()
    assert outbox_attempt(message.pk)[0] == "sent"
    message.refresh_from_db()
    assert message.provider == "tencent" and len(tencent.sent) == 1


def test_it_fails_with_the_providers_codes_when_both_refuse(providers):
    aliyun, tencent = providers
    aliyun.refuse_with = "isv.BUSINESS_LIMIT_CONTROL"
    tencent.refuse_with = "LimitExceeded.PhoneNumberDailyLimit"
    message = queued()
    assert outbox_attempt(message.pk)[0] == "failed"
    message.refresh_from_db()
    assert message.status == "failed" and message.report_code == "LimitExceeded.PhoneNumberDailyLimit"
    assert "isv.BUSINESS_LIMIT_CONTROL" in message.provider_reply


def test_it_retries_later_when_both_are_down(providers, settings):
    settings.SMS_ALIYUN = {**settings.SMS_ALIYUN, "endpoint": closed_port()}
    settings.SMS_TENCENT = {**settings.SMS_TENCENT, "endpoint": closed_port()}
    message = queued()
    assert outbox_attempt(message.pk)[0] == "retry"
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1


def test_it_keeps_to_the_providers_limits_per_number(providers):
    """Codes: one a minute per number; the second is not handed to any provider."""
    aliyun, tencent = providers
    first, second = queued(), queued()
    assert outbox_attempt(first.pk)[0] == "sent"
    assert outbox_attempt(second.pk)[0] == "failed"
    second.refresh_from_db()
    assert second.report_code == "LOCAL_LIMIT" and "1/60s" in second.provider_reply
    assert len(aliyun.sent) + len(tencent.sent) == 1
    other = queued(phone="13900139000")
    assert outbox_attempt(other.pk)[0] == "sent"


def test_it_counts_an_hour_and_a_day_of_codes(providers):
    earlier = timezone.now() - timedelta(minutes=5)
    for minutes in range(5):
        SmsMessage.objects.create(
            phone="13800138000", kind="login_code", params=CODE, body="x", status="delivered",
            claimed_at=earlier - timedelta(minutes=minutes * 5),
        )  # fmt: skip
    message = queued()
    assert outbox_attempt(message.pk)[0] == "failed"
    message.refresh_from_db()
    assert "5/3600s" in message.provider_reply


class _RecordingBackend(SmsBackend):
    """Checks, when called, that the claim was committed and no transaction is open."""

    name = "recording"
    seen: list = []

    def send(self, message):
        status = SmsMessage.objects.filter(pk=int(message.out_id[2:])).values_list("status", flat=True).get()
        _RecordingBackend.seen.append((connection.in_atomic_block, status))
        return Accepted(self.name, "r1")


@pytest.mark.django_db(transaction=True)
def test_it_calls_the_provider_only_after_the_claim_is_committed():
    _RecordingBackend.seen = []
    message = queued()
    assert outbox_attempt(message.pk, backends=[_RecordingBackend()])[0] == "sent"
    assert _RecordingBackend.seen == [(False, "sending")]
    with transaction.atomic(), pytest.raises(RuntimeError, match="outside any transaction"):
        outbox_attempt(queued(phone="13900139000").pk, backends=[_RecordingBackend()])


def test_a_message_that_timed_out_is_looked_up_not_resent(providers):
    """The provider took the request and did not answer in time: the message stays `sending`, a
    second attempt does nothing, and reconciliation finds it with the provider by its out_id."""
    aliyun, tencent = providers
    aliyun.hold.set()
    message = queued()
    assert outbox_attempt(message.pk)[0] == "in_flight"
    aliyun.release.set()
    assert outbox_attempt(message.pk)[0] == "skipped"
    message.refresh_from_db()
    assert message.status == "sending" and message.provider == "aliyun"
    assert reconcile_in_flight()["reported"] == 0  # too fresh to judge
    SmsMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - timedelta(minutes=10))
    assert reconcile_in_flight()["reported"] == 1
    message.refresh_from_db()
    assert message.status == "delivered" and message.report_code == "DELIVERED"
    assert len(aliyun.sent) == 1 and tencent.sent == []


def test_a_message_interrupted_before_any_provider_had_it_ends_unknown(providers):
    """A worker died between the claim and the call: no provider has it, so it is marked unknown for
    staff to check, never sent again by itself."""
    aliyun, tencent = providers
    message = queued()
    SmsMessage.objects.filter(pk=message.pk).update(
        status="sending", attempts=1, claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert reconcile_in_flight()["unknown"] == 1
    message.refresh_from_db()
    assert message.status == "unknown"
    assert outbox_attempt(message.pk)[0] == "skipped"
    assert aliyun.sent == [] and tencent.sent == []


def test_it_fetches_aliyuns_delivery_reports(providers):
    aliyun, _tencent = providers
    message = queued()
    outbox_attempt(message.pk)
    aliyun.report, aliyun.report_code = 2, "MK:0001"
    assert fetch_aliyun_reports() == 1
    message.refresh_from_db()
    assert (message.status, message.report_code) == ("failed", "MK:0001") and message.reported_at
    assert fetch_aliyun_reports() == 0  # a report is recorded once


def tencent_sent(providers) -> SmsMessage:
    aliyun, _tencent = providers
    aliyun.refuse_with = "isv.AMOUNT_NOT_ENOUGH"
    message = queued()
    outbox_attempt(message.pk)
    message.refresh_from_db()
    assert message.provider == "tencent"
    return message


def test_tencents_status_callback_marks_the_message_delivered(providers):
    message = tencent_sent(providers)
    report = [
        {
            "user_receive_time": "2026-05-01 10:00:04",
            "nationcode": "86",
            "mobile": "13800138000",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "用户短信送达成功",
            "sid": message.provider_ref,
        }
    ]
    response = Client().post(
        "/sms/reports/tencent/cb-secret-token-0123456789/",
        json.dumps(report),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json() == {"result": 0, "errmsg": "OK"}
    message.refresh_from_db()
    assert (message.status, message.report_code) == ("delivered", "DELIVRD")
    assert timezone.localtime(message.reported_at).hour == 10


def test_tencents_status_callback_needs_the_secret(providers):
    message = tencent_sent(providers)
    report = [{"sid": message.provider_ref, "report_status": "FAIL", "errmsg": "MK:0001"}]
    for url in ("/sms/reports/tencent/wrong/", "/sms/reports/tencent/cb-secret-token-012345678/"):
        response = Client().post(url, json.dumps(report), content_type="application/json")
        assert response.status_code == 403
    assert Client().get("/sms/reports/tencent/cb-secret-token-0123456789/").status_code == 405
    message.refresh_from_db()
    assert message.status == "sent"


def test_a_notice_sms_reaches_the_outbox_only_when_its_transaction_commits(
    providers, django_capture_on_commit_callbacks
):
    aliyun, _tencent = providers
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sms_queue(
            phone="13800138000",
            kind="notice",
            params={
                "compound": "西园里",
                "kind": "公告",
                "title": "停水",
                "url": "https://yz.example.cn/e/inbox/",
            },
            purpose="notice:1",
        )
    assert aliyun.sent == []  # not before the commit
    for callback in callbacks:
        callback()
    assert aliyun.sent[0]["params"] == {
        "compound": "西园里",
        "title": "停水",
        "url": "https://yz.example.cn/e/inbox/",
    }
