"""The street board's pages (/street/): who may see what, filters without JavaScript, the
timeline, the district roll-up, the XLSX exports with their audit rows, and a query count that
does not grow with the number of compounds."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from elections.models import Stage
from grids.models import RoleAssignment
from tests.elections.test_street_board import (
    aware,
    make_branch,
    make_committee,
    make_election,
    make_voting,
    populate,
)
from tests.factories import (
    CommunityFactory,
    CompoundFactory,
    DistrictFactory,
    StreetFactory,
    UserFactory,
    grant,
)
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

Role = RoleAssignment.Role

GET_VIEWS = [
    "street:board",
    "street:district",
    "street:timeline",
    "street:export_board",
    "street:export_figures",
]


def late_election(compound):
    """Notice published 10 days before voting opens: the assembly notice was late."""
    today = timezone.localdate()
    return make_election(
        compound,
        stage=Stage.CANDIDATE_NOTICE,
        notice_published_on=today - timedelta(days=1),
        voting_opens_at=aware(today + timedelta(days=10)),
        voting_closes_at=aware(today + timedelta(days=17)),
    )


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [tuple(c for c in row) for row in book.active.iter_rows(values_only=True)]


# ---------------------------------------------------------------------------------------------
# Access: success, wrong method, anonymous, another street
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GET_VIEWS)
def test_it_serves_each_page_to_the_streets_staff(client, street_staff, compound, name):
    client.force_login(street_staff)
    response = client.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize("name", GET_VIEWS)
def test_it_refuses_other_methods(client, street_staff, compound, name):
    client.force_login(street_staff)
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", [*GET_VIEWS, "street:import_committees"])
def test_it_sends_anonymous_visitors_to_sign_in(client, compound, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


@pytest.mark.parametrize("name", [*GET_VIEWS, "street:import_committees"])
def test_it_hides_the_board_from_users_without_a_street(client, compound, working_group, name):
    """A compound's working group and an owner have no street board: 404."""
    client.force_login(working_group)
    assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", GET_VIEWS)
def test_it_gives_another_streets_staff_404_for_the_first_street(
    client, street, compound, outsider_staff, name
):
    client.force_login(outsider_staff)
    assert client.get(reverse(name), {"street": street.pk}).status_code == 404


def test_it_never_shows_another_streets_compounds_on_any_page(
    client, street, compound, outsider_staff, other_compound
):
    """Board, timeline, roll-up, exports and the compound page of the other street's staff never
    show the first street's compound or election."""
    election = late_election(compound)
    make_committee(compound, term_end=timezone.localdate() + timedelta(days=400))
    late_election(other_compound)
    client.force_login(outsider_staff)
    pages = [
        client.get(reverse("street:board")).content.decode(),
        client.get(reverse("street:timeline")).content.decode(),
        client.get(reverse("street:district")).content.decode(),
    ]
    for html in pages:
        assert "灵隐" in html
        assert "西园里" not in html and "XYLW" not in html and "湖滨" not in html
    for name in ("street:export_board", "street:export_figures"):
        text = repr(xlsx_rows(client.get(reverse(name))))
        assert "西园里" not in text and "XYLW" not in text and "湖滨" not in text
        assert "灵隐" in text
    assert client.get(reverse("street:timeline"), {"election": election.pk}).status_code == 404
    assert client.get(reverse("street:compound", args=[compound.pk])).status_code == 404


def test_it_lets_an_auditor_of_the_street_read_but_not_import(client, street, compound):
    auditor = UserFactory()
    grant(auditor, Role.AUDITOR, street)
    client.force_login(auditor)
    assert client.get(reverse("street:board")).status_code == 200
    assert client.get(reverse("street:export_board")).status_code == 200
    assert client.get(reverse("street:import_committees")).status_code == 403


def test_it_shows_district_staff_every_street_of_the_district_and_the_roll_up(
    client, compound, other_compound
):
    district = DistrictFactory(name="西湖区")
    first, second = compound.community.street, other_compound.community.street
    first.district = second.district = district
    first.save()
    second.save()
    outside = CompoundFactory(
        community=CommunityFactory(street=StreetFactory(name="外区街道")), name="外区小区"
    )
    user = UserFactory()
    grant(user, Role.DISTRICT_STAFF, district)
    client.force_login(user)
    response = client.get(reverse("street:board"))
    assert response.status_code == 302
    assert response["Location"] == reverse("street:district")
    html = client.get(reverse("street:district")).content.decode()
    assert "湖滨街道" in html and "灵隐街道" in html and "西湖区" in html
    assert outside.name not in html and "外区街道" not in html
    html = client.get(reverse("street:board"), {"street": second.pk}).content.decode()
    assert "灵隐小区" in html and "西园里" not in html
    assert client.get(reverse("street:board"), {"street": outside.community.street.pk}).status_code == 404


