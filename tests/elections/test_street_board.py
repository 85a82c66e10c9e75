"""The street board's selectors (elections/board.py): term status at its boundaries, deadlines and
lateness, turnout, the headline counts and coverage, filters, and a constant number of queries.

(The brief named this file tests/elections/test_board.py; that name is taken by the anonymous
ballot board's tests, so the street board's selector tests live here.)
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elections import board
from elections.models import Ballot, Committee, CommitteeMember, Election, Stage, Voter
from elections.rules.timeline import MilestoneStatus, TableCalendar
from grids.models import Compound, PartyOrg
from tests.factories import CommunityFactory, CompoundFactory, UserFactory

pytestmark = pytest.mark.django_db

#: A calendar that knows no year: plain weekends, so these tests never depend on the holiday table.
PLAIN = TableCalendar([], [], [])
_receipts = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# Builders (also used by the view and end-to-end tests)
# ---------------------------------------------------------------------------------------------


def make_committee(compound, *, term_end: date, term_start: date | None = None, election=None, **extra):
    committee = Committee.objects.create(
        compound=compound,
        term_start=term_start or date(term_end.year - 5, term_end.month, 1),
        term_end=term_end,
        election=election,
        **extra,
    )
    CommitteeMember.objects.create(committee=committee, name="主任甲", role=CommitteeMember.Role.CHAIR)
    return committee


def make_election(compound, *, stage=Stage.NOMINATION, kind=Election.Kind.REELECTION, **dates):
    return Election.objects.create(
        compound=compound, title=f"{compound.name}换届选举", stage=stage, kind=kind, **dates
    )


def aware(d: date, hour: int = 8) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hour)))


def make_voting(compound, *, voters: int = 4, cast: int = 1, today: date | None = None):
    """An election in the voting stage with `voters` voters of 100 ㎡ each and `cast` valid ballots."""
    today = today or timezone.localdate()
    election = make_election(
        compound,
        stage=Stage.VOTING,
        notice_published_on=today - timedelta(days=30),
        voting_opens_at=aware(today - timedelta(days=2)),
        voting_closes_at=aware(today + timedelta(days=10), 20),
    )
    rows = Voter.objects.bulk_create(
        [
            Voter(
                election=election, key=f"o{i}", area=Decimal("100.00"), unit_codes=f"1-{i}", label=f"业主{i}"
            )
            for i in range(voters)
        ]
    )
    election.total_heads = voters
    election.total_area = Decimal("100.00") * voters
    election.save(update_fields=["total_heads", "total_area"])
    user = UserFactory()
    for seq, voter in enumerate(rows[:cast], start=1):
        n = next(_receipts)
        Ballot.objects.create(
            election=election,
            voter=voter,
            channel=Ballot.Channel.ONLINE,
            choices={},
            cast_at=timezone.now(),
            cast_by=user,
            cast_as=Ballot.CastAs.OWNER,
            receipt=f"R{n:08d}",
            seq=seq,
            prev_hash="0" * 64,
            hash=f"{n:064d}",
        )
    return election


def make_branch(compound):
    return PartyOrg.objects.create(
        name=f"{compound.name}党支部", level=PartyOrg.Level.COMPOUND, compound=compound
    )


def populate(community, start: int, count: int, today: date) -> None:
    """Compounds with a committee, a branch, and an election in a stage that varies."""
    for i in range(start, start + count):
        c = CompoundFactory(community=community, code=f"Q{i:04d}", name=f"小区{i}")
        make_committee(c, term_end=today + timedelta(days=30 * (i % 9) - 60))
        if i % 2:
            make_branch(c)
        if i % 3 == 0:
            make_voting(c, voters=3, cast=i % 3 + 1, today=today)
        elif i % 3 == 1:
            make_election(
                c, stage=Stage.WORKING_GROUP, working_group_formed_on=today - timedelta(days=i % 20)
            )
        else:
            make_election(c, stage=Stage.DONE, filed_on=today - timedelta(days=i))


def rows_of(street, today: date, **kwargs):
    return board.board_rows(
        Compound.objects.filter(community__street=street), today=today, calendar=PLAIN, **kwargs
    )


def row_for(street, compound, today: date):
    return next(r for r in rows_of(street, today) if r.compound.pk == compound.pk)


# ---------------------------------------------------------------------------------------------
# Term status at its boundaries (national profile: the alert opens 3 months before the term ends)
# ---------------------------------------------------------------------------------------------

TERM_END = date(2027, 6, 30)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 3, 29), "in_office"),  # the day before the alert window opens
        (date(2027, 3, 30), "alert"),  # the day the alert window opens (term end − 3 months)
        (date(2027, 6, 30), "alert"),  # the term's last day (it ends at 24:00)
        (date(2027, 7, 1), "overdue"),  # the day after: 任期届满未换届（应换未换）
    ],
)
def test_it_gives_each_term_status_at_its_boundaries(street, compound, today, expected):
    """In office until the alert window opens, alert from that day through the term's last day,
    overdue from the next day."""
    make_committee(compound, term_end=TERM_END)
    row = row_for(street, compound, today)
    assert row.term_status == expected
    assert row.start_by == date(2027, 3, 30)


def test_it_uses_the_streets_regional_profile_for_the_alert_window(street, compound):
    """A Beijing street opens the alert six months before the term ends, not three."""
    street.profile = "beijing"
    street.save()
    make_committee(compound, term_end=TERM_END)
    assert row_for(street, compound, date(2026, 12, 29)).term_status == "in_office"
    assert row_for(street, compound, date(2026, 12, 30)).term_status == "alert"


def test_it_says_none_for_a_compound_without_a_committee_in_office(street, compound):
    """A committee that has left office is not the compound's committee any more."""
    make_committee(compound, term_end=date(2020, 6, 30), ended_on=date(2020, 7, 1))
    row = row_for(street, compound, date(2026, 1, 1))
    assert row.term_status == "none"
    assert row.committee is None
    assert row.has_committee is False


