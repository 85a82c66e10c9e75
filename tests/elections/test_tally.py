"""Hand-worked cases for every rule of RULES.md §1–§3, one rule per test or table row.

Areas are chosen so that the rule sits exactly on its boundary (exactly two-thirds, exactly half,
exactly three-quarters) and one hundredth either side, and several are sums that binary floats
get wrong, so an implementation that strays from exact arithmetic fails here.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest

from elections.rules.tally import (
    DEVELOPER,
    BallotInput,
    Category,
    Choice,
    MatterSpec,
    RaceResult,
    RaceSpec,
    Result,
    TallyInput,
    UnitRow,
    UnitStatus,
    Weight,
    area_from_hundredths,
    build_voters,
    result_to_dict,
    roll_totals,
    tally,
    to_hundredths,
)

TWO_THIRDS = Fraction(2, 3)
YES, NO, ABSTAIN = Choice.YES, Choice.NO, Choice.ABSTAIN
ORDINARY, SPECIAL = Category.ORDINARY, Category.SPECIAL
D = Decimal


def ballot(
    key: str,
    area: str,
    choice: Choice | None = None,
    *,
    ticks: dict[str, list[str]] | None = None,
    valid: bool = True,
) -> BallotInput:
    """A ballot of voter ``key`` with ``area``; ``choice`` answers matter "M" (None = blank)."""
    matters = {} if choice is None else {"M": choice}
    return BallotInput(key, D(area), valid, matters, ticks or {})


def count(
    ballots: list[BallotInput],
    *,
    total_area: str | None = None,
    total_heads: int | None = None,
    category: Category = ORDINARY,
    races: tuple[RaceSpec, ...] = (),
    quorum: Fraction = TWO_THIRDS,
) -> Result:
    """Tally one matter "M" and ``races``; the roll defaults to exactly the valid voters (100% turnout)."""
    valid = [b for b in ballots if b.valid]
    area = D(total_area) if total_area is not None else sum((b.area for b in valid), D(0))
    heads = total_heads if total_heads is not None else len(valid)
    return tally(TallyInput(quorum, area, heads, [MatterSpec("M", category)], list(races), ballots))


def ballots_for(*rows: tuple[str, Choice | None]) -> list[BallotInput]:
    return [ballot(f"v{i}", area, choice) for i, (area, choice) in enumerate(rows)]


# ---------------------------------------------------------------------------------------------
# The roll: who is a voter (RULES §1)
# ---------------------------------------------------------------------------------------------


def unit(uid: str, area: str, status: str = "delivered", *owners: str) -> UnitRow:
    return UnitRow(uid, D(area), UnitStatus(status), frozenset(owners))


def test_it_counts_all_the_developers_unsold_and_undelivered_units_as_one_head() -> None:
    """Every unsold or sold-but-undelivered unit is the developer's, one voter with their summed area."""
    voters, unit_to_voter = build_voters(
        [
            unit("9-1-901", "120.00", "unsold"),
            unit("1-1-101", "89.50", "delivered", "P1"),
            unit("9-1-902", "80.25", "sold_undelivered", "buyer-not-yet-owner"),
            unit("9-1-903", "0.75", "unsold"),
        ]
    )
    developer = voters[0]
    assert developer.key == DEVELOPER
    assert developer.area == D("201.00")
    assert developer.units == ("9-1-901", "9-1-902", "9-1-903")
    assert len(voters) == 2
    assert unit_to_voter["9-1-902"] == DEVELOPER
    assert roll_totals(voters).heads == 2
    assert roll_totals(voters).area == D("290.50")


def test_it_has_no_developer_voter_when_every_unit_is_delivered() -> None:
    """The developer is a voter only while it still holds unsold or undelivered units."""
    voters, unit_to_voter = build_voters([unit("1", "10.00", "delivered", "P1")])
    assert len(voters) == 1
    assert DEVELOPER not in unit_to_voter.values()


def test_it_counts_a_buyer_of_several_units_as_one_head() -> None:
    """A buyer holding several units is one head weighing the sum of their areas."""
    voters, unit_to_voter = build_voters(
        [
            unit("1-1-101", "89.50", "delivered", "P1"),
            unit("1-1-102", "60.00", "delivered", "P2"),
            unit("B2-017", "12.50", "delivered", "P1"),
        ]
    )
    assert len(voters) == 2
    assert unit_to_voter["1-1-101"] == unit_to_voter["B2-017"]
    p1 = next(v for v in voters if v.key == unit_to_voter["1-1-101"])
    assert p1.area == D("102.00")
    assert p1.units == ("1-1-101", "B2-017")


