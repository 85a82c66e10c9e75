"""What the tally of a big election costs, and that summing ballots by answer changes no count.

Issue 19 wants the tally of 100,000 units under a second. The live tally decodes each distinct
answer once instead of each ballot's JSON, and the pure tally sums the ballots per distinct answer
before adding them to the counts. The cost is measured in Python function calls (cProfile), which
do not depend on the machine's load; the bench (bench/profile_tally.py) measures the time.
"""

from __future__ import annotations

import copy
import cProfile
import pstats
import random
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from bench import common
from elections.models import Ballot, Election, Voter
from elections.rules.bundle import recount
from elections.rules.tally import BallotInput, Choice, MatterSpec, RaceSpec, TallyInput, result_to_dict, tally
from elections.services import bundle_for, election_tally
from tests.factories import UserFactory

ANSWERS = [
    {"matters": {"M1": "yes", "M2": "yes", "M3": "yes"}, "races": {"R1": ["C1", "C2", "C3", "C4"]}},
    {"matters": {"M1": "yes", "M2": "no", "M3": "abstain"}, "races": {"R1": ["C2", "C5"]}},
    {"matters": {"M1": "no", "M3": "yes"}, "races": {"R1": ["C1", "C2", "C3", "C4", "C5", "C6"]}},
    {"matters": {"M2": "yes"}, "races": {}},
    {"matters": {}, "races": {"R1": ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10"]}},  # void
    {},
]


def cast(election: Election, voter_ids: list[int], start: int) -> None:
    """Valid paper ballots for `voter_ids`, cycling through a few answers as a real vote does."""
    caster = UserFactory()
    Ballot.objects.bulk_create(
        Ballot(
            election=election,
            voter_id=voter_id,
            channel="paper",
            status="valid",
            choices=ANSWERS[(start + i) % len(ANSWERS)],
            cast_at=timezone.now(),
            cast_by=caster,
            cast_as="paper",
            receipt=f"B{start + i:09d}",
            seq=start + i + 1,
            prev_hash="0" * 64,
            hash="0" * 64,
        )
        for i, voter_id in enumerate(voter_ids)
    )


def calls(fn, *args) -> int:
    profile = cProfile.Profile()
    profile.enable()
    fn(*args)
    profile.disable()
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_each_further_ballot_costs_the_live_tally_a_few_python_calls():
    """Before issue 19 each ballot cost ~40 calls (its whole JSON decoded, three `Choice`s built,
    every matter looked up one by one); now a ballot whose answer was seen before costs ~15."""
    compound, _ = common.build_compound(500, code="COST")
    election = common.build_election(compound, seats=5)
    voters = list(Voter.objects.filter(election=election).order_by("pk").values_list("pk", flat=True))
    assert len(voters) > 400
    cast(election, voters[:100], 0)
    election_tally(election)  # warm: imports, the connection
    few = calls(election_tally, election)
    cast(election, voters[100:400], 100)
    many = calls(election_tally, election)
    per_ballot = (many - few) / 300
    assert per_ballot <= 22, f"{per_ballot:.1f} Python calls per ballot"

    result = election_tally(election)
    assert result["participation"]["heads"] == 400
    over_ticked = sum(len(ANSWERS[i % len(ANSWERS)].get("races", {}).get("R1", [])) > 5 for i in range(400))
    assert result["races"]["R1"]["invalid_ballots"] == over_ticked > 0
    assert recount(bundle_for(Election.objects.get(pk=election.pk))) == result


# ---------------------------------------------------------------------------------------------
# The pure tally: summing by answer counts exactly what counting ballot by ballot counts
# ---------------------------------------------------------------------------------------------

MATTERS = [MatterSpec("M1"), MatterSpec("M2"), MatterSpec("M3")]
RACES = [RaceSpec("R1", 3, ("C1", "C2", "C3", "C4", "C5")), RaceSpec("R2", 1, ("A", "B"))]


def random_ballots(rng: random.Random, n: int) -> list[BallotInput]:
    """`n` ballots drawing their answers from a small pool: the same dicts shared by many ballots."""
    pool_matters = [
        {m.key: rng.choice(list(Choice)) for m in MATTERS if rng.random() < 0.8} for _ in range(5)
    ]
    pool_races = [
        {
            "R1": tuple(rng.sample(RACES[0].candidates, rng.randint(0, 4))),
            **({"R2": tuple(rng.sample(("A", "B"), rng.randint(0, 2)))} if rng.random() < 0.7 else {}),
        }
        for _ in range(7)
    ]
    return [
        BallotInput(
            voter=f"v{i}",
            area=Decimal(rng.randint(3000, 20000)) / 100,
            valid=rng.random() < 0.95,
            matters=rng.choice(pool_matters),
            races=rng.choice(pool_races),
        )
        for i in range(n)
    ]


def ballot_by_ballot(ballots: Sequence[BallotInput]) -> dict:
    """The counts as the tally made them before issue 19: each ballot added on its own."""
    slots = {Choice.YES: "yes", Choice.NO: "no", Choice.ABSTAIN: "abstain"}
    matters = {m.key: {s: [0, 0] for s in slots.values()} for m in MATTERS}
    races = {r.key: {"invalid": 0, **{c: [0, 0] for c in r.candidates}} for r in RACES}
    seats = {r.key: r.seats for r in RACES}
    for b in ballots:
        if not b.valid:
            continue
        area = int(b.area * 100)
        for m in MATTERS:
            cell = matters[m.key][slots[b.matters.get(m.key, Choice.ABSTAIN)]]
            cell[0] += area
            cell[1] += 1
        for key, ticks in b.races.items():
            if len(ticks) > seats[key]:
                races[key]["invalid"] += 1
                continue
            for tick in ticks:
                races[key][tick][0] += area
                races[key][tick][1] += 1
    return {"matters": matters, "races": races}


def counts_of(result: dict) -> dict:
    def pair(weight: dict) -> list[int]:
        return [int(Decimal(weight["area"]) * 100), weight["heads"]]

    return {
        "matters": {
            key: {s: pair(m[s]) for s in ("yes", "no", "abstain")} for key, m in result["matters"].items()
        },
        "races": {
            key: {"invalid": r["invalid_ballots"], **{c: pair(v["yes"]) for c, v in r["candidates"].items()}}
            for key, r in result["races"].items()
        },
    }


def tally_of(ballots: Sequence[BallotInput]) -> dict:
    data = TallyInput(
        quorum=Fraction(2, 3),
        total_area=Decimal(sum(b.area for b in ballots)),
        total_heads=len(ballots),
        matters=MATTERS,
        races=RACES,
        ballots=ballots,
    )
    return result_to_dict(tally(data))


@pytest.mark.parametrize("seed", range(20))
def test_summing_by_answer_counts_what_ballot_by_ballot_counts(seed):
    ballots = random_ballots(random.Random(seed), 300)
    result = tally_of(ballots)
    assert counts_of(result) == ballot_by_ballot(ballots)
    # The same ballots, each with answers of its own (as a bundle's recount hands them over).
    assert tally_of([copy.deepcopy(b) for b in ballots]) == result


class FreshBallots(Sequence[BallotInput]):
    """A sequence that builds each ballot anew whenever it is read: once a ballot is dropped, its
    answers' memory (and so their `id`) goes to the next ballot's answers. A tally keyed on `id`
    alone would count the next ballot with the previous one's answers."""

    def __init__(self, ballots: list[BallotInput]):
        self.ballots = ballots

    def __len__(self) -> int:
        return len(self.ballots)

    def __getitem__(self, index):  # type: ignore[override]
        b = self.ballots[index]
        return BallotInput(b.voter, b.area, b.valid, dict(b.matters), dict(b.races))


@pytest.mark.parametrize("seed", range(5))
def test_answers_built_one_ballot_at_a_time_are_not_mistaken_for_each_other(seed):
    ballots = random_ballots(random.Random(seed), 300)
    assert tally_of(FreshBallots(ballots)) == tally_of(ballots)
