"""Escalation: a compound overdue beyond the profile's limit becomes a step the street office must
act on; the scheduler's sweep raises and resolves it, idempotently, and every step is recorded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from elections import lifecycle as lc
from elections.errors import ElectionError, NotStreetOffice
from elections.models import CaseStep, Election, Escalation, EscalationStep, Notice, Stage
from elections.tasks import tick
from yezhu.actors import OPERATOR, SCHEDULER
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

TERM_END = date(2026, 6, 30)


@pytest.fixture
def expired(compound):
    return lc.committee_register(
        compound=compound, term_start=date(2021, 7, 1), term_end=TERM_END, actor=OPERATOR
    )


def test_it_escalates_a_term_expired_more_than_the_limit(expired):
    """National limit 60 days: day 60 after the term's end is overdue only, day 61 escalates."""
    assert lc.escalations_sweep(actor=SCHEDULER, today=TERM_END + timedelta(days=60))["raised"] == []
    raised = lc.escalations_sweep(actor=SCHEDULER, today=TERM_END + timedelta(days=61))["raised"]
    assert [(e.reason, e.overdue_since) for e in raised] == [
        (Escalation.Reason.TERM_EXPIRED, date(2026, 7, 1))
    ]
    step = raised[0].steps.get()
    assert step.kind == EscalationStep.Kind.RAISED and step.told and step.told_at is not None
    assert step.by_label == str(SCHEDULER)


def test_the_sweep_is_idempotent(expired):
    day = TERM_END + timedelta(days=90)
    lc.escalations_sweep(actor=SCHEDULER, today=day)
    again = lc.escalations_sweep(actor=SCHEDULER, today=day)
    assert again == {"raised": [], "resolved": []}
    assert Escalation.objects.count() == 1 and EscalationStep.objects.count() == 1


def test_only_the_scheduler_sweeps(expired, street_staff):
    with pytest.raises(ElectionError):
        lc.escalations_sweep(actor=street_staff, today=TERM_END + timedelta(days=90))


def test_an_election_under_way_resolves_it_and_opens_its_case_file(expired):
    day = TERM_END + timedelta(days=90)
    escalation = lc.escalations_sweep(actor=SCHEDULER, today=day)["raised"][0]
    election = lc.election_create(compound=expired.compound, title="第二届业主委员会换届选举", actor=OPERATOR)
    resolved = lc.escalations_sweep(actor=SCHEDULER, today=day + timedelta(days=1))["resolved"]
    assert [e.pk for e in resolved] == [escalation.pk]
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.RESOLVED and escalation.election == election
    assert CaseStep.objects.get(election=election, step=CaseStep.Step.CHECK).notes


def test_a_vote_on_matters_does_not_answer_an_expired_term(expired):
    Election.objects.create(compound=expired.compound, title="维修资金", kind=Election.Kind.MATTERS_ONLY)
    assert lc.escalations_sweep(actor=SCHEDULER, today=TERM_END + timedelta(days=61))["raised"]


def test_the_street_office_orders_the_election_with_who_was_told(expired, street_staff, compound):
    escalation = lc.escalations_sweep(actor=SCHEDULER, today=TERM_END + timedelta(days=61))["raised"][0]
    with pytest.raises(ElectionError):
        lc.escalation_order_election(
            escalation=escalation, actor=street_staff, told="  ", on=date(2026, 9, 1)
        )
    with pytest.raises(NotStreetOffice):
        lc.escalation_order_election(
            escalation=escalation, actor=OPERATOR, told="居委会", on=date(2026, 9, 1)
        )
    step = lc.escalation_order_election(
        escalation=escalation,
        actor=street_staff,
        told="东坡社区居委会 王主任",
        on=date(2026, 9, 1),
        note="限30日内",
    )
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.ACTED
    assert step.told == "东坡社区居委会 王主任" and step.by == street_staff
    assert AuditEntry.objects.filter(action="escalation.ordered_election", compound_id=compound.pk).exists()


def _stalled(compound, formed_on: date) -> Election:
    """An election whose working group was formed on ``formed_on`` and never published its list."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    Election.objects.filter(pk=election.pk).update(
        stage=Stage.WORKING_GROUP, working_group_formed_on=formed_on
    )
    election.refresh_from_db()
    return election


def test_it_escalates_a_stalled_election_and_writes_its_case_file(compound):
    """The working group's list is due 7 days after forming; 30 more days overdue is the limit."""
    formed = date(2026, 3, 2)
    election = _stalled(compound, formed)
    due = lc.election_timeline(election, today=formed).milestones
    due = next(m.due for m in due if m.key == "working_group_published")
    assert lc.escalations_sweep(actor=SCHEDULER, today=due + timedelta(days=30))["raised"] == []
    raised = lc.escalations_sweep(actor=SCHEDULER, today=due + timedelta(days=31))["raised"]
    assert [(e.reason, e.election_id) for e in raised] == [(Escalation.Reason.ELECTION_STALLED, election.pk)]
    problem = CaseStep.objects.get(election=election, step=CaseStep.Step.PROBLEM)
    assert problem.done_on == due + timedelta(days=31) and problem.notes


def test_the_tick_tells_the_street_office_once(expired):
    now = "2026-09-30T09:00:00+08:00"
    first = tick(now)
    second = tick(now)
    assert first["escalated"] == 1 and second["escalated"] == 0
    assert (
        Notice.objects.filter(
            dedupe_key__startswith="escalation:", audience=Notice.Audience.STREET_STAFF
        ).count()
        == 1
    )
