"""The pure tally: who counts, how much, and what passes (RULES.md §1–§3).

Nothing here imports Django. Plain dataclasses go in and come out, so the same code serves the
live tally, ``manage.py recount`` and the tests, and a published result can be re-counted by
anyone from an exported bundle.

All arithmetic is exact. Areas (专有部分面积) arrive as ``Decimal`` with at most two fractional
digits and are turned into integer hundredths of a square metre on the way in; every threshold
is a comparison of integers, cross-multiplied, so a two-thirds quorum (三分之二以上) is met at
exactly two-thirds and a majority (过半数) fails at exactly half, as 民法典 第1259条 requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "DEVELOPER",
    "FLOOR_ARTICLE",
    "ORDINARY_FLOOR",
    "QUORUM_FLOOR",
    "SPECIAL_FLOOR",
    "RESULT_FORMAT",
    "BallotInput",
    "CandidateResult",
    "Category",
    "Choice",
    "MatterResult",
    "MatterSpec",
    "RaceResult",
    "RaceSpec",
    "Result",
    "TallyInput",
    "UnitRow",
    "UnitStatus",
    "Voter",
    "Weight",
    "area_from_hundredths",
    "build_voters",
    "floor_problem",
    "result_to_dict",
    "roll_totals",
    "tally",
    "to_hundredths",
]

RESULT_FORMAT = "yezhu-result/1"

#: The key of the developer's voter (建设单位): all its units (unsold, sold but undelivered, and
#: those registered to the developer itself), one head (解释 第9条).
DEVELOPER = "developer"

# The statutory floors of 民法典 第278条. They are mandatory: an election's rules of procedure
# (议事规则) may raise them, never lower them (RULES.md §2), so the tally refuses a lower value
# instead of counting with it.
FLOOR_ARTICLE = "民法典 第278条"
#: Quorum (参与表决): at least (以上) two-thirds of the area and of the heads.
QUORUM_FLOOR = Fraction(2, 3)
#: Ordinary matters and candidates: more than (过半数) half of the participating area and heads.
ORDINARY_FLOOR = Fraction(1, 2)
#: Special matters (278 (6)–(8)): at least (以上) three-quarters of the participating area and heads.
SPECIAL_FLOOR = Fraction(3, 4)


class UnitStatus(StrEnum):
    """Whether a unit has reached a buyer; only delivered units count for their owners."""

    DELIVERED = "delivered"  # 已交付
    UNSOLD = "unsold"  # 未出售
    SOLD_UNDELIVERED = "sold_undelivered"  # 已出售但尚未交付


class Category(StrEnum):
    """The threshold a matter needs (民法典 第278条)."""

    ORDINARY = "ordinary"  # 一般事项: more than half (过半数) of area and of heads
    SPECIAL = "special"  # 重大事项 (278 (6)–(8)): three-quarters or more (四分之三以上)


class Choice(StrEnum):
    """One answer on a matter; a blank matter on a valid ballot counts as ``ABSTAIN``."""

    YES = "yes"  # 同意
    NO = "no"  # 反对
    ABSTAIN = "abstain"  # 弃权


# ---------------------------------------------------------------------------------------------
# Exact areas
# ---------------------------------------------------------------------------------------------


def to_hundredths(area: Decimal) -> int:
    """Return ``area`` in integer hundredths, refusing anything finer than 0.01.

    ``as_integer_ratio`` is exact for every finite ``Decimal`` and ignores the decimal context,
    so no precision setting anywhere can round an area silently.
    """
    if not isinstance(area, Decimal) or not area.is_finite():
        raise ValueError(f"area must be a finite Decimal, got {area!r}")
    numerator, denominator = area.as_integer_ratio()
    scaled = numerator * 100
    if scaled % denominator:
        raise ValueError(f"area {area} has more than two decimals")
    return scaled // denominator


def area_from_hundredths(hundredths: int) -> Decimal:
    """Return integer hundredths as a ``Decimal`` with exactly two decimals (``Decimal("0.00")``)."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return Decimal(f"{sign}{whole}.{cents:02d}")


@dataclass(frozen=True, slots=True)
class Weight:
    """A voting weight: area (面积) and heads (人数), the two quantities every threshold tests."""

    area: Decimal
    heads: int


