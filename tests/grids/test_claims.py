"""Owners' claims (认证申请): an owner files on /manage/compounds/claim/, staff decide, the owner reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids.models import Owner, OwnerClaim, RoleAssignment
from tests.factories import CompoundFactory, OwnerFactory, UserFactory, grant, unit_with_owners
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(compound):
    """A unit of 西园里 whose registered owner 王秀英 (ID ending 002X) has no account yet."""
    owner = OwnerFactory(name="王秀英", id_last4="002X")
    return unit_with_owners(compound, "3-1-201", "89.50", [owner])


@pytest.fixture
def resident(db):
    return UserFactory(name="王秀英")


def file_claim(client, compound, **overrides):
    data = {
        "q": compound.code,
        "compound": compound.pk,
        "unit_code": "3-1-201",
        "name": "王秀英",
        "id_last4": "002x",
        "certificate_number": "浙(2020)杭州市不动产权第0012345号",
        **overrides,
    }
    return client.post(reverse("grids:claim"), data)


def test_it_finds_compounds_by_code_or_name_only_when_searched(client, compound, other_compound, resident):
    """The picker lists nothing before a search, then only the compounds the search finds."""
    client.force_login(resident)
    response = client.get(reverse("grids:claim"))
    assert response.status_code == 200
    assert "西园里" not in response.content.decode() and "灵隐小区" not in response.content.decode()
    response = client.get(reverse("grids:claim"), {"q": "xylw"})
    assert [c.pk for c in response.context["matches"]] == [compound.pk]
    response = client.get(reverse("grids:claim"), {"q": "灵隐"})
    assert [c.pk for c in response.context["matches"]] == [other_compound.pk]
    assert client.get(reverse("grids:claim"), {"q": "西"}).context["matches"] == []


def test_it_files_a_claim_and_shows_it_as_pending(client, compound, home, resident):
    """A filed claim is pending, audited, and listed on the owner's page."""
    client.force_login(resident)
    response = file_claim(client, compound)
    assert response.status_code == 302
    claim = OwnerClaim.objects.get()
    assert (claim.user, claim.unit, claim.status, claim.id_last4) == (resident, home, "pending", "002X")
    assert AuditEntry.objects.filter(action="claim.filed", compound_id=compound.pk).exists()
    html = client.get(reverse("grids:claim")).content.decode()
    assert "3-1-201" in html and "等待审核" in html


def test_it_says_when_the_unit_is_not_on_the_roll(client, compound, home, resident):
    """An unknown unit code is a form error naming the compound; no claim is filed."""
    client.force_login(resident)
    response = file_claim(client, compound, unit_code="9-9-999")
    assert response.status_code == 200
    assert "没有 9-9-999" in response.content.decode()
    assert not OwnerClaim.objects.exists()


def test_it_refuses_a_second_pending_claim_on_the_same_home(client, compound, home, resident):
    """The service's refusal is shown as a form error."""
    client.force_login(resident)
    file_claim(client, compound)
    response = file_claim(client, compound)
    assert response.status_code == 200
    assert OwnerClaim.objects.count() == 1
    assert response.context["form"].non_field_errors()


def test_it_lets_staff_approve_a_claim_which_links_the_owner(client, compound, home, resident, working_group):
    """Approval links the claimant to the owner on the roll; the owner sees it approved."""
    client.force_login(resident)
    file_claim(client, compound)
    claim = OwnerClaim.objects.get()
    client.force_login(working_group)
    page = client.get(reverse("grids:claims", args=[compound.pk]))
    assert page.status_code == 200
    assert "王秀英" in page.content.decode() and "002X" in page.content.decode()
    response = client.post(reverse("grids:claim_approve", args=[compound.pk, claim.pk]))
    assert response.status_code == 302
    assert Owner.objects.get(name="王秀英").user == resident
    claim.refresh_from_db()
    assert claim.status == "approved" and claim.decided_by == working_group
    client.force_login(resident)
    assert "已通过" in client.get(reverse("grids:claim")).content.decode()


def test_it_shows_staff_why_a_claim_cannot_be_approved(client, compound, home, resident, working_group):
    """When no owner on the roll matches, approval fails with the service's message."""
    client.force_login(resident)
    file_claim(client, compound, id_last4="9999")
    claim = OwnerClaim.objects.get()
    client.force_login(working_group)
    response = client.post(reverse("grids:claim_approve", args=[compound.pk, claim.pk]), follow=True)
    assert "3-1-201" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "pending"
    assert Owner.objects.get(name="王秀英").user is None


