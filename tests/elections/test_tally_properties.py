"""Properties of the tally that must hold for every election, checked with hypothesis.

Elections are small (up to 12 voters, 3 matters, 2 races) so that boundaries such as exactly
half or exactly two-thirds turn up often, and examples are bounded to keep the suite quick.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from elections.rules.tally import (
    DEVELOPER,
    BallotInput,
    Category,
    Choice,
    MatterSpec,
    RaceSpec,
    Result,
    TallyInput,
    UnitRow,
    UnitStatus,
    area_from_hundredths,
    build_voters,
    roll_totals,
    tally,
    to_hundredths,
)

SETTINGS = settings(max_examples=150, deadline=None)
CHOICES = [Choice.YES, Choice.NO, Choice.ABSTAIN, None]  # None: the matter is left blank
# Hypothesis leans towards the first element of sampled_from, so the common case comes first.
VOTES = st.sampled_from([True] * 7 + [False])


@st.composite
def elections(draw: st.DrawFn) -> TallyInput:
    """A random but well-formed election: a roll, matters, races and at most one valid ballot per voter.

    Each matter and race draws a small palette of choices and slates that its ballots pick from,
    so unanimous, split and tied outcomes all turn up, not just noise that never reaches a majority.
    """
    # 民法典 第278条's floors, or values the rules of procedure raised them to (never lower).
    quorum = draw(
        st.sampled_from([Fraction(2, 3), Fraction(2, 3), Fraction(3, 4), Fraction(4, 5), Fraction(1)])
    )
    ordinary = draw(st.sampled_from([Fraction(1, 2), Fraction(1, 2), Fraction(2, 3), Fraction(3, 5)]))
    special = draw(st.sampled_from([Fraction(3, 4), Fraction(3, 4), Fraction(4, 5), Fraction(1)]))
    # A few area values make exact halves and thirds likely.
    area_values = st.sampled_from([1, 2, 3, 50, 100, 3333, 3334, 8950, 12000])
    n_voters = draw(st.integers(1, 12) | st.integers(6, 12))
    if draw(st.booleans()):  # equal areas: ties on heads are ties on rank, which tests the tie rule
        areas = [draw(area_values)] * n_voters
    else:
        areas = draw(st.lists(area_values, min_size=n_voters, max_size=n_voters))
    absent_area = draw(st.sampled_from([0, 0, 0, 1, 100, 5000, 50000]))
    absent_heads = 1 if absent_area else 0

    matters = [
        MatterSpec(f"M{i}", draw(st.sampled_from(list(Category)))) for i in range(draw(st.integers(0, 3)))
    ]
    palettes = {m.key: draw(st.lists(st.sampled_from(CHOICES), min_size=1, max_size=4)) for m in matters}
    races = []
    slates: dict[str, list[list[str]]] = {}
    for i in range(draw(st.integers(0, 2))):
        candidates = tuple(f"C{j}" for j in range(draw(st.sampled_from([3, 4, 5, 2, 6, 1]))))
        race = RaceSpec(f"R{i}", draw(st.sampled_from([2, 3, 1, 4])), candidates)
        races.append(race)
        full = min(race.seats, len(candidates))
        slate = st.lists(st.sampled_from(candidates), unique=True, min_size=full, max_size=full) | st.lists(
            st.sampled_from(candidates), unique=True, max_size=race.seats
        )
        if draw(st.booleans()):
            slates[race.key] = draw(st.lists(slate, min_size=1, max_size=4))
        else:
            # Rotation: voter v leaves out candidate v mod (seats + 1), so with equal areas the
            # candidates share one rank above the majority: a tie that overfills the seats.
            k = min(len(candidates), race.seats + 1)
            slates[race.key] = [[c for j, c in enumerate(candidates[:k]) if j != r] for r in range(k)]

    ballots = []
    for v in range(n_voters):
        if not draw(VOTES):
            continue  # this voter stays home
        choices = {}
        for matter in matters:
            choice = draw(st.sampled_from(palettes[matter.key]))
            if choice is not None:
                choices[matter.key] = choice
        ticks = {}
        for race in races:
            kind = draw(st.sampled_from(["slate", "slate", "slate", "slate", "blank", "any"]))
            if kind == "blank":
                continue  # race left blank
            if kind == "any":  # anything, possibly over-ticked and so void for this race
                ticks[race.key] = draw(st.lists(st.sampled_from(race.candidates), unique=True))
            else:
                ticks[race.key] = slates[race.key][
                    (v + draw(st.sampled_from([0, 0, 0, 1]))) % len(slates[race.key])
                ]
        valid = draw(VOTES)  # some ballots are rejected
        ballots.append(BallotInput(f"v{v}", area_from_hundredths(areas[v]), valid, choices, ticks))

    return TallyInput(
        quorum=quorum,
        total_area=area_from_hundredths(sum(areas) + absent_area),
        total_heads=n_voters + absent_heads,
        matters=matters,
        races=races,
        ballots=ballots,
        ordinary=ordinary,
        special=special,
    )


@st.composite
def races_with_standings(draw: st.DrawFn) -> TallyInput:
    """One race whose standings are drawn directly: many qualified candidates, ties and alternates.

    Each candidate gets a number of ticks that are dealt round the voters in turn, so no voter
    ticks anyone twice or more than ``seats`` candidates (RULES §3 would void that ballot).
    """
    # sampled_from rather than integers: hypothesis leans towards the first value, not the smallest.
    seats = draw(st.sampled_from([2, 3, 4, 1]))
    n_voters = draw(st.sampled_from([6, 7, 9, 10, 12, 2, 3, 4, 5]))
    n_candidates = draw(st.sampled_from([4, 5, 3, 6, 7, 8, 2]))
    heads = draw(
        st.lists(
            st.integers(n_voters // 2 + 1, n_voters) | st.integers(0, n_voters),
            min_size=n_candidates,
            max_size=n_candidates,
        )
    )
    while sum(heads) > seats * n_voters:
        heads[heads.index(max(heads))] -= 1
    ticks: list[list[str]] = [[] for _ in range(n_voters)]
    position = 0
    for j, n in enumerate(heads):
        for _ in range(n):
            ticks[position % n_voters].append(f"C{j}")
            position += 1
    if draw(st.booleans()):
        areas = [10000] * n_voters
    else:
        areas = draw(st.lists(st.sampled_from([10000, 10001, 5000, 1]), min_size=n_voters, max_size=n_voters))
    race = RaceSpec("R", seats, tuple(f"C{j}" for j in range(n_candidates)))
    ballots = [
        BallotInput(f"v{v}", area_from_hundredths(areas[v]), True, {}, {"R": ticks[v]})
        for v in range(n_voters)
    ]
    return TallyInput(Fraction(2, 3), area_from_hundredths(sum(areas)), n_voters, [], [race], ballots)


ANY_ELECTION = st.one_of(elections(), races_with_standings())


def h(area: Decimal) -> int:
    return to_hundredths(area)


@SETTINGS
@given(data=ANY_ELECTION, order=st.randoms(use_true_random=False))
def test_it_gives_the_same_result_whatever_the_order_of_the_ballots(data: TallyInput, order) -> None:
    """Counting is a sum: shuffling the ballots changes nothing, including ballot-order tie-breaks."""
    shuffled = list(data.ballots)
    order.shuffle(shuffled)
    assert tally(dataclasses.replace(data, ballots=shuffled)) == tally(data)


@SETTINGS
@given(data=elections(), pick=st.integers(0, 10_000))
def test_it_never_fails_a_passed_matter_when_a_no_turns_into_a_yes(data: TallyInput, pick: int) -> None:
    """Monotonicity: one more yes (and one less no) never turns a pass into a fail."""
    before = tally(data)
    candidates = [
        (i, m.key)
        for i, b in enumerate(data.ballots)
        if b.valid
        for m in data.matters
        if b.matters.get(m.key) == Choice.NO
    ]
    if not candidates:
        return
    index, key = candidates[pick % len(candidates)]
    ballots = list(data.ballots)
    ballots[index] = dataclasses.replace(ballots[index], matters={**ballots[index].matters, key: Choice.YES})
    after = tally(dataclasses.replace(data, ballots=ballots))
    if before.matters[key].passed:
        assert after.matters[key].passed
    assert after.participation == before.participation


@SETTINGS
@given(data=ANY_ELECTION)
def test_it_passes_nothing_and_elects_nobody_without_quorum(data: TallyInput) -> None:
    """Quorum failure fails every matter, qualifies no candidate, elects and ties nobody."""
    result = tally(data)
    if result.quorum_met:
        return
    assert not any(m.passed for m in result.matters.values())
    for race in result.races.values():
        assert race.elected == () and race.tied == () and race.alternates == ()
        assert not any(c.qualified for c in race.candidates.values())


@SETTINGS
@given(data=ANY_ELECTION)
def test_it_fills_no_more_than_the_seats_and_never_both_elects_and_ties(data: TallyInput) -> None:
    """len(elected) ≤ seats; elected, tied and alternates are disjoint and all qualified."""
    for race in tally(data).races.values():
        assert len(race.elected) <= race.seats
        assert len(race.alternates) <= race.seats
        assert set(race.elected).isdisjoint(race.tied)
        assert set(race.alternates).isdisjoint(set(race.elected) | set(race.tied))
        qualified = {k for k, c in race.candidates.items() if c.qualified}
        assert set(race.elected) | set(race.tied) | set(race.alternates) <= qualified
        # The tie rule: ballot order never splits a rank, so every elected candidate strictly
        # outranks every qualified candidate left out.
        rank = {k: (-c.yes.heads, -h(c.yes.area)) for k, c in race.candidates.items()}
        for winner in race.elected:
            assert all(rank[winner] < rank[other] for other in qualified - set(race.elected))
        if race.tied:
            assert len(race.elected) + len(race.tied) > race.seats
        else:
            # Without a tie every qualified candidate is placed until the seats run out.
            assert len(race.elected) == min(race.seats, len(qualified))


@SETTINGS
@given(data=elections())
def test_it_never_counts_more_participation_than_the_roll_holds(data: TallyInput) -> None:
    """Participation ≤ totals; each matter's yes + no + abstain is exactly the participation."""
    result = tally(data)
    part = result.participation
    assert h(part.area) <= h(result.totals.area)
    assert part.heads <= result.totals.heads
    assert part.heads == sum(1 for b in data.ballots if b.valid)
    for m in result.matters.values():
        assert h(m.yes.area) + h(m.no.area) + h(m.abstain.area) == h(part.area)
        assert m.yes.heads + m.no.heads + m.abstain.heads == part.heads


