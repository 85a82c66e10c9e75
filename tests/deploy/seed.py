"""Run with `manage.py shell -c "from tests.deploy.seed import seed; seed(N)"`: a compound, an
election in voting with a frozen roll and N online ballots, written through the real services."""

from __future__ import annotations

from datetime import timedelta


def seed(ballots: int = 5, *, code: str = "SEED") -> int:
    from elections.models import Stage
    from elections.services import ballot_record, roll_freeze
    from tests.factories import CommunityFactory, CompoundFactory, election_with_ballot_paper, owner_user
    from yezhu.actors import OPERATOR

    compound = CompoundFactory(community=CommunityFactory(), code=code, name=f"小区{code}")
    users = [owner_user(compound, f"1-1-{i:03d}", name=f"业主{i}")[0] for i in range(1, ballots + 1)]
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, closes_in=timedelta(hours=20))
    roll_freeze(election=election, actor=OPERATOR)
    for user in users:
        voter = election.voters.get(units__ownerships__owner__user=user)
        ballot_record(
            election=election,
            voter=voter,
            actor=user,
            cast_as="owner",
            channel="online",
            choices={"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}},
        )
    return election.pk


def seed_cluster(voters: int = 40) -> dict:
    """The multi-node test's world: an election in voting with `voters` owners (each with an API
    token), and a second, empty compound whose working-group member has a signed-in session."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from elections.models import Stage
    from elections.services import roll_freeze
    from grids.models import RoleAssignment
    from tests.factories import (
        CommunityFactory,
        CompoundFactory,
        UserFactory,
        api_token,
        election_with_ballot_paper,
        grant,
        owner_user,
    )
    from yezhu.actors import OPERATOR

    compound = CompoundFactory(community=CommunityFactory(), code="RUSH", name="抢票小区")
    users = [
        owner_user(compound, f"1-{i // 100 + 1}-{i:03d}", name=f"业主{i}")[0] for i in range(1, voters + 1)
    ]
    election = election_with_ballot_paper(compound, stage=Stage.VOTING, closes_in=timedelta(hours=20))
    roll_freeze(election=election, actor=OPERATOR)
    tokens = [api_token(user, long_lived=True) for user in users]  # the API's own tokens (issue 14)

    empty = CompoundFactory(community=compound.community, code="ROLL", name="新导入小区")
    staff = UserFactory(name="换届小组")
    grant(staff, RoleAssignment.Role.WORKING_GROUP, empty)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(staff.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = staff.get_session_auth_hash()
    store.save()
    return {
        "election": election.pk,
        "tokens": tokens,
        "roll_compound": empty.pk,
        "staff_session": store.session_key,
    }
