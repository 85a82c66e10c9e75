"""The street office's day in Chromium at a 1366 px desk (issue 20): a clerk of the district starts
at its roll-up, opens the street's board, sees a compound late and a term expiring, opens a
compound, its late election's timeline and case file (六步法), acts on an escalation (orders the
election, forms the 物管会 and lands on its page), and approves, as the second staff member, a
mass send that a working group asked for above the approval threshold. axe-core runs on every
page reached."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from elections.lifecycle.escalation import escalations_sweep
from elections.mass_sends import mass_send_estimate, mass_send_request
from elections.models import CaseStep, Escalation, MassSend, Notice, PropertyCommittee
from elections.notices import notice_create
from grids.models import RoleAssignment
from tests.e2e.audit import assert_accessible, chromium
from tests.e2e.steps import staff_page, zh, zh_label
from tests.e2e.test_street_board import build_street
from tests.elections.test_street_board import make_committee
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    DistrictFactory,
    OwnerFactory,
    StreetFactory,
    UserFactory,
    grant,
    unit_with_owners,
)
from yezhu.actors import SCHEDULER

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def street_with_work(settings):
    """The board's street (tests/e2e/test_street_board.py: 西园里 late, 东桥新区 voting with its
    term ending in 40 days), plus 柳岸小区 whose committee left office 200 days ago with no election
    (escalated by the scheduler's sweep), a reminder to 东桥新区's owners that its working group
    asked to send above the approval threshold, and a second street of the clerk's district."""
    clerk, late = build_street()
    street = clerk.roles.get().street
    street.profile = "hangzhou"  # whose rules provide the 物管会 (RULES.md §7)
    district = DistrictFactory(name="西湖区")
    street.district = district
    street.save(update_fields=["district", "profile"])
    StreetFactory(name="北山街道", district=district)
    grant(clerk, RoleAssignment.Role.DISTRICT_STAFF, district)
    today = timezone.localdate()
    expired = CompoundFactory(community=CommunityFactory(street=street, name="柳岸社区"), name="柳岸小区")
    make_committee(expired, term_end=today - timedelta(days=200))
    escalations_sweep(actor=SCHEDULER, today=today)
    assert Escalation.objects.filter(compound=expired).exists()

    voting = street.communities.get(name="东坡社区").compounds.get(name="东桥新区")
    election = voting.elections.get()
    for i in range(3):
        unit_with_owners(voting, f"2-1-{101 + i}", "80.00", [OwnerFactory(mobile=f"1380000{i:04d}")])
    group = UserFactory(name="东桥换届小组")
    grant(group, RoleAssignment.Role.WORKING_GROUP, voting)
    notice = notice_create(
        compound=voting,
        election=election,
        kind=Notice.Kind.REMINDER,
        audience=Notice.Audience.ALL_OWNERS,
        channels=("sms",),
        title="投票提醒",
        body="请在投票截止前投票。",
        actor=group,
    )
    settings.MASS_SEND_APPROVAL_OVER = 1
    send = mass_send_request(notice=notice, actor=group, round=mass_send_estimate(notice).round)
    assert send.status == MassSend.Status.PENDING
    return clerk, late, expired, send


def to_board(page) -> None:
    """To the street's board from any page: the home page's staff links, the district's roll-up."""
    from playwright.sync_api import expect

    page.locator("a.brand").click()
    page.locator("main a[href='/street/']").first.click()
    page.locator("main table").get_by_role("link", name="湖滨街道", exact=True).click()
    expect(page.locator("h1")).to_contain_text("湖滨街道")


def test_it_walks_the_street_clerk_through_a_day_at_the_desk(live_server, settings):
    from playwright.sync_api import expect

    clerk, late, expired, send = street_with_work(settings)
    today = timezone.localdate()

    with chromium() as browser:
        page, errors = staff_page(browser, live_server, clerk)

        # The clerk's district first (the roll-up of its two streets), then the street's board:
        # 西园里 late, 东桥新区's term expiring, 柳岸小区 escalated, a send to approve.
        page.goto(f"{live_server.url}/street/")
        expect(page.locator("main table")).to_contain_text("北山街道")
        assert_accessible(page)
        page.locator("main table").get_by_role("link", name="湖滨街道", exact=True).click()
        expect(page.locator("h1")).to_contain_text("湖滨街道")
        expect(page.locator("tr.late", has_text="西园里")).to_contain_text("任期届满未换届")
        expect(page.locator("table.board-table tr", has_text="东桥新区")).to_contain_text(
            (today + timedelta(days=40)).isoformat()
        )
        expect(page.locator("#escalations")).to_contain_text("柳岸小区")
        expect(page.locator("#sends-waiting")).to_contain_text("投票提醒")
        assert_accessible(page)

        # A compound's page, its late election and that election's case file (六步法), and back.
        page.locator("table.board-table").get_by_role("link", name="西园里", exact=True).click()
        expect(page.locator("h1")).to_contain_text("西园里")
        assert_accessible(page)
        page.locator("main").get_by_role("link", name=late.title, exact=True).click()  # its timeline
        expect(page.locator("main")).to_contain_text(late.title)
        assert_accessible(page)
        page.locator("main .crumbs").get_by_role("link", name=late.title, exact=True).click()
        expect(page.locator("h1")).to_have_text(late.title)
        assert_accessible(page)
        page.get_by_role("link", name=zh("Open the case file")).click()
        expect(page.locator("main")).to_contain_text(zh_label(CaseStep.Step.choices[0][1]))
        assert_accessible(page)
        to_board(page)

        # The escalation: the street office orders the election, then forms the 物管会.
        page.locator("#escalations li", has_text="柳岸小区").get_by_role("link", name=zh("Act")).click()
        expect(page.locator("h1")).to_contain_text("柳岸小区")
        assert_accessible(page)
        order = page.locator("form[action$='/order/']")
        order.locator("[name$=told]").fill("柳岸社区居委会 李主任")
        order.locator("[name$=on]").fill(today.isoformat())
        order.get_by_role("button", name=zh("Record: the street office ordered the election")).click()
        expect(page.locator(".message.success")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name=zh("Form the property management committee")).first.click()
        assert_accessible(page)
        page.select_option("#id_basis", index=1)  # the term ended with no successor
        members = [
            ("李主任", "柳岸社区居委会", False, True, True),
            ("派出所王警官", "柳岸派出所", False, False, False),
        ]
        members += [(f"业主代表{i}", f"{i}幢", True, False, False) for i in range(1, 6)]
        for i, (name, affiliation, is_owner, residents_committee, chair) in enumerate(members):
            page.fill(f"[name=m-{i}-name]", name)
            page.fill(f"[name=m-{i}-affiliation]", affiliation)
            for field, ticked in (
                ("is_owner", is_owner),
                ("residents_committee", residents_committee),
                ("chair", chair),
            ):
                if ticked:
                    page.check(f"[name=m-{i}-{field}]")
        page.fill("#id_decision_number", "湖街〔2026〕12号")
        for name, day in (
            ("formed_on", today),
            ("term_start", today),
            ("term_end", today + timedelta(days=365)),
            ("publicity_start", today),
            ("publicity_end", today + timedelta(days=7)),
        ):
            page.fill(f"#id_{name}", day.isoformat())
        page.locator("main form button[type=submit]").last.click()

        # The new 物管会's page, where the form leads.
        expect(page.locator(".message.success")).to_be_visible()
        body = PropertyCommittee.objects.get(compound=expired)
        assert body.members.count() == 7
        expect(page.locator("h1")).to_contain_text("柳岸小区")
        expect(page.locator("main")).to_contain_text("李主任")
        assert_accessible(page)
        page.locator(".site-nav").get_by_role("link", name=zh("Street board")).click()
        page.locator("main table").get_by_role("link", name="湖滨街道", exact=True).click()

        # The mass send waiting for a second staff member: the clerk approves it.
        page.locator("#sends-waiting").get_by_role("link").first.click()
        expect(page.locator("main")).to_contain_text("东桥换届小组")
        assert_accessible(page)
        page.get_by_role("button", name=zh("Approve and send")).click()
        expect(page.locator(".message.success")).to_be_visible()
        assert_accessible(page)
        send.refresh_from_db()
        assert send.status != MassSend.Status.PENDING and send.decided_by == clerk

        # Back on the board, nothing waits any more.
        to_board(page)
        expect(page.locator("#sends-waiting")).to_have_count(0)
        assert errors == []
