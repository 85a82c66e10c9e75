"""The developer is one owner (解释 第9条, RULES.md §1): a compound knows its developer (name and
unified social credit code), the roll import puts the units registered to that code with the
unsold and undelivered ones in one voter, and staff see the owners who are part of several votes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from grids.models import Compound, Unit
from grids.roll import compute_roll, roll_of_rows, roll_shared_people
from grids.roll_file import parse_roll
from grids.services import RollError, compound_developer_set, roll_import
from tests.factories import OwnerFactory, unit_with_owners
from tests.grids.test_import_service import make_id, roll_csv
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

USCC = "91330100716105852F"  # a valid 统一社会信用代码 (GB 32100-2015 check character)
DEVELOPER = ("某某房地产开发有限公司", USCC, "")


def roll_with_own_units() -> bytes:
    return roll_csv(
        [
            ("1-1-101", "89.50", [("张三", make_id(1), "13800138001")]),
            ("1-1-102", "60.00", [DEVELOPER]),  # registered to the developer itself (自持)
            ("1-1-103", "40.00", [DEVELOPER]),
            ("1-1-104", "70.00", [DEVELOPER, ("李四", make_id(2), "")]),  # co-owned: a buyer of its own
            ("2-1-101", "120.00", [], "unsold"),
            ("2-1-102", "80.00", [("王五", make_id(3), "")], "sold_undelivered"),
        ]
    )


def test_it_puts_the_units_registered_to_the_developer_in_its_one_voter_interpretation_9(compound):
    """解释 第9条: with the developer's code on record, its own units join its unsold and undelivered
    ones: one head for 300 ㎡; {developer, 李四} stays a voter of its own."""
    compound_developer_set(compound=compound, name="某某房地产开发有限公司", uscc=USCC, actor=OPERATOR)
    roll_import(compound=compound, parsed=parse_roll(roll_with_own_units(), "roll.csv"), actor=OPERATOR)
    keys = dict(Unit.objects.filter(compound=compound).values_list("code", "voter_key"))
    assert {keys[c] for c in ("1-1-102", "1-1-103", "2-1-101", "2-1-102")} == {Unit.DEVELOPER_KEY}
    assert keys["1-1-104"] not in (Unit.DEVELOPER_KEY, keys["1-1-101"])
    roll = compute_roll(compound)
    assert roll.heads == 3
    developer = next(v for v in roll.voters if v.key == Unit.DEVELOPER_KEY)
    assert (developer.area, developer.units) == (Decimal("300.00"), 4)


def test_it_counts_the_developers_own_units_apart_until_the_developer_is_known(compound):
    """Without the code on record the roll cannot tell: its own units are one more buyer. Recording
    the developer afterwards re-keys them, with an audit row that says how many units moved."""
    roll_import(compound=compound, parsed=parse_roll(roll_with_own_units(), "roll.csv"), actor=OPERATOR)
    assert compute_roll(compound).heads == 4
    changed = compound_developer_set(
        compound=compound, name="某某房地产开发有限公司", uscc=USCC, actor=OPERATOR
    )
    assert changed == 2
    assert compute_roll(compound).heads == 3
    row = AuditEntry.objects.get(action="compound.developer_set", compound_id=compound.pk)
    assert row.data["units_changed_count"] == 2 and row.data["after"]["uscc"] == USCC
    # Clearing it puts them back.
    assert compound_developer_set(compound=compound, name="", uscc="", actor=OPERATOR) == 2
    assert compute_roll(compound).heads == 4


def test_it_previews_the_developers_own_units_as_one_owner(compound):
    """The import's preview groups as the import will (grids.roll.roll_of_rows)."""
    parsed = parse_roll(roll_with_own_units(), "roll.csv")
    rows = [(u.area, u.status, u.owner_ids) for u in parsed.units]
    assert roll_of_rows(rows).heads == 4
    assert roll_of_rows(rows, developer=USCC).heads == 3


@pytest.mark.parametrize(
    ("name", "uscc", "message"),
    [
        ("某某公司", "91330100716105852X", "统一社会信用代码|unified social credit code"),
        ("某某公司", make_id(5), "统一社会信用代码|unified social credit code"),
        ("", USCC, "营业执照|business licence"),
        ("某某公司", "", "统一社会信用代码|unified social credit code"),
    ],
)
def test_it_refuses_a_developer_without_a_valid_credit_code(compound, name, uscc, message):
    """GB 32100: a wrong check character or a person's identity number is no company code."""
    with pytest.raises(RollError, match=message):
        compound_developer_set(compound=compound, name=name, uscc=uscc, actor=OPERATOR)
    compound.refresh_from_db()
    assert compound.developer_uscc == ""


def test_it_shows_the_owners_who_are_part_of_several_votes_on_the_roll_page(client, compound, working_group):
    """RULES.md §1: {A, B} and {A} are two voters, a reading the page shows: A is listed with both."""
    a, b = OwnerFactory(name="甲"), OwnerFactory(name="乙")
    unit_with_owners(compound, "1-1-101", "50.00", [a, b])
    unit_with_owners(compound, "1-1-102", "60.00", [a])
    unit_with_owners(compound, "1-1-103", "60.00", [OwnerFactory(name="丙")])
    people = roll_shared_people(compound)
    assert [p.name for p in people] == ["甲"]
    assert [v.units for v in people[0].voters] == [("1-1-101",), ("1-1-102",)]
    client.force_login(working_group)
    page = client.get(reverse("grids:compound", args=[compound.pk])).content.decode()
    assert "甲" in page and "1-1-101" in page and "1-1-102" in page
    assert "解释 第9条" in page


def test_it_sets_the_developer_from_the_roll_page(client, compound, working_group):
    client.force_login(working_group)
    response = client.post(
        reverse("grids:developer", args=[compound.pk]), {"name": "某某房地产开发有限公司", "uscc": USCC}
    )
    assert response.status_code == 302
    compound.refresh_from_db()
    assert (compound.developer_name, compound.developer_uscc) == ("某某房地产开发有限公司", USCC)


def test_it_keeps_the_developer_form_to_the_compounds_staff(client, compound, outsider_staff):
    """Another street's staff get 404; anonymous users go to sign in; GET is not allowed."""
    url = reverse("grids:developer", args=[compound.pk])
    assert client.post(url, {"name": "x", "uscc": USCC}).status_code == 302  # to sign in
    client.force_login(outsider_staff)
    assert client.post(url, {"name": "x", "uscc": USCC}).status_code == 404
    assert client.get(url).status_code == 405
    assert Compound.objects.get(pk=compound.pk).developer_uscc == ""
