"""What the elected committees are made of, rolled up by community and street (issue 16 part 2):
party members, cross-membership with the branch (交叉任职) and the branch secretary in the chair
(一肩挑), on the board next to 三覆盖, on /street/composition/ and in its export."""

from __future__ import annotations

import io
from datetime import date
from fractions import Fraction

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from elections import composition as comp
from elections.models import Committee, CommitteeMember
from grids.models import Compound, PartyMember, PartyOrg
from tests.factories import CommunityFactory, CompoundFactory, OwnerFactory
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

Role = CommitteeMember.Role


def committee(compound, members, *, start=date(2024, 6, 1), ended=None) -> Committee:
    """members: (name, role, party, cross, secretary, owner)."""
    c = Committee.objects.create(
        compound=compound, term_start=start, term_end=date(start.year + 5, 5, 31), ended_on=ended
    )
    for i, (name, role, party, cross, secretary, owner) in enumerate(members):
        CommitteeMember.objects.create(
            committee=c,
            name=name,
            role=role,
            party_member=party,
            cross_post=cross,
            branch_secretary=secretary,
            owner=owner,
            position=i,
        )
    return c


@pytest.fixture
def streets(compound, street_staff):
    """西园里: 7 members, 5 marked party members, the chair marked as branch secretary, one cross-
    posted, an alternate. 东园: party and posts known from the branch's members only. 北山 (another
    community): no party member, no branch. A committee that left office is not counted."""
    red = [("主任", Role.CHAIR, True, True, True, None)]
    red += [(f"委员{i}", Role.MEMBER, i < 4, False, False, None) for i in range(6)]
    red += [("候补", Role.ALTERNATE, True, True, False, None)]
    committee(compound, red)
    committee(
        compound,
        [("老主任", Role.CHAIR, False, False, False, None)],
        start=date(2019, 6, 1),
        ended=date(2024, 6, 1),
    )

    east = CompoundFactory(community=compound.community, code="DY", name="东园")
    chair, deputy, plain = OwnerFactory(name="甲"), OwnerFactory(name="乙"), OwnerFactory(name="丙")
    branch = PartyOrg.objects.create(level="compound", compound=east, name="东园党支部")
    PartyMember.objects.create(org=branch, name="甲", owner=chair, role="secretary")
    PartyMember.objects.create(org=branch, name="乙", owner=deputy, role="committee")
    committee(
        east,
        [
            ("甲", Role.CHAIR, False, False, False, chair),
            ("乙", Role.MEMBER, False, False, False, deputy),
            ("丙", Role.MEMBER, False, False, False, plain),
        ],
    )
    north = CompoundFactory(
        community=CommunityFactory(street=compound.community.street, name="北山社区"),
        code="BS",
        name="北山苑",
    )
    committee(
        north, [("丁", Role.CHAIR, False, False, False, None), ("戊", Role.MEMBER, False, False, False, None)]
    )
    return compound.community.street


def test_it_counts_each_committee_in_office(streets):
    rows = {r.compound.name: r for r in comp.compositions(Compound.objects.all())}
    assert set(rows) == {"西园里", "东园", "北山苑"}
    red = rows["西园里"]
    assert (red.seated, red.party, red.cross, red.secretary_chairs) == (7, 5, 1, True)
    assert red.party_percent == "71.4%" and red.meets_target
    east = rows["东园"]
    assert (east.seated, east.party, east.cross, east.secretary_chairs, east.has_branch) == (
        3,
        2,
        2,
        True,
        True,
    )
    north = rows["北山苑"]
    assert (north.party, north.cross, north.secretary_chairs, north.has_branch) == (0, 0, False, False)


def test_it_rolls_up_by_community_and_street(streets):
    rows = comp.compositions(Compound.objects.all())
    total = comp.figures(rows)
    assert (total.committees, total.members, total.party) == (3, 12, 7)
    assert total.party_rate.share == Fraction(7, 12)
    assert total.cross_rate.percent == "66.7%"  # 2 of 3 committees
    assert total.secretary_rate.count == 2 and total.target_rate.count == 2
    by = {c.name: f for c, f in comp.by_community(rows)}
    assert by["东坡社区"].committees == 2 and by["北山社区"].party == 0
    [(street, f)] = comp.by_street(rows)
    assert street == streets and f == total


def test_it_costs_the_same_queries_for_more_compounds(streets):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            comp.compositions(Compound.objects.all())
        return len(ctx.captured_queries)

    before = count()
    for i in range(4):
        extra = CompoundFactory(community=streets.communities.first(), code=f"X{i}")
        owner = OwnerFactory()
        PartyMember.objects.create(
            org=PartyOrg.objects.create(level="compound", compound=extra, name=f"X{i}党支部"),
            name="x",
            owner=owner,
        )
        committee(extra, [("x", Role.CHAIR, False, False, False, owner)])
    assert count() == before