@SETTINGS
@given(data=ANY_ELECTION)
def test_it_agrees_with_the_thresholds_written_as_fractions(data: TallyInput) -> None:
    """An independent restatement of RULES §3 with Fraction ratios gives the same verdicts, with
    the thresholds the rules of procedure raised (民法典 第278条: more than / at least)."""
    result = tally(data)
    total, part = result.totals, result.participation
    quorum = (
        Fraction(h(part.area), h(total.area)) >= data.quorum
        and Fraction(part.heads, total.heads) >= data.quorum
    )
    assert result.quorum_met is quorum

    def share(yes_area: Decimal, yes_heads: int) -> tuple[Fraction, Fraction]:
        if not part.heads:
            return Fraction(0), Fraction(0)
        return Fraction(h(yes_area), h(part.area)), Fraction(yes_heads, part.heads)

    for spec in data.matters:
        m = result.matters[spec.key]
        by_area, by_heads = share(m.yes.area, m.yes.heads)
        bar = data.special if spec.category == Category.SPECIAL else data.ordinary
        if spec.category == Category.SPECIAL:
            expected = quorum and by_area >= bar and by_heads >= bar
        else:
            expected = quorum and by_area > bar and by_heads > bar
        assert m.passed is expected
    for race in result.races.values():
        for c in race.candidates.values():
            by_area, by_heads = share(c.yes.area, c.yes.heads)
            assert c.qualified is (quorum and by_area > data.ordinary and by_heads > data.ordinary)


