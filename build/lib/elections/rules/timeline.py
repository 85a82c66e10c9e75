"""The statutory timeline of an owners' committee election (业主委员会选举时间线), RULES.md §5–§6.

Nothing here imports Django, and ``chinese_calendar`` is imported only inside
:class:`PackageCalendar`, so the module loads (and its tests run) without either. The Django side
builds a :class:`TableCalendar` from the holiday table that staff extend in the admin, picks a
:class:`Profile` for the street, applies the election's own rules of procedure with
:meth:`Profile.with_overrides`, and renders what :func:`compute_timeline` and :func:`violations`
return.

How periods are counted (期间的计算, 民法典 第201–203条):

* The starting day is not counted (开始的当日不计入): a period "within N days of X" (X 之日起 N 日内)
  ends at 24:00 on X + N days (:func:`period_end`).
* If that last day is a statutory rest day (法定休假日: a weekend day that is not an adjusted working
  day 调休上班, or a public holiday), the period ends on the first working day after the rest days
  (以法定休假日结束的次日为期间的最后一日). An adjusted working Saturday or Sunday is a working day.
* "At least N days before Y" (Y 前至少 N 日) means N full days strictly between the two dates, so the
  latest allowed date is Y − (N + 1) days (:func:`latest_before`). Such a deadline is never moved for
  a holiday: moving it later would shorten the time owners are given, which the rule exists to
  protect, and moving it earlier is not what 第203条 says.
* Periods in months or years end on the corresponding day of the last month, or on that month's
  last day when it has none (第202条; :func:`add_months`).

A year whose holiday schedule is not known (the State Council publishes each year's schedule late in
the year before) falls back to the plain calendar where only Saturdays and Sundays are rest days, and
every deadline computed from such a year carries the warning of :func:`missing_schedule_warning`.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

__all__ = [
    "PROFILES",
    "Deadline",
    "HolidayCalendar",
    "KeyDates",
    "Milestone",
    "MilestoneStatus",
    "PackageCalendar",
    "Profile",
    "ReelectionStatus",
    "Rule",
    "SeedRow",
    "TableCalendar",
    "Violation",
    "add_months",
    "add_years",
    "compute_timeline",
    "full_days_between",
    "get_profile",
    "is_rest_day",
    "latest_before",
    "missing_schedule_warning",
    "period_end",
    "reelection_alert",
    "seed_rows",
    "violations",
]

T = TypeVar("T")

#: The prefix of the source of a value taken from the election's rules of procedure (业主大会议事规则).
RULES_OF_PROCEDURE = "议事规则"

#: One row of the holiday table: the date, whether it is a rest day (else an adjusted working day
#: 调休上班), and the name shown to staff.
SeedRow = tuple[date, bool, str]


def missing_schedule_warning(year: int) -> str:
    """The flag shown on a deadline computed for a year whose holiday schedule is not entered."""
    return f"{year} 年节假日安排未录入，请核对"


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


def is_rest_day(d: date, calendar: HolidayCalendar) -> tuple[bool, str | None]:
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
    warnings: tuple[str, ...] = ()


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
    warnings: list[str] = []
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


# --------------------------------------------------------------------------------------------------
# Regional profiles (地方规定): values as data, each with its source
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule(Generic[T]):
    """One value of a profile and where it comes from (e.g. ``物业管理条例 第14条``).

    ``replaced`` is the profile's own rule when the election's rules of procedure override it, so
    the page can show both, and a reviewer can see when a rule of procedure is less protective than
    the regulation it replaces.
    """

    value: T
    source: str
    replaced: Rule[T] | None = None

    @property
    def overridden(self) -> bool:
        """Whether the value comes from the election's rules of procedure (议事规则)."""
        return self.replaced is not None


# Sources that RULES.md gives without an article number, or not at all, are named as such rather
# than given a made-up article.
_DEFAULT = "全国默认值"
_NATIONAL_NOTICE = "物业管理条例 第14条"


def _default_after(reference: str) -> str:
    return f"{_DEFAULT}（参照 {reference}）"


