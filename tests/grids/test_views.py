"""Staff pages of the housing roll under /manage/compounds/: list, compound, import, export, template."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids.models import Owner, RoleAssignment, Unit
from grids.roll_file import COLUMNS, parse_roll
from grids.services import roll_import
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    OwnerFactory,
    UserFactory,
    grant,
    unit_with_owners,
)
from tests.grids.test_import_service import FIRST, LI, WANG, ZHANG, ZHAO, roll_csv, roll_rows, roll_xlsx
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry
from yezhu.jobs.models import Job
from yezhu.xlsx import Workbook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, compound, data: bytes, name: str = "roll.csv"):
    return client.post(
        reverse("grids:roll_upload", args=[compound.pk]), {"file": SimpleUploadedFile(name, data)}
    )


def last_upload() -> Job:
    return Job.objects.filter(kind="roll_upload").latest("pk")


# ---------------------------------------------------------------------------------------------
# Compound list and page
# ---------------------------------------------------------------------------------------------


def test_it_lists_the_staffs_compounds_with_their_roll_counts(client, compound, other_compound, street_staff):
    """The list shows the street's compounds with units, area and heads, and not another street's."""
    a, b = OwnerFactory(), OwnerFactory()
    unit_with_owners(compound, "1-1-101", "33.33", [a])
    unit_with_owners(compound, "1-1-102", "33.33", [a])
    unit_with_owners(compound, "1-1-103", "33.34", [b])
    unit_with_owners(compound, "P-1", "10.00", [b], kind=Unit.Kind.PARKING)
    client.force_login(street_staff)
    response = client.get(reverse("grids:compounds"))
    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert [c.code for c in listed] == ["XYLW"]
    assert (listed[0].unit_count, listed[0].roll_area, listed[0].heads) == (3, Decimal("100.00"), 2)
    html = response.content.decode()
    assert "西园里" in html and "100.00" in html and "灵隐小区" not in html


def test_it_lists_compounds_in_a_fixed_number_of_queries(client, street, street_staff):
    """The list costs the same number of queries for 2 compounds as for 8 (no roll per compound)."""
    client.force_login(street_staff)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("grids:compounds")).status_code == 200
        return len(ctx.captured_queries)

    community = CommunityFactory(street=street)
    for _ in range(2):
        unit_with_owners(CompoundFactory(community=community), "1-1-101", "50.00", [OwnerFactory()])
    few = count()
    for _ in range(6):
        unit_with_owners(CompoundFactory(community=community), "1-1-101", "50.00", [OwnerFactory()])
    assert count() == few


def test_it_searches_the_list(client, street, compound, street_staff):
    """The search box filters by name or code within the user's compounds."""
    CompoundFactory(community=compound.community, name="东湖花园", code="DHHY")
    client.force_login(street_staff)
    response = client.get(reverse("grids:compounds"), {"q": "东湖"})
    assert [c.code for c in response.context["page"].object_list] == ["DHHY"]


def test_it_shows_the_compound_with_its_roll_and_organisation(client, compound, working_group):
    """The compound page shows the statutory totals, buildings, grids and the import links."""
    from grids.models import Grid, PartyOrg

    unit_with_owners(compound, "1-1-101", "89.50", [OwnerFactory()])
    unit_with_owners(compound, "2-1-101", "100.00", status=Unit.Status.UNSOLD)
    PartyOrg.objects.create(name="西园里党支部", level=PartyOrg.Level.COMPOUND, compound=compound)
    grid = Grid.objects.create(community=compound.community, compound=compound, name="第一网格")
    leader = UserFactory(name="网格长老王")
    grant(leader, RoleAssignment.Role.GRID_LEADER, grid)
    client.force_login(working_group)
    response = client.get(reverse("grids:compound", args=[compound.pk]))
    assert response.status_code == 200
    assert response.context["roll"].as_json() == {"units": 2, "area": "189.50", "heads": 2}
    html = response.content.decode()
    for text in ("189.50", "西园里党支部", "第一网格", "网格长老王", "1号楼"):
        assert text in html
    assert reverse("grids:roll_upload", args=[compound.pk]) in html
    assert reverse("grids:roll_export", args=[compound.pk]) in html


