"""The committee between elections (RULES.md §7): a member leaves and the next alternate moves up,
a by-election fills only the vacant seats of a sitting committee with more than half of them (or
exactly half) filled, removal needs a third of the members or 20 % of the owners and an assembly's
vote, and during 换届 the outgoing committee puts no major matter to the assembly (上海 第28条)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections import proposals as proposal_svc
from elections.errors import ElectionError
from elections.lifecycle import seats, vacancies
from elections.models import Committee, CommitteeMember, Election, Matter, Stage
from elections.vacancy_models import MemberRemoval, Vacancy
from tests.factories import owner_user, sign_in
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
Role = CommitteeMember.Role
Kind = Election.Kind


def committee_of(
    compound, *, members: int, alternates: int = 0, seats_: int | None = None, **dates
) -> Committee:
    """A committee in office (filed) with ``members`` members then ``alternates`` alternates, in order."""
    today = timezone.localdate()
    committee = Committee.objects.create(
        compound=compound,
        term_start=dates.get("term_start", date(2025, 1, 1)),
        term_end=dates.get("term_end", date(2029, 12, 31)),
        filed_on=date(2025, 1, 20),
        seats=seats_,
    )
    assert committee.term_start <= today
    for i in range(members):
        CommitteeMember.objects.create(
            committee=committee,
            name=f"委员{i + 1}",
            role=Role.CHAIR if i == 0 else Role.MEMBER,
            position=i + 1,
        )
    for i in range(alternates):
        CommitteeMember.objects.create(
            committee=committee, name=f"候补{i + 1}", role=Role.ALTERNATE, position=members + i + 1
        )
    return committee


def member(committee, name: str) -> CommitteeMember:
    return CommitteeMember.objects.get(committee=committee, name=name)


def leave(committee, name: str, *, on: date = date(2026, 3, 1), reason: str = "resigned", **extra) -> Vacancy:
    return vacancies.vacancy_record(
        member=member(committee, name), actor=OPERATOR, reason=reason, left_on=on, **extra
    )


# ---------------------------------------------------------------------------------------------
# Vacancies and alternates
# ---------------------------------------------------------------------------------------------


def test_it_moves_the_alternates_up_in_rank_order(compound):
    """Two members leave: the first alternate takes the first seat, the second the next."""
    committee = committee_of(compound, members=5, alternates=2)
    first = leave(committee, "委员3", notice_start=date(2026, 3, 2))
    second = leave(committee, "委员4", on=date(2026, 3, 3), reason="moved_out", notice_start=date(2026, 3, 3))
    assert (first.moved_up_name, second.moved_up_name) == ("候补1", "候补2")
    assert member(committee, "候补1").role == Role.MEMBER and member(committee, "候补2").role == Role.MEMBER
    assert not CommitteeMember.objects.filter(committee=committee, name__in=["委员3", "委员4"]).exists()
    state = seats.seat_state(committee)
    assert (state.seats, state.members, state.alternates, state.vacant) == (5, 5, 0, 0)
    committee.refresh_from_db()
    assert committee.seats == 5  # recorded at the first vacancy


def test_it_publicises_the_move_and_sets_the_filing_day_fifteen_days_after_the_notice(compound):
    """A notice posted Monday 2 March 2026 runs 7 days (to 9 March); the move is filed within 15 days
    of its end: by 24 March (no rest day in between)."""
    committee = committee_of(compound, members=5, alternates=1)
    vacancy = leave(committee, "委员2", notice_start=date(2026, 3, 2))
    assert (vacancy.notice_start, vacancy.notice_end, vacancy.file_by) == (
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 24),
    )
    entry = AuditEntry.objects.filter(action="committee.vacancy").latest("id")
    assert entry.data["moved_up"] == "候补1" and entry.data["file_by"] == "2026-03-24"
    vacancies.vacancy_file(vacancy=vacancy, actor=OPERATOR, on=date(2026, 3, 20))
    vacancy.refresh_from_db()
    assert vacancy.filed_on == date(2026, 3, 20)


def test_an_alternate_leaving_moves_nobody_and_keeps_the_seats(compound):
    committee = committee_of(compound, members=5, alternates=2)
    vacancy = leave(committee, "候补1")
    assert vacancy.moved_up_name == "" and vacancy.file_by is None
    assert member(committee, "候补2").role == Role.ALTERNATE
    assert seats.seat_state(committee).vacant == 0


@pytest.mark.parametrize(
    ("reason", "on", "message"),
    [
        ("removed", date(2026, 3, 1), "罢免"),
        ("other", date(2026, 3, 1), "说明"),
        ("resigned", date(2024, 12, 31), "任期"),
        ("resigned", None, "尚未发生"),
    ],
)
def test_it_refuses_a_leaving_it_cannot_record_and_changes_nothing(compound, reason, on, message):
    committee = committee_of(compound, members=5, alternates=1)
    on = on or timezone.localdate() + timedelta(days=1)
    with pytest.raises(ElectionError) as refused:
        leave(committee, "委员2", reason=reason, on=on)
    assert message in str(refused.value)
    assert member(committee, "委员2") and member(committee, "候补1").role == Role.ALTERNATE
    assert not Vacancy.objects.exists()


# ---------------------------------------------------------------------------------------------
# Half the seats: by-election or a whole re-election
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seats_", "left", "allowed"), [(6, 3, True), (6, 4, False), (7, 3, True), (7, 4, False)]
)
def test_exactly_half_allows_a_by_election_and_one_fewer_refuses_it(compound, seats_, left, allowed):
    """6 seats: 3 members left in office is exactly half (not fewer than half): a by-election; 2 is
    fewer than half: the whole committee is re-elected. 7 seats: 4 left, more than half; 3, fewer."""
    committee = committee_of(compound, members=seats_)
    for i in range(left):
        leave(committee, f"委员{seats_ - i}")
    committee.refresh_from_db()
    problems = seats.by_election_problems(compound.pk)
    if allowed:
        assert problems == []
        election = lc.election_create(compound=compound, title="补选", kind=Kind.BY_ELECTION, actor=OPERATOR)
        assert election.kind == Kind.BY_ELECTION
        assert committee.full_reelection_due_since is None
    else:
        assert [p.code for p in problems] == ["members_below_half"]
        with pytest.raises(ElectionError) as refused:
            lc.election_create(compound=compound, title="补选", kind=Kind.BY_ELECTION, actor=OPERATOR)
        assert "不足" in str(refused.value) and "重新选举" in str(refused.value)
        assert committee.full_reelection_due_since == date(2026, 3, 1)
        assert AuditEntry.objects.filter(action="committee.full_reelection_due").count() == 1
        assert not Election.objects.filter(kind=Kind.BY_ELECTION).exists()


def test_a_by_election_fills_the_vacant_seats_only(compound):
    """Two vacant seats: a race of three is refused, of two accepted; the notice checks it again."""
    committee = committee_of(compound, members=7)
    leave(committee, "委员7")
    leave(committee, "委员6")
    election = lc.election_create(compound=compound, title="补选", kind=Kind.BY_ELECTION, actor=OPERATOR)
    with pytest.raises(ElectionError) as refused:
        lc.race_save(election=election, actor=OPERATOR, title="补选委员", seats=3)
    assert "至多 2" in str(refused.value)
    race = lc.race_save(election=election, actor=OPERATOR, title="补选委员", seats=2)
    assert race.seats == 2
    assert "by_election_too_many_seats" not in [p.code for p in lc.blockers(election)]
    # A seat filled by hand meanwhile: the notice now refuses the race of two.
    CommitteeMember.objects.create(committee=committee, name="补入", role=Role.MEMBER, position=99)
    election.refresh_from_db()
    codes = [getattr(p, "code", "") for p in lc.preconditions.p_notice(election)]
    assert "by_election_too_many_seats" in codes


def test_it_refuses_a_by_election_while_alternates_are_left_or_nothing_is_vacant(compound):
    committee = committee_of(compound, members=5, alternates=1, seats_=7)
    assert [p.code for p in seats.by_election_problems(compound.pk)] == ["alternates_left"]
    CommitteeMember.objects.filter(committee=committee, role=Role.ALTERNATE).update(role=Role.MEMBER)
    CommitteeMember.objects.create(committee=committee, name="委员7", role=Role.MEMBER, position=9)
    assert [p.code for p in seats.by_election_problems(compound.pk)] == ["no_vacant_seat"]


def test_it_refuses_a_by_election_for_an_expired_committee(compound):
    committee = committee_of(compound, members=5, seats_=7, term_end=timezone.localdate() - timedelta(days=1))
    assert [p.code for p in seats.by_election_problems(compound.pk)] == ["committee_expired"]
    with pytest.raises(ElectionError) as refused:
        lc.election_create(compound=compound, title="补选", kind=Kind.BY_ELECTION, actor=OPERATOR)
    assert "届满" in str(refused.value)
    committee.term_end = timezone.localdate()  # the last day of the term: still in office
    committee.save()
    assert seats.by_election_problems(compound.pk) == []


# ---------------------------------------------------------------------------------------------
# Removal (罢免)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("proposers", "enough"), [(2, False), (3, True)])
def test_a_third_of_seven_members_is_three(compound, proposers, enough):
    committee = committee_of(compound, members=7)
    names = [f"委员{i}" for i in range(2, 2 + proposers)]
    call = lambda: vacancies.removal_propose_by_members(  # noqa: E731
        member=member(committee, "委员7"),
        proposers=[member(committee, n) for n in names],
        actor=OPERATOR,
        reason="长期不履职",
    )
    if enough:
        removal = call()
        assert (
            removal.route == MemberRemoval.Route.MEMBERS and removal.status == MemberRemoval.Status.PROPOSED
        )
        assert [p["name"] for p in removal.proposers] == names
        assert AuditEntry.objects.filter(action="committee.removal_proposed").exists()
    else:
        with pytest.raises(ElectionError) as refused:
            call()
        assert "三分之一" in str(refused.value) or "3" in str(refused.value)
        assert not MemberRemoval.objects.exists()


def test_the_member_concerned_and_alternates_do_not_count_as_proposers(compound):
    committee = committee_of(compound, members=7, alternates=1)
    with pytest.raises(ElectionError):
        vacancies.removal_propose_by_members(
            member=member(committee, "委员7"),
            proposers=[member(committee, n) for n in ("委员1", "委员2", "委员7")],
            actor=OPERATOR,
        )
    with pytest.raises(ElectionError):
        vacancies.removal_propose_by_members(
            member=member(committee, "委员7"),
            proposers=[member(committee, n) for n in ("委员1", "委员2", "候补1")],
            actor=OPERATOR,
        )
    assert not MemberRemoval.objects.exists()


def removal_put_to_vote(compound, committee, *, passed: bool) -> tuple[MemberRemoval, Election]:
    removal = vacancies.removal_propose_by_members(
        member=member(committee, "委员7"),
        proposers=[member(committee, n) for n in ("委员1", "委员2", "委员3")],
        actor=OPERATOR,
    )
    election = lc.election_create(
        compound=compound, title="临时业主大会", kind=Kind.MATTERS_ONLY, actor=OPERATOR
    )
    matter = vacancies.removal_to_agenda(removal=removal, election=election, actor=OPERATOR)
    assert matter.item == Matter.Item.COMMITTEE and matter.category == Matter.Category.ORDINARY
    assert "委员7" in matter.title
    share = {"area": "100.00", "heads": 1}
    none = {"area": "0.00", "heads": 0}
    result = {
        "participation": {"area": "100.00", "heads": 1, "quorum_met": True},
        "matters": {
            matter.key: {"yes": share if passed else none, "no": none if passed else share, "passed": passed}
        },
        "races": {},
    }
    Election.objects.filter(pk=election.pk).update(stage=Stage.RESULT_NOTICE, result=result)
    return removal, election


@pytest.mark.parametrize("passed", [True, False])
def test_only_a_passed_matter_removes_the_member_when_the_result_is_published(compound, passed):
    committee = committee_of(compound, members=7, alternates=1)
    removal, election = removal_put_to_vote(compound, committee, passed=passed)
    removal.refresh_from_db()
    assert removal.status == MemberRemoval.Status.ON_AGENDA
    assert CommitteeMember.objects.filter(committee=committee, name="委员7").exists()  # not before the result
    lc.result_publish(election=election, actor=OPERATOR, on=timezone.localdate())
    removal.refresh_from_db()
    gone = not CommitteeMember.objects.filter(committee=committee, name="委员7").exists()
    assert gone is passed
    assert removal.status == (MemberRemoval.Status.PASSED if passed else MemberRemoval.Status.FAILED)
    assert removal.decided_on == timezone.localdate()
    if passed:
        vacancy = Vacancy.objects.get(committee=committee)
        assert vacancy.reason == Vacancy.Reason.REMOVED and vacancy.moved_up_name == "候补1"
        assert member(committee, "候补1").role == Role.MEMBER
    else:
        assert not Vacancy.objects.exists() and member(committee, "候补1").role == Role.ALTERNATE


def test_a_removal_goes_on_one_agenda_once(compound):
    committee = committee_of(compound, members=7)
    removal, election = removal_put_to_vote(compound, committee, passed=True)
    with pytest.raises(ElectionError):
        vacancies.removal_to_agenda(removal=removal, election=election, actor=OPERATOR)
    with pytest.raises(ElectionError):  # a second proposal for the same member while one waits
        vacancies.removal_propose_by_members(
            member=member(committee, "委员7"),
            proposers=[member(committee, n) for n in ("委员4", "委员5", "委员6")],
            actor=OPERATOR,
        )


def test_owners_reaching_twenty_percent_put_the_removal_to_an_assembly(compound):
    """An owners' proposal naming a member: at 20 % of the area and heads a removal is recorded, and
    convening the temporary assembly puts it on the agenda as an ordinary matter."""
    committee = committee_of(compound, members=5)
    users = [owner_user(compound, f"1-1-{101 + i}", "100.00")[0] for i in range(5)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        proposal = proposal_svc.proposal_create(
            compound=compound,
            actor=users[0],
            title="罢免委员5",
            text="理由：长期不履职。",
            removal_of=member(committee, "委员5"),
        )
    removal = MemberRemoval.objects.get(proposal=proposal)
    assert removal.route == MemberRemoval.Route.OWNERS and removal.member_name == "委员5"
    election = proposal_svc.proposal_convene(proposal=proposal, actor=OPERATOR)
    removal.refresh_from_db()
    assert removal.status == MemberRemoval.Status.ON_AGENDA and removal.matter.election_id == election.pk


def test_owners_may_only_name_a_member_in_office_of_their_compound(compound, other_compound):
    committee_of(other_compound, members=5)
    user = owner_user(compound, "1-1-101", "100.00")[0]
    stranger = CommitteeMember.objects.get(committee__compound=other_compound, name="委员2")
    with pytest.raises(ElectionError):
        proposal_svc.proposal_create(
            compound=compound, actor=user, title="罢免", text="理由", removal_of=stranger
        )


# ---------------------------------------------------------------------------------------------
# 换届 and an expired committee
# ---------------------------------------------------------------------------------------------


def shanghai(compound):
    street = compound.community.street
    street.profile = "shanghai"
    street.save()


@pytest.mark.parametrize(
    ("profile", "months_left", "refused"),
    [("shanghai", 4, True), ("shanghai", 7, False), ("national", 2, False)],
)
def test_the_outgoing_committee_puts_no_major_matter_to_the_assembly_in_shanghai(
    compound, profile, months_left, refused
):
    """上海 第28条: within its re-election window (5 months before the term ends in 上海) the committee
    may not put hiring the property manager or the maintenance fund to the assembly."""
    if profile == "shanghai":
        shanghai(compound)
    committee_of(compound, members=5, term_end=timezone.localdate() + timedelta(days=30 * months_left))
    election = lc.election_create(
        compound=compound, title="临时业主大会", kind=Kind.MATTERS_ONLY, actor=OPERATOR
    )
    lc.matter_save(election=election, actor=OPERATOR, title="修订管理规约", item=Matter.Item.STATUTE)
    for item in (Matter.Item.PROPERTY_MANAGER, Matter.Item.USE_FUND):
        if refused:
            with pytest.raises(ElectionError) as stopped:
                lc.matter_save(election=election, actor=OPERATOR, title="选聘物业", item=item)
            assert "上海 第28条" in str(stopped.value)
        else:
            lc.matter_save(election=election, actor=OPERATOR, title="选聘物业", item=item)
    assert Matter.objects.filter(election=election).count() == (1 if refused else 3)


def test_a_re_election_under_way_is_a_changeover_too(compound):
    shanghai(compound)
    committee_of(compound, members=5)  # term ends in 2029: no window yet
    election = lc.election_create(
        compound=compound, title="临时业主大会", kind=Kind.MATTERS_ONLY, actor=OPERATOR
    )
    lc.matter_save(election=election, actor=OPERATOR, title="解聘物业", item=Matter.Item.PROPERTY_MANAGER)
    lc.election_create(
        compound=compound, title="第三届换届选举", kind=Kind.REELECTION, actor=OPERATOR, concurrent=True
    )
    with pytest.raises(ElectionError):
        lc.matter_save(election=election, actor=OPERATOR, title="动用维修资金", item=Matter.Item.USE_FUND)
    assert "major_matter_during_changeover" in [
        getattr(p, "code", "") for p in lc.preconditions.p_notice(election)
    ]


def test_an_expired_committee_cannot_convene_an_assembly(compound, working_group, street_staff):
    committee_of(compound, members=5, term_end=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ElectionError) as refused:
        lc.election_create(
            compound=compound, title="临时业主大会", kind=Kind.MATTERS_ONLY, actor=working_group
        )
    assert "届满" in str(refused.value) and "不能召集" in str(refused.value)
    assert not Election.objects.exists()
    # The street office organises it instead; a re-election is never refused for this.
    lc.election_create(compound=compound, title="临时业主大会", kind=Kind.MATTERS_ONLY, actor=street_staff)
    lc.election_create(
        compound=compound, title="换届选举", kind=Kind.REELECTION, actor=working_group, concurrent=True
    )
    assert Election.objects.count() == 2


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def test_it_records_a_leaving_on_the_committee_page(client, compound, working_group):
    committee = committee_of(compound, members=5, alternates=1)
    sign_in(client, working_group)
    url = reverse("manage:committee_vacancies", args=[committee.pk])
    page = client.get(url)
    assert page.status_code == 200 and "候补1" in page.content.decode()
    response = client.post(
        url, {"member": member(committee, "委员3").pk, "reason": "died", "left_on": "2026-03-01"}, follow=True
    )
    assert response.status_code == 200
    vacancy = Vacancy.objects.get()
    assert (
        vacancy.reason == "died" and vacancy.moved_up_name == "候补1" and vacancy.recorded_by == working_group
    )
    assert "候补1" in response.content.decode()


def test_the_page_refuses_bad_input_in_chinese_and_changes_nothing(client, compound, working_group):
    committee = committee_of(compound, members=5)
    sign_in(client, working_group)
    response = client.post(
        reverse("manage:committee_vacancies", args=[committee.pk]),
        {"member": member(committee, "委员3").pk, "reason": "other", "left_on": "2026-03-01"},
    )
    assert response.status_code == 200 and "说明" in response.content.decode()
    assert not Vacancy.objects.exists()


def test_the_page_records_a_members_removal_proposal(client, compound, working_group):
    committee = committee_of(compound, members=7)
    sign_in(client, working_group)
    response = client.post(
        reverse("manage:committee_removal_propose", args=[committee.pk]),
        {
            "member": member(committee, "委员7").pk,
            "proposers": [member(committee, f"委员{i}").pk for i in (1, 2)],
        },
        follow=True,
    )
    assert "三分之一" in response.content.decode() and not MemberRemoval.objects.exists()
    client.post(
        reverse("manage:committee_removal_propose", args=[committee.pk]),
        {
            "member": member(committee, "委员7").pk,
            "proposers": [member(committee, f"委员{i}").pk for i in (1, 2, 3)],
        },
    )
    assert MemberRemoval.objects.get().member_name == "委员7"


def test_the_page_is_not_for_anonymous_another_street_or_a_wrong_method(
    client, compound, outsider_staff, working_group
):
    committee = committee_of(compound, members=5)
    url = reverse("manage:committee_vacancies", args=[committee.pk])
    assert client.get(url).status_code == 302  # to the sign-in
    sign_in(client, outsider_staff)
    assert client.get(url).status_code == 404
    client.logout()
    sign_in(client, working_group)
    assert client.get(reverse("manage:committee_removal_agenda", args=[committee.pk])).status_code == 405
    assert client.put(url).status_code == 405


def test_the_page_puts_a_removal_on_an_agenda_and_records_a_filing(client, compound, working_group):
    committee = committee_of(compound, members=7, alternates=1)
    removal = vacancies.removal_propose_by_members(
        member=member(committee, "委员7"),
        proposers=[member(committee, n) for n in ("委员1", "委员2", "委员3")],
        actor=OPERATOR,
    )
    election = lc.election_create(
        compound=compound, title="临时业主大会", kind=Kind.MATTERS_ONLY, actor=OPERATOR
    )
    sign_in(client, working_group)
    client.post(
        reverse("manage:committee_removal_agenda", args=[committee.pk]),
        {"removal": removal.pk, "election": election.pk},
    )
    removal.refresh_from_db()
    assert removal.status == MemberRemoval.Status.ON_AGENDA and removal.matter.election_id == election.pk
    vacancy = leave(committee, "委员6", notice_start=date(2026, 3, 2))
    url = reverse("manage:committee_vacancy_filed", args=[committee.pk])
    response = client.post(url, {"vacancy": vacancy.pk, "on": "2026-03-01"}, follow=True)
    assert "备案日期不能早于" in response.content.decode()
    client.post(url, {"vacancy": vacancy.pk, "on": "2026-03-20"})
    vacancy.refresh_from_db()
    assert vacancy.filed_on == date(2026, 3, 20)


def test_a_leaving_is_a_change_to_file_and_the_member_hands_over(compound):
    """Every change to a committee is filed within 30 days and a departing member hands over within
    7 (RULES.md §7): a leaving recorded here makes both tracked deadlines, named after the member."""
    from elections.models import CommitteeDeadline

    committee = committee_of(compound, members=5, alternates=1)
    leave(committee, "委员3", on=date(2026, 3, 2))
    deadlines = CommitteeDeadline.objects.filter(committee=committee, subject="委员3")
    assert {d.kind for d in deadlines} == {
        CommitteeDeadline.Kind.FILING,
        CommitteeDeadline.Kind.MEMBER_HANDOVER,
    }
    filing = deadlines.get(kind=CommitteeDeadline.Kind.FILING)
    assert filing.change == CommitteeDeadline.Change.MEMBER_OUT and filing.due_on >= date(2026, 4, 1)
