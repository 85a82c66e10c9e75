"""Stage transitions of an election (elections/lifecycle.py): preconditions, audit, race safety,
failure and restart. Dates are fixed in 2026 against the seeded holiday table."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.test import TestCase
from django.utils import timezone

from elections import lifecycle as lc
from elections.calendar import seed_holidays
from elections.errors import ElectionError
from elections.lifecycle import stages
from elections.models import Ballot, Candidate, Committee, CommitteeMember, Election, Nomination, Stage, Voter
from elections.services import ballot_record
from tests.factories import OwnerFactory, owner_user, unit_with_owners
from yezhu.actors import OPERATOR, SCHEDULER
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def close_and_count(**kwargs) -> Election:
    """Close voting and run the count job it queues after the commit, as the worker does."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        lc.voting_close(**kwargs)
    kwargs["election"].refresh_from_db()
    return kwargs["election"]


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime(y, m, d, hh, mm))


@pytest.fixture
def holidays(db):
    seed_holidays(years=[2026], actor=OPERATOR)


@pytest.fixture
def owners(compound):
    """Three voters of 100, 90 and 80 m², each a signed-up owner: (user, unit) pairs."""
    rows = []
    for code, area in (("1-1-101", "100.00"), ("1-1-102", "90.00"), ("1-1-103", "80.00")):
        user, _owner, unit = owner_user(compound, code, area)
        rows.append((user, unit))
    return rows


def add_working_group(election: Election, actor=OPERATOR) -> None:
    """A working group of the lawful make-up (指导规则 第十条): three members, an odd number, two of
    them owners' representatives, led by the residents' committee."""
    lc.working_group_member_add(
        election=election,
        actor=actor,
        name="李书记",
        affiliation="residents_committee",
        role="leader",
        party_member=True,
    )
    for name in ("业主代表甲", "业主代表乙"):
        lc.working_group_member_add(election=election, actor=actor, name=name, affiliation="owner")


def schedule(election: Election, actor=OPERATOR) -> None:
    """The assembly notice tells owners when to vote: its window is set before it (issue 20)."""
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 20), closes_at=at(2026, 3, 27, 18), actor=actor
    )


def ready_for_notice(
    compound, actor=OPERATOR, *, kind=Election.Kind.REELECTION, seats=5, alternates=1
) -> Election:
    election = lc.election_create(compound=compound, title="第二届业主委员会换届选举", kind=kind, actor=actor)
    lc.working_group_form(election=election, actor=actor, on=date(2026, 2, 2))
    add_working_group(election, actor)
    lc.working_group_publish(election=election, actor=actor, on=date(2026, 2, 5))
    schedule(election, actor)
    if kind == Election.Kind.MATTERS_ONLY:
        lc.matter_save(election=election, actor=actor, title="续聘物业服务企业", item=4)
    else:
        lc.race_save(
            election=election, actor=actor, title="业主委员会委员", seats=seats, alternates=alternates
        )
    return election


def add_candidates(election: Election, n: int = 6) -> None:
    race = election.races.get()
    for i in range(1, n + 1):
        Candidate.objects.create(
            race=race, key=f"C{i}", name=f"候选人{i}", position=i, party_member=i % 2 == 1
        )


def to_candidate_notice(election: Election, actor=OPERATOR, *, notice=date(2026, 3, 2)) -> Election:
    lc.notice_publish(election=election, actor=actor, on=notice)
    lc.nominations_open(election=election, actor=actor)
    lc.vetting_start(election=election, actor=actor)
    add_candidates(election)
    lc.candidate_notice_publish(election=election, actor=actor, start=date(2026, 3, 5), end=date(2026, 3, 12))
    return election


def vote(election: Election, owners, ticks: list[list[str]]) -> None:
    for (user, unit), keys in zip(owners, ticks, strict=False):
        voter = Voter.objects.get(election=election, units=unit)
        ballot_record(
            election=election,
            voter=voter,
            actor=user,
            cast_as=Ballot.CastAs.OWNER,
            channel=Ballot.Channel.ONLINE,
            choices={"races": {"R1": keys}} if election.races.exists() else {"matters": {"M1": "yes"}},
            now=election.voting_opens_at,
        )


ALL_VOTE = [["C1", "C2", "C3", "C4", "C5"], ["C1", "C2", "C3", "C4", "C6"], ["C1", "C2", "C3", "C5", "C6"]]