@dataclass(frozen=True)
class Profile:
    """A named set of timeline values chosen per street (全国、上海、北京、杭州、深圳 …).

    Day counts are periods in the sense of 民法典 第201–203条 (see the module docstring). A profile
    is immutable; :meth:`with_overrides` returns a new one carrying the election's own values.
    """

    key: str
    label: str
    #: 筹备组（换届小组）成员名单: published within N days of forming.
    working_group_publish_days: Rule[int]
    #: 首次业主大会会议: held within N days of the 筹备组 forming.
    first_assembly_days: Rule[int]
    #: 业主大会会议公告: at least N days before voting opens.
    notice_days: Rule[int]
    #: 临时业主大会会议公告: the same for a temporary meeting (杭州: 7).
    temporary_meeting_notice_days: Rule[int]
    #: 候选人公示: at least N days long …
    candidate_notice_min_days: Rule[int]
    #: … and ending at least N days before voting opens.
    candidate_notice_end_days_before_voting: Rule[int]
    #: 选举结果公告: within N days of the decision (计票结果产生).
    result_publish_days: Rule[int]
    #: 结果公示（询异期）: at least N days.
    objection_window_days: Rule[int]
    #: 业主委员会首次会议 (elects 主任、副主任): within N days of the election.
    first_meeting_days: Rule[int]
    #: 主任、副主任名单公告: within N days of the first meeting.
    officers_publish_days: Rule[int]
    #: 备案 with the district housing office and the street office: within N days of the election.
    filing_days: Rule[int]
    #: 换届选举: started N calendar months before the term ends.
    reelection_months_before: Rule[int]
    #: 任期: at least N years (None: no minimum) …
    term_years_min: Rule[int | None]
    #: … and at most N years.
    term_years_max: Rule[int]
    #: 移交资料和印章: within N days of the term's end.
    handover_days: Rule[int]
    #: 委员人数 (committee size): from … to …, odd.
    committee_size_min: Rule[int]
    committee_size_max: Rule[int]
    committee_size_odd: Rule[bool]
    #: The smaller committee a small compound may elect (None: not allowed) …
    small_compound_committee_size: Rule[int | None]
    #: … where the compound has at most this many households (户).
    small_compound_max_households: Rule[int | None]
    #: 投票期: at least N days, at most M days (start day not counted).
    voting_days_min: Rule[int]
    voting_days_max: Rule[int]
    #: 委托投票: principals one proxy may represent.
    proxy_principals_max: Rule[int]
    #: (name of the overridden value, reason) in the order they were overridden.
    overrides: tuple[tuple[str, str], ...] = ()

    _OPTIONAL = frozenset(
        {"term_years_min", "small_compound_committee_size", "small_compound_max_households"}
    )
    _BOOLEAN = frozenset({"committee_size_odd"})

    def __post_init__(self) -> None:
        for name in self.rule_names():
            value = getattr(self, name).value
            if name in self._BOOLEAN:
                if not isinstance(value, bool):
                    raise TypeError(f"{name} 应为 True 或 False")
            elif value is None and name in self._OPTIONAL:
                continue
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} 应为非负整数，而不是 {value!r}")
        for low, high in (
            ("voting_days_min", "voting_days_max"),
            ("committee_size_min", "committee_size_max"),
            ("term_years_min", "term_years_max"),
        ):
            low_value, high_value = getattr(self, low).value, getattr(self, high).value
            if low_value is not None and low_value > high_value:
                raise ValueError(f"{low}（{low_value}）大于 {high}（{high_value}）")

    @classmethod
    def rule_names(cls) -> tuple[str, ...]:
        """The names of the values a profile holds (and an election may override)."""
        return tuple(f.name for f in fields(cls) if f.name not in {"key", "label", "overrides"})

    def rule(self, name: str) -> Rule[int] | Rule[int | None] | Rule[bool]:
        """The rule called ``name``."""
        if name not in self.rule_names():
            raise KeyError(name)
        return getattr(self, name)

    @property
    def override_reasons(self) -> dict[str, str]:
        """Which values the rules of procedure changed, and why."""
        return dict(self.overrides)

    def with_overrides(self, *, reason: str, **values: int | bool | None) -> Profile:
        """This profile with some values taken from the election's rules of procedure (议事规则).

        Each overridden rule's source becomes ``议事规则: <reason>`` and keeps the rule it replaced,
        and the profile records the reason per value, so every deadline can say where it came from.
        An override is recorded even when it restates the profile's value: the rules of procedure are
        then the source the owners voted on.
        """
        reason = reason.strip()
        if not reason:
            raise ValueError("覆盖默认值必须写明依据（议事规则条款）")
        unknown = sorted(set(values) - set(self.rule_names()))
        if unknown:
            raise TypeError(f"未知的时间线参数: {', '.join(unknown)}")
        changes: dict[str, Rule[int] | Rule[int | None] | Rule[bool]] = {}
        for name, value in values.items():
            current = getattr(self, name)
            original = current.replaced if current.replaced is not None else current
            changes[name] = Rule(value=value, source=f"{RULES_OF_PROCEDURE}: {reason}", replaced=original)
        kept = tuple((name, why) for name, why in self.overrides if name not in values)
        # The fields replaced are named at run time, so no static type fits them all: Any.
        updated: dict[str, Any] = {**changes, "overrides": kept + tuple((name, reason) for name in values)}
        return replace(self, **updated)


