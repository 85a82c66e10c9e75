"""An owner on a 360px phone reads a matter's documents on the election page, then signs a proposal
for a temporary assembly; her signature takes it to 20 % of the area and of the owners and the
committee is told (指导规则 第二十一条)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date

import pytest
from django.conf import settings

from elections import lifecycle as lc
from elections import proposals
from elections.models import AssemblyProposal, Election, Matter, Notice, Stage
from tests.e2e.test_owner_votes import last_code, page  # noqa: F401 - the 360px phone fixture
from tests.factories import OwnerFactory, UserFactory, unit_with_owners
from yezhu.accounts.models import User
from yezhu.actors import OPERATOR

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e

PHONE = "13812340002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(transactional_db, compound, settings, tmp_path):
    """Ten owners of 100 ㎡; one of them (陈阿姨) signs in; a neighbour's proposal has one signature."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    user = User.objects.create_user(PHONE, name="陈阿姨", phone_verified=True)
    unit_with_owners(compound, "5-1-301", "100.00", [OwnerFactory(name="陈阿姨", user=user, mobile=PHONE)])
    proposer = UserFactory(name="刘先生")
    unit_with_owners(compound, "5-1-302", "100.00", [OwnerFactory(name="刘先生", user=proposer)])
    for i in range(8):
        unit_with_owners(compound, f"6-1-{101 + i}", "100.00", [OwnerFactory()])
    proposal = proposals.proposal_create(
        compound=compound,
        actor=proposer,
        title="解聘现物业服务企业",
        text="物业服务长期不达标：电梯故障频发，绿化无人养护。提请业主大会决定解聘现物业服务企业，另行选聘。",
    )
    election = lc.election_create(
        compound=compound, title="使用专项维修资金更换电梯", kind=Election.Kind.MATTERS_ONLY, actor=OPERATOR
    )
    matter = lc.matter_save(
        election=election,
        actor=OPERATOR,
        title="使用3号楼专项维修资金更换两部电梯",
        text="预算68万元，从3号楼专项维修资金中列支。",
        item=Matter.Item.USE_FUND,
    )
    lc.matter_document_add(
        matter=matter,
        actor=OPERATOR,
        upload=SimpleUploadedFile("报价单.pdf", PDF),
        title="电梯更换报价单（三家比价）",
    )
    Election.objects.filter(pk=election.pk).update(stage=Stage.NOTICE, notice_published_on=date(2026, 3, 1))
    return election, proposal


def test_it_lets_an_owner_read_the_documents_and_sign_a_proposal_on_a_phone(page, live_server, world):  # noqa: F811
    election, proposal = world
    base = live_server.url
    page.goto(f"{base}/e/{election.pk}/")
    page.fill("input[name=phone]", "138 1234 0002")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/login/code/confirm/.*"))
    page.fill("input[name=code]", last_code(PHONE))
    page.click("form[action$='/login/code/confirm/'] button[type=submit]")
    page.wait_for_url(lambda url: "/login/code" not in url)
    if f"/e/{election.pk}/" not in page.url:
        page.goto(f"{base}/e/{election.pk}/")

    # The election page: the matter and its document, opened in a new tab.
    assert "投票前请阅读" in page.content()
    link = page.locator(".documents a").first
    assert link.get_attribute("target") == "_blank"
    response = page.request.get(base + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/owner-documents.png", full_page=True)

    # The proposal: 1 of 10 owners so far; her signature makes 2 of 10 (20 %): reached.
    page.goto(f"{base}/")
    page.click("text=业主提议召开临时业主大会会议")
    page.click(f"text={proposal.title}")
    assert "10.0%" in page.inner_text(".proposal-progress")
    page.click("text=联署这项提议")
    page.wait_for_selector("text=已通知业主委员会")
    assert "20.0%" in page.inner_text(".proposal-progress")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path="/tmp/owner-proposal.png", full_page=True)
    proposal.refresh_from_db()
    assert proposal.status == AssemblyProposal.Status.REACHED
    assert Notice.objects.filter(kind=Notice.Kind.PROPOSAL).count() == 1
    assert not page.errors, page.errors

    if os.environ.get("YEZHU_DOC_SCREENSHOTS"):  # refresh the owner's guide: docs/img/owner-*.png
        for name in ("documents", "proposal"):
            shutil.copy(f"/tmp/owner-{name}.png", settings.BASE_DIR / "docs" / "img" / f"owner-{name}.png")
