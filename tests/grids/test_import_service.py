"""The roll import service: preview against the current roll, all-or-nothing import, owners hashed.

The module also holds the small builders of roll files that the other roll tests import
(`make_id`, `roll_rows`, `roll_csv`, `roll_xlsx`).
"""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings

from elections.services import roll_freeze
from grids.idcard import hash_id_number
from grids.models import Building, Owner, Ownership, Unit
from grids.roll import compute_roll, voter_key_for
from grids.roll_file import COLUMNS, RollFileError, parse_roll
from grids.services import RollError, roll_import, roll_preview
from tests.factories import UserFactory, election_with_ballot_paper
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(seq: int, birth: str = "19800101", region: str = "110101") -> str:
    """A valid mainland identity number, built with the GB 11643 weights."""
    body = f"{region}{birth}{seq % 1000:03d}"
    if seq >= 1000:
        body = f"{region}{1950 + seq // 1000:04d}0101{seq % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


STATUS_WORDS = {"delivered": "已交付", "unsold": "未售", "sold_undelivered": "已售未交付"}
KIND_WORDS = {"residential": "住宅", "parking": "车位", "stall": "摊位", "commercial": "商业"}


def roll_rows(units) -> list[tuple]:
    """File rows for units given as (code, area, owners[, status[, kind]]).

    code is "楼栋-单元-房号" or "楼栋-房号"; owners is a list of (name, id number, mobile).
    """
    rows = []
    for spec in units:
        code, area, owners, *rest = spec
        status = rest[0] if rest else "delivered"
        kind = rest[1] if len(rest) > 1 else "residential"
        parts = code.split("-")
        building, entrance, number = (parts[0], "", parts[1]) if len(parts) == 2 else parts
        base = (building, entrance, number, KIND_WORDS[kind], str(area), "登记", STATUS_WORDS[status])
        if status != "delivered" or not owners:
            rows.append((*base, "", "", ""))
        for name, id_number, mobile in owners if status == "delivered" else ():
            rows.append((*base, name, mobile, id_number))
    return rows