def test_it_walks_an_election_through_every_stage_to_done(compound, owners, holidays, street_staff):
    """From start to filing: roll frozen, ballots counted, committee registered, previous one ended."""
    previous = lc.committee_register(
        compound=compound, actor=street_staff, term_start=date(2021, 4, 1), term_end=date(2026, 3, 31)
    )
    election = ready_for_notice(compound, street_staff)
    assert election.stage == Stage.WORKING_GROUP
    to_candidate_notice(election, street_staff)
    assert election.stage == Stage.CANDIDATE_NOTICE
    lc.voting_schedule(
        election=election, actor=street_staff, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18)
    )
    lc.voting_open(election=election, actor=street_staff, now=at(2026, 3, 28))
    assert election.stage == Stage.VOTING
    assert election.roll_frozen_at is not None and election.total_heads == 3
    vote(election, owners, ALL_VOTE)

    close_and_count(election=election, actor=street_staff, now=at(2026, 4, 5, 18))
    assert election.stage == Stage.RESULT_NOTICE
    assert election.decided_on == date(2026, 4, 5)
    assert election.result["participation"]["quorum_met"] is True
    assert election.result["races"]["R1"]["elected"] == ["C1", "C2", "C3", "C4", "C5"]
    assert lc.result_problems(election) == []

    lc.result_publish(election=election, actor=street_staff, on=date(2026, 4, 6))
    assert election.objection_window_end == date(2026, 4, 13)
    lc.result_finalise(election=election, actor=street_staff, on=date(2026, 4, 14))
    assert election.stage == Stage.FILING and election.result_final
    committee = lc.committee_from_result(election=election, actor=street_staff)
    roles = list(committee.members.order_by("position").values_list("name", "role"))
    assert roles[:5] == [(f"候选人{i}", "member") for i in range(1, 6)]
    assert roles[5] == ("候选人6", CommitteeMember.Role.ALTERNATE)
    previous.refresh_from_db()
    assert previous.ended_on is None  # stays in office until the new committee is filed

    lc.election_file(election=election, actor=street_staff, on=date(2026, 4, 20))
    assert election.stage == Stage.DONE and election.filed_on == date(2026, 4, 20)
    previous.refresh_from_db()
    committee.refresh_from_db()
    assert previous.ended_on == date(2026, 4, 20)
    assert committee.filed_on == date(2026, 4, 20) and committee.ended_on is None

    moves = list(
        AuditEntry.objects.filter(election_id=election.pk, action="election.stage")
        .order_by("id")
        .values_list("data__from", "data__to")
    )
    assert moves == [
        ("started", "working_group"),
        ("working_group", "notice"),
        ("notice", "nomination"),
        ("nomination", "vetting"),
        ("vetting", "candidate_notice"),
        ("candidate_notice", "voting"),
        ("voting", "counting"),
        ("counting", "result_notice"),
        ("result_notice", "filing"),
        ("filing", "done"),
    ]
    assert (
        AuditEntry.objects.filter(
            election_id=election.pk, action="election.stage", actor=street_staff
        ).count()
        == 10
    )


def test_it_gives_the_committee_the_term_its_rules_of_procedure_set(compound, owners, holidays):
    """The term is the rules of procedure's (议事规则, here 3 years, within 上海's 3–5), not the
    profile's longest; a term outside the profile's range is refused."""
    _profile(compound, "shanghai")
    election = ready_for_notice(compound)
    with pytest.raises(ElectionError):
        lc.election_update_settings(
            election=election, overrides={"term_years": (2, "议事规则第二十条")}, actor=OPERATOR
        )
    lc.election_update_settings(
        election=election, overrides={"term_years": (3, "议事规则第二十条")}, actor=OPERATOR
    )
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    lc.result_finalise(election=election, on=date(2026, 4, 14), actor=SCHEDULER)
    committee = lc.committee_from_result(election=election, actor=OPERATOR)
    assert (committee.term_start, committee.term_end) == (date(2026, 4, 5), date(2029, 4, 5))


def test_it_gives_the_committee_a_term_of_the_profiles_longest_years(compound, owners, holidays):
    """Term starts on the day of the count and ends five years later (national profile)."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    lc.result_finalise(election=election, on=date(2026, 4, 14), actor=SCHEDULER)
    committee = lc.committee_from_result(election=election, actor=OPERATOR)
    assert (committee.term_start, committee.term_end) == (date(2026, 4, 5), date(2031, 4, 5))
    assert lc.committee_status(committee) == "elected"
    with pytest.raises(ElectionError):
        lc.committee_from_result(election=election, actor=OPERATOR)


def test_it_posts_a_failed_vote_then_restarts_and_succeeds(compound, owners, holidays):
    """Quorum not met: the result is posted, staff mark it failed, a restart at nomination votes again."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners[:1], ALL_VOTE[:1])
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    assert election.stage == Stage.RESULT_NOTICE
    assert election.result["participation"]["quorum_met"] is False
    problems = lc.result_problems(election)
    assert problems and "2/3" in problems[0]
    assert any("2/3" in b for b in lc.blockers(election))
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.result_finalise(election=election, on=date(2026, 4, 20), actor=SCHEDULER)

    lc.election_fail(election=election, reason="参与表决人数未达三分之二", actor=OPERATOR)
    assert election.stage == Stage.FAILED and election.failed_reason == "参与表决人数未达三分之二"
    new = lc.election_restart(election=election, at="nomination", actor=OPERATOR)
    assert new.pk != election.pk
    assert new.title == "第二届业主委员会换届选举（第2次）"
    assert new.restart_count == 1 and new.rule_overrides["_restart_of"] == election.pk
    # The old notice announced the old window: the new vote needs a notice of its own.
    assert new.stage == Stage.NOMINATION and new.notice_published_on is None
    assert Candidate.objects.filter(race__election=new).count() == 6
    assert new.voters.count() == 0 and new.chain_head == ""
    election.refresh_from_db()
    assert election.rule_overrides["_restarted_as"] == new.pk
    assert election.ballot_count == 1  # the failed round's ballots stay where they were
    with pytest.raises(ElectionError, match="已经重新启动"):
        lc.election_restart(election=election, at="nomination", actor=OPERATOR)

    lc.vetting_start(election=new, actor=OPERATOR)
    lc.candidate_notice_publish(election=new, start=date(2026, 4, 20), end=date(2026, 4, 27), actor=OPERATOR)
    lc.voting_schedule(election=new, opens_at=at(2026, 5, 20), closes_at=at(2026, 5, 30, 18), actor=OPERATOR)
    with pytest.raises(ElectionError, match="请先发布业主大会会议公告"):
        lc.voting_open(election=new, now=at(2026, 5, 20), actor=SCHEDULER)
    assert "notice_publish" in lc.allowed_actions(new, now=at(2026, 5, 4))
    lc.notice_publish(election=new, on=date(2026, 5, 4), actor=OPERATOR)  # 15 full days before 5-20
    assert new.stage == Stage.CANDIDATE_NOTICE and new.notice_published_on == date(2026, 5, 4)
    lc.voting_open(election=new, now=at(2026, 5, 20), actor=SCHEDULER)
    vote(new, owners, ALL_VOTE)
    close_and_count(election=new, now=at(2026, 5, 30, 18), actor=SCHEDULER)
    assert new.result["participation"]["quorum_met"] is True
    assert lc.result_problems(new) == []
    assert len(new.result["races"]["R1"]["elected"]) == 5


