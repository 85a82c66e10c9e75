"""An auditor's day at a 1366 px desk, by clicking (issue 20): from the home page to the audit log
(only the street's rows); filter it to one election's ballots and download exactly those rows; go
by the street board to the closed election, download its bundle from the ballot board and recount
it with `manage.py recount` (the verification tool: there is no recount page) to the published
result; the downloads are in the log. Every page is checked on arrival (tests/e2e/journey.py)."""

from __future__ import annotations

import io
import json
import os

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from elections import voting
from elections.models import Secrecy
from grids.models import RoleAssignment
from tests.e2e.audit import chromium
from tests.e2e.journey import arrive, open_page
from tests.elections.test_voting import close_and_publish, open_election
from tests.factories import CommunityFactory, CompoundFactory, StreetFactory, UserFactory, grant, owner_user
from yezhu.audit.models import AuditEntry

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e


def vote_all(election, homes, choices) -> None:
    for user, _owner, unit in homes:
        voting.ballot_cast_online(
            election=election, voter=election.voters.get(units=unit), actor=user, choices=choices
        )


@pytest.fixture
def audited(transactional_db, street, compound):
    auditor = UserFactory(name="审计员老周")
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    homes = [
        owner_user(compound, code, area, name=name)
        for code, area, name in (
            ("1-1-101", "90.00", "王一"),
            ("1-1-102", "80.50", "李二"),
            ("2-1-201", "100.00", "赵三"),
        )
    ]
    # A named vote (记名), as its rules of procedure say: every reader gets the per-ballot bundle.
    election = open_election(compound, matters=1, seats=2, candidates=3)
    election.ballot_secrecy = Secrecy.NAMED
    election.save(update_fields=["ballot_secrecy"])
    vote_all(election, homes, {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}})
    close_and_publish(election)
    # Another street's vote: its rows are never the auditor's to read.
    elsewhere = CompoundFactory(
        community=CommunityFactory(street=StreetFactory(name="灵隐街道")), name="灵隐小区"
    )
    far_home = owner_user(elsewhere, "9-9-901", name="外街业主")
    far = open_election(elsewhere, matters=1, seats=1, candidates=2)
    vote_all(far, [far_home], {"matters": {"M1": "no"}})
    election.refresh_from_db()
    return {"auditor": auditor, "election": election, "far": far}


def test_an_auditor_filters_and_exports_the_log_and_recounts_the_bundle(live_server, audited, tmp_path):
    election, auditor = audited["election"], audited["auditor"]
    with chromium() as browser:
        page = open_page(browser, live_server, user=auditor)
        page.goto(live_server.url + "/")

        # 1. Home → the audit log: the street's rows only.
        arrive(page, "审计员老周，您好")
        page.get_by_role("link", name="审计日志").click()
        arrive(page, "审计日志")
        table = page.locator("table.table tbody")
        expect(table).to_contain_text("投票")
        expect(page.locator("main")).not_to_contain_text("外街业主")

        # 2. Filter to this election's ballots; download exactly those rows.
        page.get_by_label("操作", exact=True).select_option("ballot.cast")
        page.get_by_label("选举编号").fill(str(election.pk))
        page.get_by_role("button", name="查询").click()
        arrive(page, "审计日志")
        expect(table.locator("tr")).to_have_count(3)
        for name in ("王一", "李二", "赵三"):
            expect(table).to_contain_text(name)
        with page.expect_download() as download:
            page.get_by_role("link", name="下载表格").click()
        sheet = tmp_path / "audit.xlsx"
        download.value.save_as(sheet)
        rows = list(load_workbook(sheet, read_only=True).active.iter_rows(values_only=True))
        assert (rows[0][1], rows[0][3], rows[0][8]) == ("操作人", "操作", "选举编号"), rows[0]
        # The action in the log page's words, and its code beside it for a program.
        assert [(row[3], row[4]) for row in rows[1:]] == [("投票", "ballot.cast")] * 3
        assert {str(row[8]) for row in rows[1:]} == {str(election.pk)}
        exported = AuditEntry.objects.get(action="audit.exported", actor=auditor)
        assert exported.data["rows"] == 3

        # 3. The street board → the closed election → its ballot board → the bundle, recounted.
        page.locator(".site-header a.brand").click()
        arrive(page, "审计员老周，您好")
        page.get_by_role("link", name="街道看板").click()
        arrive(page, "湖滨街道")
        page.locator("table.board-table").get_by_role("link", name=election.title).first.click()
        arrive(page, election.title)
        page.locator("ul.links").get_by_role("link", name="选票公示板").click()
        arrive(page, "选票公示板")
        head = page.locator("#head-hash").inner_text().strip()
        assert head == election.chain_head
        with page.expect_download() as download:
            page.get_by_role("link", name="下载计票数据，可自行复核（JSON）").click()
        bundle = tmp_path / "bundle.json"
        download.value.save_as(bundle)
        data = json.loads(bundle.read_text(encoding="utf-8"))
        assert data["format"] == "yezhu-bundle/1"
        out = io.StringIO()
        call_command("recount", str(bundle), stdout=out)
        assert json.loads(out.getvalue()) == election.result

        # 4. Both downloads are in the log.
        page.locator(".site-header a.brand").click()
        arrive(page, "审计员老周，您好")
        page.get_by_role("link", name="审计日志").click()
        arrive(page, "审计日志")
        page.get_by_label("操作", exact=True).select_option("bundle.exported")
        page.get_by_role("button", name="查询").click()
        arrive(page, "审计日志")
        expect(table.locator("tr")).to_have_count(1)
        expect(table).to_contain_text("审计员老周")
        assert not page.errors, page.errors
