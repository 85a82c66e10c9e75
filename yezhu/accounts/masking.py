"""What the outbox may show of a text message: never a sign-in code that still works.

With the admin's password (or a staff account on the development outbox page), reading a live
code would be signing in as any owner and voting for them. A sign-in message's digits are masked
until the code has expired (ACCOUNT_LOGIN_BY_CODE_TIMEOUT, with a minute to spare for the clock);
other messages (notices, reminders) are shown as they are.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from yezhu.sms import shown_body

CODE_PURPOSES = frozenset({"login_code"})
_DIGITS = re.compile(r"\d{4,8}")


def code_is_live(message, now=None) -> bool:
    if message.purpose not in CODE_PURPOSES:
        return False
    now = now or timezone.now()
    lifetime = timedelta(seconds=settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 60)
    return message.created_at is None or message.created_at > now - lifetime


def masked_body(message, now=None) -> str:
    """The message's text in the page's language (`shown_body`: the Chinese text as sent, or the
    same template in English), with the digits of a live sign-in code replaced by ●."""
    body = shown_body(message.kind, message.params or {}, message.body)
    if not code_is_live(message, now):
        return body
    return _DIGITS.sub(lambda m: "●" * len(m.group(0)), body)


def masked_params(message, now=None) -> dict:
    """The template variables a provider is sent, with a live sign-in code's digits masked."""
    params = dict(message.params or {})
    if not code_is_live(message, now):
        return params
    return {
        name: _DIGITS.sub(lambda m: "●" * len(m.group(0)), value) if isinstance(value, str) else value
        for name, value in params.items()
    }