def test_it_restarts_at_the_notice_with_editable_matters_and_no_candidates(compound, holidays):
    """A restart at the notice needs a new notice: stage working_group, races copied, no candidates."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.election_fail(election=election, reason="街道办决定：候选人公示期间发现违规", actor=OPERATOR)
    new = lc.election_restart(election=election, at="notice", actor=OPERATOR)
    assert new.stage == Stage.WORKING_GROUP and new.notice_published_on is None
    assert new.races.get().seats == 5 and not Candidate.objects.filter(race__election=new).exists()
    assert new.working_group.count() == 3
    lc.race_save(
        election=new, race=new.races.get(), title="业主委员会委员", seats=7, actor=OPERATOR
    )  # editable again


def test_it_reports_a_committee_not_constituted(compound, owners, holidays):
    """Three of five seats filled is not 'at least five': the result says the committee is not constituted."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, [["C1", "C2", "C3"]] * 3)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    problems = lc.result_problems(election)
    assert len(problems) == 1 and "3" in problems[0] and "5" in problems[0]
    with pytest.raises(ElectionError):
        lc.committee_from_result(election=election, actor=OPERATOR)


# ---------------------------------------------------------------------------------------------
# Refused transitions
# ---------------------------------------------------------------------------------------------


def test_it_refuses_the_notice_without_a_published_working_group(compound):
    """No members, no published list: the notice is refused with what to do."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    with pytest.raises(ElectionError, match="筹备组（换届小组）成员"):
        lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    assert Election.objects.get(pk=election.pk).stage == Stage.WORKING_GROUP


def test_it_refuses_a_notice_with_nothing_to_vote_on(compound):
    """A re-election without seats cannot publish its notice."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    add_working_group(election)
    lc.working_group_publish(election=election, on=date(2026, 2, 3), actor=OPERATOR)
    with pytest.raises(ElectionError, match="选举职位"):
        lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)