# ---------------------------------------------------------------------------------------------
# The board
# ---------------------------------------------------------------------------------------------


def test_it_shows_each_compound_with_its_term_election_deadline_and_coverage(client, street_staff, compound):
    today = timezone.localdate()
    make_committee(compound, term_end=today - timedelta(days=1))
    make_branch(compound)
    election = late_election(compound)
    client.force_login(street_staff)
    response = client.get(reverse("street:board"))
    html = response.content.decode()
    assert "西园里" in html and "XYLW" in html
    assert "任期届满未换届" in html
    assert election.title in html
    assert "候选人公示" in html  # the stage
    assert 'class="late status-overdue"' in html
    assert (
        reverse("street:timeline") + f"?street={compound.community.street_id}&amp;election={election.pk}"
        in html
    )
    assert "<svg" in html and "<script>" not in html and "style=" not in html


def test_it_searches_by_name_or_code_without_javascript(client, street_staff, compound):
    CompoundFactory(community=compound.community, code="DQXQ", name="东桥新区")
    client.force_login(street_staff)
    html = client.get(reverse("street:board"), {"q": "东桥"}).content.decode()
    assert "东桥新区" in html and "西园里" not in html.split("<tbody>")[1]
    html = client.get(reverse("street:board"), {"q": "xylw"}).content.decode()
    assert "西园里" in html.split("<tbody>")[1] and "东桥新区" not in html


def test_it_shows_turnout_while_voting_and_never_a_choice(client, street_staff, compound):
    make_voting(compound, voters=4, cast=1)
    client.force_login(street_staff)
    html = client.get(reverse("street:board")).content.decode()
    assert "25.0%" in html
    assert 'class="w25"' in html


def test_it_keeps_the_query_count_of_the_page_constant(
    client, street_staff, compound, django_assert_max_num_queries
):
    """The board of 30 compounds runs no more queries than the board of 5."""
    today = timezone.localdate()
    populate(compound.community, 0, 5, today)
    client.force_login(street_staff)
    client.get(reverse("street:board"))  # warm the session
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("street:board")).status_code == 200
    populate(CommunityFactory(street=compound.community.street), 5, 25, today)
    with django_assert_max_num_queries(len(five)):
        response = client.get(reverse("street:board"))
    assert response.status_code == 200
    assert response.content.decode().count('<tr class="') == 31