def test_it_treats_co_owner_sets_regardless_of_order_and_only_exact_sets_as_one_voter() -> None:
    """{A, B} and {B, A} are the same buyer; {A} alone and {A, B} are different buyers."""
    voters, unit_to_voter = build_voters(
        [
            UnitRow("1", D("50.00"), UnitStatus.DELIVERED, frozenset(["A", "B"])),
            UnitRow("2", D("50.00"), UnitStatus.DELIVERED, frozenset(["B", "A"])),
            UnitRow("3", D("50.00"), UnitStatus.DELIVERED, frozenset(["A"])),
        ]
    )
    assert unit_to_voter["1"] == unit_to_voter["2"]
    assert unit_to_voter["3"] != unit_to_voter["1"]
    assert len(voters) == 2


def test_it_never_merges_different_owner_sets_whose_ids_contain_commas() -> None:
    """An owner id "A,B" is one owner, not the pair {A, B}; neither becomes the developer."""
    _, unit_to_voter = build_voters(
        [
            unit("1", "1.00", "delivered", "A,B"),
            unit("2", "1.00", "delivered", "A", "B"),
            unit("3", "1.00", "delivered", DEVELOPER),
            unit("4", "1.00", "unsold"),
        ]
    )
    assert len(set(unit_to_voter.values())) == 4


def test_it_counts_the_developers_own_units_with_its_unsold_ones_as_one_owner_interpretation_9() -> None:
    """解释 第9条: the developer is one owner. A delivered unit registered to the developer alone (自持)
    joins its unsold and undelivered units in one voter, one head; {developer, A} stays a buyer."""
    rows = [
        unit("9-1-901", "120.00", "unsold"),
        unit("1-1-101", "89.50", "delivered", "D"),
        unit("1-1-102", "60.00", "delivered", "P1"),
        unit("2-1-101", "10.50", "delivered", "D"),
        unit("2-1-102", "33.00", "delivered", "D", "P1"),
    ]
    voters, unit_to_voter = build_voters(rows, "D")
    developer = next(v for v in voters if v.key == DEVELOPER)
    assert developer.units == ("9-1-901", "1-1-101", "2-1-101")
    assert developer.area == D("220.00")
    assert unit_to_voter["2-1-102"] not in (DEVELOPER, unit_to_voter["1-1-102"])
    assert roll_totals(voters).heads == 3  # the developer, P1, {D, P1}

    # Without the developer's owner id the roll cannot know: its own units are a buyer of their own.
    voters, unit_to_voter = build_voters(rows)
    assert roll_totals(voters).heads == 4
    assert unit_to_voter["1-1-101"] == unit_to_voter["2-1-101"] != DEVELOPER


def test_it_makes_the_developer_a_voter_by_its_own_units_alone_interpretation_9() -> None:
    """A developer with nothing unsold but units in its own name is still one voter, key DEVELOPER."""
    voters, unit_to_voter = build_voters(
        [unit("1", "10.00", "delivered", "D"), unit("2", "10.00", "delivered", "D")], "D"
    )
    assert [v.key for v in voters] == [DEVELOPER]
    assert set(unit_to_voter.values()) == {DEVELOPER}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([unit("1", "1.00", "delivered")], "delivered unit with no owner"),
        ([unit("1", "1.00", "unsold"), unit("1", "2.00", "unsold")], "duplicate unit id"),
        ([unit("1", "0.00", "unsold")], "positive"),
        ([unit("1", "1.005", "unsold")], "two decimals"),
    ],
)
def test_it_refuses_a_roll_no_import_can_produce(rows: list[UnitRow], message: str) -> None:
    """build_voters raises ValueError for rows the roll import or the bundle would have refused."""
    with pytest.raises(ValueError, match=message):
        build_voters(rows)


# ---------------------------------------------------------------------------------------------
# Quorum (三分之二以上, "以上" includes the number itself)
# ---------------------------------------------------------------------------------------------