NATIONAL = Profile(
    key="national",
    label="全国",
    working_group_publish_days=Rule(7, _DEFAULT),
    first_assembly_days=Rule(90, _DEFAULT),
    notice_days=Rule(15, _NATIONAL_NOTICE),
    temporary_meeting_notice_days=Rule(15, _NATIONAL_NOTICE),
    candidate_notice_min_days=Rule(7, _default_after("杭州 第26条")),
    candidate_notice_end_days_before_voting=Rule(15, _default_after("杭州 第26条")),
    result_publish_days=Rule(3, _DEFAULT),
    objection_window_days=Rule(7, _DEFAULT),
    first_meeting_days=Rule(7, "指导规则 第32条"),
    officers_publish_days=Rule(3, _default_after("北京 第42条")),
    filing_days=Rule(30, "物业管理条例 第16条"),
    reelection_months_before=Rule(3, _DEFAULT),
    term_years_min=Rule(None, _DEFAULT),
    term_years_max=Rule(5, _DEFAULT),
    handover_days=Rule(10, _DEFAULT),
    committee_size_min=Rule(5, "指导规则 第31条"),
    committee_size_max=Rule(11, "指导规则 第31条"),
    committee_size_odd=Rule(True, "指导规则 第31条"),
    small_compound_committee_size=Rule(None, "指导规则 第31条"),
    small_compound_max_households=Rule(None, "指导规则 第31条"),
    voting_days_min=Rule(5, _default_after("杭州 第20条")),
    voting_days_max=Rule(60, _default_after("杭州 第20条")),
    proxy_principals_max=Rule(3, "潍坊 2022 第32条；通行做法"),
)

# In the working-group row of RULES.md §6 ("within 7 days of forming | 上海 15, 北京 31") the
# regional numbers are read as article numbers, not day counts: 北京 31 cannot be a statutory period
# (periods run 3, 7, 15, 30, 60, 90 days), the rows "result published" and "committee size" list
# bare article numbers the same way, and rows that do change a count say "days" or "months".
SHANGHAI = replace(
    NATIONAL,
    key="shanghai",
    label="上海",
    working_group_publish_days=Rule(7, "上海 第15条"),
    result_publish_days=Rule(3, "上海 第26条"),
    reelection_months_before=Rule(5, "上海"),
    term_years_min=Rule(3, "上海"),
    term_years_max=Rule(5, "上海"),
    handover_days=Rule(10, "上海 第29–30条"),
    committee_size_min=Rule(5, "上海 第20条"),
    committee_size_max=Rule(11, "上海 第20条"),
    committee_size_odd=Rule(True, "上海 第20条"),
)

BEIJING = replace(
    NATIONAL,
    key="beijing",
    label="北京",
    working_group_publish_days=Rule(7, "北京 第31条"),
    first_assembly_days=Rule(60, "北京"),
    result_publish_days=Rule(3, "北京 第37条"),
    first_meeting_days=Rule(7, "北京 第42条"),
    officers_publish_days=Rule(3, "北京 第42条"),
    reelection_months_before=Rule(6, "北京"),
    committee_size_min=Rule(5, "北京 第39条"),
    committee_size_max=Rule(11, "北京 第39条"),
    committee_size_odd=Rule(True, "北京 第39条"),
)

