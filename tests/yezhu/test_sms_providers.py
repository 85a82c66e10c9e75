"""The configured HTTP SMS provider adapter, against a tiny provider on 127.0.0.1, and the file backend."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from yezhu.actors import OPERATOR
from yezhu.sms import SmsError, with_signature
from yezhu.sms_providers import FileBackend, HttpTemplateBackend, sign_request

SECRET = "test-secret"


class Provider(BaseHTTPRequestHandler):
    """Checks the signature like a provider would, and answers as told by the phone number."""

    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        expected = sign_request(SECRET, self.headers["X-Timestamp"], self.headers["X-Nonce"], body)
        payload = json.loads(body)
        self.received.append({"headers": dict(self.headers), "payload": payload})
        if self.headers["X-Signature"] != expected or self.headers["X-Key-Id"] != "key-1":
            self._reply(403, {"Code": "SignatureDoesNotMatch", "Message": "签名不匹配"})
        elif payload["PhoneNumbers"] == "13800000000":
            self._reply(200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "手机号码格式错误"})
        elif payload["PhoneNumbers"] == "13900000000":
            self._reply(500, {"Code": "InternalError", "Message": "服务繁忙"})
        else:
            self._reply(200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})

    def _reply(self, status, data):
        raw = json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        """Keep the test output quiet: the fake provider's access log is not what is tested."""


@pytest.fixture
def provider():
    Provider.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    server.shutdown()
    server.server_close()


@pytest.fixture
def configured(settings, provider):
    settings.SMS_PROVIDER = {
        "endpoint": provider,
        "access_key_id": "key-1",
        "access_key_secret": SECRET,
        "template_code": "SMS_123456",
    }
    settings.SMS_SIGN_NAME = "湖滨街道"
    return settings


def test_it_posts_a_signed_template_request_and_returns_the_providers_reference(configured):
    """The request carries the configured key, template and sign name, the text without its
    【签名】 prefix, and a valid HMAC signature; an OK reply gives the provider's id."""
    reference = HttpTemplateBackend().send("13700001234", with_signature("西园里公告：请投票"))
    assert reference == "900619746936498440^0"
    payload = Provider.received[0]["payload"]
    assert payload["PhoneNumbers"] == "13700001234"
    assert payload["SignName"] == "湖滨街道"
    assert payload["TemplateCode"] == "SMS_123456"
    assert json.loads(payload["TemplateParam"]) == {"content": "西园里公告：请投票"}


def test_it_turns_a_refusal_into_an_error_with_the_providers_reason(configured):
    """A refusal (even with HTTP 200) raises SmsError naming the provider's code and message."""
    with pytest.raises(SmsError, match="isv.MOBILE_NUMBER_ILLEGAL: 手机号码格式错误"):
        HttpTemplateBackend().send("13800000000", "x")
    with pytest.raises(SmsError, match="InternalError: 服务繁忙"):
        HttpTemplateBackend().send("13900000000", "x")


def test_it_refuses_a_wrong_secret_at_the_provider(configured):
    """A request signed with another secret is refused by the provider, and the reason is kept."""
    configured.SMS_PROVIDER = {**configured.SMS_PROVIDER, "access_key_secret": "wrong"}
    with pytest.raises(SmsError, match="SignatureDoesNotMatch"):
        HttpTemplateBackend().send("13700001234", "x")


def test_it_reports_an_unreachable_provider(settings):
    """A provider that cannot be reached raises SmsError (the delivery is retried)."""
    settings.SMS_PROVIDER = {
        "endpoint": "http://127.0.0.1:9/none",
        "access_key_id": "k",
        "access_key_secret": "s",
        "template_code": "t",
    }
    with pytest.raises(SmsError, match="unreachable"):
        HttpTemplateBackend().send("13700001234", "x")


def test_it_refuses_to_start_without_configuration(settings):
    """Nothing is hard-coded: a missing setting is named."""
    settings.SMS_PROVIDER = {
        "endpoint": "",
        "access_key_id": "",
        "access_key_secret": "",
        "template_code": "",
    }
    with pytest.raises(ImproperlyConfigured, match="SMS_ENDPOINT"):
        HttpTemplateBackend()
    settings.SMS_PROVIDER = {
        "endpoint": "ftp://x",
        "access_key_id": "k",
        "access_key_secret": "s",
        "template_code": "t",
    }
    with pytest.raises(ImproperlyConfigured, match="https"):
        HttpTemplateBackend()


@pytest.mark.django_db
def test_it_sends_a_notice_through_the_provider_and_records_its_reason(
    configured, compound, django_capture_on_commit_callbacks
):
    """A notice delivery through the HTTP provider ends sent, with the provider's id kept."""
    from elections.models import Delivery, Notice
    from elections.notices import notice_create, notice_send
    from tests.factories import owner_user

    configured.SMS_BACKEND = "yezhu.sms_providers.HttpTemplateBackend"
    owner_user(compound, "1-1-101", phone="13700001234")
    notice = notice_create(
        compound=compound,
        kind=Notice.Kind.OTHER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["sms"],
        title="停水通知",
        body="明日停水。",
        actor=OPERATOR,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(notice=notice, actor=OPERATOR)
    delivery = Delivery.objects.get(notice=notice)
    assert delivery.status == Delivery.Status.SENT
    assert delivery.provider_reply == "900619746936498440^0"
    sent_text = json.loads(Provider.received[0]["payload"]["TemplateParam"])["content"]
    assert sent_text.startswith("西园里") and "停水通知" in sent_text


def test_it_appends_one_line_per_message_to_a_file(tmp_path):
    """The file backend writes phone and text on one line per message."""
    path = tmp_path / "sms.txt"
    backend = FileBackend(str(path))
    backend.send("13700001234", "第一行\n第二行")
    backend.send("13700005678", "x")
    assert path.read_text(encoding="utf-8").splitlines() == ["13700001234\t第一行 第二行", "13700005678\tx"]
