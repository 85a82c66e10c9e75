"""``manage.py seed_holidays [YEAR ...]``: fill the holiday table from ``chinese-calendar``.

Without years it seeds every year from 2024 that the installed package knows. Safe to run again:
rows already in the table (possibly corrected by staff in the admin) are kept.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from elections.calendar import package_years, seed_holidays
from yezhu.actors import OPERATOR


class Command(BaseCommand):
    help = "Seed the statutory holiday table (法定节假日) from the chinese-calendar package."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "years", nargs="*", type=int, help="years to seed (default: every known year from 2024)"
        )

    def handle(self, *args: Any, years: list[int], **options: Any) -> None:
        wanted = years or package_years()
        report = seed_holidays(years=wanted, actor=OPERATOR)
        unknown = sorted(set(wanted) - set(package_years(min(wanted)))) if wanted else []
        self.stdout.write(
            f"holidays: {report.days_added} days added, {report.days_kept} kept; "
            f"years marked complete: {report.years_added or 'none'}"
        )
        if unknown:
            self.stdout.write(
                f"not in the chinese-calendar package (enter them in the admin when published): {unknown}"
            )
