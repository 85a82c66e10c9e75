"""The party organisation as pages and services (issue 16 part 1): the tree, its posts and members,
members reporting to their compound's branch, their activity, and central households on the grid
leader's list. Scoped like everything else: another street's staff are refused everywhere."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from grids import party as svc
from grids.models import Grid, PartyActivity, PartyMember, PartyOrg, PartyReport, RoleAssignment, Unit
from tests.factories import CommunityFactory, CompoundFactory, UserFactory, grant, owner_user
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

Level = PartyOrg.Level


@pytest.fixture
def community_staff(compound):
    user = UserFactory(name="社区书记")
    grant(user, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    return user


@pytest.fixture
def tree(compound, street_staff):
    """The four levels for the compound, made by the street's staff through the services."""
    street_org = svc.party_org_create(actor=street_staff, level=Level.STREET, place=compound.community.street)
    community_org = svc.party_org_create(actor=street_staff, level=Level.COMMUNITY, place=compound.community)
    branch = svc.party_org_create(actor=street_staff, level=Level.COMPOUND, place=compound)
    resident, owner, unit = owner_user(compound, "3-1-201", name="王秀英")
    group = svc.party_org_create(actor=street_staff, level=Level.BUILDING, place=unit.building)
    return {"street": street_org, "community": community_org, "branch": branch, "group": group}


@pytest.fixture
def secretary(tree, compound, street_staff):
    """An owner who serves as the branch's secretary (书记), with an account."""
    user, _owner, _unit = owner_user(compound, "1-1-101", name="李书记")
    svc.party_member_save(
        actor=street_staff, org=tree["branch"], name="李书记", role="secretary", unit_code="1-1-101"
    )
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------


def test_it_builds_the_four_levels_each_under_the_one_above(tree, compound):
    assert tree["community"].parent == tree["street"]
    assert tree["branch"].parent == tree["community"] and tree["branch"].name == "西园里党支部"
    assert tree["group"].parent == tree["branch"] and tree["group"].name == "3号楼党小组"
    assert AuditEntry.objects.filter(action="party.org_created").count() == 4
    with pytest.raises(svc.PartyError):
        svc.party_org_create(actor=OPERATOR, level=Level.COMPOUND, place=compound)


def test_it_shows_the_tree_to_the_streets_staff_with_counts(tree, street_staff, secretary):
    html = client_for(street_staff).get("/party/").content.decode()
    for name in ("湖滨街道党工委", "东坡社区党委", "西园里党支部", "3号楼党小组"):
        assert name in html
    assert "1 名党员，1 名已报到" not in html  # the secretary has not reported yet
    assert "1 名党员，0 名已报到" in html


def test_it_lets_community_staff_edit_their_community_only(tree, community_staff, other_compound):
    svc.party_member_save(actor=community_staff, org=tree["branch"], name="张党员")
    with pytest.raises(svc.PartyForbidden):
        svc.party_org_rename(actor=community_staff, org=tree["street"], name="改名")
    with pytest.raises(svc.PartyForbidden):
        svc.party_org_create(actor=community_staff, level=Level.COMPOUND, place=other_compound)
    other_community = CommunityFactory(street=tree["street"].street, name="北山社区")
    with pytest.raises(svc.PartyForbidden):
        svc.party_org_create(actor=community_staff, level=Level.COMMUNITY, place=other_community)


def test_it_links_a_member_to_the_owner_of_the_home_given(tree, compound, street_staff):
    user, owner, _unit = owner_user(compound, "2-1-101", name="赵党员")
    member = svc.party_member_save(
        actor=street_staff,
        org=tree["branch"],
        name="赵党员",
        unit_code="2-1-101",
        reported_on=date(2026, 3, 1),
    )
    assert member.owner == owner and member.user == user
    with pytest.raises(svc.PartyError) as refused:
        svc.party_member_save(actor=street_staff, org=tree["branch"], name="钱某", unit_code="2-1-101")
    assert "钱某" in str(refused.value)


