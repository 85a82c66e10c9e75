"""Two OS processes cast for the same voter at the same moment: exactly one valid ballot, and the
loser is told when, through which channel and by whom the vote was cast (PostgreSQL only)."""

from __future__ import annotations

import pytest

from elections.models import Ballot, Voter
from tests.conftest import requires_postgres
from tests.elections.test_voting import CHOICES, open_election
from tests.factories import OwnerFactory, UserFactory, unit_with_owners
from tests.race import race

# Each contender is a fresh interpreter (tests/race.py sets Django up on the test database and
# provides the barrier, wait_for_go): it casts and prints its outcome as one JSON line.
CHILD = r"""
from elections import voting
from elections.models import Ballot, Election, Voter
from elections.services import AlreadyVoted, ballot_record
from yezhu.accounts.models import User
election = Election.objects.get(pk=args["election"])
voter = Voter.objects.get(pk=args["voter"])
user = User.objects.get(pk=args["user"])
wait_for_go()
try:
    if args["mode"] == "online":
        ballot = voting.ballot_cast_online(election=election, voter=voter, actor=user, choices=args["choices"])
    else:  # a paper ballot keyed in at the same moment: no voter lock, the constraint decides
        ballot = ballot_record(election=election, voter=voter, actor=user, cast_as=Ballot.CastAs.PAPER,
                               channel=Ballot.Channel.PAPER, choices=args["choices"])
    print(json.dumps({"mode": args["mode"], "outcome": "cast", "ballot": ballot.pk, "message": ""}))
except AlreadyVoted as error:
    print(json.dumps({"mode": args["mode"], "outcome": "already", "ballot": error.ballot.pk,
                      "message": str(error)}, ensure_ascii=False))
finally:
    connection.close()
"""


def contenders(election, voter, who: list[tuple[str, int]]) -> list[dict]:
    return [
        {"mode": mode, "election": election.pk, "voter": voter.pk, "user": user_id, "choices": CHOICES}
        for mode, user_id in who
    ]


@pytest.fixture
def shared(compound):
    """One home with two co-owners, and a clerk of the working group."""
    first, second = UserFactory(name="共有人甲"), UserFactory(name="共有人乙")
    unit = unit_with_owners(
        compound, "1-1-101", "88.00", [OwnerFactory(user=first), OwnerFactory(user=second)]
    )
    unit_with_owners(compound, "1-1-102", "90.00", [OwnerFactory()])
    election = open_election(compound)
    voter = Voter.objects.get(election=election, units=unit)
    return election, voter, first, second, UserFactory(name="录入员")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_co_owners_casting_at_once_win(shared, tmp_path):
    """Both co-owners press 投票 at the same moment in two processes: one ballot, one AlreadyVoted."""
    election, voter, first, second, _clerk = shared
    outcomes = race(
        CHILD, contenders(election, voter, [("online", first.pk), ("online", second.pk)]), tmp_path
    )
    assert sorted(o["outcome"] for o in outcomes) == ["already", "cast"], outcomes
    winner = Ballot.objects.get(election=election, voter=voter, status="valid")
    loser = next(o for o in outcomes if o["outcome"] == "already")
    assert loser["ballot"] == winner.pk
    assert "网上" in loser["message"] and "共有人" in loser["message"]
    assert Ballot.objects.filter(election=election).count() == 1
    election.refresh_from_db()
    assert election.ballot_count == 1 and election.chain_head == winner.hash


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_the_database_decide_between_an_online_and_a_paper_ballot(shared, tmp_path):
    """An online cast and a paper entry for the same voter at once: the unique constraint keeps
    one, and the loser's message names the winner's channel."""
    election, voter, first, _second, clerk = shared
    outcomes = race(CHILD, contenders(election, voter, [("online", first.pk), ("paper", clerk.pk)]), tmp_path)
    assert sorted(o["outcome"] for o in outcomes) == ["already", "cast"], outcomes
    winner = Ballot.objects.get(election=election, voter=voter, status="valid")
    loser = next(o for o in outcomes if o["outcome"] == "already")
    expected = "网上" if winner.channel == Ballot.Channel.ONLINE else "纸质选票"
    assert expected in loser["message"]
    assert Ballot.objects.filter(election=election, voter=voter).count() == 1