QUORUM_CASES = [
    # id, participating areas, total area, total heads, quorum, met
    ("exactly two-thirds of area and heads", ["100.00", "100.00"], "300.00", 3, TWO_THIRDS, True),
    ("area one hundredth short", ["100.00", "99.99"], "300.00", 3, TWO_THIRDS, False),
    ("area one hundredth over, heads exact", ["100.00", "100.01"], "300.00", 3, TWO_THIRDS, True),
    ("heads short (2 of 4), area 90%", ["45.00", "45.00"], "100.00", 4, TWO_THIRDS, False),
    ("heads exact (4 of 6), area exact", ["50.00", "50.00", "50.00", "50.00"], "300.00", 6, TWO_THIRDS, True),
    ("heads over (3 of 4), area short", ["33.33", "33.32", "0.01"], "100.00", 4, TWO_THIRDS, False),
    ("thirds of 100.00: 33.33 + 33.34 meets", ["33.33", "33.34"], "100.00", 3, TWO_THIRDS, True),
    ("thirds of 100.00: 33.33 + 33.33 does not", ["33.33", "33.33"], "100.00", 3, TWO_THIRDS, False),
    # 3 x 0.74 == 2 x 1.11 exactly; with floats 3*0.74 < 2*1.11.
    (
        "exactly two-thirds where float cross-multiplication errs",
        ["0.37", "0.37"],
        "1.11",
        3,
        TWO_THIRDS,
        True,
    ),
    # The RULES §4 example: 167.08 is exactly two-thirds of 250.62.
    ("RULES example 167.08 of 250.62", ["89.50", "40.00", "37.58"], "250.62", 4, TWO_THIRDS, True),
    ("RULES example minus one hundredth", ["89.50", "40.00", "37.57"], "250.61", 4, TWO_THIRDS, False),
    # The rules of procedure may raise the quorum (民法典 第278条 sets only the floor).
    ("a quorum raised to three-quarters, exactly met", ["25.00"] * 3, "100.00", 4, Fraction(3, 4), True),
    (
        "a quorum raised to three-quarters, one hundredth short",
        ["25.00", "25.00", "24.99"],
        "100.00",
        4,
        Fraction(3, 4),
        False,
    ),
    ("everyone must take part when the quorum is 1", ["50.00", "49.99"], "100.00", 2, Fraction(1), False),
]


@pytest.mark.parametrize(
    ("areas", "total_area", "total_heads", "quorum", "met"),
    [case[1:] for case in QUORUM_CASES],
    ids=[case[0] for case in QUORUM_CASES],
)
def test_it_meets_the_quorum_at_or_above_the_fraction_of_both_area_and_heads(
    areas: list[str], total_area: str, total_heads: int, quorum: Fraction, met: bool
) -> None:
    """quorum_met ⇔ participating area ≥ q × total area AND participating heads ≥ q × total heads."""
    result = count(
        ballots_for(*[(a, YES) for a in areas]), total_area=total_area, total_heads=total_heads, quorum=quorum
    )
    assert result.quorum_met is met
    assert result.participation.heads == len(areas)
    assert result.matters["M"].passed is met  # everyone said yes: only the quorum decides


# ---------------------------------------------------------------------------------------------
# Matters: ordinary (过半数) and special (四分之三以上)
# ---------------------------------------------------------------------------------------------

MATTER_CASES = [
    # id, category, ballots (area, choice), passed
    (
        "ordinary: exactly half the area fails",
        ORDINARY,
        [("50.00", YES), ("25.00", YES), ("75.00", NO)],
        False,
    ),
    (
        "ordinary: exactly half the heads fails",
        ORDINARY,
        [("70.00", YES), ("10.00", YES), ("10.00", NO), ("10.00", NO)],
        False,
    ),
    (
        "ordinary: one hundredth over half passes",
        ORDINARY,
        [("50.00", YES), ("25.01", YES), ("75.00", NO)],
        True,
    ),
    (
        "ordinary: area majority without head majority fails",
        ORDINARY,
        [("90.00", YES), ("5.00", NO), ("5.00", NO)],
        False,
    ),
    (
        "ordinary: head majority without area majority fails",
        ORDINARY,
        [("5.00", YES), ("5.00", YES), ("90.00", NO)],
        False,
    ),
    # 0.10 + 0.20 is exactly 0.30, half of 0.60; in floats 0.1 + 0.2 > 0.3 would pass it.
    (
        "ordinary: 0.10 + 0.20 is exactly half of 0.60",
        ORDINARY,
        [("0.10", YES), ("0.20", YES), ("0.30", NO)],
        False,
    ),
    (
        "ordinary: abstentions stay in the denominator",
        ORDINARY,
        [("10.00", YES), ("10.00", ABSTAIN), ("10.00", ABSTAIN)],
        False,
    ),
    (
        "ordinary: yes beats no but not the participation",
        ORDINARY,
        [("40.00", YES), ("30.00", NO), ("30.00", ABSTAIN)],
        False,
    ),
    (
        "ordinary: a blank matter is an abstention",
        ORDINARY,
        [("10.00", YES), ("10.00", None), ("10.00", None)],
        False,
    ),
    (
        "ordinary: two of three with one abstaining passes",
        ORDINARY,
        [("10.00", YES), ("10.00", YES), ("10.00", ABSTAIN)],
        True,
    ),
    (
        "special: exactly three-quarters passes",
        SPECIAL,
        [("25.00", YES), ("25.00", YES), ("25.00", YES), ("25.00", NO)],
        True,
    ),
    # 0.10 + 0.10 + 0.10 is exactly three-quarters of 0.40; floats make it fall short.
    (
        "special: three-quarters of 0.40 in tenths",
        SPECIAL,
        [("0.10", YES), ("0.10", YES), ("0.10", YES), ("0.10", NO)],
        True,
    ),
    (
        "special: one hundredth short of the area fails",
        SPECIAL,
        [("25.00", YES), ("25.00", YES), ("24.99", YES), ("25.01", NO)],
        False,
    ),
    ("special: two of three heads fails", SPECIAL, [("45.00", YES), ("45.00", YES), ("10.00", NO)], False),
    (
        "special: an abstention counts against",
        SPECIAL,
        [("25.00", YES), ("25.00", YES), ("25.00", YES), ("25.00", ABSTAIN), ("0.01", ABSTAIN)],
        False,
    ),
    (
        "special: two-thirds passes an ordinary matter only",
        ORDINARY,
        [("45.00", YES), ("45.00", YES), ("10.00", NO)],
        True,
    ),
]


