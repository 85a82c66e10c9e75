"""The results page and the staff XLSX export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from elections import voting
from tests.elections.test_voting import close_and_publish, homes, open_election, voter_of  # noqa: F401
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(compound, homes):  # noqa: F811
    """Four voters (one is the developer); three vote: quorum met on heads and area."""
    election = open_election(compound, matters=2, seats=2, candidates=3)
    cast = [
        ("alone_unit", "alone", {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C2"]}}),
        ("shared_unit", "co_a", {"matters": {"M1": "yes", "M2": "abstain"}, "races": {"R1": ["C1", "C2"]}}),
        ("buyer_units", "buyer", {"matters": {"M1": "no"}, "races": {"R1": ["C1", "C2", "C3"]}}),
    ]
    for unit_key, user_key, choices in cast:
        unit = homes[unit_key][0] if unit_key == "buyer_units" else homes[unit_key]
        voting.ballot_cast_online(
            election=election, voter=voter_of(election, unit), actor=homes[user_key], choices=choices
        )
    return election


def test_it_says_only_that_results_come_after_the_close(client, election, homes):  # noqa: F811
    """While voting is open the results page has no count, no percentage, no candidate."""
    client.force_login(homes["alone"])
    page = client.get(reverse("elections:results", args=[election.pk])).content.decode()
    assert "表决结果在投票结束、计票完成后公布" in page
    for secret in ("候选人1", "当选", "%", "90.00", "参与表决"):
        assert secret not in page


def test_it_shows_participation_matters_and_races_after_the_close(client, election, homes):  # noqa: F811
    """Participation against the quorum, each matter by area and heads, each candidate's support,
    who is elected, and the void ballots of the over-ticked race."""
    close_and_publish(election)
    client.force_login(homes["co_b"])
    response = client.get(reverse("elections:results", args=[election.pk]))
    page = response.content.decode()
    result = election.result
    assert result["participation"]["heads"] == 3 and result["participation"]["quorum_met"]
    assert "330.50" in page  # participating area: 90.00 + 80.50 + 160.00
    assert "参与表决的面积和人数都已达到要求" in page
    assert "通过" in page and "未通过" in page  # M1 passes, M2 does not
    assert "本项作废票 1 张" in page
    assert "当选（第 1 名）" in page and "候选人1" in page
    assert "核对我的回执" in page
    assert reverse("manage:results_xlsx", args=[election.pk]) not in page  # owners do not export
    rows = {row["matter"].key: row for row in response.context["matter_rows"]}
    assert rows["M1"]["passed"] and not rows["M2"]["passed"]
    race = response.context["race_rows"][0]
    assert race["elected_names"] == ["候选人1", "候选人2"]


def test_it_exports_the_result_as_xlsx_for_staff_with_an_audit_row(client, election, working_group):
    """Staff in scope download the result as a spreadsheet; the download is in the audit log."""
    close_and_publish(election)
    client.force_login(working_group)
    response = client.get(reverse("manage:results_xlsx", args=[election.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 3
    races = [[c.value for c in row] for row in book.worksheets[2].iter_rows()]
    assert any(row[3] == "候选人1" and row[5] == 2 for row in races[1:])
    assert AuditEntry.objects.filter(action="result.exported", election_id=election.pk).exists()


def test_it_exports_a_candidate_named_like_a_formula_as_text(client, election, working_group):
    from elections.models import Candidate

    Candidate.objects.filter(race__election=election, name="候选人1").update(name="=1+1")
    close_and_publish(election)
    client.force_login(working_group)
    response = client.get(reverse("manage:results_xlsx", args=[election.pk]))
    races = load_workbook(io.BytesIO(response.content)).worksheets[2]
    cells = [row[3] for row in races.iter_rows(min_row=2) if row[3].value == "=1+1"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_it_guards_the_xlsx_export(client, election, homes, outsider_staff, street_staff):  # noqa: F811
    """Anonymous: sign-in; an owner or another street's staff: 404; POST: 405; before the close:
    no spreadsheet at all."""
    url = reverse("manage:results_xlsx", args=[election.pk])
    client.force_login(street_staff)
    early = client.get(url)
    assert early["Content-Type"].startswith("text/html") and "候选人1" not in early.content.decode()
    close_and_publish(election)
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(homes["alone"])
    assert client.get(url).status_code == 404
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(street_staff)
    assert client.post(url).status_code == 405
    assert client.get(url).status_code == 200


def test_it_guards_the_results_page(client, election, homes, outsider_staff):  # noqa: F811
    """Anonymous: sign-in; another street's staff: 404; POST: 405."""
    url = reverse("elections:results", args=[election.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(homes["alone"])
    assert client.post(url).status_code == 405


def test_it_links_results_and_board_from_the_election_page_once_public(client, election, homes):  # noqa: F811
    """The election page links results and the board only after publication."""
    client.force_login(homes["alone"])
    url = reverse("elections:detail", args=[election.pk])
    assert reverse("elections:board", args=[election.pk]) not in client.get(url).content.decode()
    close_and_publish(election)
    page = client.get(url).content.decode()
    assert reverse("elections:results", args=[election.pk]) in page
    assert reverse("elections:board", args=[election.pk]) in page


@pytest.mark.parametrize(
    ("published", "until"),
    [
        ("2026-04-06", "2027-04-06"),  # one year to the day (民法典 第201条: the first day not counted)
        ("2025-10-01", "2026-10-08"),  # the anniversary falls in the National Day holiday: runs on (第203条)
    ],
)
def test_it_tells_owners_when_the_year_to_challenge_the_decision_ends(
    client,
    election,
    homes,  # noqa: F811
    published,
    until,
):
    """解释 第12条 / 民法典 第280条: the result page says an owner may ask a court to revoke the
    decision within one year, counted from the publication of the result, and gives the last day."""
    from datetime import date

    from elections.calendar import seed_holidays
    from yezhu.actors import OPERATOR

    seed_holidays(years=[2025, 2026], actor=OPERATOR)
    close_and_publish(election)
    election.result_published_on = date.fromisoformat(published)
    election.save(update_fields=["result_published_on"])
    client.force_login(homes["co_b"])
    page = client.get(reverse("elections:results", args=[election.pk])).content.decode()
    assert "一年内" in page and "人民法院" in page and "第280条" in page
    assert published in page and until in page
