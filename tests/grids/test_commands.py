"""`manage.py import_roll` and `manage.py roll`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from grids.models import Community, Compound, Street, Unit
from tests.factories import OwnerFactory, unit_with_owners
from tests.grids.test_import_service import FIRST, ZHAO, roll_csv, roll_xlsx
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def roll_file(tmp_path):
    path = tmp_path / "roll.csv"
    path.write_bytes(roll_csv(FIRST))
    return path


def test_it_previews_without_writing(compound, roll_file):
    """Without --commit the command prints the counts and first changes and writes nothing."""
    out, err = run("import_roll", "XYLW", str(roll_file))
    assert "6 套房屋、3 位业主" in out
    assert "新增 6，变更 0，删除 0" in out
    assert "1-1-101" in out
    assert "--commit" in out
    assert err == ""
    assert not Unit.objects.filter(compound=compound).exists()


def test_it_imports_with_commit(compound, roll_file):
    """--commit writes the roll and its audit row."""
    out, _ = run("import_roll", "XYLW", str(roll_file), "--commit")
    assert "已导入 6 套房屋" in out
    assert Unit.objects.filter(compound=compound).count() == 6
    assert AuditEntry.objects.filter(action="roll.imported", compound_id=compound.pk).exists()


def test_it_prints_the_changes_of_a_second_file(compound, roll_file, tmp_path):
    """The preview of a changed .xlsx names the changed and removed units."""
    run("import_roll", "XYLW", str(roll_file), "--commit")
    changed = tmp_path / "roll2.xlsx"
    changed.write_bytes(roll_xlsx([("1-1-101", "99.00", [ZHAO]), *FIRST[1:5]]))
    out, _ = run("import_roll", "XYLW", str(changed))
    assert "新增 0，变更 1，删除 1" in out
    assert "1-1-101 89.50→99.00" in out
    assert "删除房屋：P-001" in out


def test_it_prints_each_error_on_stderr_and_exits_1(compound, tmp_path):
    """A bad file: each `第 N 行：…` on its own stderr line, exit status 1, nothing written."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(roll_csv([*FIRST, ("9-1-101", "abc", [ZHAO]), ("9-1-102", "-1", [ZHAO])]))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_roll", "XYLW", str(bad), "--commit", stdout=out, stderr=err)
    assert exited.value.code == 1
    lines = err.getvalue().splitlines()
    assert lines[0] == "第 10 行：专有部分面积“abc”不是有效的数字"
    assert lines[1] == "第 11 行：专有部分面积必须为正数"
    assert out.getvalue() == ""
    assert not Unit.objects.exists()


def test_it_refuses_an_unknown_compound_without_create(db, roll_file):
    """An unknown code without --create-compound is a clear error and creates nothing."""
    with pytest.raises(CommandError) as caught:
        run("import_roll", "NEW1", str(roll_file), "--commit")
    assert "NEW1" in str(caught.value) and "--create-compound" in str(caught.value)
    assert not Compound.objects.exists()


def test_it_needs_street_and_community_to_create_a_compound(db, roll_file):
    with pytest.raises(CommandError):
        run("import_roll", "NEW1", str(roll_file), "--create-compound", "新小区", "--street", "湖滨街道")
    assert not Compound.objects.exists()


def test_it_creates_the_compound_street_and_community_on_commit(db, roll_file):
    """--create-compound with --commit creates street, community and compound, then imports."""
    out, _ = run(
        "import_roll",
        "NEW1",
        str(roll_file),
        "--commit",
        "--create-compound",
        "新小区",
        "--street",
        "湖滨街道",
        "--community",
        "东坡社区",
    )
    compound = Compound.objects.get(code="NEW1")
    assert compound.name == "新小区"
    assert compound.community.name == "东坡社区" and compound.community.street.name == "湖滨街道"
    assert Unit.objects.filter(compound=compound).count() == 6
    assert "新建小区" in out


def test_it_creates_nothing_when_only_previewing_a_new_compound(db, roll_file):
    """Without --commit the new compound is previewed inside a transaction that is rolled back."""
    out, _ = run(
        "import_roll",
        "NEW1",
        str(roll_file),
        "--create-compound",
        "新小区",
        "--street",
        "S",
        "--community",
        "C",
    )
    assert "新增 6" in out
    assert not Compound.objects.exists() and not Street.objects.exists() and not Community.objects.exists()


def test_it_reports_a_refused_removal_as_a_command_error(compound, roll_file, tmp_path):
    """A RollError (a unit on a frozen election roll) becomes a CommandError; nothing changes."""
    from elections.services import roll_freeze
    from tests.factories import election_with_ballot_paper

    run("import_roll", "XYLW", str(roll_file), "--commit")
    roll_freeze(election=election_with_ballot_paper(compound), actor=OPERATOR)
    fewer = tmp_path / "fewer.csv"
    fewer.write_bytes(roll_csv(FIRST[:2]))
    with pytest.raises(CommandError) as caught:
        run("import_roll", "XYLW", str(fewer), "--commit")
    assert "1-1-201" in str(caught.value)
    assert Unit.objects.filter(compound=compound).count() == 6


def test_it_reports_an_unreadable_file(compound, tmp_path):
    with pytest.raises(CommandError):
        run("import_roll", "XYLW", str(tmp_path / "missing.csv"))


def test_it_prints_the_roll_as_json(compound):
    """`roll CODE --json` prints exactly units, area (two decimals) and heads."""
    a = OwnerFactory()
    unit_with_owners(compound, "1-1-101", "33.33", [a])
    unit_with_owners(compound, "1-1-102", "33.33", [a])
    unit_with_owners(compound, "1-1-103", "33.34", [OwnerFactory()])
    unit_with_owners(compound, "P-1", "12.00", [OwnerFactory()], kind=Unit.Kind.PARKING)
    out, _ = run("roll", "XYLW", "--json")
    assert out == '{"units": 3, "area": "100.00", "heads": 2}\n'
    assert json.loads(out) == {"units": 3, "area": "100.00", "heads": 2}


def test_it_prints_a_readable_summary(compound):
    """Without --json the roll is a short Chinese summary, parking left out noted."""
    unit_with_owners(compound, "1-1-101", "89.50", [OwnerFactory()])
    unit_with_owners(compound, "P-1", "12.00", [OwnerFactory()], kind=Unit.Kind.PARKING)
    out, _ = run("roll", "XYLW")
    assert "西园里（XYLW）" in out
    assert "计入的房屋：1 套" in out
    assert "89.50 ㎡" in out
    assert "业主人数：1 人" in out
    assert "车位、摊位：1 个" in out


def test_it_refuses_an_unknown_code_for_the_roll(db):
    with pytest.raises(CommandError):
        run("roll", "NOPE", "--json")
