"""A grid leader's day on a 360 px phone, by clicking (issue 20): sign in by SMS code from the
home page; open canvassing from the home page; read the quorum gap; see the households of their
grid who have not voted (never another grid's, never a home that voted, never a choice); open one,
read the visits before the vote, log a visit; back on the list the visit shows; the owner votes
and the household leaves the list, the gap shrinks. Every page is checked on arrival, with the
owners' 44 px tap rule: grid leaders are residents canvassing on their phones."""

from __future__ import annotations

import os

import pytest
from django.utils import translation
from playwright.sync_api import expect

from elections import turnout, voting
from elections.models import Candidate, OutreachVisit, Visit
from grids.models import Building, RoleAssignment
from tests.e2e.audit import chromium
from tests.e2e.journey import arrive, open_page, sign_in_by_code
from tests.elections.test_voting import open_election
from tests.factories import GridFactory, UserFactory, grant, owner_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e

LEADER_PHONE = "13700000009"
CANDIDATES = ("钱多多", "孙立新", "周海燕")
MATTER = "更换物业服务企业"


def gap(election) -> str:
    with translation.override("zh-hans"):
        return turnout.gap_words(turnout.turnout_overall(election))


@pytest.fixture
def grid_day(transactional_db, compound):
    homes = {
        code: owner_user(compound, code, area, name=name)
        for code, area, name in (
            ("1-1-101", "80.00", "张一"),
            ("1-1-102", "150.50", "王二"),
            ("1-1-103", "120.00", "李三"),
            ("2-1-101", "200.00", "赵四"),  # building 2: another grid's
        )
    }
    grid = GridFactory(compound=compound, name="一号网格")
    grid.buildings.add(Building.objects.get(compound=compound, name="1"))
    leader = UserFactory(phone=LEADER_PHONE, name="网格长老陈")
    grant(leader, RoleAssignment.Role.GRID_LEADER, grid)
    election = open_election(compound, matters=1, seats=2, candidates=3)
    election.matters.filter(key="M1").update(title=MATTER)
    for key, name in zip(("C1", "C2", "C3"), CANDIDATES, strict=True):
        Candidate.objects.filter(race__election=election, key=key).update(name=name)
    # Before the vote the leader talked with 王二 (走访交心).
    OutreachVisit.objects.create(
        election=election,
        unit=homes["1-1-102"][2],
        visited_by=leader,
        way=OutreachVisit.Way.TALK,
        outcome=OutreachVisit.Outcome.CONCERNS,
        note="担心物业费上涨",
    )
    # 李三 voted this morning.
    vote(election, homes, "1-1-103")
    return {"election": election, "homes": homes, "leader": leader}


def vote(election, homes, code):
    user, _owner, unit = homes[code]
    voting.ballot_cast_online(
        election=election,
        voter=election.voters.get(units=unit),
        actor=user,
        choices={"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}},
    )


def shows_no_choice(page) -> None:
    """The canvassing pages say who has not voted, never how anyone voted or what is on the ballot."""
    html = page.content()
    for text in (*CANDIDATES, MATTER):
        assert text not in html, f"{page.url} shows {text!r}"


def test_a_grid_leader_canvasses_the_households_who_have_not_voted(live_server, grid_day):
    election, homes = grid_day["election"], grid_day["homes"]
    with chromium() as browser:
        page = open_page(browser, live_server, phone=True)
        page.goto(live_server.url + "/")
        arrive(page, "业主大会", owner=True)
        page.get_by_role("link", name="手机号登录").click()
        sign_in_by_code(page, LEADER_PHONE)

        # 1. Home → canvassing: the vote under way and its quorum gap.
        arrive(page, "网格长老陈，您好", owner=True)
        page.get_by_role("link", name="网格催票").click()
        arrive(page, "网格催票", owner=True)
        card = page.locator("section.card", has_text=election.title)
        expect(card.locator(".gap-words")).to_have_text(gap(election))
        shows_no_choice(page)
        card.get_by_role("link", name="还没投票的业主").click()

        # 2. The households of the grid who have not voted, largest first; the gap again.
        arrive(page, "网格催票", owner=True)
        expect(page.locator(".lead")).to_contain_text(election.title)
        expect(page.locator(".gap-words")).to_have_text(gap(election))
        rows = page.locator("ul.voter-list > li")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("1-1-102")
        expect(rows.nth(0)).to_contain_text("王二")
        expect(rows.nth(1)).to_contain_text("1-1-101")
        expect(page.locator("main")).to_contain_text("您的网格还有 2 户业主没有投票")
        for absent in ("1-1-103", "李三", "2-1-101", "赵四"):  # voted; another grid's
            expect(page.locator("main")).not_to_contain_text(absent)
        shows_no_choice(page)

        # 3. One household: its contacts, the talk before the vote, a visit logged now.
        rows.nth(0).get_by_role("link", name="1-1-102").click()
        arrive(page, "1-1-102", owner=True)
        assert page.title().startswith("1-1-102 · 网格催票 · "), page.title()
        assert "<" not in page.title() and "走访" not in page.title(), page.title()
        expect(page.locator("main")).to_contain_text(homes["1-1-102"][0].phone)
        expect(page.locator("h2", has_text="投票前走访")).to_have_count(1)  # once, in the page's body
        expect(page.locator("main")).to_contain_text("担心物业费上涨")
        page.get_by_label("答应投票").check()
        page.get_by_label("备注").fill("周末去投")
        page.get_by_role("button", name="保存走访记录").click()
        arrive(page, "1-1-102", owner=True)
        expect(page.locator(".messages")).to_contain_text("走访已登记。")
        expect(page.locator(".visit-log").first).to_contain_text("周末去投")
        assert Visit.objects.filter(election=election, voter__units=homes["1-1-102"][2]).count() == 1
        shows_no_choice(page)
        page.get_by_role("link", name="返回名单").click()
        arrive(page, "网格催票", owner=True)
        expect(rows.nth(0)).to_contain_text("最近走访：答应投票")

        # 4. 王二 votes; the list no longer has the household and the gap is smaller.
        before = gap(election)
        vote(election, homes, "1-1-102")
        assert gap(election) != before
        page.reload()
        arrive(page, "网格催票", owner=True)
        expect(rows).to_have_count(1)
        expect(rows.nth(0)).to_contain_text("1-1-101")
        expect(page.locator("main")).not_to_contain_text("1-1-102")
        expect(page.locator(".gap-words")).to_have_text(gap(election))
        shows_no_choice(page)
        assert not page.errors, page.errors
