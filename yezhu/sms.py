"""Sending text messages (短信): message kinds, their texts, and the backend interface.

Mainland providers send only registered templates (模板) under a registered sign name (签名), and a
template declares its variables. So a message is a *kind* (one registered template per kind) and
the *variables* of that kind, never free text:

| kind | variables Yezhu fills |
| --- | --- |
| `login_code` (验证码) | `code`, `minutes` |
| `notice` (公告、公示) | `compound`, `kind`, `title`, `url` |
| `reminder` (投票提醒) | `compound`, `title`, `url` |
| `result` (结果公示) | `compound`, `title`, `url` |

A provider's template for a kind may declare any of its kind's variables, in its own order
(`SMS_ALIYUN_TEMPLATES` / `SMS_TENCENT_TEMPLATES`, yezhu/sms_providers.py). `render_body` writes the
same message as text, for the console, the staff's outbox page and the proof of service.

`settings.SMS_BACKEND` names one backend or several, comma separated: the first is used, and the
next takes over when it refuses or cannot be reached (yezhu/accounts/sms_outbox.py):

- `yezhu.sms.ConsoleBackend` (development default): prints the message to the console.
- `yezhu.sms.OutboxBackend`: delivers nothing; staff read messages at /dev/sms/ (DEBUG only).
- `yezhu.sms.FailingBackend`: always unreachable; for tests of retries and failures.
- `yezhu.sms_providers.AliyunBackend`, `yezhu.sms_providers.TencentBackend`: the providers' SDKs.
- `yezhu.sms_providers.FileBackend`: one line per message in a file (drills and tests).

Every message, whatever the backend, is first written to the `SmsMessage` outbox table.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

#: The message kinds and the variables Yezhu fills for each (the registered templates may use any).
KINDS: dict[str, tuple[str, ...]] = {
    "login_code": ("code", "minutes"),
    "notice": ("compound", "kind", "title", "url"),
    "reminder": ("compound", "title", "url"),
    "result": ("compound", "title", "url"),
    "staff_note": ("url",),  # a staff number asked the owners' page for a code: the way to the staff page
}


class SmsError(Exception):
    """The message was not sent; the text is the provider's reason. `code` is the provider's code."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class SmsRefused(SmsError):
    """The provider answered and said no (bad template, bad number, its own limit, no balance).
    Nothing was sent: another provider may be tried."""


class SmsUnavailable(SmsError):
    """The provider could not be reached (connection refused, DNS, TLS): nothing was sent, so the
    message can be tried again or on another provider."""


class SmsUncertain(SmsError):
    """The request may have reached the provider but no answer came back (a timeout after sending).
    The message may have gone out: it must be checked with the provider, never simply sent again."""


@dataclass(frozen=True)
class Outgoing:
    """One message as a backend sees it."""

    phone: str
    kind: str
    params: dict[str, str]
    body: str  # the same message as text (console, outbox page, file)
    out_id: str = ""  # our reference, echoed back by the provider (Aliyun OutId, Tencent SessionContext)


@dataclass(frozen=True)
class Accepted:
    """The provider took the message: its name and its reference (Aliyun BizId, Tencent SerialNo)."""

    provider: str
    reference: str
    code: str = "OK"


@dataclass
class Report:
    """A delivery report (回执): what the operator's network says happened to one message."""

    reference: str
    delivered: bool
    code: str  # the provider's code: DELIVERED / DELIVRD / an error code
    at: object = None  # aware datetime when the phone received it (or the failure was known)
    phone: str = ""
    out_id: str = ""
    extra: dict = field(default_factory=dict)


class SmsBackend:
    name = "backend"

    def send(self, message: Outgoing) -> Accepted:
        """Hand one message to the provider; return what it answered, or raise SmsRefused,
        SmsUnavailable or SmsUncertain."""
        raise NotImplementedError

    def send_batch(self, messages: Sequence[Outgoing]) -> Iterator[Accepted | SmsError]:
        """Hand several messages to the provider; yield what it answered for each, in their order:
        an Accepted, or the SmsRefused, SmsUnavailable or SmsUncertain that `send` would raise.

        This default calls `send` once a message, and yields each answer before the next message
        goes: the outbox records a message as soon as its answer is known (as it does one by one),
        so a process that dies in the middle of a batch leaves the messages already handed over
        marked `sent`. A provider with a many-numbers call may override it, provided it can tell
        the outcome of each message (and find each again by its `out_id`).
        """
        for message in messages:
            try:
                yield self.send(message)
            except SmsError as exc:
                yield exc

    def lookup(self, *, phone: str, out_id: str, sent_on) -> Report | Accepted | None:
        """Ask the provider whether it has a message with our `out_id` to `phone` sent on the date
        `sent_on`: a Report (it went out and its fate is known), an Accepted (it went out, no
        report yet), or None (the provider has no such message). Raise SmsError when it cannot tell.
        Backends that cannot look anything up raise SmsError."""
        raise SmsError(f"{self.name} cannot look up messages")