def test_it_takes_the_latest_committee_in_office(street, compound):
    """When two committees are recorded in office the one whose term started last counts."""
    make_committee(compound, term_start=date(2018, 1, 1), term_end=date(2023, 1, 1))
    newest = make_committee(compound, term_start=date(2023, 1, 2), term_end=date(2028, 1, 1))
    assert row_for(street, compound, date(2026, 1, 1)).committee == newest


# ---------------------------------------------------------------------------------------------
# The current election, its next deadline, lateness and turnout
# ---------------------------------------------------------------------------------------------


def test_it_marks_an_election_late_when_the_notice_came_too_late(street, compound):
    """A notice published 10 days before voting (15 required) is a milestone done late."""
    today = date(2026, 11, 26)
    make_election(
        compound,
        stage=Stage.CANDIDATE_NOTICE,
        candidate_notice_start=date(2026, 11, 10),
        candidate_notice_end=date(2026, 11, 19),
        notice_published_on=date(2026, 11, 25),
        voting_opens_at=aware(date(2026, 12, 6)),
        voting_closes_at=aware(date(2026, 12, 13)),
    )
    row = row_for(street, compound, today)
    assert row.late is True
    late = {m.key: m.status for m in row.late_milestones}
    # The candidate notice recorded before this late notice is also flagged out of order (issue 20).
    assert late == {
        "assembly_notice": MilestoneStatus.DONE_LATE,
        "candidate_notice_start": MilestoneStatus.OUT_OF_ORDER,
    }


def test_it_gives_the_first_due_milestone_as_the_next_deadline(street, compound):
    """Notice in time; the candidate notice has not started: that is the next deadline."""
    today = date(2026, 11, 2)
    make_election(
        compound,
        stage=Stage.NOTICE,
        notice_published_on=date(2026, 11, 1),
        voting_opens_at=aware(date(2026, 12, 20)),
        voting_closes_at=aware(date(2026, 12, 27)),
    )
    row = row_for(street, compound, today)
    assert row.late is False
    assert row.next_deadline.key == "candidate_notice_start"
    # Voting opens 20 December: the candidate list is posted with 15 full days before, by 4 December
    # (物业管理条例 第14条; RULES.md §6 as amended).
    assert row.next_deadline.due == date(2026, 12, 4)


def test_it_marks_an_election_late_when_a_deadline_passed_with_nothing_done(street, compound):
    """A working group formed 20 days ago whose list is still unpublished is overdue."""
    today = date(2026, 11, 20)
    make_election(compound, stage=Stage.WORKING_GROUP, working_group_formed_on=today - timedelta(days=20))
    row = row_for(street, compound, today)
    assert [m.key for m in row.late_milestones] == ["working_group_published"]
    assert row.late_milestones[0].status == MilestoneStatus.OVERDUE


