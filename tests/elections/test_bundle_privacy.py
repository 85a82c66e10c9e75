"""Who gets which bundle: owners (and anyone not running or auditing the compound) get pseudonymous
unit ids, so nobody reads from it how a neighbour voted; the compound's staff and auditors get the
real unit codes. Both recount to the published result, and every download is in the audit log."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from elections import voting
from elections.models import Election
from elections.rules.bundle import recount
from elections.services import bundle_for
from grids.models import RoleAssignment, Unit
from tests.elections.test_voting import CHOICES, close_and_publish, homes, open_election, voter_of  # noqa: F401
from tests.factories import GridFactory, UserFactory, grant
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PSEUDONYM = re.compile(r"U[A-Z2-7]{10}")


@pytest.fixture
def published(compound, homes):  # noqa: F811
    election = open_election(compound)
    for unit, user, choices in (
        (homes["buyer_units"][1], homes["buyer"], CHOICES),
        (homes["alone_unit"], homes["alone"], {"matters": {"M1": "no"}, "races": {"R1": ["C2"]}}),
        (
            homes["shared_unit"],
            homes["co_b"],
            {"matters": {"M2": "yes"}, "races": {"R1": ["C1", "C2", "C3"]}},
        ),
    ):
        voting.ballot_cast_online(
            election=election, voter=voter_of(election, unit), actor=user, choices=choices
        )
    return close_and_publish(election)


@pytest.fixture
def auditor(street):
    user = UserFactory(name="审计员")
    grant(user, RoleAssignment.Role.AUDITOR, street)
    return user


@pytest.fixture
def grid_leader(compound):
    user = UserFactory(name="楼组长")
    grant(user, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))
    return user


def page(client, user, election):
    client.force_login(user)
    return client.get(reverse("elections:bundle", args=[election.pk]))


def api(user, election):
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client.get(f"/api/v1/elections/{election.pk}/bundle/")


def exports(election) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action="bundle.exported", election_id=election.pk)
        .order_by("pk")
        .values_list("actor_id", "data")
    )


def assert_public(text: str, compound) -> dict:
    """No unit code of the compound anywhere in the text; every unit id a pseudonym."""
    codes = list(Unit.objects.filter(compound=compound).values_list("code", flat=True))
    assert codes and not [code for code in codes if code in text]
    data = json.loads(text)
    ids = [u["id"] for u in data["units"]]
    assert all(PSEUDONYM.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # the list order does not follow the buildings and floors
    assert {b["unit"] for b in data["ballots"]} <= set(ids)
    return data


def test_it_gives_an_owner_a_bundle_without_any_unit_code(client, compound, homes, published):  # noqa: F811
    """Page and API: pseudonyms only, ballots in chain order, and the same result as the staff's bundle."""
    election = published
    staff_bundle = bundle_for(election)
    response = page(client, homes["alone"], election)
    assert response.status_code == 200
    from_page = assert_public(response.content.decode(), compound)
    from_api = assert_public(api(homes["buyer"], election).content.decode(), compound)
    assert from_page == from_api
    assert recount(from_page) == recount(staff_bundle) == election.result
    receipts = [b["receipt"] for b in from_page["ballots"]]
    assert receipts == list(election.ballots.order_by("seq").values_list("receipt", flat=True))
    # Same owners, areas and statuses as the named bundle, unit by unit, only the ids differ.
    strip = sorted(json.dumps({k: v for k, v in u.items() if k != "id"}) for u in from_page["units"])
    assert strip == sorted(
        json.dumps({k: v for k, v in u.items() if k != "id"}) for u in staff_bundle["units"]
    )


def test_it_gives_the_staff_and_the_auditor_the_real_unit_codes(
    client, street_staff, working_group, auditor, published
):
    """Street staff, the working group and the auditor download the named bundle, on the page and the API."""
    election = published
    for user in (street_staff, working_group, auditor):
        for response in (page(client, user, election), api(user, election)):
            assert response.status_code == 200
            data = json.loads(response.content)
            assert sorted(u["id"] for u in data["units"]) == [
                "1-1-101",
                "1-1-102",
                "2-1-201",
                "2-1-202",
                "9-1-901",
            ]
            assert recount(data) == election.result
    assert [data["variant"] for _actor, data in exports(election)] == ["named"] * 6


def test_it_gives_a_grid_leader_the_public_bundle(client, compound, grid_leader, published):
    """A grid leader knows who lives where but does not run the election: pseudonyms."""
    response = page(client, grid_leader, published)
    assert response.status_code == 200
    assert_public(response.content.decode(), compound)
    assert exports(published)[-1][1]["variant"] == "public"


def test_it_keeps_the_pseudonyms_stable_and_keyed_to_the_election(compound, homes, published):  # noqa: F811
    """Two downloads give the same ids; another key gives others; without its own key, SECRET_KEY is used."""
    election = published
    first = bundle_for(election, named=False)
    assert bundle_for(Election.objects.get(pk=election.pk), named=False) == first
    ids = {u["id"] for u in first["units"]}
    Election.objects.filter(pk=election.pk).update(paper_key="0" * 64)
    rekeyed = bundle_for(Election.objects.get(pk=election.pk), named=False)
    assert not ids & {u["id"] for u in rekeyed["units"]}
    Election.objects.filter(pk=election.pk).update(paper_key="")
    keyless = bundle_for(Election.objects.get(pk=election.pk), named=False)
    assert all(PSEUDONYM.fullmatch(u["id"]) for u in keyless["units"])
    assert recount(first) == recount(rekeyed) == recount(keyless) == election.result


def test_it_writes_an_audit_row_for_each_download(client, homes, street_staff, published):  # noqa: F811
    """Page and API each record who downloaded which variant."""
    election = published
    page(client, homes["alone"], election)
    api(homes["buyer"], election)
    api(street_staff, election)
    assert exports(election) == [
        (homes["alone"].pk, {"variant": "public", "ballots": 3}),
        (homes["buyer"].pk, {"variant": "public", "ballots": 3}),
        (street_staff.pk, {"variant": "named", "ballots": 3}),
    ]


def test_it_refuses_the_bundle_to_another_streets_staff(client, outsider_staff, homes, published):  # noqa: F811
    """Staff of another street: 404 on the page and the API, and nothing is recorded."""
    election = published
    assert page(client, outsider_staff, election).status_code == 404
    assert api(outsider_staff, election).status_code == 404
    assert exports(election) == []


def test_it_refuses_the_bundle_before_the_result_is_public(client, compound, homes, street_staff):  # noqa: F811
    """While voting is open nobody gets either variant, and no export is recorded."""
    election = open_election(compound)
    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["alone_unit"]),
        actor=homes["alone"],
        choices=CHOICES,
    )
    response = page(client, homes["alone"], election)
    assert response["Content-Type"].startswith("text/html") and "1-1-101" not in response.content.decode()
    assert api(street_staff, election).status_code == 403
    assert exports(election) == []
