"""Who sees what: every roll page for each kind of user, the home page, and the selectors themselves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids.models import OwnerClaim, RoleAssignment
from grids.selectors import (
    compounds_for,
    grid_units,
    managed_compounds,
    owner_units,
    staff_compounds,
    units_for,
)
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    DistrictFactory,
    GridFactory,
    OwnerFactory,
    StreetFactory,
    UserFactory,
    grant,
    owner_user,
    unit_with_owners,
)
from yezhu.jobs.models import Job

pytestmark = pytest.mark.django_db

Role = RoleAssignment.Role


@pytest.fixture
def objects(compound, working_group):
    """A unit, a pending claim, an upload and an import job in 西园里, made by its working group."""
    unit = unit_with_owners(compound, "1-1-101", "80.00", [OwnerFactory()])
    claim = OwnerClaim.objects.create(
        user=UserFactory(), unit=unit, name="某", id_last4="1234", certificate_number="1"
    )
    upload = Job.objects.create(
        kind="roll_upload",
        created_by=working_group,
        compound_id=compound.pk,
        status=Job.Status.DONE,
        result={},
    )
    job = Job.objects.create(kind="roll_import", created_by=working_group, compound_id=compound.pk)
    return {"pk": compound.pk, "claim_id": claim.pk, "job_id": job.pk, "upload_id": upload.pk}


# (url name, kwargs needed, method): every staff page of the roll that names a compound.
COMPOUND_PAGES = [
    ("grids:compound", ["pk"], "get"),
    ("grids:roll_upload", ["pk"], "get"),
    ("grids:roll_upload", ["pk"], "post"),
    ("grids:roll_preview", ["pk", "upload_id"], "get"),
    ("grids:roll_commit", ["pk", "upload_id"], "post"),
    ("grids:roll_progress", ["pk", "job_id"], "get"),
    ("grids:roll_export", ["pk"], "get"),
    ("grids:claims", ["pk"], "get"),
    ("grids:claim_approve", ["pk", "claim_id"], "post"),
    ("grids:claim_reject", ["pk", "claim_id"], "post"),
]
GLOBAL_STAFF_PAGES = [
    ("grids:compounds", [], "get"),
    ("grids:template_xlsx", [], "get"),
    ("grids:template_csv", [], "get"),
]
ALL_PAGES = COMPOUND_PAGES + GLOBAL_STAFF_PAGES + [("grids:claim", [], "get"), ("grids:claim", [], "post")]


def url_of(name, needs, objects):
    arg_names = {"pk": "pk", "upload_id": "job_id", "job_id": "job_id", "claim_id": "claim_id"}
    return reverse(name, kwargs={arg_names[n]: objects[n] for n in needs})


def call(client, method, url):
    return client.post(url, {"reason": "x"}) if method == "post" else client.get(url)


@pytest.mark.parametrize("name,needs,method", ALL_PAGES)
def test_it_sends_anonymous_visitors_to_sign_in(client, objects, name, needs, method):
    """Every roll page redirects an anonymous visitor to the sign-in page."""
    response = call(client, method, url_of(name, needs, objects))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))


@pytest.mark.parametrize("name,needs,method", COMPOUND_PAGES)
def test_it_hides_the_compound_from_another_streets_staff(
    client, objects, outsider_staff, name, needs, method
):
    """Staff of another street get 404 on every page of the compound, never a hint it exists."""
    client.force_login(outsider_staff)
    assert call(client, method, url_of(name, needs, objects)).status_code == 404


@pytest.mark.parametrize("name,needs,method", COMPOUND_PAGES + GLOBAL_STAFF_PAGES)
def test_it_hides_staff_pages_from_owners(client, compound, objects, name, needs, method):
    """A resident who owns a unit in the compound gets 404 on every staff page."""
    user, _owner, _unit = owner_user(compound, "9-1-101")
    client.force_login(user)
    assert call(client, method, url_of(name, needs, objects)).status_code == 404


@pytest.mark.parametrize("name,needs,method", COMPOUND_PAGES)
def test_it_hides_the_compound_from_a_grid_leader(client, compound, objects, name, needs, method):
    """A grid leader works on /grid/, not on the roll: 404 here."""
    leader = UserFactory()
    grant(leader, Role.GRID_LEADER, GridFactory(compound=compound))
    client.force_login(leader)
    assert call(client, method, url_of(name, needs, objects)).status_code == 404


@pytest.mark.parametrize("name,needs,method", [p for p in COMPOUND_PAGES if p[2] == "get"])
def test_it_lets_the_compounds_staff_in(client, objects, street_staff, name, needs, method):
    """The street's staff open the compound's pages (the upload pages are the uploader's own: 404)."""
    client.force_login(street_staff)
    status = call(client, method, url_of(name, needs, objects)).status_code
    assert status == (404 if name in ("grids:roll_preview", "grids:roll_progress") else 200)


# ---------------------------------------------------------------------------------------------
# Home page and units
# ---------------------------------------------------------------------------------------------


def test_it_shows_a_resident_only_their_own_units_on_the_home_page(client, compound):
    """The home page lists the resident's units and no neighbour's."""
    user, _owner, _unit = owner_user(compound, "1-1-101")
    unit_with_owners(compound, "1-1-102", "70.00", [OwnerFactory()])
    client.force_login(user)
    response = client.get(reverse("home"))
    assert [u.code for u in response.context["units"]] == ["1-1-101"]
    assert "1-1-102" not in response.content.decode()


def test_it_offers_the_claim_page_to_a_resident_without_a_home(client):
    """A user with no linked unit gets a link to the claim page."""
    client.force_login(UserFactory())
    assert reverse("grids:claim") in client.get(reverse("home")).content.decode()


def test_it_shows_a_grid_leader_only_the_units_of_their_grid(compound):
    """units_for a grid leader: the buildings of their grid, not the rest of the compound."""
    grid = GridFactory(compound=compound)
    inside = unit_with_owners(compound, "1-1-101", "80.00", [OwnerFactory()])
    unit_with_owners(compound, "2-1-101", "80.00", [OwnerFactory()])
    grid.buildings.add(inside.building)
    leader = UserFactory()
    grant(leader, Role.GRID_LEADER, grid)
    assert list(units_for(leader)) == [inside]
    assert list(grid_units(leader)) == [inside]
    assert not managed_compounds(leader).exists()


def test_it_gives_a_resident_only_their_units(compound, other_compound):
    """owner_units and units_for of a resident are their own units, in whatever compound."""
    user, owner, mine = owner_user(compound, "1-1-101")
    elsewhere = unit_with_owners(other_compound, "5-1-101", "60.00", [owner])
    unit_with_owners(compound, "1-1-102", "60.00", [OwnerFactory()])
    assert set(owner_units(user)) == {mine, elsewhere}
    assert set(units_for(user)) == {mine, elsewhere}
    assert set(compounds_for(user)) == {compound, other_compound}
    assert not staff_compounds(user).exists()


# ---------------------------------------------------------------------------------------------
# The selectors, one role at a time
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def map_of_compounds(db):
    """Two districts; district A has streets S1 and S2; S1 has communities C1 and C2."""
    district_a, district_b = DistrictFactory(), DistrictFactory()
    s1, s2, s3 = (
        StreetFactory(district=district_a),
        StreetFactory(district=district_a),
        StreetFactory(district=district_b),
    )
    c1, c2 = CommunityFactory(street=s1), CommunityFactory(street=s1)
    c3, c4 = CommunityFactory(street=s2), CommunityFactory(street=s3)
    compounds = {
        "c1a": CompoundFactory(community=c1),
        "c1b": CompoundFactory(community=c1),
        "c2": CompoundFactory(community=c2),
        "s2": CompoundFactory(community=c3),
        "b": CompoundFactory(community=c4),
    }
    return {"district": district_a, "street": s1, "community": c1, **compounds}


def codes(qs, m) -> set[str]:
    names = {v.pk: k for k, v in m.items() if hasattr(v, "code")}
    return {names[c.pk] for c in qs}


def test_it_scopes_street_staff_to_their_street(map_of_compounds):
    m = map_of_compounds
    user = UserFactory()
    grant(user, Role.STREET_STAFF, m["street"])
    assert codes(staff_compounds(user), m) == {"c1a", "c1b", "c2"}
    assert codes(managed_compounds(user), m) == {"c1a", "c1b", "c2"}


def test_it_scopes_community_staff_to_their_community(map_of_compounds):
    m = map_of_compounds
    user = UserFactory()
    grant(user, Role.COMMUNITY_STAFF, m["community"])
    assert codes(staff_compounds(user), m) == {"c1a", "c1b"}


def test_it_scopes_a_working_group_to_its_compound(map_of_compounds):
    m = map_of_compounds
    user = UserFactory()
    grant(user, Role.WORKING_GROUP, m["c2"])
    assert codes(staff_compounds(user), m) == {"c2"}
    assert codes(managed_compounds(user), m) == {"c2"}


def test_it_scopes_district_staff_to_their_districts_streets(map_of_compounds):
    m = map_of_compounds
    user = UserFactory()
    grant(user, Role.DISTRICT_STAFF, m["district"])
    assert codes(staff_compounds(user), m) == {"c1a", "c1b", "c2", "s2"}


def test_it_lets_auditors_read_but_not_manage(map_of_compounds):
    m = map_of_compounds
    user = UserFactory()
    grant(user, Role.AUDITOR, m["street"])
    assert codes(staff_compounds(user), m) == {"c1a", "c1b", "c2"}
    assert not managed_compounds(user).exists()


def test_it_gives_a_user_without_roles_no_compound(map_of_compounds):
    user = UserFactory()
    assert not staff_compounds(user).exists()
    assert not managed_compounds(user).exists()
    assert not compounds_for(user).exists()