def test_it_lets_staff_reject_with_a_reason_the_owner_reads(client, compound, home, resident, working_group):
    """A rejection needs a reason, and the owner sees that reason."""
    client.force_login(resident)
    file_claim(client, compound)
    claim = OwnerClaim.objects.get()
    client.force_login(working_group)
    url = reverse("grids:claim_reject", args=[compound.pk, claim.pk])
    client.post(url, {"reason": "  "})
    claim.refresh_from_db()
    assert claim.status == "pending"
    client.post(url, {"reason": "姓名与不动产权证不符"})
    claim.refresh_from_db()
    assert claim.status == "rejected"
    assert AuditEntry.objects.filter(action="claim.rejected").exists()
    client.force_login(resident)
    html = client.get(reverse("grids:claim")).content.decode()
    assert "未通过" in html and "姓名与不动产权证不符" in html


def test_it_hides_claims_of_other_compounds(client, compound, other_compound, resident, outsider_staff):
    """Staff of another street cannot see, approve or reject the claim: 404."""
    unit_with_owners(compound, "3-1-201", "89.50", [OwnerFactory(name="王秀英", id_last4="002X")])
    client.force_login(resident)
    file_claim(client, compound)
    claim = OwnerClaim.objects.get()
    client.force_login(outsider_staff)
    assert client.get(reverse("grids:claims", args=[compound.pk])).status_code == 404
    assert client.post(reverse("grids:claim_approve", args=[compound.pk, claim.pk])).status_code == 404
    # Nor through their own compound's URL.
    assert client.post(reverse("grids:claim_approve", args=[other_compound.pk, claim.pk])).status_code == 404
    assert (
        client.post(
            reverse("grids:claim_reject", args=[other_compound.pk, claim.pk]), {"reason": "x"}
        ).status_code
        == 404
    )
    claim.refresh_from_db()
    assert claim.status == "pending"


def test_it_keeps_auditors_and_grid_leaders_from_deciding_claims(client, compound, home, resident, street):
    """Deciding a claim changes the roll: only managing roles may (auditors get 404)."""
    client.force_login(resident)
    file_claim(client, compound)
    claim = OwnerClaim.objects.get()
    auditor = UserFactory()
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    client.force_login(auditor)
    assert client.get(reverse("grids:claims", args=[compound.pk])).status_code == 404
    assert client.post(reverse("grids:claim_approve", args=[compound.pk, claim.pk])).status_code == 404


def test_it_requires_sign_in_and_the_right_methods(client, compound):
    """Anonymous visitors are sent to sign in; approve/reject refuse GET; the claim page refuses PUT."""
    response = client.get(reverse("grids:claim"))
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    staff = UserFactory()
    grant(staff, RoleAssignment.Role.WORKING_GROUP, compound)
    claim_unit = unit_with_owners(compound, "1-1-101", "50.00", [OwnerFactory()])
    claim = OwnerClaim.objects.create(
        user=UserFactory(), unit=claim_unit, name="某", id_last4="1234", certificate_number="1"
    )
    client.force_login(staff)
    assert client.get(reverse("grids:claim_approve", args=[compound.pk, claim.pk])).status_code == 405
    assert client.get(reverse("grids:claim_reject", args=[compound.pk, claim.pk])).status_code == 405
    assert client.put(reverse("grids:claim")).status_code == 405


def test_it_shows_a_pending_count_on_the_compound_list(client, compound, home, resident, street_staff):
    """Street staff see how many claims wait in each compound, from the list's one query."""
    CompoundFactory(community=compound.community)
    client.force_login(resident)
    file_claim(client, compound)
    client.force_login(street_staff)
    listed = {c.pk: c for c in client.get(reverse("grids:compounds")).context["page"].object_list}
    assert listed[compound.pk].pending_claims == 1
    assert sorted(c.pending_claims for c in listed.values()) == [0, 1]


def test_it_refuses_a_claim_decision_by_staff_of_another_street(compound, outsider_staff):
    """The service itself checks the scope, whatever page or command calls it."""
    from grids.services import RollError, claim_approve, claim_file, claim_reject
    from tests.factories import OwnerFactory, UserFactory, unit_with_owners

    owner = OwnerFactory(name="王秀英", id_last4="1234")
    unit = unit_with_owners(compound, "3-1-201", "89.50", [owner])
    claim = claim_file(
        actor=UserFactory(), unit=unit, name="王秀英", id_last4="1234", certificate_number="浙2020001"
    )
    with pytest.raises(RollError):
        claim_approve(claim=claim, actor=outsider_staff)
    with pytest.raises(RollError):
        claim_reject(claim=claim, actor=outsider_staff, reason="不符")
    claim.refresh_from_db()
    owner.refresh_from_db()
    assert claim.status == "pending" and owner.user_id is None
