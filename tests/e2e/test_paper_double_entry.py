"""Browser: two staff members key in the same paper ballot; the second entry is blind and matches."""

from __future__ import annotations

import os

from yezhu.actors import OPERATOR

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

from elections import paper
from elections.models import Ballot, PaperEntry, Stage
from elections.services import roll_freeze
from tests.e2e.audit import assert_accessible
from tests.factories import election_with_ballot_paper, owner_user

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"


def session_cookie(user, base_url: str) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def key_in(page, base: str, election, serial: str) -> None:
    page.goto(f"{base}/manage/e/{election.pk}/paper/entry/")
    page.fill('input[name="serial"]', serial)
    page.press('input[name="serial"]', "Enter")
    page.wait_for_selector('input[name="matter_M1"]')


def fill(page) -> None:
    page.check('input[name="signed"][value="yes"]')
    page.check('input[name="matter_M1"][value="yes"]')
    page.check('input[name="matter_M2"][value="no"]')
    page.check('input[name="race_R1"][value="C1"]')
    page.check('input[name="race_R1"][value="C3"]')


def test_it_records_a_ballot_keyed_in_by_two_staff_members(
    live_server, transactional_db, compound, working_group, street_staff
):
    """Staff A keys in, staff B keys in blind on another browser; the entries match; one valid ballot."""
    owner_user(compound, "1-1-101", "98.60", name="张秀英")
    owner_user(compound, "1-1-102", "120.00", name="王建国")
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, matters=2, seats=2, candidates=4)
    roll_freeze(election=election, actor=OPERATOR)
    voter = election.voters.get(units__code="1-1-101")
    serial = paper.serial_for(voter)
    base = live_server.url

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            first = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
            first.add_cookies([session_cookie(working_group, base)])
            page_a = first.new_page()
            errors: list[str] = []
            page_a.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            key_in(page_a, base, election, serial.lower())  # a hand-typed serial in lower case is fine
            assert "第一遍录入" in page_a.content()
            assert_accessible(page_a)
            fill(page_a)
            page_a.click('button[type="submit"].big')
            page_a.wait_for_selector(".message.success")
            assert "第一遍录入已保存" in page_a.inner_text(".messages")

            second = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
            second.add_cookies([session_cookie(street_staff, base)])
            page_b = second.new_page()
            page_b.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            key_in(page_b, base, election, serial)
            assert "第二遍录入" in page_b.content()
            assert page_b.locator("input:checked").count() == 0  # blind: nothing of the first entry
            fill(page_b)
            page_b.screenshot(path="/tmp/paper.png", full_page=True)
            page_b.click('button[type="submit"].big')
            page_b.wait_for_selector(".message.success")
            assert "两遍录入一致，已计入" in page_b.inner_text(".messages")
            assert_accessible(page_b)
            page_b.screenshot(path="/tmp/paper-done.png")

            page_b.goto(f"{base}/manage/e/{election.pk}/paper/print/voter/{voter.pk}/")
            assert page_b.locator("svg.segno").count() == 1
            assert_accessible(page_b)
            page_b.screenshot(path="/tmp/paper-print.png", full_page=True)
            page_b.goto(f"{base}/manage/e/{election.pk}/turnout/")
            assert "还差 1 户、47.14 平方米" in page_b.content()
            assert_accessible(page_b)
            page_b.screenshot(path="/tmp/paper-turnout.png", full_page=True)
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()

    ballot = Ballot.objects.get()
    assert ballot.status == Ballot.Status.VALID
    assert ballot.cast_by == street_staff
    assert ballot.choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}
    assert PaperEntry.objects.get().status == PaperEntry.Status.MATCHED
