"""A notice's text messages go through the SMS outbox; their delivery reports reach the delivery
and the proof of service (送达记录)."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from django.utils import translation
from openpyxl import load_workbook

from elections.models import Delivery, Notice
from elections.notices import deliveries_export_xlsx
from elections.sms_deliveries import sms_message
from tests.elections import test_notices
from tests.elections.test_notices import make_notice, send
from yezhu.accounts.models import SmsMessage
from yezhu.accounts.sms_reports import apply_report
from yezhu.sms import Report

pytestmark = pytest.mark.django_db
election = test_notices.election  # the same fixtures as the notices' tests
owners = test_notices.owners


def test_it_picks_the_registered_template_by_the_kind_of_notice(election, settings):
    settings.SITE_URL = "https://yezhu.hubin.gov.cn"
    kind, params = sms_message(make_notice(election, kind=Notice.Kind.REMINDER, title="投票提醒"))
    assert kind == "reminder" and params == {
        "compound": "西园里",
        "title": election.title,  # the election's title reads right in "…正在投票" (issue 20)
        "url": "https://yezhu.hubin.gov.cn/e/inbox/",
    }
    assert sms_message(make_notice(election, kind=Notice.Kind.RESULT, title="结果"))[0] == "result"
    with translation.override("en"):
        kind, params = sms_message(make_notice(election))
    assert kind == "notice" and params["title"] == "关于召开业主大会会议的公告"
    assert params["kind"] == str(Notice.Kind.ASSEMBLY.label) and not params["kind"].isascii()


def test_the_proof_of_service_shows_each_delivery_report(
    election,
    owners,
    django_capture_on_commit_callbacks,
):
    notice = make_notice(election, channels=("sms",))
    send(notice, django_capture_on_commit_callbacks)
    messages = list(SmsMessage.objects.filter(purpose=f"notice:{notice.pk}").order_by("phone"))
    assert len(messages) == 3 and all(m.reference.startswith("delivery:") for m in messages)
    at = datetime.fromisoformat("2026-05-01T10:00:05+08:00")
    apply_report(messages[0], Report(reference="b1", delivered=True, code="DELIVRD", at=at))
    apply_report(messages[1], Report(reference="b2", delivered=False, code="MK:0001", at=at))
    failed = Delivery.objects.get(pk=int(messages[1].reference.split(":")[1]))
    assert failed.status == Delivery.Status.FAILED and failed.provider_reply
    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(deliveries_export_xlsx(election))).active.iter_rows(
            values_only=True
        )
    ]
    header = rows[0]
    report, code, when = header.index("送达回执"), header.index("回执代码"), header.index("回执时间")
    by_code = {r[code]: r for r in rows[1:]}
    assert by_code["DELIVRD"][report] == "已送达" and by_code["DELIVRD"][when].startswith("2026-05-01 10:00")
    assert by_code["MK:0001"][report] == "失败"
    assert by_code[None][report] == "已发送"  # the third: sent, no report yet
