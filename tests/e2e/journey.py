"""What the role journeys (tests/e2e/test_*_day.py) share: a page that records what broke in the
browser, the sign-in by SMS code a person makes, and one step = arrive, see, check the page.

A journey moves by clicking what the user sees (links, buttons); `page.goto` only for its first
page or a link that came by text message. After every navigation `arrive` waits for the page,
checks it with tests/e2e/audit.py and returns it, so a page that refuses its rightful user, a
missing link or a new axe violation stops the journey at the step that broke.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.e2e.audit import assert_accessible, new_page
from yezhu.accounts.models import SmsMessage


def watched(page):
    """The page with `page.errors`: scripts that threw and responses of 400 or more (the browser's
    own favicon probe aside). A journey ends by asserting the list is empty."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
        ),
    )
    page.errors = errors
    return page


def open_page(browser, live_server, *, user=None, phone: bool = False):
    return watched(new_page(browser, live_server, user=user, phone=phone))


def arrive(page, heading: str, *, owner: bool = False):
    """The page shows `heading` as its <h1>, and passes the checks of tests/e2e/audit.py."""
    expect(page.locator("h1")).to_contain_text(heading)
    assert_accessible(page, owner=owner)
    return page


def last_sms(phone: str) -> SmsMessage:
    message = SmsMessage.objects.filter(phone=phone).order_by("-id").first()
    assert message is not None, f"no text message went to {phone}"
    return message


def code_in(message: SmsMessage) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", message.body)
    assert found, f"no 6-digit code in {message.body!r}"
    return found.group(1)


def link_in(message: SmsMessage, live_server) -> str:
    """The link of a text message, on the test server (the message carries SITE_URL's host)."""
    found = re.search(r"https?://[\w.:-]+/[\w./?=&%-]*", message.body, re.ASCII)
    assert found, f"no link in {message.body!r}"
    parts = urlsplit(found.group(0).rstrip("."))
    return live_server.url + parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in_by_code(page, phone: str, *, typed: str | None = None) -> None:
    """On the sign-in page: type the number (as a person would, with spaces), get the code by
    text message, type it. Each of the two pages is checked as an owner's page."""
    arrive(page, "用手机号登录", owner=True)
    page.get_by_label("手机号", exact=True).fill(typed or phone)
    page.get_by_role("button", name="获取验证码").click()
    arrive(page, "输入验证码", owner=True)
    page.get_by_label("验证码", exact=True).fill(code_in(last_sms(phone)))
    page.locator("form.signin-form").get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