# ---------------------------------------------------------------------------------------------
# The roll: units → voters (RULES §1)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit (专有部分) of the roll, as the roll code or a bundle hands it over.

    ``owners`` is the set of registered owner ids (共有人 together are one owner); it is ignored
    for the developer's units.
    """

    id: str
    area: Decimal
    status: UnitStatus
    owners: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Voter:
    """One voter: the developer or one buyer (a set of owners) with all their units.

    The weight is ``area`` (the sum of the units' areas) and exactly one head (业主人数), whatever
    the number of units: 建筑物区分所有权司法解释 第9条.
    """

    key: str
    area: Decimal
    units: tuple[str, ...]


def _buyer_key(owners: frozenset[str]) -> str:
    """Return a key that depends only on the *set* of owners, so {A, B} and {B, A} agree.

    Commas and backslashes inside owner ids are escaped so that two different sets can never
    produce the same key; the ``owners:`` prefix keeps it apart from ``DEVELOPER``.
    """
    escaped = sorted(owner.replace("\\", "\\\\").replace(",", "\\,") for owner in owners)
    return "owners:" + ",".join(escaped)


def build_voters(
    units: Iterable[UnitRow], developer: str | None = None
) -> tuple[list[Voter], dict[str, str]]:
    """Group the roll's units into voters; return ``(voters, unit id → voter key)``.

    - every unsold or sold-but-undelivered unit belongs to one developer voter (key
      ``DEVELOPER``), present only if there is at least one such unit;
    - a delivered unit whose owners are exactly ``{developer}`` (the developer's owner id, when
      the roll knows it) is the developer's own (自持) and belongs to the same developer voter:
      the developer is one legal person holding several units, one owner (解释 第9条);
    - every other delivered unit belongs to the voter of exactly its set of owners, so a buyer
      with several units is one head, and co-owners are one owner whatever order they are listed
      in. A set that merely contains the developer ({developer, A}) is a buyer of its own.

    Voters come in the order of their first unit; each voter's units keep the input order.
    Raises ``ValueError`` for a duplicate unit id, a non-positive area or a delivered unit with
    no owner: the callers (roll import, bundle) report those earlier with a friendlier message.
    """
    own = frozenset({developer}) if developer is not None else None
    areas: dict[str, int] = {}
    members: dict[str, list[str]] = {}
    unit_to_voter: dict[str, str] = {}
    for unit in units:
        if unit.id in unit_to_voter:
            raise ValueError(f"unit {unit.id}: duplicate unit id")
        hundredths = to_hundredths(unit.area)
        if hundredths <= 0:
            raise ValueError(f"unit {unit.id}: area must be positive")
        status = UnitStatus(unit.status)
        if status is UnitStatus.DELIVERED:
            if not unit.owners:
                raise ValueError(f"unit {unit.id}: delivered unit with no owner")
            owners = frozenset(unit.owners)
            key = DEVELOPER if owners == own else _buyer_key(owners)
        else:
            key = DEVELOPER
        unit_to_voter[unit.id] = key
        if key in members:
            members[key].append(unit.id)
            areas[key] += hundredths
        else:
            members[key] = [unit.id]
            areas[key] = hundredths
    voters = [Voter(key, area_from_hundredths(areas[key]), tuple(ids)) for key, ids in members.items()]
    return voters, unit_to_voter


def roll_totals(voters: Iterable[Voter]) -> Weight:
    """Return the roll's total area (sum over all units) and total heads (number of voters)."""
    hundredths = 0
    heads = 0
    for voter in voters:
        hundredths += to_hundredths(voter.area)
        heads += 1
    return Weight(area_from_hundredths(hundredths), heads)


# ---------------------------------------------------------------------------------------------
# Tally input
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatterSpec:
    """A matter put to the vote (表决事项) and the threshold it needs."""

    key: str
    category: Category = Category.ORDINARY


@dataclass(frozen=True, slots=True)
class RaceSpec:
    """A race (选举): ``seats`` members from ``candidates`` (差额/等额选举), in ballot order."""

    key: str
    seats: int
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BallotInput:
    """One ballot (选票), already resolved to its voter.

    ``area`` is the voter's whole area. A rejected ballot (``valid=False``: unsigned, unverifiable)
    is carried along for the record but does not participate. ``matters`` maps matter keys to
    choices (missing = abstain); ``races`` maps race keys to the ticked candidate keys.
    """

    voter: str
    area: Decimal
    valid: bool = True
    matters: Mapping[str, Choice] = field(default_factory=dict)
    races: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TallyInput:
    """Everything the tally needs: quorum, roll totals, what is voted on, and the ballots.

    ``ordinary`` and ``special`` are the thresholds of the two categories of matter, as raised by
    the rules of procedure (or the statutory floors): an ordinary matter (and a candidate) needs
    *more than* ``ordinary`` of the participating area and heads, a special matter *at least*
    ``special`` of them, the comparisons of 民法典 第278条 itself.
    """

    quorum: Fraction
    total_area: Decimal
    total_heads: int
    matters: Sequence[MatterSpec]
    races: Sequence[RaceSpec]
    ballots: Sequence[BallotInput]
    ordinary: Fraction = ORDINARY_FLOOR
    special: Fraction = SPECIAL_FLOOR


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatterResult:
    """The count of one matter; ``yes + no + abstain`` equals the participation."""

    key: str
    category: Category
    yes: Weight
    no: Weight
    abstain: Weight
    passed: bool


@dataclass(frozen=True, slots=True)
class CandidateResult:
    """The votes for one candidate and whether they reach the majority (过半数) to qualify."""

    key: str
    yes: Weight
    qualified: bool


@dataclass(frozen=True, slots=True)
class RaceResult:
    """The outcome of one race.

    ``elected`` is in rank order (equal rank: ballot order), ``tied`` in ballot order.
    ``alternates`` (候补委员, RULES §5) are the qualified candidates that are neither elected nor
    tied, in rank order, at most ``seats`` of them; it is not part of the ``yezhu-result/1`` JSON.
    """

    key: str
    seats: int
    invalid_ballots: int
    elected: tuple[str, ...]
    tied: tuple[str, ...]
    alternates: tuple[str, ...]
    candidates: dict[str, CandidateResult]


@dataclass(frozen=True, slots=True)
class Result:
    """The whole tally; ``result_to_dict`` turns it into the ``yezhu-result/1`` JSON."""

    totals: Weight
    participation: Weight
    quorum_met: bool
    matters: dict[str, MatterResult]
    races: dict[str, RaceResult]


# ---------------------------------------------------------------------------------------------
# Counting
# ---------------------------------------------------------------------------------------------

_CHOICE_SLOT = {Choice.YES: 0, Choice.NO: 1, Choice.ABSTAIN: 2}


def _more_than(t: Fraction, yes_area: int, yes_heads: int, part_area: int, part_heads: int) -> bool:
    """超过 ``t``: strictly more than ``t`` of the participating area AND heads (过半数 at t = 1/2:
    exactly half fails). Cross-multiplied, so no rounding anywhere."""
    n, d = t.numerator, t.denominator
    return d * yes_area > n * part_area and d * yes_heads > n * part_heads


def _at_least(t: Fraction, yes_area: int, yes_heads: int, part_area: int, part_heads: int) -> bool:
    """``t`` 以上: at least ``t`` of the participating area AND heads (四分之三以上 at t = 3/4: exactly
    three-quarters passes)."""
    n, d = t.numerator, t.denominator
    return d * yes_area >= n * part_area and d * yes_heads >= n * part_heads


def floor_problem(name: str, value: Fraction) -> str | None:
    """Why ``value`` cannot be the election's ``name`` ("quorum", "ordinary" or "special"), or None.

    The floors of 民法典 第278条 are mandatory: a value below the floor is refused, whatever the
    rules of procedure say. Above, the value must still be a share: a quorum or a special
    threshold at most 1, an ordinary threshold ("more than") below 1, which nothing could pass.
    The message is one line and names the article.
    """
    floor, ceiling_ok = {
        "quorum": (QUORUM_FLOOR, value <= 1),
        "ordinary": (ORDINARY_FLOOR, value < 1),
        "special": (SPECIAL_FLOOR, value <= 1),
    }[name]
    if value < floor:
        return (
            f"{name} {value} is below the statutory floor {floor} ({FLOOR_ARTICLE}: "
            "the rules of procedure may raise it, never lower it)"
        )
    if not ceiling_ok:
        limit = "below 1" if name == "ordinary" else "at most 1"
        return f"{name} {value} must be {limit}"
    return None


def _check_specs(data: TallyInput) -> None:
    """Refuse a lowered floor or a share above one, an empty roll, duplicate keys, seats below 1."""
    for name in ("quorum", "ordinary", "special"):
        problem = floor_problem(name, getattr(data, name))
        if problem:
            raise ValueError(problem)
    if data.total_heads < 1 or to_hundredths(data.total_area) <= 0:
        raise ValueError("the roll is empty: total area and total heads must be positive")
    if len({m.key for m in data.matters}) != len(data.matters):
        raise ValueError("duplicate matter key")
    if len({r.key for r in data.races}) != len(data.races):
        raise ValueError("duplicate race key")
    for race in data.races:
        if race.seats < 1:
            raise ValueError(f"race {race.key}: seats must be at least 1")
        if len(set(race.candidates)) != len(race.candidates):
            raise ValueError(f"race {race.key}: duplicate candidate key")


def _fill_seats(
    ranking: list[tuple[int, int, int, str]], seats: int
) -> tuple[tuple[str, ...], tuple[str, ...], list[list[str]]]:
    """Fill ``seats`` down ``ranking``; return ``(elected, tied, groups left below)``.

    ``ranking`` holds ``(-yes_heads, -yes_area, ballot position, key)`` sorted ascending, so
    equal ranks sit together in ballot order. A group of equal rank that would overfill the
    remaining seats elects nobody and is reported as tied (RULES §3).
    """
    groups: list[list[str]] = []
    previous: tuple[int, int] | None = None
    for heads, area, _, key in ranking:
        if (heads, area) != previous:
            groups.append([])
            previous = (heads, area)
        groups[-1].append(key)

    elected: list[str] = []
    tied: list[str] = []
    index = 0
    while index < len(groups) and len(elected) < seats:
        group = groups[index]
        index += 1
        if len(elected) + len(group) <= seats:
            elected.extend(group)
        else:
            tied = group
            break
    return tuple(elected), tuple(tied), groups[index:]


def _alternates(groups_below: list[list[str]], places: int) -> tuple[str, ...]:
    """候补委员: the qualified candidates below the elected (and below any tie), in rank order.

    At most ``places`` of them (RULES §5). A ballot gives votes to at most ``seats`` candidates
    and qualifying takes more than half of the heads, so fewer than ``2 × seats`` candidates
    can qualify and the cap never actually cuts the list; it is kept because the rules state it.
    """
    return tuple(key for group in groups_below for key in group)[:places]


#: What one ballot gives in each race it answers: ``(race index, candidate positions)``, the
#: positions ``None`` where it ticks more candidates than seats (void for that race only).
_Picks = tuple[tuple[int, tuple[int, ...] | None], ...]


def _matter_slots(data: TallyInput, known: frozenset[str], ballot: BallotInput) -> tuple[int, ...]:
    """The count slot (yes, no, abstain) of each matter, in ``data.matters`` order, for ``ballot``.

    A blank matter is an abstention; an unknown matter or choice is refused.
    """
    choices = ballot.matters
    for key in choices:
        if key not in known:
            raise ValueError(f"voter {ballot.voter}: unknown matter {key}")
    slots = []
    for matter in data.matters:
        slot = _CHOICE_SLOT.get(choices.get(matter.key, Choice.ABSTAIN))  # blank = abstain
        if slot is None:
            raise ValueError(f"voter {ballot.voter}: unknown choice for matter {matter.key}")
        slots.append(slot)
    return tuple(slots)


def _race_picks(
    data: TallyInput,
    ballot: BallotInput,
    race_index: dict[str, int],
    candidate_index: list[dict[str, int]],
) -> _Picks:
    """What ``ballot`` gives in each race it answers (``_Picks``), in the ballot's order.

    More ticks than seats void the ballot for that race only (RULES §3). An unknown race or
    candidate, or a candidate ticked twice, is refused.
    """
    picks: list[tuple[int, tuple[int, ...] | None]] = []
    for key, ticks in ballot.races.items():
        r = race_index.get(key)
        if r is None:
            raise ValueError(f"voter {ballot.voter}: unknown race {key}")
        positions = candidate_index[r]
        if len(set(ticks)) != len(ticks):
            raise ValueError(f"voter {ballot.voter}: a candidate ticked twice in race {key}")
        for tick in ticks:
            if tick not in positions:
                raise ValueError(f"voter {ballot.voter}: unknown candidate {tick} in race {key}")
        if len(ticks) > data.races[r].seats:
            picks.append((r, None))
        else:
            picks.append((r, tuple(positions[tick] for tick in ticks)))
    return tuple(picks)


def tally(data: TallyInput) -> Result:
    """Count ``data`` exactly as RULES.md §3 says.

    Raises ``ValueError`` for input no valid roll or bundle can produce: two valid ballots for
    one voter, an unknown matter, race, candidate or choice, a candidate ticked twice, an area
    finer than 0.01, or participation larger than the roll.
    """
    _check_specs(data)
    race_index = {r.key: i for i, r in enumerate(data.races)}
    candidate_index = [{c: j for j, c in enumerate(r.candidates)} for r in data.races]

    # counts[matter][slot] = [area, heads]; yes[race][candidate] = [area, heads]
    matter_counts = [[[0, 0], [0, 0], [0, 0]] for _ in data.matters]
    race_yes = [[[0, 0] for _ in r.candidates] for r in data.races]
    race_invalid = [0] * len(data.races)

    # Ballots are summed per distinct answer, then each answer's total is added to its counts
    # once: per ballot only its area and heads are added. A mapping shared by many ballots (the
    # live tally hands the same dict to every ballot with the same text) is checked and
    # resolved to count slots once, by its identity (the cache holds the mapping too, so an id
    # is never reused for another one while the cache lives).
    # Integer sums are exact in any order, so the result is the same as ballot by ballot.
    known = frozenset(m.key for m in data.matters)
    matter_slots: dict[int, tuple[Mapping[str, Choice], tuple[int, ...]]] = {}
    race_picks: dict[int, tuple[Mapping[str, Sequence[str]], _Picks]] = {}
    by_matters: dict[tuple[int, ...], list[int]] = {}
    by_races: dict[_Picks, list[int]] = {}

    part_area = 0
    part_heads = 0
    seen: set[str] = set()
    for ballot in data.ballots:
        if not ballot.valid:
            continue  # a rejected ballot does not participate at all
        if ballot.voter in seen:
            raise ValueError(f"two valid ballots for voter {ballot.voter}")
        seen.add(ballot.voter)
        area = to_hundredths(ballot.area)
        if area <= 0:
            raise ValueError(f"voter {ballot.voter}: area must be positive")
        part_area += area
        part_heads += 1

        choices = ballot.matters
        seen_matters = matter_slots.get(id(choices))
        if seen_matters is not None and seen_matters[0] is choices:
            slots = seen_matters[1]
        else:
            slots = _matter_slots(data, known, ballot)
            matter_slots[id(choices)] = (choices, slots)
        cell = by_matters.get(slots)
        if cell is None:
            by_matters[slots] = [area, 1]
        else:
            cell[0] += area
            cell[1] += 1

        ticked = ballot.races
        seen_races = race_picks.get(id(ticked))
        if seen_races is not None and seen_races[0] is ticked:
            picks = seen_races[1]
        else:
            picks = _race_picks(data, ballot, race_index, candidate_index)
            race_picks[id(ticked)] = (ticked, picks)
        cell = by_races.get(picks)
        if cell is None:
            by_races[picks] = [area, 1]
        else:
            cell[0] += area
            cell[1] += 1

    for slots, (area, heads) in by_matters.items():
        for i, slot in enumerate(slots):
            cell = matter_counts[i][slot]
            cell[0] += area
            cell[1] += heads
    for picks, (area, heads) in by_races.items():
        for r, positions in picks:
            if positions is None:
                race_invalid[r] += heads  # void for this race only; the ballot still participates
                continue
            for j in positions:
                cell = race_yes[r][j]
                cell[0] += area
                cell[1] += heads

    total_area = to_hundredths(data.total_area)
    if part_area > total_area or part_heads > data.total_heads:
        raise ValueError("participation exceeds the roll's totals")
    q = data.quorum
    # 三分之二以上: "at least", so equality meets the quorum.
    quorum_met = (
        part_area * q.denominator >= q.numerator * total_area
        and part_heads * q.denominator >= q.numerator * data.total_heads
    )

    matters: dict[str, MatterResult] = {}
    for matter, counts in zip(data.matters, matter_counts, strict=True):
        (yes_a, yes_h), (no_a, no_h), (abs_a, abs_h) = counts
        if matter.category == Category.SPECIAL:
            agreed = _at_least(data.special, yes_a, yes_h, part_area, part_heads)
        else:
            agreed = _more_than(data.ordinary, yes_a, yes_h, part_area, part_heads)
        matters[matter.key] = MatterResult(
            key=matter.key,
            category=Category(matter.category),
            yes=Weight(area_from_hundredths(yes_a), yes_h),
            no=Weight(area_from_hundredths(no_a), no_h),
            abstain=Weight(area_from_hundredths(abs_a), abs_h),
            passed=quorum_met and agreed,
        )

    races: dict[str, RaceResult] = {}
    for r, race in enumerate(data.races):
        candidates: dict[str, CandidateResult] = {}
        ranking: list[tuple[int, int, int, str]] = []
        for j, key in enumerate(race.candidates):
            yes_a, yes_h = race_yes[r][j]
            qualified = quorum_met and _more_than(data.ordinary, yes_a, yes_h, part_area, part_heads)
            candidates[key] = CandidateResult(key, Weight(area_from_hundredths(yes_a), yes_h), qualified)
            if qualified:
                ranking.append((-yes_h, -yes_a, j, key))
        ranking.sort()
        elected, tied, below = _fill_seats(ranking, race.seats)
        races[race.key] = RaceResult(
            key=race.key,
            seats=race.seats,
            invalid_ballots=race_invalid[r],
            elected=elected,
            tied=tied,
            alternates=_alternates(below, race.seats),
            candidates=candidates,
        )

    return Result(
        totals=Weight(area_from_hundredths(total_area), data.total_heads),
        participation=Weight(area_from_hundredths(part_area), part_heads),
        quorum_met=quorum_met,
        matters=matters,
        races=races,
    )


# ---------------------------------------------------------------------------------------------
# yezhu-result/1
# ---------------------------------------------------------------------------------------------


def _format_area(area: Decimal) -> str:
    """Exactly two decimals, never through float: ``Decimal("89.5")`` → ``"89.50"``."""
    return str(area_from_hundredths(to_hundredths(area)))


def _weight(weight: Weight) -> dict[str, object]:
    return {"area": _format_area(weight.area), "heads": weight.heads}


def result_to_dict(result: Result) -> dict[str, object]:
    """Return ``result`` as the ``yezhu-result/1`` JSON object, keys in the order of RULES §4.

    Only the fields RULES §4 shows are written (no alternates, no categories), so the live tally
    and a recount of the exported bundle can be compared field for field.
    """
    return {
        "format": RESULT_FORMAT,
        "totals": _weight(result.totals),
        "participation": {
            "area": _format_area(result.participation.area),
            "heads": result.participation.heads,
            "quorum_met": result.quorum_met,
        },
        "matters": {
            key: {
                "yes": _weight(m.yes),
                "no": _weight(m.no),
                "abstain": _weight(m.abstain),
                "passed": m.passed,
            }
            for key, m in result.matters.items()
        },
        "races": {
            key: {
                "seats": race.seats,
                "invalid_ballots": race.invalid_ballots,
                "elected": list(race.elected),
                "tied": list(race.tied),
                "candidates": {
                    ckey: {"yes": _weight(c.yes), "qualified": c.qualified}
                    for ckey, c in race.candidates.items()
                },
            }
            for key, race in result.races.items()
        },
    }