def test_it_shows_the_latest_election_under_way_and_else_the_last_one(street, compound):
    """A done election is not current; a failed one is shown as the last election."""
    make_election(compound, stage=Stage.DONE)
    current = make_election(compound, stage=Stage.VETTING)
    row = row_for(street, compound, date(2026, 11, 20))
    assert row.election == current
    Election.objects.filter(pk=current.pk).update(stage=Stage.FAILED)
    row = row_for(street, compound, date(2026, 11, 20))
    assert row.election is None
    assert row.last_election.pk == current.pk


def test_it_reports_turnout_of_an_election_in_voting_by_heads_and_area(street, compound):
    """3 of 4 voters (300 of 400 ㎡) have voted: 75.0%; a rejected ballot does not count."""
    election = make_voting(compound, voters=4, cast=3)
    voter = Voter.objects.filter(election=election).exclude(ballots__isnull=False).first()
    Ballot.objects.create(
        election=election,
        voter=voter,
        channel=Ballot.Channel.PAPER,
        status=Ballot.Status.REJECTED,
        choices={},
        cast_at=timezone.now(),
        cast_by=UserFactory(),
        cast_as=Ballot.CastAs.PAPER,
        receipt="REJECTED1",
        seq=99,
        prev_hash="0" * 64,
        hash="f" * 64,
    )
    row = row_for(street, compound, timezone.localdate())
    assert row.turnout.heads == 3
    assert row.turnout.heads_percent == "75.0%"
    assert row.turnout.area_percent == "75.0%"
    assert row.turnout.width == 75


def test_it_gives_no_turnout_before_voting(street, compound):
    make_election(compound, stage=Stage.NOMINATION)
    assert row_for(street, compound, date(2026, 11, 20)).turnout is None


# ---------------------------------------------------------------------------------------------
# Headline counts and coverage
# ---------------------------------------------------------------------------------------------


def test_it_formats_exact_percentages_with_one_decimal_rounded_half_up():
    """Fractions, never floats: 19/20 is 95.0%, 2/3 is 66.7%, 1/16 (6.25%) is 6.3%."""
    assert board.percent(19, 20) == "95.0%"
    assert board.percent(2, 3) == "66.7%"
    assert board.percent(1, 16) == "6.3%"
    assert board.percent(1, 3) == "33.3%"
    assert board.percent(7, 7) == "100.0%"
    assert board.percent(0, 5) == "0.0%"
    assert board.percent(0, 0) == "—"


def test_it_counts_the_headline_figures_like_the_wall_chart(street, compound):
    """Compounds, with a committee, re-elections done this year, under way, due to start, overdue,
    and the three coverages."""
    today = date(2026, 11, 20)
    community = compound.community

    def make(code, pm="某物业"):
        return CompoundFactory(community=community, code=code, property_manager=pm)

    # compound (XYLW): in office, branch, manager: all three.
    make_committee(compound, term_end=date(2029, 1, 1))
    make_branch(compound)
    # B: no committee, no manager.
    make("B", pm="")
    # C: term in the alert window (start by 2026-10-31), nothing started: due to start this year.
    c = make("C")
    make_committee(c, term_end=date(2027, 1, 31))
    make_branch(c)
    # D: alert window, a re-election under way: not due to start.
    d = make("D")
    make_committee(d, term_end=date(2027, 1, 31))
    make_election(d, stage=Stage.NOMINATION)
    # E: term over: overdue; a matters-only vote under way does not start the re-election, and its
    # re-election had to start this year (2026-07-31): due to start this year as well.
    e = make("E")
    make_committee(e, term_end=date(2026, 10, 31))
    make_election(e, stage=Stage.VOTING, kind=Election.Kind.MATTERS_ONLY)
    # F: re-elected and filed this year; an older one filed last year; a failed one.
    f = make("F")
    done = make_election(f, stage=Stage.DONE, filed_on=date(2026, 3, 1))
    make_committee(f, term_start=date(2026, 2, 1), term_end=date(2031, 1, 31), election=done)
    make_election(f, stage=Stage.DONE, filed_on=date(2025, 12, 31))
    make_election(f, stage=Stage.FAILED)
    # G: a by-election done this year is not a re-election.
    g = make("G", pm="")
    make_election(g, stage=Stage.DONE, kind=Election.Kind.BY_ELECTION, filed_on=date(2026, 5, 1))

    fig = board.figures(rows_of(street, today))
    assert fig.compounds == 7
    assert fig.with_committee == 5
    assert fig.reelections_done == 1
    assert fig.under_way == 2
    assert fig.due_to_start == 2  # C and E
    assert fig.alert == 2
    assert fig.overdue == 1
    assert (fig.party_branch.count, fig.party_branch.percent) == (2, "28.6%")
    assert (fig.committee.count, fig.committee.percent) == (5, "71.4%")
    assert (fig.property_manager.count, fig.property_manager.percent) == (5, "71.4%")
    assert (fig.all_three.count, fig.all_three.percent) == (2, "28.6%")
    assert fig.all_three.share == Fraction(2, 7)


