"""The committee register: hand registration, members, filing, and the re-election alert."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from elections import lifecycle as lc
from elections.errors import ElectionError
from elections.models import Committee, CommitteeMember
from elections.rules import timeline as tl
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

TERM_END = date(2027, 6, 30)


@pytest.fixture
def sitting(compound):
    return lc.committee_register(
        compound=compound, term_start=date(2022, 7, 1), term_end=TERM_END, actor=OPERATOR
    )


def alerts(compound, today):
    committees = Committee.objects.filter(compound=compound).select_related("compound__community__street")
    return lc.reelection_alerts(committees, today=today)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 3, 29), None),  # the day before start_by: still in office
        (date(2027, 3, 30), tl.ReelectionStatus.ALERT),  # three months before the end
        (date(2027, 6, 30), tl.ReelectionStatus.ALERT),  # the term's last day
        (date(2027, 7, 1), tl.ReelectionStatus.OVERDUE),  # 应换未换 from the next day
    ],
)
def test_it_lists_a_reelection_at_its_boundaries(compound, sitting, today, expected):
    """National profile: alert from 3 months before the term ends, overdue the day after it ends."""
    rows = alerts(compound, today)
    if expected is None:
        assert rows == []
    else:
        assert [(r.committee.pk, r.status, r.start_by) for r in rows] == [
            (sitting.pk, expected, date(2027, 3, 30))
        ]


def test_it_uses_the_streets_profile_for_the_lead_time(compound, sitting):
    """北京: six months before the term ends."""
    street = compound.community.street
    street.profile = "beijing"
    street.save()
    assert alerts(compound, date(2026, 12, 30)) and not alerts(compound, date(2026, 12, 29))


def test_it_leaves_ended_committees_and_elected_unfiled_ones_out(compound, sitting):
    lc.committee_update(committee=sitting, ended_on=date(2027, 5, 1), actor=OPERATOR)
    assert alerts(compound, date(2027, 7, 2)) == []


def test_it_registers_a_sitting_committee_by_hand_through_the_page(client, compound, street_staff):
    client.force_login(street_staff)
    response = client.post(
        reverse("manage:committee_new", args=[compound.pk]),
        {"term_start": "2023-05-01", "term_end": "2028-05-01", "filed_on": "2023-05-20"},
    )
    committee = Committee.objects.get(compound=compound)
    assert response["Location"] == reverse("manage:committee", args=[committee.pk])
    assert committee.filed_on == date(2023, 5, 20) and lc.committee_status(committee) == "in_office"
    assert AuditEntry.objects.filter(action="committee.registered", compound_id=compound.pk).exists()


def test_it_refuses_a_term_that_ends_before_it_starts(compound):
    with pytest.raises(ElectionError):
        lc.committee_register(
            compound=compound, term_start=date(2023, 5, 1), term_end=date(2023, 4, 1), actor=OPERATOR
        )


def test_it_adds_members_with_roles_party_and_cross_posts(client, compound, sitting, street_staff):
    client.force_login(street_staff)
    url = reverse("manage:committee_member_add", args=[sitting.pk])
    client.post(
        url, {"new-name": "孙主任", "new-role": "chair", "new-party_member": "on", "new-cross_post": "on"}
    )
    client.post(url, {"new-name": "周委员", "new-role": "member"})
    members = list(
        sitting.members.order_by("position").values_list("name", "role", "party_member", "cross_post")
    )
    assert members == [("孙主任", "chair", True, True), ("周委员", "member", False, False)]
    html = client.get(reverse("manage:committees", args=[compound.pk])).content.decode()
    assert "委员 2 人，其中党员 1 人，交叉任职 1 人" in html and "主任" in html


def test_it_keeps_one_chair(compound, sitting):
    lc.committee_member_save(committee=sitting, name="甲", role="chair", actor=OPERATOR)
    second = lc.committee_member_save(committee=sitting, name="乙", role="member", actor=OPERATOR)
    with pytest.raises(ElectionError, match="已有主任"):
        lc.committee_member_save(committee=sitting, member=second, name="乙", role="chair", actor=OPERATOR)


def test_it_records_the_first_meeting_and_officers(client, compound, sitting, street_staff):
    client.force_login(street_staff)
    client.post(
        reverse("manage:committee", args=[sitting.pk]),
        {"first_meeting_on": "2022-07-05", "officers_published_on": "2022-07-07"},
    )
    sitting.refresh_from_db()
    assert (sitting.first_meeting_on, sitting.officers_published_on) == (date(2022, 7, 5), date(2022, 7, 7))


def test_it_removes_a_member(client, compound, sitting, street_staff):
    member = lc.committee_member_save(committee=sitting, name="吴", role="member", actor=OPERATOR)
    client.force_login(street_staff)
    client.post(reverse("manage:committee_member_remove", args=[sitting.pk, member.pk]))
    assert not CommitteeMember.objects.filter(pk=member.pk).exists()


def test_it_refuses_changing_the_term_of_an_elected_committee(compound, sitting):
    """A committee from an election takes its term from the election, not from a form."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    elected = Committee.objects.create(
        compound=compound, election=election, term_start=date(2027, 6, 1), term_end=date(2032, 6, 1)
    )
    with pytest.raises(ElectionError):
        lc.committee_update(committee=elected, term_end=date(2033, 6, 1), actor=OPERATOR)
    assert lc.committee_status(elected) == "elected"
    # The sitting committee stays the one the alert follows until the new one is filed.
    assert [r.committee.pk for r in alerts(compound, TERM_END + timedelta(days=1))] == [sitting.pk]
