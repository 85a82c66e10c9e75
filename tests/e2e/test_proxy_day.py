"""A proxy's day on 360 px phones, by clicking (issue 20): an owner names a proxy on the election
page; revoking asks first ("No, keep" keeps it); the proxy is told by SMS, opens its link, signs in
by code, sees whose home they vote for and votes; the owner sees the home has voted by proxy and
who cast it; the revocation the owner left open in another tab is then refused, and the vote stands.
Every page is checked on arrival (tests/e2e/journey.py)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from elections.models import Ballot, Proxy
from tests.e2e.audit import chromium
from tests.e2e.journey import arrive, last_sms, link_in, open_page, sign_in_by_code, watched
from tests.elections.test_voting import open_election
from tests.factories import owner_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e

PROXY_PHONE = "13912345678"


@pytest.fixture
def setting(transactional_db, compound):
    owner, _owner, home = owner_user(compound, "5-1-101", "102.30", name="王阿姨")
    owner_user(compound, "5-1-102", "88.00", name="邻居")
    election = open_election(compound, matters=1, seats=2, candidates=3)
    return {"owner": owner, "home": home, "election": election}


def test_an_owner_names_a_proxy_who_signs_in_from_the_sms_and_votes(live_server, setting):
    election = setting["election"]
    voter = election.voters.get(units=setting["home"])
    with chromium() as browser:
        # 1. The owner names a proxy from the election page.
        owner = open_page(browser, live_server, user=setting["owner"], phone=True)
        owner.goto(f"{live_server.url}/e/{election.pk}/")
        arrive(owner, election.title, owner=True)
        owner.get_by_role("link", name="委托他人代我投票").click()
        arrive(owner, "委托他人代我投票", owner=True)
        owner.get_by_label("受托人姓名").fill("小李")
        owner.get_by_label("受托人手机号").fill("139 1234 5678")
        owner.get_by_role("button", name="确认委托").click()
        arrive(owner, election.title, owner=True)
        expect(owner.locator(".messages")).to_contain_text("已委托 小李 为 5-1-101 投票")
        expect(owner.locator(f"#voter-{voter.pk}")).to_contain_text("已委托 小李 为这户投票。")
        proxy = Proxy.objects.get(principal=voter, status=Proxy.Status.ACTIVE)

        # 2. Revoking asks first; "No, keep the proxy" keeps it.
        owner.get_by_role("link", name="查看或撤销委托").click()
        arrive(owner, "委托他人代我投票", owner=True)
        expect(owner.locator("main")).to_contain_text("小李")
        owner.get_by_role("link", name="撤销委托", exact=True).click()
        arrive(owner, "确定撤销委托吗？", owner=True)
        owner.get_by_role("link", name="不撤销，保留委托").click()
        arrive(owner, "委托他人代我投票", owner=True)
        proxy.refresh_from_db()
        assert proxy.status == Proxy.Status.ACTIVE
        # The owner opens the election in a second tab and leaves the revocation unconfirmed there.
        tab = watched(owner.context.new_page())
        tab.goto(f"{live_server.url}/e/{election.pk}/")
        arrive(tab, election.title, owner=True)
        tab.get_by_role("link", name="查看或撤销委托").click()
        arrive(tab, "委托他人代我投票", owner=True)
        tab.get_by_role("link", name="撤销委托", exact=True).click()
        arrive(tab, "确定撤销委托吗？", owner=True)

        # 3. The proxy is told by SMS, follows its link, signs in by code and votes for the home.
        sms = last_sms(PROXY_PHONE)
        assert sms.purpose == f"proxy:{proxy.pk}"
        assert "5-1-101" in sms.body
        helper = open_page(browser, live_server, phone=True)
        helper.goto(link_in(sms, live_server))
        sign_in_by_code(helper, PROXY_PHONE)
        arrive(helper, election.title, owner=True)
        held = helper.locator(f"#proxy-{proxy.pk}")
        expect(held).to_contain_text("5-1-101")
        expect(held).to_contain_text("王阿姨")
        held.get_by_role("link", name="为这户投票").click()
        arrive(helper, "您的选票", owner=True)
        expect(helper.locator(".proxy-note")).to_contain_text("您正在作为 王阿姨 的受托人投票。")
        expect(helper.locator(".voter-card")).to_contain_text("5-1-101")
        helper.click("#matter-M1 label.answer-yes")
        helper.locator("label.candidate").first.locator("input").check()
        helper.get_by_role("button", name="下一步：核对选票").click()
        arrive(helper, "请核对您的选票", owner=True)
        helper.get_by_role("button", name="确认投票").click()
        arrive(helper, "投票成功", owner=True)
        receipt = helper.locator("#receipt-code").inner_text().strip()
        ballot = Ballot.objects.get(voter=voter)
        assert (ballot.receipt, ballot.proxy_id, ballot.cast_as) == (receipt, proxy.pk, Ballot.CastAs.PROXY)

        # 4. The owner sees the home has voted, by proxy, and by whom; the receipt says the same.
        owner.locator(".crumbs a").click()
        arrive(owner, election.title, owner=True)
        row = owner.locator(f"#voter-{voter.pk}")
        expect(row).to_contain_text("已投票")
        expect(row).to_contain_text("委托代理人 小李")
        expect(row.get_by_role("link", name="委托他人代我投票")).to_have_count(0)
        row.get_by_role("link", name="查看回执").click()
        arrive(owner, "这户已经投票", owner=True)
        expect(owner.locator("#cast-by-other")).to_contain_text("小李（委托代理人）")
        expect(owner.locator("#receipt-code")).to_have_text(receipt)

        # 5. The revocation left open in the other tab is refused now: the vote stands.
        tab.get_by_role("button", name="确定撤销委托").click()
        arrive(tab, election.title, owner=True)
        expect(tab.locator(".messages")).to_contain_text("受托人已经投票，投票有效，不能再撤销委托。")
        proxy.refresh_from_db()
        assert proxy.status == Proxy.Status.ACTIVE
        assert Ballot.objects.get(voter=voter).status == Ballot.Status.VALID
        assert not owner.errors + tab.errors + helper.errors, owner.errors + tab.errors + helper.errors