HANGZHOU = replace(
    NATIONAL,
    key="hangzhou",
    label="杭州",
    temporary_meeting_notice_days=Rule(7, "杭州（临时业主大会会议）"),
    candidate_notice_min_days=Rule(7, "杭州 第26条"),
    candidate_notice_end_days_before_voting=Rule(15, "杭州 第26条"),
    result_publish_days=Rule(3, "杭州 第29条"),
    reelection_months_before=Rule(3, "杭州"),
    term_years_min=Rule(3, "杭州"),
    term_years_max=Rule(5, "杭州"),
    handover_days=Rule(10, "杭州 第34条"),
    committee_size_min=Rule(5, "杭州 第27条"),
    committee_size_max=Rule(11, "杭州 第27条"),
    committee_size_odd=Rule(True, "杭州 第27条"),
    # 杭州 lets a compound of at most 100 households elect three members (杭州市住房保障和房产管理局
    # 政策问答, 2019), the one region in RULES.md whose text is known to allow three.
    small_compound_committee_size=Rule(3, "杭州 第27条"),
    small_compound_max_households=Rule(100, "杭州 第27条"),
    voting_days_min=Rule(5, "杭州 第20条"),
    voting_days_max=Rule(60, "杭州 第20条"),
)

SHENZHEN = replace(
    NATIONAL,
    key="shenzhen",
    label="深圳",
    reelection_months_before=Rule(6, "深圳（街道实务）"),
)

#: Every profile by key, in the order a staff form lists them.
PROFILES: Mapping[str, Profile] = {p.key: p for p in (NATIONAL, SHANGHAI, BEIJING, HANGZHOU, SHENZHEN)}


def get_profile(key: str) -> Profile:
    """The profile called ``key`` (``national``, ``shanghai``, ``beijing``, ``hangzhou``, ``shenzhen``)."""
    try:
        return PROFILES[key]
    except KeyError:
        raise KeyError(f"未知的地区配置: {key}") from None


# --------------------------------------------------------------------------------------------------
# The timeline
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDates:
    """What has happened (or is planned) in one election and the term of the committee it elects.

    ``decided`` is the day the tally produced the result (计票结果产生), which is also the day the
    committee is elected (选举产生之日). ``term_start``/``term_end`` are the term of the committee
    this election elects; the re-election alert and the handover belong to the end of that term.
    """

    working_group_formed: date | None = None  # 筹备组/换届小组成立
    working_group_published: date | None = None  # 成员名单公告
    assembly_notice_published: date | None = None  # 业主大会会议公告
    candidate_notice_start: date | None = None  # 候选人公示开始（张贴之日）
    candidate_notice_end: date | None = None  # 候选人公示结束
    voting_opens: date | None = None  # 投票开始
    voting_closes: date | None = None  # 投票截止
    decided: date | None = None  # 计票结果产生
    result_published: date | None = None  # 选举结果公告
    objection_window_end: date | None = None  # 询异公示期满
    first_meeting: date | None = None  # 业主委员会首次会议
    officers_published: date | None = None  # 主任、副主任名单公告
    filed: date | None = None  # 备案
    term_start: date | None = None  # 任期开始
    term_end: date | None = None  # 任期届满
    handover_done: date | None = None  # 资料、印章移交完毕


class MilestoneStatus(StrEnum):
    """Where a milestone stands on a given day."""

    DONE = "done"  # 已完成
    DONE_LATE = "done_late"  # 逾期完成
    DUE = "due"  # 待办（未到期）
    OVERDUE = "overdue"  # 已逾期
    NOT_YET_KNOWN = "not_yet_known"  # 起算日未定
    PLANNED = "planned"  # 已安排: the date is set but still ahead (e.g. the close of voting)


@dataclass(frozen=True)
class Milestone:
    """One deadline of the timeline.

    ``due`` is the last allowed day (the period ends at 24:00 that day), ``None`` while the date it
    is counted from is unknown. ``source`` names the article, or ``议事规则: <reason>`` when the
    election's rules of procedure set the value (then ``overridden`` is true).
    """

    key: str
    title: str
    due: date | None
    done_on: date | None
    status: MilestoneStatus
    rule_text: str
    source: str
    warnings: tuple[str, ...] = ()
    overridden: bool = False
    extended_from: date | None = None  # the nominal last day, when it fell on a rest day (顺延)