def roll_csv(units) -> bytes:
    lines = [",".join(COLUMNS)] + [",".join(row) for row in roll_rows(units)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def roll_xlsx(units) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in roll_rows(units):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


ZHANG = ("张三", make_id(1), "13800138001")
LI = ("李四", make_id(2), "")
WANG = ("王五", make_id(3), "13800138003")
ZHAO = ("赵六", make_id(4), "")

FIRST = [
    ("1-1-101", "89.50", [ZHANG, LI]),
    ("1-1-102", "90.00", [LI, ZHANG]),  # the same co-owners, listed the other way round
    ("1-1-201", "120.25", [WANG]),
    ("2-1501", "100.00", [], "unsold"),
    ("2-1502", "80.00", [], "sold_undelivered"),
    ("P-001", "12.50", [WANG], "delivered", "parking"),
]


def hash_of(id_number: str) -> str:
    return hash_id_number(id_number, settings.ID_NUMBER_SALT)


def snapshot(compound):
    """Everything the import may write, to compare before and after."""
    units = sorted(
        Unit.objects.filter(compound=compound).values_list(
            "pk", "code", "area", "kind", "status", "voter_key", "building_id"
        )
    )
    ownerships = sorted(
        Ownership.objects.filter(unit__compound=compound).values_list("pk", "unit_id", "owner_id")
    )
    owners = sorted(Owner.objects.values_list("pk", "name", "mobile", "id_hash", "user_id"))
    return units, ownerships, owners, Building.objects.filter(compound=compound).count()


@pytest.mark.parametrize("build,filename", [(roll_csv, "roll.csv"), (roll_xlsx, "roll.xlsx")])
def test_it_previews_a_new_roll_as_all_added_and_writes_nothing(compound, build, filename):
    """On an empty compound, every unit of a CSV or XLSX file is 'added'; the preview writes nothing."""
    parsed = parse_roll(build(FIRST), filename)
    diff = roll_preview(compound=compound, parsed=parsed)
    assert sorted(diff.added) == sorted(code for code, *_ in FIRST)
    assert diff.removed == [] and diff.changed == 0
    assert (diff.units, diff.owners) == (6, 3)
    assert not Unit.objects.filter(compound=compound).exists()
    assert not Owner.objects.exists()


def test_it_writes_units_owners_ownerships_and_voter_keys(compound):
    """The import writes every unit and owner; the identity number only as salted hash and last four."""
    roll_import(
        compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), filename="roll.csv", actor=OPERATOR
    )

    units = {u.code: u for u in Unit.objects.filter(compound=compound)}
    assert set(units) == {"1-1-101", "1-1-102", "1-1-201", "2-1501", "2-1502", "P-001"}
    assert units["1-1-201"].area == Decimal("120.25")
    assert units["P-001"].kind == Unit.Kind.PARKING
    assert units["2-1502"].status == Unit.Status.SOLD_UNDELIVERED

    zhang = Owner.objects.get(name="张三")
    assert zhang.id_hash == hash_of(ZHANG[1]) and zhang.id_last4 == ZHANG[1][-4:]
    assert zhang.mobile == "13800138001"
    for owner in Owner.objects.all():
        stored = " ".join(str(v) for v in Owner.objects.filter(pk=owner.pk).values().first().values())
        assert all(person[1] not in stored for person in (ZHANG, LI, WANG))

    assert set(units["1-1-101"].owners.values_list("name", flat=True)) == {"张三", "李四"}
    assert units["2-1501"].owners.count() == 0
    li = Owner.objects.get(name="李四")
    assert (
        units["1-1-101"].voter_key
        == units["1-1-102"].voter_key
        == voter_key_for(status="delivered", owner_ids=[zhang.pk, li.pk])
    )
    assert units["2-1501"].voter_key == units["2-1502"].voter_key == Unit.DEVELOPER_KEY
    assert units["1-1-201"].voter_key == units["P-001"].voter_key

    roll = compute_roll(compound)
    # 101+102 (张三·李四), 201 (王五), developer; parking left out by default.
    assert (roll.units, roll.area, roll.heads) == (5, Decimal("479.75"), 3)


def test_it_updates_exactly_what_a_changed_file_changes(compound):
    """A second import adds, removes and changes exactly the units whose rows differ."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    before = {u.code: u for u in Unit.objects.filter(compound=compound)}
    kept_ownerships = set(Ownership.objects.filter(unit__code="1-1-101").values_list("pk", flat=True))

    second = [
        ("1-1-101", "89.50", [ZHANG, LI]),  # unchanged
        ("1-1-102", "91.00", [LI, ZHANG]),  # area changed
        ("1-1-201", "120.25", [ZHAO]),  # sold on: owners changed
        ("2-1501", "100.00", [], "unsold"),  # unchanged
        ("2-1502", "80.00", [WANG], "delivered"),  # delivered: status and owners changed
        ("3-1-101", "70.00", [ZHAO]),  # new
        # P-001 left out: removed
    ]
    parsed = parse_roll(roll_xlsx(second), "roll.xlsx")
    diff = roll_preview(compound=compound, parsed=parsed)
    assert diff.added == ["3-1-101"]
    assert diff.removed == ["P-001"]
    assert [(c, str(o), str(n)) for c, o, n in diff.area_changed] == [("1-1-102", "90.00", "91.00")]
    assert sorted(diff.owners_changed) == ["1-1-201", "2-1502"]
    assert diff.other_changed == ["2-1502"]
    assert diff.changed == 3 and diff.unchanged == 2

    roll_import(compound=compound, parsed=parsed, actor=OPERATOR)
    after = {u.code: u for u in Unit.objects.filter(compound=compound)}
    assert set(after) == {"1-1-101", "1-1-102", "1-1-201", "2-1501", "2-1502", "3-1-101"}
    assert after["1-1-101"].pk == before["1-1-101"].pk
    assert set(Ownership.objects.filter(unit__code="1-1-101").values_list("pk", flat=True)) == kept_ownerships
    assert after["1-1-102"].area == Decimal("91.00")
    assert list(after["1-1-201"].owners.values_list("name", flat=True)) == ["赵六"]
    assert after["1-1-201"].voter_key == after["3-1-101"].voter_key  # 赵六 now holds two units
    assert after["2-1502"].voter_key == voter_key_for(
        status="delivered", owner_ids=[Owner.objects.get(name="王五").pk]
    )
    # Importing the same file again changes nothing.
    again = roll_preview(compound=compound, parsed=parsed)
    assert (again.added, again.removed, again.changed, again.unchanged) == ([], [], 0, 6)


def test_it_writes_nothing_when_one_row_is_bad(compound):
    """A file with one bad row fails to parse as a whole; the roll is untouched."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    before = snapshot(compound)
    rows = [*FIRST, ("9-1-101", "-5", [ZHAO])]
    with pytest.raises(RollFileError) as caught:
        parse_roll(roll_csv(rows), "roll.csv")
    assert caught.value.errors == ["第 10 行：专有部分面积必须为正数"]
    assert snapshot(compound) == before


