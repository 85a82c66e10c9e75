"""Browser tests wait for what a page shows with Playwright's auto-waiting `expect`, never for a
fixed time. Its default ceiling (5 s) is a measurement of the machine on a loaded one: raise it to
a bound that only stops a test that hangs (tests/waiting.py says why)."""

from __future__ import annotations

from playwright.sync_api import expect

expect.set_options(timeout=60_000)