def _ranked(result: Result, key: str) -> list[str]:
    """The qualified candidates by heads, then area, descending; a stable sort keeps ballot order."""
    race = result.races[key]
    return sorted(
        (k for k, c in race.candidates.items() if c.qualified),
        key=lambda k: (-race.candidates[k].yes.heads, -h(race.candidates[k].yes.area)),
    )


@SETTINGS
@given(data=ANY_ELECTION)
def test_it_elects_down_the_ranking_by_heads_then_area(data: TallyInput) -> None:
    """Elected, then tied, then alternates are a prefix of the ranking (equal rank: ballot order)."""
    result = tally(data)
    for key, race in result.races.items():
        placed = race.elected + race.tied + race.alternates
        assert list(placed) == _ranked(result, key)[: len(placed)]
        if race.tied:
            ranks = {(race.candidates[k].yes.heads, race.candidates[k].yes.area) for k in race.tied}
            assert len(ranks) == 1


# ---------------------------------------------------------------------------------------------
# The developer is one owner (解释 第9条)
# ---------------------------------------------------------------------------------------------

OWNER_SETS = st.sampled_from(
    [frozenset({"D"}), frozenset({"D"}), frozenset({"A"}), frozenset({"A", "B"}), frozenset({"D", "A"})]
)


@st.composite
def rolls(draw: st.DrawFn) -> list[UnitRow]:
    """Units of every kind, some registered to the developer "D" alone, some to D with a buyer."""
    units = []
    for i in range(draw(st.integers(1, 12))):
        status = draw(
            st.sampled_from([UnitStatus.DELIVERED] * 3 + [UnitStatus.UNSOLD, UnitStatus.SOLD_UNDELIVERED])
        )
        owners = draw(OWNER_SETS) if status == UnitStatus.DELIVERED else frozenset()
        units.append(
            UnitRow(f"u{i}", area_from_hundredths(draw(st.sampled_from([1, 50, 8950]))), status, owners)
        )
    return units


@SETTINGS
@given(units=rolls())
def test_it_puts_every_unit_of_the_developer_in_one_voter_and_nothing_else_interpretation_9(
    units: list[UnitRow],
) -> None:
    """With the developer named, its unsold, undelivered and own units are exactly the DEVELOPER
    voter; every other unit keeps the voter it has without the developer; totals keep the area and
    lose exactly the heads the merge saves."""
    plain_voters, plain = build_voters(units)
    voters, grouped = build_voters(units, "D")
    own = {u.id for u in units if u.status != UnitStatus.DELIVERED or u.owners == frozenset({"D"})}
    assert {uid for uid, key in grouped.items() if key == DEVELOPER} == own
    for uid, key in grouped.items():
        if uid not in own:
            assert key == plain[uid]
    merged = {plain[uid] for uid in own}
    assert roll_totals(voters).area == roll_totals(plain_voters).area
    assert roll_totals(voters).heads == roll_totals(plain_voters).heads - max(0, len(merged) - 1)
