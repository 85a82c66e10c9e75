"""The street office's gates (三关, issue 16 part 3): where a street asks for them, the start of an
election and the working group's make-up wait for the street office's approval. The gates are
preconditions in the transition table; the approvals are transitions only the street office may
take; each records who and when, and the overview and timeline show it."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from elections import lifecycle as lc
from elections.errors import NotStreetOffice, Refused
from elections.lifecycle import table
from elections.models import Election, Stage
from grids.models import RoleAssignment, Street
from tests.api.conftest import token_client
from tests.elections.test_lifecycle import schedule
from tests.factories import UserFactory, grant
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def gates(street: Street, *, start=True, working_group=True) -> None:
    Street.objects.filter(pk=street.pk).update(gate_start=start, gate_working_group=working_group)


@pytest.fixture
def community_staff(compound):
    user = UserFactory(name="社区干部")
    grant(user, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    return user


def started(compound) -> Election:
    return lc.election_create(compound=compound, title="第二届业主委员会换届选举", actor=OPERATOR)


def with_group(compound) -> Election:
    election = started(compound)
    if Street.objects.get(pk=compound.community.street_id).gate_start:
        lc.start_approve(election=election, actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    # A lawful make-up (指导规则 第十条): three, owners at least half, led by the residents' committee.
    lc.working_group_member_add(
        election=election,
        actor=OPERATOR,
        name="李书记",
        affiliation="residents_committee",
        role="leader",
        party_member=True,
    )
    lc.working_group_member_add(election=election, actor=OPERATOR, name="王业主", affiliation="owner")
    lc.working_group_member_add(election=election, actor=OPERATOR, name="赵业主", affiliation="owner")
    return election


def codes(election: Election) -> list[str]:
    return [p.code for p in lc.blockers(Election.objects.get(pk=election.pk))]


def test_it_changes_nothing_for_a_street_that_holds_no_gates(compound, street_staff):
    """Without the setting the working group is formed at once and no approval is offered."""
    election = started(compound)
    assert "start_approve" not in lc.allowed_actions(election, actor=street_staff)
    lc.working_group_form(election=election, actor=street_staff)
    assert Election.objects.get(pk=election.pk).stage == Stage.WORKING_GROUP
    with pytest.raises(Refused) as refused:
        lc.start_approve(election=election, actor=street_staff)
    assert refused.value.code == "wrong_stage"


def test_it_blocks_forming_the_working_group_until_the_street_office_approves_the_start(
    compound, street_staff, working_group
):
    """The gate is a precondition of working_group_form with a stable code; the blocker says so."""
    gates(compound.community.street)
    election = started(compound)
    assert codes(election) == ["start_not_approved"]
    with pytest.raises(Refused) as refused:
        lc.working_group_form(election=election, actor=working_group)
    assert refused.value.code == "start_not_approved"
    assert Election.objects.get(pk=election.pk).stage == Stage.STARTED

    lc.start_approve(election=election, actor=street_staff, note="同意启动换届")
    election.refresh_from_db()
    assert election.start_approved_by == street_staff
    assert election.start_approved_at is not None
    assert election.start_approval_note == "同意启动换届"
    row = AuditEntry.objects.get(action="election.start_approved", election_id=election.pk)
    assert row.actor == street_staff and row.data["note"] == "同意启动换届"
    lc.working_group_form(election=election, actor=working_group)
    assert Election.objects.get(pk=election.pk).stage == Stage.WORKING_GROUP


def test_it_lets_only_the_street_office_approve(compound, working_group, community_staff, outsider_staff):
    """The working group and community staff manage the election but may not approve its gates;
    another street's office may not either."""
    gates(compound.community.street)
    election = started(compound)
    for who in (working_group, community_staff, outsider_staff):
        with pytest.raises(NotStreetOffice):
            lc.start_approve(election=election, actor=who)
        assert "start_approve" not in lc.allowed_actions(election, actor=who)
    assert Election.objects.get(pk=election.pk).start_approved_at is None
    assert not AuditEntry.objects.filter(action="election.start_approved").exists()


