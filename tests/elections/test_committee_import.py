"""Importing sitting committees from XLSX (elections/committee_import.py and /street/committees/import/):
all or nothing, row-numbered errors in Chinese, only the compounds the user manages."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from elections.committee_import import COLUMNS, CommitteeImportError, committees_import, template_xlsx
from elections.models import Committee, CommitteeMember
from grids.models import RoleAssignment
from tests.factories import CompoundFactory, UserFactory, grant
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

GOOD = [
    ("XYLW", "张三", "主任", "是", "是", "2023-05-01", "2028-04-30", "2023-05-20"),
    ("XYLW", "李四", "副主任", "否", "", datetime(2023, 5, 1), datetime(2028, 4, 30), "2023/5/20"),
    ("XYLW", "王五", "委员", "是", "否", "2023年5月1日", "20280430", "2023.5.20"),
    ("XYLW", "赵六", "候补委员", "", "", "2023-05-01", "2028-04-30", "2023-05-20"),
]


def sheet(rows, header=COLUMNS) -> io.BytesIO:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "committees.xlsx"
    return out


def upload(rows, **kw) -> SimpleUploadedFile:
    return SimpleUploadedFile("committees.xlsx", sheet(rows, **kw).getvalue())


def errors_of(user, rows, **kw) -> list[str]:
    with pytest.raises(CommitteeImportError) as caught:
        committees_import(actor=user, file=sheet(rows, **kw))
    return caught.value.errors


def test_it_registers_a_sitting_committee_with_its_members(street_staff, compound):
    """Four rows of one compound make one committee with four members, its term and filing date,
    and an audit row."""
    [committee] = committees_import(actor=street_staff, file=sheet(GOOD), filename="c.xlsx")
    assert committee.compound == compound
    assert (committee.term_start, committee.term_end, committee.filed_on) == (
        date(2023, 5, 1),
        date(2028, 4, 30),
        date(2023, 5, 20),
    )
    assert committee.ended_on is None
    members = list(committee.members.order_by("position"))
    assert [(m.name, m.role, m.party_member, m.cross_post) for m in members] == [
        ("张三", CommitteeMember.Role.CHAIR, True, True),
        ("李四", CommitteeMember.Role.VICE_CHAIR, False, False),
        ("王五", CommitteeMember.Role.MEMBER, True, False),
        ("赵六", CommitteeMember.Role.ALTERNATE, False, False),
    ]
    entry = AuditEntry.objects.get(action="committee.imported")
    assert entry.compound_id == compound.pk and entry.actor == street_staff


def test_it_imports_nothing_when_one_row_is_wrong(street_staff, compound):
    """All or nothing: a bad role on row 5 leaves every compound without a committee."""
    other = CompoundFactory(community=compound.community, code="DQXQ")
    rows = [
        *GOOD,
        ("DQXQ", "钱七", "主任", "是", "否", "2024-01-01", "2029-01-01", ""),
        ("DQXQ", "孙八", "秘书长", "", "", "2024-01-01", "2029-01-01", ""),
    ]
    errors = errors_of(street_staff, rows)
    assert errors == ["第 7 行：职务“秘书长”无效，应为 主任、副主任、委员、候补委员 之一"]
    assert not Committee.objects.filter(compound__in=[compound, other]).exists()


def test_it_refuses_rows_of_one_compound_that_disagree_on_the_term(street_staff, compound):
    rows = [GOOD[0], ("XYLW", "李四", "委员", "否", "否", "2023-05-01", "2028-05-01", "2023-05-20")]
    [error] = errors_of(street_staff, rows)
    assert error.startswith("第 3 行：同一小区（XYLW）的任期开始、任期结束和备案日期应与第 2 行一致")


def test_it_lists_every_problem_with_its_row_number(street_staff, compound):
    rows = [
        ("", "张三", "主任", "是", "是", "2023-05-01", "2028-04-30", ""),
        ("XYLW", "", "委员", "是", "是", "2023-05-01", "2028-04-30", ""),
        ("XYLW", "王五", "委员", "也许", "否", "2023-05-01", "2028-04-30", ""),
        ("XYLW", "赵六", "委员", "否", "否", "2023-13-01", "2028-04-30", ""),
        ("XYLW", "钱七", "委员", "否", "否", "2028-05-01", "2023-04-30", ""),
        ("XYLW", "孙八", "委员", "否", "否", "2023-05-01", "2038-04-30", ""),
        ("XYLW", "周九", "委员", "否", "否", "", "2028-04-30", ""),
    ]
    errors = errors_of(street_staff, rows)
    assert errors == [
        "第 2 行：小区编码不能为空",
        "第 3 行：姓名不能为空",
        "第 4 行：是否党员“也许”无效，应填“是”或“否”",
        "第 5 行：任期开始“2023-13-01”不是有效的日期，应写成 2024-03-01 这样的格式",
        "第 6 行：任期结束（2023年4月30日）应晚于任期开始（2028年5月1日）",
        "第 7 行：任期自2023年5月1日至2038年4月30日，超过 5 年，请核对年份",
        "第 8 行：任期开始不能为空",
    ]


def test_it_refuses_two_chairs_and_a_name_twice(street_staff, compound):
    rows = [
        GOOD[0],
        ("XYLW", "李四", "主任", "否", "否", *GOOD[0][5:]),
        ("XYLW", "张三", "委员", "否", "否", *GOOD[0][5:]),
    ]
    assert errors_of(street_staff, rows) == [
        "第 3 行：一个业委会只能有一名主任，第 2 行已有主任",
        "第 4 行：“张三”在同一小区的业委会中重复出现，见第 2 行",
    ]


def test_it_refuses_a_wrong_header(street_staff, compound):
    header = ("小区编码", "姓名", "职务", "是否党员", "任期开始", "任期结束", "备案日期")
    [error] = errors_of(street_staff, GOOD, header=header)
    assert error.startswith("第 1 行：表头不正确，应为 小区编码、姓名、职务")


def test_it_treats_another_streets_compound_like_an_unknown_code(street_staff, compound, other_compound):
    """Never a hint that LYXQ exists: the message is the same as for a code that does not."""
    rows = [
        ("LYXQ", "张三", "主任", "是", "是", "2023-05-01", "2028-04-30", ""),
        ("NOPE", "李四", "主任", "是", "是", "2023-05-01", "2028-04-30", ""),
    ]
    assert errors_of(street_staff, rows) == [
        "第 2 行：小区编码“LYXQ”不存在，或不在您管理的范围内",
        "第 3 行：小区编码“NOPE”不存在，或不在您管理的范围内",
    ]
    assert not Committee.objects.exists()


def test_it_refuses_a_compound_that_already_has_a_committee_in_office(street_staff, compound):
    Committee.objects.create(compound=compound, term_start=date(2021, 1, 1), term_end=date(2026, 1, 1))
    [error] = errors_of(street_staff, GOOD)
    assert error.startswith("第 2 行：小区“XYLW”已登记在任的业主委员会")
    assert Committee.objects.count() == 1


def test_it_refuses_a_file_that_is_not_a_workbook(street_staff, compound):
    with pytest.raises(CommitteeImportError) as caught:
        committees_import(actor=street_staff, file=io.BytesIO(b"not a zip"))
    assert caught.value.errors == ["无法读取文件：请上传 Excel 工作簿（.xlsx），不要设置打开密码"]


def test_it_offers_a_template_that_imports_as_is(street_staff, compound):
    """The template's example row names XYLW: imported unchanged it registers one member."""
    [committee] = committees_import(actor=street_staff, file=io.BytesIO(template_xlsx()))
    assert committee.members.get().name == "张三"


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def test_it_imports_through_the_page_and_returns_to_the_board(client, street_staff, compound):
    client.force_login(street_staff)
    assert client.get(reverse("street:import_committees")).status_code == 200
    response = client.post(reverse("street:import_committees"), {"file": upload(GOOD)})
    assert response.status_code == 302
    assert response["Location"] == reverse("street:board")
    assert Committee.objects.filter(compound=compound).count() == 1


