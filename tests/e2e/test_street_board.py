"""Street staff open the board, see a late election and follow it to its timeline (Chromium)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from elections.models import Stage
from grids.models import RoleAssignment
from tests.e2e.audit import assert_accessible
from tests.elections.test_street_board import aware, make_branch, make_committee, make_election, make_voting
from tests.factories import CommunityFactory, CompoundFactory, StreetFactory, UserFactory, grant

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def build_street():
    street = StreetFactory(name="湖滨街道")
    community = CommunityFactory(street=street, name="东坡社区")
    today = timezone.localdate()
    late = CompoundFactory(community=community, code="XYLW", name="西园里")
    make_committee(late, term_end=today - timedelta(days=20))
    make_branch(late)
    # The notice went up 10 days before voting opens (15 are required): done late.
    election = make_election(
        late,
        stage=Stage.CANDIDATE_NOTICE,
        notice_published_on=today - timedelta(days=1),
        candidate_notice_start=today - timedelta(days=1),
        voting_opens_at=aware(today + timedelta(days=9)),
        voting_closes_at=aware(today + timedelta(days=16)),
    )
    voting = CompoundFactory(community=community, code="DQXQ", name="东桥新区")
    make_committee(voting, term_end=today + timedelta(days=40))
    make_voting(voting, voters=8, cast=5)
    calm = CompoundFactory(community=community, code="HBYY", name="湖滨雅苑", property_manager="")
    make_committee(calm, term_end=today + timedelta(days=900))
    CompoundFactory(community=community, code="LSXC", name="柳色新村")
    other = CompoundFactory(
        community=CommunityFactory(street=StreetFactory(name="灵隐街道")), name="灵隐小区"
    )
    make_election(other, stage=Stage.NOTICE)
    staff = UserFactory(name="街道干部")
    grant(staff, RoleAssignment.Role.STREET_STAFF, street)
    return staff, election


def sign_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_it_lets_street_staff_follow_a_late_election_to_its_timeline(live_server):
    """The board lists the street's compounds (never another street's), marks the late election,
    and its timeline link shows the late milestone in red; at 360px the table scrolls sideways."""
    from playwright.sync_api import sync_playwright

    staff, election = build_street()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            sign_in(context, live_server, staff)
            page = context.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/street/")
            assert "湖滨街道" in page.title()
            assert page.locator("table.board-table tbody tr").count() == 4
            assert "灵隐小区" not in page.content()
            late_row = page.locator("tr.late", has_text="西园里")
            assert late_row.count() == 1
            assert "任期届满未换届" in late_row.inner_text()
            assert "逾期" in late_row.inner_text()
            page.screenshot(path="/tmp/street_board.png", full_page=True)
            assert_accessible(page)

            # Search works (the form submits without JavaScript too).
            page.fill("#id_q", "东桥")
            page.click("#board-filters button[type=submit]")
            assert page.locator("table.board-table tbody tr").count() == 1
            assert "62.5%" in page.locator("table.board-table tbody").inner_text()
            page.goto(f"{live_server.url}/street/")

            late_row.locator("a.timeline-link").click()
            page.wait_for_url(f"**/street/timeline/?*election={election.pk}*")
            assert page.locator("svg.timeline-chart circle.milestone.late").count() >= 1
            assert page.locator("svg.timeline-chart line.today").count() == 1
            red = page.locator("table.milestones tr.late", has_text="业主大会会议公告")
            assert red.count() == 1
            assert "逾期完成" in red.inner_text()
            color = red.locator("td").first.evaluate("e => getComputedStyle(e).color")
            assert color == "rgb(179, 38, 30)"
            page.screenshot(path="/tmp/street_timeline.png", full_page=True)
            assert_accessible(page)
            assert not [e for e in errors if "Content Security Policy" in e]

            phone = browser.new_context(
                viewport={"width": 360, "height": 740}, locale="zh-CN", is_mobile=True
            )
            sign_in(phone, live_server, staff)
            small = phone.new_page()
            small.goto(f"{live_server.url}/street/")
            wrap = small.locator(".table-wrap").first
            scroll_width, client_width = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
            assert scroll_width > client_width  # the table scrolls inside its box …
            assert small.evaluate("document.documentElement.scrollWidth") <= 360 + 1  # … not the page
            small.screenshot(path="/tmp/street_board_360.png", full_page=True)
            assert_accessible(small)
        finally:
            browser.close()
