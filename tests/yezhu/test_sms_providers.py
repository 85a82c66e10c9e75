"""The providers' SDKs against local fakes of their HTTP APIs (tests/sms_fakes.py), which check the
signatures (ACS3-HMAC-SHA256, TC3-HMAC-SHA256) and the template variables as the providers do."""

from __future__ import annotations

import socket
from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.sms_fakes import FakeAliyun, FakeTencent
from yezhu.sms import Accepted, Outgoing, SmsRefused, SmsUnavailable, SmsUncertain, render_body
from yezhu.sms_providers import AliyunBackend, TencentBackend, parse_template

SIGN = "湖滨街道"
ALIYUN_TEMPLATES = {"SMS_480001": ("code",), "SMS_480002": ("compound", "title", "url")}
TENCENT_TEMPLATES = {"2190001": 2, "2190002": 3}


def code_message(code="493817", **extra) -> Outgoing:
    params = {"code": code, "minutes": "5"}
    return Outgoing(
        phone="13800138000", kind="login_code", params=params, body=render_body("login_code", params), **extra
    )


def notice_message() -> Outgoing:
    params = {
        "compound": "西园里",
        "kind": "公告",
        "title": "关于召开业主大会会议的公告",
        "url": "https://yz.example.cn/e/inbox/",
    }
    return Outgoing(phone="13800138000", kind="notice", params=params, body=render_body("notice", params))


@pytest.fixture
def aliyun():
    with FakeAliyun(
        keys={"LTAI5tYezhu": "aliyun-secret"}, sign_name=SIGN, templates=ALIYUN_TEMPLATES
    ) as fake:
        yield fake


@pytest.fixture
def tencent():
    with FakeTencent(
        keys={"AKIDyezhu": "tencent-secret"}, app_id="1400787878", sign_name=SIGN, templates=TENCENT_TEMPLATES
    ) as fake:
        yield fake


def aliyun_backend(fake, **override) -> AliyunBackend:
    config = {
        "access_key_id": "LTAI5tYezhu",
        "access_key_secret": "aliyun-secret",
        "endpoint": fake.endpoint,
        "protocol": "HTTP",
        "sign_name": SIGN,
        "templates": {"login_code": "SMS_480001:code", "notice": "SMS_480002:compound,title,url"},
        "timeout": 2,
    }
    return AliyunBackend({**config, **override})


def tencent_backend(fake, **override) -> TencentBackend:
    config = {
        "secret_id": "AKIDyezhu",
        "secret_key": "tencent-secret",
        "sdk_app_id": "1400787878",
        "endpoint": fake.endpoint,
        "protocol": "http",
        "sign_name": SIGN,
        "templates": {"login_code": "2190001:code,minutes", "notice": "2190002:compound,title,url"},
        "timeout": 2,
    }
    return TencentBackend({**config, **override})


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


# ------------------------------------------------------------------------------------------ Aliyun


def test_it_sends_a_code_through_aliyuns_sdk_with_a_valid_acs3_signature(aliyun, settings):
    accepted = aliyun_backend(aliyun).send(code_message(out_id="yz7"))
    assert accepted.provider == "aliyun" and accepted.reference == aliyun.sent[0]["biz_id"]
    assert aliyun.sent == [
        {
            "phone": "13800138000",
            "template": "SMS_480001",
            "params": {"code": "493817"},
            "out_id": "yz7",
            "biz_id": accepted.reference,
            "date": aliyun.sent[0]["date"],
        }
    ]
    assert aliyun.requests[0]["headers"]["Authorization"].startswith(
        "ACS3-HMAC-SHA256 Credential=LTAI5tYezhu,"
    )


def test_it_fills_aliyuns_notice_template_with_its_declared_variables_only(aliyun):
    aliyun_backend(aliyun).send(notice_message())
    assert aliyun.sent[0]["params"] == {
        "compound": "西园里",
        "title": "关于召开业主大会会议的公告",
        "url": "https://yz.example.cn/e/inbox/",
    }


def test_aliyun_refuses_a_wrong_secret(aliyun):
    with pytest.raises(SmsRefused) as refused:
        aliyun_backend(aliyun, access_key_secret="not-the-secret").send(code_message())
    assert refused.value.code == "SignatureDoesNotMatch"
    assert aliyun.sent == []


def test_aliyun_refuses_a_template_whose_variables_do_not_match(aliyun):
    """A template configured with a variable the registered template does not declare is refused."""
    with pytest.raises(SmsRefused) as refused:
        aliyun_backend(aliyun, templates={"login_code": "SMS_480001:code,minutes"}).send(code_message())
    assert refused.value.code == "isv.TEMPLATE_PARAMS_ILLEGAL"
    with pytest.raises(SmsRefused) as refused:
        aliyun_backend(aliyun, templates={"login_code": "SMS_480002:code"}).send(code_message())
    assert refused.value.code == "isv.TEMPLATE_MISSING_PARAMETERS"


