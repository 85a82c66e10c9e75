"""Review fixes of the street board: "due to start" counts the calendar year, the committee register
is linked from the board and guards its terms, and the XLSX exports write numbers and follow the
board's filters."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from elections import board
from elections import lifecycle as lc
from elections.errors import ElectionError
from elections.models import Committee, Election, Stage
from grids.models import RoleAssignment
from tests.elections.test_street_board import (
    make_committee,
    make_election,
    make_voting,
    row_for,
    rows_of,
)
from tests.factories import CompoundFactory, UserFactory, grant
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# "Due to start" follows the calendar year (national profile: start by = term end − 3 months)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "term_end", "due"),
    [
        # On 1 January a term that ends in October (start by 31 July) is already due this year.
        (date(2026, 1, 1), date(2026, 10, 31), True),
        # A term ending early next year whose re-election must start this December.
        (date(2026, 1, 1), date(2027, 3, 31), True),  # start by 2026-12-31
        (date(2026, 12, 31), date(2027, 3, 31), True),
        (date(2026, 1, 1), date(2027, 2, 15), True),  # start by 2026-11-15
        # Start by 1 January next year: next year's figure, on either end of this year.
        (date(2026, 1, 1), date(2027, 4, 1), False),
        (date(2026, 12, 31), date(2027, 4, 1), False),
        # Start by last year (28 Nov 2025): late, shown as alert, not as due this year.
        (date(2026, 1, 1), date(2026, 2, 28), False),
    ],
)
def test_it_counts_a_reelection_due_to_start_by_its_calendar_year(street, compound, today, term_end, due):
    """A compound is due to start this year when its start-by day falls between 1 Jan and 31 Dec."""
    make_committee(compound, term_end=term_end)
    row = row_for(street, compound, today)
    assert row.due_this_year is due
    assert board.figures([row]).due_to_start == int(due)


def test_it_keeps_the_alert_window_figure_apart_from_the_years_figure(street, compound):
    """In January a term ending in October is due this year but not yet in its alert window."""
    make_committee(compound, term_end=date(2026, 10, 31))
    late = CompoundFactory(community=compound.community, code="LATE")
    make_committee(late, term_end=date(2026, 2, 28))  # start by 2025-11-28: alert now
    fig = board.figures(rows_of(street, date(2026, 1, 1)))
    assert (fig.due_to_start, fig.alert) == (1, 1)
    assert dict(fig.as_counts())["alert"] == 1 and "late" in dict(fig.as_counts())


def test_it_leaves_out_a_term_whose_reelection_is_under_way_or_done(street, compound):
    """An election for the term under way or done takes it out; a matters-only vote does not."""
    today = date(2026, 1, 1)
    make_committee(compound, term_end=date(2026, 10, 31))
    matters = make_election(compound, stage=Stage.VOTING, kind=Election.Kind.MATTERS_ONLY)
    assert row_for(street, compound, today).due_this_year
    matters.stage = Stage.DONE
    matters.save()
    make_election(compound, stage=Stage.NOMINATION)
    assert not row_for(street, compound, today).due_this_year
    Election.objects.filter(compound=compound).update(stage=Stage.FAILED)
    assert row_for(street, compound, today).due_this_year  # a failed attempt leaves it due
    make_election(compound, stage=Stage.DONE, decided_on=date(2025, 12, 20), filed_on=date(2025, 12, 28))
    assert not row_for(street, compound, today).due_this_year


def test_it_does_not_count_the_committees_own_election_as_its_reelection(street, compound):
    """The election that elected the committee in office is not a re-election of its term."""
    own = make_election(compound, stage=Stage.DONE, decided_on=date(2021, 9, 1), filed_on=date(2021, 9, 20))
    make_committee(compound, term_start=date(2021, 9, 1), term_end=date(2026, 8, 31), election=own)
    assert row_for(street, compound, date(2026, 3, 1)).due_this_year


# ---------------------------------------------------------------------------------------------
# The committee register: linked from the board, one committee in office, at most five years
# ---------------------------------------------------------------------------------------------


def test_it_links_each_board_row_and_the_compound_page_to_the_committee_register(
    client, street_staff, compound
):
    """Street staff reach /manage/c/<id>/committees/ from the board and from the compound page."""
    client.force_login(street_staff)
    url = reverse("manage:committees", args=[compound.pk])
    assert f'href="{url}"' in client.get(reverse("street:board")).content.decode()
    assert f'href="{url}"' in client.get(reverse("street:compound", args=[compound.pk])).content.decode()
    assert client.get(url).status_code == 200


def test_it_shows_no_register_link_to_an_auditor(client, street, compound):
    """An auditor reads the board but cannot open the register, so no link is shown."""
    auditor = UserFactory()
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    client.force_login(auditor)
    url = reverse("manage:committees", args=[compound.pk])
    assert url not in client.get(reverse("street:board")).content.decode()
    assert url not in client.get(reverse("street:compound", args=[compound.pk])).content.decode()


def test_it_refuses_a_second_committee_in_office(client, street_staff, compound):
    """Registering by hand while one is in office fails with a message and changes nothing."""
    first = lc.committee_register(
        compound=compound, term_start=date(2023, 5, 1), term_end=date(2028, 5, 1), actor=OPERATOR
    )
    with pytest.raises(ElectionError, match="已有在任的业主委员会"):
        lc.committee_register(
            compound=compound, term_start=date(2024, 1, 1), term_end=date(2029, 1, 1), actor=OPERATOR
        )
    client.force_login(street_staff)
    response = client.post(
        reverse("manage:committee_new", args=[compound.pk]),
        {"term_start": "2024-01-01", "term_end": "2029-01-01"},
    )
    assert response.status_code == 200 and "填写离任日期" in response.content.decode()
    assert list(Committee.objects.filter(compound=compound)) == [first]
    assert AuditEntry.objects.filter(action="committee.registered").count() == 1


def test_it_registers_the_next_committee_once_the_first_has_left_office(compound):
    """Recording the day the first left office lets the next one be registered."""
    first = lc.committee_register(
        compound=compound, term_start=date(2018, 5, 1), term_end=date(2023, 5, 1), actor=OPERATOR
    )
    lc.committee_update(committee=first, ended_on=date(2023, 5, 1), actor=OPERATOR)
    second = lc.committee_register(
        compound=compound, term_start=date(2023, 5, 2), term_end=date(2028, 5, 1), actor=OPERATOR
    )
    assert second.in_office
    # Putting the first back in office would make two.
    with pytest.raises(ElectionError):
        lc.committee_update(committee=first, ended_on=None, actor=OPERATOR)
    first.refresh_from_db()
    assert first.ended_on == date(2023, 5, 1)


def test_it_refuses_a_term_over_five_years_and_accepts_exactly_five(compound):
    """Five years to the day is the longest term; a day more is refused and nothing is saved."""
    with pytest.raises(ElectionError, match="任期最长 5 年"):
        lc.committee_register(
            compound=compound, term_start=date(2021, 3, 1), term_end=date(2026, 3, 2), actor=OPERATOR
        )
    assert not Committee.objects.exists()
    committee = lc.committee_register(
        compound=compound, term_start=date(2021, 3, 1), term_end=date(2026, 3, 1), actor=OPERATOR
    )
    with pytest.raises(ElectionError):
        lc.committee_update(committee=committee, term_end=date(2027, 3, 1), actor=OPERATOR)
    committee.refresh_from_db()
    assert committee.term_end == date(2026, 3, 1)


def test_it_guards_the_admin_through_the_models_clean(compound):
    """The admin's full_clean refuses a second committee in office; an elected, unfiled one may sit
    beside the committee it replaces until its filing."""
    make_committee(compound, term_end=date(2028, 1, 1))
    with pytest.raises(ValidationError):
        Committee(compound=compound, term_start=date(2024, 1, 1), term_end=date(2029, 1, 1)).full_clean()
    with pytest.raises(ValidationError):
        Committee(
            compound=compound,
            term_start=date(2020, 1, 1),
            term_end=date(2030, 1, 1),
            ended_on=date(2020, 5, 1),
        ).full_clean()
    election = make_election(compound, stage=Stage.RESULT_NOTICE)
    elected = Committee(
        compound=compound, election=election, term_start=date(2027, 12, 1), term_end=date(2032, 12, 1)
    )
    elected.full_clean()  # no error


def test_it_tells_the_importer_to_use_the_register_not_the_admin(street_staff, compound):
    """The refusal names the register page where the clerk records leaving office."""
    from tests.elections.test_committee_import import GOOD, errors_of

    make_committee(compound, term_end=date(2027, 1, 1))
    [error] = errors_of(street_staff, GOOD)
    assert "管理后台" not in error and "业委会名册" in error and "离任日期" in error


# ---------------------------------------------------------------------------------------------
# Exports: numbers with a percent format, late and alert counts, the board's filters
# ---------------------------------------------------------------------------------------------


def sheet_of(response):
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def column(sheet, title: str) -> int:
    return [c.value for c in sheet[1]].index(title) + 1


def test_it_writes_turnout_in_the_board_export_as_numbers(client, street_staff, compound):
    """Turnout is a ratio with a percent format, next to the count of owners who voted."""
    make_voting(compound, voters=4, cast=3)
    client.force_login(street_staff)
    sheet = sheet_of(client.get(reverse("street:export_board")))
    heads = sheet.cell(2, column(sheet, "参与率（人数）"))
    assert heads.value == pytest.approx(0.75) and "%" in heads.number_format
    assert sheet.cell(2, column(sheet, "已投票人数")).value == 3
    assert sheet.cell(2, column(sheet, "名册业主人数")).value == 4


def test_it_writes_the_figures_as_numbers_with_late_and_alert_counts(client, street_staff, compound):
    """Counts are integers, each coverage a count and a ratio with a percent format."""
    today = timezone.localdate()
    make_committee(compound, term_end=today + timedelta(days=10))  # in the alert window
    client.force_login(street_staff)
    sheet = sheet_of(client.get(reverse("street:export_figures")))
    assert sheet.cell(2, column(sheet, "当前处于换届提醒期")).value == 1
    assert sheet.cell(2, column(sheet, "有逾期事项的在办选举")).value == 0
    assert sheet.cell(2, column(sheet, "有业委会的小区数")).value == 1
    rate = sheet.cell(2, column(sheet, "业委会覆盖率"))
    assert rate.value == 1 and "%" in rate.number_format
    branch = sheet.cell(2, column(sheet, "党组织覆盖率"))
    assert branch.value == 0 and "%" in branch.number_format


def test_it_exports_only_the_rows_the_boards_filters_keep(client, street_staff, compound):
    """The export links carry the query string, and both exports apply it."""
    other = CompoundFactory(community=compound.community, code="DQXQ", name="东桥新区")
    make_committee(other, term_end=timezone.localdate() - timedelta(days=1))
    client.force_login(street_staff)
    page = client.get(reverse("street:board"), {"status": "overdue"}).content.decode()
    assert "export/board.xlsx?street=" in page and "status=overdue" in page
    sheet = sheet_of(client.get(reverse("street:export_board"), {"status": "overdue"}))
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["DQXQ"]
    sheet = sheet_of(client.get(reverse("street:export_board"), {"q": "西园"}))
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["XYLW"]
    sheet = sheet_of(client.get(reverse("street:export_figures"), {"q": "dqxq"}))
    assert sheet.cell(2, 2).value == 1  # one compound counted
    assert AuditEntry.objects.filter(action="street.export_figures").last().data["filters"] == {"q": "dqxq"}
    everything = sheet_of(client.get(reverse("street:export_figures")))
    assert everything.cell(2, 2).value == 2