def test_it_shows_the_rates_on_the_board_and_the_composition_page(streets, street_staff):
    client = Client()
    client.force_login(street_staff)
    board = client.get("/street/").content.decode()
    assert "业委会委员中的党员比例" in board and "58.3%" in board  # 7 of 12
    assert "党支部书记任业委会主任（一肩挑）" in board
    page = client.get("/street/composition/").content.decode()
    for text in ("西园里", "东园", "北山苑", "东坡社区", "北山社区", "71.4%"):
        assert text in page


def test_it_exports_the_rates_and_each_committee(streets, street_staff):
    client = Client()
    client.force_login(street_staff)
    response = client.get("/street/export/composition.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rates, detail = book.worksheets
    values = [[c.value for c in row] for row in rates.iter_rows()]
    assert any(row[:4] == ["湖滨街道", "全部社区", 3, 12] for row in values)
    assert any(row[1] == "北山社区" for row in values)
    names = [row[3].value for row in detail.iter_rows(min_row=2)]
    assert sorted(names) == sorted(["西园里", "东园", "北山苑"])
    assert AuditEntry.objects.filter(action="street.export_composition", actor=street_staff).exists()


def test_it_keeps_another_streets_committees_out(streets, outsider_staff, other_compound):
    committee(other_compound, [("外", Role.CHAIR, True, False, False, None)])
    client = Client()
    client.force_login(outsider_staff)
    page = client.get("/street/composition/").content.decode()
    assert "灵隐小区" in page and "西园里" not in page
    assert client.get(f"/street/composition/?street={streets.pk}").status_code == 404
    assert client.get(f"/street/export/composition.xlsx?street={streets.pk}").status_code == 404
    book = openpyxl.load_workbook(io.BytesIO(client.get("/street/export/composition.xlsx").content))
    assert "西园里" not in str([[c.value for c in r] for r in book.worksheets[1].iter_rows()])
    assert Client().get("/street/composition/").status_code == 302


def test_it_carries_the_branch_secretary_from_the_candidate_to_the_register(compound):
    """committee_from_result marks the member elected as the branch's secretary, so a committee
    that then makes them its chair counts as 一肩挑."""
    from elections import lifecycle as lc
    from elections.calendar import seed_holidays
    from elections.models import Candidate
    from tests.elections.test_lifecycle import (
        ALL_VOTE,
        at,
        close_and_count,
        ready_for_notice,
        to_candidate_notice,
        vote,
    )
    from tests.factories import owner_user
    from yezhu.actors import OPERATOR, SCHEDULER

    seed_holidays(years=[2026], actor=OPERATOR)
    owners = []
    for code, area in (("1-1-101", "100.00"), ("1-1-102", "90.00"), ("1-1-103", "80.00")):
        user, _owner, unit = owner_user(compound, code, area)
        owners.append((user, unit))
    election = ready_for_notice(compound)
    to_candidate_notice(election)
    Candidate.objects.filter(race__election=election, key="C1").update(
        branch_secretary=True, party_member=True
    )
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 28), closes_at=at(2026, 4, 5, 18), actor=OPERATOR
    )
    lc.voting_open(election=election, now=at(2026, 3, 28), actor=SCHEDULER)
    vote(election, owners, ALL_VOTE)
    close_and_count(election=election, now=at(2026, 4, 5, 18), actor=SCHEDULER)
    lc.result_publish(election=election, on=date(2026, 4, 6), actor=OPERATOR)
    lc.result_finalise(election=election, on=date(2026, 4, 14), actor=SCHEDULER)
    elected = lc.committee_from_result(election=election, actor=OPERATOR)
    first = elected.members.get(name="候选人1")
    assert first.branch_secretary and first.cross_post and first.party_member
    lc.committee_member_save(
        committee=elected,
        member=first,
        actor=OPERATOR,
        name=first.name,
        role="chair",
        party_member=True,
        cross_post=True,
        branch_secretary=True,
    )
    [row] = comp.compositions(Compound.objects.filter(pk=compound.pk))
    assert row.committee == elected and row.secretary_chairs


def test_it_keeps_the_candidate_advisory_working(compound):
    """The advisory before the vote still reads the candidates (elections.nominations)."""
    from elections.models import Candidate, Election, Race
    from elections.nominations import composition_advisory

    election = Election.objects.create(compound=compound, title="换届")
    race = Race.objects.create(election=election, key="R1", seats=5)
    for i in range(4):
        Candidate.objects.create(
            race=race, key=f"C{i}", name=f"c{i}", party_member=i < 3, branch_secretary=i == 0
        )
    advice = composition_advisory(election)
    assert advice.party_members == 3 and advice.secretary_stands and advice.meets_target