def test_it_keeps_one_secretary_and_group_leaders_in_building_groups(tree, street_staff, secretary):
    with pytest.raises(svc.PartyError):
        svc.party_member_save(actor=street_staff, org=tree["branch"], name="孙书记", role="secretary")
    with pytest.raises(svc.PartyError):
        svc.party_member_save(actor=street_staff, org=tree["branch"], name="周组长", role="group_leader")
    leader = svc.party_member_save(actor=street_staff, org=tree["group"], name="周组长", role="group_leader")
    assert leader.role == PartyMember.Role.GROUP_LEADER


def test_it_adds_edits_and_removes_members_on_the_pages(tree, street_staff):
    client = client_for(street_staff)
    branch = tree["branch"]
    response = client.post(f"/party/org/{branch.pk}/members/", {"name": "吴党员", "role": "committee"})
    assert response.status_code == 302
    member = PartyMember.objects.get(name="吴党员")
    page = client.get(f"/party/org/{branch.pk}/").content.decode()
    assert "吴党员" in page and "支部委员" in page
    client.post(f"/party/member/{member.pk}/", {"name": "吴党员", "role": "deputy"})
    assert PartyMember.objects.get(pk=member.pk).role == "deputy"
    client.post(f"/party/member/{member.pk}/delete/")
    assert not PartyMember.objects.filter(pk=member.pk).exists()
    assert AuditEntry.objects.filter(action="party.member_removed").exists()


def test_it_creates_organisations_from_the_pages(compound, street_staff):
    client = client_for(street_staff)
    street = compound.community.street
    assert "湖滨街道党工委" in client.get("/party/").content.decode()  # offered, not yet made
    client.post("/party/new/", {"level": "street", "place": street.pk})
    street_org = PartyOrg.objects.get(level=Level.STREET, street=street)
    client.post("/party/new/", {"level": "community", "place": compound.community.pk})
    community_org = PartyOrg.objects.get(level=Level.COMMUNITY)
    assert community_org.parent == street_org
    client.post(f"/party/org/{community_org.pk}/children/", {"place": compound.pk, "name": ""})
    assert PartyOrg.objects.get(level=Level.COMPOUND).name == "西园里党支部"


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def test_an_owner_reports_and_the_branch_confirms(tree, compound, secretary):
    """A party member who owns a home reports from their phone; the branch's secretary confirms
    and they become a member reported today."""
    owner_account, owner, unit = owner_user(compound, "5-2-502", name="陈党员")
    phone = client_for(owner_account)
    form = phone.get("/party/report/").content.decode()
    assert "5-2-502" in form
    phone.post("/party/report/", {"unit": unit.pk, "name": "陈党员", "home_org": "市第一医院党委"})
    report = PartyReport.objects.get(user=owner_account)
    assert report.status == "pending" and report.org == tree["branch"]
    again = phone.post("/party/report/", {"unit": unit.pk, "name": "陈党员", "home_org": "市第一医院党委"})
    assert "等待确认" in again.content.decode()
    assert PartyReport.objects.filter(user=owner_account).count() == 1

    officer = client_for(secretary)
    page = officer.get(f"/party/org/{tree['branch'].pk}/").content.decode()
    assert "陈党员" in page and "市第一医院党委" in page
    officer.post(f"/party/reports/{report.pk}/confirm/")
    member = PartyMember.objects.get(org=tree["branch"], user=owner_account)
    assert member.owner == owner and member.reported_on == timezone.localdate()
    assert PartyReport.objects.get(pk=report.pk).decided_by == secretary
    assert AuditEntry.objects.filter(action="party.report_confirmed", actor=secretary).exists()
    assert "您已是" in phone.get("/party/report/").content.decode()


def test_it_refuses_a_report_through_someone_elses_home_or_without_a_branch(tree, compound, other_compound):
    user, _owner, _unit = owner_user(compound, "6-1-101", name="某业主")
    _other_user, _other, theirs = owner_user(compound, "6-1-102", name="邻居")
    with pytest.raises(svc.PartyForbidden):
        svc.party_report_file(actor=user, unit=theirs, name="某业主", home_org="某单位党支部")
    far_user, _far_owner, far_unit = owner_user(other_compound, "1-1-1", name="外小区业主")
    with pytest.raises(svc.PartyError):
        svc.party_report_file(actor=far_user, unit=far_unit, name="外小区业主", home_org="某单位党支部")


