"""Bulk import of keyed-in paper ballot sheets: one keying per sheet, all or nothing, as a job."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from elections import paper
from elections.models import Ballot, PaperEntry, Stage
from elections.services import roll_freeze
from tests.factories import election_with_ballot_paper, owner_user
from yezhu.actors import OPERATOR
from yezhu.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def election(compound):
    owner_user(compound, "1-1-101", "100.00", name="张一")
    owner_user(compound, "1-1-102", "90.00", name="王二")
    owner_user(compound, "2-1-101", "80.00", name="李三")
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, matters=2, seats=2, candidates=3)
    roll_freeze(election=election, actor=OPERATOR)
    return election


def serial(election, code):
    return paper.serial_for(election.voters.get(units__code=code))


def sheet_csv(rows, header=("序列号", "签名", "M1", "M2", "R1")) -> bytes:
    lines = [",".join(header)] + [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def good_rows(election):
    return [
        [serial(election, "1-1-101"), "是", "同意", "反对", "C1、C3"],
        [serial(election, "1-1-102"), "是", "弃权", "空", "候选人2"],
        [serial(election, "2-1-101"), "否", "同意", "同意", ""],
    ]


def upload(client, election, data: bytes, name="ballots.csv", **extra):
    return client.post(
        reverse("manage:paper_import", args=[election.pk]),
        {"file": SimpleUploadedFile(name, data), **extra},
    )


def run_import(client, election, data, django_capture_on_commit_callbacks, name="ballots.csv"):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, election, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_it_saves_a_first_sheet_as_first_entries_through_the_task(
    client, election, working_group, django_capture_on_commit_callbacks
):
    """One upload = one keying: three entries wait for their second keying; no ballot yet."""
    client.force_login(working_group)
    job = run_import(client, election, sheet_csv(good_rows(election)), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.errors
    assert job.result == {"first": 3, "matched": 0, "mismatch": 0, "rejected": 0}
    assert PaperEntry.objects.filter(status=PaperEntry.Status.AWAITING_SECOND).count() == 3
    assert Ballot.objects.count() == 0
    entry = PaperEntry.objects.get(serial=serial(election, "1-1-101"))
    assert entry.first_entry == {
        "signed": True,
        "unreadable": False,
        "choices": {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}},
    }
    page = client.get(reverse("manage:paper_import_job", args=[election.pk, job.pk])).content.decode()
    assert "表格已导入" in page


def test_it_confirms_a_sheet_keyed_by_another_staff_member(
    client, election, working_group, street_staff, django_capture_on_commit_callbacks
):
    """A second sheet by someone else: matching rows record ballots, a differing row goes to review."""
    client.force_login(working_group)
    run_import(client, election, sheet_csv(good_rows(election)), django_capture_on_commit_callbacks)
    second = good_rows(election)
    second[1][2] = "同意"  # misread by the second clerk
    client.force_login(street_staff)
    job = run_import(client, election, sheet_csv(second), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.result == {"first": 0, "matched": 1, "mismatch": 1, "rejected": 1}
    valid = Ballot.objects.get(status=Ballot.Status.VALID)
    assert valid.choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}
    assert valid.cast_by == street_staff
    rejected = Ballot.objects.get(status=Ballot.Status.REJECTED)
    assert rejected.reject_reason == "未签名"
    assert PaperEntry.objects.get(status=PaperEntry.Status.MISMATCH).serial == serial(election, "1-1-102")


def test_it_matches_a_hand_entry_against_an_imported_row(election, working_group, street_staff):
    """An imported row and a hand entry of the same reading compare equal."""
    paper.paper_import(
        election=election, actor=working_group, data=sheet_csv(good_rows(election)), filename="a.csv"
    )
    entry = paper.paper_entry_submit(
        election=election,
        serial=serial(election, "1-1-102"),
        actor=street_staff,
        signed=True,
        choices={"matters": {"M1": "abstain"}, "races": {"R1": ["C2"]}},
    )
    assert entry.status == PaperEntry.Status.MATCHED


def test_it_imports_nothing_when_any_row_is_wrong(
    client, election, working_group, django_capture_on_commit_callbacks
):
    """All or nothing: good rows are not saved; every problem is listed as 第 N 行：…"""
    rows = good_rows(election)
    bad_serial = rows[2][0][:-1] + ("Z" if rows[2][0][-1] != "Z" else "Y")
    rows.append([bad_serial, "是", "同意", "同意", ""])
    rows.append([serial(election, "1-1-101"), "是", "同意", "反对", ""])  # duplicate of row 2
    rows.append(["", "也许", "赞成", "", "C9"])
    client.force_login(working_group)
    job = run_import(client, election, sheet_csv(rows), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert PaperEntry.objects.count() == 0
    text = "\n".join(job.errors)
    assert "第 5 行：序列号" in text
    assert "第 6 行：选票" in text and "与第 2 行重复" in text
    assert "第 7 行：序列号为空" in text
    assert not any(e.startswith(("第 2 行", "第 3 行", "第 4 行")) for e in job.errors)
    page = client.get(reverse("manage:paper_import_job", args=[election.pk, job.pk])).content.decode()
    assert "第 5 行" in page
    assert "没有导入任何内容" in page


def test_it_reports_bad_cells_with_their_row(election, working_group):
    """Signature, matter answer, unknown candidate, candidate twice: each named with its row."""
    rows = [
        [serial(election, "1-1-101"), "也许", "同意", "反对", ""],
        [serial(election, "1-1-102"), "是", "赞成", "反对", "C1,C9"],
        [serial(election, "2-1-101"), "是", "同意", "反对", "C1、候选人1"],
    ]
    with pytest.raises(paper.PaperImportError) as info:
        paper.paper_import(election=election, actor=working_group, data=sheet_csv(rows), filename="a.csv")
    errors = info.value.errors
    assert errors[0].startswith("第 2 行：签名")
    assert any(e.startswith("第 3 行：M1") for e in errors)
    assert any(e.startswith("第 3 行：R1") and "C9" in e for e in errors)
    assert any(e.startswith("第 4 行：R1") and "两次" in e for e in errors)
    assert PaperEntry.objects.count() == 0


def test_it_refuses_a_wrong_header(election, working_group):
    """The header must name the election's matters and races in order."""
    data = sheet_csv(good_rows(election), header=("序列号", "签名", "M1", "R1", "M2"))
    with pytest.raises(paper.PaperImportError) as info:
        paper.paper_import(election=election, actor=working_group, data=data, filename="a.csv")
    assert info.value.errors[0].startswith("第 1 行：表头")