# A proxy casting while the owner revokes the proxy, in two processes.
PROXY_CHILD = r"""
from elections import voting
from elections.models import Election, Proxy, Voter
from elections.services import ElectionError
from yezhu.accounts.models import User
election = Election.objects.get(pk=args["election"])
voter = Voter.objects.get(pk=args["voter"])
user = User.objects.get(pk=args["user"])
proxy = Proxy.objects.get(pk=args["proxy"])
wait_for_go()
try:
    if args["mode"] == "cast":
        ballot = voting.ballot_cast_online(election=election, voter=voter, actor=user, choices=args["choices"])
        print(json.dumps({"mode": "cast", "ok": True, "ballot": ballot.pk}))
    else:
        voting.proxy_revoke(proxy=proxy, actor=user)
        print(json.dumps({"mode": "revoke", "ok": True}))
except ElectionError as error:
    print(json.dumps({"mode": args["mode"], "ok": False, "message": str(error)}, ensure_ascii=False))
finally:
    connection.close()
"""


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_lets_a_revoked_proxys_ballot_stand(compound, tmp_path):
    """The proxy casts while the owner revokes the proxy, at the same moment, ten times over: each
    time exactly one wins — either the ballot stands and the revocation is refused, or the proxy is
    revoked and the cast refused. Never a ballot cast by a revoked proxy, never both refused."""
    from elections import voting
    from elections.models import Proxy

    outcomes_seen = set()
    for round_ in range(10):
        owner = UserFactory(name=f"委托人{round_}")
        unit = unit_with_owners(compound, f"3-1-{round_ + 101}", "80.00", [OwnerFactory(user=owner)])
        election = open_election(compound)
        voter = Voter.objects.get(election=election, units=unit)
        proxy = voting.proxy_authorise(
            election=election,
            voter=voter,
            actor=owner,
            proxy_mobile=f"1390000{round_:04d}",
            proxy_name="代理人",
        )
        base = {"election": election.pk, "voter": voter.pk, "proxy": proxy.pk, "choices": CHOICES}
        outcomes = race(
            PROXY_CHILD,
            [
                {**base, "mode": "cast", "user": proxy.proxy_user_id},
                {**base, "mode": "revoke", "user": owner.pk},
            ],
            _round_dir(tmp_path, round_),
        )
        by_mode = {o["mode"]: o for o in outcomes}
        assert by_mode["cast"]["ok"] != by_mode["revoke"]["ok"], outcomes
        proxy.refresh_from_db()
        ballots = Ballot.objects.filter(election=election, voter=voter, status="valid")
        if by_mode["cast"]["ok"]:
            assert proxy.status == Proxy.Status.ACTIVE and ballots.get().proxy_id == proxy.pk
            outcomes_seen.add("cast")
        else:
            assert proxy.status == Proxy.Status.REVOKED and not ballots.exists()
            outcomes_seen.add("revoke")
    assert outcomes_seen  # which side wins is the scheduler's choice; both are correct


def _round_dir(tmp_path, round_: int):
    path = tmp_path / f"round-{round_}"
    path.mkdir()
    return path


# A co-owner casting while the last co-owner's agreement puts a designation of another in force.
DESIGNATION_CHILD = r"""
from elections import designations, voting
from elections.models import Designation, Election, Voter
from elections.services import ElectionError
from yezhu.accounts.models import User
election = Election.objects.get(pk=args["election"])
voter = Voter.objects.get(pk=args["voter"])
user = User.objects.get(pk=args["user"])
designation = Designation.objects.get(pk=args["designation"])
wait_for_go()
try:
    if args["mode"] == "cast":
        ballot = voting.ballot_cast_online(election=election, voter=voter, actor=user, choices=args["choices"])
        print(json.dumps({"mode": "cast", "ok": True, "ballot": ballot.pk}))
    else:
        designations.designation_confirm(designation=designation, actor=user)
        print(json.dumps({"mode": "confirm", "ok": True}))
except ElectionError as error:
    print(json.dumps({"mode": args["mode"], "ok": False, "message": str(error)}, ensure_ascii=False))
finally:
    connection.close()
"""


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_lets_a_designation_and_another_co_owners_ballot_both_stand(compound, tmp_path):
    """Co-owners 甲, 乙, 丙: 甲 proposed 甲 and 乙 agreed; 乙 casts while 丙's agreement puts the
    designation in force, at the same moment, ten times over. Each time exactly one wins: the
    ballot stands and the designation is refused, or the designation holds and the cast is
    refused. Never a non-designee's ballot beside a designation in force, never both refused."""
    from elections import designations
    from elections.models import Designation

    outcomes_seen = set()
    for round_ in range(10):
        users = [UserFactory(name=f"{n}{round_}") for n in ("甲", "乙", "丙")]
        owners = [OwnerFactory(user=u, name=u.name) for u in users]
        unit = unit_with_owners(compound, f"5-1-{round_ + 101}", "80.00", owners)
        election = open_election(compound)
        voter = Voter.objects.get(election=election, units=unit)
        designation = designations.designation_propose(
            election=election, voter=voter, actor=users[0], designee_id=owners[0].pk
        )
        designations.designation_confirm(designation=designation, actor=users[1])
        base = {"election": election.pk, "voter": voter.pk, "designation": designation.pk, "choices": CHOICES}
        outcomes = race(
            DESIGNATION_CHILD,
            [{**base, "mode": "cast", "user": users[1].pk}, {**base, "mode": "confirm", "user": users[2].pk}],
            _round_dir(tmp_path, round_),
        )
        by_mode = {o["mode"]: o for o in outcomes}
        assert by_mode["cast"]["ok"] != by_mode["confirm"]["ok"], outcomes
        designation.refresh_from_db()
        voter.refresh_from_db()
        ballots = Ballot.objects.filter(election=election, voter=voter, status="valid")
        if by_mode["cast"]["ok"]:
            assert designation.status == Designation.Status.PROPOSED and voter.designated_owner_id is None
            assert ballots.get().cast_by_id == users[1].pk
            outcomes_seen.add("cast")
        else:
            assert (
                designation.status == Designation.Status.ACTIVE and voter.designated_owner_id == owners[0].pk
            )
            assert not ballots.exists()
            outcomes_seen.add("confirm")
    assert outcomes_seen