class ConsoleBackend(SmsBackend):
    name = "console"

    def send(self, message: Outgoing) -> Accepted:
        sys.stdout.write(f"[短信 → {message.phone}] {message.body}\n")
        sys.stdout.flush()
        return Accepted(self.name, "console")


class OutboxBackend(SmsBackend):
    name = "outbox"

    def send(self, message: Outgoing) -> Accepted:
        return Accepted(self.name, "outbox")


class FailingBackend(SmsBackend):
    name = "failing"

    def send(self, message: Outgoing) -> Accepted:
        raise SmsUnavailable("FailingBackend: provider unavailable", code="unavailable")


def backend_paths() -> list[str]:
    return [p.strip() for p in str(settings.SMS_BACKEND).split(",") if p.strip()]


def get_backends() -> list[SmsBackend]:
    """The configured backends, in the order they are tried."""
    return [import_string(path)() for path in backend_paths()]


def get_backend() -> SmsBackend:
    """The first configured backend."""
    return get_backends()[0]


def with_signature(body: str) -> str:
    """Providers in mainland China show the registered sign name (签名) in brackets first."""
    sign = settings.SMS_SIGN_NAME
    prefix = f"【{sign}】"
    return body if body.startswith(prefix) else f"{prefix}{body}"


def render_body(kind: str, params: dict[str, str], *, language: str = "zh-hans") -> str:
    """The text of a message of `kind`, as the registered template reads (in Chinese).

    Only the Chinese text is ever sent: mainland carriers deliver registered templates only. A page
    shown in another language passes that ``language`` to show the same message in it (`shown_body`).
    """
    with translation.override(language):
        if kind == "login_code":
            text = _("Your sign-in code is %(code)s, valid for %(minutes)s minutes. Do not tell anyone.")
        elif kind == "reminder":
            text = _("%(compound)s: voting on %(title)s is open. Please vote at %(url)s")
        elif kind == "result":
            text = _("%(compound)s: the result of %(title)s is published. Read it at %(url)s")
        elif kind == "staff_note":
            text = _(
                "This number belongs to a staff account: sign in on the staff page with your password, "
                "then the code. %(url)s"
            )
        elif kind == "notice":
            text = _("%(compound)s %(kind)s: %(title)s. Read it in full at %(url)s")
        else:
            raise ValueError(f"unknown message kind {kind!r}")
        return with_signature(text % {name: params.get(name, "") for name in KINDS[kind]})


def shown_body(kind: str, params: dict[str, str], sent: str) -> str:
    """A sent message as a page shows it: ``sent`` (the registered Chinese text) in Chinese, and
    the same template in the page's language otherwise. The variables (a compound's name, a
    notice's title, the sign name) are shown as they were sent."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language.startswith("zh") or kind not in KINDS or not params:
        return sent
    return render_body(kind, params, language=language)


#: Mainland providers (Aliyun, Tencent) bill a message of up to 70 characters, sign name included,
#: as one; a longer one is sent in parts of 67 characters, each billed as one message.
SMS_SINGLE_LIMIT = 70
SMS_PART_LIMIT = 67


#: Variables a provider never shortens (a code, its minutes, a link); the others are cut to the
#: provider's variable length (`SMS_VARIABLE_MAX_LENGTH`, 35 by default) with an ellipsis.
UNCUT = frozenset({"code", "minutes", "url"})


def clip_variable(name: str, value: str, max_length: int) -> str:
    """A template variable as the provider receives it."""
    if name not in UNCUT and len(value) > max_length:
        return value[: max_length - 1] + "…"
    return value


def billed_text(kind: str, params: dict[str, str]) -> str:
    """The message as the provider sends it (variables cut to their length), for counting parts."""
    max_length = int(settings.SMS_ALIYUN.get("max_variable_length") or 35)
    return render_body(
        kind, {name: clip_variable(name, str(value), max_length) for name, value in params.items()}
    )


def sms_length(text: str) -> int:
    """The length providers count: UTF-16 units (a Chinese character, a letter or a digit is one;
    a character outside the Basic Multilingual Plane, such as an emoji, is two)."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """How many billed messages the text makes: 1 up to 70 characters, else ceil(length / 67)."""
    length = sms_length(text)
    if length == 0:
        return 0
    if length <= SMS_SINGLE_LIMIT:
        return 1
    return -(-length // SMS_PART_LIMIT)


def check_params(kind: str, params: dict[str, str]) -> dict[str, str]:
    """The variables of a message, as strings; refuses an unknown kind or a missing variable."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    missing = [name for name in KINDS[kind] if not str(params.get(name, "")).strip()]
    if missing:
        raise ValueError(f"message kind {kind!r} needs {', '.join(missing)}")
    return {name: str(params[name]) for name in KINDS[kind]}