def test_it_rolls_back_everything_when_the_import_fails_midway(compound, monkeypatch):
    """If roll_import raises RollError after writing units and owners, nothing it wrote remains."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    before = snapshot(compound)
    audits = AuditEntry.objects.count()

    def fail(**kwargs):
        raise RollError("boom")

    monkeypatch.setattr("grids.services.link_owners_by_mobile", fail)
    changed = [("1-1-101", "99.00", [ZHAO]), ("4-1-101", "50.00", [("孙七", make_id(7), "")])]
    with pytest.raises(RollError):
        roll_import(compound=compound, parsed=parse_roll(roll_csv(changed), "roll.csv"), actor=OPERATOR)
    assert snapshot(compound) == before
    assert AuditEntry.objects.count() == audits


def test_it_refuses_to_remove_a_unit_on_a_frozen_election_roll(compound):
    """A unit on the frozen roll of an election cannot be removed by an import; nothing changes."""
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    roll_freeze(election=election_with_ballot_paper(compound), actor=OPERATOR)
    before = snapshot(compound)
    without_201 = [u for u in FIRST if u[0] != "1-1-201"]
    with pytest.raises(RollError) as caught:
        roll_import(compound=compound, parsed=parse_roll(roll_csv(without_201), "roll.csv"), actor=OPERATOR)
    assert "1-1-201" in str(caught.value)
    assert snapshot(compound) == before


def test_it_links_owners_whose_mobile_matches_an_account(compound):
    """An owner whose mobile number belongs to a signed-up user is linked to that user."""
    user = UserFactory(phone="13800138001")
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST), "roll.csv"), actor=OPERATOR)
    assert Owner.objects.get(name="张三").user == user
    assert Owner.objects.get(name="王五").user is None  # no account with 13800138003


def test_it_writes_an_audit_row(compound, street_staff):
    """The import is in the audit log with its actor, the compound and the counts."""
    roll_import(
        compound=compound,
        parsed=parse_roll(roll_csv(FIRST), "roll.csv"),
        actor=street_staff,
        filename="a.csv",
    )
    entry = AuditEntry.objects.get(action="roll.imported")
    assert entry.compound_id == compound.pk
    assert entry.actor == street_staff
    assert entry.data["added"] == 6 and entry.data["file"] == "a.csv"


def test_it_gives_the_roll_the_pure_tally_would_give(compound):
    """After an import, compute_roll agrees with elections.rules.tally on the parsed file."""
    from elections.rules import tally

    parsed = parse_roll(roll_csv(FIRST), "roll.csv")
    roll_import(compound=compound, parsed=parsed, actor=OPERATOR)
    rows = [
        tally.UnitRow(id=u.code, area=u.area, status=tally.UnitStatus(u.status), owners=u.owner_ids)
        for u in parsed.units
        if u.kind not in Unit.NOT_COUNTED_KINDS
    ]
    voters, _ = tally.build_voters(rows)
    totals = tally.roll_totals(voters)
    roll = compute_roll(compound)
    assert (roll.area, roll.heads, roll.units) == (totals.area, totals.heads, len(rows))


@pytest.mark.django_db
def test_it_imports_a_shop_owned_by_a_company(compound):
    """A unit owned by a company is identified by its 统一社会信用代码: imported, one head, the
    code stored only as its hash and last four characters, like a citizen's number."""
    company = ("杭州某某商贸有限公司", "91330100716105852F", "")
    roll_import(
        compound=compound,
        parsed=parse_roll(
            roll_csv([*FIRST, ("S-101", "45.00", [company], "delivered", "commercial")]), "roll.csv"
        ),
        actor=OPERATOR,
    )
    owner = Owner.objects.get(name="杭州某某商贸有限公司")
    assert owner.id_last4 == "852F"
    assert owner.id_hash == hash_id_number("91330100716105852F", settings.ID_NUMBER_SALT)
    assert "91330100716105852F" not in str(Owner.objects.filter(pk=owner.pk).values().first())
    roll = compute_roll(compound)
    assert roll.heads == 4  # developer, 张三+李四, 王五, the company
    assert Decimal("45.00") in [v.area for v in roll.voters]