def test_it_keeps_the_query_count_of_the_district_roll_up_constant(
    client, compound, django_assert_max_num_queries
):
    """The district roll-up of 3 streets and 30 compounds runs no more queries than that of 1
    street and 5 compounds: it does not grow with the compounds or the streets (bench/board_bench.py
    measures it at 5,000 compounds)."""
    today = timezone.localdate()
    district = DistrictFactory(name="基准区")
    street = compound.community.street
    street.district = district
    street.save()
    populate(compound.community, 0, 5, today)
    user = UserFactory()
    grant(user, Role.DISTRICT_STAFF, district)
    client.force_login(user)
    client.get(reverse("street:district"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("street:district")).status_code == 200
    for k in range(2):
        other = StreetFactory(name=f"基准街道{k}", district=district)
        populate(CommunityFactory(street=other), 5 + 13 * k, 13, today)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("street:district"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "基准街道0" in html and "基准街道1" in html


# ---------------------------------------------------------------------------------------------
# Timeline and compound pages
# ---------------------------------------------------------------------------------------------


def test_it_draws_the_timeline_with_today_and_late_milestones_in_red(client, street_staff, compound):
    election = late_election(compound)
    client.force_login(street_staff)
    html = client.get(reverse("street:timeline")).content.decode()
    assert 'class="today"' in html
    assert 'class="milestone late"' in html
    html = client.get(reverse("street:timeline"), {"election": election.pk}).content.decode()
    assert "业主大会会议公告" in html
    assert '<tr class="late">' in html
    assert "逾期完成" in html


def test_it_shows_a_compound_with_its_committee_members(client, street_staff, compound):
    make_committee(compound, term_end=timezone.localdate() + timedelta(days=900))
    client.force_login(street_staff)
    html = client.get(reverse("street:compound", args=[compound.pk])).content.decode()
    assert "主任甲" in html and "主任" in html


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def test_it_exports_the_board_as_xlsx_with_an_audit_row(client, street_staff, compound):
    make_committee(compound, term_end=timezone.localdate() - timedelta(days=1))
    late_election(compound)
    client.force_login(street_staff)
    response = client.get(reverse("street:export_board"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0][:4] == ("街道", "社区", "小区编码", "小区名称")
    assert rows[1][2] == "XYLW" and rows[1][6] == "任期届满未换届（应换未换）"
    assert rows[1][12] == "是"
    entry = AuditEntry.objects.get(action="street.export_board")
    assert entry.actor == street_staff and entry.data["rows"] == 1


def test_it_exports_a_compound_named_like_a_formula_as_text(client, street_staff, compound):
    compound.name = '=HYPERLINK("http://x","y")'
    compound.save(update_fields=["name"])
    client.force_login(street_staff)
    response = client.get(reverse("street:export_board"))
    cell = openpyxl.load_workbook(io.BytesIO(response.content)).active.cell(row=2, column=4)
    assert cell.value == compound.name and cell.data_type == "s" and cell.quotePrefix


def test_it_exports_the_figures_as_xlsx_with_an_audit_row(client, street_staff, compound):
    make_committee(compound, term_end=timezone.localdate() + timedelta(days=900))
    make_branch(compound)
    client.force_login(street_staff)
    rows = xlsx_rows(client.get(reverse("street:export_figures")))
    assert rows[0][0] == "街道" and rows[0][-1] == "三覆盖率"
    assert rows[1][0] == "湖滨街道"
    assert rows[1][1:3] == (1, 1)
    assert rows[1][-1] == 1  # the all-three ratio, a number shown with a percent format
    assert AuditEntry.objects.filter(action="street.export_figures", actor=street_staff).count() == 1


def test_it_lists_the_mass_sends_waiting_for_a_second_staff_members_approval(
    client, street_staff, compound, working_group, other_compound, outsider_staff, settings
):
    """A send held above the threshold shows on the board of the street staff who may approve it,
    with the way to its page; never on its asker's board, nor on another street's (issue 20)."""
    from elections.mass_sends import mass_send_estimate, mass_send_request
    from elections.models import MassSend, Notice
    from elections.notices import notice_create
    from tests.factories import OwnerFactory, election_with_ballot_paper, unit_with_owners

    settings.MASS_SEND_APPROVAL_OVER = 1
    election = election_with_ballot_paper(compound, stage=Stage.NOTICE)
    for i in range(2):
        unit_with_owners(compound, f"1-1-{101 + i}", "80.00", [OwnerFactory(mobile=f"1380000{i:04d}")])
    notice = notice_create(
        compound=compound,
        election=election,
        kind=Notice.Kind.ASSEMBLY,
        audience=Notice.Audience.ALL_OWNERS,
        channels=("sms",),
        title="业主大会公告",
        body="正文",
        actor=working_group,
    )
    send = mass_send_request(notice=notice, actor=working_group, round=mass_send_estimate(notice).round)
    assert send.status == MassSend.Status.PENDING
    grant(working_group, RoleAssignment.Role.STREET_STAFF, compound.community.street)  # its own board
    detail = reverse("manage:mass_send_detail", args=[election.pk, notice.pk, send.pk])

    client.force_login(street_staff)
    html = client.get(reverse("street:board")).content.decode()
    assert 'id="sends-waiting"' in html and "业主大会公告" in html and detail in html
    client.force_login(working_group)
    assert 'id="sends-waiting"' not in client.get(reverse("street:board")).content.decode()
    client.force_login(outsider_staff)
    assert "业主大会公告" not in client.get(reverse("street:board")).content.decode()
    send.status = MassSend.Status.REFUSED
    send.save(update_fields=["status"])
    client.force_login(street_staff)
    assert 'id="sends-waiting"' not in client.get(reverse("street:board")).content.decode()
