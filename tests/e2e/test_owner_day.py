"""An owner's whole day on a 360 px phone, by clicking (issue 20): from the home page, sign in by
SMS code; open the election from the home page; read its notice and the candidates with their
bios; fill in the ballot, confirm it, keep the receipt; find the notices from the header; after
the close, read the result notice, the results and find the receipt's code on the ballot board.
Every page is checked on arrival (tests/e2e/journey.py): axe-core, no sideways scroll, 44 px taps.

tests/e2e/test_owner_votes.py keeps the ballot page's own behaviour (the seat limit in the page)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from elections import voting
from elections.models import Ballot, Candidate, Delivery, Notice
from elections.notices import notice_create, notice_send
from tests.e2e.audit import chromium
from tests.e2e.journey import arrive, open_page, sign_in_by_code
from tests.elections.test_voting import close_and_publish, open_election, voter_of
from tests.factories import OwnerFactory, UserFactory, unit_with_owners
from yezhu.accounts.models import User
from yezhu.actors import OPERATOR

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e

PHONE = "13812340001"
BIOS = {
    "C1": ("王建国", "退休教师，在小区住了二十年，参与过两次加装电梯协调。"),
    "C2": ("李秀英", "会计师，愿意把维修资金的每一笔账目公开。"),
    "C3": ("陈志强", "楼组长，熟悉小区的每一栋楼。"),
    "C4": ("赵敏", "律师，愿为业主提供法律意见。"),
}


def notice(election, kind, title, body):
    """A notice to all owners, by inbox, sent as the working group sends it."""
    made = notice_create(
        compound=election.compound,
        election=election,
        kind=kind,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["inbox"],
        title=title,
        body=body,
        actor=OPERATOR,
    )
    notice_send(notice=made, actor=OPERATOR)
    return made


@pytest.fixture
def day(transactional_db, compound):
    # As the sign-in creates owners' accounts: no usable password (a password marks staff).
    user = User.objects.create_user(PHONE, name="张大爷", phone_verified=True)
    mine = unit_with_owners(
        compound, "3-1-201", "89.50", [OwnerFactory(name="张大爷", user=user, mobile=PHONE)]
    )
    neighbour = UserFactory(name="邻居")
    theirs = unit_with_owners(compound, "3-1-202", "95.00", [OwnerFactory(name="邻居", user=neighbour)])
    election = open_election(compound, matters=2, seats=2, candidates=4)
    election.notice_published_on = timezone.localdate() - timedelta(days=20)
    election.save(update_fields=["notice_published_on"])
    election.matters.filter(key="M1").update(
        title="修订《业主大会议事规则》",
        text="将业主大会议事规则第十二条修改为：业主委员会每季度公布一次收支情况。",
    )
    election.matters.filter(key="M2").update(
        title="续聘物业服务企业", text="续聘现物业服务企业，合同期三年，收费标准不变。"
    )
    for key, (name, bio) in BIOS.items():
        Candidate.objects.filter(race__election=election, key=key).update(
            name=name, bio=bio, birth_year=1960, occupation="业主"
        )
    notice(election, Notice.Kind.ASSEMBLY, "关于召开业主大会会议的公告", "定于本周网上投票，请按时参加。")
    assert Delivery.objects.filter(user=user, status=Delivery.Status.SENT).count() == 1
    return {"user": user, "election": election, "mine": mine, "neighbour": neighbour, "theirs": theirs}


def test_an_owner_signs_in_reads_votes_and_finds_the_receipt_on_the_board(live_server, day):
    election = day["election"]
    with chromium() as browser:
        page = open_page(browser, live_server, phone=True)
        # 1. The home page, not signed in: one button to sign in.
        page.goto(live_server.url + "/")
        arrive(page, "业主大会", owner=True)
        page.get_by_role("link", name="手机号登录").click()
        sign_in_by_code(page, PHONE, typed="138 1234 0001")

        # 2. Home, signed in: greeted by name, the vote listed.
        arrive(page, "张大爷，您好", owner=True)
        expect(page.locator("main")).to_contain_text("3-1-201")
        page.get_by_role("link", name=election.title).click()

        # 3. The election page: the window, the matters, the notice, the candidates.
        arrive(page, election.title, owner=True)
        expect(page.locator("main")).to_contain_text("现在正在投票。")
        expect(page.locator("#voter-" + str(voter_of(election, day["mine"]).pk))).to_contain_text("3-1-201")
        page.locator("#matter-M1 summary").click()
        expect(page.locator("#matter-M1")).to_contain_text("每季度公布一次收支情况")
        page.locator("#notices").get_by_role("link", name="关于召开业主大会会议的公告").click()
        arrive(page, "关于召开业主大会会议的公告", owner=True)
        expect(page.locator(".notice-body")).to_contain_text("定于本周网上投票")
        page.get_by_role("link", name="打开选举页面").click()
        arrive(page, election.title, owner=True)
        page.locator("ul.links").get_by_role("link", name="候选人公示").click()
        arrive(page, "候选人公示", owner=True)
        for key, (name, bio) in BIOS.items():
            expect(page.locator(f"#candidate-{key}")).to_contain_text(name)
            expect(page.locator(f"#candidate-{key}")).to_contain_text(bio)
        page.locator(".site-nav").get_by_role("link", name="选举", exact=True).click()

        # 4. The ballot, its check, the receipt.
        arrive(page, election.title, owner=True)
        page.get_by_role("link", name="去投票").click()
        arrive(page, "您的选票", owner=True)
        expect(page.locator(".race-limit")).to_contain_text("最多选 2 人")
        page.click("#matter-M1 label.answer-yes")
        page.click("#matter-M2 label.answer-no")
        for name in ("王建国", "陈志强"):
            page.locator("label.candidate", has_text=name).locator("input").check()
        page.get_by_role("button", name="下一步：核对选票").click()
        arrive(page, "请核对您的选票", owner=True)
        expect(page.locator("main")).to_contain_text("王建国、陈志强")
        assert not Ballot.objects.exists()  # nothing is cast before the owner confirms
        page.get_by_role("button", name="确认投票").click()
        arrive(page, "投票成功", owner=True)
        receipt = page.locator("#receipt-code").inner_text().strip()
        ballot = Ballot.objects.get()
        assert receipt == ballot.receipt
        assert ballot.choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}

        # 5. The notices, from the link in the header of every page: the notice read this morning.
        header_inbox = page.locator(".site-header a.inbox-link")
        expect(header_inbox).not_to_contain_text("1")  # read this morning: nothing unread
        header_inbox.click()
        arrive(page, "我的通知", owner=True)
        expect(page.locator(".inbox-item")).to_have_count(1)
        expect(page.locator(".inbox-item.unread")).to_have_count(0)

        # 6. The neighbour votes; the vote closes, is counted, and the result notice goes out.
        neighbour_voter = voter_of(election, day["theirs"])
        voting.ballot_cast_online(
            election=election,
            voter=neighbour_voter,
            actor=day["neighbour"],
            choices={"matters": {"M1": "yes", "M2": "yes"}, "races": {"R1": ["C1", "C3"]}},
        )
        close_and_publish(election)
        notice(election, Notice.Kind.RESULT, "业主大会表决结果公告", "表决结果已经公布，请查看。")

        # 7. The new notice is on the home page; it leads to the election, the results, the board.
        page.locator(".site-header a.brand").click()
        arrive(page, "张大爷，您好", owner=True)
        page.get_by_role("link", name="我的通知 (1)").click()
        arrive(page, "我的通知", owner=True)
        expect(page.locator(".inbox-item.unread")).to_have_count(1)
        page.get_by_role("link", name="业主大会表决结果公告").click()
        arrive(page, "业主大会表决结果公告", owner=True)
        page.get_by_role("link", name="打开选举页面").click()
        arrive(page, election.title, owner=True)
        page.locator("ul.links").get_by_role("link", name="表决结果").click()
        arrive(page, "表决结果", owner=True)
        expect(page.locator("main")).to_contain_text("王建国、陈志强")  # the race's elected, in rank order
        page.get_by_label("回执码").fill(receipt.lower())  # as read aloud: case does not matter
        page.locator(".receipt-search").get_by_role("button").click()
        arrive(page, "选票公示板", owner=True)
        expect(page.locator("#found")).to_contain_text("找到了")
        expect(page.locator("#found")).to_contain_text(receipt)
        expect(page.locator("#found")).to_contain_text("王建国")
        assert not page.errors, page.errors
