"""Read and check a ``yezhu-bundle/1`` export and recount it (RULES.md §4).

A bundle is everything needed to re-count an election without the database: the roll's units,
the matters and races, and every ballot. ``parse_bundle`` refuses anything RULES §4 calls
invalid with a ``BundleError`` whose message is one line naming the culprit (a unit id, a
ballot's position and unit, a matter, race or candidate key), so an auditor can find it.

Pure like ``tally.py``: no Django import, so ``manage.py recount`` needs no database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from elections.rules.chain import ballot_chain_choices, chain_break
from elections.rules.tally import (
    ORDINARY_FLOOR,
    QUORUM_FLOOR,
    SPECIAL_FLOOR,
    BallotInput,
    Category,
    Choice,
    MatterSpec,
    RaceSpec,
    TallyInput,
    UnitRow,
    UnitStatus,
    Voter,
    build_voters,
    floor_problem,
    result_to_dict,
    roll_totals,
    tally,
)

__all__ = [
    "BUNDLE_FORMAT",
    "DEFAULT_QUORUM",
    "Bundle",
    "BundleError",
    "dump_json",
    "load_json",
    "parse_bundle",
    "read_bundle",
    "recount",
]

BUNDLE_FORMAT = "yezhu-bundle/1"

#: 民法典 第278条: two-thirds of the area and two-thirds of the heads take part.
DEFAULT_QUORUM = QUORUM_FLOOR

# Areas are strings so that no JSON reader on the way turns 0.1 into 0.1000000000000000055; a
# JSON number is refused rather than guessed at. ASCII digits only: "８９.５" is not an area.
_AREA = re.compile(r"-?[0-9]+(?:\.[0-9]{1,2})?")
_QUORUM = re.compile(r"([0-9]{1,9})/([0-9]{1,9})")

_STATUSES = ", ".join(s.value for s in UnitStatus)
_CHOICES = ", ".join(c.value for c in Choice)
_CATEGORIES = ", ".join(c.value for c in Category)
_BALLOT_STATUSES = ("valid", "rejected")
# Plain dict look-ups: calling the Enum for each of tens of thousands of values is measurably slower.
_STATUS_OF = {s.value: s for s in UnitStatus}
_CHOICE_OF = {c.value: c for c in Choice}
_CATEGORY_OF = {c.value: c for c in Category}


class BundleError(ValueError):
    """An invalid bundle; ``str(error)`` is one line naming the offending item."""


@dataclass(frozen=True, slots=True)
class Bundle:
    """A checked bundle: the tally input plus what an auditor may want to show beside it."""

    election: Mapping[str, Any]
    units: tuple[UnitRow, ...]
    voters: tuple[Voter, ...]
    unit_to_voter: Mapping[str, str]
    tally_input: TallyInput


def _show(value: object) -> str:
    """Quote a value for a message: JSON keeps it on one line, the cut keeps the line short."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


def _name(value: str) -> str:
    """An id as written, or JSON-quoted when it could break the one-line message."""
    if value and value.isprintable() and value == value.strip():
        return value
    return _show(value)


def _list(parent: Mapping[str, Any], field: str, where: str) -> list[Any]:
    value = parent.get(field)
    if not isinstance(value, list):
        raise BundleError(f'{where}: "{field}" must be a list')
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{where}: expected a JSON object, got {_show(value)}")
    return value


def _key(item: Mapping[str, Any], field: str, where: str) -> str:
    value = item.get(field)
    if not isinstance(value, str) or not value:
        raise BundleError(f'{where}: "{field}" must be a non-empty string, got {_show(value)}')
    return value


def _parse_share(rules: Mapping[str, Any], name: str, default: Fraction) -> Fraction:
    """``rules.<name>``: a fraction string "n/d"; absent, the statutory default. A value below the
    floor of 民法典 第278条 (a lowered quorum or threshold) is refused with the article."""
    raw = rules.get(name)
    if raw is None:
        return default
    match = _QUORUM.fullmatch(raw) if isinstance(raw, str) else None
    share = Fraction(int(match[1]), int(match[2])) if match and int(match[2]) else None
    if share is None or not 0 < share <= 1:
        raise BundleError(
            f'rules.{name}: bad {name} {_show(raw)} (expected a fraction n/d in (0, 1], e.g. "{default}")'
        )
    problem = floor_problem(name, share)
    if problem:
        raise BundleError(f"rules.{name}: {_show(raw)}: {problem}")
    return share


