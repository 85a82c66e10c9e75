"""SMS backends beyond the console and the outbox (see yezhu/sms.py for the interface).

- `HttpTemplateBackend`: a real provider reached over HTTPS, configured entirely from
  `settings.SMS_PROVIDER` (SMS_ENDPOINT, SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, SMS_TEMPLATE_CODE in
  the environment) and `settings.SMS_SIGN_NAME`. Nothing about a provider is hard-coded: the endpoint,
  the key and the registered template are configuration. Mainland providers (阿里云、腾讯云 …) send
  only registered templates with a registered sign name (签名); the template registered for Yezhu
  has one variable, `content`, which carries the message without its 【签名】 prefix (the provider
  adds the sign name itself).

  The request is JSON, signed with HMAC-SHA256 over the timestamp, a nonce and the body; the
  reply is JSON `{"Code": "OK", "BizId": "…"}` on success and `{"Code": "…", "Message": "…"}` on a
  refusal, which becomes an `SmsError` carrying the provider's reason. A provider whose API differs
  is adapted by a subclass that overrides `build_request` and `parse_reply`.
- `FileBackend`: appends one line per message to a file (`SMS_FILE_PATH` in the environment), for
  development and for tests that must count what was really sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yezhu.sms import SmsBackend, SmsError

SIGN_PREFIX_OPEN = "【"
SIGN_PREFIX_CLOSE = "】"


def strip_signature(body: str) -> str:
    """The message without its leading 【签名】: template providers add the sign name themselves."""
    if body.startswith(SIGN_PREFIX_OPEN) and SIGN_PREFIX_CLOSE in body:
        return body.split(SIGN_PREFIX_CLOSE, 1)[1]
    return body


def sign_request(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Base64 of HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<body>")."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class HttpTemplateBackend(SmsBackend):
    timeout = 10  # seconds: a slow provider must not hold a worker for long

    def __init__(self, config: dict | None = None, sign_name: str | None = None):
        config = dict(config if config is not None else getattr(settings, "SMS_PROVIDER", {}) or {})
        missing = [
            k
            for k in ("endpoint", "access_key_id", "access_key_secret", "template_code")
            if not config.get(k)
        ]
        if missing:
            raise ImproperlyConfigured(
                "SMS provider not configured: set " + ", ".join(f"SMS_{k.upper()}" for k in missing)
            )
        scheme = urlsplit(config["endpoint"]).scheme
        if scheme not in ("https", "http"):
            raise ImproperlyConfigured("SMS_ENDPOINT must be an https:// address")
        self.endpoint = config["endpoint"]
        self.key_id = config["access_key_id"]
        self.secret = config["access_key_secret"]
        self.template_code = config["template_code"]
        self.sign_name = sign_name if sign_name is not None else settings.SMS_SIGN_NAME

    def build_request(self, phone: str, body: str) -> urllib.request.Request:
        payload = json.dumps(
            {
                "PhoneNumbers": phone,
                "SignName": self.sign_name,
                "TemplateCode": self.template_code,
                "TemplateParam": json.dumps({"content": strip_signature(body)}, ensure_ascii=False),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "X-Key-Id": self.key_id,
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": sign_request(self.secret, timestamp, nonce, payload),
        }
        return urllib.request.Request(self.endpoint, data=payload, headers=headers, method="POST")  # noqa: S310

    def parse_reply(self, status: int, raw: bytes) -> str:
        try:
            reply = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SmsError(f"HTTP {status}: unreadable reply from the SMS provider") from None
        code = str(reply.get("Code", ""))
        if status == 200 and code == "OK":
            return str(reply.get("BizId") or reply.get("RequestId") or "ok")[:300]
        message = reply.get("Message") or "no reason given"
        raise SmsError(f"{code or f'HTTP {status}'}: {message}"[:300])

    def send(self, phone: str, body: str) -> str:
        request = self.build_request(phone, body)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (scheme checked)
                return self.parse_reply(response.status, response.read())
        except urllib.error.HTTPError as exc:
            return self.parse_reply(exc.code, exc.read())
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SmsError(f"SMS provider unreachable: {reason}"[:300]) from exc


class FileBackend(SmsBackend):
    """One line per message, `<phone>\\t<body>`, appended to the file named by SMS_FILE_PATH."""

    def __init__(self, path: str | None = None):
        path = path or getattr(settings, "SMS_FILE_PATH", "") or os.environ.get("SMS_FILE_PATH", "")
        if not path:
            raise ImproperlyConfigured("FileBackend needs SMS_FILE_PATH")
        self.path = Path(path)

    def send(self, phone: str, body: str) -> str:
        line = f"{phone}\t{body.replace(chr(10), ' ')}\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        return "file"
