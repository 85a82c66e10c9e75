"""Counting periods (期间的计算, 民法典 第201–203条) against a holiday calendar: pure Python, no Django.

See elections/rules/timeline.py for how the periods are counted; the timeline, the profiles and
the holiday table all use these functions.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

#: The prefix of the source of a value taken from the election's rules of procedure (业主大会议事规则).
RULES_OF_PROCEDURE = "议事规则"

#: One row of the holiday table: the date, whether it is a rest day (else an adjusted working day
#: 调休上班), and the name shown to staff.
SeedRow = tuple[date, bool, str]


class Text(str):
    """A sentence of the timeline in both of the site's languages.

    Its value is the Chinese sentence, exactly as the statute's readers (and every caller that
    treats it as a ``str``: the API, exports, error messages, tests) have always seen it;
    ``template`` is the same sentence in English with ``{named}`` parameters, for a page shown in
    English (``yezhu.formats.words``). A parameter may be a date, formatted by the page's one date
    format, or another :class:`Text`, rendered in English too. The Chinese is composed here rather
    than translated from the English through gettext: its word order (于…后第N日…公告，晚于期限…)
    is not a translation of fragments, and the law is read in Chinese.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, chinese: str, template: str = "", /, **params: object) -> Text:
        text = super().__new__(cls, chinese)
        text.template = template or chinese
        text.params = params
        return text

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (str(self), self.template)

    def english(self, day: Callable[[date], str]) -> str:
        """The sentence in English, each date written by ``day``."""
        return self.template.format_map({name: _english(value, day) for name, value in self.params.items()})


def _english(value: object, day: Callable[[date], str]) -> str:
    if isinstance(value, Text):
        return value.english(day)
    if isinstance(value, date):
        return day(value)
    return str(value)


def missing_schedule_warning(year: int) -> Text:
    """The flag shown on a deadline computed for a year whose holiday schedule is not entered."""
    return Text(
        f"{year} 年节假日安排未录入，请核对",
        "The holiday schedule of {year} is not entered: check this date",
        year=year,
    )


def _cn(d: date) -> str:
    """A date the way a notice on a compound's board writes it."""
    return f"{d.year}年{d.month}月{d.day}日"


# --------------------------------------------------------------------------------------------------
# Holiday calendars (法定节假日安排)
# --------------------------------------------------------------------------------------------------


@runtime_checkable
class HolidayCalendar(Protocol):
    """Where the statutory rest days (法定休假日) come from.

    ``is_rest_day`` answers ``None`` for a date whose year has no published schedule, rather than
    guessing, so that the caller can fall back to the plain calendar *and say so*.
    """

    @property
    def known_years(self) -> frozenset[int]:
        """The years whose schedule this calendar holds."""
        ...

    def is_rest_day(self, d: date) -> bool | None:
        """True for a rest day, False for a working day, None if the year is not known."""
        ...


class TableCalendar:
    """A calendar from explicit rows: what the Django side builds from its holiday table.

    ``rest_days`` are public holidays (including weekend days inside a holiday block and in-lieu
    days); ``work_days`` are adjusted working days (调休上班), usually a Saturday or Sunday. Any other
    day of a known year is a rest day exactly when it is a Saturday or Sunday. A year not in
    ``years`` is unknown even if some of its rows were entered: half a schedule is not a schedule,
    and the warning must stay until staff mark the year as complete.
    """

    def __init__(self, rest_days: Iterable[date], work_days: Iterable[date], years: Iterable[int]) -> None:
        self.rest_days: frozenset[date] = frozenset(rest_days)
        self.work_days: frozenset[date] = frozenset(work_days)
        self.years: frozenset[int] = frozenset(years)
        both = sorted(self.rest_days & self.work_days)
        if both:
            raise ValueError(f"{_cn(both[0])} 同时被录入为休息日和调休上班日")

    @classmethod
    def from_rows(cls, rows: Iterable[SeedRow], *, years: Iterable[int] | None = None) -> TableCalendar:
        """Build a calendar from ``(date, is_rest_day, name)`` rows, as :func:`seed_rows` returns.

        Without ``years``, every year that has at least one row counts as known: no year's schedule
        is empty, since New Year's Day alone is always a row.
        """
        rows = list(rows)
        return cls(
            rest_days=(d for d, rest, _ in rows if rest),
            work_days=(d for d, rest, _ in rows if not rest),
            years=years if years is not None else {d.year for d, _, _ in rows},
        )

    @property
    def known_years(self) -> frozenset[int]:
        return self.years

    def is_rest_day(self, d: date) -> bool | None:
        if d.year not in self.years:
            return None
        if d in self.work_days:
            return False
        if d in self.rest_days:
            return True
        return d.weekday() >= 5

    def __repr__(self) -> str:
        return f"TableCalendar(years={sorted(self.years)}, rest_days={len(self.rest_days)}, work_days={len(self.work_days)})"


