"""What every browser test checks on every page it visits (issue 20): axe-core finds no serious or
critical violation; at 360 px nothing scrolls sideways; on an owner's page every tap target is at
least 44 px; dates and badges stay on one line; no table squeezes a name to a character a line.

axe-core is vendored (tests/e2e/axe/axe.min.js, MPL-2.0, its LICENSE beside it): the tests need no
network and no CDN, and it is never served to users. It is injected through the DevTools protocol
(`page.evaluate`), which the site's Content-Security-Policy does not govern.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import Client

AXE = Path(__file__).parent / "axe" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1366, "height": 900}
TAP = 44  # px: WCAG 2.5.5's target size, for elderly owners' fingers
SERIOUS = ("serious", "critical")

_RUN_AXE = """async (exclude) => {
  const context = exclude.length ? {exclude: exclude} : document;
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " " + (n.failureSummary || "").split("\\n")[1]),
  }));
}"""

_LAYOUT = """(opts) => {
  const problems = [];
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
    getComputedStyle(el).visibility !== "hidden"; };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
    " «" + (el.innerText || el.value || "").trim().slice(0, 20) + "»";
  if (opts.narrow && document.documentElement.scrollWidth > window.innerWidth) {
    problems.push(`scrolls sideways: ${document.documentElement.scrollWidth}px in ${window.innerWidth}px`);
  }
  if (opts.taps) {
    const targets = document.querySelectorAll(
      "button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea, " +
      "a.button, .site-header a, .site-header button, nav a, label:has(> input[type=radio]), " +
      "label:has(> input[type=checkbox])");
    for (const el of targets) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.height < opts.tap - 0.5 || r.width < opts.tap - 0.5) {
        problems.push(`tap target ${Math.round(r.width)}×${Math.round(r.height)}px: ${name(el)}`);
      }
    }
  }
  for (const el of document.querySelectorAll("time, .badge, .nowrap")) {
    if (visible(el) && el.getClientRects().length > 1) problems.push(`broken over lines: ${name(el)}`);
  }
  for (const el of document.querySelectorAll("td, th")) {
    if (!visible(el)) continue;
    const text = (el.innerText || "").trim();
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (text.length >= 2 && el.getBoundingClientRect().width < 2.2 * size) {
      problems.push(`squeezed cell ${Math.round(el.getBoundingClientRect().width)}px: ${name(el)}`);
    }
  }
  return problems;
}"""


# Django's own admin, which the project styles but does not write: its breadcrumbs (white links on
# its light-blue bar, no underline) and its select2 autocomplete widget (unnamed ARIA combobox).
# Left out of the check, with this list as the record of what Django ships (docs/accessibility.md).
DJANGO_ADMIN_OWN = [".breadcrumbs", ".select2-container"]


def audit(page, *, owner: bool = False, exclude: list[str] | None = None) -> list[str]:
    """The problems of the page as it is now (empty: it passes). `owner`: tap targets count;
    `exclude`: CSS selectors that axe leaves out (third-party markup only, each with its reason)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    problems = [
        f"axe {v['impact']} {v['id']} ({v['help']}): {v['nodes']}"
        for v in page.evaluate(_RUN_AXE, exclude or [])
        if v["impact"] in SERIOUS
    ]
    narrow = page.viewport_size["width"] <= PHONE["width"]
    problems += page.evaluate(_LAYOUT, {"narrow": narrow, "taps": owner, "tap": TAP})
    return [f"{page.url}: {p}" for p in problems]


def assert_accessible(page, *, owner: bool = False, exclude: list[str] | None = None) -> None:
    problems = audit(page, owner=owner, exclude=exclude)
    assert not problems, "\n".join(problems)


@contextmanager
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, live_server, *, user=None, phone: bool = False):
    """A page at 360 px (a phone, touch) or 1366 px (a desk), signed in as `user` if given."""
    from tests.factories import sign_in

    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {"viewport": DESK}
    context = browser.new_context(locale="zh-CN", device_scale_factor=1, **options)
    if user is not None:
        client = Client()
        sign_in(client, user)
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context.new_page()


def watch_errors(page) -> list[str]:
    """The list the page's script errors, CSP refusals and failed requests (the browser's own
    favicon probe aside) are collected in, as they happen: a journey asserts it stays empty."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors
