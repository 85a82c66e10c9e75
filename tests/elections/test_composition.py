"""The composition advisory (候选人结构建议): party share against the street's target, cross-posting
(交叉任职), the branch secretary standing (一肩挑), ages and occupations. Advisory only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse

from elections import nominations as svc
from elections.models import Candidate, Election, Race, Stage

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


def make_election(compound, *, seats=5) -> tuple[Election, Race]:
    election = Election.objects.create(compound=compound, title="换届选举", stage=Stage.VETTING)
    race = Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=seats)
    return election, race


def add(race, n, *, party=False, branch=False, secretary=False, born=None, job=""):
    return Candidate.objects.create(
        race=race,
        key=f"C{n}",
        name=f"候选人{n}",
        position=n,
        party_member=party,
        branch_member=branch,
        branch_secretary=secretary,
        birth_year=born,
        occupation=job,
    )


def test_it_finds_three_party_members_of_five_meet_a_half_target(compound):
    """3 of 5 = 60% against a 50% target: met."""
    election, race = make_election(compound)
    for n in range(1, 6):
        add(race, n, party=n <= 3)
    advice = svc.composition_advisory(election, today=TODAY)
    assert advice.candidates == 5
    assert advice.party_members == 3
    assert advice.party_share == Fraction(3, 5)
    assert advice.party_share_percent == 60
    assert advice.target == Decimal("0.50")
    assert advice.meets_target is True
    assert advice.more_party_members_needed == 0
    assert "已达到" in advice.verdict
    assert "60%" in advice.verdict


def test_it_says_how_many_more_party_members_a_low_share_needs(compound):
    """2 of 5 = 40% against a 70% target: 2 more party members among five would reach 4/5."""
    street = compound.community.street
    street.party_share_target = Decimal("0.70")
    street.save(update_fields=["party_share_target"])
    election, race = make_election(compound)
    for n in range(1, 6):
        add(race, n, party=n <= 2)
    advice = svc.composition_advisory(election, today=TODAY)
    assert advice.meets_target is False
    assert advice.target_percent == 70
    assert advice.more_party_members_needed == 2
    assert "再有 2 名党员" in advice.verdict


def test_it_counts_exactly_half_as_meeting_a_half_target(compound):
    """The comparison is exact: 1 of 2 is 50% and meets a 0.50 target (no float rounding)."""
    election, race = make_election(compound, seats=3)
    add(race, 1, party=True)
    add(race, 2)
    assert svc.composition_advisory(election, today=TODAY).meets_target is True


def test_it_reports_cross_posting_the_secretary_ages_and_occupations(compound):
    """交叉任职 counts branch members (the secretary is one), 一肩挑 is noticed, ages are bucketed
    by decade from the year of birth and occupations are counted."""
    election, race = make_election(compound, seats=3)
    add(race, 1, party=True, branch=True, born=1990, job="教师")
    add(race, 2, party=True, secretary=True, born=1960, job="退休")
    add(race, 3, born=1955, job="退休")
    add(race, 4)
    advice = svc.composition_advisory(election, today=TODAY)
    assert advice.branch_members == 2
    assert advice.secretary_stands is True
    assert {s.label: s.count for s in advice.ages} == {
        "40岁以下": 1,
        "60–69岁": 1,
        "70岁及以上": 1,
        "未填写": 1,
    }
    assert [(s.label, s.count) for s in advice.occupations][0] == ("退休", 2)
    assert any("差额选举" in note for note in advice.notes)
    assert any("一肩挑" in note for note in advice.notes)


def test_it_has_a_plain_verdict_when_there_are_no_candidates(compound):
    """No candidates: nothing to compare, and nothing is blocked."""
    election, _race = make_election(compound)
    advice = svc.composition_advisory(election, today=TODAY)
    assert advice.candidates == 0
    assert advice.party_share is None
    assert advice.meets_target is False
    assert advice.verdict == "还没有审查通过的候选人。"


def test_it_does_not_block_publishing_a_list_below_the_target(compound, working_group):
    """The advice never blocks: a list with no party member can still be published."""
    from elections import lifecycle

    election, race = make_election(compound, seats=1)
    add(race, 1)
    assert svc.composition_advisory(election).meets_target is False
    lifecycle.candidate_notice_publish(election=election, actor=working_group)
    election.refresh_from_db()
    assert election.stage == Stage.CANDIDATE_NOTICE


def test_it_shows_the_advisory_panel_on_the_nominations_page(client, compound, working_group):
    """The panel on the staff page shows the share, the target and the verdict."""
    election, race = make_election(compound)
    for n in range(1, 6):
        add(race, n, party=n <= 3, job="工程师")
    client.force_login(working_group)
    html = client.get(reverse("manage:nominations", args=[election.pk])).content.decode()
    assert "候选人结构（仅供参考）" in html
    assert "3 (60%)" in html
    assert "50%" in html
    assert 'class="w60"' in html