# ---------------------------------------------------------------------------------------------
# roll_file_import: the one path of the page, the job, the API and the command
# ---------------------------------------------------------------------------------------------


def test_it_previews_a_file_without_writing_when_not_committing(compound):
    from grids.services import roll_file_import

    before = snapshot(compound)
    done = roll_file_import(
        compound=compound, data=roll_csv(FIRST), filename="roll.csv", actor=OPERATOR, commit=False
    )
    assert done.committed is False
    assert done.parsed.rows == 8 and len(done.diff.added) == 6
    assert snapshot(compound) == before
    assert not AuditEntry.objects.filter(action="roll.imported").exists()


def test_it_imports_a_file_that_still_matches_its_preview(compound):
    from grids.services import preview_summary, roll_file_import

    preview = roll_file_import(
        compound=compound, data=roll_csv(FIRST), filename="roll.csv", actor=OPERATOR, commit=False
    )
    done = roll_file_import(
        compound=compound,
        data=roll_csv(FIRST),
        filename="roll.csv",
        actor=OPERATOR,
        commit=True,
        expected=preview_summary(preview.diff),
    )
    assert done.committed is True
    assert Unit.objects.filter(compound=compound).count() == 6
    assert AuditEntry.objects.get(action="roll.imported").data["file"] == "roll.csv"


def test_it_refuses_a_file_whose_preview_is_stale_and_writes_nothing(compound):
    """The roll changed after the preview: RollChangedError carries the new diff; nothing is written."""
    from grids.services import RollChangedError, preview_summary, roll_file_import

    preview = roll_file_import(
        compound=compound, data=roll_csv(FIRST), filename="roll.csv", actor=OPERATOR, commit=False
    )
    roll_import(compound=compound, parsed=parse_roll(roll_csv(FIRST[:2]), "roll.csv"), actor=OPERATOR)
    before = snapshot(compound)
    with pytest.raises(RollChangedError) as refused:
        roll_file_import(
            compound=compound,
            data=roll_csv(FIRST),
            filename="roll.csv",
            actor=OPERATOR,
            commit=True,
            expected=preview_summary(preview.diff),
        )
    assert len(refused.value.diff.added) == 4 and refused.value.parsed.rows == 8
    assert refused.value.code == "roll_changed"
    assert snapshot(compound) == before
    assert AuditEntry.objects.filter(action="roll.imported").count() == 1


def test_it_refuses_a_bad_file_before_comparing_anything(compound):
    from grids.services import roll_file_import

    with pytest.raises(RollFileError):
        roll_file_import(
            compound=compound,
            data=roll_csv([("1-1-101", "abc", [ZHANG])]),
            filename="roll.csv",
            actor=OPERATOR,
            commit=True,
        )
    assert not Unit.objects.filter(compound=compound).exists()


def test_it_requires_an_actor_to_import_a_file(compound):
    from grids.services import roll_file_import

    with pytest.raises(TypeError):
        roll_file_import(compound=compound, data=roll_csv(FIRST), filename="roll.csv", commit=True)  # type: ignore[call-arg]
