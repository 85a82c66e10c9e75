"""An elderly owner votes on a 360px phone: signs in with an SMS code, opens the election,
fills in the ballot (the page keeps the race within its seats), confirms, keeps the receipt,
and after the close finds the receipt on the ballot board."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from django.conf import settings

from elections.models import Ballot, Candidate
from tests.e2e.audit import assert_accessible
from tests.elections.test_voting import close_and_publish, open_election
from tests.factories import OwnerFactory, unit_with_owners
from yezhu.accounts.models import SmsMessage, User

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e

PHONE = "13812340001"
CHROMIUM = "/usr/bin/chromium"
BIOS = [
    ("王建国", "退休教师，在小区住了二十年，参与过两次加装电梯协调。", 1958),
    ("李秀英", "会计师，愿意把维修资金的每一笔账目公开。", 1972),
    ("陈志强", "楼组长，熟悉小区的每一栋楼。", 1965),
    ("赵敏", "律师，愿为业主提供法律意见。", 1980),
]


def last_code(phone: str) -> str:
    message = SmsMessage.objects.filter(phone=phone).order_by("-id").first()
    assert message is not None, "no SMS code was sent"
    return re.search(r"\d{6}", message.body).group(0)


@pytest.fixture
def election(transactional_db, compound):
    # As the sign-in creates owners' accounts: no usable password (a password marks staff, who
    # must pass a second step).
    user = User.objects.create_user(PHONE, name="张大爷", phone_verified=True)
    unit_with_owners(compound, "3-1-201", "89.50", [OwnerFactory(name="张大爷", user=user, mobile=PHONE)])
    unit_with_owners(compound, "3-1-202", "95.00", [OwnerFactory(name="邻居")])
    election = open_election(compound, matters=2, seats=2, candidates=4)
    election.matters.filter(key="M1").update(
        title="修订《业主大会议事规则》",
        text="将业主大会议事规则第十二条修改为：业主委员会每季度公布一次收支情况。",
    )
    election.matters.filter(key="M2").update(
        title="续聘物业服务企业", text="续聘现物业服务企业，合同期三年，收费标准不变。"
    )
    for (name, bio, year), key in zip(BIOS, ("C1", "C2", "C3", "C4"), strict=True):
        Candidate.objects.filter(race__election=election, key=key).update(
            name=name, bio=bio, birth_year=year, occupation="业主"
        )
    return election


@pytest.fixture
def page(live_server):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))  # a script that broke
        page.on(  # a stylesheet, script or page that failed (the browser's own favicon probe aside)
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
            ),
        )
        page.errors = errors
        yield page
        browser.close()


def test_it_lets_an_owner_vote_on_a_phone_and_find_the_receipt_on_the_board(page, live_server, election):
    """The owner's whole journey at 360px, with screenshots of the ballot and the receipt."""
    base = live_server.url
    page.goto(f"{base}/e/{election.pk}/")
    # Not signed in: the phone-code sign-in page.
    assert_accessible(page, owner=True)
    page.fill("input[name=phone]", "138 1234 0001")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/login/code/confirm/.*"))
    assert_accessible(page, owner=True)
    page.fill("input[name=code]", last_code(PHONE))
    page.click("form[action$='/login/code/confirm/'] button[type=submit]")
    page.wait_for_url(lambda url: "/login/code" not in url)
    if f"/e/{election.pk}/" not in page.url:
        page.goto(f"{base}/e/{election.pk}/")
    assert "3-1-201" in page.content()
    assert_accessible(page, owner=True)

    page.click("text=去投票")
    page.wait_for_url(re.compile(r".*/vote/\d+/$"))
    assert "最多选 2 人" in page.inner_text(".race-limit")
    assert_accessible(page, owner=True)
    page.click("#matter-M1 label.answer-yes")
    page.click("#matter-M2 label.answer-no")
    boxes = page.locator("input[name=race_R1]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    # The limit is enforced in the page: the third and fourth boxes are disabled at two.
    assert boxes.nth(2).is_disabled() and boxes.nth(3).is_disabled()
    assert "已选 2 人" in page.locator(".race-count").first.inner_text()
    boxes.nth(1).uncheck()
    assert not boxes.nth(2).is_disabled()
    boxes.nth(2).check()
    assert boxes.nth(3).is_disabled()
    # No horizontal scrolling on a 360px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path="/tmp/ballot.png", full_page=True)

    page.click("text=下一步：核对选票")
    page.wait_for_selector("text=请核对您的选票")
    assert "王建国、陈志强" in page.content()
    assert_accessible(page, owner=True)
    assert Ballot.objects.count() == 0
    page.click("button[value=cast]")
    page.wait_for_selector("#receipt-code")
    receipt = page.inner_text("#receipt-code").strip()
    ballot = Ballot.objects.get()
    assert receipt == ballot.receipt
    assert ballot.choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}
    assert "请保存回执码，投票结束后可在公示板上核对" in page.content()
    assert_accessible(page, owner=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/receipt.png", full_page=True)

    close_and_publish(election)
    page.goto(f"{base}/e/{election.pk}/board/")
    page.fill("input[name=receipt]", receipt.lower())
    page.click(".receipt-search button")
    page.wait_for_selector("#found")
    assert "找到了" in page.inner_text("#found")
    assert "王建国" in page.inner_text("#found")
    assert page.inner_text("#head-hash").strip() == Ballot.objects.get().hash
    assert_accessible(page, owner=True)
    # The results at 360 px: names and "当选（第1名）" on one line, the table scrolls in its frame.
    page.goto(f"{base}/e/{election.pk}/results/")
    page.wait_for_selector(".result-race")
    assert_accessible(page, owner=True)
    page.goto(f"{base}/e/inbox/")
    assert_accessible(page, owner=True)
    assert not page.errors, page.errors

    if os.environ.get("YEZHU_DOC_SCREENSHOTS"):  # refresh the owner's guide: docs/img/owner-*.png
        for name in ("ballot", "receipt"):
            shutil.copy(f"/tmp/{name}.png", settings.BASE_DIR / "docs" / "img" / f"owner-{name}.png")