@pytest.mark.parametrize(
    ("category", "rows", "passed"),
    [case[1:] for case in MATTER_CASES],
    ids=[case[0] for case in MATTER_CASES],
)
def test_it_passes_a_matter_only_on_the_statutory_majority_of_area_and_heads(
    category: Category, rows: list[tuple[str, Choice | None]], passed: bool
) -> None:
    """Ordinary: 2·yes > participation (area and heads); special: 4·yes ≥ 3·participation (both)."""
    result = count(ballots_for(*rows), category=category)
    assert result.quorum_met
    assert result.matters["M"].passed is passed


def test_it_counts_a_blank_matter_exactly_like_an_explicit_abstention() -> None:
    """A valid ballot that leaves a matter blank is an abstention, in area and heads."""
    blank = count(ballots_for(("10.00", YES), ("20.50", None)))
    explicit = count(ballots_for(("10.00", YES), ("20.50", ABSTAIN)))
    assert blank == explicit
    m = blank.matters["M"]
    assert (m.yes.area, m.yes.heads) == (D("10.00"), 1)
    assert (m.no.area, m.no.heads) == (D("0.00"), 0)
    assert (m.abstain.area, m.abstain.heads) == (D("20.50"), 1)


def test_it_leaves_a_rejected_ballot_out_of_participation_and_every_count() -> None:
    """A rejected ballot (unsigned, unverifiable) neither participates nor votes."""
    ballots = [
        ballot("v1", "40.00", YES),
        ballot("v2", "40.00", NO),
        ballot("v3", "60.00", YES, valid=False),
    ]
    result = count(ballots, total_area="140.00", total_heads=3)
    assert (result.participation.area, result.participation.heads) == (D("80.00"), 2)
    assert result.quorum_met is False  # 80 of 140 is short of two-thirds, 2 of 3 heads is not
    m = result.matters["M"]
    assert m.yes.heads == 1 and m.no.heads == 1 and m.abstain.heads == 0
    assert m.passed is False


def test_it_accepts_a_rejected_ballot_beside_the_same_voters_valid_one() -> None:
    """Only two *valid* ballots for one voter are a contradiction; the rejected one is ignored."""
    result = count(
        [ballot("v1", "10.00", NO, valid=False), ballot("v1", "10.00", YES)],
        total_area="10.00",
        total_heads=1,
    )
    assert result.matters["M"].yes.heads == 1
    assert result.participation.heads == 1


def test_it_refuses_two_valid_ballots_for_one_voter() -> None:
    """Counting a voter twice would break one head per voter, so the tally refuses outright."""
    with pytest.raises(ValueError, match="two valid ballots for voter v1"):
        count([ballot("v1", "10.00", YES), ballot("v1", "10.00", NO)], total_area="10.00", total_heads=1)


# ---------------------------------------------------------------------------------------------
# Races
# ---------------------------------------------------------------------------------------------


def race_result(seats: int, candidates: str, rows: list[tuple[str, list[str]]]) -> RaceResult:
    """Run one race "R"; ``rows`` are (area, ticks) of voters who all take part."""
    spec = RaceSpec("R", seats, tuple(candidates))
    ballots = [ballot(f"v{i}", area, YES, ticks={"R": ticks}) for i, (area, ticks) in enumerate(rows)]
    return count(ballots, races=(spec,)).races["R"]


