"""Fixtures of the API tests: clients signed in with a token, and an election in its voting window."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from elections.models import Stage
from elections.services import roll_freeze
from tests.factories import api_token, election_with_ballot_paper, owner_user
from yezhu.actors import OPERATOR


def token_client(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


@pytest.fixture
def as_user():
    """as_user(user) → an APIClient authenticated with the user's token (None: anonymous)."""
    return token_client


@pytest.fixture
def owners(compound):
    """Two owners of the compound, each alone on one home: [(user, owner, unit), …]."""
    return [owner_user(compound, "1-1-101", "90.00"), owner_user(compound, "1-1-102", "110.00")]


@pytest.fixture
def voting_election(compound, owners):
    """An election of the compound with one matter and a race of 3 seats from 4, voting open, roll frozen."""
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    return election
