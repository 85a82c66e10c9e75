"""The 物业管理委员会 (RULES.md §7): who forms it and when, its members, term and publicity, the
assembly it convenes in the interim, and its dissolution when a new committee takes office."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from elections import lifecycle as lc
from elections.errors import ElectionError, NotStreetOffice
from elections.lifecycle.interim import MemberSpec
from elections.models import (
    CommitteeDeadline,
    Election,
    PropertyCommittee,
    Stage,
)
from grids.models import RoleAssignment
from tests.factories import UserFactory, grant
from yezhu.actors import OPERATOR, SCHEDULER
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def members(n=7, owners=4, chair_rc=True) -> list[MemberSpec]:
    """``n`` members of whom ``owners`` are owners; the first is the chair from the residents' committee."""
    found = [MemberSpec(name="居委会主任", residents_committee=chair_rc, chair=True, affiliation="居委会")]
    for i in range(1, n):
        found.append(MemberSpec(name=f"成员{i}", is_owner=i <= owners))
    return found


@pytest.fixture
def beijing(compound):
    street = compound.community.street
    street.profile = "beijing"
    street.save()
    return compound


@pytest.fixture
def expired(beijing):
    """A committee whose term ended half a year ago, with no successor."""
    today = timezone.localdate()
    return lc.committee_register(
        compound=beijing,
        term_start=today - timedelta(days=5 * 365),
        term_end=today - timedelta(days=180),
        actor=OPERATOR,
    )


def form(compound, actor, *, basis=PropertyCommittee.Basis.NO_SUCCESSOR, years=3, extra_days=0, people=None):
    today = timezone.localdate()
    start = today - timedelta(days=10)
    return lc.property_committee_form(
        compound=compound,
        actor=actor,
        basis=basis,
        formed_on=start,
        term_start=start,
        term_end=date(start.year + years, start.month, start.day) + timedelta(days=extra_days),
        publicity_start=start,
        publicity_end=start + timedelta(days=7),
        members=people if people is not None else members(),
        decision_number="街办〔2026〕12号",
    )


def test_it_forms_a_property_committee_where_the_term_ended_with_no_successor(expired, street_staff):
    body = form(expired.compound, street_staff)
    assert body.active and body.members.count() == 7
    assert body.members.get(chair=True).residents_committee
    assert AuditEntry.objects.filter(
        action="property_committee.formed", compound_id=expired.compound_id
    ).exists()
    filing = CommitteeDeadline.objects.get(property_committee=body)
    assert (
        filing.kind == CommitteeDeadline.Kind.FILING
        and filing.change == CommitteeDeadline.Change.PROPERTY_COMMITTEE
    )
    assert filing.due_on >= body.formed_on + timedelta(days=30)


def test_it_refuses_anyone_but_the_street_office(expired, compound):
    community_staff = UserFactory()
    grant(community_staff, RoleAssignment.Role.COMMUNITY_STAFF, compound.community)
    with pytest.raises(NotStreetOffice):
        form(compound, community_staff)
    with pytest.raises(NotStreetOffice):
        form(compound, SCHEDULER)
    assert not PropertyCommittee.objects.exists()


def test_it_refuses_where_the_profile_provides_none(expired, street_staff):
    street = expired.compound.community.street
    street.profile = "shanghai"
    street.save()
    with pytest.raises(ElectionError, match="物业管理委员会|property management"):
        form(expired.compound, street_staff)
    assert not PropertyCommittee.objects.exists()


def test_it_refuses_while_a_committee_term_runs(beijing, street_staff):
    today = timezone.localdate()
    lc.committee_register(
        compound=beijing,
        term_start=today - timedelta(days=400),
        term_end=today + timedelta(days=30),
        actor=OPERATOR,
    )
    with pytest.raises(ElectionError):
        form(beijing, street_staff)
    assert not PropertyCommittee.objects.exists()