@dataclass(frozen=True)
class Violation:
    """A requirement the recorded dates break, with a message a person can act on."""

    key: str
    message: str
    source: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Step:
    """A milestone before ``today`` is known: its deadline and what the late message says."""

    key: str
    title: str
    due: date | None
    done_on: date | None
    rule_text: str
    rules: tuple[Rule[int] | Rule[int | None] | Rule[bool], ...]
    anchor: date | None = None
    anchor_text: str = ""
    subject: str = ""  # what the late message says was done late, e.g. 选举结果
    verb: str = "完成"
    warnings: tuple[str, ...] = ()
    extended_from: date | None = None
    #: A window whose due day is the earliest it may end: "done early" is checked as a violation
    #: elsewhere, and "done late" does not exist.
    minimum_window: bool = False

    @property
    def source(self) -> str:
        return _join_sources(self.rules)

    @property
    def overridden(self) -> bool:
        return any(rule.overridden for rule in self.rules)


def _join_sources(rules: Sequence[Rule[int] | Rule[int | None] | Rule[bool]]) -> str:
    seen: list[str] = []
    for rule in rules:
        if rule.source not in seen:
            seen.append(rule.source)
    return "；".join(seen)


def _forward(
    key: str,
    title: str,
    *,
    anchor: date | None,
    rule: Rule[int],
    done_on: date | None,
    rule_text: str,
    anchor_text: str,
    subject: str,
    verb: str,
    calendar: HolidayCalendar,
) -> _Step:
    """A "within N days of the anchor" step, moved past rest days."""
    if anchor is None:
        return _Step(
            key, title, None, done_on, rule_text, (rule,), anchor_text=anchor_text, subject=subject, verb=verb
        )
    deadline = period_end(anchor, rule.value, calendar)
    return _Step(
        key,
        title,
        deadline.due,
        done_on,
        rule_text,
        (rule,),
        anchor=anchor,
        anchor_text=anchor_text,
        subject=subject,
        verb=verb,
        warnings=deadline.warnings,
        extended_from=deadline.extended_from,
    )


