"""The committee as a legal entity (issue 16 part 6): registration number, unified social credit
code, bank account and seal filing, with documents, on the committee register and in the street's
export; another street's staff see none of it."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from elections import lifecycle as lc
from elections.errors import ElectionError
from elections.models import Committee, CommitteeDocument, CommitteeMember
from elections.rules import credit_code
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

VALID = "91350100M000100Y43"  # a published example with a correct check character
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def committee(compound):
    c = Committee.objects.create(compound=compound, term_start=date(2024, 6, 1), term_end=date(2029, 5, 31))
    CommitteeMember.objects.create(committee=c, name="王主任", role=CommitteeMember.Role.CHAIR)
    return c


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (VALID, None),
        ("91110000600037341L", None),
        (" 9135 0100M000100Y43 ", None),  # spaces and case do not matter
        ("91350100M000100Y44", "check"),
        ("91350100M000100Y4", "length"),
        ("91350100I000100Y43", "characters"),
    ],
)
def test_it_checks_a_unified_social_credit_code(code, problem):
    assert credit_code.problem(code) == problem


def test_it_records_the_entity_with_an_audit_row_that_masks_the_account(committee, street_staff):
    lc.committee_entity_update(
        committee=committee,
        actor=street_staff,
        registration_number="渝璧民证字第0001号",
        credit_code=VALID.lower(),
        registered_on=date(2024, 7, 1),
        bank_name="重庆农村商业银行璧山支行",
        bank_account="6217 0000 1234 5678",
        seal_filed_on=date(2024, 7, 10),
        seal_filing_number="YZ-2024-01",
    )
    committee.refresh_from_db()
    assert committee.credit_code == VALID and committee.bank_account == "6217000012345678"
    row = AuditEntry.objects.get(action="committee.entity_updated")
    assert row.actor == street_staff and row.data["bank_account"] == "…5678"
    assert "6217000012345678" not in str(row.data)


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("credit_code", "91350100M000100Y44", "bad_credit_code"),
        ("bank_account", "6217-abc", "bad_bank_account"),
    ],
)
def test_it_refuses_a_wrong_code_or_account(committee, field, value, code):
    with pytest.raises(ElectionError) as refused:
        lc.committee_entity_update(committee=committee, actor=OPERATOR, **{field: value})
    assert refused.value.code == code
    assert getattr(Committee.objects.get(pk=committee.pk), field) == ""


def test_it_refuses_another_streets_staff(committee, outsider_staff):
    with pytest.raises(ElectionError):
        lc.committee_entity_update(committee=committee, actor=outsider_staff, registration_number="x")
    client = client_for(outsider_staff)
    assert client.get(f"/manage/committee/{committee.pk}/entity/").status_code == 404
    assert (
        client.post(f"/manage/committee/{committee.pk}/entity/", {"registration_number": "x"}).status_code
        == 404
    )
    assert Committee.objects.get(pk=committee.pk).registration_number == ""


def test_it_keeps_documents_with_the_committee(committee, street_staff, outsider_staff):
    client = client_for(street_staff)
    upload = SimpleUploadedFile("登记证书.pdf", PDF, content_type="application/pdf")
    client.post(
        f"/manage/committee/{committee.pk}/documents/",
        {"kind": "registration", "title": "登记证书", "file": upload},
    )
    document = CommitteeDocument.objects.get(committee=committee)
    response = client.get(f"/manage/committee/{committee.pk}/documents/{document.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert (
        client_for(outsider_staff)
        .get(f"/manage/committee/{committee.pk}/documents/{document.pk}/")
        .status_code
        == 404
    )
    assert (
        client_for(outsider_staff)
        .post(f"/manage/committee/{committee.pk}/documents/{document.pk}/delete/")
        .status_code
        == 404
    )
    script = SimpleUploadedFile("x.html", b"<script>", content_type="text/html")
    client.post(f"/manage/committee/{committee.pk}/documents/", {"kind": "other", "file": script})
    disguised = SimpleUploadedFile("证书.pdf", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")
    response = client.post(
        f"/manage/committee/{committee.pk}/documents/", {"kind": "other", "file": disguised}, follow=True
    )
    assert "上传扫描件本身" in response.content.decode()
    assert CommitteeDocument.objects.count() == 1
    client.post(f"/manage/committee/{committee.pk}/documents/{document.pk}/delete/")
    assert not CommitteeDocument.objects.exists()
    assert AuditEntry.objects.filter(action="committee.document_removed").exists()


def test_it_shows_the_entity_on_the_register_and_the_street_export(committee, street_staff):
    lc.committee_entity_update(
        committee=committee,
        actor=street_staff,
        registration_number='=HYPERLINK("http://x")',
        credit_code=VALID,
        bank_name="+银行",
        bank_account="6217000012345678",
    )
    client = client_for(street_staff)
    register = client.get(f"/manage/c/{committee.compound_id}/committees/").content.decode()
    assert VALID in register and "6217000012345678" in register
    assert VALID in client.get(f"/street/compound/{committee.compound_id}/").content.decode()
    response = client.get("/street/export/committees.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["统一社会信用代码"].value == VALID
    assert row["银行账号"].value == "6217000012345678"
    assert row["主任"].value == "王主任"
    formula = row["登记证号"]
    assert formula.value.startswith("=") and formula.data_type == "s" and formula.quotePrefix
    assert row["开户银行"].data_type == "s" and row["开户银行"].quotePrefix