def test_it_refuses_a_second_approval(compound, street_staff):
    gates(compound.community.street)
    election = started(compound)
    lc.start_approve(election=election, actor=street_staff)
    with pytest.raises(Refused) as refused:
        lc.start_approve(election=election, actor=street_staff)
    assert refused.value.code == "start_already_approved"


def test_it_blocks_the_list_and_the_notice_until_the_make_up_is_approved(
    compound, street_staff, working_group
):
    gates(compound.community.street, start=False)
    election = with_group(compound)
    lc.race_save(election=election, actor=OPERATOR, title="业主委员会委员", seats=5, alternates=0)
    with pytest.raises(Refused) as refused:
        lc.working_group_publish(election=election, actor=working_group)
    assert refused.value.code == "working_group_not_approved"
    assert "working_group_not_approved" in codes(election)
    with pytest.raises(NotStreetOffice):
        lc.working_group_approve(election=election, actor=working_group)

    lc.working_group_approve(election=election, actor=street_staff, note="组成符合要求")
    row = AuditEntry.objects.get(action="election.working_group_approved", election_id=election.pk)
    assert row.data["members"] == 3 and row.data["party_members"] == 1
    assert row.data["affiliations"] == {"residents_committee": 1, "owner": 2}
    lc.working_group_publish(election=election, actor=working_group, on=date(2026, 2, 5))
    schedule(election, working_group)
    lc.notice_publish(election=election, actor=working_group, on=date(2026, 3, 1))
    assert Election.objects.get(pk=election.pk).stage == Stage.NOTICE


def test_it_lets_the_approval_lapse_when_the_make_up_changes_before_the_notice(compound, street_staff):
    gates(compound.community.street, start=False)
    election = with_group(compound)
    lc.working_group_approve(election=election, actor=street_staff)
    lc.working_group_member_add(election=election, actor=OPERATOR, name="赵民警", affiliation="police")
    election.refresh_from_db()
    assert election.working_group_approved_at is None
    assert AuditEntry.objects.filter(
        action="election.working_group_approval_lapsed", election_id=election.pk
    ).exists()
    assert "working_group_not_approved" in codes(election)
    lc.working_group_approve(election=election, actor=street_staff)
    assert Election.objects.get(pk=election.pk).working_group_approved_at is not None


def test_it_carries_the_approvals_over_to_a_restarted_election(compound, street_staff):
    gates(compound.community.street)
    election = with_group(compound)
    lc.working_group_approve(election=election, actor=street_staff)
    lc.election_fail(election=election, actor=OPERATOR, reason="街道决定重新组织")
    new = lc.election_restart(election=election, actor=OPERATOR, at="notice")
    assert new.start_approved_at == Election.objects.get(pk=election.pk).start_approved_at
    assert new.working_group_approved_by == street_staff


def test_it_shows_the_approve_button_to_the_street_office_only(compound, street_staff, working_group):
    """The overview offers the approval to the street office; the working group sees the blocker
    and no button, and its POST is refused with the street office's message."""
    gates(compound.community.street)
    election = started(compound)
    wg = Client()
    wg.force_login(working_group)
    html = wg.get(f"/manage/e/{election.pk}/").content.decode()
    assert "/do/start_approve/" not in html
    assert "街道办事处尚未批准启动本次选举" in html
    response = wg.post(f"/manage/e/{election.pk}/do/start_approve/", {}, follow=True)
    assert "只有街道办事处可以审批" in response.content.decode()
    assert Election.objects.get(pk=election.pk).start_approved_at is None

    office = Client()
    office.force_login(street_staff)
    assert "/do/start_approve/" in office.get(f"/manage/e/{election.pk}/").content.decode()
    office.post(f"/manage/e/{election.pk}/do/start_approve/", {"start_approve-note": "同意"})
    assert Election.objects.get(pk=election.pk).start_approved_by == street_staff
    page = office.get(f"/manage/e/{election.pk}/timeline/").content.decode()
    assert "街道干部" in page and "同意" in page