def test_it_asks_a_reason_to_turn_a_report_down(tree, compound, street_staff):
    user, _owner, unit = owner_user(compound, "7-1-101", name="冒名者")
    report = svc.party_report_file(actor=user, unit=unit, name="冒名者", home_org="不存在的支部")
    with pytest.raises(svc.PartyError):
        svc.party_report_reject(actor=street_staff, report=report, reason=" ")
    client_for(street_staff).post(f"/party/reports/{report.pk}/reject/", {"reason": "查无组织关系"})
    report.refresh_from_db()
    assert report.status == "rejected" and report.reason == "查无组织关系"
    assert "查无组织关系" in client_for(user).get("/party/report/").content.decode()


def test_a_branch_officer_confirms_but_does_not_edit_the_tree(tree, secretary):
    client = client_for(secretary)
    assert client.get(f"/party/org/{tree['branch'].pk}/").status_code == 200
    assert client.get(f"/party/org/{tree['community'].pk}/").status_code == 404
    assert (
        client.post(
            f"/party/org/{tree['branch'].pk}/members/", {"name": "某某", "role": "member"}
        ).status_code
        == 403
    )
    assert client.post(f"/party/org/{tree['branch'].pk}/rename/", {"name": "改名"}).status_code == 403


# ---------------------------------------------------------------------------------------------
# Activity and central households
# ---------------------------------------------------------------------------------------------


def test_it_records_a_members_activity(tree, street_staff, secretary):
    member = PartyMember.objects.get(name="李书记")
    client_for(secretary).post(
        f"/party/member/{member.pk}/activity/", {"on": "2026-03-05", "kind": "service", "note": "楼道清扫"}
    )
    assert PartyActivity.objects.get(member=member).note == "楼道清扫"
    with pytest.raises(svc.PartyError):
        svc.party_activity_record(
            actor=street_staff, member=member, on=timezone.localdate() + timedelta(days=1), kind="service"
        )


def test_a_central_household_appears_on_its_grid_leaders_list(tree, compound, street_staff, secretary):
    member = PartyMember.objects.get(name="李书记")
    unit = Unit.objects.get(compound=compound, code="1-1-101")
    grid = Grid.objects.create(community=compound.community, compound=compound, name="第一网格")
    grid.buildings.add(unit.building)
    other_grid = Grid.objects.create(community=compound.community, compound=compound, name="第二网格")
    leader, stranger = UserFactory(name="刘阿姨"), UserFactory(name="另一网格长")
    grant(leader, RoleAssignment.Role.GRID_LEADER, grid)
    grant(stranger, RoleAssignment.Role.GRID_LEADER, other_grid)
    client_for(secretary).post(f"/party/member/{member.pk}/central/{unit.pk}/", {"on": "1"})
    assert Unit.objects.get(pk=unit.pk).central_household
    html = client_for(leader).get("/grid/").content.decode()
    assert "党员中心户" in html and "1-1-101" in html and "李书记" in html
    assert "1-1-101" not in client_for(stranger).get("/grid/").content.decode()
    neighbour = Unit.objects.create(
        compound=compound,
        building=unit.building,
        number="102",
        code="1-1-102",
        area="80",
        area_source="register",
    )
    with pytest.raises(svc.PartyError):
        svc.central_household_set(actor=street_staff, unit=neighbour, on=True)


# ---------------------------------------------------------------------------------------------
# Scope: another street's staff, anonymous users, wrong methods
# ---------------------------------------------------------------------------------------------


