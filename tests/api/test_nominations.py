"""Nominations through the API: owners nominate and answer, staff list and decide."""

from __future__ import annotations

import pytest

from elections.models import Candidate, Election, Nomination, Stage
from tests.factories import election_with_ballot_paper


@pytest.fixture
def nominating(compound, owners):
    return election_with_ballot_paper(compound, stage=Stage.NOMINATION, candidates=0, seats=3)


def url(election, rest: str = "") -> str:
    return f"/api/v1/elections/{election.pk}/nominations/{rest}"


def race(election):
    from elections.models import Race

    return Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=3)


@pytest.mark.django_db
def test_it_lets_an_owner_nominate_themself(as_user, nominating, owners):
    """A self-nomination is 201 and accepted at once (the nominee's own wish)."""
    race(nominating)
    response = as_user(owners[0][0]).post(
        url(nominating), {"race": "R1", "statement": "愿意服务"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "accepted" and body["is_mine"] is True and body["source"] == "self"
    assert "opinion_party" not in body


@pytest.mark.django_db
def test_it_lets_an_owner_nominate_another_who_then_accepts(as_user, nominating, owners):
    """An owner names another by unit and name; the nominee sees it and accepts it."""
    race(nominating)
    (user_a, _owner_a, _unit_a), (user_b, owner_b, unit_b) = owners
    created = as_user(user_a).post(
        url(nominating),
        {"race": "R1", "source": "owners", "unit_code": unit_b.code, "name": owner_b.name},
        format="json",
    )
    assert created.status_code == 201, created.content
    nid = created.json()["id"]
    assert created.json()["status"] == "awaiting"
    listed = as_user(user_b).get(url(nominating)).json()
    assert [n["id"] for n in listed["results"]] == [nid]
    accepted = as_user(user_b).post(url(nominating, f"{nid}/accept/"), {"note": "同意"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"


@pytest.mark.django_db
def test_it_names_the_field_when_the_nominee_is_not_found(as_user, nominating, owners):
    """An unknown unit or name is a 400 under fields.name; an unknown race under fields.race."""
    race(nominating)
    client = as_user(owners[0][0])
    missing = client.post(
        url(nominating),
        {"race": "R1", "source": "owners", "unit_code": "9-9-909", "name": "无名"},
        format="json",
    )
    assert missing.status_code == 400 and "name" in missing.json()["error"]["fields"]
    no_race = client.post(url(nominating), {"race": "R7"}, format="json")
    assert no_race.status_code == 400 and "race" in no_race.json()["error"]["fields"]


@pytest.mark.django_db
def test_it_refuses_nominating_out_of_stage(as_user, compound, owners):
    """Outside the nomination stage the service refuses: 400 with its message."""
    election = election_with_ballot_paper(compound, stage=Stage.VETTING)
    response = as_user(owners[0][0]).post(url(election), {"race": "R1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refused"
    assert not Nomination.objects.exists()


@pytest.mark.django_db
def test_it_shows_owners_only_their_nominations_and_staff_all(as_user, nominating, owners, working_group):
    """Staff list every nomination with the vetting notes; another owner sees none of them."""
    race(nominating)
    as_user(owners[0][0]).post(url(nominating), {"race": "R1"}, format="json")
    staff = as_user(working_group).get(url(nominating)).json()
    assert staff["count"] == 1 and "opinion_self" in staff["results"][0]
    assert as_user(owners[1][0]).get(url(nominating)).json()["count"] == 0
    nid = staff["results"][0]["id"]
    assert as_user(owners[1][0]).get(url(nominating, f"{nid}/")).status_code == 404


@pytest.mark.django_db
def test_it_lets_staff_decide_in_vetting_only(as_user, nominating, owners, working_group):
    """Staff approve an accepted nomination in vetting (a candidate appears); an owner gets 403."""
    race(nominating)
    nid = as_user(owners[0][0]).post(url(nominating), {"race": "R1"}, format="json").json()["id"]
    early = as_user(working_group).post(url(nominating, f"{nid}/decide/"), {"approve": True}, format="json")
    assert early.status_code == 400
    Election.objects.filter(pk=nominating.pk).update(stage=Stage.VETTING)
    denied = as_user(owners[0][0]).post(url(nominating, f"{nid}/decide/"), {"approve": True}, format="json")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    approved = as_user(working_group).post(
        url(nominating, f"{nid}/decide/"), {"approve": True}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert Candidate.objects.filter(nomination_id=nid, key="C1").exists()


@pytest.mark.django_db
def test_it_answers_404_to_another_street_401_to_anonymous_405_to_a_wrong_method(
    as_user, nominating, outsider_staff, working_group
):
    """Another street's staff: 404; anonymous: 401; PUT on the list: 405."""
    assert as_user(outsider_staff).get(url(nominating)).status_code == 404
    assert as_user(outsider_staff).post(url(nominating), {"race": "R1"}, format="json").status_code == 404
    assert as_user(None).get(url(nominating)).status_code == 401
    assert as_user(working_group).put(url(nominating), {}, format="json").status_code == 405


@pytest.mark.django_db
def test_it_refuses_staff_sources_to_owners(as_user, nominating, owners):
    """An owner cannot nominate on behalf of the working group: 403."""
    race(nominating)
    (_a, _o, _u), (_b, owner_b, unit_b) = owners
    response = as_user(owners[0][0]).post(
        url(nominating),
        {"race": "R1", "source": "working_group", "unit_code": unit_b.code, "name": owner_b.name},
        format="json",
    )
    assert response.status_code == 403
    assert not Nomination.objects.exists()