def _steps(
    kd: KeyDates,
    profile: Profile,
    calendar: HolidayCalendar,
    *,
    temporary_meeting: bool,
    first_assembly: bool,
) -> list[_Step]:
    p = profile
    steps: list[_Step] = []

    steps.append(
        _forward(
            "working_group_published",
            "筹备组（换届小组）成员名单公告",
            anchor=kd.working_group_formed,
            rule=p.working_group_publish_days,
            done_on=kd.working_group_published,
            rule_text=f"筹备组（换届小组）成立之日起{p.working_group_publish_days.value}日内公告成员名单",
            anchor_text="筹备组成立",
            subject="成员名单",
            verb="公告",
            calendar=calendar,
        )
    )
    if first_assembly:
        # The meeting is held (召开) when voting opens; the window may run past the 90th day.
        steps.append(
            _forward(
                "first_assembly",
                "召开首次业主大会会议",
                anchor=kd.working_group_formed,
                rule=p.first_assembly_days,
                done_on=kd.voting_opens,
                rule_text=f"筹备组成立之日起{p.first_assembly_days.value}日内召开首次业主大会会议，以投票开始日为召开日",
                anchor_text="筹备组成立",
                subject="首次业主大会会议",
                verb="召开",
                calendar=calendar,
            )
        )

    notice = p.temporary_meeting_notice_days if temporary_meeting else p.notice_days
    meeting = "临时业主大会会议" if temporary_meeting else "业主大会会议"
    steps.append(
        _Step(
            "assembly_notice",
            f"{meeting}公告",
            latest_before(kd.voting_opens, notice.value) if kd.voting_opens else None,
            kd.assembly_notice_published,
            f"至少在投票开始前{notice.value}日公告会议事项和候选人名单",
            (notice,),
            verb="公告",
        )
    )

    length, gap = p.candidate_notice_min_days, p.candidate_notice_end_days_before_voting
    latest_end = latest_before(kd.voting_opens, gap.value) if kd.voting_opens else None
    steps.append(
        _Step(
            "candidate_notice_start",
            "候选人公示开始",
            latest_end - timedelta(days=length.value) if latest_end else None,
            kd.candidate_notice_start,
            f"候选人公示不少于{length.value}日，且至少在投票开始前{gap.value}日结束",
            (length, gap),
            verb="开始",
        )
    )
    steps.append(
        _Step(
            "candidate_notice_end",
            "候选人公示结束",
            latest_end,
            kd.candidate_notice_end,
            f"候选人公示至少在投票开始前{gap.value}日结束",
            (gap,),
            verb="结束",
        )
    )

    low, high = p.voting_days_min, p.voting_days_max
    voting = _forward(
        "voting_closes",
        "投票截止",
        anchor=kd.voting_opens,
        rule=high,
        done_on=kd.voting_closes,
        rule_text=f"投票期不少于{low.value}日、不超过{high.value}日（自投票开始次日起算）",
        anchor_text="投票开始",
        subject="投票",
        verb="截止",
        calendar=calendar,
    )
    steps.append(replace(voting, rules=(low, high)))

    steps.append(
        _forward(
            "result_published",
            "选举结果公告",
            anchor=kd.decided,
            rule=p.result_publish_days,
            done_on=kd.result_published,
            rule_text=f"计票结果产生之日起{p.result_publish_days.value}日内公告",
            anchor_text="计票结果产生",
            subject="选举结果",
            verb="公告",
            calendar=calendar,
        )
    )
    objection = _forward(
        "objection_window_end",
        "询异公示期满",
        anchor=kd.result_published,
        rule=p.objection_window_days,
        done_on=kd.objection_window_end,
        rule_text=f"选举结果公示（询异期）不少于{p.objection_window_days.value}日",
        anchor_text="结果公告",
        subject="询异公示",
        verb="结束",
        calendar=calendar,
    )
    steps.append(replace(objection, minimum_window=True))
    steps.append(
        _forward(
            "first_meeting",
            "业主委员会首次会议",
            anchor=kd.decided,
            rule=p.first_meeting_days,
            done_on=kd.first_meeting,
            rule_text=f"选举产生之日起{p.first_meeting_days.value}日内召开首次会议，选举主任、副主任",
            anchor_text="选举产生",
            subject="业主委员会首次会议",
            verb="召开",
            calendar=calendar,
        )
    )
    steps.append(
        _forward(
            "officers_published",
            "主任、副主任名单公告",
            anchor=kd.first_meeting,
            rule=p.officers_publish_days,
            done_on=kd.officers_published,
            rule_text=f"首次会议之日起{p.officers_publish_days.value}日内公告主任、副主任名单",
            anchor_text="首次会议",
            subject="主任、副主任名单",
            verb="公告",
            calendar=calendar,
        )
    )
    steps.append(
        _forward(
            "filed",
            "备案",
            anchor=kd.decided,
            rule=p.filing_days,
            done_on=kd.filed,
            rule_text=f"选举产生之日起{p.filing_days.value}日内向区房管部门和街道办事处备案",
            anchor_text="选举产生",
            subject="备案",
            verb="办理",
            calendar=calendar,
        )
    )
    months = p.reelection_months_before
    steps.append(
        _Step(
            "reelection_start",
            "启动换届选举",
            add_months(kd.term_end, -months.value) if kd.term_end else None,
            None,
            f"任期届满前{months.value}个月启动换届选举",
            (months,),
            verb="启动",
        )
    )
    steps.append(
        _forward(
            "handover",
            "移交资料和印章",
            anchor=kd.term_end,
            rule=p.handover_days,
            done_on=kd.handover_done,
            rule_text=f"任期届满之日起{p.handover_days.value}日内移交档案资料、印章和财物",
            anchor_text="任期届满",
            subject="资料和印章",
            verb="移交",
            calendar=calendar,
        )
    )
    return steps


def _status(step: _Step, today: date, term_end: date | None) -> MilestoneStatus:
    if step.key == "reelection_start":
        # No date of this election says when the next one started, so this milestone follows the
        # re-election alert: it is due until the term ends and overdue (应换未换) after.
        if step.due is None or term_end is None:
            return MilestoneStatus.NOT_YET_KNOWN
        return MilestoneStatus.OVERDUE if today > term_end else MilestoneStatus.DUE
    if step.done_on is not None and step.done_on > today:
        # A date entered ahead of time has not happened yet; whether it keeps the deadline is a
        # matter for `violations`, not a reason to show the step as done.
        return MilestoneStatus.PLANNED
    if step.done_on is not None:
        if step.due is None or step.minimum_window or step.done_on <= step.due:
            return MilestoneStatus.DONE
        return MilestoneStatus.DONE_LATE
    if step.due is None:
        return MilestoneStatus.NOT_YET_KNOWN
    return MilestoneStatus.DUE if today <= step.due else MilestoneStatus.OVERDUE


