"""Casting a ballot online (elections/voting.py): the window, who may cast, first cast wins."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from elections import voting
from elections.errors import AlreadyVoted, ElectionError, OutsideWindow
from elections.models import Ballot, Election, Stage, Voter
from elections.services import ballot_record, election_tally, roll_freeze
from tests.factories import (
    OwnerFactory,
    UserFactory,
    election_with_ballot_paper,
    owner_user,
    unit_with_owners,
)
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CHOICES = {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}


# ---------------------------------------------------------------------------------------------
# Builders shared by the other ballot test modules (plain functions: importing them does not
# collect any test twice)
# ---------------------------------------------------------------------------------------------


def open_election(
    compound, *, matters: int = 2, seats: int = 2, candidates: int = 3, stage=Stage.VOTING
) -> Election:
    """An election in its voting window whose roll is frozen from the compound's units."""
    election = election_with_ballot_paper(
        compound, stage=stage, matters=matters, seats=seats, candidates=candidates
    )
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    return election


def voter_of(election: Election, unit) -> Voter:
    return Voter.objects.get(election=election, units=unit)


def close_and_publish(election: Election) -> Election:
    """What the lifecycle does at the close: the window ends, the result is counted and published.

    The row is re-read first: `ballot_record` moves the chain head with an UPDATE, so a stale
    instance saved whole would wipe `chain_head` and `ballot_count`.
    """
    election.refresh_from_db()
    now = timezone.now()
    election.voting_closes_at = now - timedelta(minutes=1)
    if election.voting_opens_at >= election.voting_closes_at:
        election.voting_opens_at = election.voting_closes_at - timedelta(days=1)
    election.stage = Stage.RESULT_NOTICE
    election.result = election_tally(election)
    election.save(update_fields=["voting_opens_at", "voting_closes_at", "stage", "result"])
    return election


@pytest.fixture
def homes(compound):
    """Owners of the compound: a single owner, two co-owners of one home, a buyer of two homes."""
    alone, alone_owner, alone_unit = owner_user(compound, "1-1-101", "90.00", name="王一")
    co_a = UserFactory(name="李甲")
    co_b = UserFactory(name="李乙")
    shared = unit_with_owners(
        compound,
        "1-1-102",
        "80.50",
        [OwnerFactory(name="李甲", user=co_a), OwnerFactory(name="李乙", user=co_b)],
    )
    buyer = UserFactory(name="赵二")
    buyer_owner = OwnerFactory(name="赵二", user=buyer)
    first = unit_with_owners(compound, "2-1-201", "100.00", [buyer_owner])
    second = unit_with_owners(compound, "2-1-202", "60.00", [buyer_owner])
    developer_unit = unit_with_owners(compound, "9-1-901", "120.00", status="unsold")
    return {
        "alone": alone,
        "alone_unit": alone_unit,
        "co_a": co_a,
        "co_b": co_b,
        "shared_unit": shared,
        "buyer": buyer,
        "buyer_units": (first, second),
        "developer_unit": developer_unit,
    }


@pytest.fixture
def election(compound, homes):
    return open_election(compound)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_it_casts_an_owners_ballot_into_the_chain(election, homes):
    """A single owner casts online: the ballot is valid, cast as the owner, first in the chain,
    and the audit row names voter, channel and role but never a choice."""
    voter = voter_of(election, homes["alone_unit"])
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=CHOICES)
    assert (ballot.status, ballot.channel, ballot.cast_as, ballot.seq) == ("valid", "online", "owner", 1)
    assert ballot.choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}
    election.refresh_from_db()
    assert election.chain_head == ballot.hash
    entry = AuditEntry.objects.get(action="ballot.cast")
    dumped = json.dumps(entry.data) + entry.summary
    assert "C1" not in dumped and "yes" not in dumped
    assert entry.data["cast_as"] == "owner"


