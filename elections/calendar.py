"""The statutory holiday calendar kept in the database (法定节假日与调休安排).

`elections/rules/timeline.py` counts periods against any :class:`~elections.rules.timeline.HolidayCalendar`.
In the running site that calendar is the holiday table, not the ``chinese-calendar`` package: the
table is seeded from the package (``manage.py seed_holidays``) and staff add each new year in the
admin once the State Council publishes it, without waiting for a release. A year counts as known
only when it has a :class:`~elections.models.HolidayYear` row, so half-entered years keep their
warning ("2027 年节假日安排未录入，请核对").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from elections.models import HolidayDay, HolidayYear
from elections.rules import timeline
from yezhu.actors import Actor
from yezhu.audit.log import record

#: The first year the seeding command fills by default.
FIRST_SEEDED_YEAR = 2024


def db_calendar() -> timeline.TableCalendar:
    """The holiday calendar from the table: one query for the days and one for the complete years."""
    rest: list = []
    work: list = []
    for day, is_rest in HolidayDay.objects.values_list("date", "is_rest_day"):
        (rest if is_rest else work).append(day)
    years = HolidayYear.objects.values_list("year", flat=True)
    return timeline.TableCalendar(rest_days=rest, work_days=work, years=list(years))


def package_years(start: int = FIRST_SEEDED_YEAR) -> list[int]:
    """The years from ``start`` whose schedule the installed ``chinese-calendar`` package knows."""
    return sorted(y for y in timeline.PackageCalendar().known_years if y >= start)


@dataclass(frozen=True)
class SeedReport:
    days_added: int
    days_kept: int
    years_added: list[int]


def seed_holidays(*, years: Iterable[int], actor: Actor) -> SeedReport:
    """Fill the holiday table for ``years`` from the package; safe to run again.

    Rows already in the table are kept as they are (staff may have corrected one), missing rows
    are added, and every year the package has rows for is marked complete. Years the package does
    not know add nothing and stay unknown.
    """
    wanted = sorted(set(years))
    rows = timeline.seed_rows(wanted)
    with transaction.atomic():
        existing = set(HolidayDay.objects.filter(date__year__in=wanted).values_list("date", flat=True))
        new = [
            HolidayDay(date=day, is_rest_day=rest, name=name[:30])
            for day, rest, name in rows
            if day not in existing
        ]
        HolidayDay.objects.bulk_create(new)
        seeded_years = sorted({day.year for day, _, _ in rows})
        known = set(HolidayYear.objects.filter(year__in=seeded_years).values_list("year", flat=True))
        added_years = [y for y in seeded_years if y not in known]
        HolidayYear.objects.bulk_create(
            [HolidayYear(year=y, source="chinese-calendar (国务院办公厅节假日安排通知)") for y in added_years]
        )
        if new or added_years:
            record(
                "holidays.seeded",
                actor=actor,
                summary=f"holiday table seeded: {len(new)} days, years {added_years}",
                data={"days_added": len(new), "years_added": added_years, "requested": wanted},
            )
    return SeedReport(days_added=len(new), days_kept=len(rows) - len(new), years_added=added_years)
