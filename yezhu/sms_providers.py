"""The SMS providers, through their official SDKs (see yezhu/sms.py for the interface).

- `AliyunBackend`: 阿里云短信 (Dysmsapi 2017-05-25) through `alibabacloud-dysmsapi20170525`, signed
  ACS3-HMAC-SHA256 by the SDK. Sends with `SendSms`; delivery reports are fetched with
  `QuerySendDetails` on a schedule (yezhu/accounts/sms_reports.py).
- `TencentBackend`: 腾讯云短信 (SMS 2021-01-11) through `tencentcloud-sdk-python-sms`, signed
  TC3-HMAC-SHA256 by the SDK. Sends with `SendSms`; delivery reports arrive at the status callback
  (/sms/reports/tencent/<token>/), and `PullSmsSendStatusByPhoneNumber` answers for a message whose
  send was interrupted.
- `FileBackend`: appends one line per message to a file (`SMS_FILE_PATH`), for drills and tests.

Each provider is configured from the environment (yezhu/settings.py, docs/operations.md §5): the keys,
the sign name (签名), and one registered template (模板) per message kind with the variables that
template declares, in the template's order, e.g.
`SMS_ALIYUN_TEMPLATE_LOGIN_CODE=SMS_480255023:code` or `SMS_TENCENT_TEMPLATE_NOTICE=2190001:compound,title,url`.
A kind without a template for a provider is refused by that provider (the next one takes over).

No SDK retries: a second request after a timeout could send a message twice. The outbox decides what
happens after a failure (yezhu/accounts/sms_outbox.py).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yezhu.sms import (
    KINDS,
    Accepted,
    Outgoing,
    Report,
    SmsBackend,
    SmsError,
    SmsRefused,
    SmsUnavailable,
    SmsUncertain,
    clip_variable,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def parse_template(value: str, kind: str) -> tuple[str, tuple[str, ...]] | None:
    """`"SMS_123:compound,title,url"` → ("SMS_123", ("compound", "title", "url")); "" → None."""
    value = (value or "").strip()
    if not value:
        return None
    template_id, _sep, names = value.partition(":")
    variables = tuple(n.strip() for n in names.split(",") if n.strip())
    unknown = [n for n in variables if n not in KINDS[kind]]
    if unknown or not template_id.strip():
        raise ImproperlyConfigured(
            f"SMS template for {kind!r} ({value!r}): use TEMPLATE_ID:var1,var2 with variables from "
            f"{', '.join(KINDS[kind])}"
        )
    return template_id.strip(), variables


def template_variables(message: Outgoing, variables: tuple[str, ...], max_length: int) -> list[str]:
    """The values of the template's variables, in its order, each within the provider's length."""
    values = []
    for name in variables:
        values.append(clip_variable(name, str(message.params.get(name, "")), max_length))
    return values


def _network_error(exc: BaseException, provider: str) -> SmsError:
    """Tell a request that never left (nothing sent: another provider may take it) from one that
    may have reached the provider (it must be checked, not sent again)."""
    import requests
    from urllib3.exceptions import NewConnectionError

    chain: list[BaseException] = []
    seen = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "inner_exception", None)
    for item in chain:
        if isinstance(item, requests.exceptions.ConnectTimeout | NewConnectionError | ConnectionRefusedError):
            return SmsUnavailable(f"{provider}: unreachable ({type(item).__name__})", code="unreachable")
        if isinstance(item, requests.exceptions.ConnectionError):
            reason = getattr(item.args[0], "reason", None) if item.args else None
            if isinstance(reason, NewConnectionError):
                return SmsUnavailable(f"{provider}: unreachable ({reason})"[:300], code="unreachable")
    return SmsUncertain(f"{provider}: no answer ({type(chain[-1]).__name__})", code="no_answer")


class ProviderBackend(SmsBackend):
    setting = ""

    def __init__(self, config: dict | None = None):
        config = dict(config if config is not None else getattr(settings, self.setting, {}) or {})
        missing = [k for k in self.required if not config.get(k)]
        if missing:
            raise ImproperlyConfigured(
                f"{self.name} SMS not configured: set "
                + ", ".join(f"{self.setting}_{k.upper()}" for k in missing)
            )
        self.config = config
        self.sign_name = config.get("sign_name") or settings.SMS_SIGN_NAME
        self.templates = {
            kind: parsed
            for kind, value in (config.get("templates") or {}).items()
            if (parsed := (value if isinstance(value, tuple) else parse_template(value, kind)))
        }
        self.max_length = int(config.get("max_variable_length") or 35)
        self.timeout = float(config.get("timeout") or 10)

    required: tuple[str, ...] = ()

    def template(self, kind: str) -> tuple[str, tuple[str, ...]]:
        try:
            return self.templates[kind]
        except KeyError:
            raise SmsRefused(f"{self.name}: no template registered for {kind}", code="no_template") from None


class AliyunBackend(ProviderBackend):
    """阿里云短信 through its SDK (ACS3-HMAC-SHA256)."""

    name = "aliyun"
    setting = "SMS_ALIYUN"
    required = ("access_key_id", "access_key_secret")

    def client(self):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as openapi

        return Client(
            openapi.Config(
                access_key_id=self.config["access_key_id"],
                access_key_secret=self.config["access_key_secret"],
                endpoint=self.config.get("endpoint") or "dysmsapi.aliyuncs.com",
                protocol=self.config.get("protocol") or "HTTPS",
                region_id=self.config.get("region") or "cn-hangzhou",
                connect_timeout=int(self.timeout * 1000),
                read_timeout=int(self.timeout * 1000),
            )
        )

    def runtime(self):
        from darabonba.runtime import RuntimeOptions

        return RuntimeOptions(
            autoretry=False,
            max_attempts=0,
            connect_timeout=int(self.timeout * 1000),
            read_timeout=int(self.timeout * 1000),
        )

    def _call(self, method: str, request):
        try:
            response = getattr(self.client(), method)(request, self.runtime())
        except Exception as exc:  # noqa: BLE001 - the SDK raises many kinds; each is classified
            status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
            code = str(getattr(exc, "code", "") or "")
            if status:
                reason = f"{code}: {getattr(exc, 'message', '') or exc}"[:300]
                if int(status) >= 500:
                    raise SmsUnavailable(f"aliyun {reason}", code=code or str(status)) from exc
                raise SmsRefused(f"aliyun {reason}", code=code or str(status)) from exc
            raise _network_error(exc, "aliyun") from exc
        return response.body

    def send(self, message: Outgoing) -> Accepted:
        from alibabacloud_dysmsapi20170525 import models as sms

        template_id, variables = self.template(message.kind)
        values = template_variables(message, variables, self.max_length)
        body = self._call(
            "send_sms_with_options",
            sms.SendSmsRequest(
                phone_numbers=message.phone,
                sign_name=self.sign_name,
                template_code=template_id,
                template_param=json.dumps(dict(zip(variables, values, strict=True)), ensure_ascii=False),
                out_id=message.out_id or None,
            ),
        )
        if body.code != "OK":
            raise SmsRefused(f"aliyun {body.code}: {body.message}"[:300], code=str(body.code))
        return Accepted(self.name, str(body.biz_id or body.request_id)[:100])

    def query(self, *, phone: str, sent_on: date, biz_id: str = "") -> list:
        """QuerySendDetails: the provider's records of messages to `phone` on `sent_on`."""
        from alibabacloud_dysmsapi20170525 import models as sms

        body = self._call(
            "query_send_details_with_options",
            sms.QuerySendDetailsRequest(
                phone_number=phone,
                biz_id=biz_id or None,
                send_date=sent_on.strftime("%Y%m%d"),
                page_size=50,
                current_page=1,
            ),
        )
        if body.code != "OK":
            raise SmsRefused(f"aliyun {body.code}: {body.message}"[:300], code=str(body.code))
        dtos = body.sms_send_detail_dtos
        return list(dtos.sms_send_detail_dto or []) if dtos else []

    @staticmethod
    def _report(reference: str, detail) -> Report | None:
        """SendStatus 1: waiting for the operator; 2: failed; 3: delivered."""
        if detail.send_status == 1:
            return None
        at = None
        if detail.receive_date:
            at = datetime.strptime(detail.receive_date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        return Report(
            reference=reference,
            delivered=detail.send_status == 3,
            code=str(detail.err_code or ("DELIVERED" if detail.send_status == 3 else "FAILED")),
            at=at,
            phone=str(detail.phone_num or ""),
            out_id=str(detail.out_id or ""),
        )

    def report(self, *, phone: str, reference: str, sent_on: date) -> Report | None:
        """The delivery report of one sent message, or None while the operator has not answered."""
        for detail in self.query(phone=phone, sent_on=sent_on, biz_id=reference):
            return self._report(reference, detail)
        return None

    def lookup(self, *, phone: str, out_id: str, sent_on) -> Report | Accepted | None:
        for detail in self.query(phone=phone, sent_on=sent_on):
            if str(detail.out_id or "") == out_id:
                report = self._report("", detail)
                return report or Accepted(self.name, "", code="looked_up")
        return None


class TencentBackend(ProviderBackend):
    """腾讯云短信 through its SDK (TC3-HMAC-SHA256)."""

    name = "tencent"
    setting = "SMS_TENCENT"
    required = ("secret_id", "secret_key", "sdk_app_id")

    def client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        http = HttpProfile(
            endpoint=self.config.get("endpoint") or "sms.tencentcloudapi.com",
            protocol=self.config.get("protocol") or "https",
            reqTimeout=int(self.timeout),
        )
        return sms_client.SmsClient(
            credential.Credential(self.config["secret_id"], self.config["secret_key"]),
            self.config.get("region") or "ap-guangzhou",
            ClientProfile(httpProfile=http),
        )

    def _call(self, method: str, request):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        try:
            return getattr(self.client(), method)(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "")
            if code == "ClientNetworkError":
                raise _network_error(exc, "tencent") from exc
            if code == "ServerNetworkError" or code.startswith(("InternalError", "RequestLimitExceeded")):
                raise SmsUnavailable(f"tencent {code}: {exc.get_message()}"[:300], code=code) from exc
            raise SmsRefused(f"tencent {code}: {exc.get_message()}"[:300], code=code) from exc

    @staticmethod
    def e164(phone: str) -> str:
        return phone if phone.startswith("+") else f"+86{phone}"

    def send(self, message: Outgoing) -> Accepted:
        from tencentcloud.sms.v20210111 import models

        template_id, variables = self.template(message.kind)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [self.e164(message.phone)]
        request.SmsSdkAppId = self.config["sdk_app_id"]
        request.SignName = self.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = template_variables(message, variables, self.max_length)
        request.SessionContext = message.out_id
        response = self._call("SendSms", request)
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsUncertain("tencent: no status in the answer", code="no_status")
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsRefused(f"tencent {status.Code}: {status.Message}"[:300], code=str(status.Code))
        return Accepted(self.name, str(status.SerialNo)[:100])

    def lookup(self, *, phone: str, out_id: str, sent_on) -> Report | Accepted | None:
        from tencentcloud.sms.v20210111 import models

        start = datetime.combine(sent_on, datetime.min.time(), tzinfo=SHANGHAI)
        request = models.PullSmsSendStatusByPhoneNumberRequest()
        request.BeginTime = int(start.timestamp())
        request.EndTime = int(start.timestamp()) + 2 * 86400
        request.Offset = 0
        request.Limit = 100
        request.PhoneNumber = self.e164(phone)
        request.SmsSdkAppId = self.config["sdk_app_id"]
        response = self._call("PullSmsSendStatusByPhoneNumber", request)
        for item in response.PullSmsSendStatusSet or []:
            if str(item.SessionContext or "") == out_id:
                return Report(
                    reference=str(item.SerialNo or ""),
                    delivered=item.ReportStatus == "SUCCESS",
                    code=str(item.Description or item.ReportStatus or ""),
                    at=datetime.fromtimestamp(item.UserReceiveTime, tz=SHANGHAI)
                    if item.UserReceiveTime
                    else None,
                    phone=phone,
                    out_id=out_id,
                )
        return None


class FileBackend(SmsBackend):
    """One line per message, `<phone>\\t<body>`, appended to the file named by SMS_FILE_PATH."""

    name = "file"

    def __init__(self, path: str | None = None):
        path = path or getattr(settings, "SMS_FILE_PATH", "") or os.environ.get("SMS_FILE_PATH", "")
        if not path:
            raise ImproperlyConfigured("FileBackend needs SMS_FILE_PATH")
        self.path = Path(path)

    def send(self, message: Outgoing) -> Accepted:
        line = f"{message.phone}\t{message.body.replace(chr(10), ' ')}\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        return Accepted(self.name, "file")
