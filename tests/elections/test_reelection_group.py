"""The 换届小组 of a re-election is formed within the profile's days of the outgoing committee's
re-election alert (its term's end minus the profile's months): a milestone on the timeline, and a
violation when it was formed late. National default: 60 days (docs/decisions.md)."""

from __future__ import annotations

from datetime import date

import pytest

from elections import lifecycle as lc
from elections.board import board_rows
from elections.calendar import seed_holidays
from elections.models import Committee
from elections.rules.timeline import (
    PROFILES,
    KeyDates,
    MilestoneStatus,
    PackageCalendar,
    compute_timeline,
    violations,
)
from yezhu.actors import OPERATOR

NATIONAL_PROFILE = PROFILES["national"]
SHANGHAI = PROFILES["shanghai"]


@pytest.fixture(scope="module")
def package() -> PackageCalendar:
    return PackageCalendar()


def group_step(kd: KeyDates, profile, package, today: date):
    found = [
        m
        for m in compute_timeline(kd, profile, package, today, first_assembly=False)
        if m.key == "reelection_group_formed"
    ]
    return found[0] if found else None


def test_it_gives_the_group_sixty_days_from_the_alert(package):
    """Term ends 2026-06-30; the national alert is 3 months before, 2026-03-30; 60 days later is
    2026-05-29, a Friday: formed that day is on time, the next day late."""
    kd = KeyDates(previous_term_end=date(2026, 6, 30), working_group_formed=date(2026, 5, 29))
    step = group_step(kd, NATIONAL_PROFILE, package, date(2026, 6, 1))
    assert step.due == date(2026, 5, 29) and step.status == MilestoneStatus.DONE
    assert "2026年3月30日" in step.rule_text and "60日" in step.rule_text
    assert [v.key for v in violations(kd, NATIONAL_PROFILE, package, first_assembly=False)] == []
    late = KeyDates(previous_term_end=date(2026, 6, 30), working_group_formed=date(2026, 5, 30))
    assert group_step(late, NATIONAL_PROFILE, package, date(2026, 6, 1)).status == MilestoneStatus.DONE_LATE
    found = violations(late, NATIONAL_PROFILE, package, first_assembly=False)
    assert [v.key for v in found] == ["reelection_group_formed_late"]
    assert "换届小组" in found[0].message


def test_it_counts_from_the_profiles_alert(package):
    """上海 starts the re-election 5 months before: term end 2026-06-30 → alert 2026-01-30."""
    kd = KeyDates(previous_term_end=date(2026, 6, 30))
    step = group_step(kd, SHANGHAI, package, date(2026, 2, 1))
    assert step.due == date(2026, 3, 31) and step.status == MilestoneStatus.DUE
    assert group_step(kd, SHANGHAI, package, date(2026, 4, 1)).status == MilestoneStatus.OVERDUE


def test_it_moves_the_last_day_past_a_holiday(package):
    """Term end 2026-11-02 → alert 2026-08-02; + 60 days = 2026-10-01, National Day (1–7 October):
    the period ends on the first working day after the holiday, 2026-10-08 (民法典 第203条)."""
    assert group_step(
        KeyDates(previous_term_end=date(2026, 11, 2)), NATIONAL_PROFILE, package, date(2026, 8, 3)
    ).due == date(2026, 10, 8)


def test_it_has_no_such_milestone_for_a_first_assembly_or_without_an_outgoing_committee(package):
    kd = KeyDates(previous_term_end=date(2026, 6, 30))
    keys = [
        m.key for m in compute_timeline(kd, NATIONAL_PROFILE, package, date(2026, 6, 1), first_assembly=True)
    ]
    assert "reelection_group_formed" not in keys
    assert group_step(KeyDates(), NATIONAL_PROFILE, package, date(2026, 6, 1)) is None


@pytest.mark.django_db
def test_it_finds_the_outgoing_committee_of_a_re_election_and_shows_the_late_group(compound, street_staff):
    """The re-election's timeline and the street board read the committee in office."""
    seed_holidays(years=[2026], actor=OPERATOR)
    Committee.objects.create(
        compound=compound, term_start=date(2021, 7, 1), term_end=date(2026, 6, 30), filed_on=date(2021, 7, 20)
    )
    election = lc.election_create(compound=compound, title="第二届换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 6, 1))
    election.refresh_from_db()
    view = lc.election_timeline(election, today=date(2026, 6, 2))
    step = next(m for m in view.milestones if m.key == "reelection_group_formed")
    assert step.due == date(2026, 5, 29) and step.status == MilestoneStatus.DONE_LATE
    assert "reelection_group_formed_late" in [v.key for v in view.violations]
    row = board_rows(type(compound).objects.filter(pk=compound.pk), today=date(2026, 6, 2))[0]
    assert row.late and "reelection_group_formed" in [m.key for m in row.late_milestones]


@pytest.mark.django_db
def test_it_leaves_a_by_election_without_the_group_milestone(compound):
    # A committee still in office: an expired one's seats are not filled by a by-election (RULES.md §7).
    Committee.objects.create(compound=compound, term_start=date(2024, 7, 1), term_end=date(2029, 6, 30))
    election = lc.election_create(compound=compound, title="补选", kind="by_election", actor=OPERATOR)
    assert lc.key_dates(election).previous_term_end is None
