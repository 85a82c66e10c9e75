"""Elections, milestones, matters, races, candidates, turnout, results, board and bundle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from elections.models import Ballot, Election, Stage
from elections.rules.timeline import MilestoneStatus
from elections.services import election_tally, voters_of_user
from elections.voting import ballot_cast_online
from grids.models import RoleAssignment
from tests.factories import GridFactory, UserFactory, election_with_ballot_paper, grant

CHOICES = {"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}}


def cast(election, user):
    voter = voters_of_user(election=election, user=user)[0]
    return ballot_cast_online(election=election, voter=voter, actor=user, choices=CHOICES)


def close_and_publish(election) -> None:
    """Voting over, the count done, the result notice up."""
    Election.objects.filter(pk=election.pk).update(
        voting_opens_at=timezone.now() - timedelta(days=8),
        voting_closes_at=timezone.now() - timedelta(hours=1),
        stage=Stage.RESULT_NOTICE,
    )
    election.refresh_from_db()
    Election.objects.filter(pk=election.pk).update(result=election_tally(election))
    election.refresh_from_db()


@pytest.mark.django_db
def test_it_lists_and_filters_elections_in_scope(as_user, voting_election, other_compound, street_staff):
    """Staff list their street's elections, filter by stage and compound; another street's is not listed."""
    election_with_ballot_paper(other_compound)
    client = as_user(street_staff)
    body = client.get("/api/v1/elections/").json()
    assert [e["id"] for e in body["results"]] == [voting_election.pk]
    assert body["results"][0]["voting_open"] is True and body["results"][0]["quorum"] == "2/3"
    assert client.get("/api/v1/elections/", {"stage": "nomination"}).json()["count"] == 0
    assert client.get("/api/v1/elections/", {"compound": voting_election.compound_id}).json()["count"] == 1
    assert client.get("/api/v1/elections/", {"stage": "nonsense"}).status_code == 400


@pytest.mark.django_db
def test_it_shows_the_detail_with_key_dates(as_user, voting_election, owners):
    """An owner of the compound sees the detail: stage, window, quorum, key dates; no chain head yet."""
    body = as_user(owners[0][0]).get(f"/api/v1/elections/{voting_election.pk}/").json()
    assert body["stage"] == "voting" and body["stage_display"] == "投票"
    assert "voting_opens_at" in body["key_dates"]
    assert body["total_heads"] == 2 and body["total_area"] == "200.00"
    assert body["chain_head"] == "" and body["voting_refusal"] == ""


@pytest.mark.django_db
def test_it_answers_404_to_another_street_and_401_to_anonymous(as_user, voting_election, outsider_staff):
    """Every election endpoint is 404 for another street's staff and 401 without credentials."""
    for path in (
        "",
        "milestones/",
        "matters/",
        "races/",
        "candidates/",
        "turnout/",
        "results/",
        "board/",
        "bundle/",
    ):
        assert (
            as_user(outsider_staff).get(f"/api/v1/elections/{voting_election.pk}/{path}").status_code == 404
        )
        assert as_user(None).get(f"/api/v1/elections/{voting_election.pk}/{path}").status_code == 401


@pytest.mark.django_db
def test_it_refuses_wrong_methods(as_user, voting_election, street_staff):
    """POST on the election list, POST on the result and DELETE on the matters are 405."""
    client = as_user(street_staff)
    assert client.post("/api/v1/elections/", {}, format="json").status_code == 405
    assert (
        client.post(f"/api/v1/elections/{voting_election.pk}/results/", {}, format="json").status_code == 405
    )
    assert client.delete(f"/api/v1/elections/{voting_election.pk}/matters/").status_code == 405


@pytest.mark.django_db
def test_it_shows_milestones_to_staff_only(as_user, voting_election, street_staff, owners):
    """Staff get the statutory milestones; an owner gets 404 (the timeline is a staff page)."""
    response = as_user(street_staff).get(f"/api/v1/elections/{voting_election.pk}/milestones/")
    assert response.status_code == 200
    keys = [m["key"] for m in response.json()]
    statuses = {s.value for s in MilestoneStatus}
    assert keys and all(m["status"] in statuses for m in response.json())
    assert as_user(owners[0][0]).get(f"/api/v1/elections/{voting_election.pk}/milestones/").status_code == 404


@pytest.mark.django_db
def test_it_shows_matters_races_and_candidates(as_user, voting_election, owners):
    """During voting an owner sees the matters, the races with their candidates, and filters candidates."""
    client = as_user(owners[0][0])
    assert [m["key"] for m in client.get(f"/api/v1/elections/{voting_election.pk}/matters/").json()] == ["M1"]
    races = client.get(f"/api/v1/elections/{voting_election.pk}/races/").json()
    assert [(r["key"], r["seats"], len(r["candidates"])) for r in races] == [("R1", 3, 4)]
    only = client.get(f"/api/v1/elections/{voting_election.pk}/candidates/", {"race": "R9"}).json()
    assert only == []


@pytest.mark.django_db
def test_it_hides_draft_candidates_from_owners_until_the_notice(as_user, compound, owners, street_staff):
    """Before the candidate notice owners see no candidates and no draft matters; staff see them."""
    election = election_with_ballot_paper(compound, stage=Stage.WORKING_GROUP)
    owner = as_user(owners[0][0])
    assert owner.get(f"/api/v1/elections/{election.pk}/candidates/").json() == []
    assert owner.get(f"/api/v1/elections/{election.pk}/matters/").json() == []
    assert len(as_user(street_staff).get(f"/api/v1/elections/{election.pk}/candidates/").json()) == 4