def standing_rows(seats: int, voters: int, heads: dict[str, int]) -> list[tuple[str, list[str]]]:
    """Voters of 10.00 each whose ticks give each candidate ``heads[key]`` votes.

    Ticks are dealt round the voters in turn, so no voter ticks a candidate twice and none ticks
    more than ``seats`` as long as the total fits ``seats × voters``.
    """
    assert sum(heads.values()) <= seats * voters
    ticks: list[list[str]] = [[] for _ in range(voters)]
    position = 0
    for key, n in heads.items():
        for _ in range(n):
            ticks[position % voters].append(key)
            position += 1
    return [("10.00", t) for t in ticks]


def standings(seats: int, voters: int, heads: dict[str, int]) -> RaceResult:
    """Run a race (candidates in the order of ``heads``) with the standings ``heads``."""
    result = race_result(seats, "".join(heads), standing_rows(seats, voters, heads))
    assert result.invalid_ballots == 0
    assert {k: c.yes.heads for k, c in result.candidates.items()} == heads
    return result


def test_it_voids_an_over_ticked_ballot_for_that_race_only_and_keeps_it_in_the_denominator() -> None:
    """Ticking more than `seats` gives nobody a vote, counts as invalid, but still participates."""
    spec = RaceSpec("R", 1, ("A", "B"))
    other = RaceSpec("S", 1, ("X",))
    ballots = [
        ballot("v1", "10.00", YES, ticks={"R": ["A"], "S": ["X"]}),
        ballot("v2", "10.00", YES, ticks={"R": ["A"], "S": ["X"]}),
        ballot("v3", "10.00", YES, ticks={"R": ["A", "B"], "S": ["X"]}),
        ballot("v4", "10.00", NO, ticks={"R": ["A", "B"], "S": ["X"]}),
    ]
    result = count(ballots, races=(spec, other))
    r = result.races["R"]
    assert r.invalid_ballots == 2
    assert r.candidates["A"].yes == Weight(D("20.00"), 2)  # 2 of 4: exactly half, A does not qualify
    assert r.candidates["B"].yes == Weight(D("0.00"), 0)
    assert not r.candidates["A"].qualified
    assert r.elected == ()
    assert result.participation.heads == 4
    assert result.races["S"].invalid_ballots == 0
    assert result.races["S"].elected == ("X",)  # the over-ticked ballots still count in race S
    assert result.matters["M"].yes.heads == 3  # and on the matter


def test_it_accepts_a_ballot_ticking_exactly_the_number_of_seats_or_none() -> None:
    """A full ballot is valid; a ballot with no ticks participates and gives nobody a vote."""
    r = race_result(2, "ABC", [("10.00", ["A", "B"]), ("10.00", ["B", "A"]), ("10.00", [])])
    assert r.invalid_ballots == 0
    assert r.elected == ("A", "B")
    assert r.candidates["C"].yes.heads == 0


def test_it_ranks_qualified_candidates_by_heads_before_area() -> None:
    """A: 4 heads, 62.00; B: 3 heads, 98.00. Heads rank first, so A is elected before B."""
    rows = [
        ("30.00", ["A", "B"]),
        ("30.00", ["A", "B"]),
        ("1.00", ["A"]),
        ("1.00", ["A"]),
        ("38.00", ["B"]),
    ]
    r = race_result(2, "BA", rows)
    assert r.candidates["A"].yes == Weight(D("62.00"), 4)
    assert r.candidates["B"].yes == Weight(D("98.00"), 3)
    assert r.elected == ("A", "B")


def test_it_ranks_candidates_of_equal_heads_by_area() -> None:
    """A and B both 4 heads; B has more area, so B ranks first."""
    rows = [
        ("30.00", ["A", "B"]),
        ("30.00", ["A", "B"]),
        ("1.00", ["A", "B"]),
        ("1.00", ["A"]),
        ("38.00", ["B"]),
    ]
    r = race_result(2, "AB", rows)
    assert r.candidates["A"].yes == Weight(D("62.00"), 4)
    assert r.candidates["B"].yes == Weight(D("99.00"), 4)
    assert r.elected == ("B", "A")


def test_it_lists_candidates_of_equal_rank_in_ballot_order_when_all_are_elected() -> None:
    """Equal heads and area: elected in the race's candidate order, whatever the tick order."""
    r = race_result(3, "BCA", [("10.00", ["C", "B"]), ("10.00", ["C", "B"]), ("10.00", ["A"])])
    assert r.elected == ("B", "C")
    assert r.tied == ()
    assert not r.candidates["A"].qualified


def test_it_elects_nobody_of_a_group_tied_at_the_last_seat_but_elects_those_above() -> None:
    """X ranks first; Y and Z tie (3 heads, 30.00 each) for the last seat: X elected, Z and Y tied."""
    r = standings(2, 5, {"Z": 3, "X": 4, "Y": 3})
    assert r.candidates["Z"].yes == r.candidates["Y"].yes == Weight(D("30.00"), 3)
    assert all(c.qualified for c in r.candidates.values())
    assert r.elected == ("X",)
    assert r.tied == ("Z", "Y")  # ballot order
    assert r.alternates == ()