class PackageCalendar:
    """The ``chinesecalendar`` package (imported as ``chinese_calendar``) behind the protocol.

    The package raises ``NotImplementedError`` for a year it has no data for; that becomes ``None``
    here. The Django side uses this only to seed its table (:func:`seed_rows`) and in tests: the
    table, not the package, is what staff can correct and extend without a release.
    """

    def __init__(self) -> None:
        import chinese_calendar  # Imported here so the module loads without the package.

        self._package = chinese_calendar
        published = {d.year for d in chinese_calendar.holidays}
        self._years = frozenset(range(min(published), max(published) + 1))

    @property
    def known_years(self) -> frozenset[int]:
        return self._years

    def is_rest_day(self, d: date) -> bool | None:
        try:
            rest, _name = self._package.get_holiday_detail(d)
        except NotImplementedError:
            return None
        return bool(rest)

    def __repr__(self) -> str:
        return f"PackageCalendar(years={min(self._years)}–{max(self._years)})"


def seed_rows(years: Iterable[int]) -> list[SeedRow]:
    """Every statutory holiday and adjusted working day of ``years`` from ``chinese_calendar``.

    Rows are ``(date, is_rest_day, name)`` sorted by date, named in Chinese (``国庆节``,
    ``国庆节调休上班``), ready to seed the holiday table. Years the package does not know yield no rows,
    so seeding a range that reaches into the future is safe; staff add those years when published.
    """
    import chinese_calendar

    wanted = set(years)
    rows: list[SeedRow] = []
    for d in sorted({*chinese_calendar.holidays, *chinese_calendar.workdays}):
        if d.year not in wanted:
            continue
        rest, name = chinese_calendar.get_holiday_detail(d)
        try:
            label = chinese_calendar.Holiday(name).chinese
        except ValueError:
            label = str(name)
        rows.append((d, bool(rest), label if rest else f"{label}调休上班"))
    return rows


def is_rest_day(d: date, calendar: HolidayCalendar) -> tuple[bool, Text | None]:
    """Whether ``d`` is a rest day, and the warning to show if that had to be guessed.

    A year without a schedule falls back to the plain calendar (Saturdays and Sundays rest).
    """
    answer = calendar.is_rest_day(d)
    if answer is None:
        return d.weekday() >= 5, missing_schedule_warning(d.year)
    return answer, None


# --------------------------------------------------------------------------------------------------
# Counting periods (期间的计算, 民法典 第201–203条)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """The last day of a forward period, and how it was reached."""

    due: date
    extended_from: date | None = None  # the nominal last day, if it was a rest day (顺延)
    warnings: tuple[Text, ...] = ()


def period_end(start: date, days: int, calendar: HolidayCalendar) -> Deadline:
    """The last day of "within ``days`` days of ``start``" (``start`` 之日起 ``days`` 日内).

    The starting day is not counted (第201条), so the nominal last day is ``start + days``; it ends
    at 24:00. If it is a statutory rest day, the period runs to the first working day after the
    rest days (第203条). Every year the count had to guess for adds its warning.
    """
    if days < 0:
        raise ValueError("期间日数不能为负数")
    nominal = start + timedelta(days=days)
    end = nominal
    warnings: list[Text] = []
    while True:
        rest, warning = is_rest_day(end, calendar)
        if warning is not None and warning not in warnings:
            warnings.append(warning)
        if not rest:
            break
        end += timedelta(days=1)
    return Deadline(due=end, extended_from=nominal if end != nominal else None, warnings=tuple(warnings))


def latest_before(target: date, days: int) -> date:
    """The latest date that is "at least ``days`` days before ``target``" (N full days between).

    Not moved for holidays: a backward requirement protects the people being notified, and moving
    it would shorten their notice.
    """
    if days < 0:
        raise ValueError("期间日数不能为负数")
    return target - timedelta(days=days + 1)


def full_days_between(earlier: date, later: date) -> int:
    """The number of whole days strictly between two dates (both ends excluded); −1 if equal."""
    return (later - earlier).days - 1


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months (negative to go back), clamped to the month's end.

    民法典 第202条: a period in months ends on the corresponding day, or on the last day of the
    month when there is none (2027-08-31 minus 6 months is 2027-02-28).
    """
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, _gregorian.monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    """``d`` moved by whole years; 29 February becomes 28 February in a common year (第202条)."""
    return add_months(d, 12 * years)
