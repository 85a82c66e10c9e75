"""Outreach before the vote and the reserve of future candidates (issue 16 part 5): visits are
logged by home from the working group's forming, not only during voting; the reserve lists
possible future candidates with who suggested them, for the working group and the branch."""

from __future__ import annotations

import pytest
from django.test import Client

from elections import lifecycle as lc
from elections import outreach as svc
from elections.errors import ElectionError
from elections.models import Election, OutreachVisit, ReserveCandidate, Stage
from elections.services import roll_freeze
from grids.models import Grid, PartyMember, PartyOrg, RoleAssignment, Unit
from tests.factories import UserFactory, grant, owner_user
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def homes(compound):
    return [
        owner_user(compound, code, name=name)
        for code, name in (("1-1-101", "张一"), ("1-1-102", "王二"), ("2-1-101", "李三"))
    ]


@pytest.fixture
def preparing(compound, homes):
    """An election whose working group has just been formed."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR)
    return Election.objects.get(pk=election.pk)


@pytest.fixture
def leader(compound, homes):
    grid = Grid.objects.create(community=compound.community, compound=compound, name="一号网格")
    grid.buildings.add(Unit.objects.get(code="1-1-101").building)
    user = UserFactory(name="刘阿姨")
    grant(user, RoleAssignment.Role.GRID_LEADER, grid)
    return user


def test_the_working_group_logs_visits_from_its_forming(preparing, working_group):
    unit = Unit.objects.get(code="2-1-101")
    svc.outreach_record(
        election=preparing,
        unit=unit,
        actor=working_group,
        way="talk",
        outcome="concerns",
        note="担心物业费上涨",
    )
    visit = OutreachVisit.objects.get()
    assert (visit.way, visit.outcome, visit.visited_by) == ("talk", "concerns", working_group)
    assert AuditEntry.objects.filter(action="outreach.visit", election_id=preparing.pk).exists()
    summary = svc.outreach_summary(preparing, svc.outreach_units(working_group, preparing))
    assert (summary.homes, summary.visited, summary.percent) == (3, 1, "33.3%")


def test_it_refuses_visits_before_the_working_group_and_once_voting_opens(compound, homes, working_group):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    unit = Unit.objects.get(code="1-1-101")
    with pytest.raises(ElectionError):
        svc.outreach_record(election=election, unit=unit, actor=working_group, outcome="supportive")
    Election.objects.filter(pk=election.pk).update(stage=Stage.VOTING)
    election.refresh_from_db()
    with pytest.raises(ElectionError):
        svc.outreach_record(election=election, unit=unit, actor=working_group, outcome="supportive")
    assert not OutreachVisit.objects.exists()


def test_a_grid_leader_visits_the_homes_of_their_grid_only(preparing, leader):
    client = client_for(leader)
    assert f"/grid/e/{preparing.pk}/outreach/" in client.get("/grid/").content.decode()
    page = client.get(f"/grid/e/{preparing.pk}/outreach/").content.decode()
    assert "1-1-101" in page and "张一" in page and "2-1-101" not in page
    mine, theirs = Unit.objects.get(code="1-1-101"), Unit.objects.get(code="2-1-101")
    client.post(
        f"/grid/e/{preparing.pk}/outreach/{mine.pk}/",
        {"way": "visit", "outcome": "supportive", "note": "支持换届"},
    )
    assert OutreachVisit.objects.get().unit == mine
    assert client.get(f"/grid/e/{preparing.pk}/outreach/{theirs.pk}/").status_code == 404
    assert (
        client.post(
            f"/grid/e/{preparing.pk}/outreach/{theirs.pk}/", {"way": "visit", "outcome": "supportive"}
        ).status_code
        == 404
    )
    with pytest.raises(svc.OutreachForbidden):
        svc.outreach_record(election=preparing, unit=theirs, actor=leader, outcome="supportive")


def test_the_voters_page_shows_the_visits_before_the_vote(preparing, leader):
    unit = Unit.objects.get(code="1-1-101")
    svc.outreach_record(
        election=preparing, unit=unit, actor=leader, outcome="concerns", note="不会用手机投票"
    )
    Election.objects.filter(pk=preparing.pk).update(stage=Stage.VOTING)
    roll_freeze(election=preparing, actor=OPERATOR)
    voter = preparing.voters.get(units=unit)
    page = client_for(leader).get(f"/grid/e/{preparing.pk}/voters/{voter.pk}/").content.decode()
    assert "投票前走访" in page and "不会用手机投票" in page


def test_staff_log_by_unit_number_on_the_page(preparing, working_group, outsider_staff):
    client = client_for(working_group)
    client.post(
        f"/manage/e/{preparing.pk}/outreach/",
        {"unit_code": "1-1-102", "way": "phone", "outcome": "supportive"},
    )
    assert OutreachVisit.objects.get().unit.code == "1-1-102"
    page = client.get(f"/manage/e/{preparing.pk}/outreach/").content.decode()
    assert "已走访 1 / 3 户（33.3%）" in page
    outsider = client_for(outsider_staff)
    assert outsider.get(f"/manage/e/{preparing.pk}/outreach/").status_code == 404
    assert (
        outsider.post(
            f"/manage/e/{preparing.pk}/outreach/", {"unit_code": "1-1-101", "outcome": "other"}
        ).status_code
        == 404
    )
    assert OutreachVisit.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# The reserve
# ---------------------------------------------------------------------------------------------


def test_the_working_group_and_the_branch_keep_the_reserve(compound, homes, working_group):
    officer_user, officer_owner, _unit = owner_user(compound, "5-1-101", name="党支部书记")
    branch = PartyOrg.objects.create(level="compound", compound=compound, name="党支部")
    PartyMember.objects.create(
        org=branch, name="党支部书记", owner=officer_owner, user=officer_user, role="secretary"
    )
    candidate = svc.reserve_add(
        compound=compound,
        actor=working_group,
        name="王二",
        unit_code="1-1-102",
        source="working_group",
        suggested_by_name="周组长",
        reason="退休工程师，热心公益",
    )
    assert candidate.owner == homes[1][1]
    with pytest.raises(ElectionError):
        svc.reserve_add(
            compound=compound,
            actor=officer_user,
            name="王二",
            unit_code="1-1-102",
            source="branch",
            suggested_by_name="书记",
        )
    page = client_for(officer_user).get(f"/manage/c/{compound.pk}/reserve/").content.decode()
    assert "王二" in page and "周组长" in page and "退休工程师" in page
    client_for(officer_user).post(
        f"/manage/c/{compound.pk}/reserve/",
        {"name": "李三", "source": "branch", "suggested_by_name": "党支部书记"},
    )
    assert ReserveCandidate.objects.filter(name="李三", source="branch").exists()
    client_for(officer_user).post(f"/manage/reserve/{candidate.pk}/withdraw/", {"reason": "搬走了"})
    candidate.refresh_from_db()
    assert candidate.status == "withdrawn" and candidate.withdrawn_reason == "搬走了"
    assert AuditEntry.objects.filter(action="reserve.withdrawn").exists()


def test_owners_grid_leaders_and_other_streets_do_not_see_the_reserve(
    compound, homes, leader, outsider_staff
):
    candidate = ReserveCandidate.objects.create(
        compound=compound, name="后备甲", source="owners", suggested_by_name="业主"
    )
    for who in (homes[0][0], leader, outsider_staff):
        client = client_for(who)
        assert client.get(f"/manage/c/{compound.pk}/reserve/").status_code == 404
        assert (
            client.post(
                f"/manage/c/{compound.pk}/reserve/",
                {"name": "x", "source": "owners", "suggested_by_name": "x"},
            ).status_code
            == 404
        )
        assert client.post(f"/manage/reserve/{candidate.pk}/withdraw/").status_code == 404
        with pytest.raises(svc.OutreachForbidden):
            svc.reserve_add(compound=compound, actor=who, name="x", source="owners", suggested_by_name="x")
    assert ReserveCandidate.objects.count() == 1 and ReserveCandidate.objects.get().status == "active"
