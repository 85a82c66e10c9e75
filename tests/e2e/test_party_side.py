"""Issue 16's main paths in Chromium: the street office's gates and party tree at 1366 px; an owner
reporting to the branch and answering a survey, and a grid leader's visits before the vote, on a
360 px phone. Screenshots land in /tmp/party_*.png."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from elections import lifecycle as lc
from elections import surveys as survey_svc
from elections.models import Committee, CommitteeMember, Election, OutreachVisit, SurveyResponse
from grids import party
from grids.models import Grid, PartyMember, PartyOrg, PartyReport, RoleAssignment, Street, Unit
from tests.e2e.audit import watch_errors
from tests.factories import CommunityFactory, CompoundFactory, StreetFactory, UserFactory, grant, owner_user
from yezhu.actors import OPERATOR

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
DESK = {"width": 1366, "height": 900}


def new_page(browser, live_server, user, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", is_mobile=viewport["width"] < 500)
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page = context.new_page()
    errors = watch_errors(page)
    return page, errors


def fits(page) -> bool:
    """Nothing wider than the phone: the page does not scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"] + 1


def world():
    street = StreetFactory(name="湖滨街道")
    compound = CompoundFactory(
        community=CommunityFactory(street=street, name="东坡社区"), code="XYLW", name="西园里"
    )
    staff = UserFactory(name="街道办 陈主任")
    grant(staff, RoleAssignment.Role.STREET_STAFF, street)
    wg = UserFactory(name="换届小组 周组长")
    grant(wg, RoleAssignment.Role.WORKING_GROUP, compound)
    secretary, secretary_owner, _unit = owner_user(compound, "1-1-101", name="李书记")
    owner, _owner, home = owner_user(compound, "1-2-301", name="王秀英")
    neighbour, _n, _h = owner_user(compound, "2-1-101", name="赵大妈")
    party.party_org_create(actor=staff, level=PartyOrg.Level.STREET, place=street)
    party.party_org_create(actor=staff, level=PartyOrg.Level.COMMUNITY, place=compound.community)
    branch = party.party_org_create(actor=staff, level=PartyOrg.Level.COMPOUND, place=compound)
    party.party_member_save(actor=staff, org=branch, name="李书记", role="secretary", unit_code="1-1-101")
    committee = Committee.objects.create(
        compound=compound,
        term_start=timezone.localdate() - timedelta(days=900),
        term_end=timezone.localdate() + timedelta(days=900),
    )
    CommitteeMember.objects.create(
        committee=committee, name="李书记", owner=secretary_owner, role="chair", party_member=True
    )
    for i in range(4):
        CommitteeMember.objects.create(
            committee=committee, name=f"委员{i}", role="member", party_member=i < 2
        )
    return {
        "street": street,
        "compound": compound,
        "staff": staff,
        "wg": wg,
        "secretary": secretary,
        "owner": owner,
        "home": home,
        "neighbour": neighbour,
        "branch": branch,
    }


