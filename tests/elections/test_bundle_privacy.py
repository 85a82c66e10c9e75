"""Who gets which record of the ballots. A secret vote (the default): the scrutineers and the street
office get the per-ballot record (the named bundle, real unit codes and areas, which recounts to the
published result); everyone else (owners, grid leaders, the working group, auditors) gets the board:
the result and every ballot's receipt and choices in receipt order, no home, no area. A named vote:
everyone gets the record. Every download is in the audit log."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from elections import voting
from elections.models import Election, Scrutineer
from elections.rules.bundle import recount
from elections.services import bundle_for
from grids.models import RoleAssignment, Unit
from tests.elections.test_voting import CHOICES, close_and_publish, homes, open_election, voter_of  # noqa: F401
from tests.factories import GridFactory, UserFactory, api_token, grant
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
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client.get(f"/api/v1/elections/{election.pk}/bundle/")


def exports(election) -> list[tuple]:
    return list(
        AuditEntry.objects.filter(action="bundle.exported", election_id=election.pk)
        .order_by("pk")
        .values_list("actor_id", "data")
    )


def assert_board(text: str, compound, election) -> dict:
    """No unit code, no pseudonym, no area and no order of casting: receipts in receipt order."""
    codes = list(Unit.objects.filter(compound=compound).values_list("code", flat=True))
    assert codes and not [code for code in codes if code in text]
    data = json.loads(text)
    assert data["format"] == "yezhu-board/1" and data["result"] == election.result
    assert "units" not in data and not PSEUDONYM.search(text)
    receipts = [b["receipt"] for b in data["ballots"]]
    assert receipts == sorted(receipts)
    assert all(set(b) <= {"receipt", "status", "matters", "races"} for b in data["ballots"])
    return data


def assert_named(data: dict, election) -> None:
    assert sorted(u["id"] for u in data["units"]) == ["1-1-101", "1-1-102", "2-1-201", "2-1-202", "9-1-901"]
    assert recount(data) == election.result


def test_it_gives_an_owner_the_result_and_the_board_not_the_record(client, compound, homes, published):  # noqa: F811
    """Page and API: the board, the same on both; every receipt on it, with its choices."""
    election = published
    response = page(client, homes["alone"], election)
    assert response.status_code == 200
    from_page = assert_board(response.content.decode(), compound, election)
    from_api = assert_board(api(homes["buyer"], election).content.decode(), compound, election)
    assert from_page == from_api
    assert sorted(b["receipt"] for b in from_page["ballots"]) == sorted(
        election.ballots.values_list("receipt", flat=True)
    )


def test_it_gives_the_record_to_the_street_office_and_the_scrutineers(
    client, compound, street_staff, published
):
    """The street office and the election's scrutineers download the named bundle, page and API."""
    election = published
    scrutineer = UserFactory(name="监票人")
    Scrutineer.objects.create(election=election, user=scrutineer, name="监票人", added_by=street_staff)
    for user in (street_staff, scrutineer):
        for response in (page(client, user, election), api(user, election)):
            assert response.status_code == 200
            assert_named(json.loads(response.content), election)
    assert [data["variant"] for _actor, data in exports(election)] == ["named"] * 4


def test_it_gives_the_working_group_the_auditor_and_a_grid_leader_the_board(
    client, compound, working_group, auditor, grid_leader, published
):
    """Those who run, audit or canvass the compound know who lives where and who voted when: the
    per-ballot record would tell them how each home voted."""
    for user in (working_group, auditor, grid_leader):
        response = page(client, user, published)
        assert response.status_code == 200
        assert_board(response.content.decode(), compound, published)
    assert {data["variant"] for _actor, data in exports(published)} == {"board"}


def test_it_gives_everyone_the_record_of_a_named_vote(client, homes, published):  # noqa: F811
    """记名: the rules of procedure let owners see each home's choices."""
    Election.objects.filter(pk=published.pk).update(ballot_secrecy=Election.Secrecy.NAMED)
    election = Election.objects.get(pk=published.pk)
    assert_named(json.loads(page(client, homes["alone"], election).content), election)


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
    """Page and API each record who downloaded which record."""
    election = published
    page(client, homes["alone"], election)
    api(homes["buyer"], election)
    api(street_staff, election)
    assert exports(election) == [
        (homes["alone"].pk, {"variant": "board", "ballots": 3}),
        (homes["buyer"].pk, {"variant": "board", "ballots": 3}),
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
