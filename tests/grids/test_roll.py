"""The statutory roll (RULES.md §1) as grids.roll.compute_roll counts it."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from elections.rules import tally
from grids.models import Unit
from grids.roll import compute_roll, roll_of_rows
from tests.factories import CompoundFactory, OwnerFactory, unit_with_owners

pytestmark = pytest.mark.django_db

UNSOLD = Unit.Status.UNSOLD
UNDELIVERED = Unit.Status.SOLD_UNDELIVERED


def test_it_counts_all_the_developers_units_as_one_head(compound):
    """Unsold and sold-but-undelivered units are one voter, the developer, with all their area."""
    unit_with_owners(compound, "1-1-101", "100.00", status=UNSOLD)
    unit_with_owners(compound, "1-1-102", "50.00", status=UNDELIVERED)
    unit_with_owners(compound, "2-1-101", "25.50", status=UNSOLD)
    roll = compute_roll(compound)
    assert (roll.units, roll.area, roll.heads) == (3, Decimal("175.50"), 1)
    assert [(v.key, v.area, v.units) for v in roll.voters] == [(Unit.DEVELOPER_KEY, Decimal("175.50"), 3)]


def test_it_counts_the_developers_units_once_beside_the_buyers(compound):
    """A sold-undelivered unit stays with the developer even though a buyer is registered on it."""
    buyer = OwnerFactory()
    unit_with_owners(compound, "1-1-101", "80.00", [buyer])
    unit_with_owners(compound, "1-1-102", "80.00", [buyer], status=UNDELIVERED)
    unit_with_owners(compound, "1-1-103", "80.00", status=UNSOLD)
    assert compute_roll(compound).heads == 2


def test_it_counts_a_buyer_with_several_units_as_one_head(compound):
    """One buyer holding three units is one voter with the sum of their areas."""
    buyer, other = OwnerFactory(), OwnerFactory()
    for code in ("1-1-101", "3-2-1501", "9-1-101"):
        unit_with_owners(compound, code, "60.10", [buyer])
    unit_with_owners(compound, "1-1-102", "70.00", [other])
    roll = compute_roll(compound)
    assert (roll.units, roll.heads) == (4, 2)
    assert sorted(v.area for v in roll.voters) == [Decimal("70.00"), Decimal("180.30")]


def test_it_treats_co_owners_in_either_order_as_one_owner(compound):
    """Ownerships created as {A, B} on one unit and {B, A} on another are the same voter; {A} is another."""
    a, b = OwnerFactory(), OwnerFactory()
    unit_with_owners(compound, "1-1-101", "50.00", [a, b])
    unit_with_owners(compound, "1-1-102", "60.00", [b, a])
    unit_with_owners(compound, "1-1-103", "70.00", [a])
    one = Unit.objects.get(code="1-1-101")
    two = Unit.objects.get(code="1-1-102")
    assert list(one.ownerships.order_by("pk").values_list("owner_id", flat=True)) == [a.pk, b.pk]
    assert list(two.ownerships.order_by("pk").values_list("owner_id", flat=True)) == [b.pk, a.pk]
    roll = compute_roll(compound)
    assert roll.heads == 2
    assert sorted(v.area for v in roll.voters) == [Decimal("70.00"), Decimal("110.00")]


def test_it_leaves_parking_and_stalls_out_unless_the_rules_count_them(compound):
    """Parking spaces and stalls count only when compound.parking_counts is on (指导规则 25)."""
    owner, parker = OwnerFactory(), OwnerFactory()
    unit_with_owners(compound, "1-1-101", "90.00", [owner])
    unit_with_owners(compound, "P-001", "12.50", [parker], kind=Unit.Kind.PARKING)
    unit_with_owners(compound, "S-01", "6.00", [parker], kind=Unit.Kind.STALL)
    unit_with_owners(compound, "P-002", "12.50", [owner], kind=Unit.Kind.PARKING)
    assert compute_roll(compound).as_json() == {"units": 1, "area": "90.00", "heads": 1}
    compound.parking_counts = True
    compound.save()
    assert compute_roll(compound).as_json() == {"units": 4, "area": "121.00", "heads": 2}


def test_it_adds_areas_exactly(compound):
    """33.33 + 33.33 + 33.34 is exactly 100.00, and one cent more is 100.01."""
    for i, area in enumerate(("33.33", "33.33", "33.34"), start=1):
        unit_with_owners(compound, f"1-1-10{i}", area, [OwnerFactory()])
    roll = compute_roll(compound)
    assert roll.area == Decimal("100.00") and str(roll.area) == "100.00"
    unit_with_owners(compound, "1-1-104", "0.01", [OwnerFactory()])
    assert compute_roll(compound).as_json() == {"units": 4, "area": "100.01", "heads": 4}


def test_it_gives_zero_for_an_empty_compound(compound):
    """A compound without units has an empty roll, with a two-decimal zero area."""
    assert compute_roll(compound).as_json() == {"units": 0, "area": "0.00", "heads": 0}


def test_it_agrees_with_the_pure_tally_on_a_random_roll(compound):
    """On a random roll of 300 units, compute_roll gives the voters build_voters/roll_totals give."""
    rng = random.Random(20251122)
    owners = [OwnerFactory() for _ in range(80)]
    kinds = [Unit.Kind.RESIDENTIAL] * 8 + [Unit.Kind.COMMERCIAL, Unit.Kind.PARKING, Unit.Kind.STALL]
    statuses = [Unit.Status.DELIVERED] * 8 + [UNSOLD, UNDELIVERED]
    rows = []
    for i in range(300):
        status = rng.choice(statuses)
        kind = rng.choice(kinds)
        holders = rng.sample(owners, rng.choice([1, 1, 1, 2, 2, 3]))
        area = Decimal(rng.randint(100, 20000)) / 100
        code = f"{i // 40 + 1}-{i % 4 + 1}-{i:04d}"
        unit_with_owners(compound, code, area, holders, status=status, kind=kind)
        if kind not in Unit.NOT_COUNTED_KINDS:
            rows.append(
                tally.UnitRow(
                    id=code,
                    area=area,
                    status=tally.UnitStatus(status),
                    owners=frozenset(str(o.pk) for o in reversed(holders)),
                )
            )
    voters, unit_to_voter = tally.build_voters(rows)
    totals = tally.roll_totals(voters)
    roll = compute_roll(compound)
    assert (roll.units, roll.area, roll.heads) == (len(rows), totals.area, totals.heads)
    assert roll.heads < len(rows)  # the roll really merged some units

    # The same partition of units into voters, not just the same totals.
    keys = dict(Unit.objects.filter(compound=compound).values_list("code", "voter_key"))
    ours = {frozenset(c for c in unit_to_voter if keys[c] == key) for key in {keys[c] for c in unit_to_voter}}
    theirs = {frozenset(v.units) for v in voters}
    assert ours == theirs
    assert sorted(v.area for v in roll.voters) == sorted(v.area for v in voters)


@pytest.mark.parametrize("units", [3, 60])
def test_it_costs_one_query_whatever_the_size_of_the_roll(django_assert_num_queries, units):
    """compute_roll is one aggregate query for 3 units as for 60."""
    compound = CompoundFactory()
    owners = [OwnerFactory() for _ in range(5)]
    for i in range(units):
        unit_with_owners(compound, f"1-1-{i:03d}", "50.00", [owners[i % 5]])
    with django_assert_num_queries(1):
        roll = compute_roll(compound)
    assert roll.units == units and roll.heads == min(units, 5)


@pytest.mark.parametrize("seed", range(20))
def test_it_previews_the_same_roll_from_a_file_as_the_pure_tally_counts(seed):
    """roll_of_rows (the import preview, which may not import elections) groups units into voters
    exactly as the pure tally's build_voters does: same units, area and heads."""
    rng = random.Random(seed)
    people = [f"P{i}" for i in range(6)]
    rows = []
    for i in range(rng.randint(1, 30)):
        status = rng.choice([Unit.Status.DELIVERED, Unit.Status.DELIVERED, UNSOLD, UNDELIVERED])
        owners = (
            frozenset(rng.sample(people, rng.randint(1, 3)))
            if status == Unit.Status.DELIVERED
            else frozenset()
        )
        rows.append((f"u{i}", Decimal(rng.randint(1000, 20000)) / 100, status, owners))
    preview = roll_of_rows((area, status, owners) for _id, area, status, owners in rows)
    voters, _units = tally.build_voters(
        tally.UnitRow(id=i, area=area, status=tally.UnitStatus(status), owners=owners)
        for i, area, status, owners in rows
    )
    totals = tally.roll_totals(voters)
    assert (preview.units, preview.area, preview.heads) == (len(rows), totals.area, totals.heads)


def test_it_previews_no_roll_for_a_delivered_unit_without_owner():
    assert roll_of_rows([(Decimal("80.00"), Unit.Status.DELIVERED, [])]) is None