def test_it_refuses_another_streets_staff_on_every_page_and_endpoint(
    tree, compound, outsider_staff, secretary
):
    member = PartyMember.objects.get(name="李书记")
    user, _owner, unit = owner_user(compound, "8-1-101", name="报到者")
    report = svc.party_report_file(actor=user, unit=unit, name="报到者", home_org="某单位党支部")
    client = client_for(outsider_staff)
    html = client.get("/party/").content.decode()
    assert "西园里" not in html and "湖滨街道" not in html
    branch = tree["branch"]
    unit_id = Unit.objects.get(code="1-1-101").pk
    for url in (f"/party/org/{branch.pk}/", f"/party/member/{member.pk}/"):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/party/org/{branch.pk}/rename/", {"name": "x"}),
        (f"/party/org/{branch.pk}/delete/", {}),
        (f"/party/org/{branch.pk}/children/", {"place": "1"}),
        (f"/party/org/{branch.pk}/members/", {"name": "x", "role": "member"}),
        (f"/party/member/{member.pk}/", {"name": "x", "role": "member"}),
        (f"/party/member/{member.pk}/delete/", {}),
        (f"/party/member/{member.pk}/activity/", {"on": "2026-01-01", "kind": "service"}),
        (f"/party/member/{member.pk}/central/{unit_id}/", {"on": "1"}),
        (f"/party/reports/{report.pk}/confirm/", {}),
        (f"/party/reports/{report.pk}/reject/", {"reason": "x"}),
        ("/party/new/", {"level": "community", "place": compound.community.pk}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert PartyMember.objects.filter(pk=member.pk).exists()
    assert PartyReport.objects.get(pk=report.pk).status == "pending"
    assert PartyOrg.objects.get(pk=branch.pk).name == "西园里党支部"


def test_it_sends_anonymous_users_to_sign_in_and_refuses_wrong_methods(tree, street_staff):
    anonymous = Client()
    for url in ("/party/", f"/party/org/{tree['branch'].pk}/", "/party/report/"):
        assert anonymous.get(url).status_code == 302
    client = client_for(street_staff)
    assert client.get(f"/party/org/{tree['branch'].pk}/rename/").status_code == 405
    assert client.get("/party/reports/1/confirm/").status_code == 405
    assert client.post(f"/party/org/{tree['branch'].pk}/").status_code == 405


def test_it_sends_an_owner_without_staff_scope_to_the_report_page(compound):
    user, _owner, _unit = owner_user(compound, "9-1-101", name="普通业主")
    response = client_for(user).get("/party/")
    assert response.status_code == 302 and response["Location"].endswith("/party/report/")
    assert client_for(UserFactory()).get("/party/").status_code == 404
    assert "向小区党支部报到" in client_for(user).get("/").content.decode()


def test_it_lists_the_street_office_with_no_party_data_of_other_streets(tree, other_compound, outsider_staff):
    """The other street's own tree is theirs alone."""
    svc.party_org_create(actor=outsider_staff, level=Level.STREET, place=other_compound.community.street)
    other = CompoundFactory(community=other_compound.community, code="LY2", name="灵隐二区")
    svc.party_org_create(actor=outsider_staff, level=Level.COMMUNITY, place=other.community)
    html = client_for(outsider_staff).get("/party/").content.decode()
    assert "灵隐街道党工委" in html and "湖滨街道党工委" not in html


def test_it_refuses_a_report_from_a_member_already_on_the_branchs_list(tree, compound, street_staff):
    """A member entered by staff with their home before they had an account is already on the
    list once they sign up: a report makes no second row."""
    from tests.factories import OwnerFactory, unit_with_owners

    owner = OwnerFactory(name="孙党员")
    unit = unit_with_owners(compound, "4-1-101", "90.00", [owner])
    member = svc.party_member_save(actor=street_staff, org=tree["branch"], name="孙党员", unit_code="4-1-101")
    assert member.user is None
    user = UserFactory(name="孙党员")
    owner.user = user
    owner.save(update_fields=["user"])
    with pytest.raises(svc.PartyError):
        svc.party_report_file(actor=user, unit=unit, name="孙党员", home_org="某单位党支部")
    assert PartyMember.objects.filter(name="孙党员").count() == 1
