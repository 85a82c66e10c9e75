"""The bundle is built from the roll frozen at `roll_freeze` (Voter.units_snapshot), never from the
grids tables as they are now: a roll changed after the freeze does not change the bundle nor its
recount, which stays equal to the published result (RULES.md §4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from elections import voting
from elections.models import Election, Voter
from elections.rules.bundle import recount
from elections.services import bundle_for, election_tally, roll_freeze
from grids.models import Ownership, Unit
from grids.roll import voter_key_for
from tests.elections.test_voting import CHOICES, close_and_publish, homes, open_election, voter_of  # noqa: F401
from tests.factories import OwnerFactory, election_with_ballot_paper, unit_with_owners
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(compound, homes):  # noqa: F811
    """Three ballots (the single owner, the co-owners, the buyer of two homes), result published."""
    election = open_election(compound)
    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["alone_unit"]),
        actor=homes["alone"],
        choices=CHOICES,
    )
    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["shared_unit"]),
        actor=homes["co_a"],
        choices={"matters": {"M1": "no"}, "races": {"R1": ["C2"]}},
    )
    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["buyer_units"][0]),
        actor=homes["buyer"],
        choices={"matters": {"M2": "yes"}, "races": {"R1": ["C1", "C2"]}},
    )
    return close_and_publish(election)


def change_the_roll(compound, homes) -> None:  # noqa: F811
    """What a roll re-import or an admin edit after the freeze does to every kind of unit."""
    # An area corrected from the register.
    Unit.objects.filter(pk=homes["alone_unit"].pk).update(area=Decimal("95.25"))
    # The developer sells and delivers its unit to a new owner.
    sold = homes["developer_unit"]
    newcomer = OwnerFactory(name="新业主")
    Ownership.objects.create(unit=sold, owner=newcomer)
    Unit.objects.filter(pk=sold.pk).update(
        status=Unit.Status.DELIVERED,
        voter_key=voter_key_for(status=Unit.Status.DELIVERED, owner_ids=[newcomer.pk]),
    )
    # One co-owner sells their share to a third person.
    shared = homes["shared_unit"]
    first = Ownership.objects.filter(unit=shared).order_by("pk").first()
    first.delete()
    third = OwnerFactory(name="第三人")
    Ownership.objects.create(unit=shared, owner=third)
    owner_ids = list(Ownership.objects.filter(unit=shared).values_list("owner_id", flat=True))
    Unit.objects.filter(pk=shared.pk).update(
        voter_key=voter_key_for(status=Unit.Status.DELIVERED, owner_ids=owner_ids), area=Decimal("70.00")
    )
    # The buyer's second home is split off the roll, and a new unit appears on it.
    Unit.objects.filter(pk=homes["buyer_units"][1].pk).delete()
    unit_with_owners(compound, "3-1-301", "66.00", [OwnerFactory(name="新楼业主")])


def test_it_snapshots_each_voters_units_as_they_were_at_the_freeze(compound, homes):  # noqa: F811
    """Code, area (two decimals), status and owner ids of every counted unit; developer's units have no owner."""
    unit_with_owners(compound, "P-001", "12.00", [OwnerFactory()], kind=Unit.Kind.PARKING)
    election = open_election(compound)
    alone = voter_of(election, homes["alone_unit"])
    assert alone.units_snapshot == [
        {
            "pk": homes["alone_unit"].pk,
            "code": "1-1-101",
            "area": "90.00",
            "status": "delivered",
            "owners": [homes["alone_unit"].owners.get().pk],
        }
    ]
    shared = voter_of(election, homes["shared_unit"])
    assert shared.units_snapshot[0]["owners"] == sorted(
        homes["shared_unit"].owners.values_list("pk", flat=True)
    )
    buyer = voter_of(election, homes["buyer_units"][0])
    assert [(u["code"], u["area"]) for u in buyer.units_snapshot] == [
        ("2-1-201", "100.00"),
        ("2-1-202", "60.00"),
    ]
    assert len({tuple(u["owners"]) for u in buyer.units_snapshot}) == 1
    developer = voter_of(election, homes["developer_unit"])
    assert developer.units_snapshot == [
        {
            "pk": homes["developer_unit"].pk,
            "code": "9-1-901",
            "area": "120.00",
            "status": "unsold",
            "owners": [],
        }
    ]
    codes = [u["code"] for v in Voter.objects.filter(election=election) for u in v.units_snapshot]
    assert "P-001" not in codes  # parking spaces do not count toward the roll
    assert sorted(codes) == ["1-1-101", "1-1-102", "2-1-201", "2-1-202", "9-1-901"]


def test_it_exports_the_same_bundle_after_the_roll_changes(compound, homes, published):  # noqa: F811
    """Area, status and owners changed, a unit deleted and one added after the freeze: both bundles
    are unchanged and still recount to the published result."""
    election = published
    named, public = bundle_for(election), bundle_for(election, named=False)
    assert recount(named) == recount(public) == election.result

    change_the_roll(compound, homes)

    fresh = Election.objects.get(pk=election.pk)
    assert bundle_for(fresh) == named
    assert bundle_for(fresh, named=False) == public
    assert recount(bundle_for(fresh)) == election_tally(fresh) == election.result
    assert election.result["totals"] == {"area": "450.50", "heads": 4}


def test_it_would_have_drifted_without_the_snapshot(compound, homes, published):  # noqa: F811
    """Voters frozen before the snapshot existed fall back to the live units: same bundle while the
    roll is unchanged, and a changed area then shows in it (which the snapshot prevents)."""
    election = published
    named = bundle_for(election)
    Voter.objects.filter(election=election).update(units_snapshot=[])
    assert bundle_for(election) == named
    assert recount(bundle_for(election, named=False)) == election.result
    Unit.objects.filter(pk=homes["alone_unit"].pk).update(area=Decimal("95.25"))
    assert recount(bundle_for(election))["totals"]["area"] == "455.75" != election.result["totals"]["area"]


def test_it_freezes_the_roll_in_a_fixed_number_of_queries(compound, other_compound):
    """Filling the snapshots costs no query per unit: a roll of 3 units and one of 30 cost the same."""
    for i in range(3):
        unit_with_owners(compound, f"1-1-{i + 101}", "90.00", [OwnerFactory()])
    for i in range(30):
        owners = [OwnerFactory()] if i % 3 else [OwnerFactory(), OwnerFactory()]
        unit_with_owners(
            other_compound, f"1-1-{i + 101}", "90.00", owners, status="delivered" if i % 5 else "unsold"
        )
    small = election_with_ballot_paper(compound)
    large = election_with_ballot_paper(other_compound)
    with CaptureQueriesContext(connection) as few:
        roll_freeze(election=small, actor=OPERATOR)
    with CaptureQueriesContext(connection) as many:
        roll_freeze(election=large, actor=OPERATOR)
    assert len(few) == len(many)
    snapshots = Voter.objects.filter(election=large).values_list("units_snapshot", flat=True)
    assert sum(len(s) for s in snapshots) == 30