def test_it_refuses_a_transition_from_the_wrong_stage(compound):
    """Opening nominations on a just-created election names the stage."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    with pytest.raises(ElectionError, match="启动"):
        lc.nominations_open(election=election, actor=OPERATOR)


def test_it_refuses_nominations_for_a_vote_on_matters_only(compound):
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    with pytest.raises(ElectionError, match="仅表决事项"):
        lc.nominations_open(election=election, actor=OPERATOR)


def test_it_refuses_the_candidate_notice_for_a_race_without_candidates(compound):
    """Every race needs at least one approved candidate."""
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.nominations_open(election=election, actor=OPERATOR)
    lc.vetting_start(election=election, actor=OPERATOR)
    with pytest.raises(ElectionError, match="业主委员会委员.*候选人"):
        lc.candidate_notice_publish(election=election, start=date(2026, 3, 5), actor=OPERATOR)


def test_it_refuses_to_open_voting_twelve_days_after_the_notice(compound, owners, holidays):
    """15 full days are required between the notice and the opening; 12 are refused with the rule."""
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(election=election, opens_at=at(2026, 3, 15), closes_at=at(2026, 3, 25), actor=OPERATOR)
    with pytest.raises(ElectionError, match="公告于投票开始前12日发出，少于规定的15日"):
        lc.voting_open(election=election, now=at(2026, 3, 15), actor=SCHEDULER)
    assert Election.objects.get(pk=election.pk).roll_frozen_at is None


def test_it_opens_voting_when_the_rules_of_procedure_shorten_the_notice(compound, owners, holidays):
    """An override with its article (议事规则) is what lets a shorter notice through."""
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(election=election, opens_at=at(2026, 3, 15), closes_at=at(2026, 3, 25), actor=OPERATOR)
    lc.election_update_settings(
        election=election, overrides={"notice_days": (10, "议事规则第十二条")}, actor=OPERATOR
    )
    assert election.rule_overrides["notice_days"]["reason"] == "议事规则第十二条"
    lc.voting_open(election=election, now=at(2026, 3, 15), actor=SCHEDULER)
    assert election.stage == Stage.VOTING


def test_it_refuses_to_open_voting_before_its_day(compound, owners, holidays):
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5), actor=OPERATOR)
    with pytest.raises(ElectionError, match="2026-03-28"):
        lc.voting_open(election=election, now=at(2026, 3, 27, 23, 59), actor=SCHEDULER)


def test_it_refuses_an_early_close_without_a_decision(compound, owners, holidays):
    """Before the scheduled close a reason is required; with one, the window ends now."""
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    with pytest.raises(ElectionError, match="18:00"):
        lc.voting_close(election=election, now=at(2026, 4, 1), actor=SCHEDULER)
    assert Election.objects.get(pk=election.pk).stage == Stage.VOTING
    close_and_count(election=election, now=at(2026, 4, 1), reason="法院裁定中止", actor=SCHEDULER)
    assert election.stage == Stage.RESULT_NOTICE and election.voting_closes_at == at(2026, 4, 1)
    entry = AuditEntry.objects.get(election_id=election.pk, action="election.stage", data__to="counting")
    assert entry.data["reason"] == "法院裁定中止" and entry.data["early"] is True


def test_it_closes_safely_twice_and_late(compound, owners, holidays):
    """The task may run twice or late: the second call changes nothing."""
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    close_and_count(election=election, now=at(2026, 4, 7), actor=SCHEDULER)
    first = (election.result, election.decided_on)
    close_and_count(election=election, now=at(2026, 4, 8), actor=SCHEDULER)
    assert (election.result, election.decided_on) == first
    assert AuditEntry.objects.filter(election_id=election.pk, data__to="result_notice").count() == 1


def test_it_finishes_a_count_left_in_counting(compound, owners, holidays):
    """A crash after voting → counting leaves the stage with no count under way: the scheduler's
    tick (or staff) starts the count, which posts the result; closing again changes nothing."""
    from elections.tasks import tick

    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    Election.objects.filter(pk=election.pk).update(stage=Stage.COUNTING)
    close_and_count(election=election, now=at(2026, 4, 6), actor=SCHEDULER)
    assert election.stage == Stage.COUNTING
    assert "election_count" in lc.allowed_actions(election)
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = tick(now=at(2026, 4, 6).isoformat())
    assert done["counted"] == 1
    election.refresh_from_db()
    assert election.stage == Stage.RESULT_NOTICE and election.result is not None
    assert election.decided_on == date(2026, 4, 6)


def test_it_counts_as_a_job_whose_result_equals_the_recount_of_the_bundle(compound, owners, holidays):
    """The close queues the count as a job (progress 3/3, done); the posted result is the recount
    of the election's own bundle, field for field, and the audit row says so."""
    from elections.rules.bundle import recount
    from elections.services import bundle_for
    from yezhu.jobs.models import Job

    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    job = Job.objects.get(kind="count", election_id=election.pk)
    assert (job.status, job.done, job.total, job.created_by) == ("done", 3, 3, None)
    assert election.result == recount(bundle_for(election))
    moved = AuditEntry.objects.get(election_id=election.pk, action="election.stage", data__to="result_notice")
    assert moved.data["recount"] == "identical" and moved.actor_label == "system:scheduler"


def test_it_posts_nothing_when_the_count_and_the_recount_differ(compound, owners, holidays, monkeypatch):
    """A live count that disagrees with the recount of the bundle fails the job, leaves the election
    counting and writes a mismatch audit row."""
    from elections.lifecycle import stages
    from yezhu.jobs.models import Job

    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, [[]] * 3)
    monkeypatch.setattr(stages, "recount", lambda bundle: {"format": "something else"})
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    assert election.stage == Stage.COUNTING and election.result is None
    assert Job.objects.get(kind="count", election_id=election.pk).status == "failed"
    assert AuditEntry.objects.filter(election_id=election.pk, action="election.count_mismatch").exists()


def test_it_refuses_to_finalise_inside_the_objection_window(compound, owners, holidays):
    """The window ends at 24:00 on its last day; finalising on that day is refused."""
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, [[]] * 3)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    with pytest.raises(ElectionError, match="2026-04-13"):
        lc.result_finalise(election=election, on=date(2026, 4, 13), actor=SCHEDULER)
    lc.result_finalise(election=election, on=date(2026, 4, 14), actor=SCHEDULER)
    lc.election_file(
        election=election, on=date(2026, 4, 15), actor=OPERATOR
    )  # matters only: no committee needed
    assert election.stage == Stage.DONE


def test_it_refuses_filing_before_the_committee_is_registered(compound, owners, holidays):
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    lc.result_finalise(election=election, on=date(2026, 4, 14), actor=SCHEDULER)
    with pytest.raises(ElectionError, match="名册"):
        lc.election_file(election=election, on=date(2026, 4, 20), actor=OPERATOR)