def test_it_elects_a_tied_group_that_exactly_fills_the_remaining_seats() -> None:
    """A tie only matters when it would overfill: Y and Z share the last two of three seats."""
    r = standings(3, 10, {"Z": 7, "Y": 7, "X": 8})
    assert r.elected == ("X", "Z", "Y")
    assert r.tied == ()


def test_it_reports_a_tie_for_every_seat_when_all_qualified_share_one_rank() -> None:
    """Three equal candidates for two seats: nobody is elected, all three are tied."""
    r = standings(2, 6, {"A": 4, "B": 4, "C": 4})
    assert r.elected == ()
    assert r.tied == ("A", "B", "C")


def test_it_elects_the_qualified_when_fewer_qualify_than_there_are_seats() -> None:
    """Three seats, one candidate with a majority: one elected, a by-election fills the rest."""
    r = race_result(3, "ABC", [("10.00", ["A", "B"]), ("10.00", ["A", "C"]), ("10.00", ["A"])])
    assert r.elected == ("A",)
    assert r.tied == ()
    assert r.alternates == ()
    assert [k for k, c in r.candidates.items() if c.qualified] == ["A"]


def test_it_names_the_qualified_candidates_below_the_elected_as_alternates_in_rank_order() -> None:
    """候补委员: qualified, neither elected nor tied, in rank order (RULES §5)."""
    r = standings(3, 10, {"E": 0, "D": 6, "C": 7, "B": 8, "A": 9})
    assert r.elected == ("A", "B", "C")
    assert r.alternates == ("D",)
    assert not r.candidates["E"].qualified


def test_it_names_no_alternates_from_a_tied_group() -> None:
    """Candidates tied at the last seat await a run-off, so they are not alternates yet."""
    r = standings(4, 10, {"D": 6, "C": 6, "B": 7, "A": 7, "E": 6})
    assert r.elected == ("B", "A")
    assert r.tied == ("D", "C", "E")
    assert r.alternates == ()


def test_it_keeps_alternates_out_of_the_result_json() -> None:
    """yezhu-result/1 has exactly the fields of RULES §4; alternates live on the dataclass only."""
    rows = standing_rows(3, 10, {"A": 9, "B": 8, "C": 7, "D": 6})
    ballots = [ballot(f"v{i}", area, YES, ticks={"R": t}) for i, (area, t) in enumerate(rows)]
    result = count(ballots, races=(RaceSpec("R", 3, ("A", "B", "C", "D")),))
    assert result.races["R"].alternates == ("D",)
    data = result_to_dict(result)
    assert list(data["races"]["R"]) == ["seats", "invalid_ballots", "elected", "tied", "candidates"]
    assert "alternates" not in json.dumps(data)


def test_it_fails_every_matter_and_elects_nobody_without_quorum() -> None:
    """Below quorum even a unanimous yes passes nothing and qualifies no candidate; counts are still shown."""
    result = tally(
        TallyInput(
            TWO_THIRDS,
            D("100.00"),
            2,
            [MatterSpec("M", ORDINARY), MatterSpec("S", SPECIAL)],
            [RaceSpec("R", 2, ("A", "B"))],
            [BallotInput("v1", D("60.00"), True, {"M": YES, "S": YES}, {"R": ["A", "B"]})],
        )
    )
    assert result.quorum_met is False  # 60% of the area, 1 of 2 heads
    assert not any(m.passed for m in result.matters.values())
    assert result.matters["M"].yes == Weight(D("60.00"), 1)
    r = result.races["R"]
    assert r.elected == () and r.tied == () and r.alternates == ()
    assert all(not c.qualified for c in r.candidates.values())
    assert r.candidates["A"].yes == Weight(D("60.00"), 1)


# ---------------------------------------------------------------------------------------------
# Exactness and the result JSON
# ---------------------------------------------------------------------------------------------


def test_it_sums_areas_exactly_where_floats_drift() -> None:
    """Ten voters of 0.10 make exactly 1.00, and three of 33.33/33.33/33.34 exactly 100.00."""
    result = count(ballots_for(*[("0.10", YES)] * 10))
    assert result.participation.area == D("1.00")
    assert result.matters["M"].yes.area == D("1.00")
    assert sum(0.1 for _ in range(10)) != 1.0  # what a float tally would have had to cope with
    result = count(ballots_for(("33.33", YES), ("33.33", NO), ("33.34", ABSTAIN)))
    assert result.totals.area == D("100.00")
    assert result_to_dict(result)["participation"]["area"] == "100.00"


