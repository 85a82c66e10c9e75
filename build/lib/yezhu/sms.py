"""Sending text messages (短信): a small backend interface.

`settings.SMS_BACKEND` names the class:

- `yezhu.sms.ConsoleBackend` (development default): prints the message to the console.
- `yezhu.sms.OutboxBackend`: delivers nothing; staff read messages at /dev/sms/ (DEBUG only).
- `yezhu.sms.FailingBackend`: always fails; for tests of retries and failures.
- A real provider (阿里云短信 / 腾讯云短信): subclass `SmsBackend`, read the credentials from
  `settings.SMS_PROVIDER` (SMS_ACCESS_KEY_ID, SMS_ACCESS_KEY_SECRET, SMS_ENDPOINT, SMS_TEMPLATE_CODE
  in the environment) and the sign name from `settings.SMS_SIGN_NAME`, and point SMS_BACKEND at it.
  docs/operations.md says how. Nothing here is coded against a provider's API.

Every message, whatever the backend, is first written to the `SmsMessage` outbox table.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached; the text is the provider's reason."""


class SmsBackend:
    def send(self, phone: str, body: str) -> str:
        """Deliver one message; return the provider's reference, or raise SmsError."""
        raise NotImplementedError


class ConsoleBackend(SmsBackend):
    def send(self, phone: str, body: str) -> str:
        sys.stdout.write(f"[短信 → {phone}] {body}\n")
        sys.stdout.flush()
        return "console"


class OutboxBackend(SmsBackend):
    def send(self, phone: str, body: str) -> str:
        return "outbox"


class FailingBackend(SmsBackend):
    def send(self, phone: str, body: str) -> str:
        raise SmsError("FailingBackend: provider unavailable")


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def with_signature(body: str) -> str:
    """Providers in mainland China require the registered sign name (签名) in brackets first."""
    sign = settings.SMS_SIGN_NAME
    prefix = f"【{sign}】"
    return body if body.startswith(prefix) else f"{prefix}{body}"