def compute_timeline(
    key_dates: KeyDates,
    profile: Profile,
    calendar: HolidayCalendar,
    today: date,
    *,
    temporary_meeting: bool = False,
    first_assembly: bool = True,
) -> list[Milestone]:
    """Every milestone of the election in process order, with its deadline and status on ``today``.

    ``temporary_meeting`` uses the notice period of a temporary meeting (临时业主大会会议, 杭州: 7
    days). ``first_assembly`` is false for a re-election (换届选举), which has no 90-day limit on the
    first assembly. A deadline ends at 24:00, so on the due day a milestone is still ``due``.

    The objection window (询异公示期满) is a minimum: its due day is the earliest it may end, it is
    ``done`` once an end is recorded (a short window is a :func:`violations` entry), and
    ``overdue`` once the minimum has run with no end recorded. The re-election milestone
    (启动换届选举) is ``due`` until the term ends and ``overdue`` after, as :func:`reelection_alert`.
    """
    return [
        Milestone(
            key=step.key,
            title=step.title,
            due=step.due,
            done_on=step.done_on,
            status=_status(step, today, key_dates.term_end),
            rule_text=step.rule_text,
            source=step.source,
            warnings=step.warnings,
            overridden=step.overridden,
            extended_from=step.extended_from,
        )
        for step in _steps(
            key_dates, profile, calendar, temporary_meeting=temporary_meeting, first_assembly=first_assembly
        )
    ]


def _late(step: _Step) -> Violation | None:
    if step.done_on is None or step.due is None or step.minimum_window or step.done_on <= step.due:
        return None
    if step.anchor is not None:
        when = (
            f"于{step.anchor_text}后第{(step.done_on - step.anchor).days}日（{_cn(step.done_on)}）{step.verb}"
        )
    else:
        when = f"于{_cn(step.done_on)}{step.verb}"
    extended = "，末日遇法定休假日已顺延" if step.extended_from is not None else ""
    return Violation(
        key=f"{step.key}_late",
        message=f"{step.subject or step.title}{when}，晚于期限{_cn(step.due)}（{step.rule_text}{extended}）",
        source=step.source,
        warnings=step.warnings,
    )


def violations(
    key_dates: KeyDates,
    profile: Profile,
    calendar: HolidayCalendar,
    *,
    temporary_meeting: bool = False,
    first_assembly: bool = True,
) -> list[Violation]:
    """The requirements the recorded dates break, each with a message naming the numbers.

    Checks every milestone done after its deadline (notice too late, result published late, first
    meeting late, filing late, first assembly too late, …), a candidate notice too short or ending
    too late, a voting window outside the allowed range, an objection window too short, and a term
    outside the allowed length. Dates not yet recorded break nothing.
    """
    kd, p = key_dates, profile
    steps = {
        step.key: step
        for step in _steps(
            kd, p, calendar, temporary_meeting=temporary_meeting, first_assembly=first_assembly
        )
    }
    found: list[Violation] = []

    if kd.assembly_notice_published and kd.voting_opens:
        notice = p.temporary_meeting_notice_days if temporary_meeting else p.notice_days
        gap = full_days_between(kd.assembly_notice_published, kd.voting_opens)
        if gap < 0:
            found.append(
                Violation(
                    "assembly_notice_late",
                    f"公告于{_cn(kd.assembly_notice_published)}发出，不在投票开始（{_cn(kd.voting_opens)}）之前",
                    notice.source,
                )
            )
        elif gap < notice.value:
            found.append(
                Violation(
                    "assembly_notice_late",
                    f"公告于投票开始前{gap}日发出，少于规定的{notice.value}日",
                    notice.source,
                )
            )

    length, gap_rule = p.candidate_notice_min_days, p.candidate_notice_end_days_before_voting
    if kd.candidate_notice_start and kd.candidate_notice_end:
        days = (kd.candidate_notice_end - kd.candidate_notice_start).days
        if days < length.value:
            found.append(
                Violation(
                    "candidate_notice_too_short",
                    f"候选人公示{days}日，少于规定的{length.value}日",
                    length.source,
                )
            )
    if kd.candidate_notice_end and kd.voting_opens:
        gap = full_days_between(kd.candidate_notice_end, kd.voting_opens)
        if gap < 0:
            message = (
                f"候选人公示于{_cn(kd.candidate_notice_end)}结束，不在投票开始（{_cn(kd.voting_opens)}）之前"
            )
        else:
            message = f"候选人公示于投票开始前{gap}日结束，少于规定的{gap_rule.value}日"
        if gap < gap_rule.value:
            found.append(Violation("candidate_notice_ends_late", message, gap_rule.source))

    if kd.voting_opens and kd.voting_closes:
        low, high = p.voting_days_min, p.voting_days_max
        days = (kd.voting_closes - kd.voting_opens).days
        closes = steps["voting_closes"]
        if days < low.value:
            found.append(
                Violation("voting_window_too_short", f"投票期{days}日，少于规定的{low.value}日", low.source)
            )
        elif closes.due is not None and kd.voting_closes > closes.due:
            found.append(
                Violation(
                    "voting_window_too_long",
                    f"投票期{days}日，超过规定的{high.value}日",
                    high.source,
                    closes.warnings,
                )
            )

    objection = steps["objection_window_end"]
    if (
        kd.result_published
        and kd.objection_window_end
        and objection.due is not None
        and kd.objection_window_end < objection.due
    ):
        days = (kd.objection_window_end - kd.result_published).days
        rule = p.objection_window_days
        found.append(
            Violation(
                "objection_window_too_short",
                f"询异公示期{days}日（至{_cn(kd.objection_window_end)}），少于规定的{rule.value}日"
                f"（最早于{_cn(objection.due)}期满）",
                rule.source,
                objection.warnings,
            )
        )

    for key in (
        "working_group_published",
        "first_assembly",
        "result_published",
        "first_meeting",
        "officers_published",
        "filed",
        "handover",
    ):
        step = steps.get(key)
        late = _late(step) if step is not None else None
        if late is not None:
            found.append(late)

    found.extend(_term_violations(kd, p))
    return found