def test_it_needs_a_failed_election_when_no_committee_can_be_formed(beijing, street_staff):
    with pytest.raises(ElectionError):
        form(beijing, street_staff, basis=PropertyCommittee.Basis.CANNOT_FORM)
    Election.objects.create(
        compound=beijing, title="首次业主大会", kind=Election.Kind.FIRST_ASSEMBLY, stage=Stage.FAILED
    )
    assert form(beijing, street_staff, basis=PropertyCommittee.Basis.CANNOT_FORM).active


@pytest.mark.parametrize(
    ("n", "owners", "ok"),
    [
        (7, 4, True),  # seven, owners more than half
        (9, 5, True),
        (7, 3, False),  # owners 3 of 7: fewer than half
        (5, 3, False),  # fewer than seven
        (8, 4, False),  # even
    ],
)
def test_it_checks_the_members(expired, street_staff, n, owners, ok):
    people = members(n, owners)
    assert sum(m.is_owner for m in people) == owners
    if ok:
        assert form(expired.compound, street_staff, people=people).members.count() == n
    else:
        with pytest.raises(ElectionError):
            form(expired.compound, street_staff, people=people)
        assert not PropertyCommittee.objects.exists()


def test_it_needs_the_chair_from_the_residents_committee(expired, street_staff):
    with pytest.raises(ElectionError):
        form(expired.compound, street_staff, people=members(chair_rc=False))


def test_it_refuses_a_term_over_the_profiles_years(expired, street_staff):
    """北京: at most three years; exactly three is allowed, one day more is not."""
    with pytest.raises(ElectionError):
        form(expired.compound, street_staff, years=3, extra_days=1)
    assert form(expired.compound, street_staff, years=3).active


def test_hangzhou_allows_two_years(expired, street_staff):
    street = expired.compound.community.street
    street.profile = "hangzhou"
    street.save()
    with pytest.raises(ElectionError):
        form(expired.compound, street_staff, years=2, extra_days=1)
    assert form(expired.compound, street_staff, years=2).active


def test_it_allows_one_active_property_committee(expired, street_staff):
    form(expired.compound, street_staff)
    with pytest.raises(ElectionError):
        form(expired.compound, street_staff)


def test_it_convenes_an_assembly_where_an_expired_committee_cannot(expired, street_staff):
    compound = expired.compound
    assert lc.convening_body(compound) is None  # the expired committee may not convene
    body = form(compound, street_staff)
    assert lc.convening_body(compound) == "property_committee"
    election = lc.property_committee_convene(
        property_committee=body,
        actor=street_staff,
        title="第二届业主委员会选举",
        kind=Election.Kind.REELECTION,
    )
    assert election.property_committee == body
    assert AuditEntry.objects.filter(action="property_committee.convened", election_id=election.pk).exists()


def test_it_is_dissolved_when_the_new_committee_takes_office(expired, street_staff):
    compound = expired.compound
    body = form(compound, street_staff)
    lc.committee_update(committee=expired, actor=OPERATOR, ended_on=body.formed_on)
    assert lc.property_committee_dissolve_if_succeeded(compound_id=compound.pk, actor=SCHEDULER) is None
    today = timezone.localdate()
    new = lc.committee_register(
        compound=compound, term_start=today, term_end=today + timedelta(days=5 * 365 - 2), actor=OPERATOR
    )
    body.refresh_from_db()
    assert body.dissolved_on == today and body.successor == new
    assert lc.convening_body(compound) == "committee"
    assert lc.property_committee_dissolve_if_succeeded(compound_id=compound.pk, actor=SCHEDULER) is None


def test_an_expired_committee_refused_to_convene_but_its_property_committee_may(
    expired, street_staff, working_group
):
    """RULES.md §7: an expired committee convenes no assembly, the 物管会 acts in the interim, so the
    working group may set up a vote on matters once the street office has formed one."""
    compound = expired.compound
    with pytest.raises(ElectionError, match="不能召集"):
        lc.election_create(
            compound=compound, title="临时业主大会", kind=Election.Kind.MATTERS_ONLY, actor=working_group
        )
    form(compound, street_staff)
    election = lc.election_create(
        compound=compound, title="临时业主大会", kind=Election.Kind.MATTERS_ONLY, actor=working_group
    )
    assert election.kind == Election.Kind.MATTERS_ONLY