@pytest.mark.parametrize(
    ("area", "hundredths"),
    [(D("89.50"), 8950), (D("89.5"), 8950), (D("1.500"), 150), (D("0.01"), 1), (D("1E+2"), 10000)],
)
def test_it_reads_areas_as_exact_hundredths(area: Decimal, hundredths: int) -> None:
    """Any Decimal worth a whole number of hundredths is accepted, whatever its exponent."""
    assert to_hundredths(area) == hundredths
    assert area_from_hundredths(hundredths) == area


@pytest.mark.parametrize("area", [D("0.001"), D("1.005"), D("NaN"), D("Infinity"), 1.5])
def test_it_refuses_an_area_finer_than_a_hundredth_or_not_a_decimal(area: object) -> None:
    """Sub-hundredth areas and floats would make the count inexact, so they are refused."""
    with pytest.raises(ValueError):
        to_hundredths(area)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ballots", "message"),
    [
        ([BallotInput("v", D("1.00"), True, {"X": YES})], "unknown matter X"),
        ([BallotInput("v", D("1.00"), True, {"M": "maybe"})], "unknown choice"),  # type: ignore[dict-item]
        ([BallotInput("v", D("1.00"), True, {}, {"Q": []})], "unknown race Q"),
        ([BallotInput("v", D("1.00"), True, {}, {"R": ["Z"]})], "unknown candidate Z"),
        ([BallotInput("v", D("1.00"), True, {}, {"R": ["A", "A"]})], "ticked twice"),
        ([BallotInput("v", D("2.00"), True)], "exceeds"),
    ],
)
def test_it_refuses_input_no_valid_bundle_can_produce(ballots: list[BallotInput], message: str) -> None:
    """The tally double-checks what bundle and services validate, rather than count nonsense."""
    with pytest.raises(ValueError, match=message):
        tally(TallyInput(TWO_THIRDS, D("1.00"), 1, [MatterSpec("M")], [RaceSpec("R", 2, ("A",))], ballots))


@pytest.mark.parametrize(
    ("quorum", "total_area", "total_heads"),
    [(Fraction(0), "1.00", 1), (Fraction(4, 3), "1.00", 1), (TWO_THIRDS, "0.00", 0)],
)
def test_it_refuses_a_quorum_outside_zero_to_one_or_an_empty_roll(
    quorum: Fraction, total_area: str, total_heads: int
) -> None:
    """A quorum must be a fraction in (0, 1], and there is nothing to count on an empty roll."""
    with pytest.raises(ValueError):
        tally(TallyInput(quorum, D(total_area), total_heads, [], [], []))


# ---------------------------------------------------------------------------------------------
# The floors of 民法典 第278条: raised by the rules of procedure, never lowered
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("quorum", Fraction(665, 1000)),  # just below two-thirds
        ("quorum", Fraction(1, 2)),
        ("quorum", Fraction(1, 3)),
        ("ordinary", Fraction(499, 1000)),
        ("ordinary", Fraction(1, 3)),
        ("special", Fraction(749, 1000)),
        ("special", Fraction(2, 3)),
    ],
)
def test_it_refuses_a_floor_of_article_278_lowered_naming_the_article(name: str, value: Fraction) -> None:
    """民法典 第278条: a quorum below 2/3, an ordinary threshold below 1/2 or a special one below 3/4
    is refused, and the message names the article."""
    values = {"quorum": TWO_THIRDS, "ordinary": Fraction(1, 2), "special": Fraction(3, 4), name: value}
    with pytest.raises(ValueError, match="民法典 第278条") as error:
        tally(TallyInput(values["quorum"], D("1.00"), 1, [], [], [], values["ordinary"], values["special"]))
    assert name in str(error.value) and str(value) in str(error.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("quorum", Fraction(2, 3)),  # exactly two-thirds: the floor itself
        ("quorum", Fraction(4, 6)),  # the same fraction written otherwise
        ("quorum", Fraction(667, 1000)),
        ("quorum", Fraction(1)),
        ("ordinary", Fraction(1, 2)),
        ("ordinary", Fraction(2, 3)),
        ("special", Fraction(3, 4)),
        ("special", Fraction(1)),
    ],
)
def test_it_accepts_article_278_floors_exactly_or_raised(name: str, value: Fraction) -> None:
    """民法典 第278条: the floor itself (exactly 2/3, 1/2, 3/4) and any raised value are accepted."""
    values = {"quorum": TWO_THIRDS, "ordinary": Fraction(1, 2), "special": Fraction(3, 4), name: value}
    result = tally(
        TallyInput(values["quorum"], D("1.00"), 1, [], [], [], values["ordinary"], values["special"])
    )
    assert result.totals.heads == 1


