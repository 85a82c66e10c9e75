"""Supporting an owners' nomination (联名推荐) through the API: an owner of the compound who has the
share link's secret supports it once; everyone else is refused with the service's sentence or 404."""

from __future__ import annotations

import pytest

from elections.models import Election, Nomination, Race, Stage
from elections.views.nominations import support_token
from tests.factories import election_with_ballot_paper, owner_user
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def nominating(compound, owners):
    """An election taking nominations, where an owners' nomination needs three supporters."""
    election = election_with_ballot_paper(compound, stage=Stage.NOMINATION, candidates=0)
    Election.objects.filter(pk=election.pk).update(nominations_required=3)
    Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=3)
    election.refresh_from_db()
    return election


@pytest.fixture
def third(compound):
    """A third owner of the compound: not the nominator, not the nominee."""
    user, _owner, _unit = owner_user(compound, "1-1-103", "95.00")
    return user


def url(election, rest: str = "") -> str:
    return f"/api/v1/elections/{election.pk}/nominations/{rest}"


@pytest.fixture
def nomination(as_user, nominating, owners):
    """Owner A nominates owner B through the API; answers the body (with the support_token)."""
    (user_a, _oa, _ua), (_user_b, owner_b, unit_b) = owners
    response = as_user(user_a).post(
        url(nominating),
        {"race": "R1", "source": "owners", "unit_code": unit_b.code, "name": owner_b.name},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def supporters(nid: int) -> int:
    return Nomination.objects.get(pk=nid).supporters.count()


def test_it_lets_an_owner_support_once_with_the_share_links_secret(as_user, nominating, nomination, third):
    """The nominator reads the support_token; another owner sends it: 200, one more supporter,
    one audit row by that owner, and the nomination is now on their list."""
    nid = nomination["id"]
    assert nomination["support_token"] == support_token(Nomination.objects.get(pk=nid))
    assert nomination["supporters_needed"] == 2 and supporters(nid) == 1
    response = as_user(third).post(
        url(nominating, f"{nid}/support/"), {"token": nomination["support_token"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["supporters_needed"] == 1 and response.json()["is_mine"] is False
    assert supporters(nid) == 2
    entry = AuditEntry.objects.get(action="nomination.supported")
    assert entry.actor == third and entry.election_id == nominating.pk and entry.data["count"] == 2
    assert as_user(third).get(url(nominating, f"{nid}/")).status_code == 200


def test_it_refuses_a_second_support_from_the_same_owner(as_user, nominating, nomination, third):
    """Twice: 400 refused with the service's sentence; the count and the log stay as they were."""
    nid, token = nomination["id"], nomination["support_token"]
    client = as_user(third)
    assert client.post(url(nominating, f"{nid}/support/"), {"token": token}, format="json").status_code == 200
    again = client.post(url(nominating, f"{nid}/support/"), {"token": token}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "refused"
    assert "已经" in again.json()["error"]["message"]
    assert supporters(nid) == 2
    assert AuditEntry.objects.filter(action="nomination.supported").count() == 1


def test_it_refuses_the_nominee_and_the_nominator(as_user, nominating, nomination, owners):
    """The nominee may not support their own nomination; the nominator already counts as one."""
    nid, token = nomination["id"], nomination["support_token"]
    for user in (owners[1][0], owners[0][0]):
        response = as_user(user).post(url(nominating, f"{nid}/support/"), {"token": token}, format="json")
        assert response.status_code == 400 and response.json()["error"]["code"] == "refused"
    assert supporters(nid) == 1
    assert not AuditEntry.objects.filter(action="nomination.supported").exists()


def test_it_hides_the_nomination_without_its_secret(as_user, nominating, nomination, third):
    """An owner who cannot see it and sends no token, a wrong one, or another nomination's: 404."""
    nid = nomination["id"]
    other = Nomination.objects.create(
        election=nominating,
        race=nominating.races.get(),
        nominee=Nomination.objects.get(pk=nid).nominee,
        source=Nomination.Source.OWNERS,
        status=Nomination.Status.DECLINED,
    )
    client = as_user(third)
    for body in ({}, {"token": "x"}, {"token": f"{nid}:forged"}, {"token": support_token(other)}):
        response = client.post(url(nominating, f"{nid}/support/"), body, format="json")
        assert response.status_code == 404, body
        assert response.json()["error"]["code"] == "not_found"
    assert supporters(nid) == 1


def test_it_refuses_support_once_nominations_are_closed(as_user, nominating, nomination, third):
    """In vetting the service refuses: 400 with its sentence, no supporter added."""
    Election.objects.filter(pk=nominating.pk).update(stage=Stage.VETTING)
    response = as_user(third).post(
        url(nominating, f"{nomination['id']}/support/"), {"token": nomination["support_token"]}, format="json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "refused"
    assert supporters(nomination["id"]) == 1


def test_it_answers_404_to_another_compounds_owner_and_another_street(
    as_user, nominating, nomination, other_compound, outsider_staff
):
    """With the secret in hand, an owner elsewhere and another street's staff still get 404."""
    stranger, _owner, _unit = owner_user(other_compound, "1-1-101")
    for user in (stranger, outsider_staff):
        response = as_user(user).post(
            url(nominating, f"{nomination['id']}/support/"),
            {"token": nomination["support_token"]},
            format="json",
        )
        assert response.status_code == 404
    assert supporters(nomination["id"]) == 1


def test_it_shows_no_secret_on_a_nomination_that_takes_no_support(as_user, nominating, owners):
    """A self-nomination collects no supporters: its support_token is empty."""
    body = as_user(owners[0][0]).post(url(nominating), {"race": "R1"}, format="json").json()
    assert body["source"] == "self" and body["support_token"] == ""


def test_it_answers_401_to_anonymous_and_405_to_a_get(as_user, nominating, nomination, third):
    """Anonymous: 401; GET on the support route: 405."""
    nid = nomination["id"]
    assert as_user(None).post(url(nominating, f"{nid}/support/"), {}, format="json").status_code == 401
    assert as_user(third).get(url(nominating, f"{nid}/support/")).status_code == 405