def test_it_refuses_to_fail_without_a_reason_and_a_restart_of_an_open_election(compound):
    election = ready_for_notice(compound)
    with pytest.raises(ElectionError, match="原因"):
        lc.election_fail(election=election, reason="  ", actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.election_restart(election=election, at="notice", actor=OPERATOR)


def test_it_refuses_a_restart_at_nomination_of_an_election_never_noticed(compound):
    election = ready_for_notice(compound)
    lc.election_fail(election=election, reason="筹备组解散", actor=OPERATOR)
    with pytest.raises(ElectionError, match="公告"):
        lc.election_restart(election=election, at="nomination", actor=OPERATOR)


def test_it_removes_an_unfiled_committee_when_the_election_fails(compound, owners, holidays):
    """A committee registered from a result later overturned leaves the register; the audit keeps it."""
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    lc.result_finalise(election=election, on=date(2026, 4, 14), actor=SCHEDULER)
    lc.committee_from_result(election=election, actor=OPERATOR)
    lc.election_fail(election=election, reason="区法院判决撤销选举结果", actor=OPERATOR)
    assert not Committee.objects.filter(compound=compound).exists()
    entry = AuditEntry.objects.get(election_id=election.pk, data__to="failed")
    assert len(entry.data["removed_committee"]["members"]) == 6


# ---------------------------------------------------------------------------------------------
# Voting window, settings, race safety, matters
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens", "closes", "ok"),
    [
        (at(2026, 3, 2), at(2026, 3, 6), False),  # 4 days
        (at(2026, 3, 2), at(2026, 3, 7), True),  # 5 days
        (at(2026, 3, 2), at(2026, 5, 1), True),  # 60 days
        # 61 days, yet allowed: day 60 (5-01) is May Day, so the period runs to 5-06 (民法典 第203条)
        (at(2026, 3, 2), at(2026, 5, 2), True),
        (at(2026, 3, 2), at(2026, 5, 7), False),
    ],
)
def test_it_keeps_a_hangzhou_voting_window_within_five_to_sixty_days(compound, holidays, opens, closes, ok):
    """杭州 第20条: 5 to 60 days, the starting day not counted."""
    compound.community.street.profile = "hangzhou"
    compound.community.street.save(update_fields=["profile"])
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    if ok:
        lc.voting_schedule(election=election, opens_at=opens, closes_at=closes, actor=OPERATOR)
        assert election.voting_closes_at == closes
    else:
        with pytest.raises(ElectionError, match="投票期"):
            lc.voting_schedule(election=election, opens_at=opens, closes_at=closes, actor=OPERATOR)


def test_it_schedules_a_one_day_meeting_nationally(compound, holidays):
    """物业管理条例 第12条: an assembly held as 集体讨论 may vote within one day where no regional
    rule asks more; the same window is refused under 杭州 第20条."""
    election = lc.election_create(compound=compound, title="业主大会会议", actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 7, 9), closes_at=at(2026, 3, 7, 17), actor=OPERATOR
    )
    assert election.voting_closes_at == at(2026, 3, 7, 17)


def test_it_refuses_a_window_that_closes_before_it_opens(compound):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.voting_schedule(
            election=election, opens_at=at(2026, 3, 7), closes_at=at(2026, 3, 2), actor=OPERATOR
        )


def test_it_lets_one_of_two_racing_transitions_win(compound, monkeypatch):
    """Two requests that both passed their checks: the conditional UPDATE lets exactly one move."""
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    first = Election.objects.get(pk=election.pk)
    second = Election.objects.get(pk=election.pk)
    lc.nominations_open(election=first, actor=OPERATOR)
    # The second request read the stage before the first committed: let its check pass.
    monkeypatch.setattr(stages, "check", lambda name, e, **params: None)
    monkeypatch.setattr(stages, "load_fresh", lambda e: second)
    with pytest.raises(ElectionError, match="刚刚"):
        lc.nominations_open(election=second, actor=OPERATOR)
    assert AuditEntry.objects.filter(election_id=election.pk, data__to="nomination").count() == 1


def test_it_refuses_a_second_transition_on_a_stale_page(compound):
    """The same button pressed twice: the second gets the stage it is now at."""
    election = ready_for_notice(compound)
    stale = Election.objects.get(pk=election.pk)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.notice_publish(election=stale, on=date(2026, 3, 3), actor=OPERATOR)
    assert Election.objects.get(pk=election.pk).notice_published_on == date(2026, 3, 2)


def test_it_records_overrides_with_reason_by_and_at(compound, street_staff):
    election = lc.election_create(compound=compound, title="换届选举", actor=street_staff)
    lc.election_update_settings(
        election=election,
        actor=street_staff,
        quorum="3/4",
        overrides={"objection_window_days": ("15", "议事规则第二十条")},
    )
    entry = election.rule_overrides["objection_window_days"]
    assert entry["value"] == 15 and entry["reason"] == "议事规则第二十条"
    assert entry["by"] == str(street_staff) and entry["at"]
    assert (election.quorum_numerator, election.quorum_denominator) == (3, 4)
    assert lc.effective_profile(election).objection_window_days.source == "议事规则: 议事规则第二十条"
    with pytest.raises(ElectionError, match="议事规则"):
        lc.election_update_settings(election=election, overrides={"notice_days": (20, "")}, actor=OPERATOR)
    lc.election_update_settings(election=election, overrides={"objection_window_days": None}, actor=OPERATOR)
    assert "objection_window_days" not in Election.objects.get(pk=election.pk).rule_overrides