def test_it_shows_the_row_errors_on_the_page(client, street_staff, compound):
    client.force_login(street_staff)
    response = client.post(
        reverse("street:import_committees"),
        {"file": upload([("XYLW", "张三", "书记", "", "", "2023-05-01", "2028-04-30", "")])},
    )
    assert response.status_code == 400
    assert "第 2 行：职务“书记”无效" in response.content.decode()
    assert not Committee.objects.exists()


def test_it_serves_the_template(client, street_staff, compound):
    client.force_login(street_staff)
    response = client.get(reverse("street:import_committees"), {"template": "1"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert tuple(c.value for c in book.active[1]) == COLUMNS


def test_it_refuses_other_methods_on_the_page(client, street_staff, compound):
    client.force_login(street_staff)
    assert client.put(reverse("street:import_committees")).status_code == 405


def test_it_lets_only_staff_who_manage_compounds_import(client, street, compound, outsider_staff):
    """An auditor of the street may read the board but not import (403); the other street's staff
    cannot register a committee for this street's compound."""
    auditor = UserFactory()
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    client.force_login(auditor)
    assert client.post(reverse("street:import_committees"), {"file": upload(GOOD)}).status_code == 403
    client.force_login(outsider_staff)
    response = client.post(reverse("street:import_committees"), {"file": upload(GOOD)})
    assert response.status_code == 400
    assert "小区编码“XYLW”不存在，或不在您管理的范围内" in response.content.decode()
    assert not Committee.objects.exists()
