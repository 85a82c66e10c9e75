"""The street's pages of the committee between elections: forming the 物管会, its page, recording a
change and its filing (with the printable form), acting on an escalation, and the board's figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections.lifecycle.interim import MemberSpec
from elections.models import CommitteeDeadline, Escalation, EscalationStep, PropertyCommittee
from grids.models import RoleAssignment
from tests.factories import UserFactory, grant
from yezhu.actors import OPERATOR, SCHEDULER

pytestmark = pytest.mark.django_db


@pytest.fixture
def beijing(compound):
    street = compound.community.street
    street.profile = "beijing"
    street.save()
    return compound


@pytest.fixture
def expired(beijing):
    today = timezone.localdate()
    return lc.committee_register(
        compound=beijing,
        term_start=today - timedelta(days=1900),
        term_end=today - timedelta(days=100),
        actor=OPERATOR,
    )


@pytest.fixture
def community_staff(compound):
    user = UserFactory(name="社区干部")
    grant(user, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    return user


def post_data(today: date, owners: int = 4) -> dict:
    data = {
        "basis": "no_successor",
        "decision_number": "街办〔2026〕3号",
        "formed_on": today.isoformat(),
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=365 * 2)).isoformat(),
        "publicity_start": today.isoformat(),
        "publicity_end": (today + timedelta(days=7)).isoformat(),
        "m-TOTAL_FORMS": "11",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "15",
    }
    data.update({"m-0-name": "居委会主任", "m-0-residents_committee": "on", "m-0-chair": "on"})
    for i in range(1, 7):
        data[f"m-{i}-name"] = f"成员{i}"
        if i <= owners:
            data[f"m-{i}-is_owner"] = "on"
    return data


def test_the_street_office_forms_a_property_committee_on_its_page(client, street_staff, expired):
    url = reverse("street:property_committee_form", args=[expired.compound_id])
    client.force_login(street_staff)
    assert client.get(url).status_code == 200
    response = client.post(url, post_data(timezone.localdate()))
    body = PropertyCommittee.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "street:property_committee", args=[body.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "居委会主任" in page and "街办〔2026〕3号" in page


def test_it_shows_the_refusal_in_chinese_and_changes_nothing(client, street_staff, expired):
    client.force_login(street_staff)
    response = client.post(
        reverse("street:property_committee_form", args=[expired.compound_id]),
        post_data(timezone.localdate(), owners=3),
    )
    assert response.status_code == 400
    assert "业主" in response.content.decode()
    assert not PropertyCommittee.objects.exists()


def test_community_staff_may_not_form_it(client, community_staff, expired):
    client.force_login(community_staff)
    url = reverse("street:property_committee_form", args=[expired.compound_id])
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, post_data(timezone.localdate())).status_code in (403, 404)
    assert not PropertyCommittee.objects.exists()


def test_anonymous_is_sent_to_sign_in_and_other_streets_get_404(client, expired, other_compound):
    url = reverse("street:property_committee_form", args=[expired.compound_id])
    assert client.get(url).status_code == 302
    outsider = UserFactory()
    grant(outsider, RoleAssignment.Role.STREET_STAFF, other_compound.community.street)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(reverse("street:committee_change", args=[expired.compound_id]), {}).status_code == 404


def test_a_change_is_recorded_filed_and_printed(client, street_staff, compound):
    today = timezone.localdate()
    lc.committee_register(
        compound=compound,
        term_start=today - timedelta(days=365),
        term_end=today + timedelta(days=300),
        actor=OPERATOR,
    )
    client.force_login(street_staff)
    url = reverse("street:committee_change", args=[compound.pk])
    assert client.get(url).status_code == 405
    client.post(url, {"change": "member_out", "on": today.isoformat(), "subject": "李四"})
    filing = CommitteeDeadline.objects.get(kind="filing")
    assert CommitteeDeadline.objects.filter(kind="member_handover", subject="李四").exists()
    page = client.get(reverse("street:compound", args=[compound.pk])).content.decode()
    assert "李四" in page and reverse("street:deadline_print", args=[filing.pk]) in page
    printed = client.get(reverse("street:deadline_print", args=[filing.pk])).content.decode()
    assert "data-print" in printed and compound.name in printed
    client.post(reverse("street:deadline_done", args=[filing.pk]), {"done_on": today.isoformat()})
    filing.refresh_from_db()
    assert filing.done_on == today and filing.done_by == street_staff


def test_the_street_office_records_its_order_on_an_escalation(client, street_staff, expired, community_staff):
    escalation = lc.escalations_sweep(actor=SCHEDULER)["raised"][0]
    url = reverse("street:escalation_order", args=[escalation.pk])
    client.force_login(community_staff)
    assert client.post(url, {"told": "居委会", "on": timezone.localdate().isoformat()}).status_code in (
        403,
        404,
    )
    client.force_login(street_staff)
    board = client.get(reverse("street:board")).content.decode()
    assert 'id="escalations"' in board and expired.compound.name in board
    client.post(url, {"told": "东坡社区居委会 王主任", "on": timezone.localdate().isoformat()})
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.ACTED
    assert EscalationStep.objects.filter(
        escalation=escalation, kind="ordered_election", by=street_staff
    ).exists()


def test_the_board_counts_compounds_under_a_property_committee(client, street_staff, expired):
    today = timezone.localdate()
    lc.property_committee_form(
        compound=expired.compound,
        actor=street_staff,
        basis="no_successor",
        formed_on=today,
        term_start=today,
        term_end=today + timedelta(days=700),
        publicity_start=today,
        publicity_end=today + timedelta(days=7),
        members=[MemberSpec(name="居委会主任", residents_committee=True, chair=True)]
        + [MemberSpec(name=f"业主{i}", is_owner=True) for i in range(6)],
    )
    client.force_login(street_staff)
    html = client.get(reverse("street:board")).content.decode()
    assert "property-committee" in html
    from elections import board

    rows = board.board_rows(_compounds(expired))
    assert board.figures(rows).under_property_committee == 1


def _compounds(committee):
    from grids.models import Compound

    return Compound.objects.filter(pk=committee.compound_id)


def test_the_street_timeline_shows_the_filings_and_handovers(client, street_staff, compound):
    today = timezone.localdate()
    committee = lc.committee_register(
        compound=compound,
        term_start=today - timedelta(days=365),
        term_end=today + timedelta(days=300),
        actor=OPERATOR,
    )
    lc.committee_change_recorded(
        committee, "member_out", today - timedelta(days=10), actor=OPERATOR, subject="李四"
    )
    client.force_login(street_staff)
    html = client.get(reverse("street:timeline")).content.decode()
    assert "李四" in html and 'class="list interim-deadlines"' in html
    assert "milestone late" in html  # the member's handover (7 days) is overdue


def test_an_auditor_reads_but_may_not_form_a_property_committee(client, expired):
    auditor = UserFactory()
    grant(auditor, RoleAssignment.Role.AUDITOR, expired.compound.community.street)
    client.force_login(auditor)
    assert client.get(reverse("street:compound", args=[expired.compound_id])).status_code == 200
    url = reverse("street:property_committee_form", args=[expired.compound_id])
    assert client.get(url).status_code == 403
    assert client.post(url, post_data(timezone.localdate())).status_code == 403
    assert not PropertyCommittee.objects.exists()