def _parse_rules(data: Mapping[str, Any]) -> tuple[Fraction, Fraction, Fraction]:
    """(quorum, ordinary, special) of ``rules``, each optional (RULES §4): the floors of 民法典
    第278条 are the defaults, and the rules of procedure may only raise them."""
    raw = data.get("rules")
    rules = {} if raw is None else _object(raw, "rules")
    return (
        _parse_share(rules, "quorum", DEFAULT_QUORUM),
        _parse_share(rules, "ordinary", ORDINARY_FLOOR),
        _parse_share(rules, "special", SPECIAL_FLOOR),
    )


def _parse_developer(data: Mapping[str, Any]) -> str | None:
    """``developer``: the owner id of the compound's developer (optional, RULES §4)."""
    if "developer" not in data or data["developer"] is None:
        return None
    value = data["developer"]
    if not isinstance(value, str) or not value:
        raise BundleError(f'bundle: "developer" must be a non-empty owner id, got {_show(value)}')
    return value


def _parse_area(raw: Any, unit_id: str) -> Decimal:
    """Return the area of a unit: a string, positive, at most two decimals.

    Only strings are accepted (RULES §4): a JSON number may already have passed through a float
    in whatever wrote the file, and guessing which decimal it meant is not a recount's job.
    """
    if not isinstance(raw, str):
        raise BundleError(f'unit {_name(unit_id)}: area must be a string such as "89.50", got {_show(raw)}')
    if not _AREA.fullmatch(raw):
        raise BundleError(
            f'unit {_name(unit_id)}: bad area {_show(raw)} (expected at most two decimals, e.g. "89.50")'
        )
    if raw.startswith("-") or not raw.strip("0."):
        raise BundleError(f"unit {_name(unit_id)}: area must be positive, got {_show(raw)}")
    return Decimal(raw)


def _parse_units(data: Mapping[str, Any]) -> tuple[UnitRow, ...]:
    units: list[UnitRow] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(data, "units", "bundle")):
        item = _object(raw, f"units[{i}]")
        unit_id = _key(item, "id", f"units[{i}]")
        if unit_id in seen:
            raise BundleError(f"unit {_name(unit_id)}: duplicate unit id (again at units[{i}])")
        seen.add(unit_id)
        area = _parse_area(item.get("area"), unit_id)
        status_raw = item.get("status")
        status = _STATUS_OF.get(status_raw) if isinstance(status_raw, str) else None
        if status is None:
            raise BundleError(
                f"unit {_name(unit_id)}: unknown status {_show(status_raw)} (expected one of {_STATUSES})"
            )
        owners: frozenset[str] = frozenset()
        if status is UnitStatus.DELIVERED:
            raw_owners = item.get("owners")
            if raw_owners is None or raw_owners == []:
                raise BundleError(f"unit {_name(unit_id)}: delivered unit with no owner")
            if not isinstance(raw_owners, list) or not all(isinstance(o, str) and o for o in raw_owners):
                raise BundleError(
                    f"unit {_name(unit_id)}: owners must be a list of owner ids, got {_show(raw_owners)}"
                )
            # Owners are a set (RULES §1): order and repetition in the list carry no meaning.
            owners = frozenset(raw_owners)
        units.append(UnitRow(unit_id, area, status, owners))
    if not units:
        raise BundleError("bundle: no units: the roll is empty")
    return tuple(units)


def _parse_matters(data: Mapping[str, Any]) -> tuple[MatterSpec, ...]:
    matters: list[MatterSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(data, "matters", "bundle")):
        item = _object(raw, f"matters[{i}]")
        key = _key(item, "key", f"matters[{i}]")
        if key in seen:
            raise BundleError(f"matter {_name(key)}: duplicate matter key (again at matters[{i}])")
        seen.add(key)
        category_raw = item.get("category")
        category = _CATEGORY_OF.get(category_raw) if isinstance(category_raw, str) else None
        if category is None:
            raise BundleError(
                f"matter {_name(key)}: unknown category {_show(category_raw)} (expected one of {_CATEGORIES})"
            )
        matters.append(MatterSpec(key, category))
    return tuple(matters)