def test_it_refuses_settings_once_voting_has_opened(compound, owners, holidays):
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5), actor=OPERATOR)
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    with pytest.raises(ElectionError, match="投票开始后"):
        lc.election_update_settings(election=election, quorum="1/2", actor=OPERATOR)


def test_it_takes_the_streets_profile_for_a_new_election(compound):
    street = compound.community.street
    street.profile = "beijing"
    street.save()
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    assert election.profile == "beijing" and election.stage == Stage.STARTED


def test_it_marks_items_six_to_eight_special_and_refuses_changes_after_the_notice(compound):
    """The threshold follows the statutory item; after the notice the list is fixed (北京 35, 杭州 19)."""
    election = ready_for_notice(compound)
    fund = lc.matter_save(election=election, title="筹集维修资金", item=6, actor=OPERATOR)
    fee = lc.matter_save(election=election, title="调整物业费", item=9, actor=OPERATOR)
    assert (fund.category, fee.category) == ("special", "ordinary")
    assert (fund.key, fee.key) == ("M1", "M2")
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    with pytest.raises(ElectionError, match="公告发布后不得更改表决事项"):
        lc.matter_save(election=election, title="又一事项", item=9, actor=OPERATOR)
    with pytest.raises(ElectionError, match="公告发布后不得更改表决事项"):
        lc.matter_delete(matter=fee, actor=OPERATOR)
    with pytest.raises(ElectionError, match="公告发布后不得更改表决事项"):
        lc.race_save(election=election, race=election.races.get(), title="委员", seats=7, actor=OPERATOR)


@pytest.mark.parametrize(
    ("seats", "ok"), [(3, False), (4, False), (5, True), (6, False), (11, True), (13, False)]
)
def test_it_keeps_a_committee_at_five_to_eleven_odd(compound, seats, ok):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    if ok:
        assert lc.race_save(election=election, title="委员", seats=seats, actor=OPERATOR).seats == seats
    else:
        with pytest.raises(ElectionError, match="5"):
            lc.race_save(election=election, title="委员", seats=seats, actor=OPERATOR)


def test_it_lets_a_small_hangzhou_compound_elect_three(compound):
    """杭州: at most 100 households may elect three members."""
    street = compound.community.street
    street.profile = "hangzhou"
    street.save()
    unit_with_owners(compound, "1-1-101", "80.00", [OwnerFactory()])
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    assert lc.race_save(election=election, title="委员", seats=3, actor=OPERATOR).seats == 3


def _profile(compound, key: str) -> None:
    street = compound.community.street
    street.profile = key
    street.save(update_fields=["profile"])


@pytest.mark.parametrize(("areas", "ok"), [(("6000.00", "4000.00"), True), (("6000.00", "4000.01"), False)])
def test_it_lets_a_shanghai_compound_of_10000_square_metres_elect_three(compound, areas, ok):
    """上海 第20条: a compound of at most 10,000 ㎡ (以下 includes the limit, 民法典 第1259条) may
    elect three members; 10,000.01 ㎡ may not."""
    _profile(compound, "shanghai")
    for i, area in enumerate(areas):
        unit_with_owners(compound, f"1-1-10{i}", area, [OwnerFactory()])
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    if ok:
        assert lc.race_save(election=election, title="委员", seats=3, actor=OPERATOR).seats == 3
    else:
        with pytest.raises(ElectionError, match="5"):
            lc.race_save(election=election, title="委员", seats=3, actor=OPERATOR)


@pytest.mark.parametrize(("households", "ok"), [(100, True), (101, False)])
def test_it_lets_a_beijing_compound_of_100_households_elect_three(compound, households, ok):
    """北京 第39条: at most 100 households may elect three members; 101 may not."""
    _profile(compound, "beijing")
    for i in range(households):
        unit_with_owners(compound, f"1-1-{i + 101}", "50.00", status="unsold")
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    if ok:
        assert lc.race_save(election=election, title="委员", seats=3, actor=OPERATOR).seats == 3
    else:
        with pytest.raises(ElectionError):
            lc.race_save(election=election, title="委员", seats=3, actor=OPERATOR)


def test_it_gives_a_national_compound_no_committee_of_three(compound):
    """指导规则 第31条 sets 5 to 11 members; no national rule allows three, however small."""
    unit_with_owners(compound, "1-1-101", "80.00", [OwnerFactory()])
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    with pytest.raises(ElectionError, match="5"):
        lc.race_save(election=election, title="委员", seats=3, actor=OPERATOR)


def test_it_lets_the_rules_of_procedure_allow_an_even_committee(compound):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.election_update_settings(
        election=election, overrides={"committee_size_odd": ("no", "议事规则第八条")}, actor=OPERATOR
    )
    assert lc.race_save(election=election, title="委员", seats=6, actor=OPERATOR).seats == 6


def test_it_copies_nominations_on_a_restart_at_nomination(compound, holidays):
    """'Withdraws nothing': nominations and their candidates carry over, linked anew."""
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.nominations_open(election=election, actor=OPERATOR)
    nominee = OwnerFactory(name="王五")
    race = election.races.get()
    nomination = Nomination.objects.create(
        election=election, race=race, nominee=nominee, source="self", status="approved"
    )
    Candidate.objects.create(race=race, key="C1", name="王五", owner=nominee, nomination=nomination)
    lc.election_fail(election=election, reason="街道办决定重新组织", actor=OPERATOR)
    new = lc.election_restart(election=election, at="nomination", actor=OPERATOR)
    copy = Nomination.objects.get(election=new)
    assert copy.status == "approved" and copy.race.election_id == new.pk
    assert Candidate.objects.get(race__election=new).nomination_id == copy.pk


