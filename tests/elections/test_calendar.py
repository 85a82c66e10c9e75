"""The holiday table (elections/calendar.py) and `manage.py seed_holidays`."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from elections import lifecycle as lc
from elections.calendar import db_calendar, seed_holidays
from elections.models import HolidayDay, HolidayYear
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_calendar(db):
    """These tests seed the holiday table themselves; start from an empty one (a migration fills it
    for a fresh installation)."""
    from elections.models import HolidayDay, HolidayYear

    HolidayDay.objects.all().delete()
    HolidayYear.objects.all().delete()


WARNING_2027 = "2027 年节假日安排未录入，请核对"


def test_it_seeds_a_year_from_the_package_and_marks_it_complete():
    """2026 National Day is a rest day, the adjusted Saturday 10-10 a working day."""
    report = seed_holidays(years=[2026], actor=OPERATOR)
    assert report.days_added > 20 and report.years_added == [2026]
    assert HolidayDay.objects.get(date=date(2026, 10, 1)).is_rest_day is True
    assert HolidayDay.objects.get(date=date(2026, 10, 10)).is_rest_day is False
    calendar = db_calendar()
    assert calendar.is_rest_day(date(2026, 10, 5)) is True
    assert calendar.is_rest_day(date(2026, 10, 10)) is False
    assert calendar.is_rest_day(date(2026, 10, 17)) is True  # an ordinary Saturday


def test_it_seeds_again_without_duplicates_and_keeps_staff_corrections():
    seed_holidays(years=[2026], actor=OPERATOR)
    HolidayDay.objects.filter(date=date(2026, 10, 7)).update(name="员工更正")
    again = seed_holidays(years=[2026], actor=OPERATOR)
    assert again.days_added == 0 and again.years_added == []
    assert HolidayDay.objects.get(date=date(2026, 10, 7)).name == "员工更正"
    assert HolidayYear.objects.filter(year=2026).count() == 1


def test_it_builds_the_calendar_in_two_queries(django_assert_num_queries):
    seed_holidays(years=[2025, 2026], actor=OPERATOR)
    with django_assert_num_queries(2):
        calendar = db_calendar()
    assert calendar.known_years == frozenset({2025, 2026})


def test_it_treats_a_year_without_a_complete_mark_as_unknown():
    """Rows alone do not make a year known: half a schedule is not a schedule."""
    HolidayDay.objects.create(date=date(2027, 1, 1), is_rest_day=True, name="元旦")
    assert db_calendar().is_rest_day(date(2027, 1, 1)) is None
    HolidayYear.objects.create(year=2027)
    assert db_calendar().is_rest_day(date(2027, 1, 1)) is True


def test_it_seeds_every_known_year_from_2024_by_default():
    out = StringIO()
    call_command("seed_holidays", stdout=out)
    years = set(HolidayYear.objects.values_list("year", flat=True))
    assert {2024, 2025, 2026} <= years and min(years) == 2024
    assert "days added" in out.getvalue()


def test_it_says_which_years_the_package_does_not_know():
    out = StringIO()
    call_command("seed_holidays", "2026", "2027", stdout=out)
    assert set(HolidayYear.objects.values_list("year", flat=True)) == {2026}
    assert "2027" in out.getvalue()


def test_it_flags_a_2027_deadline_until_staff_enter_2027(client, compound, street_staff):
    """The timeline page warns about 2027 until the year is entered in full, then the warning goes."""
    seed_holidays(years=[2026], actor=OPERATOR)
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(
        election=election, on=date(2026, 12, 28), actor=OPERATOR
    )  # published within 7 days: 2027
    client.force_login(street_staff)
    url = reverse("manage:timeline", args=[election.pk])
    assert WARNING_2027 in client.get(url).content.decode()
    HolidayDay.objects.bulk_create(
        [
            HolidayDay(date=date(2027, 1, 1), is_rest_day=True, name="元旦"),
            HolidayDay(date=date(2027, 1, 2), is_rest_day=True, name="元旦"),
            HolidayDay(date=date(2027, 1, 3), is_rest_day=True, name="元旦"),
        ]
    )
    assert WARNING_2027 in client.get(url).content.decode()  # rows alone are not enough
    HolidayYear.objects.create(year=2027, source="国务院办公厅通知")
    html = client.get(url).content.decode()
    assert WARNING_2027 not in html
    assert "2027-01-04" in html  # 1-04 is the 7th day, a Monday