def _term_violations(kd: KeyDates, p: Profile) -> list[Violation]:
    """A term longer than the maximum or shorter than the minimum (任期).

    Whether the term's first day is the election day or the day after varies between compounds, so
    both limits are read in the owners' favour of that doubt: the maximum ends on the corresponding
    day counted from ``term_start`` (第202条), and the minimum may end the day before.
    """
    if kd.term_start is None or kd.term_end is None:
        return []
    found: list[Violation] = []
    longest, shortest = p.term_years_max, p.term_years_min
    if kd.term_end > add_years(kd.term_start, longest.value):
        found.append(
            Violation(
                "term_too_long",
                f"任期自{_cn(kd.term_start)}至{_cn(kd.term_end)}，超过规定的{longest.value}年",
                longest.source,
            )
        )
    if shortest.value is not None and kd.term_end < add_years(kd.term_start, shortest.value) - timedelta(
        days=1
    ):
        found.append(
            Violation(
                "term_too_short",
                f"任期自{_cn(kd.term_start)}至{_cn(kd.term_end)}，不足规定的{shortest.value}年",
                shortest.source,
            )
        )
    return found


# --------------------------------------------------------------------------------------------------
# Re-election alert (换届提醒)
# --------------------------------------------------------------------------------------------------


class ReelectionStatus(StrEnum):
    """Where a sitting committee stands with respect to its re-election."""

    IN_OFFICE = "in_office"  # 任期内
    ALERT = "alert"  # 应启动换届
    OVERDUE = "overdue"  # 应换未换: the street office orders the election (北京 52–58, 杭州 38–41)


def reelection_alert(term_end: date, profile: Profile, today: date) -> tuple[ReelectionStatus, date]:
    """The re-election status on ``today`` and the day by which the re-election should start.

    ``start_by`` is ``term_end`` minus the profile's months, in calendar months clamped to the
    month's end (第202条); as a backward requirement it is not moved for holidays. From ``start_by``
    through the term's last day the status is ``alert`` (the term ends at 24:00 on ``term_end``),
    and from the next day ``overdue``.
    """
    start_by = add_months(term_end, -profile.reelection_months_before.value)
    if today > term_end:
        return ReelectionStatus.OVERDUE, start_by
    if today >= start_by:
        return ReelectionStatus.ALERT, start_by
    return ReelectionStatus.IN_OFFICE, start_by
