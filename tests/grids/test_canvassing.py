"""Canvassing (催票) for grid leaders under /grid/: who has not voted in their grids, never how."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils import translation

from elections import turnout
from elections.errors import ElectionError
from elections.models import Ballot, OutreachVisit, Stage, Visit
from elections.services import ballot_record, roll_freeze
from grids.models import Building, RoleAssignment
from tests.factories import GridFactory, UserFactory, election_with_ballot_paper, grant, owner_user
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(compound):
    """Building 1: three homes of different sizes; building 2: one home."""
    return {
        "1-1-101": owner_user(compound, "1-1-101", "80.00", name="张一", phone="13900000001"),
        "1-1-102": owner_user(compound, "1-1-102", "150.50", name="王二", phone="13900000002"),
        "1-1-103": owner_user(compound, "1-1-103", "120.00", name="李三", phone="13900000003"),
        "2-1-101": owner_user(compound, "2-1-101", "200.00", name="赵四", phone="13900000004"),
    }


@pytest.fixture
def grids(compound, homes):
    one = GridFactory(compound=compound, name="一号网格")
    one.buildings.add(Building.objects.get(compound=compound, name="1"))
    two = GridFactory(compound=compound, name="二号网格")
    two.buildings.add(Building.objects.get(compound=compound, name="2"))
    return one, two


@pytest.fixture
def leader(grids):
    user = UserFactory(name="网格长老陈")
    grant(user, RoleAssignment.Role.GRID_LEADER, grids[0])
    return user


@pytest.fixture
def election(compound, homes):
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    return election


def cast(election, homes, code):
    user = homes[code][0]
    voter = election.voters.get(units__code=code)
    return ballot_record(
        election=election,
        voter=voter,
        actor=user,
        cast_as="owner",
        channel="online",
        choices={"matters": {"M1": "no"}, "races": {"R1": ["C4"]}},
    )


def voter(election, code):
    return election.voters.get(units__code=code)


# ---------------------------------------------------------------------------------------------- the gap


def progress(total_heads, heads, total_area, area, quorum=Fraction(2, 3)):
    return turnout.Progress(
        label="",
        total_heads=total_heads,
        heads=heads,
        total_area=Decimal(total_area),
        area=Decimal(area),
        quorum=quorum,
    )


def test_it_says_the_gap_in_plain_words():
    """还差 37 户、1,204.5 平方米; trailing zeros dropped only after the point; 0 when met."""
    with translation.override("zh-hans"):
        assert turnout.gap_words(progress(60, 3, "3000.00", "795.50")) == "还差 37 户、1,204.5 平方米"
        assert turnout.gap_words(progress(60, 3, "3000.00", "796.00")) == "还差 37 户、1,204 平方米"
        assert turnout.gap_words(progress(60, 40, "3000.00", "2000.00")) == "还差 0 户、0 平方米"
        assert turnout.gap_words(progress(6000, 0, "300000.00", "0.00")) == "还差 4,000 户、200,000 平方米"
        assert turnout.gap_words(progress(3, 0, "100.00", "0.00")) == "还差 2 户、66.67 平方米"


def test_it_finds_the_binding_side_exactly():
    """Compare gap_area/total_area with gap_heads/total_heads as fractions."""
    # area: (2000-1000)/3000 = 1/3; heads: (40-30)/60 = 1/6 → area is further behind
    assert progress(60, 30, "3000.00", "1000.00").binding == "area"
    # area: 1/6; heads: 1/3 → heads
    assert progress(60, 20, "3000.00", "1500.00").binding == "heads"
    # equal: both 1/3
    assert progress(60, 20, "3000.00", "1000.00").binding == "both"
    assert progress(60, 40, "3000.00", "2000.00").binding is None


# ---------------------------------------------------------------------------------------------- pages


def test_it_lists_the_leaders_elections_in_voting(client, compound, leader, election):
    """The index shows the vote in progress with the gap; an election still in preparation is not
    canvassed, only listed for the visits before the vote (issue 16)."""
    other = election_with_ballot_paper(compound, stage=Stage.NOMINATION)
    other.title = "筹备中的选举"
    other.save()
    client.force_login(leader)
    html = client.get(reverse("grid:index")).content.decode()
    assert election.title in html
    assert f'href="{reverse("grid:election", args=[other.pk])}"' not in html
    assert reverse("grid:outreach", args=[other.pk]) in html
    assert "还差 3 户、367 平方米" in html  # ⌈2/3 × 4⌉ heads; 2/3 × 550.50 ㎡ = 367.00 exactly


def test_it_lists_who_has_not_voted_in_the_grid_largest_first(client, homes, leader, election):
    """Only grid one's non-voters, by area descending, with full mobile numbers; nothing of building 2."""
    cast(election, homes, "1-1-101")
    client.force_login(leader)
    html = client.get(reverse("grid:election", args=[election.pk])).content.decode()
    assert html.index("1-1-102") < html.index("1-1-103")
    assert "1-1-101" not in html  # has voted
    assert "2-1-101" not in html and "赵四" not in html  # another grid
    assert "13900000002" in html and "13900000003" in html
    assert "13900000001" not in html