def test_aliyun_refuses_an_unregistered_sign_name(aliyun):
    with pytest.raises(SmsRefused) as refused:
        aliyun_backend(aliyun, sign_name="别的签名").send(code_message())
    assert refused.value.code == "isv.SMS_SIGNATURE_ILLEGAL"


def test_it_says_aliyun_is_unreachable_when_nothing_listens():
    class Closed:
        endpoint = closed_port()

    with pytest.raises(SmsUnavailable):
        aliyun_backend(Closed).send(code_message())


def test_it_says_the_outcome_is_uncertain_when_aliyun_took_the_request_but_did_not_answer(aliyun):
    aliyun.hold.set()
    with pytest.raises(SmsUncertain):
        aliyun_backend(aliyun, timeout=1).send(code_message(out_id="yz9"))
    aliyun.release.set()
    found = aliyun_backend(aliyun).lookup(phone="13800138000", out_id="yz9", sent_on=date.today())
    assert found is not None and found.delivered  # the message did go out: it is looked up, not resent
    assert len(aliyun.sent) == 1


def test_it_reads_aliyuns_delivery_report(aliyun):
    backend = aliyun_backend(aliyun)
    accepted = backend.send(code_message())
    aliyun.report, aliyun.report_code = 2, "MK:0012"
    report = backend.report(phone="13800138000", reference=accepted.reference, sent_on=date.today())
    assert report.delivered is False and report.code == "MK:0012"
    aliyun.report, aliyun.report_code = 1, ""
    assert backend.report(phone="13800138000", reference=accepted.reference, sent_on=date.today()) is None


# ----------------------------------------------------------------------------------------- Tencent


def test_it_sends_a_code_through_tencents_sdk_with_a_valid_tc3_signature(tencent):
    accepted = tencent_backend(tencent).send(code_message(out_id="yz3"))
    assert accepted == Accepted("tencent", tencent.sent[0]["serial"])
    sent = tencent.sent[0]
    assert sent["phone"] == "+8613800138000"
    assert sent["template"] == "2190001" and sent["values"] == ["493817", "5"]
    assert sent["session"] == "yz3"


def test_it_fills_tencents_template_in_the_templates_order(tencent):
    tencent_backend(tencent).send(notice_message())
    assert tencent.sent[0]["values"] == [
        "西园里",
        "关于召开业主大会会议的公告",
        "https://yz.example.cn/e/inbox/",
    ]


def test_tencent_refuses_a_wrong_secret(tencent):
    with pytest.raises(SmsRefused) as refused:
        tencent_backend(tencent, secret_key="not-the-secret").send(code_message())
    assert refused.value.code == "AuthFailure.SignatureFailure"
    assert tencent.sent == []


def test_tencent_refuses_a_wrong_number_of_variables(tencent):
    with pytest.raises(SmsRefused) as refused:
        tencent_backend(tencent, templates={"login_code": "2190001:code"}).send(code_message())
    assert refused.value.code == "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"


def test_it_refuses_a_kind_with_no_registered_template(tencent):
    with pytest.raises(SmsRefused) as refused:
        tencent_backend(tencent, templates={}).send(code_message())
    assert refused.value.code == "no_template"


def test_it_says_tencent_is_unreachable_when_nothing_listens():
    class Closed:
        endpoint = closed_port()

    with pytest.raises(SmsUnavailable):
        tencent_backend(Closed).send(code_message())


def test_it_finds_an_interrupted_tencent_message_by_its_session_context(tencent):
    tencent_backend(tencent).send(code_message(out_id="yz44"))
    found = tencent_backend(tencent).lookup(phone="13800138000", out_id="yz44", sent_on=date.today())
    assert found.reference == tencent.sent[0]["serial"] and found.delivered
    assert tencent_backend(tencent).lookup(phone="13800138000", out_id="yz45", sent_on=date.today()) is None


# ------------------------------------------------------------------------------------ configuration


def test_it_reads_a_template_and_its_variables_from_the_environment_form():
    assert parse_template("SMS_1:compound, title,url", "notice") == ("SMS_1", ("compound", "title", "url"))
    assert parse_template("", "notice") is None
    with pytest.raises(ImproperlyConfigured):
        parse_template("SMS_1:content", "notice")  # no free-text variable: template review refuses it


def test_it_refuses_a_provider_without_its_keys():
    with pytest.raises(ImproperlyConfigured, match="SMS_ALIYUN_ACCESS_KEY_SECRET"):
        AliyunBackend({"access_key_id": "x"})