def test_it_refuses_an_ordinary_threshold_of_one_that_nothing_could_pass() -> None:
    """ "More than all" passes nothing: an ordinary threshold must stay below 1."""
    with pytest.raises(ValueError, match="below 1"):
        tally(TallyInput(TWO_THIRDS, D("1.00"), 1, [], [], [], Fraction(1)))


def test_it_passes_an_ordinary_matter_raised_to_two_thirds_only_above_two_thirds() -> None:
    """Rules of procedure raise ordinary matters to "more than 2/3" (民法典 第278条 allows raising):
    exactly two-thirds of area and heads fails, one hundredth more with a head more passes."""
    exact = ballots_for(("100.00", YES), ("100.00", YES), ("100.00", NO))
    result = tally(TallyInput(TWO_THIRDS, D("300.00"), 3, [MatterSpec("M")], [], exact, Fraction(2, 3)))
    assert result.quorum_met and not result.matters["M"].passed
    above = ballots_for(("100.00", YES), ("100.00", YES), ("100.00", YES), ("100.00", NO))
    result = tally(TallyInput(TWO_THIRDS, D("400.00"), 4, [MatterSpec("M")], [], above, Fraction(2, 3)))
    assert result.matters["M"].passed  # 3/4 > 2/3 on both


def test_it_applies_a_raised_ordinary_threshold_to_candidates_too() -> None:
    """Electing members is an ordinary matter (民法典 第278条 (3)): a raised threshold qualifies fewer."""
    races = (RaceSpec("R", 1, ("A",)),)
    two_of_three = [
        BallotInput("v0", D("1.00"), True, {}, {"R": ["A"]}),
        BallotInput("v1", D("1.00"), True, {}, {"R": ["A"]}),
        BallotInput("v2", D("1.00"), True, {}, {"R": []}),
    ]
    default = tally(TallyInput(TWO_THIRDS, D("3.00"), 3, [], races, two_of_three))
    raised = tally(TallyInput(TWO_THIRDS, D("3.00"), 3, [], races, two_of_three, Fraction(2, 3)))
    assert default.races["R"].elected == ("A",)
    assert raised.races["R"].elected == () and not raised.races["R"].candidates["A"].qualified


def test_it_passes_a_special_matter_raised_to_four_fifths_at_exactly_four_fifths() -> None:
    """ "At least" stays inclusive when raised (民法典 第1259条): exactly 4/5 passes, just under fails."""
    yes4 = ballots_for(*[("1.00", YES)] * 4, ("1.00", NO))
    spec = [MatterSpec("M", Category.SPECIAL)]
    assert (
        tally(TallyInput(TWO_THIRDS, D("5.00"), 5, spec, [], yes4, special=Fraction(4, 5)))
        .matters["M"]
        .passed
    )
    short = ballots_for(*[("1.00", YES)] * 3, ("1.01", YES), ("1.02", NO))
    result = tally(TallyInput(TWO_THIRDS, D("5.03"), 5, spec, [], short, special=Fraction(4, 5)))
    assert not result.matters["M"].passed  # heads 4/5, area 4.01/5.03 < 4/5


def test_it_writes_the_result_json_in_the_shape_and_key_order_of_rules_section_4() -> None:
    """Areas as strings with two decimals, heads as integers, keys in the documented order."""
    result = tally(
        TallyInput(
            TWO_THIRDS,
            D("250.62"),
            4,
            [MatterSpec("M1", ORDINARY)],
            [RaceSpec("R1", 7, ("C1",))],
            [
                BallotInput("a", D("89.5"), True, {"M1": YES}, {"R1": ["C1"]}),
                BallotInput("b", D("40"), True, {"M1": YES}, {"R1": ["C1"]}),
                BallotInput("c", D("37.58"), True, {"M1": YES}, {}),
            ],
        )
    )
    expected = {
        "format": "yezhu-result/1",
        "totals": {"area": "250.62", "heads": 4},
        "participation": {"area": "167.08", "heads": 3, "quorum_met": True},
        "matters": {
            "M1": {
                "yes": {"area": "167.08", "heads": 3},
                "no": {"area": "0.00", "heads": 0},
                "abstain": {"area": "0.00", "heads": 0},
                "passed": True,
            }
        },
        "races": {
            "R1": {
                "seats": 7,
                "invalid_ballots": 0,
                "elected": ["C1"],
                "tied": [],
                "candidates": {"C1": {"yes": {"area": "129.50", "heads": 2}, "qualified": True}},
            }
        },
    }
    assert json.dumps(result_to_dict(result)) == json.dumps(expected)  # compares key order too
