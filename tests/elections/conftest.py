"""Fixtures of the election tests. `owners`, `election` and `third_staff` are the small world of
the paper-ballot tests (three owners, an election in voting with its roll frozen, a third staff
member); a module that needs another election defines its own `election`, which wins."""

from __future__ import annotations

import pytest

from elections.models import Stage
from elections.services import roll_freeze
from grids.models import RoleAssignment
from tests.factories import UserFactory, election_with_ballot_paper, grant, owner_user
from yezhu.actors import OPERATOR


@pytest.fixture
def owners(compound):
    """Three owners, each with one home of 100 ㎡, in buildings 1 and 2."""
    return [
        owner_user(compound, "1-1-101", "100.00", name="张一"),
        owner_user(compound, "1-1-102", "100.00", name="王二"),
        owner_user(compound, "2-1-101", "100.00", name="李三"),
    ]


@pytest.fixture
def election(compound, owners):
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, matters=2, seats=2, candidates=3)
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    return election


@pytest.fixture
def third_staff(compound):
    user = UserFactory(name="社区干部")
    grant(user, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    return user
