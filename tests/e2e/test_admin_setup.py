"""The admin's setup of a compound and its committee in Chromium at a 1366 px desk (issue 20): a
superuser signs in through the real staff sign-in (mobile number and password, then the code sent
by text message), creates a street, a community and a compound, then the committee in office with
its members, and finds them on the street board. axe-core runs on every page reached; on the admin's
pages it leaves out only the markup Django's admin ships (tests/e2e/audit.py DJANGO_ADMIN_OWN)."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from elections.models import Committee, CommitteeMember
from grids.models import Community, Compound, Street
from tests.e2e.audit import DJANGO_ADMIN_OWN, assert_accessible, chromium, new_page
from tests.e2e.steps import zh
from yezhu.accounts.models import SmsMessage, User

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = "13300133099"
PASSWORD = "a long admin password"


def last_code(phone: str) -> str:
    message = SmsMessage.objects.filter(phone=phone).order_by("-id").first()
    assert message is not None, "no text message was written to the outbox"
    return re.search(r"\d{6}", message.body).group(0)


def admin_ok(page) -> None:
    assert_accessible(page, exclude=DJANGO_ADMIN_OWN)


def saved(page, expect) -> None:
    """The admin's save button, then its success message (and no form error)."""
    page.locator("input[name=_save]").click()
    expect(page.locator(".errornote")).to_have_count(0)
    expect(page.locator(".messagelist .success")).to_be_visible()
    admin_ok(page)


def autocomplete(page, field: str, text: str) -> None:
    """Choose `text` in the admin's select2 autocomplete of `field`, as a person does."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_it_lets_the_admin_set_up_a_compound_and_its_committee(live_server):
    from playwright.sync_api import expect

    User.objects.create_superuser(PHONE, PASSWORD, name="系统管理员")
    today = timezone.localdate()
    term_end = today + timedelta(days=400)

    with chromium() as browser:
        page = new_page(browser, live_server)

        # The admin sends the unsigned-in to the staff sign-in: password, then the code.
        page.goto(f"{live_server.url}/admin/")
        expect(page.locator("input[name=password]")).to_be_visible()
        assert_accessible(page)
        page.fill("input[name=login]", PHONE)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name=zh("Next: get the code")).click()
        expect(page.locator("input[name=code]")).to_be_visible()
        assert_accessible(page)
        page.fill("input[name=code]", last_code(PHONE))
        page.get_by_role("button", name=zh("Sign in"), exact=True).click()
        page.wait_for_url(re.compile(r"/admin/$"))
        admin_ok(page)

        # A street, a community in it, a compound in that.
        page.locator("a[href='/admin/grids/street/add/']").click()
        admin_ok(page)
        page.fill("#id_name", "湖滨街道")
        saved(page, expect)
        street = Street.objects.get(name="湖滨街道")

        page.goto(f"{live_server.url}/admin/")
        page.locator("a[href='/admin/grids/community/add/']").click()
        page.fill("#id_name", "东坡社区")
        autocomplete(page, "street", "湖滨街道")
        admin_ok(page)
        saved(page, expect)
        community = Community.objects.get(name="东坡社区", street=street)

        page.locator("#site-name a, a[href='/admin/']").first.click()
        page.locator("a[href='/admin/grids/compound/add/']").click()
        page.fill("#id_code", "XYLW")
        page.fill("#id_name", "西园里")
        autocomplete(page, "community", "东坡社区")
        admin_ok(page)
        saved(page, expect)
        compound = Compound.objects.get(code="XYLW", community=community)

        # The committee in office, with its chair and two members.
        page.locator("#site-name a, a[href='/admin/']").first.click()
        page.locator("a[href='/admin/elections/committee/add/']").click()
        admin_ok(page)
        page.fill("#id_compound", str(compound.pk))
        page.fill("#id_term_start", (term_end - timedelta(days=5 * 365)).isoformat())
        page.fill("#id_term_end", term_end.isoformat())
        for i, (name, role) in enumerate((("周主任", "chair"), ("吴委员", "member"), ("郑委员", "member"))):
            page.locator(".inline-group .add-row a").click()
            page.fill(f"#id_members-{i}-name", name)
            page.select_option(f"#id_members-{i}-role", role)
        admin_ok(page)
        saved(page, expect)
        committee = Committee.objects.get(compound=compound)
        assert committee.term_end == term_end
        assert committee.members.get(role=CommitteeMember.Role.CHAIR).name == "周主任"
        assert committee.members.count() == 3

        # The street board shows the compound and its committee's term.
        page.locator("#user-tools a[href='/']").click()
        page.get_by_role("link", name=zh("Street board")).first.click()
        row = page.locator("table.board-table tr", has_text="西园里")
        expect(row).to_contain_text(term_end.isoformat())
        expect(row).to_contain_text("东坡社区")
        assert_accessible(page)
