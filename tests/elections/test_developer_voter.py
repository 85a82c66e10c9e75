"""The developer is one owner in an election (解释 第9条): its own units (自持) and its unsold ones
are one frozen voter, one head and one ballot in the tally, the turnout and the grid leaders'
canvassing list; the staff election page lists the owners who are part of several votes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from elections import turnout
from elections.errors import AlreadyVoted
from elections.models import Ballot, Stage, Voter
from elections.selectors import election_shared_people
from elections.services import ballot_record, bundle_for, election_tally, roll_freeze
from grids.idcard import hash_id_number
from grids.models import Building, RoleAssignment, Unit
from grids.services import compound_developer_set
from tests.factories import (
    GridFactory,
    OwnerFactory,
    UserFactory,
    election_with_ballot_paper,
    grant,
    unit_with_owners,
)
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"


@pytest.fixture
def roll(compound):
    """The developer's two own units (building 1 and 2), one unsold unit; two buyers, one of whom
    (甲) also co-owns a home with 乙."""
    developer = OwnerFactory(name="某某置业有限公司", id_hash=hash_id_number(USCC, settings.ID_NUMBER_SALT))
    a, b = OwnerFactory(name="甲"), OwnerFactory(name="乙")
    unit_with_owners(compound, "1-1-101", "100.00", [developer])
    unit_with_owners(compound, "2-1-101", "50.00", [developer])
    unit_with_owners(compound, "2-1-102", "30.00", status=Unit.Status.UNSOLD)
    unit_with_owners(compound, "1-1-102", "90.00", [a])
    unit_with_owners(compound, "1-1-103", "80.00", [a, b])
    compound_developer_set(compound=compound, name="某某置业有限公司", uscc=USCC, actor=OPERATOR)
    return compound


@pytest.fixture
def election(roll):
    election = election_with_ballot_paper(roll, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    return election


def test_it_freezes_the_developer_as_one_voter_with_all_its_units_interpretation_9(election):
    """One head for 180 ㎡ across two buildings; the label names the developer."""
    voter = Voter.objects.get(election=election, key=Unit.DEVELOPER_KEY)
    assert voter.area == Decimal("180.00")
    assert sorted(voter.units.values_list("code", flat=True)) == ["1-1-101", "2-1-101", "2-1-102"]
    assert "某某置业有限公司" in voter.label
    assert election.total_heads == 3


def test_it_takes_one_ballot_for_all_the_developers_units_interpretation_9(election):
    """A second valid ballot for the developer (whichever unit it names) is refused; the turnout
    counts the first as one head with the whole 180 ㎡."""
    voter = Voter.objects.get(election=election, key=Unit.DEVELOPER_KEY)
    clerk = UserFactory()
    kwargs = {"cast_as": Ballot.CastAs.PAPER, "channel": Ballot.Channel.PAPER, "choices": {}}
    ballot_record(election=election, voter=voter, actor=clerk, **kwargs)
    with pytest.raises(AlreadyVoted):
        ballot_record(election=election, voter=voter, actor=clerk, **kwargs)
    overall = turnout.turnout_overall(election)
    assert (overall.heads, overall.area) == (1, Decimal("180.00"))
    assert election_tally(election)["participation"] == {"area": "180.00", "heads": 1, "quorum_met": False}
    bundle = bundle_for(election)
    assert sum(1 for u in bundle["units"] if u.get("owners") == [bundle["developer"]]) == 2


def test_it_lists_the_developer_once_on_the_canvassing_list_interpretation_9(election):
    """A grid leader of both buildings sees one row for the developer, not one per unit or building."""
    grid = GridFactory(compound=election.compound, name="网格")
    grid.buildings.add(*Building.objects.filter(compound=election.compound))
    leader = UserFactory()
    grant(leader, RoleAssignment.Role.GRID_LEADER, grid)
    rows = turnout.canvass_list(election=election, user=leader)
    developer_rows = [r for r in rows if r.voter.key == Unit.DEVELOPER_KEY]
    assert len(developer_rows) == 1 and len(rows) == 3


def test_it_shows_staff_the_owners_in_several_votes_on_the_election_page(client, election, working_group):
    """RULES.md §1's reading, shown: 甲 is part of {甲} and {甲, 乙}; the developer shares nobody."""
    people = election_shared_people(election)
    assert [p.name for p in people] == ["甲"]
    assert sorted(u for v in people[0].voters for u in v.units) == ["1-1-102", "1-1-103"]
    client.force_login(working_group)
    page = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert 'id="shared"' in page and "1-1-103" in page


def test_it_hides_the_shared_owners_list_from_another_street(client, election, outsider_staff):
    client.force_login(outsider_staff)
    assert client.get(reverse("manage:election", args=[election.pk])).status_code == 404