def test_it_refuses_before_the_window_opens(compound, homes):
    """Stage already "voting" but the window has not begun: refused, with the opening time."""
    election = open_election(compound)
    election.voting_opens_at = timezone.now() + timedelta(hours=2)
    election.save()
    voter = voter_of(election, homes["alone_unit"])
    with pytest.raises(ElectionError) as error:
        voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=CHOICES)
    assert "尚未开始" in str(error.value)
    assert timezone.localtime(election.voting_opens_at).strftime("%Y-%m-%d %H:%M") in str(error.value)
    assert not Ballot.objects.exists()


def test_it_refuses_after_the_window_closes_even_if_the_stage_still_says_voting(election, homes):
    """The server refuses after voting_closes_at whatever the stage machinery did."""
    election.voting_closes_at = timezone.now() - timedelta(seconds=1)
    election.voting_opens_at = election.voting_closes_at - timedelta(days=3)
    election.save()
    assert election.stage == Stage.VOTING
    voter = voter_of(election, homes["alone_unit"])
    with pytest.raises(ElectionError) as error:
        voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=CHOICES)
    assert "结束，不再接受投票" in str(error.value)
    assert not Ballot.objects.exists()


def test_it_refuses_when_the_stage_has_moved_on_inside_the_window(election, homes):
    """Counting started early (stage moved) while the clock is still inside the window: refused."""
    election.stage = Stage.COUNTING
    election.save()
    voter = voter_of(election, homes["alone_unit"])
    with pytest.raises(ElectionError):
        voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=CHOICES)
    assert not Ballot.objects.exists()


def test_it_refuses_a_user_who_is_not_an_owner(election, homes):
    """Someone who owns no unit of the voter and holds no proxy cannot cast for it."""
    stranger = UserFactory()
    voter = voter_of(election, homes["alone_unit"])
    with pytest.raises(ElectionError) as error:
        voting.ballot_cast_online(election=election, voter=voter, actor=stranger, choices=CHOICES)
    assert not isinstance(error.value, AlreadyVoted)
    assert "不是" in str(error.value)
    assert not Ballot.objects.exists()


def test_it_refuses_a_second_ballot_saying_when_how_and_who_but_not_what(election, homes):
    """The second cast gets AlreadyVoted naming the time, the channel and the role; no choice."""
    voter = voter_of(election, homes["alone_unit"])
    first = voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=CHOICES)
    with pytest.raises(AlreadyVoted) as error:
        voting.ballot_cast_online(
            election=election, voter=voter, actor=homes["alone"], choices={"matters": {"M1": "no"}}
        )
    message = str(error.value)
    assert timezone.localtime(first.cast_at).strftime("%Y-%m-%d %H:%M") in message
    assert "网上" in message and "业主本人" in message
    for secret in ("同意", "反对", "yes", "候选人1", "C1", "M1"):
        assert secret not in message
    assert error.value.ballot == first
    assert Ballot.objects.filter(voter=voter).count() == 1


def test_it_lets_either_co_owner_cast_the_one_ballot_of_a_shared_home(election, homes):
    """Co-owners (共有人) are one voter: the first casts as co-owner, the second is told who did."""
    voter = voter_of(election, homes["shared_unit"])
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=homes["co_a"], choices=CHOICES)
    assert ballot.cast_as == Ballot.CastAs.CO_OWNER
    assert ballot.cast_by == homes["co_a"]
    with pytest.raises(AlreadyVoted) as error:
        voting.ballot_cast_online(election=election, voter=voter, actor=homes["co_b"], choices=CHOICES)
    assert "共有人" in str(error.value)
    assert error.value.ballot.cast_by == homes["co_a"]


def test_it_counts_a_buyer_of_two_homes_as_one_voter(election, homes):
    """Both homes of one buyer belong to one voter, which casts one ballot for both."""
    first, second = homes["buyer_units"]
    voter = voter_of(election, first)
    assert voter == voter_of(election, second)
    assert voting.owner_count(voter) == 1
    voting.ballot_cast_online(election=election, voter=voter, actor=homes["buyer"], choices=CHOICES)
    with pytest.raises(AlreadyVoted):
        voting.ballot_cast_online(election=election, voter=voter, actor=homes["buyer"], choices=CHOICES)