def test_it_orders_by_area_when_heads_are_binding_too(election, leader, homes):
    """Heads binding: every voter closes one head, area breaks the tie."""
    rows = turnout.canvass_list(election=election, user=leader)
    assert [r.voter.unit_codes for r in rows] == ["1-1-102", "1-1-103", "1-1-101"]


def test_it_records_each_opening_of_the_contacts(client, leader, election):
    """The list with mobile numbers leaves an audit row every time it is opened."""
    client.force_login(leader)
    url = reverse("grid:election", args=[election.pk])
    client.get(url)
    client.get(url)
    assert AuditEntry.objects.filter(action="grid.contacts_viewed", election_id=election.pk).count() == 2
    client.get(reverse("grid:voter", args=[election.pk, voter(election, "1-1-102").pk]))
    assert AuditEntry.objects.filter(action="grid.contacts_viewed", actor=leader).count() == 3


def test_it_logs_visits_with_their_history(client, leader, election):
    """A visit is saved with outcome and note, shown in the history, newest first, and audited."""
    client.force_login(leader)
    url = reverse("grid:voter", args=[election.pk, voter(election, "1-1-102").pk])
    assert client.post(url, {"outcome": "not_home", "note": "晚上再来"}).status_code == 302
    assert client.post(url, {"outcome": "promised", "note": "答应周末投"}).status_code == 302
    html = client.get(url).content.decode()
    assert html.index("答应周末投") < html.index("晚上再来")
    assert Visit.objects.filter(voter=voter(election, "1-1-102")).count() == 2
    assert AuditEntry.objects.filter(action="grid.visit").count() == 2
    listing = client.get(reverse("grid:election", args=[election.pk])).content.decode()
    assert "答应投票" in listing or "promised" in listing


def test_it_refuses_a_visit_to_an_owner_of_another_grid(leader, election):
    """The service checks the grid too, not only the page."""
    with pytest.raises(ElectionError):
        turnout.visit_record(
            election=election, voter=voter(election, "2-1-101"), actor=leader, outcome="visited"
        )
    assert Visit.objects.count() == 0


def test_it_masks_mobiles_for_everyone_but_the_grid_leader(election):
    """Full for the grid leader, 139****0002 elsewhere."""
    v = voter(election, "1-1-102")
    assert turnout.voter_contacts([v.pk], full=True)[v.pk][0].mobile == "13900000002"
    assert turnout.voter_contacts([v.pk], full=False)[v.pk][0].mobile == "139****0002"


