"""Refused transitions of elections/lifecycle.py: called at the wrong stage or with a blocker, a
transition raises with what to do, leaves the stage as it was and writes no audit row. Also: voting
does not open while objections to candidates wait for an answer (staff or beat)."""

from __future__ import annotations

from datetime import date

import pytest

from elections import lifecycle as lc
from elections import nominations as nm
from elections.calendar import seed_holidays
from elections.errors import ElectionError
from elections.models import Candidate, Election, Objection, Stage
from elections.tasks import tick
from tests.elections.test_lifecycle import (
    ALL_VOTE,
    add_working_group,
    at,
    close_and_count,
    ready_for_notice,
    to_candidate_notice,
    vote,
)
from tests.factories import owner_user
from yezhu.actors import OPERATOR, SCHEDULER
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def holidays(db):
    seed_holidays(years=[2026], actor=OPERATOR)


@pytest.fixture
def owners(compound):
    """Three signed-up owners of 100, 90 and 80 m²: (user, unit) pairs."""
    rows = []
    for code, area in (("1-1-101", "100.00"), ("1-1-102", "90.00"), ("1-1-103", "80.00")):
        user, _owner, unit = owner_user(compound, code, area)
        rows.append((user, unit))
    return rows


class Unchanged:
    """Remembers an election's stage and audit rows, to assert a refusal changed neither."""

    def __init__(self, election: Election):
        self.pk = election.pk
        self.stage = Election.objects.get(pk=election.pk).stage
        self.rows = AuditEntry.objects.filter(election_id=election.pk).count()

    def check(self) -> Election:
        fresh = Election.objects.get(pk=self.pk)
        assert fresh.stage == self.stage
        assert AuditEntry.objects.filter(election_id=self.pk).count() == self.rows
        return fresh


# ---------------------------------------------------------------------------------------------
# working_group_form, working_group_publish, vetting_start, result_publish
# ---------------------------------------------------------------------------------------------


def test_it_refuses_to_form_the_working_group_twice(compound, street_staff):
    """working_group_form after the group is formed names the stage; the formation day stays."""
    election = lc.election_create(compound=compound, title="换届选举", actor=street_staff)
    lc.working_group_form(election=election, actor=street_staff, on=date(2026, 2, 2))
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="筹备组"):
        lc.working_group_form(election=election, actor=street_staff, on=date(2026, 2, 9))
    assert before.check().working_group_formed_on == date(2026, 2, 2)


def test_it_refuses_to_form_the_working_group_of_another_street(compound, outsider_staff):
    """Staff of another street may not move this election."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    before = Unchanged(election)
    with pytest.raises(ElectionError):
        lc.working_group_form(election=election, actor=outsider_staff, on=date(2026, 2, 2))
    assert before.check().working_group_formed_on is None


def test_it_refuses_to_publish_the_working_group_before_it_is_formed(compound):
    """working_group_publish at 'started' is refused with the stage."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="启动"):
        lc.working_group_publish(election=election, on=date(2026, 2, 5), actor=OPERATOR)
    assert before.check().working_group_published_on is None


def test_it_refuses_to_publish_a_working_group_without_members(compound):
    """No members entered: the list cannot be published."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="成员"):
        lc.working_group_publish(election=election, on=date(2026, 2, 5), actor=OPERATOR)
    assert before.check().working_group_published_on is None


def test_it_refuses_a_working_group_list_dated_before_the_group_was_formed(compound):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    add_working_group(election)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="不能早于筹备组成立日期"):
        lc.working_group_publish(election=election, on=date(2026, 2, 1), actor=OPERATOR)
    assert before.check().working_group_published_on is None


def test_it_refuses_to_publish_the_working_group_twice(compound):
    """The list is published once; a second date is refused and the first one stays."""
    election = ready_for_notice(compound)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="成员名单已经公告"):
        lc.working_group_publish(election=election, on=date(2026, 2, 9), actor=OPERATOR)
    assert before.check().working_group_published_on == date(2026, 2, 5)


def test_it_refuses_to_start_vetting_before_nominations_open(compound):
    """vetting_start at the notice (nominations never opened) names the stage."""
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="公告"):
        lc.vetting_start(election=election, actor=OPERATOR)
    before.check()


def test_it_refuses_to_start_vetting_twice(compound):
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.nominations_open(election=election, actor=OPERATOR)
    lc.vetting_start(election=election, actor=OPERATOR)
    before = Unchanged(election)
    with pytest.raises(ElectionError):
        lc.vetting_start(election=election, actor=OPERATOR)
    assert before.check().stage == Stage.VETTING


def test_it_refuses_to_publish_a_result_while_voting_is_open(compound, owners, holidays):
    """result_publish during voting: no result yet, the stage and the dates stay."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="还没有计票结果"):
        lc.result_publish(election=election, on=date(2026, 4, 1), actor=OPERATOR)
    fresh = before.check()
    assert fresh.result_published_on is None and fresh.objection_window_end is None


