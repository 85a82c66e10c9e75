"""The yezhu-bundle/1 reader: every invalid bundle of RULES §4 is refused with one line naming the
culprit, and a valid bundle recounts to the yezhu-result/1 of RULES §4."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from elections.rules.bundle import BundleError, dump_json, load_json, parse_bundle, recount
from elections.rules.tally import DEVELOPER, result_to_dict, tally


def example_bundle() -> dict[str, Any]:
    """A bundle matching the numbers of the RULES §4 example result.

    Roll: 250.62 m² and 4 heads — a co-owned flat (89.50), a buyer of two units (20.00 + 20.00),
    a single flat (37.58) and the developer with one unsold and one sold-but-undelivered unit
    (43.54 + 40.00). Three voters take part with 167.08 m², exactly two-thirds of 250.62.
    """
    return {
        "format": "yezhu-bundle/1",
        "election": {"compound": "XYLW-C", "title": "第三届业主委员会换届选举"},
        "rules": {"quorum": "2/3"},
        "units": [
            {"id": "1-1-101", "area": "89.50", "status": "delivered", "owners": ["P0001", "P0002"]},
            {"id": "1-1-102", "area": "20.00", "status": "delivered", "owners": ["P0003"]},
            {"id": "1-1-202", "area": "20.00", "status": "delivered", "owners": ["P0003"]},
            {"id": "1-1-103", "area": "37.58", "status": "delivered", "owners": ["P0004"]},
            {"id": "9-1-901", "area": "43.54", "status": "unsold"},
            {"id": "9-1-902", "area": "40.00", "status": "sold_undelivered", "owners": ["P0009"]},
        ],
        "matters": [{"key": "M1", "title": "修订业主大会议事规则", "category": "ordinary"}],
        "races": [
            {
                "key": "R1",
                "title": "业主委员会委员",
                "seats": 7,
                "candidates": [{"key": "C1", "name": "张三"}],
            }
        ],
        "ballots": [
            {"unit": "1-1-101", "status": "valid", "matters": {"M1": "yes"}, "races": {"R1": ["C1"]}},
            {"unit": "1-1-202", "status": "valid", "matters": {"M1": "yes"}, "races": {"R1": ["C1"]}},
            {"unit": "1-1-103", "status": "valid", "matters": {"M1": "yes"}, "races": {"R1": []}},
        ],
    }


#: The RULES §4 example result, except for C1: there C1 has 89.50 m² and 1 of 3 heads and is shown
#: qualified, which §3 forbids (1 head is not more than half of 3). Here two voters (129.50 m²)
#: tick C1, which makes the example consistent with the rules.
EXAMPLE_RESULT = {
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


def test_it_recounts_the_rules_example_to_the_rules_example_result() -> None:
    """Same fields, same values, same key order as RULES §4 (C1 made consistent with §3)."""
    result = recount(example_bundle())
    assert result == EXAMPLE_RESULT
    assert json.dumps(result) == json.dumps(EXAMPLE_RESULT)  # key order included


def test_it_round_trips_a_bundle_through_json_and_matches_the_live_tally() -> None:
    """dump → load → recount is stable, and recount equals tally() of the parsed input."""
    data = example_bundle()
    reloaded = load_json(dump_json(data).encode("utf-8"))
    assert reloaded == data
    bundle = parse_bundle(reloaded)
    assert recount(reloaded) == result_to_dict(tally(bundle.tally_input))
    assert load_json(dump_json(recount(data)).encode()) == EXAMPLE_RESULT
    assert "第三届" in dump_json(data)  # Chinese stays readable
    assert bundle.election["compound"] == "XYLW-C"


def test_it_groups_units_into_voters_as_rules_section_1_says() -> None:
    """Developer's units are one voter; a buyer's two units one voter; owners of developer units ignored."""
    bundle = parse_bundle(example_bundle())
    assert len(bundle.voters) == 4
    assert bundle.unit_to_voter["9-1-901"] == bundle.unit_to_voter["9-1-902"] == DEVELOPER
    assert bundle.unit_to_voter["1-1-102"] == bundle.unit_to_voter["1-1-202"]
    developer = next(v for v in bundle.voters if v.key == DEVELOPER)
    assert developer.area == Decimal("83.54")
    assert bundle.tally_input.total_area == Decimal("250.62")
    assert bundle.tally_input.total_heads == 4
    assert bundle.tally_input.quorum == Fraction(2, 3)


def test_it_treats_co_owners_listed_in_another_order_as_the_same_voter() -> None:
    """{P0001, P0002} and {P0002, P0001} are one buyer: one head, and one ballot for both units."""
    data = example_bundle()
    data["units"].append(
        {"id": "1-1-301", "area": "10.00", "status": "delivered", "owners": ["P0002", "P0001"]}
    )
    bundle = parse_bundle(data)
    assert bundle.unit_to_voter["1-1-301"] == bundle.unit_to_voter["1-1-101"]
    assert bundle.tally_input.total_heads == 4
    data["ballots"].append({"unit": "1-1-301", "status": "valid"})
    with pytest.raises(BundleError, match=r"duplicate ballot for the voter of unit 1-1-301 \(also 1-1-101\)"):
        parse_bundle(data)


def test_it_defaults_to_the_statutory_quorum_and_reads_any_fraction() -> None:
    """`rules` is optional (2/3); "4/6" is the same quorum, "3/4" one raised by the rules of procedure."""
    data = example_bundle()
    del data["rules"]
    assert parse_bundle(data).tally_input.quorum == Fraction(2, 3)
    data["rules"] = {"quorum": "4/6"}
    assert parse_bundle(data).tally_input.quorum == Fraction(2, 3)
    data["rules"] = {"quorum": "3/4"}
    assert parse_bundle(data).tally_input.quorum == Fraction(3, 4)
    data["rules"] = {}
    assert parse_bundle(data).tally_input.quorum == Fraction(2, 3)


def test_it_defaults_to_the_statutory_thresholds_and_reads_raised_ones() -> None:
    """`rules.ordinary` and `rules.special` are optional (more than 1/2, at least 3/4, 民法典 第278条);
    raised values are read as written."""
    data = example_bundle()
    parsed = parse_bundle(data).tally_input
    assert (parsed.ordinary, parsed.special) == (Fraction(1, 2), Fraction(3, 4))
    data["rules"] = {"quorum": "2/3", "ordinary": "2/3", "special": "4/5"}
    parsed = parse_bundle(data).tally_input
    assert (parsed.ordinary, parsed.special) == (Fraction(2, 3), Fraction(4, 5))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"quorum": "665/1000"}, 'rules.quorum: "665/1000": quorum 133/200 is below the statutory floor 2/3'),
        ({"quorum": "1/2"}, 'rules.quorum: "1/2": quorum 1/2 is below the statutory floor 2/3'),
        ({"quorum": "1/3"}, 'rules.quorum: "1/3": quorum 1/3 is below the statutory floor 2/3'),
        ({"ordinary": "1/3"}, 'rules.ordinary: "1/3": ordinary 1/3 is below the statutory floor 1/2'),
        ({"special": "2/3"}, 'rules.special: "2/3": special 2/3 is below the statutory floor 3/4'),
        ({"ordinary": "1/1"}, 'rules.ordinary: "1/1": ordinary 1 must be below 1'),
    ],
)
def test_it_refuses_a_bundle_whose_rules_lower_a_floor_of_article_278(rules: dict, message: str) -> None:
    """民法典 第278条 is mandatory: a bundle that lowers the quorum (even to 665/1000, just below
    two-thirds) or a threshold is invalid, with one line naming the value and the article."""
    data = example_bundle()
    data["rules"] = rules
    with pytest.raises(BundleError) as error:
        parse_bundle(data)
    text = str(error.value)
    assert text.startswith(message)
    if "statutory floor" in message:
        assert "民法典 第278条" in text
    assert "\n" not in text


def test_it_accepts_a_quorum_of_exactly_two_thirds_but_not_one_third_plus_one_third_spelt_out() -> None:
    """民法典 第278条's two-thirds exactly ("2/3", "4/6") is the floor itself and accepted; a sum such
    as "1/3+1/3" is no fraction the bundle format knows and is refused as malformed."""
    data = example_bundle()
    for written in ("2/3", "4/6", "666666/999999"):
        data["rules"] = {"quorum": written}
        assert parse_bundle(data).tally_input.quorum == Fraction(2, 3)
    data["rules"] = {"quorum": "1/3+1/3"}
    with pytest.raises(BundleError, match=r'rules.quorum: bad quorum "1/3\+1/3"'):
        parse_bundle(data)


def test_it_accepts_a_rejected_ballot_for_a_voter_who_also_has_a_valid_one() -> None:
    """A rejected paper ballot and a valid one for the same voter: only the valid one participates."""
    data = example_bundle()
    data["ballots"].insert(0, {"unit": "1-1-102", "status": "rejected", "matters": {"M1": "no"}})
    data["ballots"].append({"unit": "9-1-901", "status": "rejected", "matters": {"M1": "no"}})
    data["ballots"].append({"unit": "9-1-902", "status": "rejected", "matters": {"M1": "no"}})
    assert recount(data) == EXAMPLE_RESULT


def test_it_counts_a_ballot_without_matters_or_races_as_blank() -> None:
    """Omitted `matters` and `races` on a valid ballot: it participates and abstains everywhere."""
    data = example_bundle()
    data["ballots"].append({"unit": "9-1-902", "status": "valid"})
    result = recount(data)
    assert result["participation"] == {"area": "250.62", "heads": 4, "quorum_met": True}
    assert result["matters"]["M1"]["abstain"] == {"area": "83.54", "heads": 1}
    assert result["races"]["R1"]["candidates"]["C1"]["qualified"] is False  # 2 of 4 heads


def test_it_ignores_fields_the_format_does_not_define() -> None:
    """Titles, names, area sources and unknown extras do not change the result."""
    data = example_bundle()
    data["units"][0]["area_source"] = "register"
    data["extra"] = {"anything": 1}
    data["ballots"][0]["receipt"] = "ABCD-1234"
    assert recount(data) == EXAMPLE_RESULT


# ---------------------------------------------------------------------------------------------
# Invalid bundles
# ---------------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], object]


def unit0(**fields: Any) -> Mutation:
    return lambda d: d["units"][0].update(fields)


def ballot0(**fields: Any) -> Mutation:
    return lambda d: d["ballots"][0].update(fields)


def drop(path: str) -> Mutation:
    def mutate(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = d
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        del target[last]

    return mutate


INVALID = [
    # id, mutation, the message must contain this
    ("missing format", drop("format"), 'bundle: missing "format" (expected "yezhu-bundle/1")'),
    ("wrong format", lambda d: d.update(format="yezhu-bundle/2"), 'got "yezhu-bundle/2"'),
    ("a result is not a bundle", lambda d: d.update(format="yezhu-result/1"), 'got "yezhu-result/1"'),
    ("missing units", drop("units"), 'bundle: "units" must be a list'),
    ("empty roll", lambda d: d.update(units=[], ballots=[]), "bundle: no units"),
    ("missing ballots", drop("ballots"), 'bundle: "ballots" must be a list'),
    ("missing matters", drop("matters"), 'bundle: "matters" must be a list'),
    ("races not a list", lambda d: d.update(races={}), 'bundle: "races" must be a list'),
    ("unit not an object", lambda d: d["units"].append("1-1-999"), "units[6]: expected a JSON object"),
    ("unit without id", drop("units.0.id"), 'units[0]: "id" must be a non-empty string'),
    ("unit id a number", unit0(id=101), 'units[0]: "id" must be a non-empty string, got 101'),
    (
        "duplicate unit id",
        lambda d: d["units"].append({"id": "1-1-103", "area": "1.00", "status": "unsold"}),
        "unit 1-1-103: duplicate unit id (again at units[6])",
    ),
    ("area with two points", unit0(area="89.5.0"), 'unit 1-1-101: bad area "89.5.0"'),
    ("area with three decimals", unit0(area="89.505"), 'unit 1-1-101: bad area "89.505"'),
    ("area in exponent form", unit0(area="1e2"), 'unit 1-1-101: bad area "1e2"'),
    ("area with spaces", unit0(area=" 89.50"), 'unit 1-1-101: bad area " 89.50"'),
    ("area in full-width digits", unit0(area="８９.５０"), 'unit 1-1-101: bad area "８９.５０"'),
    ("area without digits after the point", unit0(area="89."), 'unit 1-1-101: bad area "89."'),
    (
        "area as a JSON float",
        unit0(area=89.5),
        'unit 1-1-101: area must be a string such as "89.50", got 89.5',
    ),
    ("area as a JSON integer", unit0(area=89), "unit 1-1-101: area must be a string such as"),
    ("area missing", drop("units.0.area"), 'unit 1-1-101: area must be a string such as "89.50", got null'),
    ("zero area", unit0(area="0.00"), 'unit 1-1-101: area must be positive, got "0.00"'),
    ("zero area without decimals", unit0(area="0"), 'unit 1-1-101: area must be positive, got "0"'),
    ("negative area", unit0(area="-89.50"), 'unit 1-1-101: area must be positive, got "-89.50"'),
    ("unknown unit status", unit0(status="sold"), 'unit 1-1-101: unknown status "sold"'),
    ("missing unit status", drop("units.0.status"), "unit 1-1-101: unknown status null"),
    ("delivered without owners", drop("units.0.owners"), "unit 1-1-101: delivered unit with no owner"),
    ("delivered with empty owners", unit0(owners=[]), "unit 1-1-101: delivered unit with no owner"),
    (
        "owners not a list",
        unit0(owners="P0001"),
        'unit 1-1-101: owners must be a list of owner ids, got "P0001"',
    ),
    ("owner id empty", unit0(owners=["P0001", ""]), "unit 1-1-101: owners must be a list of owner ids"),
    ("bad quorum above one", lambda d: d.update(rules={"quorum": "3/2"}), 'rules.quorum: bad quorum "3/2"'),
    ("zero quorum", lambda d: d.update(rules={"quorum": "0/3"}), 'rules.quorum: bad quorum "0/3"'),
    ("quorum over zero", lambda d: d.update(rules={"quorum": "2/0"}), 'rules.quorum: bad quorum "2/0"'),
    ("quorum as a decimal", lambda d: d.update(rules={"quorum": "0.67"}), 'rules.quorum: bad quorum "0.67"'),
    ("quorum as a number", lambda d: d.update(rules={"quorum": 0.67}), "rules.quorum: bad quorum 0.67"),
    ("quorum of endless digits", lambda d: d.update(rules={"quorum": "1" * 5000 + "/3"}), 'bad quorum "1111'),
    ("quorum as words", lambda d: d.update(rules={"quorum": "two thirds"}), 'bad quorum "two thirds"'),
    ("rules not an object", lambda d: d.update(rules="2/3"), "rules: expected a JSON object"),
    (
        "duplicate matter key",
        lambda d: d["matters"].append({"key": "M1", "category": "special"}),
        "matter M1: duplicate matter key",
    ),
    (
        "unknown matter category",
        lambda d: d["matters"][0].update(category="major"),
        'matter M1: unknown category "major"',
    ),
    ("missing matter category", drop("matters.0.category"), "matter M1: unknown category null"),
    ("matter without key", drop("matters.0.key"), 'matters[0]: "key" must be a non-empty string'),
    (
        "duplicate race key",
        lambda d: d["races"].append({"key": "R1", "seats": 1, "candidates": []}),
        "race R1: duplicate race key",
    ),
    (
        "zero seats",
        lambda d: d["races"][0].update(seats=0),
        "race R1: seats must be a whole number of at least 1, got 0",
    ),
    (
        "seats as a string",
        lambda d: d["races"][0].update(seats="7"),
        'race R1: seats must be a whole number of at least 1, got "7"',
    ),
    (
        "seats as a boolean",
        lambda d: d["races"][0].update(seats=True),
        "race R1: seats must be a whole number of at least 1, got true",
    ),
    (
        "seats as a float",
        lambda d: d["races"][0].update(seats=7.0),
        "race R1: seats must be a whole number of at least 1, got 7.0",
    ),
    (
        "duplicate candidate",
        lambda d: d["races"][0]["candidates"].append({"key": "C1", "name": "李四"}),
        "race R1: duplicate candidate C1",
    ),
    ("candidates missing", drop("races.0.candidates"), 'race R1: "candidates" must be a list'),
    ("ballot for an unknown unit", ballot0(unit="9-9-999"), 'ballots[0]: unknown unit "9-9-999"'),
    ("ballot without a unit", drop("ballots.0.unit"), "ballots[0]: unknown unit null"),
    (
        "two valid ballots for one buyer",
        lambda d: d["ballots"].append({"unit": "1-1-102", "status": "valid"}),
        "ballots[3] (unit 1-1-102): duplicate ballot for the voter of unit 1-1-102 (also 1-1-202)",
    ),
    (
        "two valid ballots for the developer",
        lambda d: d["ballots"].extend(
            [{"unit": "9-1-901", "status": "valid"}, {"unit": "9-1-902", "status": "valid"}]
        ),
        "duplicate ballot for the voter of unit 9-1-902 (also 9-1-901)",
    ),
    (
        "the same unit twice",
        lambda d: d["ballots"].append(copy.deepcopy(d["ballots"][0])),
        "ballots[3] (unit 1-1-101): duplicate ballot for the voter of unit 1-1-101 (also 1-1-101)",
    ),
    (
        "unknown ballot status",
        ballot0(status="spoiled"),
        'ballots[0] (unit 1-1-101): unknown status "spoiled"',
    ),
    ("missing ballot status", drop("ballots.0.status"), "ballots[0] (unit 1-1-101): unknown status null"),
    ("unknown matter", ballot0(matters={"M9": "yes"}), 'ballots[0] (unit 1-1-101): unknown matter "M9"'),
    (
        "unknown choice",
        ballot0(matters={"M1": "maybe"}),
        'ballots[0] (unit 1-1-101): unknown choice "maybe" for matter M1',
    ),
    ("choice in Chinese", ballot0(matters={"M1": "同意"}), 'unknown choice "同意" for matter M1'),
    ("choice as a boolean", ballot0(matters={"M1": True}), "unknown choice true for matter M1"),
    (
        "matters not an object",
        ballot0(matters=["M1"]),
        "ballots[0] (unit 1-1-101): matters: expected a JSON object",
    ),
    ("unknown race", ballot0(races={"R9": ["C1"]}), 'ballots[0] (unit 1-1-101): unknown race "R9"'),
    (
        "unknown candidate",
        ballot0(races={"R1": ["C9"]}),
        'ballots[0] (unit 1-1-101): unknown candidate "C9" in race R1',
    ),
    (
        "candidate ticked twice",
        ballot0(races={"R1": ["C1", "C1"]}),
        "ballots[0] (unit 1-1-101): candidate C1 ticked twice in race R1",
    ),
    (
        "ticks not a list",
        ballot0(races={"R1": "C1"}),
        'ballots[0] (unit 1-1-101): race R1 must list candidate keys, got "C1"',
    ),
    (
        "unknown candidate on a rejected ballot",
        ballot0(status="rejected", races={"R1": ["C9"]}),
        'ballots[0] (unit 1-1-101): unknown candidate "C9" in race R1',
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_it_refuses_an_invalid_bundle_with_one_line_naming_the_culprit(
    mutate: Mutation, message: str
) -> None:
    """Each invalid case of RULES §4 raises BundleError: one line, naming the unit, ballot, matter, race or candidate."""
    data = example_bundle()
    mutate(data)
    with pytest.raises(BundleError) as caught:
        recount(data)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text and "\r" not in text
    assert len(text) < 200  # long values are cut short


def test_it_refuses_a_bundle_that_is_not_a_json_object() -> None:
    """A JSON array or string at the top is not a bundle."""
    with pytest.raises(BundleError, match=r"^bundle: expected a JSON object"):
        parse_bundle([example_bundle()])


def test_it_keeps_the_message_on_one_line_when_an_id_holds_a_line_break() -> None:
    """Ids are quoted as JSON when they hold control characters, so the message stays one line."""
    data = example_bundle()
    data["units"][0]["id"] = "1-1-101\nrm -rf"
    data["units"][0]["area"] = "abc"
    with pytest.raises(BundleError) as caught:
        parse_bundle(data)
    assert (
        str(caught.value)
        == 'unit "1-1-101\\nrm -rf": bad area "abc" (expected at most two decimals, e.g. "89.50")'
    )


# ---------------------------------------------------------------------------------------------
# Bytes → JSON
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe{}", "b.json: not UTF-8 (bad byte at offset 0)"),
        ('{"format": "yezhu-bundle/1"}'.encode("utf-16"), "b.json: not UTF-8"),
        (b'{"format": "yezhu-bundle/1",\n  "units": [}', "b.json: invalid JSON at line 2 column 13"),
        (b"", "b.json: invalid JSON at line 1 column 1"),
        (b'{"a": 1, "a": 2}', 'b.json: invalid JSON: duplicate key "a" in one object'),
        (b'{"area": NaN}', "b.json: invalid JSON: NaN is not a JSON number"),
        (b"[" * 100_000, "b.json: invalid JSON"),
        (b'{"seats": ' + b"7" * 5000 + b"}", "b.json: invalid JSON: Exceeds the limit"),
    ],
)
def test_it_refuses_bytes_that_are_not_strict_utf8_json(raw: bytes, message: str) -> None:
    """Non-UTF-8, malformed JSON, duplicate keys and NaN are one-line BundleErrors naming the file."""
    with pytest.raises(BundleError) as caught:
        load_json(raw, "b.json")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_it_accepts_a_utf8_byte_order_mark() -> None:
    """Editors on Windows save UTF-8 with a BOM; the content is still the same bundle."""
    raw = "\ufeff".encode() + dump_json(example_bundle()).encode("utf-8")
    assert recount(load_json(raw)) == EXAMPLE_RESULT


# ---------------------------------------------------------------------------------------------
# The developer is one owner (解释 第9条, RULES §4 `developer`)
# ---------------------------------------------------------------------------------------------


def with_developer_units() -> dict[str, Any]:
    """The example with two units registered to the developer itself (P0009) and one it co-owns."""
    data = example_bundle()
    data["developer"] = "P0009"
    data["units"] += [
        {"id": "9-1-903", "area": "10.00", "status": "delivered", "owners": ["P0009"]},
        {"id": "9-1-904", "area": "5.00", "status": "delivered", "owners": ["P0009"]},
        {"id": "9-1-905", "area": "7.00", "status": "delivered", "owners": ["P0009", "P0004"]},
    ]
    return data


def test_it_counts_the_developers_own_units_in_its_one_voter_interpretation_9() -> None:
    """`developer` names the owner id whose delivered units join the unsold and undelivered ones:
    one head; a unit it co-owns with a buyer is a buyer of its own."""
    bundle = parse_bundle(with_developer_units())
    assert {bundle.unit_to_voter[u] for u in ("9-1-901", "9-1-902", "9-1-903", "9-1-904")} == {DEVELOPER}
    assert bundle.unit_to_voter["9-1-905"] not in (DEVELOPER, bundle.unit_to_voter["1-1-103"])
    assert bundle.tally_input.total_heads == 5  # the example's 4 and {P0009, P0004}
    developer = next(v for v in bundle.voters if v.key == DEVELOPER)
    assert developer.area == Decimal("98.54")

    data = with_developer_units()
    del data["developer"]
    assert parse_bundle(data).tally_input.total_heads == 6  # without it, P0009's own units are a buyer


def test_it_refuses_two_valid_ballots_from_the_developers_own_and_unsold_units_interpretation_9() -> None:
    """One owner, one ballot: a ballot naming its own unit and one naming an unsold unit are two."""
    data = with_developer_units()
    data["ballots"] += [{"unit": "9-1-903", "status": "valid"}, {"unit": "9-1-901", "status": "valid"}]
    with pytest.raises(BundleError, match=r"duplicate ballot for the voter of unit 9-1-901 \(also 9-1-903\)"):
        parse_bundle(data)


@pytest.mark.parametrize("value", ["", 7, ["P0009"]])
def test_it_refuses_a_developer_that_is_no_owner_id(value: object) -> None:
    """`developer` must be a non-empty string, said in one line."""
    data = with_developer_units()
    data["developer"] = value
    with pytest.raises(BundleError, match='bundle: "developer" must be a non-empty owner id'):
        parse_bundle(data)
