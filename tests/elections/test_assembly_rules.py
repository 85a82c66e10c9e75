"""The pure rules of the assembly (elections/rules/assembly.py): when a first assembly may be called,
how its working group is made up, when owners' signatures reach the temporary-assembly threshold;
and what kind of document an upload is (elections/rules/documents.py). No database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from elections.rules.assembly import (
    GroupMember,
    ProposalSupport,
    first_assembly_check,
    owners_needed,
    working_group_problems,
)
from elections.rules.documents import human_size, sniff
from elections.rules.profiles import NATIONAL, PROFILES, Profile, Rule


def check(delivered: str, total: str = "10000.00", first: date | None = None, on: date = date(2026, 6, 1)):
    return first_assembly_check(
        delivered_area=Decimal(delivered),
        total_area=Decimal(total),
        first_delivery=first,
        on=on,
        profile=NATIONAL,
    )


# ---------------------------------------------------------------------------------------------
# The first assembly's conditions
# ---------------------------------------------------------------------------------------------


def test_it_calls_the_first_assembly_when_exactly_half_the_area_is_delivered():
    """ "达到…百分之五十以上": exactly 50 % qualifies (以上 includes the number, 民法典 第1259条)."""
    assert check("5000.00").area_met and check("5000.00").met


def test_it_does_not_call_the_first_assembly_a_cent_below_half():
    """4,999.99 ㎡ of 10,000 ㎡ is below half, exactly (no rounding to 50.0 %)."""
    found = check("4999.99")
    assert not found.area_met and not found.met
    assert found.delivered_share is not None and found.delivered_share * 100 < 50


def test_it_compares_odd_areas_exactly():
    """Half of 250.01 ㎡ is 125.005 ㎡: 125.00 is short, 125.01 is enough."""
    assert not check("125.00", "250.01").area_met
    assert check("125.01", "250.01").area_met


def test_it_counts_two_years_from_the_day_after_the_first_delivery():
    """Delivered 2024-03-01: the two years run from 2024-03-02 and end at 24:00 on 2026-03-01
    (民法典 第201–202条), so the condition holds from 2026-03-02, not on the anniversary."""
    first = date(2024, 3, 1)
    assert not check("0.00", first=first, on=date(2026, 3, 1)).time_met
    on_time = check("0.00", first=first, on=date(2026, 3, 2))
    assert on_time.time_met and on_time.met and on_time.time_met_from == date(2026, 3, 2)


def test_it_ends_a_leap_day_delivery_on_the_last_day_of_february():
    """Delivered 2024-02-29: 2026 has no 29 February, the period ends on the 28th (第202条)."""
    found = check("0.00", first=date(2024, 2, 29), on=date(2026, 3, 1))
    assert found.time_met_from == date(2026, 3, 1) and found.time_met


def test_it_leaves_the_time_condition_unmet_without_a_first_delivery_day():
    found = check("100.00")
    assert not found.time_met and found.time_met_from is None and not found.met


def test_it_refuses_a_compound_with_no_area():
    found = check("0.00", total="0.00")
    assert found.delivered_share is None and not found.area_met


def test_it_takes_the_percentage_and_the_years_from_the_profile():
    stricter = replace(
        NATIONAL,
        first_assembly_delivered_percent=Rule(60, "test"),
        first_assembly_years_since_delivery=Rule(None, "test"),
    )
    found = first_assembly_check(
        delivered_area=Decimal("5999.99"),
        total_area=Decimal("10000"),
        first_delivery=date(2000, 1, 1),
        on=date(2026, 1, 1),
        profile=stricter,
    )
    assert not found.area_met and not found.time_met


# ---------------------------------------------------------------------------------------------
# The working group's make-up (指导规则 第十条)
# ---------------------------------------------------------------------------------------------


def members(*rows: tuple[str, str]) -> list[GroupMember]:
    return [GroupMember(affiliation=a, role=r) for a, r in rows]


LAWFUL = members(("street", "leader"), ("owner", "member"), ("owner", "member"))


def codes(group) -> list[str]:
    return [p.code for p in working_group_problems(group, NATIONAL)]


def test_it_accepts_an_odd_group_of_owners_led_by_the_street_office():
    assert codes(LAWFUL) == []
    assert codes(members(("residents_committee", "leader"), ("owner", "member"), ("owner", "member"))) == []


def test_it_refuses_an_even_group():
    """指导规则 第十条: "筹备组成员人数应为单数"."""
    group = [*LAWFUL, GroupMember("owner", "member")]
    assert codes(group) == ["working_group_even"]


def test_it_needs_owners_to_be_at_least_half():
    """ "业主代表人数不低于筹备组总人数的一半": of 5 members, 3 owners (2.5 rounded up); 2 is short."""
    assert owners_needed(5, 50) == 3 and owners_needed(4, 50) == 2 and owners_needed(1, 50) == 1
    five = members(("street", "leader"), ("residents_committee", "member"), ("police", "member"))
    assert codes([*five, GroupMember("owner", "member"), GroupMember("owner", "member")]) == [
        "working_group_owners_short"
    ]
    six_owners = [*five[:2], *members(("owner", "member"), ("owner", "member"), ("owner", "member"))]
    assert codes(six_owners) == []
    problem = working_group_problems([*five, *members(("owner", "member"), ("owner", "member"))], NATIONAL)[0]
    assert (problem.owners, problem.owners_needed, problem.size) == (2, 3, 5)


def test_it_refuses_one_owner_alone():
    """The issue's example: one owner alone is no working group (no leader from the street)."""
    assert codes(members(("owner", "member"))) == ["working_group_no_leader"]
    assert codes(members(("owner", "leader"))) == ["working_group_leader_affiliation"]


