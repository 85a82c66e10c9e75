"""Delivery reports (回执) and messages whose send was interrupted.

"Sent" only means a provider took the message; proof of service (送达) needs what the operator's
network says. Each report marks the outbox row `delivered` or `failed` with the provider's code and
time, and the domain hears of it through `yezhu.hooks.sms_status_changed` (a notice's delivery).

- 腾讯云 calls us: its status callback (状态回调) posts a JSON list of reports to
  `/sms/reports/tencent/<SMS_TENCENT_CALLBACK_TOKEN>/` (yezhu/accounts/views.py), matched by `sid`
  (the SerialNo SendSms returned).
- 阿里云 is asked: `fetch_aliyun_reports` (beat, every few minutes) runs QuerySendDetails for the
  messages it took in the last days that have no report yet.
- `reconcile_in_flight` (beat) looks up messages left `sending` (claimed, provider called, result
  never recorded) with the providers by our `out_id`: found → sent or reported; nowhere → `unknown`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from yezhu.hooks import sms_status_changed
from yezhu.sms import Accepted, Report, SmsError, get_backends

log = logging.getLogger(__name__)

#: Providers keep reports for a while; past this a message with no report keeps its `sent`.
REPORT_WINDOW = timedelta(days=3)


def apply_report(message, report: Report) -> bool:
    """Mark one message delivered or failed from its report; False if it already had one."""
    from yezhu.accounts.models import SmsMessage

    status = SmsMessage.Status.DELIVERED if report.delivered else SmsMessage.Status.FAILED
    fields = {
        "status": status,
        "report_code": (report.code or "")[:60],
        "reported_at": report.at or timezone.now(),
    }
    if report.reference and not message.provider_ref:
        fields["provider_ref"] = report.reference[:100]
    changed = (
        SmsMessage.objects.filter(pk=message.pk, reported_at__isnull=True)
        .exclude(status=SmsMessage.Status.QUEUED)
        .update(**fields)
    )
    if changed:
        for name, value in fields.items():
            setattr(message, name, value)
        sms_status_changed(message)
    return bool(changed)


def record_tencent_reports(items: list[dict]) -> int:
    """Tencent's status callback: [{"sid", "mobile", "report_status": "SUCCESS"|"FAIL",
    "errmsg": "DELIVRD", "description", "user_receive_time": "2026-05-01 10:00:00"}, …]."""
    from yezhu.accounts.models import SmsMessage

    by_sid = {
        str(item.get("sid") or ""): item for item in items if isinstance(item, dict) and item.get("sid")
    }
    applied = 0
    for message in SmsMessage.objects.filter(provider="tencent", provider_ref__in=list(by_sid)):
        item = by_sid[message.provider_ref]
        at = None
        if item.get("user_receive_time"):
            try:
                at = datetime.strptime(str(item["user_receive_time"]), "%Y-%m-%d %H:%M:%S").replace(
                    tzinfo=timezone.get_default_timezone()
                )
            except ValueError:
                at = None
        report = Report(
            reference=message.provider_ref,
            delivered=str(item.get("report_status", "")).upper() == "SUCCESS",
            code=str(item.get("errmsg") or item.get("report_status") or ""),
            at=at,
        )
        applied += apply_report(message, report)
    return applied


def fetch_aliyun_reports(limit: int = 500) -> int:
    """Ask Aliyun for the reports of the messages it took recently that have none yet."""
    from yezhu.accounts.models import SmsMessage
    from yezhu.sms_providers import AliyunBackend

    backend = next((b for b in get_backends() if isinstance(b, AliyunBackend)), None)
    if backend is None:
        return 0
    waiting = SmsMessage.objects.filter(
        provider="aliyun",
        status=SmsMessage.Status.SENT,
        reported_at__isnull=True,
        sent_at__gte=timezone.now() - REPORT_WINDOW,
    ).exclude(provider_ref="")
    applied = 0
    for message in waiting.order_by("sent_at")[:limit]:
        try:
            report = backend.report(
                phone=message.phone,
                reference=message.provider_ref,
                sent_on=timezone.localdate(message.sent_at),
            )
        except SmsError as exc:
            log.warning("Aliyun report query failed for SMS #%s: %s", message.pk, exc)
            break  # the provider is struggling: try again at the next beat
        if report is not None:
            applied += apply_report(message, report)
    return applied


def reconcile_in_flight() -> dict[str, int]:
    """Settle the messages left `sending` longer than SMS_IN_FLIGHT_SECONDS, without sending any again."""
    from yezhu.accounts.models import SmsMessage

    cutoff = timezone.now() - timedelta(seconds=settings.SMS_IN_FLIGHT_SECONDS)
    counts = {"sent": 0, "reported": 0, "unknown": 0, "waiting": 0}
    stuck = SmsMessage.objects.filter(status=SmsMessage.Status.SENDING, claimed_at__lt=cutoff)
    backends = get_backends()
    for message in stuck.order_by("claimed_at")[:200]:
        candidates = [b for b in backends if not message.provider or b.name == message.provider]
        found: Report | Accepted | None = None
        undecided = False
        for backend in candidates:
            try:
                found = backend.lookup(
                    phone=message.phone, out_id=message.out_id, sent_on=timezone.localdate(message.claimed_at)
                )
            except SmsError as exc:
                log.info("SMS #%s: %s cannot say whether it sent it: %s", message.pk, backend.name, exc)
                undecided = True
                continue
            if found is not None:
                provider = backend.name
                break
        if isinstance(found, Report):
            SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.SENDING).update(
                status=SmsMessage.Status.SENT, provider=provider, sent_at=message.claimed_at
            )
            message.status, message.provider = SmsMessage.Status.SENT, provider
            apply_report(message, found)
            counts["reported"] += 1
        elif isinstance(found, Accepted):
            changed = SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.SENDING).update(
                status=SmsMessage.Status.SENT,
                provider=provider,
                provider_ref=found.reference[:100],
                sent_at=message.claimed_at,
                provider_reply=f"{provider}: found by lookup",
            )
            if changed:
                message.refresh_from_db()
                sms_status_changed(message)
            counts["sent"] += 1
        elif undecided and message.claimed_at > timezone.now() - timedelta(days=1):
            counts["waiting"] += 1  # ask again at the next beat
        else:
            changed = SmsMessage.objects.filter(pk=message.pk, status=SmsMessage.Status.SENDING).update(
                status=SmsMessage.Status.UNKNOWN,
                report_code="UNKNOWN",
                provider_reply=(
                    "interrupted while sending; no provider reports it: check before sending again"
                ),
            )
            if changed:
                message.refresh_from_db()
                sms_status_changed(message)
            counts["unknown"] += 1
    return counts