def test_it_refuses_the_same_staff_member_confirming_their_own_sheet(election, working_group):
    """A second upload by the same person is refused, row by row, and writes nothing."""
    data = sheet_csv(good_rows(election))
    paper.paper_import(election=election, actor=working_group, data=data, filename="a.csv")
    with pytest.raises(paper.PaperImportError) as info:
        paper.paper_import(election=election, actor=working_group, data=data, filename="a.csv")
    assert len(info.value.errors) == 3
    assert all("另一位工作人员" in e for e in info.value.errors)
    assert PaperEntry.objects.filter(second_by__isnull=False).count() == 0


def test_it_reads_an_xlsx_sheet(election, working_group):
    """Excel works as well as CSV (numbers and blank cells included)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序列号", "签名", "M1", "M2", "R1"])
    for row in good_rows(election):
        sheet.append([cell or None for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    counts = paper.paper_import(
        election=election, actor=working_group, data=buffer.getvalue(), filename="a.xlsx"
    )
    assert counts["first"] == 3


def test_it_refuses_a_sheet_outside_voting(election, working_group):
    """Before voting opens (or after the tally) nothing can be imported."""
    election.stage = Stage.CANDIDATE_NOTICE
    election.save()
    with pytest.raises(paper.PaperImportError):
        paper.paper_import(
            election=election, actor=working_group, data=sheet_csv(good_rows(election)), filename="a.csv"
        )


def test_it_refuses_other_file_types_on_the_page(client, election, working_group):
    """The form accepts only .xlsx and .csv."""
    client.force_login(working_group)
    response = upload(client, election, b"hello", name="ballots.txt")
    assert response.status_code == 200
    assert Job.objects.count() == 0


def test_it_offers_an_empty_sheet_with_the_right_header(client, election, working_group):
    """The template CSV has the columns in order."""
    client.force_login(working_group)
    body = client.get(reverse("manage:paper_import_template", args=[election.pk])).content.decode("utf-8-sig")
    assert body.strip() == "序列号,签名,M1,M2,R1"


def test_it_hides_the_import_from_another_streets_staff(client, election, outsider_staff):
    """404 for GET and POST."""
    client.force_login(outsider_staff)
    assert client.get(reverse("manage:paper_import", args=[election.pk])).status_code == 404
    assert upload(client, election, sheet_csv(good_rows(election))).status_code == 404
    assert Job.objects.count() == 0
