"""Tracked deadlines of the committee between elections: the filing of a change (变更备案, 30 days),
a departing member's handover (7 days), the handover of records and seal at the term's end (10 days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from elections import lifecycle as lc
from elections.errors import ElectionError
from elections.lifecycle.filings import TERM_HANDOVER
from elections.models import CommitteeDeadline
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

#: A Monday with no holiday near it: 30 days later is Wednesday 2026-04-01, 7 days later Monday 03-09.
CHANGE = date(2026, 3, 2)


@pytest.fixture
def sitting(compound):
    return lc.committee_register(
        compound=compound, term_start=date(2024, 7, 1), term_end=date(2029, 6, 30), actor=OPERATOR
    )


def test_it_tracks_a_filing_due_thirty_days_after_the_change(sitting):
    filing = lc.committee_change_recorded(sitting, "member_in", CHANGE, actor=OPERATOR, subject="王五")
    assert filing.kind == CommitteeDeadline.Kind.FILING and filing.due_on == date(2026, 4, 1)
    rows = lc.deadline_rows([sitting.compound_id], today=date(2026, 4, 1))
    assert [r.overdue(date(2026, 4, 1)) for r in rows] == [False]  # day 30: still in time
    assert rows[0].overdue(date(2026, 4, 2))  # day 31: overdue
    assert AuditEntry.objects.filter(
        action="committee_deadline.filing", compound_id=sitting.compound_id
    ).exists()


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day(sitting):
    """2026-09-01 + 30 days is 10-01, National Day: the period runs to the first working day after."""
    filing = lc.committee_change_recorded(sitting, "chair", date(2026, 9, 1), actor=OPERATOR)
    assert filing.due_on > date(2026, 10, 1)


def test_a_departing_member_hands_over_within_seven_days(sitting):
    lc.committee_change_recorded(sitting, "member_out", CHANGE, actor=OPERATOR, subject="李四")
    handover = CommitteeDeadline.objects.get(kind=CommitteeDeadline.Kind.MEMBER_HANDOVER)
    assert handover.subject == "李四" and handover.due_on == date(2026, 3, 9)


def test_recording_the_same_change_twice_makes_one_deadline(sitting):
    first = lc.committee_change_recorded(sitting, "member_out", CHANGE, actor=OPERATOR, subject="李四")
    second = lc.committee_change_recorded(sitting, "member_out", CHANGE, actor=OPERATOR, subject="李四")
    assert first.pk == second.pk and CommitteeDeadline.objects.count() == 2


def test_it_refuses_an_unknown_change_or_a_future_day(sitting):
    with pytest.raises(ElectionError):
        lc.committee_change_recorded(sitting, "coffee", CHANGE, actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.committee_change_recorded(
            sitting, "chair", timezone.localdate() + timedelta(days=1), actor=OPERATOR
        )
    assert not CommitteeDeadline.objects.exists()


def test_it_refuses_staff_of_another_compound(sitting, other_compound):
    from grids.models import RoleAssignment
    from tests.factories import UserFactory, grant

    outsider = UserFactory()
    grant(outsider, RoleAssignment.Role.STREET_STAFF, other_compound.community.street)
    with pytest.raises(ElectionError):
        lc.committee_change_recorded(sitting, "chair", CHANGE, actor=outsider)
    assert not CommitteeDeadline.objects.exists()


def test_it_records_the_filing_day(sitting):
    filing = lc.committee_change_recorded(sitting, "chair", CHANGE, actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.deadline_done(deadline=filing, actor=OPERATOR, done_on=CHANGE - timedelta(days=1))
    lc.deadline_done(deadline=filing, actor=OPERATOR, done_on=date(2026, 4, 2), note="区住建委受理")
    row = lc.deadline_rows([sitting.compound_id], today=date(2026, 5, 1))[0]
    assert row.done_on == date(2026, 4, 2) and row.late() and not row.overdue(date(2026, 5, 1))
    with pytest.raises(ElectionError):
        lc.deadline_done(deadline=filing, actor=OPERATOR, done_on=date(2026, 4, 3))
    assert AuditEntry.objects.filter(action="committee_deadline.filing_done").count() == 1


def test_the_records_and_seal_are_due_ten_days_after_the_terms_end(compound):
    """A term ending Tuesday 2026-06-30: handed over by Friday 07-10; on 07-11 it is overdue."""
    committee = lc.committee_register(
        compound=compound, term_start=date(2021, 7, 1), term_end=date(2026, 6, 30), actor=OPERATOR
    )
    rows = [r for r in lc.deadline_rows([compound.pk], today=date(2026, 7, 10)) if r.kind == TERM_HANDOVER]
    assert [(r.due_on, r.overdue(date(2026, 7, 10))) for r in rows] == [(date(2026, 7, 10), False)]
    assert rows[0].overdue(date(2026, 7, 11))
    lc.committee_update(committee=committee, actor=OPERATOR, handed_over_on=date(2026, 7, 8))
    assert not lc.deadline_rows([compound.pk], today=date(2026, 7, 11), open_only=True)