def test_it_offers_the_approval_in_the_api_to_the_street_office_only(compound, street_staff, working_group):
    gates(compound.community.street)
    election = started(compound)
    body = token_client(working_group).get(f"/api/v1/elections/{election.pk}/actions/").json()
    assert "start_approve" not in body["allowed"]
    assert [b["code"] for b in body["blockers"]] == ["start_not_approved"]
    refused = token_client(working_group).post(
        f"/api/v1/elections/{election.pk}/actions/start_approve/", {}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "street_office_only"
    office = token_client(street_staff)
    assert "start_approve" in office.get(f"/api/v1/elections/{election.pk}/actions/").json()["allowed"]
    assert (
        office.post(f"/api/v1/elections/{election.pk}/actions/start_approve/", {}, format="json").status_code
        == 200
    )


def test_it_keeps_another_streets_staff_out_of_the_approvals(compound, outsider_staff):
    gates(compound.community.street)
    election = started(compound)
    client = Client()
    client.force_login(outsider_staff)
    assert client.get(f"/manage/e/{election.pk}/").status_code == 404
    assert client.post(f"/manage/e/{election.pk}/do/start_approve/", {}).status_code == 404
    assert client.get(f"/manage/e/{election.pk}/working-group/").status_code == 404
    api = token_client(outsider_staff)
    assert (
        api.post(f"/api/v1/elections/{election.pk}/actions/start_approve/", {}, format="json").status_code
        == 404
    )
    assert Election.objects.get(pk=election.pk).start_approved_at is None


def test_it_shows_the_make_up_and_the_approval_form_on_the_working_group_page(
    compound, street_staff, working_group
):
    gates(compound.community.street, start=False)
    election = with_group(compound)
    office = Client()
    office.force_login(street_staff)
    html = office.get(f"/manage/e/{election.pk}/working-group/").content.decode()
    assert "3 名成员，其中党员 1 名（33.3%）" in html
    assert "/do/working_group_approve/" in html
    wg = Client()
    wg.force_login(working_group)
    assert (
        "/do/working_group_approve/" not in wg.get(f"/manage/e/{election.pk}/working-group/").content.decode()
    )


def test_it_keeps_the_table_one_entry_per_approval():
    """Each approval is one entry (and one service) of the table, taken by the street office only."""
    for name in ("start_approve", "working_group_approve"):
        entry = table.transition(name)
        assert entry.street_office
        assert not entry.is_next_step(Election(stage=entry.sources[0]))


# ---------------------------------------------------------------------------------------------
# The street's settings page
# ---------------------------------------------------------------------------------------------


def test_it_lets_the_street_office_switch_its_gates_on(street, street_staff):
    client = Client()
    client.force_login(street_staff)
    assert client.get("/street/settings/").status_code == 200
    response = client.post(
        "/street/settings/", {"gate_start": "on", "gate_working_group": "on", "party_share_target": "0.60"}
    )
    assert response.status_code == 302
    street.refresh_from_db()
    assert street.gate_start and street.gate_working_group
    assert str(street.party_share_target) == "0.60"
    row = AuditEntry.objects.get(action="street.settings")
    assert row.street_id == street.pk and row.data["after"]["gate_start"] is True


def test_it_refuses_the_settings_to_others(street, outsider_staff, compound):
    """Another street's office never sees this street's settings; district staff may read them but
    not change them; anonymous users are sent to sign in."""
    client = Client()
    client.force_login(outsider_staff)
    assert client.get(f"/street/settings/?street={street.pk}").status_code == 404
    assert client.post(f"/street/settings/?street={street.pk}", {"gate_start": "on"}).status_code == 404
    from tests.factories import DistrictFactory

    district = DistrictFactory()
    Street.objects.filter(pk=street.pk).update(district=district)
    reader = UserFactory()
    grant(reader, RoleAssignment.Role.DISTRICT_STAFF, district)
    client.force_login(reader)
    assert client.get(f"/street/settings/?street={street.pk}").status_code == 200
    assert (
        client.post(
            f"/street/settings/?street={street.pk}", {"gate_start": "on", "party_share_target": "0.5"}
        ).status_code
        == 403
    )
    assert not Street.objects.get(pk=street.pk).gate_start
    assert Client().get("/street/settings/").status_code == 302
    assert Client().put("/street/settings/").status_code in (302, 405)
