"""An assembly meeting held as 集体讨论 (物业管理条例 第12条): staff record who attends (owners and
proxies, against the frozen roll), the votes taken there are keyed in like paper ballots, and the
quorum counts attendance: an attendee whose ballot is not keyed in abstains (RULES.md §3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from elections import designations as ds
from elections import lifecycle, voting
from elections import meeting as mt
from elections.errors import ElectionError
from elections.models import Ballot, Election, MeetingAttendance, Stage, Voter
from elections.paper import paper_entry_submit, serial_for
from elections.rules.bundle import recount
from elections.services import bundle_for
from tests.elections.test_voting import open_election
from tests.factories import OwnerFactory, UserFactory, grant, owner_user, unit_with_owners
from yezhu.actors import SCHEDULER
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(compound):
    """Three homes of 100 ㎡ each: 王一 alone, 王二 alone, and 李甲 with 李乙 (co-owners)."""
    one = owner_user(compound, "1-1-101", "100.00", name="王一")
    two = owner_user(compound, "1-1-102", "100.00", name="王二")
    a, b = UserFactory(name="李甲"), UserFactory(name="李乙")
    unit_with_owners(
        compound, "1-1-103", "100.00", [OwnerFactory(name="李甲", user=a), OwnerFactory(name="李乙", user=b)]
    )
    return one, two, (a, b)


@pytest.fixture
def election(compound, homes):
    election = open_election(compound, matters=1, seats=1, candidates=2)
    Election.objects.filter(pk=election.pk).update(meeting_form=Election.MeetingForm.COLLECTIVE)
    election.refresh_from_db()
    return election


@pytest.fixture
def clerks(compound):
    from grids.models import RoleAssignment

    users = [UserFactory(name=n) for n in ("录入员甲", "录入员乙")]
    for user in users:
        grant(user, RoleAssignment.Role.WORKING_GROUP, compound)
    return users


def voter(election, code: str) -> Voter:
    return Voter.objects.get(election=election, units__code=code)


def key_twice(election, code, clerks, choices):
    for clerk in clerks:
        paper_entry_submit(
            election=election,
            serial=serial_for(voter(election, code)),
            actor=clerk,
            signed=True,
            choices=choices,
        )


def count(election, actor) -> Election:
    Election.objects.filter(pk=election.pk).update(
        stage=Stage.COUNTING, voting_closes_at=timezone.now() - timedelta(minutes=1)
    )
    election.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.election_count(election=election, actor=actor)
    election.refresh_from_db()
    return election


def test_it_reaches_the_quorum_of_exactly_two_thirds_with_an_attendee_who_cast_no_ballot_article_278(
    election, clerks
):
    """民法典 第278条 and 条例 第12条: 王一 votes yes at the meeting, 王二 attends without a ballot.
    Attendance is participation: 2 of 3 heads and 200 of 300 ㎡, exactly two-thirds, meet the quorum;
    王二 abstains, so yes is exactly half of the participants and the matter fails (过半数)."""
    mt.attendance_record(election=election, voter=voter(election, "1-1-101"), actor=clerks[0], name="王一")
    mt.attendance_record(election=election, voter=voter(election, "1-1-102"), actor=clerks[0], name="王二")
    key_twice(election, "1-1-101", clerks, {"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}})
    election = count(election, clerks[1])
    result = election.result
    assert result["participation"] == {"area": "200.00", "heads": 2, "quorum_met": True}
    assert result["matters"]["M1"]["abstain"] == {"area": "100.00", "heads": 1}
    assert result["matters"]["M1"]["passed"] is False
    assert result == recount(bundle_for(election))
    abstention = Ballot.objects.get(voter=voter(election, "1-1-102"))
    assert (abstention.channel, abstention.cast_as) == ("meeting", "attendee")
    assert abstention.choices == {"matters": {}, "races": {}}
    assert abstention.cast_by == clerks[0]
    assert AuditEntry.objects.filter(action="meeting.abstentions", election_id=election.pk).exists()


def test_it_misses_the_quorum_when_the_attendance_is_withdrawn_article_278(election, clerks):
    """Without 王二's attendance only one third took part: no quorum (民法典 第278条)."""
    mt.attendance_record(election=election, voter=voter(election, "1-1-101"), actor=clerks[0], name="王一")
    second = mt.attendance_record(
        election=election, voter=voter(election, "1-1-102"), actor=clerks[0], name="王二"
    )
    key_twice(election, "1-1-101", clerks, {"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}})
    mt.attendance_withdraw(attendance=second, actor=clerks[1], reason="签到表核对：未到场")
    election = count(election, clerks[1])
    assert election.result["participation"]["quorum_met"] is False
    assert not Ballot.objects.filter(voter=voter(election, "1-1-102")).exists()


def test_it_adds_no_ballot_for_an_attendee_who_already_voted_online(election, homes, clerks):
    (user, _owner, _unit), *_ = homes
    voting.ballot_cast_online(
        election=election, voter=voter(election, "1-1-101"), actor=user, choices={"matters": {"M1": "no"}}
    )
    mt.attendance_record(election=election, voter=voter(election, "1-1-101"), actor=clerks[0], name="王一")
    election = count(election, clerks[1])
    assert Ballot.objects.filter(voter=voter(election, "1-1-101")).count() == 1
    assert election.result["participation"]["heads"] == 1


@pytest.mark.parametrize("name", ["王二", "不相干的人", ""])
def test_it_refuses_an_attendee_who_may_not_attend_for_the_home(election, clerks, name):
    """Checked against the frozen roll: only an owner of the home (as registered) attends for it."""
    with pytest.raises(ElectionError, match="王一"):
        mt.attendance_record(election=election, voter=voter(election, "1-1-101"), actor=clerks[0], name=name)
    assert not MeetingAttendance.objects.exists()


def test_it_lets_only_the_proxy_attend_while_a_proxy_holds_the_vote(election, homes, clerks):
    (user, _owner, _unit), *_ = homes
    home = voter(election, "1-1-101")
    voting.proxy_authorise(
        election=election, voter=home, actor=user, proxy_mobile="13922223333", proxy_name="代理人"
    )
    with pytest.raises(ElectionError, match="代理人"):
        mt.attendance_record(election=election, voter=home, actor=clerks[0], name="王一")
    attendance = mt.attendance_record(election=election, voter=home, actor=clerks[0], name="代理人")
    assert attendance.kind == MeetingAttendance.Kind.PROXY and attendance.proxy is not None


def test_it_lets_only_the_designated_co_owner_attend(election, homes, clerks):
    home = voter(election, "1-1-103")
    a, b = homes[2]
    ds.designation_propose(
        election=election,
        voter=home,
        actor=a,
        designee_id=home.units.get().ownerships.get(owner__name="李乙").owner_id,
    )
    ds.designation_confirm(designation=ds.live_designation(home), actor=b)
    home.refresh_from_db()
    with pytest.raises(ElectionError, match="李乙"):
        mt.attendance_record(election=election, voter=home, actor=clerks[0], name="李甲")
    assert mt.attendance_record(election=election, voter=home, actor=clerks[0], name="李乙")


def test_it_records_one_attendance_per_home_and_writes_audit_rows(election, clerks):
    home = voter(election, "1-1-101")
    first = mt.attendance_record(election=election, voter=home, actor=clerks[0], name="王一")
    with pytest.raises(ElectionError):
        mt.attendance_record(election=election, voter=home, actor=clerks[1], name="王一")
    with pytest.raises(ElectionError):
        mt.attendance_withdraw(attendance=first, actor=clerks[1], reason=" ")
    mt.attendance_withdraw(attendance=first, actor=clerks[1], reason="录错房号")
    mt.attendance_record(election=election, voter=home, actor=clerks[1], name="王一")
    actions = list(
        AuditEntry.objects.filter(election_id=election.pk, action__startswith="meeting.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["meeting.attendance", "meeting.attendance_withdrawn", "meeting.attendance"]


def test_it_asks_for_the_sign_in_sheet_after_the_close(election, clerks):
    Election.objects.filter(pk=election.pk).update(voting_closes_at=timezone.now() - timedelta(minutes=1))
    election.refresh_from_db()
    with pytest.raises(ElectionError, match="signed the attendance sheet|签到"):
        mt.attendance_record(
            election=election, voter=voter(election, "1-1-101"), actor=clerks[0], name="王一"
        )
    assert mt.attendance_record(
        election=election,
        voter=voter(election, "1-1-101"),
        actor=clerks[0],
        name="王一",
        signed_in_before_close=True,
    )


def test_it_has_no_attendance_in_a_written_consultation(compound, homes, clerks):
    written = open_election(compound)
    with pytest.raises(ElectionError):
        mt.attendance_record(election=written, voter=voter(written, "1-1-101"), actor=clerks[0], name="王一")


def test_it_leaves_the_count_of_a_meeting_to_staff(election):
    """The scheduler closes on time but does not count: attendees' papers are keyed in first."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.voting_close(election=election, actor=SCHEDULER, now=election.voting_closes_at)
    election.refresh_from_db()
    assert election.stage == Stage.COUNTING and election.result is None


def test_it_sets_the_meeting_form_before_voting_opens(compound):
    election = lifecycle.election_create(compound=compound, title="选举", actor=SCHEDULER)
    lifecycle.election_update_settings(election=election, meeting_form="collective", actor=SCHEDULER)
    election.refresh_from_db()
    assert election.meeting_form == "collective"


def test_it_records_attendance_on_the_staff_page(client, election, working_group):
    client.force_login(working_group)
    url = reverse("manage:meeting", args=[election.pk])
    response = client.post(url, {"unit": "1-1-101", "name": "王一"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "王一" in page and serial_for(voter(election, "1-1-101")) in page


def test_it_keeps_the_attendance_page_to_the_elections_staff(client, election, outsider_staff):
    url = reverse("manage:meeting", args=[election.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    assert client.post(url, {"unit": "1-1-101", "name": "王一"}).status_code == 404
    assert not MeetingAttendance.objects.exists()