def test_it_shows_an_auditor_the_compound_without_import_links(client, compound, street):
    """An auditor reads the roll but is offered neither import nor claims."""
    auditor = UserFactory()
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    client.force_login(auditor)
    response = client.get(reverse("grids:compound", args=[compound.pk]))
    assert response.status_code == 200
    assert reverse("grids:roll_upload", args=[compound.pk]) not in response.content.decode()
    assert client.get(reverse("grids:roll_upload", args=[compound.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Import: upload, preview, commit
# ---------------------------------------------------------------------------------------------


def test_it_previews_an_upload_without_writing(client, compound, working_group):
    """The upload shows counts and the first changes; nothing is written to the roll."""
    client.force_login(working_group)
    response = upload(client, compound, roll_xlsx(FIRST), "清册.xlsx")
    job = last_upload()
    assert response.status_code == 302
    assert response["Location"] == reverse("grids:roll_preview", args=[compound.pk, job.pk])
    assert job.status == Job.Status.DONE and job.input_file
    assert job.params["filename"] == "清册.xlsx"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["summary"]["added"] == 6
    assert "1-1-101" in html and "2-1501" in html
    assert page.context["result"]["after"] == {"units": 5, "area": "479.75", "heads": 3}
    assert not Unit.objects.filter(compound=compound).exists()
    assert not AuditEntry.objects.filter(action="roll.imported").exists()


def test_it_lists_the_files_errors_by_row_in_chinese(client, compound, working_group):
    """Errors appear exactly as parse_roll words them; the import button is not offered."""
    client.force_login(working_group)
    bad = roll_csv([*FIRST, ("9-1-101", "abc", [ZHAO]), ("9-1-102", "50", [("钱八", "123", "")])])
    with pytest.raises(Exception) as caught:
        parse_roll(bad, "roll.csv")
    expected = caught.value.errors
    assert len(expected) == 2
    response = client.get(upload(client, compound, bad)["Location"])
    html = response.content.decode()
    for line in expected:
        assert line in html
    assert "第 10 行：" in expected[0]
    assert reverse("grids:roll_commit", args=[compound.pk, last_upload().pk]) not in html
    response = client.post(reverse("grids:roll_commit", args=[compound.pk, last_upload().pk]))
    assert response.status_code == 302
    assert not Unit.objects.filter(compound=compound).exists()


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("roll.txt", b"a,b", "请上传 Excel 工作簿（.xlsx）或 CSV 文件（.csv）"),
        ("roll.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
        ("roll.xlsx", b"this is not a zip", "不是 Excel 工作簿"),
        ("roll.csv", b"PK\x03\x04rest", "不是文本文件"),
    ],
)
def test_it_checks_the_type_of_the_upload(client, compound, working_group, name, data, message):
    """Only .xlsx and .csv are taken, and the content must match the extension."""
    client.force_login(working_group)
    response = upload(client, compound, data, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(client, compound, working_group, monkeypatch):
    """A file larger than the limit (20 MB) is refused before it is read."""
    monkeypatch.setattr("grids.forms.MAX_UPLOAD_BYTES", 100)
    client.force_login(working_group)
    response = upload(client, compound, roll_csv(FIRST))
    assert "20 MB" in response.content.decode()
    assert not Job.objects.exists()


def test_it_imports_a_small_file_in_the_request(client, compound, working_group):
    """ "Import" writes the roll, links accounts, writes the audit row and returns to the compound."""
    user = UserFactory(phone="13800138001")
    client.force_login(working_group)
    job = Job.objects.get(
        pk=int(upload(client, compound, roll_csv(FIRST))["Location"].rstrip("/").split("/")[-1])
    )
    response = client.post(reverse("grids:roll_commit", args=[compound.pk, job.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("grids:compound", args=[compound.pk])
    assert "新增 6" in response.content.decode()
    assert Unit.objects.filter(compound=compound).count() == 6
    assert Owner.objects.get(name="张三").user == user
    entry = AuditEntry.objects.get(action="roll.imported")
    assert entry.actor == working_group and entry.compound_id == compound.pk
    job.refresh_from_db()
    assert job.params["committed"] is True


def test_it_imports_a_file_only_once(client, compound, working_group):
    """A second "import" of the same upload (a double click) changes nothing and says so."""
    client.force_login(working_group)
    upload(client, compound, roll_csv(FIRST))
    url = reverse("grids:roll_commit", args=[compound.pk, last_upload().pk])
    client.post(url)
    response = client.post(url, follow=True)
    assert "已经导入" in response.content.decode()
    assert AuditEntry.objects.filter(action="roll.imported").count() == 1


def test_it_refuses_a_stale_preview(client, compound, working_group):
    """If the roll changed after the preview, nothing is imported and the new preview is shown."""
    client.force_login(working_group)
    upload(client, compound, roll_csv(FIRST))
    job = last_upload()
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST[:2]), "roll.csv"), actor=OPERATOR)
    response = client.post(reverse("grids:roll_commit", args=[compound.pk, job.pk]), follow=True)
    assert "预览之后" in response.content.decode()
    assert Unit.objects.filter(compound=compound).count() == 2
    job.refresh_from_db()
    assert job.result["summary"]["added"] == 4 and not job.params.get("committed")


def test_it_shows_that_units_on_a_frozen_roll_cannot_be_removed(client, compound, working_group):
    """The preview names the units an election froze; the import is refused with the reason."""
    from elections.services import roll_freeze
    from tests.factories import election_with_ballot_paper

    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    roll_freeze(election=election_with_ballot_paper(compound), actor=OPERATOR)
    client.force_login(working_group)
    response = client.get(upload(client, compound, roll_csv(FIRST[:3]))["Location"])
    assert response.context["result"]["frozen"] == ["2-1501", "2-1502"]
    assert "冻结" in response.content.decode()
    response = client.post(reverse("grids:roll_commit", args=[compound.pk, last_upload().pk]), follow=True)
    assert Unit.objects.filter(compound=compound).count() == 6


def test_it_imports_a_large_file_as_a_background_job(
    client, compound, working_group, monkeypatch, django_capture_on_commit_callbacks
):
    """Over the row limit the import runs as a "roll_import" job whose page shows the progress."""
    monkeypatch.setattr("grids.views.ASYNC_ROWS", 3)
    client.force_login(working_group)
    upload(client, compound, roll_csv(FIRST))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grids:roll_commit", args=[compound.pk, last_upload().pk]))
    job = Job.objects.get(kind="roll_import")
    assert response["Location"] == reverse("grids:roll_progress", args=[compound.pk, job.pk])
    assert job.status == Job.Status.DONE, job.errors
    assert job.result["added"] == 6 and job.created_by == working_group
    assert Unit.objects.filter(compound=compound).count() == 6
    assert AuditEntry.objects.filter(action="roll.imported", actor=working_group).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200 and job.message in page.content.decode()


def test_it_shows_the_progress_bar_while_the_job_runs(client, compound, working_group):
    """A queued import job's page polls the job status through progress.js."""
    client.force_login(working_group)
    job = Job.objects.create(kind="roll_import", created_by=working_group, compound_id=compound.pk)
    html = client.get(reverse("grids:roll_progress", args=[compound.pk, job.pk])).content.decode()
    assert reverse("job_status", args=[job.pk]) in html
    assert "js/progress.js" in html and "<script>" not in html


def test_it_fails_the_job_when_the_roll_changed_since_the_preview(compound, working_group):
    """The background import checks the preview again and writes nothing if the roll moved."""
    from django.core.files.base import ContentFile

    from grids.tasks import roll_import_job

    job = Job(kind="roll_import", created_by=working_group, compound_id=compound.pk)
    job.params = {"filename": "roll.csv", "expected": {"added": 99}}
    job.input_file.save("roll.csv", ContentFile(roll_csv(FIRST)), save=True)
    roll_import_job.delay(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "预览" in job.errors[0]
    assert not Unit.objects.filter(compound=compound).exists()


def test_it_hides_another_users_upload(client, compound, working_group, street_staff):
    """An upload is visible and importable only by the person who made it."""
    client.force_login(working_group)
    upload(client, compound, roll_csv(FIRST))
    job = last_upload()
    client.force_login(street_staff)
    assert client.get(reverse("grids:roll_preview", args=[compound.pk, job.pk])).status_code == 404
    assert client.post(reverse("grids:roll_commit", args=[compound.pk, job.pk])).status_code == 404


# ---------------------------------------------------------------------------------------------
# Template and export
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,ext", [("grids:template_xlsx", ".xlsx"), ("grids:template_csv", ".csv")])
def test_it_serves_the_template(client, compound, working_group, name, ext):
    """The template downloads as an attachment that parse_roll reads as a valid roll."""
    client.force_login(working_group)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and ext in response["Content-Disposition"]
    assert len(parse_roll(response.content, "t" + ext).units) == 2


def _export(client, compound) -> list[tuple]:
    response = client.get(reverse("grids:roll_export", args=[compound.pk]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return list(book.worksheets[0].iter_rows(values_only=True))


def test_it_exports_the_roll_without_identity_numbers(client, compound, working_group):
    """The export has the import's columns, **** and the last four instead of the ID, full mobiles for managers."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    client.force_login(working_group)
    rows = _export(client, compound)
    assert rows[0] == COLUMNS
    body = rows[1:]
    assert len(body) == 8  # two co-owner rows for each of 101 and 102
    text = repr(body)
    for person in (ZHANG, LI, WANG):
        assert person[1] not in text
    zhang = [r for r in body if r[7] == "张三"]
    assert {r[9] for r in zhang} == {"****" + ZHANG[1][-4:]}
    assert {r[8] for r in zhang} == {"13800138001"}
    unsold = next(r for r in body if r[2] == "1501")
    assert unsold[6] == "未售" and unsold[7] is None
    entry = AuditEntry.objects.get(action="roll.exported")
    assert entry.compound_id == compound.pk and entry.data["mobiles"] == "full"


def test_it_exports_an_owner_named_like_a_formula_as_text_that_reads_back(client, compound, working_group):
    """An owner named =HYPERLINK(…) is a text cell (quote prefix, never a formula) in the export,
    and reads back as the name it was."""
    name = '=HYPERLINK("http://x","y")'
    formula_owner = (name, ZHANG[1], ZHANG[2])
    book = Workbook()  # openpyxl alone would write the name as a formula, read back as empty
    sheet = book.sheet("房屋清册")
    for row in [COLUMNS, *roll_rows([("1-1-101", "89.50", [formula_owner])])]:
        sheet.append(row)
    roll_import(compound=compound, parsed=parse_roll(book.to_bytes(), "r.xlsx"), actor=OPERATOR)
    client.force_login(working_group)
    data = client.get(reverse("grids:roll_export", args=[compound.pk])).content
    cell = openpyxl.load_workbook(io.BytesIO(data)).active.cell(row=2, column=8)
    assert cell.value == name and cell.data_type == "s" and cell.quotePrefix
    # What the importer reads (cached values only): a formula would read back as empty.
    again = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
    assert next(again.iter_rows(min_row=2, max_row=2, values_only=True))[7] == name


def test_it_masks_mobiles_for_staff_who_do_not_manage_the_compound(client, compound, street):
    """An auditor's export shows 138****8001, never the full number."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    auditor = UserFactory()
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    client.force_login(auditor)
    rows = _export(client, compound)
    assert "13800138001" not in repr(rows)
    assert "138****8001" in repr(rows)
    assert AuditEntry.objects.get(action="roll.exported").data["mobiles"] == "masked"


def test_it_round_trips_an_export_back_into_the_preview_except_identity_numbers(
    client, compound, working_group
):
    """The exported file has the template's columns: re-reading it fails only on the masked IDs."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    client.force_login(working_group)
    response = client.get(reverse("grids:roll_export", args=[compound.pk]))
    with pytest.raises(Exception) as caught:
        parse_roll(response.content, "export.xlsx")
    assert all("证件号码" in line for line in caught.value.errors)


@pytest.mark.parametrize(
    "name,args",
    [
        ("grids:compounds", []),
        ("grids:compound", ["pk"]),
        ("grids:roll_export", ["pk"]),
        ("grids:template_xlsx", []),
        ("grids:claims", ["pk"]),
    ],
)
def test_it_refuses_post_on_read_only_pages(client, compound, working_group, name, args):
    """Pages that only show something answer 405 to POST."""
    client.force_login(working_group)
    url = reverse(name, args=[compound.pk if a == "pk" else a for a in args])
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("name", ["grids:roll_commit"])
def test_it_refuses_get_on_the_import_button(client, compound, working_group, name):
    """ "Import" changes the roll: GET is 405."""
    client.force_login(working_group)
    upload(client, compound, roll_csv(FIRST))
    assert client.get(reverse(name, args=[compound.pk, last_upload().pk])).status_code == 405
    assert client.put(reverse("grids:roll_upload", args=[compound.pk])).status_code == 405
    assert client.post(reverse("grids:roll_preview", args=[compound.pk, last_upload().pk])).status_code == 405
