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