def counted(compound, owners) -> Election:
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    return election


def test_it_refuses_a_result_published_before_it_was_counted(compound, owners, holidays):
    election = counted(compound, owners)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="不能早于计票日期"):
        lc.result_publish(election=election, on=date(2026, 4, 4), actor=OPERATOR)
    assert before.check().result_published_on is None


def test_it_refuses_to_publish_the_result_twice(compound, owners, holidays):
    """A second publication would move the objection window: refused, the first date stays."""
    election = counted(compound, owners)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="结果已经公告"):
        lc.result_publish(election=election, on=date(2026, 4, 8), actor=OPERATOR)
    fresh = before.check()
    assert (fresh.result_published_on, fresh.objection_window_end) == (date(2026, 4, 6), date(2026, 4, 13))


# ---------------------------------------------------------------------------------------------
# Objections to candidates keep voting from opening
# ---------------------------------------------------------------------------------------------


def with_objections(compound, owners, n: int) -> tuple[Election, list[Objection]]:
    """At the candidate notice (3-05 to 3-12) with n objections filed on 3-06 and a window from 3-28."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    candidate = Candidate.objects.get(race__election=election, key="C1")
    objections = [
        nm.objection_file(
            election=election,
            actor=owners[i][0],
            text="该候选人欠缴物业费多年，不符合候选人条件。",
            candidate=candidate,
            today=date(2026, 3, 6),
        )
        for i in range(n)
    ]
    return election, objections


def test_it_refuses_to_open_voting_with_unanswered_objections(compound, owners, holidays, street_staff):
    """Staff cannot open voting while objections wait; the blocker names how many."""
    election, objections = with_objections(compound, owners, 2)
    assert any("2 条未答复" in b for b in lc.blockers(election, now=at(2026, 3, 28)))
    assert "voting_open" not in lc.allowed_actions(election, now=at(2026, 3, 28))
    before = Unchanged(election)
    with pytest.raises(ElectionError, match="候选人公示期间提出的异议还有 2 条未答复"):
        lc.voting_open(election=election, actor=street_staff, now=at(2026, 3, 28))
    assert before.check().roll_frozen_at is None

    nm.objection_answer(objection=objections[0], actor=street_staff, answer="经核实已缴清，资格有效。")
    with pytest.raises(ElectionError, match="还有 1 条未答复"):
        lc.voting_open(election=election, actor=street_staff, now=at(2026, 3, 28))
    nm.objection_answer(objection=objections[1], actor=street_staff, answer="经核实已缴清，资格有效。")
    lc.voting_open(election=election, actor=street_staff, now=at(2026, 3, 28))
    assert election.stage == Stage.VOTING


def test_it_keeps_beat_from_opening_voting_with_unanswered_objections(
    compound, owners, holidays, street_staff
):
    """tick at the opening instant leaves the election at the candidate notice until the answer."""
    election, objections = with_objections(compound, owners, 1)
    before = Unchanged(election)
    done = tick(now=at(2026, 3, 28, 9, 1).isoformat())
    assert done["opened"] == 0
    assert before.check().roll_frozen_at is None

    nm.objection_answer(objection=objections[0], actor=street_staff, answer="经核实已缴清，资格有效。")
    done = tick(now=at(2026, 3, 28, 9, 2).isoformat())
    assert done["opened"] == 1
    assert Election.objects.get(pk=election.pk).stage == Stage.VOTING


def test_it_does_not_count_an_objection_to_the_result_against_the_opening(compound, owners, holidays):
    """Only objections to candidates block the opening (a result objection belongs to another round)."""
    election, _objections = with_objections(compound, owners, 0)
    Objection.objects.create(
        election=election, kind=Objection.Kind.RESULT, filed_by=owners[0][0], text="另一轮的结果异议"
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    assert election.stage == Stage.VOTING
