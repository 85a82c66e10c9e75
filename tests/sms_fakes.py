"""Local fakes of the SMS providers' HTTP APIs, for the SDKs to talk to on 127.0.0.1.

Each fake checks a request the way its provider documents it, from the raw bytes on the wire:

- `FakeAliyun` (Dysmsapi 2017-05-25, RPC style): the ACS3-HMAC-SHA256 signature (canonical request
  over the method, path, sorted query, the signed headers, the body's SHA-256; HMAC-SHA256 with the
  AccessKey secret), `x-acs-content-sha256`, a fresh `x-acs-date`, a nonce used once; then the sign
  name, the template code and that the TemplateParam JSON has exactly the variables the template
  declares. Failures answer as Aliyun does (`SignatureDoesNotMatch`, `isv.TEMPLATE_PARAMS_ILLEGAL`, …).
- `FakeTencent` (SMS 2021-01-11): the TC3-HMAC-SHA256 signature (the derived key chain
  TC3+SecretKey → date → service → tc3_request, over the canonical request with content-type and
  host), the credential scope and timestamp; then the SdkAppId, the sign name, the template id and
  that TemplateParamSet has as many values as the template's {1}…{n}. Failures answer inside
  `Response.Error` as Tencent does (`AuthFailure.SignatureFailure`, …).

Neither fake trusts the SDK: a wrong key, a wrong variable, or a request the real service would
refuse is refused here too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.fake.handle(self.command, self.path, self.headers, body)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", self.server.fake.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST  # noqa: N815


class FakeServer:
    content_type = "application/json;charset=utf-8"  # as Aliyun answers

    def __init__(self):
        self.requests: list[dict] = []
        self.sent: list[dict] = []
        self.lock = threading.Lock()
        self.hold = threading.Event()  # set by a test: the fake answers only when released
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def wait_if_held(self):
        if self.hold.is_set():
            self.release.wait(timeout=10)


class FakeAliyun(FakeServer):
    """阿里云 Dysmsapi: ACS3-HMAC-SHA256, SendSms and QuerySendDetails."""

    def __init__(self, *, keys: dict[str, str], sign_name: str, templates: dict[str, tuple[str, ...]]):
        super().__init__()
        self.keys = keys
        self.sign_name = sign_name
        self.templates = templates  # template code → declared variable names
        self.nonces: set[str] = set()
        self.refuse_with = ""  # a test sets an isv.* code the next SendSms answers with
        self.report = 3  # SendStatus the report query answers: 1 waiting, 2 failed, 3 delivered
        self.report_code = "DELIVERED"

    def error(self, status: int, code: str, message: str):
        return status, {"Code": code, "Message": message, "RequestId": str(uuid.uuid4())}

    def handle(self, method, path, headers, body):
        url = urlsplit(path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        self.requests.append({"path": path, "query": query, "headers": dict(headers)})
        problem = self.verify(method, url.path or "/", query, headers, body)
        if problem:
            return problem
        action = headers.get("x-acs-action")
        if headers.get("x-acs-version") != "2017-05-25":
            return self.error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if action == "SendSms":
            return self.send_sms(query)
        if action == "QuerySendDetails":
            return self.query_send_details(query)
        return self.error(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")

    def verify(self, method, path, query, headers, body):
        auth = headers.get("Authorization") or ""
        algorithm, _sp, rest = auth.partition(" ")
        if algorithm != "ACS3-HMAC-SHA256":
            return self.error(
                400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
        key_id, signed, signature = (
            parts.get("Credential"),
            parts.get("SignedHeaders", ""),
            parts.get("Signature", ""),
        )
        secret = self.keys.get(key_id or "")
        if secret is None:
            return self.error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if headers.get("x-acs-content-sha256") != _sha256(body):
            return self.error(
                400, "ContentSHA256NotMatched", "The x-acs-content-sha256 does not match the body."
            )
        signed_names = signed.split(";")
        required = {
            "host",
            "x-acs-date",
            "x-acs-signature-nonce",
            "x-acs-action",
            "x-acs-version",
            "x-acs-content-sha256",
        }
        if not required <= set(signed_names) or signed_names != sorted(signed_names):
            return self.error(400, "IncompleteSignature", "Required headers are not signed.")
        try:
            sent = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return self.error(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if abs((datetime.now(UTC) - sent).total_seconds()) > 900:
            return self.error(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        nonce = headers.get("x-acs-signature-nonce", "")
        with self.lock:
            if not nonce or nonce in self.nonces:
                return self.error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self.nonces.add(nonce)
        canonical_query = "&".join(
            f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(query.items())
        )
        canonical_headers = "".join(f"{name}:{(headers.get(name) or '').strip()}\n" for name in signed_names)
        canonical = "\n".join(
            [
                method,
                path,
                canonical_query,
                canonical_headers,
                signed,
                headers.get("x-acs-content-sha256", ""),
            ]
        )
        to_sign = f"ACS3-HMAC-SHA256\n{_sha256(canonical.encode('utf-8'))}"
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self.error(
                400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
            )
        return None

    def send_sms(self, query):
        phone = query.get("PhoneNumbers", "")
        if not (phone.isdigit() and len(phone) == 11):
            return self.error(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if query.get("SignName") != self.sign_name:
            return self.error(200, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        declared = self.templates.get(query.get("TemplateCode", ""))
        if declared is None:
            return self.error(200, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except json.JSONDecodeError:
            return self.error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
        missing = [name for name in declared if not str(params.get(name, ""))]
        if missing:
            return self.error(200, "isv.TEMPLATE_MISSING_PARAMETERS", f"模板变量缺少对应参数值: {missing}")
        if set(params) != set(declared):
            return self.error(200, "isv.TEMPLATE_PARAMS_ILLEGAL", "模板变量里包含非法关键字")
        if self.refuse_with:
            return self.error(200, self.refuse_with, "refused by the test")
        biz_id = f"{int(time.time())}^{uuid.uuid4().hex[:12]}"
        with self.lock:
            self.sent.append(
                {
                    "phone": phone,
                    "template": query["TemplateCode"],
                    "params": params,
                    "out_id": query.get("OutId", ""),
                    "biz_id": biz_id,
                    "date": datetime.now(UTC).astimezone().strftime("%Y%m%d"),
                }
            )
        self.wait_if_held()
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": str(uuid.uuid4())}

    def query_send_details(self, query):
        if not query.get("SendDate") or not query.get("PhoneNumber"):
            return self.error(200, "isv.INVALID_PARAMETERS", "参数异常")
        found = [
            s
            for s in self.sent
            if s["phone"] == query["PhoneNumber"]
            and (not query.get("BizId") or s["biz_id"] == query["BizId"])
        ]
        details = [
            {
                "PhoneNum": s["phone"],
                "SendStatus": self.report,
                "ErrCode": self.report_code,
                "TemplateCode": s["template"],
                "Content": "",
                "SendDate": "2026-05-01 10:00:00",
                "ReceiveDate": "2026-05-01 10:00:05" if self.report != 1 else "",
                "OutId": s["out_id"],
            }
            for s in found
        ]
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "RequestId": str(uuid.uuid4()),
            "TotalCount": len(details),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }


class FakeTencent(FakeServer):
    """腾讯云短信 2021-01-11: TC3-HMAC-SHA256, SendSms and PullSmsSendStatusByPhoneNumber."""

    content_type = "application/json"  # as Tencent answers (the SDK reads errors only then)

    def __init__(self, *, keys: dict[str, str], app_id: str, sign_name: str, templates: dict[str, int]):
        super().__init__()
        self.keys = keys
        self.app_id = app_id
        self.sign_name = sign_name
        self.templates = templates  # template id → number of variables {1}..{n}
        self.refuse_with = ""

    def error(self, code: str, message: str):
        return 200, {
            "Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}
        }

    def handle(self, method, path, headers, body):
        self.requests.append({"path": path, "headers": dict(headers), "body": body})
        problem = self.verify(method, path, headers, body)
        if problem:
            return problem
        if headers.get("X-TC-Version") != "2021-01-11":
            return self.error("InvalidParameter", "version")
        try:
            params = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return self.error("InvalidParameter", "body is not JSON")
        action = headers.get("X-TC-Action")
        if action == "SendSms":
            return self.send_sms(params)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self.pull(params)
        return self.error("InvalidAction", f"{action} not found")

    def verify(self, method, path, headers, body):
        auth = headers.get("Authorization") or ""
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return self.error(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        fields = dict(p.strip().split("=", 1) for p in auth[len("TC3-HMAC-SHA256 ") :].split(","))
        try:
            secret_id, day, service, terminator = fields["Credential"].split("/")
        except (KeyError, ValueError):
            return self.error("AuthFailure.SignatureFailure", "Credential is malformed.")
        secret_key = self.keys.get(secret_id)
        if secret_key is None:
            return self.error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        timestamp = int(headers.get("X-TC-Timestamp") or 0)
        if abs(time.time() - timestamp) > 300:
            return self.error("AuthFailure.SignatureExpire", "Signature expired.")
        if day != datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") or terminator != "tc3_request":
            return self.error(
                "AuthFailure.SignatureFailure", "Credential scope does not match the timestamp."
            )
        if service != "sms":
            return self.error("AuthFailure.SignatureFailure", "Credential scope names another service.")
        signed = fields.get("SignedHeaders", "")
        names = signed.split(";")
        if "content-type" not in names or "host" not in names:
            return self.error("AuthFailure.SignatureFailure", "content-type and host must be signed.")
        url = urlsplit(path)
        canonical_headers = "".join(f"{n}:{(headers.get(n) or '').strip().lower()}\n" for n in names)
        canonical = "\n".join([method, url.path or "/", url.query, canonical_headers, signed, _sha256(body)])
        to_sign = "\n".join(
            ["TC3-HMAC-SHA256", str(timestamp), f"{day}/{service}/tc3_request", _sha256(canonical.encode())]
        )
        key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), day), service), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            return self.error(
                "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
            )
        return None

    def send_sms(self, params):
        if params.get("SmsSdkAppId") != self.app_id:
            return self.error(
                "FailedOperation.SignatureIncorrectOrUnapproved", "SdkAppId"
            )  # as Tencent answers
        if params.get("SignName") != self.sign_name:
            return self.error("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批或格式错误")
        count = self.templates.get(str(params.get("TemplateId")))
        if count is None:
            return self.error("FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配")
        values = params.get("TemplateParamSet") or []
        if len(values) != count or not all(isinstance(v, str) and v for v in values):
            return self.error(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                "请求内容与审核通过的模板内容不匹配",
            )
        statuses = []
        for number in params.get("PhoneNumberSet") or []:
            if not (number.startswith("+86") and len(number) == 14):
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0, "Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "手机号格式错误", "IsoCode": "CN"})  # fmt: skip
                continue
            if self.refuse_with:
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0, "Code": self.refuse_with, "Message": "refused by the test", "IsoCode": "CN"})  # fmt: skip
                continue
            serial = f"2433:{uuid.uuid4().hex[:20]}"
            with self.lock:
                self.sent.append(
                    {
                        "phone": number,
                        "template": str(params["TemplateId"]),
                        "values": values,
                        "session": params.get("SessionContext", ""),
                        "serial": serial,
                        "at": int(time.time()),
                    }
                )
            statuses.append({"SerialNo": serial, "PhoneNumber": number, "Fee": 1, "SessionContext": params.get("SessionContext", ""), "Code": "Ok", "Message": "send success", "IsoCode": "CN"})  # fmt: skip
        self.wait_if_held()
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": str(uuid.uuid4())}}

    def pull(self, params):
        found = [
            {
                "UserReceiveTime": s["at"] + 3,
                "CountryCode": "86",
                "SubscriberNumber": s["phone"][3:],
                "PhoneNumber": s["phone"],
                "SerialNo": s["serial"],
                "ReportStatus": "SUCCESS",
                "Description": "DELIVRD",
                "SessionContext": s["session"],
            }
            for s in self.sent
            if s["phone"] == params.get("PhoneNumber") and params.get("SmsSdkAppId") == self.app_id
        ]
        return 200, {"Response": {"PullSmsSendStatusSet": found, "RequestId": str(uuid.uuid4())}}