def _parse_races(data: Mapping[str, Any]) -> tuple[RaceSpec, ...]:
    races: list[RaceSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(data, "races", "bundle")):
        item = _object(raw, f"races[{i}]")
        key = _key(item, "key", f"races[{i}]")
        name = _name(key)
        if key in seen:
            raise BundleError(f"race {name}: duplicate race key (again at races[{i}])")
        seen.add(key)
        seats = item.get("seats")
        if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
            raise BundleError(f"race {name}: seats must be a whole number of at least 1, got {_show(seats)}")
        candidates: list[str] = []
        for j, raw_candidate in enumerate(_list(item, "candidates", f"race {name}")):
            candidate = _object(raw_candidate, f"race {name}: candidates[{j}]")
            ckey = _key(candidate, "key", f"race {name}: candidates[{j}]")
            if ckey in candidates:
                raise BundleError(f"race {name}: duplicate candidate {_name(ckey)}")
            candidates.append(ckey)
        races.append(RaceSpec(key, seats, tuple(candidates)))
    return tuple(races)


def _parse_ballots(
    data: Mapping[str, Any],
    voters: dict[str, Voter],
    unit_to_voter: Mapping[str, str],
    matters: tuple[MatterSpec, ...],
    races: tuple[RaceSpec, ...],
) -> tuple[BallotInput, ...]:
    matter_keys = {m.key for m in matters}
    race_candidates = {r.key: set(r.candidates) for r in races}
    valid_unit_of: dict[str, str] = {}  # voter key → the unit named by its valid ballot
    ballots: list[BallotInput] = []
    for i, raw in enumerate(_list(data, "ballots", "bundle")):
        item = _object(raw, f"ballots[{i}]")
        unit_raw = item.get("unit")
        if not isinstance(unit_raw, str) or unit_raw not in unit_to_voter:
            raise BundleError(f"ballots[{i}]: unknown unit {_show(unit_raw)}")
        where = f"ballots[{i}] (unit {_name(unit_raw)})"

        status = item.get("status")
        if status not in _BALLOT_STATUSES:
            raise BundleError(f"{where}: unknown status {_show(status)} (expected valid or rejected)")

        choices_raw = _object(item.get("matters", {}), f"{where}: matters")
        choices: dict[str, Choice] = {}
        for mkey, choice_raw in choices_raw.items():
            if mkey not in matter_keys:
                raise BundleError(f"{where}: unknown matter {_show(mkey)}")
            choice = _CHOICE_OF.get(choice_raw) if isinstance(choice_raw, str) else None
            if choice is None:
                raise BundleError(
                    f"{where}: unknown choice {_show(choice_raw)} for matter {_name(mkey)} (expected one of {_CHOICES})"
                )
            choices[mkey] = choice

        ticks_raw = _object(item.get("races", {}), f"{where}: races")
        ticks: dict[str, tuple[str, ...]] = {}
        for rkey, keys in ticks_raw.items():
            candidates = race_candidates.get(rkey)
            if candidates is None:
                raise BundleError(f"{where}: unknown race {_show(rkey)}")
            if not isinstance(keys, list):
                raise BundleError(f"{where}: race {_name(rkey)} must list candidate keys, got {_show(keys)}")
            seen: set[str] = set()
            for ckey in keys:
                if not isinstance(ckey, str) or ckey not in candidates:
                    raise BundleError(f"{where}: unknown candidate {_show(ckey)} in race {_name(rkey)}")
                if ckey in seen:
                    raise BundleError(f"{where}: candidate {_name(ckey)} ticked twice in race {_name(rkey)}")
                seen.add(ckey)
            ticks[rkey] = tuple(keys)

        voter = voters[unit_to_voter[unit_raw]]
        valid = status == "valid"
        if valid:
            # Only two *valid* ballots are a contradiction: a rejected paper ballot followed by a
            # valid online one for the same voter is the ordinary way to correct a mistake.
            other = valid_unit_of.get(voter.key)
            if other is not None:
                raise BundleError(
                    f"{where}: duplicate ballot for the voter of unit {_name(unit_raw)} (also {_name(other)})"
                )
            valid_unit_of[voter.key] = unit_raw
        ballots.append(BallotInput(voter.key, voter.area, valid, choices, ticks))
    return tuple(ballots)


def _check_chain(data: Mapping[str, Any], election: Mapping[str, Any]) -> None:
    """With a published head (``election.chain_head``), the ballots, in their order, must rebuild
    the hash chain to it (elections/rules/chain.py); each ballot's ``hash``, when given, must match
    at its place. The error names the first ballot that breaks the chain."""
    head = election.get("chain_head")
    if not isinstance(head, str) or not head:
        return
    links: list[tuple[str, str, dict, str | None]] = []
    items = _list(data, "ballots", "bundle")
    for i, item in enumerate(items):
        receipt, given = item.get("receipt"), item.get("hash")
        if not isinstance(receipt, str) or not receipt:
            raise BundleError(
                f"ballots[{i}] (unit {_name(item['unit'])}): no receipt: the hash chain cannot be checked"
            )
        if given is not None and not isinstance(given, str):
            raise BundleError(
                f"ballots[{i}] (unit {_name(item['unit'])}): hash must be a string, got {_show(given)}"
            )
        choices = ballot_chain_choices(item["status"], item.get("matters"), item.get("races"))
        links.append((receipt, item["status"], choices, given))
    broken = chain_break(links, head)
    if broken is None:
        return
    index, why = broken
    if index is None:
        raise BundleError(f"ballots: {why}")
    item = items[index]
    raise BundleError(
        f"ballots[{index}] (unit {_name(item['unit'])}, receipt {_name(item['receipt'])}): {why}"
    )


def parse_bundle(data: Any) -> Bundle:
    """Check a decoded ``yezhu-bundle/1`` document and turn it into a ``Bundle``.

    Required: ``format``, ``units``, ``matters``, ``races`` and ``ballots`` (lists, which may be
    empty except ``units``). Optional: ``election`` (metadata, passed through), ``rules``
    (``quorum``, ``ordinary``, ``special``: fraction strings, each at least its floor of 民法典
    第278条) and ``developer`` (the owner id whose delivered units are the developer's own).
    Fields RULES §4 does not name (titles, names, area sources) are ignored, so later exports may
    carry more without breaking older recounts.
    """
    data = _object(data, "bundle")
    if "format" not in data:
        raise BundleError(f'bundle: missing "format" (expected {_show(BUNDLE_FORMAT)})')
    if data["format"] != BUNDLE_FORMAT:
        raise BundleError(f"bundle: format must be {_show(BUNDLE_FORMAT)}, got {_show(data['format'])}")
    election = _object(data.get("election", {}), "election")
    quorum, ordinary, special = _parse_rules(data)
    developer = _parse_developer(data)
    units = _parse_units(data)
    matters = _parse_matters(data)
    races = _parse_races(data)
    voter_list, unit_to_voter = build_voters(units, developer)
    voters = {v.key: v for v in voter_list}
    ballots = _parse_ballots(data, voters, unit_to_voter, matters, races)
    _check_chain(data, election)
    totals = roll_totals(voter_list)
    return Bundle(
        election=election,
        units=units,
        voters=tuple(voter_list),
        unit_to_voter=unit_to_voter,
        tally_input=TallyInput(
            quorum=quorum,
            total_area=totals.area,
            total_heads=totals.heads,
            matters=matters,
            races=races,
            ballots=ballots,
            ordinary=ordinary,
            special=special,
        ),
    )


def recount(data: Any) -> dict[str, object]:
    """Check, count and return the ``yezhu-result/1`` JSON object of a decoded bundle."""
    return result_to_dict(tally(parse_bundle(data).tally_input))


def dump_json(obj: object) -> str:
    """JSON as people read it: Chinese left as is, two-space indent, keys in their given order."""
    return json.dumps(obj, ensure_ascii=False, indent=2)


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse ``{"M1": "yes", "M1": "no"}``, which ``json`` would otherwise read as "no"."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BundleError(f"invalid JSON: duplicate key {_show(key)} in one object")
            seen.add(key)
    return obj


def _refuse_constant(name: str) -> None:
    raise BundleError(f"invalid JSON: {name} is not a JSON number")


def load_json(raw: bytes, source: str = "bundle") -> Any:
    """Decode bundle bytes: UTF-8 (a leading BOM is tolerated), strict JSON, no duplicate keys."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BundleError(f"{source}: not UTF-8 (bad byte at offset {error.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_pairs_without_duplicates, parse_constant=_refuse_constant)
    except BundleError as error:
        raise BundleError(f"{source}: {error}") from None
    except json.JSONDecodeError as error:
        raise BundleError(
            f"{source}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except ValueError as error:  # e.g. an integer literal longer than Python converts
        raise BundleError(f"{source}: invalid JSON: {' '.join(str(error).split())}") from None
    except RecursionError:
        raise BundleError(f"{source}: invalid JSON: nested too deeply") from None


def read_bundle(path: str | Path) -> Any:
    """Read and decode a bundle file; every failure is a one-line ``BundleError``."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise BundleError(f"{path}: cannot read: {error.strerror or error}") from None
    return load_json(raw, str(path))