@pytest.mark.django_db
def test_it_gives_turnout_by_scope(as_user, voting_election, owners, street_staff, compound):
    """Staff get turnout overall, by building and by grid; a grid leader their grids; an owner overall only."""
    cast(voting_election, owners[0][0])
    grid = GridFactory(compound=compound)
    grid.buildings.add(owners[0][2].building)
    leader = UserFactory()
    grant(leader, RoleAssignment.Role.GRID_LEADER, grid)

    staff = as_user(street_staff).get(f"/api/v1/elections/{voting_election.pk}/turnout/").json()
    assert staff["scope"] == "staff" and staff["shown"] is True
    assert staff["overall"]["heads"] == 1 and staff["overall"]["area"] == "90.00"
    assert staff["by_building"] and staff["by_grid"]

    grid_view = as_user(leader).get(f"/api/v1/elections/{voting_election.pk}/turnout/").json()
    assert grid_view["scope"] == "grid" and [g["key"] for g in grid_view["by_grid"]] == [grid.pk]
    assert grid_view["by_building"] == []

    owner_view = as_user(owners[1][0]).get(f"/api/v1/elections/{voting_election.pk}/turnout/").json()
    assert owner_view["scope"] == "owner" and owner_view["by_building"] == [] and owner_view["by_grid"] == []
    assert owner_view["overall"]["total_heads"] == 2
    assert "yes" not in str(owner_view)


@pytest.mark.django_db
def test_it_shows_no_turnout_before_voting(as_user, compound, owners):
    """Before the roll is frozen turnout says so and shows no numbers."""
    election = election_with_ballot_paper(compound, stage=Stage.NOMINATION)
    body = as_user(owners[0][0]).get(f"/api/v1/elections/{election.pk}/turnout/").json()
    assert body["shown"] is False and body["overall"] is None
    assert body["message"] == "投票开始后才显示参与情况。"


@pytest.mark.django_db
def test_it_refuses_results_board_and_bundle_while_voting_is_open(
    as_user, voting_election, owners, street_staff
):
    """While voting is open the result, the board and the bundle are 403 not_public, with no counts."""
    cast(voting_election, owners[0][0])
    for user in (owners[0][0], street_staff):
        for path in ("results/", "board/", "bundle/"):
            response = as_user(user).get(f"/api/v1/elections/{voting_election.pk}/{path}")
            assert response.status_code == 403
            assert set(response.json()) == {"error"}
            assert response.json()["error"]["code"] == "not_public"
            assert "投票截止" in response.json()["error"]["message"]
            text = response.content.decode()
            assert "C1" not in text and "receipt" not in text and not any(ch.isdigit() for ch in text)


@pytest.mark.django_db
def test_it_publishes_results_board_and_bundle_after_the_close(as_user, voting_election, owners):
    """After the close: the result, the board (filter by receipt) and the bundle are served."""
    ballot = cast(voting_election, owners[0][0])
    close_and_publish(voting_election)
    client = as_user(owners[1][0])
    result = client.get(f"/api/v1/elections/{voting_election.pk}/results/").json()
    assert result["result"]["format"] == "yezhu-result/1"
    assert result["result"]["participation"]["heads"] == 1
    assert result["chain_head"] == voting_election.chain_head
    board = client.get(
        f"/api/v1/elections/{voting_election.pk}/board/", {"receipt": ballot.receipt.lower()}
    ).json()
    assert board["count"] == 1
    assert board["results"][0]["choices"] == {"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}}
    assert (
        client.get(f"/api/v1/elections/{voting_election.pk}/board/", {"receipt": "NOPE"}).json()["count"] == 0
    )
    assert set(board["results"][0]) == {"receipt", "status", "choices"}  # a secret vote: no order
    # An owner of a secret vote gets the result and the board, not the per-ballot record.
    bundle = client.get(f"/api/v1/elections/{voting_election.pk}/bundle/").json()
    assert bundle["format"] == "yezhu-board/1" and bundle["result"] == voting_election.result
    assert [b["receipt"] for b in bundle["ballots"]] == [ballot.receipt]
    assert "units" not in bundle and "unit" not in bundle["ballots"][0]
    assert Ballot.objects.count() == 1


@pytest.mark.django_db
def test_it_lets_staff_add_matters_and_races_before_the_notice(as_user, compound, working_group, owners):
    """Before the notice the working group adds a matter (201) and a race; an owner gets 403."""
    election = election_with_ballot_paper(compound, stage=Stage.WORKING_GROUP, matters=0, candidates=0)
    client = as_user(working_group)
    matter = client.post(
        f"/api/v1/elections/{election.pk}/matters/", {"title": "续聘物业", "item": 4}, format="json"
    )
    assert matter.status_code == 201, matter.content
    assert (matter.json()["key"], matter.json()["category"]) == ("M1", "ordinary")
    race = client.post(
        f"/api/v1/elections/{election.pk}/races/", {"title": "业主委员会委员", "seats": 5}, format="json"
    )
    assert race.status_code == 201, race.content
    assert race.json()["seats"] == 5
    assert race.json()["alternates"] == 5  # left out: as many as the seats (RULES.md §5)
    denied = as_user(owners[0][0]).post(
        f"/api/v1/elections/{election.pk}/matters/", {"title": "x", "item": 9}, format="json"
    )
    assert denied.status_code == 403
    assert election.matters.count() == 1


@pytest.mark.django_db
def test_it_refuses_new_matters_after_the_notice(as_user, voting_election, working_group):
    """Once the notice is out the service refuses a new matter: 400 with its message."""
    response = as_user(working_group).post(
        f"/api/v1/elections/{voting_election.pk}/matters/", {"title": "临时动议"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refused"
    assert voting_election.matters.count() == 1