def test_it_needs_one_leader_from_the_street_office_or_the_residents_committee():
    group = members(("community_party", "leader"), ("owner", "member"), ("owner", "member"))
    found = working_group_problems(group, NATIONAL)
    assert [p.code for p in found] == ["working_group_leader_affiliation"]
    assert found[0].leader_affiliation == "community_party"
    assert found[0].allowed == ("street", "residents_committee")
    two = members(("street", "leader"), ("residents_committee", "leader"), ("owner", "member"))
    assert codes(two) == ["working_group_owners_short", "working_group_leaders"]


def test_it_has_nothing_to_say_about_an_empty_group():
    assert working_group_problems([], NATIONAL) == []


def test_it_gives_every_profile_the_make_up_with_its_source():
    for profile in PROFILES.values():
        assert profile.working_group_odd.value is True
        assert profile.working_group_owner_percent_min.value == 50
        assert "指导规则 第十条" in profile.working_group_owner_percent_min.source
        assert profile.reelection_group_days.value > 0 and profile.reelection_group_days.source


def test_it_keeps_the_statutory_make_up_out_of_the_rules_of_procedure():
    """An election's 议事规则 may override timeline values, not the statute's make-up or conditions."""
    names = Profile.overridable_names()
    assert "reelection_group_days" in names and "notice_days" in names
    for fixed in (
        "working_group_odd",
        "working_group_owner_percent_min",
        "working_group_leaders",
        "first_assembly_delivered_percent",
        "first_assembly_years_since_delivery",
    ):
        assert fixed not in names and fixed in Profile.rule_names()


def test_it_refuses_a_profile_whose_leaders_are_not_a_tuple_of_words():
    with pytest.raises(TypeError):
        replace(NATIONAL, working_group_leaders=Rule("street", "test"))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Owners' proposals: 20 % of the area AND 20 % of the heads (指导规则 第二十一条; 条例 第十三条)
# ---------------------------------------------------------------------------------------------


def support(area: str, heads: int, total_area: str = "1000.00", total_heads: int = 10) -> ProposalSupport:
    return ProposalSupport(
        signed_area=Decimal(area),
        signed_heads=heads,
        total_area=Decimal(total_area),
        total_heads=total_heads,
    )


def test_it_reaches_the_threshold_at_exactly_twenty_percent_of_both():
    """ "20%以上" includes 20 %: 200 ㎡ of 1,000 ㎡ and 2 of 10 owners is enough."""
    found = support("200.00", 2)
    assert found.area_met and found.heads_met and found.met


def test_it_misses_the_threshold_a_cent_below_twenty_percent_of_the_area():
    found = support("199.99", 10)
    assert not found.area_met and found.heads_met and not found.met


def test_it_misses_the_threshold_one_head_below_twenty_percent_of_the_owners():
    """1 of 10 owners is 10 %; with 19 total heads, 3 signers (15.8 %) is short and 4 (21.1 %) is enough."""
    assert not support("1000.00", 1).met
    assert not support("1000.00", 3, total_heads=19).heads_met
    assert support("1000.00", 4, total_heads=19).heads_met


def test_it_says_how_much_is_needed_rounded_up():
    found = support("0.00", 0, total_area="1000.01", total_heads=11)
    assert found.area_needed == Decimal("200.01") and found.heads_needed == 3


def test_it_never_reaches_the_threshold_of_an_empty_roll():
    assert not support("0.00", 0, total_area="0.00", total_heads=0).met


# ---------------------------------------------------------------------------------------------
# Documents: told by their content
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "key"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
    ],
)
def test_it_tells_a_document_by_its_first_bytes(head, key):
    found = sniff(head)
    assert found is not None and found.key == key


@pytest.mark.parametrize(
    "head",
    [b"<html><script>alert(1)</script>", b"PK\x03\x04docx.......", b"MZ\x90\x00exe", b"", b"GIF89a......"],
)
def test_it_refuses_what_is_not_a_pdf_or_an_image(head):
    assert sniff(head) is None


def test_it_writes_sizes_for_people():
    assert human_size(1) == "1 KB" and human_size(1536) == "2 KB"
    assert human_size(1024 * 1024) == "1.0 MB" and human_size(3 * 1024 * 1024 + 1) == "3.1 MB"