def test_it_refuses_a_transition_by_an_anonymous_user(compound):
    """Only the system (actor None) acts without a person; an anonymous user is refused."""
    from django.contrib.auth.models import AnonymousUser

    from elections import lifecycle
    from elections.errors import ElectionError
    from elections.models import Election, Stage

    election = Election.objects.create(compound=compound, title="换届选举", stage=Stage.STARTED)
    with pytest.raises(ElectionError):
        lifecycle.working_group_form(election=election, actor=AnonymousUser())
    election.refresh_from_db()
    assert election.stage == Stage.STARTED
    lifecycle.working_group_form(election=election, actor=OPERATOR)  # the system may
    election.refresh_from_db()
    assert election.stage == Stage.WORKING_GROUP


# ---------------------------------------------------------------------------------------------
# The committee register takes a final result; a restart needs a new notice; RULES §5 defaults
# ---------------------------------------------------------------------------------------------


def counted_and_published(compound, owners, actor=OPERATOR) -> Election:
    """A re-election counted on 4-05 with five elected, its result published on 4-06."""
    election = ready_for_notice(compound, actor)
    to_candidate_notice(election, actor)
    lc.voting_schedule(election=election, actor=actor, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18))
    lc.voting_open(election=election, actor=actor, now=at(2026, 3, 28))
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, actor=actor, now=at(2026, 4, 5, 18))
    lc.result_publish(election=election, actor=actor, on=date(2026, 4, 6))
    return election


def test_it_refuses_the_committee_register_during_the_objection_window(
    compound, owners, holidays, street_staff
):
    """While the result may still be objected to, no committee is registered and nothing is written."""
    election = counted_and_published(compound, owners, street_staff)
    assert "committee_from_result" not in lc.allowed_actions(election, now=at(2026, 4, 8))
    with pytest.raises(ElectionError, match="询异公示期满"):
        lc.committee_from_result(election=election, actor=street_staff)
    assert not Committee.objects.filter(compound=compound).exists()
    assert not AuditEntry.objects.filter(
        election_id=election.pk, action="election.committee_registered"
    ).exists()
    assert Election.objects.get(pk=election.pk).stage == Stage.RESULT_NOTICE
    lc.result_finalise(election=election, actor=street_staff, on=date(2026, 4, 14))
    assert "committee_from_result" in lc.allowed_actions(election, now=at(2026, 4, 14))
    assert lc.committee_from_result(election=election, actor=street_staff).members.count() == 6


def test_it_refuses_the_committee_register_at_filing_without_a_final_result(compound, owners, holidays):
    """A filing-stage row whose result is not marked final (data repaired by hand) is refused too."""
    election = counted_and_published(compound, owners)
    Election.objects.filter(pk=election.pk).update(stage=Stage.FILING, result_final=False)
    with pytest.raises(ElectionError, match="询异公示期满"):
        lc.committee_from_result(election=Election.objects.get(pk=election.pk), actor=OPERATOR)
    assert not Committee.objects.filter(compound=compound).exists()


def failed_after_the_vote(compound, owners) -> Election:
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners[:1], ALL_VOTE[:1])
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.election_fail(election=election, reason="参与表决人数未达三分之二", actor=OPERATOR)
    return election


def test_it_measures_a_restarted_elections_notice_period_from_its_new_notice(compound, owners, holidays):
    """After a restart at nomination, a new notice 11 days before the new vote is refused (15 needed)."""
    old = failed_after_the_vote(compound, owners)
    new = lc.election_restart(election=old, at="nomination", actor=OPERATOR)
    lc.vetting_start(election=new, actor=OPERATOR)
    lc.candidate_notice_publish(election=new, start=date(2026, 4, 20), end=date(2026, 4, 27), actor=OPERATOR)
    lc.voting_schedule(election=new, opens_at=at(2026, 5, 20), closes_at=at(2026, 5, 30, 18), actor=OPERATOR)
    lc.notice_publish(election=new, on=date(2026, 5, 8), actor=OPERATOR)
    entry = AuditEntry.objects.get(election_id=new.pk, action="election.notice_published")
    assert entry.data["on"] == "2026-05-08" and entry.data["stage"] == Stage.CANDIDATE_NOTICE
    assert not AuditEntry.objects.filter(
        election_id=new.pk, action="election.stage", data__to="notice"
    ).exists()
    with pytest.raises(ElectionError, match="少于规定的15日"):
        lc.voting_open(election=new, now=at(2026, 5, 20), actor=SCHEDULER)
    new.refresh_from_db()
    assert new.stage == Stage.CANDIDATE_NOTICE and new.roll_frozen_at is None


