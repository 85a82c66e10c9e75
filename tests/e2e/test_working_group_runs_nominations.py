"""A working-group member runs nominations in Chromium: creates the election, enters two paper
nominations that the nominees accept in their own browsers, closes nominations, approves both,
publishes the candidate notice, and owners read both names on it."""

from __future__ import annotations

import os
import re

import pytest
from django.conf import settings
from django.test import Client

from elections.models import Candidate, Election, Nomination, Stage
from grids.models import RoleAssignment
from tests.e2e.audit import assert_accessible, watch_errors
from tests.e2e.steps import approve_candidate, enter_paper_nomination
from tests.factories import CommunityFactory, CompoundFactory, StreetFactory, UserFactory, grant, owner_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def sign_in(context, live_server, user):
    """A session made by Django's test client, handed to the browser as its cookie."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def new_page(browser, live_server, user, *, width=1366, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    sign_in(context, live_server, user)
    page = context.new_page()
    errors = watch_errors(page)
    return page, errors


def test_it_lets_the_working_group_run_nominations_to_the_candidate_notice(live_server):
    from playwright.sync_api import expect, sync_playwright

    street = StreetFactory(name="湖滨街道")
    compound = CompoundFactory(
        community=CommunityFactory(street=street, name="东坡社区"), code="XYLW", name="西园里"
    )
    member = UserFactory(name="换届小组王组长")
    grant(member, RoleAssignment.Role.WORKING_GROUP, compound)
    first_user, _first, _ = owner_user(compound, "3-1-201", name="王秀英")
    second_user, _second, _ = owner_user(compound, "5-2-502", name="李建国")
    reader, _, _ = owner_user(compound, "1-1-101", name="赵大妈")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            staff, staff_errors = new_page(browser, live_server, member)

            # 1. Create the election on the manage page.
            staff.goto(f"{live_server.url}/manage/new/")
            staff.fill("input[name=title]", "第二届业主委员会换届选举")
            staff.locator("main form button[type=submit], main form input[type=submit]").last.click()
            staff.wait_for_url(re.compile(r"/manage/e/\d+/$"))
            election = Election.objects.get(compound=compound)
            assert_accessible(staff)

            # 2. The race of committee members, on the manage page too.
            staff.goto(f"{live_server.url}/manage/e/{election.pk}/matters/")
            race_form = staff.locator(f"form[action='/manage/e/{election.pk}/races/add/']")
            race_form.locator("input[name=seats]").fill("5")
            race_form.locator("button[type=submit]").click()
            staff.wait_for_load_state()
            assert election.races.count() == 1
            assert_accessible(staff)
            # The statutory steps before nominations (working group, notice) are the lifecycle's
            # own tests; here the election is moved straight to the nomination stage.
            Election.objects.filter(pk=election.pk).update(stage=Stage.NOMINATION)

            # 3. Two paper nominations, found by unit number and name (the steps the working
            # group's whole day takes too, tests/e2e/steps.py).
            staff.goto(f"{live_server.url}/manage/e/{election.pk}/nominations/")
            for code, name in (("3-1-201", "王秀英"), ("5-2-502", "李建国")):
                enter_paper_nomination(staff, expect, code=code, name=name)
            assert Nomination.objects.filter(status=Nomination.Status.AWAITING_ACCEPTANCE).count() == 2

            # 4. Each nominee accepts in their own browser.
            for user, bio in (
                (first_user, "退休教师，在小区住了二十年，愿为邻里服务。"),
                (second_user, "工程师，熟悉房屋维修。"),
            ):
                owner_page, owner_errors = new_page(browser, live_server, user, width=360, height=740)
                owner_page.goto(f"{live_server.url}/e/{election.pk}/my-nominations/")
                owner_page.get_by_role("link", name="您被推荐了，请答复").click()
                assert_accessible(owner_page, owner=True)
                owner_page.fill("textarea[name=bio]", bio)
                owner_page.screenshot(path="/tmp/nomination_respond.png", full_page=True)
                owner_page.get_by_role("button", name="我愿意参选").click()
                expect(owner_page.locator(".message.success")).to_contain_text("您已同意参选")
                assert owner_errors == []
                owner_page.context.close()
            assert Nomination.objects.filter(status=Nomination.Status.ACCEPTED).count() == 2

            # An owner's nominate form shows the nominee's unit and name only when nominating another.
            owner_page, owner_errors = new_page(browser, live_server, reader, width=360, height=740)
            owner_page.goto(f"{live_server.url}/e/{election.pk}/nominate/")
            expect(owner_page.locator("input[name=unit_code]")).to_be_hidden()
            expect(owner_page.locator("textarea[name=bio]")).to_be_visible()
            owner_page.get_by_label("本小区其他业主").check()
            expect(owner_page.locator("input[name=unit_code]")).to_be_visible()
            expect(owner_page.locator("textarea[name=bio]")).to_be_hidden()
            assert_accessible(owner_page, owner=True)
            owner_page.screenshot(path="/tmp/nominate.png", full_page=True)
            assert owner_errors == []
            owner_page.context.close()

            # 5. Close nominations from the nominations page, then approve both.
            staff.goto(f"{live_server.url}/manage/e/{election.pk}/nominations/")
            staff.locator("form[action$='/do/vetting_start/'] button[type=submit]").click()
            staff.wait_for_url(re.compile(r"/manage/e/\d+/$"))
            election.refresh_from_db()
            assert election.stage == Stage.VETTING
            staff.goto(f"{live_server.url}/manage/e/{election.pk}/nominations/")
            for name in ("王秀英", "李建国"):
                approve_candidate(staff, expect, name=name)
            assert dict(Candidate.objects.values_list("name", "key")) == {"王秀英": "C1", "李建国": "C2"}

            # 6. Publish the candidate notice from the nominations page.
            staff.goto(f"{live_server.url}/manage/e/{election.pk}/nominations/")
            expect(staff.locator("#advisory")).to_contain_text("候选人结构")
            assert_accessible(staff)
            staff.screenshot(path="/tmp/nominations_manage.png", full_page=True)
            publish = staff.locator("form[action$='/candidate-notice/publish/']")
            expect(publish.locator("input[name='candidate_notice_publish-start']")).to_be_visible()
            publish.locator("button[type=submit]").click()
            staff.wait_for_url(re.compile(r"/manage/e/\d+/$"))
            election.refresh_from_db()
            assert election.stage == Stage.CANDIDATE_NOTICE
            assert staff_errors == []

            # 7. An owner reads both candidates on the notice, on a phone.
            owner_page, owner_errors = new_page(browser, live_server, reader, width=360, height=740)
            owner_page.goto(f"{live_server.url}/e/{election.pk}/candidates/")
            expect(owner_page.locator("h1")).to_have_text("候选人公示")
            expect(owner_page.locator("#candidate-C1")).to_contain_text("王秀英")
            expect(owner_page.locator("#candidate-C2")).to_contain_text("李建国")
            expect(owner_page.locator("#candidate-C1")).to_contain_text("退休教师")
            expect(owner_page.locator(".notice-dates")).to_contain_text("公示期")
            expect(owner_page.locator("#objection")).to_be_visible()
            assert_accessible(owner_page, owner=True)
            # The header stays one row on a phone (brand, links and 退出 side by side).
            assert owner_page.locator(".site-header").bounding_box()["height"] < 2 * 44
            owner_page.screenshot(path="/tmp/candidate_notice.png", full_page=True)
            assert owner_errors == []

            # The printable candidate notice for the notice board.
            staff.goto(f"{live_server.url}/manage/e/{election.pk}/print/candidate/")
            expect(staff.locator("svg.qr")).to_be_visible()
            expect(staff.locator(".sheet")).to_contain_text("李建国")
            assert_accessible(staff)
            staff.screenshot(path="/tmp/candidate_notice_print.png", full_page=True)
            assert staff_errors == []
        finally:
            browser.close()