def test_it_reveals_no_choice_on_the_canvassing_pages(client, homes, leader, election):
    """Has voted / has not voted only: no candidate names, no choices."""
    cast(election, homes, "1-1-101")
    client.force_login(leader)
    for url in (
        reverse("grid:index"),
        reverse("grid:election", args=[election.pk]),
        reverse("grid:voter", args=[election.pk, voter(election, "1-1-101").pk]),
    ):
        html = client.get(url).content.decode()
        # The CSRF token of the sign-out form is random text that may contain "C4" by chance.
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        assert "候选人4" not in html and "C4" not in html
        assert '"matters"' not in html and "反对" not in html
    html = client.get(
        reverse("grid:voter", args=[election.pk, voter(election, "1-1-101").pk])
    ).content.decode()
    assert "已投票" in html or "has voted" in html


def test_it_shows_the_visits_before_the_vote_once_and_keeps_them_out_of_the_title(
    client, homes, leader, election
):
    """The household page lists the talks before the vote in its body, once; its <title> and
    <head> hold no page markup (they held a copy of the section each)."""
    OutreachVisit.objects.create(
        election=election,
        unit=homes["1-1-102"][2],
        visited_by=leader,
        way=OutreachVisit.Way.TALK,
        outcome=OutreachVisit.Outcome.CONCERNS,
        note="担心物业费上涨",
    )
    client.force_login(leader)
    html = client.get(
        reverse("grid:voter", args=[election.pk, voter(election, "1-1-102").pk])
    ).content.decode()
    head, body = html.split("</head>", 1)
    assert "担心物业费上涨" not in head and "<section" not in head
    assert re.search(r"<title>1-1-102 · [^<]+</title>", head)
    assert body.count("担心物业费上涨") == 1


# ---------------------------------------------------------------------------------------------- scoping


def test_it_hides_another_grids_voter(client, leader, election):
    """A voter of grid two is a 404 for grid one's leader."""
    client.force_login(leader)
    assert (
        client.get(reverse("grid:voter", args=[election.pk, voter(election, "2-1-101").pk])).status_code
        == 404
    )
    assert (
        client.post(
            reverse("grid:voter", args=[election.pk, voter(election, "2-1-101").pk]), {"outcome": "visited"}
        ).status_code
        == 404
    )


def test_it_hides_the_grid_pages_from_everyone_but_grid_leaders(
    client, homes, election, street_staff, outsider_staff
):
    """Owners, staff of the street and of another street: 404 everywhere under /grid/."""
    urls = [
        reverse("grid:index"),
        reverse("grid:election", args=[election.pk]),
        reverse("grid:voter", args=[election.pk, voter(election, "1-1-102").pk]),
    ]
    for user in (homes["1-1-101"][0], street_staff, outsider_staff):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)


def test_it_hides_another_compounds_election_from_a_grid_leader(client, leader, other_compound):
    """An election of a compound where the user leads no grid: 404."""
    owner_user(other_compound, "9-1-101", "90.00")
    other = election_with_ballot_paper(other_compound, stage=Stage.VOTING)
    roll_freeze(election=other, actor=OPERATOR)
    client.force_login(leader)
    assert client.get(reverse("grid:election", args=[other.pk])).status_code == 404
    v = other.voters.get()
    assert client.get(reverse("grid:voter", args=[other.pk, v.pk])).status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in_and_refuses_wrong_methods(client, leader, election):
    """Anonymous: 302 to sign in. POST on the lists: 405."""
    urls = [reverse("grid:index"), reverse("grid:election", args=[election.pk])]
    voter_url = reverse("grid:voter", args=[election.pk, voter(election, "1-1-102").pk])
    for url in [*urls, voter_url]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"]
    client.force_login(leader)
    for url in urls:
        assert client.post(url).status_code == 405
    assert client.put(voter_url).status_code == 405


def test_it_shows_no_list_outside_voting(client, leader, election):
    """After the close: no list of non-voters, no contacts."""
    election.stage = Stage.COUNTING
    election.save()
    client.force_login(leader)
    html = client.get(reverse("grid:election", args=[election.pk])).content.decode()
    assert "13900000002" not in html
    assert not AuditEntry.objects.filter(action="grid.contacts_viewed").exists()
    assert Ballot.objects.count() == 0