def test_it_refuses_a_restarted_elections_notice_dated_on_the_old_one(compound, owners, holidays):
    """Re-entering the failed election's notice date is refused; nothing is recorded."""
    old = failed_after_the_vote(compound, owners)
    new = lc.election_restart(election=old, at="nomination", actor=OPERATOR)
    lc.voting_schedule(election=new, opens_at=at(2026, 5, 20), closes_at=at(2026, 5, 30, 18), actor=OPERATOR)
    with pytest.raises(ElectionError, match="2026-03-02"):
        lc.notice_publish(election=new, on=date(2026, 3, 2), actor=OPERATOR)
    new.refresh_from_db()
    assert new.notice_published_on is None and new.stage == Stage.NOMINATION
    assert not AuditEntry.objects.filter(election_id=new.pk, action="election.notice_published").exists()


def test_it_refuses_a_second_notice_at_nomination_for_an_election_not_restarted(compound):
    """Only a restarted election publishes its notice after the notice stage."""
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.nominations_open(election=election, actor=OPERATOR)
    with pytest.raises(ElectionError):
        lc.notice_publish(election=election, on=date(2026, 3, 10), actor=OPERATOR)
    assert Election.objects.get(pk=election.pk).notice_published_on == date(2026, 3, 2)


def test_it_gives_a_race_as_many_alternates_as_seats_by_default(compound):
    """RULES §5: alternates up to the number of seats unless the race says otherwise."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    assert lc.race_save(election=election, title="委员", seats=7, actor=OPERATOR).alternates == 7
    explicit = lc.race_save(election=election, title="委员（二）", seats=5, alternates=0, actor=OPERATOR)
    assert explicit.alternates == 0
    changed = lc.race_save(election=election, race=explicit, title="委员（二）", seats=9, actor=OPERATOR)
    assert changed.alternates == 9


def test_it_defaults_the_race_forms_alternates_to_the_seats(compound):
    """A new race's alternates left at the initial value or empty follow the seats; an edit keeps its value."""
    from elections.forms.manage import RaceForm

    assert RaceForm().fields["alternates"].initial == RaceForm().fields["seats"].initial
    untouched = RaceForm({"title": "委员", "seats": 5, "alternates": 7})
    assert untouched.is_valid() and untouched.cleaned_data["alternates"] is None
    empty = RaceForm({"title": "委员", "seats": 5, "alternates": ""})
    assert empty.is_valid() and empty.cleaned_data["alternates"] is None
    chosen = RaceForm({"title": "委员", "seats": 5, "alternates": 2})
    assert chosen.is_valid() and chosen.cleaned_data["alternates"] == 2
    edit = RaceForm({"title": "委员", "seats": 5, "alternates": 1}, initial={"alternates": 1, "seats": 5})
    assert edit.is_valid() and edit.cleaned_data["alternates"] == 1
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    race = lc.race_save(election=election, actor=OPERATOR, **untouched.cleaned_data)
    assert (race.seats, race.alternates) == (5, 5)


def test_it_refuses_to_count_silent_owners_with_the_majority(compound, street_staff):
    """Turning silent_majority on is refused with the reason; the setting and the log stay as they were."""
    election = lc.election_create(compound=compound, title="换届选举", actor=street_staff)
    with pytest.raises(ElectionError, match="暂不支持.*需要每户的选票送达证明，请按默认设置（不计入）"):
        lc.election_update_settings(election=election, actor=street_staff, silent_majority=True, quorum="3/4")
    fresh = Election.objects.get(pk=election.pk)
    assert fresh.silent_majority is False and (fresh.quorum_numerator, fresh.quorum_denominator) == (2, 3)
    assert not AuditEntry.objects.filter(election_id=election.pk, action="election.settings").exists()
    lc.election_update_settings(election=election, actor=street_staff, silent_majority=False, quorum="3/4")
    assert Election.objects.get(pk=election.pk).quorum_numerator == 3


def test_it_shows_silent_majority_disabled_with_the_reason_on_the_settings_form():
    """The settings form offers the box disabled: a posted 'on' is ignored, the note says why."""
    from django.utils import translation

    from elections.forms.manage import SettingsForm

    data = {
        "quorum_numerator": 2,
        "quorum_denominator": 3,
        "proxy_limit": 3,
        "nominations_required": 10,
        "silent_majority": "on",
    }
    form = SettingsForm(data)
    assert form.fields["silent_majority"].disabled
    assert form.is_valid() and form.cleaned_data["silent_majority"] is False
    assert "disabled" in str(form["silent_majority"])
    with translation.override("zh-hans"):
        assert "选票送达证明" in str(form.fields["silent_majority"].help_text)


def test_it_gives_the_scheduled_close_as_the_next_deadline_not_the_rules_limit(compound, owners, holidays):
    """During the vote the overview's next deadline is the close owners were told (12-15), not the
    latest close 杭州 第20条 would allow (60 days on): the two pages must not disagree."""
    _profile(compound, "hangzhou")
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    lc.notice_publish(election=election, on=date(2026, 11, 10), actor=OPERATOR)
    lc.voting_schedule(
        election=election, opens_at=at(2026, 12, 1), closes_at=at(2026, 12, 15, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 12, 1), actor=SCHEDULER)
    view = lc.election_timeline(election, today=date(2026, 12, 6))
    deadline = lc.next_deadline(view)
    assert (deadline.key, deadline.due) == ("voting_closes", date(2026, 12, 15))