def test_the_street_office_holds_its_gates_and_reads_the_party_side(live_server):
    from playwright.sync_api import expect, sync_playwright

    w = world()
    election = lc.election_create(compound=w["compound"], title="第三届业主委员会换届选举", actor=w["wg"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page, errors = new_page(browser, live_server, w["staff"], DESK)
            # 1. The street switches its gates on.
            page.goto(f"{live_server.url}/street/settings/")
            page.get_by_label("每次选举启动须经街道办事处批准").check()
            page.get_by_label("换届小组人员组成须经街道办事处审核批准").check()
            page.screenshot(path="/tmp/party_settings_1366.png", full_page=True)
            page.get_by_role("button", name="保存").click()
            expect(page.locator(".message.success")).to_contain_text("街道设置已保存")
            assert Street.objects.get(pk=w["street"].pk).gate_start

            # 2. The working group sees the blocker and no approval button.
            wg_page, wg_errors = new_page(browser, live_server, w["wg"], DESK)
            wg_page.goto(f"{live_server.url}/manage/e/{election.pk}/")
            expect(wg_page.locator(".blockers")).to_contain_text("街道办事处尚未批准启动本次选举")
            assert wg_page.locator("form[action$='/do/start_approve/']").count() == 0
            wg_page.screenshot(path="/tmp/party_gate_blocked_1366.png", full_page=True)

            # 3. The street office approves; the overview and the timeline say who and when.
            page.goto(f"{live_server.url}/manage/e/{election.pk}/")
            form = page.locator("form[action$='/do/start_approve/']")
            form.locator("input[name='start_approve-note']").fill("任期将满，同意启动。")
            form.locator("button[type=submit]").click()
            expect(page.locator(".message.success")).to_contain_text("批准启动选举")
            expect(page.locator("#gates .gate-start")).to_contain_text("街道办 陈主任")
            page.goto(f"{live_server.url}/manage/e/{election.pk}/timeline/")
            expect(page.locator("#gates")).to_contain_text("任期将满，同意启动。")
            page.screenshot(path="/tmp/party_gates_timeline_1366.png", full_page=True)
            wg_page.goto(f"{live_server.url}/manage/e/{election.pk}/")
            wg_page.locator("form[action$='/do/working_group_form/'] button[type=submit]").click()
            wg_page.wait_for_url(re.compile(r"/manage/e/\d+/$"))
            assert Election.objects.get(pk=election.pk).stage == "working_group"

            # 4. The party tree and the composition next to 三覆盖 on the board.
            page.goto(f"{live_server.url}/party/")
            expect(page.locator(".party-tree").first).to_contain_text("西园里党支部")
            page.screenshot(path="/tmp/party_tree_1366.png", full_page=True)
            page.get_by_role("link", name="西园里党支部").click()
            expect(page.locator("h1")).to_have_text("西园里党支部")
            page.screenshot(path="/tmp/party_branch_1366.png", full_page=True)
            page.goto(f"{live_server.url}/street/")
            expect(page.locator(".figures.composition")).to_contain_text("业委会委员中的党员比例")
            expect(page.locator(".figures.composition")).to_contain_text("60.0%")
            page.screenshot(path="/tmp/party_board_1366.png", full_page=True)
            page.locator("a.composition-link").click()
            expect(page.locator("table.composition-detail")).to_contain_text("西园里")
            page.screenshot(path="/tmp/party_composition_1366.png", full_page=True)
            assert errors == [] and wg_errors == []
        finally:
            browser.close()


def test_an_owner_reports_to_the_branch_and_answers_a_survey_on_a_phone(live_server):
    from playwright.sync_api import expect, sync_playwright

    w = world()
    now = timezone.now()
    survey = survey_svc.survey_create(
        compound=w["compound"],
        actor=OPERATOR,
        asker="branch",
        title="小区最需要解决的问题",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
    )
    survey_svc.survey_question_add(
        survey=survey,
        actor=OPERATOR,
        kind="single",
        text="您认为最需要解决的问题",
        options=["消防隐患", "停车难", "电梯老化"],
    )
    survey_svc.survey_question_add(
        survey=survey, actor=OPERATOR, kind="text", text="其他意见", required=False
    )
    survey_svc.survey_publish(survey=survey, actor=OPERATOR)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone, errors = new_page(browser, live_server, w["owner"], PHONE)
            # 1. Report to the branch from the home page.
            phone.goto(f"{live_server.url}/")
            phone.get_by_role("link", name="党员：向小区党支部报到").click()
            phone.fill("input[name=home_org]", "杭州市第一人民医院党委")
            phone.screenshot(path="/tmp/party_report_form_360.png", full_page=True)
            phone.get_by_role("button", name="提交报到").click()
            expect(phone.locator(".message.success")).to_contain_text("报到已提交")
            expect(phone.locator("main")).to_contain_text("待审核")
            assert fits(phone)
            phone.screenshot(path="/tmp/party_report_sent_360.png", full_page=True)

            # 2. The branch's secretary confirms it, also on a phone.
            officer, officer_errors = new_page(browser, live_server, w["secretary"], PHONE)
            officer.goto(f"{live_server.url}/party/")
            officer.get_by_role("link", name="西园里党支部").first.click()
            report = officer.locator(".reports li", has_text="王秀英")
            expect(report).to_contain_text("杭州市第一人民医院党委")
            officer.screenshot(path="/tmp/party_confirm_360.png", full_page=True)
            report.get_by_role("button", name="确认", exact=True).click()
            expect(officer.locator(".message.success")).to_contain_text("已成为本支部党员")
            assert PartyReport.objects.get().status == "confirmed"
            assert PartyMember.objects.filter(user=w["owner"], reported_on=timezone.localdate()).exists()

            # 3. Answer the survey: it says it is not a vote.
            phone.goto(f"{live_server.url}/")
            phone.get_by_role("link", name="小区最需要解决的问题").click()
            expect(phone.locator(".not-a-vote")).to_contain_text("问题征集不是业主大会的表决")
            phone.get_by_label("消防隐患").check()
            phone.fill("textarea", "楼道电动车充电太危险")
            phone.screenshot(path="/tmp/party_survey_360.png", full_page=True)
            phone.get_by_role("button", name="提交回答").click()
            expect(phone.locator(".message.success")).to_contain_text("1-2-301 的回答已记录")
            assert SurveyResponse.objects.get().unit == w["home"]
            assert fits(phone)

            # 4. After the close the results read as a chart, still not a vote.
            type(survey).objects.filter(pk=survey.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
            phone.reload()
            expect(phone.locator(".results .bars .progress")).to_have_count(3)
            expect(phone.locator(".results")).to_contain_text("消防隐患")
            assert fits(phone)
            phone.screenshot(path="/tmp/party_survey_results_360.png", full_page=True)
            assert errors == [] and officer_errors == []
        finally:
            browser.close()


def test_a_grid_leader_visits_homes_before_the_vote_on_a_phone(live_server):
    from playwright.sync_api import expect, sync_playwright

    w = world()
    compound = w["compound"]
    election = lc.election_create(compound=compound, title="第三届业主委员会换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR)
    grid = Grid.objects.create(community=compound.community, compound=compound, name="一号网格")
    grid.buildings.add(Unit.objects.get(code="1-1-101").building)
    leader = UserFactory(name="网格长 刘阿姨")
    grant(leader, RoleAssignment.Role.GRID_LEADER, grid)
    Unit.objects.filter(code="1-1-101").update(central_household=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            phone, errors = new_page(browser, live_server, leader, PHONE)
            phone.goto(f"{live_server.url}/grid/")
            expect(phone.locator(".central-households")).to_contain_text("1-1-101")
            expect(phone.locator(".central-households")).to_contain_text("李书记")
            phone.screenshot(path="/tmp/party_grid_index_360.png", full_page=True)
            phone.get_by_role("link", name=re.compile("第三届业主委员会换届选举")).click()
            expect(phone.locator(".home-list")).to_contain_text("1-2-301")
            assert "2-1-101" not in phone.locator(".home-list").inner_text()
            phone.screenshot(path="/tmp/party_outreach_list_360.png", full_page=True)
            phone.get_by_role("link", name="1-2-301").click()
            phone.get_by_label("有顾虑").check()
            phone.fill("textarea[name=note]", "担心换届后物业费上涨，已解释")
            phone.screenshot(path="/tmp/party_outreach_home_360.png", full_page=True)
            phone.get_by_role("button", name="保存走访记录").click()
            expect(phone.locator(".message.success")).to_contain_text("1-2-301")
            visit = OutreachVisit.objects.get()
            assert (visit.unit.code, visit.outcome, visit.visited_by) == ("1-2-301", "concerns", leader)
            assert fits(phone)
            assert errors == []
        finally:
            browser.close()


def test_the_working_group_runs_a_survey_and_keeps_the_reserve(live_server):
    from playwright.sync_api import expect, sync_playwright

    w = world()
    compound = w["compound"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page, errors = new_page(browser, live_server, w["wg"], DESK)
            page.goto(f"{live_server.url}/manage/c/{compound.pk}/surveys/")
            page.get_by_label("发起方").select_option("working_group")
            page.fill("input[name=title]", "换届前问题征集")
            start = timezone.localtime() - timedelta(hours=1)
            page.fill("input[name=opens_at]", start.strftime("%Y-%m-%dT%H:%M"))
            page.fill("input[name=closes_at]", (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
            page.get_by_role("button", name="保存草稿").click()
            page.wait_for_url(re.compile(r"/manage/surveys/\d+/$"))
            form = page.locator("form.question-form")
            form.get_by_label("回答方式").select_option("single")
            form.locator("input[name=text]").fill("新一届业委会最应优先做的是")
            form.get_by_label("选项（每行一个）").fill("公开维修资金账目\n更换老旧电梯\n整治停车秩序")
            form.get_by_role("button", name="添加").click()
            expect(page.locator(".message.success")).to_contain_text("问题已添加")
            page.get_by_role("button", name="发布问题征集").click()
            expect(page.locator(".message.success")).to_contain_text("已发布")
            expect(page.locator(".not-a-vote")).to_be_visible()
            page.screenshot(path="/tmp/party_survey_staff_1366.png", full_page=True)

            page.goto(f"{live_server.url}/manage/c/{compound.pk}/reserve/")
            page.fill("input[name=name]", "赵大妈")
            page.fill("input[name=unit_code]", "2-1-101")
            page.locator("select[name=source]").select_option("owners")
            page.fill("input[name=suggested_by_name]", "2号楼业主代表")
            page.fill("textarea[name=reason]", "热心公益，常年组织楼道清扫")
            page.get_by_role("button", name="添加").click()
            expect(page.locator("table.reserve")).to_contain_text("2号楼业主代表")
            page.screenshot(path="/tmp/party_reserve_1366.png", full_page=True)
            assert errors == []
        finally:
            browser.close()