def test_it_records_an_over_ticked_race_and_the_tally_makes_it_void(election, homes):
    """Three ticks in a two-seat race: the ballot is recorded as cast, participates, and the race
    counts it as invalid without giving any candidate a vote (RULES.md §3)."""
    voter = voter_of(election, homes["alone_unit"])
    over = {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2", "C3"]}}
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=over)
    assert ballot.choices["races"]["R1"] == ["C1", "C2", "C3"]
    result = election_tally(election)
    assert result["participation"]["heads"] == 1
    assert result["races"]["R1"]["invalid_ballots"] == 1
    assert all(c["yes"]["heads"] == 0 for c in result["races"]["R1"]["candidates"].values())
    assert result["matters"]["M1"]["yes"]["heads"] == 1


def test_it_refuses_a_ballot_for_a_voter_of_another_election(compound, homes):
    """A voter id from another election is refused even for its owner."""
    first = open_election(compound)
    second = open_election(compound)
    voter = voter_of(first, homes["alone_unit"])
    with pytest.raises(ElectionError):
        voting.ballot_cast_online(election=second, voter=voter, actor=homes["alone"], choices=CHOICES)


def test_it_refuses_unknown_candidates(election, homes):
    """A choice that is not on the ballot paper is refused and nothing is recorded."""
    voter = voter_of(election, homes["alone_unit"])
    with pytest.raises(ElectionError):
        voting.ballot_cast_online(
            election=election, voter=voter, actor=homes["alone"], choices={"races": {"R1": ["C9"]}}
        )
    assert not Ballot.objects.exists()


def test_it_lets_a_valid_online_ballot_follow_a_rejected_paper_one(election, homes, working_group):
    """A rejected paper ballot does not use up the vote: the owner can still cast online."""
    voter = voter_of(election, homes["alone_unit"])
    ballot_record(
        election=election,
        voter=voter,
        actor=working_group,
        cast_as=Ballot.CastAs.PAPER,
        channel=Ballot.Channel.PAPER,
        choices={},
        status=Ballot.Status.REJECTED,
        reject_reason="unsigned",
    )
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=homes["alone"], choices=CHOICES)
    assert ballot.seq == 2 and ballot.status == "valid"


def test_it_refuses_an_online_ballot_once_the_close_holds_the_election(election, homes):
    """The voter's lock saw voting open, but by the time the ballot takes the election's lock the
    close has moved the stage on: the window is checked again there and nothing joins the chain."""
    voter = voter_of(election, homes["alone_unit"])
    seen_open = Election.objects.get(pk=election.pk)  # what the cast read under the voter's lock
    Election.objects.filter(pk=election.pk).update(stage=Stage.COUNTING)  # voting_close committed
    with pytest.raises(OutsideWindow):
        ballot_record(
            election=seen_open,
            voter=voter,
            actor=homes["alone"],
            cast_as=Ballot.CastAs.OWNER,
            channel=Ballot.Channel.ONLINE,
            choices=CHOICES,
            window_at=timezone.now(),
        )
    assert not Ballot.objects.exists()
    election.refresh_from_db()
    assert (election.ballot_count, election.chain_head) == (0, "")


def test_it_reads_the_ballot_paper_once_while_voting_is_open(election, homes):
    """The matters and candidates cannot change once voting is open: the second cast takes them
    from the cache and still refuses an unknown candidate."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["alone_unit"]),
        actor=homes["alone"],
        choices=CHOICES,
    )
    with CaptureQueriesContext(connection) as queries:
        voting.ballot_cast_online(
            election=election,
            voter=voter_of(election, homes["shared_unit"]),
            actor=homes["co_a"],
            choices=CHOICES,
        )
    assert not [q for q in queries if "elections_matter" in q["sql"] or "elections_race" in q["sql"]]
    with pytest.raises(ElectionError, match="C9"):
        voting.ballot_cast_online(
            election=election,
            voter=voter_of(election, homes["buyer_units"][0]),
            actor=homes["buyer"],
            choices={"matters": {}, "races": {"R1": ["C9"]}},
        )
    assert Ballot.objects.count() == 2
