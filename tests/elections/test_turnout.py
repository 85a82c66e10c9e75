"""Turnout: exact participation against the quorum, overall, by building and by grid; counts only."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elections import turnout
from elections.models import Ballot, Stage
from elections.services import ballot_record, roll_freeze
from grids.models import Building, RoleAssignment
from tests.factories import (
    GridFactory,
    OwnerFactory,
    election_with_ballot_paper,
    grant,
    owner_user,
    unit_with_owners,
)
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db

CHOICES = {"matters": {"M1": "yes"}, "races": {"R1": ["C2"]}}


@pytest.fixture
def homes(compound):
    """Three owners of 100 ㎡ each: two in building 1, one in building 2."""
    return [
        owner_user(compound, "1-1-101", "100.00", name="张一"),
        owner_user(compound, "1-1-102", "100.00", name="王二"),
        owner_user(compound, "2-1-101", "100.00", name="李三"),
    ]


def frozen(compound, stage=Stage.VOTING):
    election = election_with_ballot_paper(compound, stage=stage)
    roll_freeze(election=election, actor=OPERATOR)
    return election


def vote(election, code, status=Ballot.Status.VALID):
    voter = election.voters.get(units__code=code)
    user = voter.units.first().ownerships.first().owner.user
    return ballot_record(
        election=election,
        voter=voter,
        actor=user,
        cast_as="owner",
        channel="online",
        choices=CHOICES if status == Ballot.Status.VALID else {},
        status=status,
        reject_reason="" if status == Ballot.Status.VALID else "未签名",
    )


def test_it_meets_the_quorum_exactly_at_two_thirds(compound, homes):
    """2 of 3 owners and 200 of 300 ㎡: exactly 2/3 is enough (以上 includes the number itself)."""
    election = frozen(compound)
    vote(election, "1-1-101")
    one = turnout.turnout_overall(election)
    assert (one.heads, one.area) == (1, Decimal("100.00"))
    assert not one.met
    assert one.gap_heads == 1 and one.gap_area == Decimal("100.00")
    vote(election, "2-1-101")
    two = turnout.turnout_overall(election)
    assert (two.heads, two.area, two.total_heads, two.total_area) == (
        2,
        Decimal("200.00"),
        3,
        Decimal("300.00"),
    )
    assert two.area_met and two.heads_met and two.met
    assert two.gap_heads == 0 and two.gap_area == 0


def test_it_does_not_count_rejected_ballots(compound, homes):
    """A rejected ballot does not participate."""
    election = frozen(compound)
    vote(election, "1-1-101", status=Ballot.Status.REJECTED)
    assert turnout.turnout_overall(election).heads == 0


def test_it_rounds_the_area_still_needed_up_to_the_cent(compound):
    """2/3 of 100.00 ㎡ is 66.666…: 66.67 ㎡ are still needed, and 66.66 is not enough."""
    owner_user(compound, "1-1-101", "66.66")
    owner_user(compound, "1-1-102", "33.34")
    election = frozen(compound)
    assert turnout.turnout_overall(election).gap_area == Decimal("66.67")
    vote(election, "1-1-101")
    after = turnout.turnout_overall(election)
    assert not after.area_met
    assert after.gap_area == Decimal("0.01")
    assert after.gap_heads == 1  # 1 of 2 heads is less than 2/3 × 2 = 4/3


def test_it_counts_a_voter_with_homes_in_two_buildings_in_each_but_once_overall(compound, homes):
    """Buildings 1 and 3 each count the buyer of 1-2-201 and 3-1-101; the whole compound counts them once."""
    buyer = OwnerFactory(name="赵四")
    unit_with_owners(compound, "1-2-201", "50.00", [buyer])
    unit_with_owners(compound, "3-1-101", "70.00", [buyer])
    unit_with_owners(compound, "3-1-102", "30.00", [buyer])
    election = frozen(compound)
    ballot_record(
        election=election,
        voter=election.voters.get(units__code="3-1-101"),
        actor=homes[0][0],
        cast_as="owner",
        channel="online",
        choices=CHOICES,
    )
    vote(election, "1-1-101")
    overall = turnout.turnout_overall(election)
    assert (overall.total_heads, overall.total_area) == (4, Decimal("450.00"))
    assert (overall.heads, overall.area) == (2, Decimal("250.00"))
    rows = {p.label: p for p in turnout.turnout_by_building(election)}
    assert list(rows) == ["1号楼", "2号楼", "3号楼"]
    assert (rows["1号楼"].total_heads, rows["1号楼"].total_area) == (3, Decimal("350.00"))
    assert (rows["1号楼"].heads, rows["1号楼"].area) == (2, Decimal("250.00"))
    assert (rows["2号楼"].heads, rows["2号楼"].total_heads) == (0, 1)
    assert (rows["3号楼"].total_heads, rows["3号楼"].total_area) == (1, Decimal("150.00"))
    assert (rows["3号楼"].heads, rows["3号楼"].area) == (1, Decimal("150.00"))


def test_it_counts_by_grid(compound, homes):
    """A grid of building 1 and a grid of building 2, with their own numbers."""
    election = frozen(compound)
    b1 = Building.objects.get(compound=compound, name="1")
    b2 = Building.objects.get(compound=compound, name="2")
    g1 = GridFactory(compound=compound, name="一网格")
    g1.buildings.add(b1)
    g2 = GridFactory(compound=compound, name="二网格")
    g2.buildings.add(b2)
    GridFactory(compound=compound, name="空网格")
    vote(election, "1-1-102")
    rows = {p.label: p for p in turnout.turnout_by_grid(election)}
    assert (rows["一网格"].heads, rows["一网格"].total_heads, rows["一网格"].area) == (
        1,
        2,
        Decimal("100.00"),
    )
    assert (rows["二网格"].heads, rows["二网格"].total_heads) == (0, 1)
    assert rows["空网格"].total_heads == 0
    only = turnout.turnout_by_grid(election, grid_ids=[g2.pk])
    assert [p.label for p in only] == ["二网格"]


def test_it_formats_areas_with_thousands_and_no_trailing_zeros():
    """1,204.50 → 1,204.5; 1,204.00 → 1,204; 0.05 stays."""
    assert turnout.format_area(Decimal("1204.50")) == "1,204.5"
    assert turnout.format_area(Decimal("1204.00")) == "1,204"
    assert turnout.format_area(Decimal("1200.00")) == "1,200"
    assert turnout.format_area(Decimal("0.05")) == "0.05"
    assert turnout.format_area(Decimal("1234567.89")) == "1,234,567.89"


def test_it_shows_percentages_as_the_results_do():
    """66.66…% shows as 66.7% (rounded half up on the exact share, as results and the board show
    it: yezhu/formats.py); the bar stays at 66 and whether the quorum is met is decided exactly."""
    p = turnout.Progress(
        label="",
        total_area=Decimal("300.00"),
        total_heads=3,
        area=Decimal("200.00"),
        heads=2,
        quorum=Fraction(2, 3),
    )
    assert p.heads_share_text == "66.7%"
    assert p.heads_percent == 66
    assert p.heads_met
    assert p.quorum_percent == 66


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_costs_the_same_number_of_queries_whatever_the_size(client, compound, street_staff):
    """Five voters in two buildings or forty in eight: the same number of queries."""
    for i in range(5):
        owner_user(compound, f"{i % 2 + 1}-1-{100 + i}", "80.00")
    small = frozen(compound)
    vote(small, "1-1-100")
    client.force_login(street_staff)
    small_count = _page_queries(client, reverse("manage:turnout", args=[small.pk]))

    from tests.factories import CommunityFactory, CompoundFactory

    big_compound = CompoundFactory(community=CommunityFactory(street=compound.community.street))
    for i in range(40):
        owner_user(big_compound, f"{i % 8 + 1}-1-{100 + i}", "75.50")
    for b in Building.objects.filter(compound=big_compound)[:3]:
        GridFactory(compound=big_compound).buildings.add(b)
    big = frozen(big_compound)
    for code in ("1-1-100", "2-1-101", "3-1-102"):
        vote(big, code)
    big_count = _page_queries(client, reverse("manage:turnout", args=[big.pk]))
    assert big_count == small_count


# ---------------------------------------------------------------------------------------------- pages


def test_it_shows_owners_the_compounds_turnout(client, compound, homes):
    """An owner of the compound sees the numbers, by building too."""
    election = frozen(compound)
    vote(election, "1-1-101")
    client.force_login(homes[1][0])
    response = client.get(reverse("elections:turnout", args=[election.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "100 / 300" in html
    assert "1 / 3" in html
    assert "1号楼" in html
    assert "还差 1 户、100 平方米" in html
    assert " style=" not in html


def test_it_shows_a_notice_before_voting(client, compound, homes):
    """Before voting opens: a notice, no numbers."""
    election = election_with_ballot_paper(compound, stage=Stage.CANDIDATE_NOTICE)
    client.force_login(homes[0][0])
    html = client.get(reverse("elections:turnout", args=[election.pk])).content.decode()
    assert "投票开始后" in html
    assert "还差" not in html


def test_it_reveals_no_choice_on_the_turnout_pages(client, compound, homes, street_staff):
    """Candidate names, vote counts and the choices JSON are absent while voting is open."""
    election = frozen(compound)
    vote(election, "1-1-101")
    for user, name in ((homes[1][0], "elections:turnout"), (street_staff, "manage:turnout")):
        client.force_login(user)
        html = client.get(reverse(name, args=[election.pk])).content.decode()
        # The CSRF token of the sign-out form is random text that may contain "C2" by chance.
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        assert "候选人2" not in html
        assert '"matters"' not in html and '"races"' not in html
        assert "C2" not in html
        assert "同意" not in html


def test_it_serves_the_staff_page_to_staff_and_hides_it_from_others(
    client, compound, homes, street_staff, working_group, outsider_staff
):
    """Staff: 200; owners and another street's staff: 404; anonymous: sign in; POST: 405."""
    election = frozen(compound)
    url = reverse("manage:turnout", args=[election.pk])
    auditor = homes[2][0]
    for user in (street_staff, working_group):
        client.force_login(user)
        assert client.get(url).status_code == 200
    client.force_login(street_staff)
    assert client.post(url).status_code == 405
    client.force_login(homes[0][0])
    assert client.get(url).status_code == 404
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    assert client.get(reverse("elections:turnout", args=[election.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    assert client.get(reverse("elections:turnout", args=[election.pk])).status_code == 302
    grant(auditor, RoleAssignment.Role.AUDITOR, compound)
    client.force_login(auditor)
    assert client.get(url).status_code == 200


def test_it_refuses_post_on_the_owners_page(client, compound, homes):
    """GET only."""
    election = frozen(compound)
    client.force_login(homes[0][0])
    assert client.post(reverse("elections:turnout", args=[election.pk])).status_code == 405