def test_it_counts_an_empty_street_without_dividing_by_zero(street):
    fig = board.figures(rows_of(street, date(2026, 1, 1)))
    assert fig.compounds == 0
    assert fig.all_three.percent == "—"


def test_it_rolls_the_figures_up_street_by_street(street, compound, other_compound):
    make_committee(compound, term_end=date(2029, 1, 1))
    rows = board.board_rows(Compound.objects.all(), today=date(2026, 1, 1), calendar=PLAIN)
    rolled = {s.name: f for s, f in board.figures_by_street(rows)}
    assert rolled["湖滨街道"].with_committee == 1
    assert rolled["灵隐街道"].with_committee == 0


# ---------------------------------------------------------------------------------------------
# Filter, search and sort
# ---------------------------------------------------------------------------------------------


def test_it_filters_by_name_or_code_status_and_lateness(street, compound):
    today = date(2026, 11, 20)
    other = CompoundFactory(community=compound.community, code="DQXQ", name="东桥新区")
    make_committee(other, term_end=date(2026, 10, 1))
    make_election(compound, stage=Stage.WORKING_GROUP, working_group_formed_on=today - timedelta(days=20))
    rows = rows_of(street, today)
    assert [r.compound.code for r in board.filter_rows(rows, q="西园")] == ["XYLW"]
    assert [r.compound.code for r in board.filter_rows(rows, q="dqxq")] == ["DQXQ"]
    assert [r.compound.code for r in board.filter_rows(rows, status="overdue")] == ["DQXQ"]
    assert [r.compound.code for r in board.filter_rows(rows, late=True)] == ["XYLW"]
    assert [r.compound.code for r in board.filter_rows(rows, stage="none")] == ["DQXQ"]
    assert [r.compound.code for r in board.filter_rows(rows, sort="status")] == ["DQXQ", "XYLW"]
    assert [r.compound.code for r in board.filter_rows(rows, sort="code", descending=True)] == [
        "XYLW",
        "DQXQ",
    ]


# ---------------------------------------------------------------------------------------------
# Constant number of queries
# ---------------------------------------------------------------------------------------------


def test_it_loads_the_board_in_a_constant_number_of_queries(street, compound):
    """Five compounds or thirty: the selectors run the same number of queries."""
    today = timezone.localdate()
    populate(compound.community, 0, 5, today)
    compounds = Compound.objects.filter(community__street=street)
    with CaptureQueriesContext(connection) as five:
        rows = board.board_rows(compounds, today=today, calendar=PLAIN)
        board.figures(rows)
    assert len(rows) == 6
    populate(CommunityFactory(street=street), 5, 25, today)
    with CaptureQueriesContext(connection) as thirty:
        rows = board.board_rows(compounds, today=today, calendar=PLAIN)
        board.figures(rows)
    assert len(rows) == 31
    # The queries of elections/board.py's docstring: six, and the committee between elections (the
    # 物管会, three for the filings and handovers, the escalations and their steps).
    assert len(thirty) == len(five) <= 12


def test_it_treats_a_date_recorded_ahead_of_time_as_planned_not_done(street, compound):
    """Voting opened on time and closes in a week: the recorded close is the next (planned) deadline."""
    today = date(2026, 11, 20)
    make_election(
        compound,
        stage=Stage.VOTING,
        notice_published_on=date(2026, 10, 1),
        candidate_notice_start=date(2026, 10, 1),
        candidate_notice_end=date(2026, 10, 9),
        voting_opens_at=aware(date(2026, 11, 15)),
        voting_closes_at=aware(date(2026, 11, 27)),
    )
    row = row_for(street, compound, today)
    assert row.late is False
    assert row.next_deadline.key == "voting_closes"
    assert row.next_deadline_date == date(2026, 11, 27)
    assert board.milestone_state(row.next_deadline, today) == board.PLANNED
