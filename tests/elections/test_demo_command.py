"""`manage.py demo` (smaller compounds, same plans) loads the party side of issue 16: the tree filled
in, the gates on with their approvals, a survey run with answers, the composition to roll up."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from elections import composition as comp
from elections.management.commands import demo
from elections.models import Committee, Election, OutreachVisit, ReserveCandidate, Survey, SurveyResponse
from grids.models import Compound, PartyMember, PartyOrg, PartyReport, Street

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch):
    sizes = {"XYLW": 140, "DPHY": 90, "BSY": 90, "HPJ": 70, "BSXC": 70, "DQXQ": 60}
    monkeypatch.setattr(
        demo,
        "COMPOUNDS",
        [(code, name, c, sizes[code], 0, plan) for code, name, c, _n, _p, plan in demo.COMPOUNDS],
    )


def test_the_demo_shows_the_party_side(small):
    out = io.StringIO()
    call_command("demo", stdout=out)
    street = Street.objects.get(name=demo.STREET)
    assert street.gate_start and street.gate_working_group
    assert PartyOrg.objects.filter(level="compound").count() == 5
    groups = PartyOrg.objects.filter(level="building").count()
    assert groups >= 1 and PartyMember.objects.filter(role="group_leader").count() == groups
    assert PartyReport.objects.filter(status="pending").count() == 1
    gated = Election.objects.get(compound__code="BSXC")
    assert gated.start_approved_by is not None and gated.working_group_approved_at is None
    closed, open_ = Survey.objects.get(compound__code="BSY"), Survey.objects.get(compound__code="XYLW")
    assert SurveyResponse.objects.filter(survey=closed).count() > 30 and not open_.responses.exists()
    assert OutreachVisit.objects.exists() and ReserveCandidate.objects.count() == 3
    rows = comp.compositions(Compound.objects.all())
    assert comp.figures(rows).secretary_chairs == 2
    assert Committee.objects.exclude(credit_code="").count() == 1
    assert "13800000005" in out.getvalue()
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "已存在" in again.getvalue() and Survey.objects.count() == 2


def test_the_demo_goes_through_a_property_committee(small, monkeypatch):
    """和平里 went from an expired committee through a 物管会 to a new committee; 安定里 is under a 物管会
    whose re-election is under way; the street board and its timeline show both."""
    from datetime import date

    from elections import board
    from elections.management import demo_interim
    from elections.models import Escalation, PropertyCommittee

    monkeypatch.setattr(demo_interim, "COMPOUNDS", [("HPL", "和平里小区", 60), ("ADL", "安定里", 60)])
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert demo_interim.STAFF_PHONE in out.getvalue()
    hpl = PropertyCommittee.objects.get(compound__code="HPL")
    assert hpl.dissolved_on == date(2025, 10, 1) and hpl.successor is not None
    adl = PropertyCommittee.objects.get(compound__code="ADL")
    assert adl.active and adl.elections.get().stage == "working_group"
    street = Street.objects.get(name=demo_interim.STREET)
    rows = board.board_rows(Compound.objects.filter(community__street=street))
    figures = board.figures(rows)
    assert figures.under_property_committee == 1 and figures.overdue_deadlines >= 1
    assert Escalation.objects.get(compound__code="ADL").status == Escalation.Status.RESOLVED
    assert Escalation.objects.filter(compound__code="DQXQ", resolved_on__isnull=True).exists()
