"""The statutory timeline (elections/rules/timeline.py): period counting, holidays, profiles, alerts.

The 2026 holiday facts used below come from ``chinese_calendar`` 1.11 (the State Council schedule):
National Day is 1–7 October (Thursday to Wednesday), 8 October is a working day and Saturday
10 October is an adjusted working day (调休上班); New Year's Day is 1–3 January and Sunday 4 January
is an adjusted working day. 2027 is not in the package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import FrozenInstanceError, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from elections.rules import timeline
from elections.rules.timeline import (
    PROFILES,
    HolidayCalendar,
    KeyDates,
    MilestoneStatus,
    PackageCalendar,
    ReelectionStatus,
    TableCalendar,
    add_months,
    compute_timeline,
    full_days_between,
    get_profile,
    latest_before,
    missing_schedule_warning,
    period_end,
    reelection_alert,
    seed_rows,
    violations,
)

REPO = Path(__file__).resolve().parents[2]
NATIONAL = get_profile("national")
WARNING_2027 = "2027 年节假日安排未录入，请核对"


@pytest.fixture(scope="module")
def package() -> PackageCalendar:
    return PackageCalendar()


@pytest.fixture(scope="module")
def table_2026() -> TableCalendar:
    """What the Django side builds after seeding its table from the package."""
    return TableCalendar.from_rows(seed_rows([2026]))


def milestone(milestones: list[timeline.Milestone], key: str) -> timeline.Milestone:
    (found,) = [m for m in milestones if m.key == key]
    return found


def violation_keys(found: list[timeline.Violation]) -> list[str]:
    return [v.key for v in found]


# --- The module stays pure --------------------------------------------------------------------


def test_it_imports_nothing_from_django() -> None:
    """The pure core is pure: its modules import the standard library, chinese_calendar and each
    other only (import-linter holds the same line for the whole package in CI)."""
    for path in sorted((REPO / "elections" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
        outside = {m for m in imported if not m.startswith("elections.rules")}
        assert not any(m.split(".")[0] in {"django", "grids", "yezhu", "elections"} for m in outside), path
        assert {m.split(".")[0] for m in outside} <= {
            "__future__",
            "calendar",
            "collections",
            "dataclasses",
            "datetime",
            "decimal",
            "enum",
            "fractions",
            "hashlib",
            "html",
            "json",
            "pathlib",
            "re",
            "typing",
            "chinese_calendar",
        }, (path, outside)


def test_it_loads_without_chinese_calendar_installed() -> None:
    """chinese_calendar is imported only by the adapter, so the module loads without it."""
    code = (
        "import sys; sys.modules['chinese_calendar'] = None\n"
        "import datetime, elections.rules.timeline as t\n"
        "cal = t.TableCalendar(set(), set(), {2026})\n"
        "print(t.period_end(datetime.date(2026, 3, 4), 10, cal).due)\n"
        "try:\n    t.PackageCalendar()\nexcept ImportError:\n    print('adapter needs the package')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["2026-03-16", "adapter", "needs", "the", "package"]


# --- Counting periods (民法典 第201–203条) -----------------------------------------------------


def test_it_does_not_count_the_starting_day(package: PackageCalendar) -> None:
    """ "Within 3 days of Tuesday 10 March 2026" ends on Friday 13 March, not Thursday."""
    deadline = period_end(date(2026, 3, 10), 3, package)
    assert deadline.due == date(2026, 3, 13)
    assert deadline.extended_from is None
    assert deadline.warnings == ()


def test_it_moves_a_period_ending_on_national_day_past_the_golden_week(package: PackageCalendar) -> None:
    """A period whose last day is 1 October 2026 ends on 8 October, the first working day after."""
    deadline = period_end(date(2026, 9, 16), 15, package)
    assert deadline.due == date(2026, 10, 8)
    assert deadline.extended_from == date(2026, 10, 1)
    assert deadline.warnings == ()


def test_it_moves_a_period_ending_inside_the_holiday_to_the_same_day(package: PackageCalendar) -> None:
    """Ending on any day from 1 to 7 October 2026 gives 8 October: the day after the rest days."""
    for last in range(1, 8):
        assert period_end(date(2026, 9, 30), last, package).due == date(2026, 10, 8)


def test_it_counts_an_adjusted_working_saturday_as_a_working_day(package: PackageCalendar) -> None:
    """Saturday 10 October 2026 is 调休上班: a period ending that day is not extended."""
    deadline = period_end(date(2026, 10, 3), 7, package)
    assert deadline.due == date(2026, 10, 10)
    assert deadline.extended_from is None


def test_it_ends_a_period_on_an_adjusted_working_sunday(package: PackageCalendar) -> None:
    """Saturday 3 January 2026 is New Year's Day; the next day, a Sunday, is 调休上班 and ends it."""
    deadline = period_end(date(2025, 12, 27), 7, package)
    assert deadline.due == date(2026, 1, 4)
    assert deadline.due.weekday() == 6
    assert deadline.extended_from == date(2026, 1, 3)


def test_it_moves_a_weekend_ending_to_monday(package: PackageCalendar) -> None:
    """A period ending on Saturday 14 March 2026, an ordinary weekend, ends on Monday 16 March."""
    deadline = period_end(date(2026, 3, 4), 10, package)
    assert deadline.due == date(2026, 3, 16)
    assert deadline.due.weekday() == 0
    assert deadline.extended_from == date(2026, 3, 14)


def test_it_refuses_a_negative_period(package: PackageCalendar) -> None:
    """A negative number of days is a programming error, not a deadline."""
    with pytest.raises(ValueError):
        period_end(date(2026, 3, 4), -1, package)
    with pytest.raises(ValueError):
        latest_before(date(2026, 3, 4), -1)


def test_it_counts_full_days_between_for_a_backward_requirement() -> None:
    """ "At least 15 days before" leaves 15 whole days between: the latest day is target − 16."""
    voting = date(2026, 11, 18)
    assert latest_before(voting, 15) == date(2026, 11, 2)
    assert full_days_between(date(2026, 11, 2), voting) == 15
    assert full_days_between(date(2026, 11, 3), voting) == 14


def test_it_does_not_move_a_backward_requirement_for_a_holiday(package: PackageCalendar) -> None:
    """A notice deadline falling on 1 October 2026 stays there: moving it would shorten the notice."""
    voting = date(2026, 10, 17)
    milestones = compute_timeline(KeyDates(voting_opens=voting), NATIONAL, package, date(2026, 9, 1))
    notice = milestone(milestones, "assembly_notice")
    assert notice.due == date(2026, 10, 1)
    assert notice.extended_from is None


# --- Calendars, the package and the staff table ------------------------------------------------


def test_it_falls_back_to_weekends_for_an_unpublished_year_and_flags_it(package: PackageCalendar) -> None:
    """2027 has no schedule in the package: Saturday 2 January 2027 moves to Monday, with a warning."""
    assert package.is_rest_day(date(2027, 1, 2)) is None
    assert 2027 not in package.known_years
    deadline = period_end(date(2026, 12, 26), 7, package)
    assert deadline.due == date(2027, 1, 4)
    assert deadline.warnings == (WARNING_2027,)
    assert missing_schedule_warning(2027) == WARNING_2027


def test_it_flags_an_unpublished_year_even_on_a_weekday(package: PackageCalendar) -> None:
    """Friday 1 October 2027 looks like a working day only because 2027 is unknown: flag it."""
    deadline = period_end(date(2027, 9, 16), 15, package)
    assert deadline.due == date(2027, 10, 1)
    assert deadline.warnings == (WARNING_2027,)


def test_it_carries_the_warning_onto_the_milestone(package: PackageCalendar) -> None:
    """A 2027 deadline on the timeline carries the missing-schedule flag; a 2026 one does not."""
    kd = KeyDates(decided=date(2026, 12, 29))
    milestones = compute_timeline(kd, NATIONAL, package, date(2026, 12, 30))
    assert milestone(milestones, "result_published").due == date(2027, 1, 1)
    assert milestone(milestones, "result_published").warnings == (WARNING_2027,)
    kd = KeyDates(decided=date(2026, 11, 2))
    milestones = compute_timeline(kd, NATIONAL, package, date(2026, 11, 3))
    assert milestone(milestones, "result_published").warnings == ()


def test_it_drops_the_warning_once_staff_enter_the_year(table_2026: TableCalendar) -> None:
    """With staff-entered 2027 rows, 1 October 2027 is a holiday and the deadline carries no flag."""
    staff_rows = [(date(2027, 10, day), True, "国庆节") for day in range(1, 8)]
    staff_rows.append((date(2027, 10, 9), False, "国庆节调休上班"))
    calendar = TableCalendar.from_rows([*seed_rows([2026]), *staff_rows])
    assert calendar.known_years == frozenset({2026, 2027})
    deadline = period_end(date(2027, 9, 16), 15, calendar)
    assert deadline.due == date(2027, 10, 8)
    assert deadline.warnings == ()
    assert calendar.is_rest_day(date(2027, 10, 9)) is False
    assert table_2026.is_rest_day(date(2027, 10, 1)) is None


def test_it_ignores_rows_of_a_year_not_marked_as_known() -> None:
    """Half-entered years stay flagged: rows count only for the years the table says are complete."""
    calendar = TableCalendar(rest_days={date(2027, 10, 1)}, work_days=set(), years={2026})
    assert calendar.is_rest_day(date(2027, 10, 1)) is None
    assert period_end(date(2027, 9, 30), 1, calendar).warnings == (WARNING_2027,)


def test_it_refuses_a_day_that_is_both_rest_and_work() -> None:
    """A date entered twice with opposite meanings is a data error staff must fix."""
    with pytest.raises(ValueError, match="2026年10月10日"):
        TableCalendar({date(2026, 10, 10)}, {date(2026, 10, 10)}, {2026})


def test_it_seeds_every_holiday_and_adjusted_working_day(package: PackageCalendar) -> None:
    """seed_rows lists 2026's holidays and 调休上班 days in Chinese, and nothing for 2027."""
    rows = seed_rows([2026])
    assert (date(2026, 10, 1), True, "国庆节") in rows
    assert (date(2026, 10, 10), False, "国庆节调休上班") in rows
    assert (date(2026, 2, 23), True, "春节") in rows
    assert (date(2026, 1, 4), False, "元旦调休上班") in rows
    assert rows == sorted(rows)
    assert {d.year for d, _, _ in rows} == {2026}
    assert sum(1 for _, rest, _ in rows if not rest) == 6
    assert seed_rows([2027]) == []


def test_it_agrees_with_the_package_once_seeded(package: PackageCalendar, table_2026: TableCalendar) -> None:
    """Every day of 2026: the seeded table and the package say the same."""
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert table_2026.is_rest_day(day) == package.is_rest_day(day), day
        day += timedelta(days=1)


def test_it_satisfies_the_calendar_protocol(package: PackageCalendar, table_2026: TableCalendar) -> None:
    """Both calendars are HolidayCalendars, so the Django side can swap one for the other."""
    assert isinstance(package, HolidayCalendar)
    assert isinstance(table_2026, HolidayCalendar)
    assert {2004, 2026} <= package.known_years


# --- Notice requirements ----------------------------------------------------------------------


def test_it_accepts_a_notice_with_15_full_days_before_voting(package: PackageCalendar) -> None:
    """Notice on day d and voting on d+16 leaves 15 full days: no violation."""
    d = date(2026, 11, 2)
    found = violations(
        KeyDates(assembly_notice_published=d, voting_opens=d + timedelta(16)), NATIONAL, package
    )
    assert found == []


def test_it_flags_a_notice_with_14_full_days_before_voting(package: PackageCalendar) -> None:
    """Notice on day d and voting on d+15 leaves 14 full days, one short of the 15 required."""
    d = date(2026, 11, 2)
    found = violations(
        KeyDates(assembly_notice_published=d, voting_opens=d + timedelta(15)), NATIONAL, package
    )
    assert [(v.key, v.message, v.source) for v in found] == [
        ("assembly_notice_late", "公告于投票开始前14日发出，少于规定的15日", "物业管理条例 第14条")
    ]


def test_it_names_the_numbers_of_a_short_notice(package: PackageCalendar) -> None:
    """Twelve full days between notice and voting are reported as 12."""
    found = violations(
        KeyDates(assembly_notice_published=date(2026, 11, 2), voting_opens=date(2026, 11, 15)),
        NATIONAL,
        package,
    )
    assert [v.message for v in found] == ["公告于投票开始前12日发出，少于规定的15日"]


def test_it_flags_a_notice_published_after_voting_opened(package: PackageCalendar) -> None:
    """A notice on the day voting opens is not before it at all."""
    found = violations(
        KeyDates(assembly_notice_published=date(2026, 11, 15), voting_opens=date(2026, 11, 15)),
        NATIONAL,
        package,
    )
    assert violation_keys(found) == ["assembly_notice_late"]
    assert "不在投票开始" in found[0].message


def test_it_gives_hangzhou_temporary_meetings_seven_days(package: PackageCalendar) -> None:
    """杭州: a temporary meeting needs 7 full days of notice; an ordinary one still needs 15."""
    hangzhou = get_profile("hangzhou")
    kd = KeyDates(assembly_notice_published=date(2026, 11, 2), voting_opens=date(2026, 11, 10))
    assert violations(kd, hangzhou, package, temporary_meeting=True) == []
    assert [v.message for v in violations(kd, hangzhou, package)] == [
        "公告于投票开始前7日发出，少于规定的15日"
    ]
    notice = milestone(
        compute_timeline(kd, hangzhou, package, date(2026, 11, 1), temporary_meeting=True), "assembly_notice"
    )
    assert notice.title == "临时业主大会会议公告"
    assert notice.rule_text == "至少在投票开始前7日公告会议事项和候选人名单"
    assert notice.due == date(2026, 11, 2)
    assert NATIONAL.temporary_meeting_notice_days.value == 15


def test_it_flags_a_six_day_candidate_notice_in_hangzhou(package: PackageCalendar) -> None:
    """杭州 第26条: the candidate notice lasts at least 7 days; 1 to 7 November (start day not
    counted) is 6 days, too short. Nationally the list has no length of its own."""
    kd = KeyDates(
        candidate_notice_start=date(2026, 11, 1),
        candidate_notice_end=date(2026, 11, 7),
        voting_opens=date(2026, 12, 1),
    )
    found = violations(kd, get_profile("hangzhou"), package)
    assert [(v.key, v.message, v.source) for v in found] == [
        ("candidate_notice_too_short", "候选人公示6日，少于规定的7日", "杭州 第26条")
    ]
    assert violations(kd, NATIONAL, package) == []


def test_it_accepts_a_seven_day_candidate_notice(package: PackageCalendar) -> None:
    """杭州 第26条: 1 to 8 November is 7 days, long enough."""
    kd = KeyDates(
        candidate_notice_start=date(2026, 11, 1),
        candidate_notice_end=date(2026, 11, 8),
        voting_opens=date(2026, 12, 1),
    )
    assert violations(kd, get_profile("hangzhou"), package) == []


@pytest.mark.parametrize("profile", ["national", "hangzhou"])
def test_it_wants_the_candidate_list_posted_15_days_before_voting_not_14(
    package: PackageCalendar, profile
) -> None:
    """杭州 第26条 ("选举日的十五日前…公示") and 物业管理条例 第14条 (the list goes out with the assembly
    notice): posted with 15 full days before voting is on time, with 14 it is late. The notice may
    still be up when voting opens: only its start is measured (the old reading, "ends 15 days
    before", refused lawful schedules)."""
    opens = date(2026, 12, 1)

    def found(start: date) -> list[tuple[str, str]]:
        kd = KeyDates(
            candidate_notice_start=start, candidate_notice_end=start + timedelta(days=20), voting_opens=opens
        )
        return [(v.key, v.message) for v in violations(kd, get_profile(profile), package)]

    assert found(date(2026, 11, 15)) == []  # 15 full days: 16 November … 30 November
    assert found(date(2026, 11, 16)) == [
        ("candidate_notice_late", "候选人公示于投票开始前14日开始，少于规定的15日")
    ]
    assert found(date(2026, 12, 2))[0][0] == "candidate_notice_late"
    milestones = compute_timeline(
        KeyDates(voting_opens=opens), get_profile(profile), package, date(2026, 11, 1)
    )
    assert milestone(milestones, "candidate_notice_start").due == date(2026, 11, 15)


# --- Voting window and the steps after the vote -------------------------------------------------


def test_it_checks_the_voting_window_in_hangzhou(package: PackageCalendar) -> None:
    """杭州 第20条: voting runs 5 to 60 days: 4 and 61 are violations, 5 and 60 are not."""
    opens = date(2026, 11, 2)
    hangzhou = get_profile("hangzhou")

    def keys(days: int, profile=hangzhou) -> list[str]:
        return violation_keys(
            violations(KeyDates(voting_opens=opens, voting_closes=opens + timedelta(days)), profile, package)
        )

    assert keys(4) == ["voting_window_too_short"]
    assert keys(5) == []
    assert keys(60) == []
    assert keys(61) == ["voting_window_too_long"]
    found = violations(KeyDates(voting_opens=opens, voting_closes=opens + timedelta(4)), hangzhou, package)
    assert found[0].message == "投票期4日，少于规定的5日"
    assert found[0].source == "杭州 第20条"


@pytest.mark.parametrize("days", [0, 1, 4, 61, 120])
def test_it_lets_a_national_vote_run_one_day_or_long(package: PackageCalendar, days) -> None:
    """物业管理条例 第12条: nationally an assembly held as 集体讨论 may meet on one day, and no law sets
    a longest written vote; the 5–60 days are 杭州's (第20条), not the country's."""
    opens = date(2026, 11, 2)
    kd = KeyDates(voting_opens=opens, voting_closes=opens + timedelta(days))
    assert violations(kd, NATIONAL, package) == []
    for key in ("shanghai", "beijing", "shenzhen"):
        assert violations(kd, get_profile(key), package) == []


def test_it_flags_a_result_published_late(package: PackageCalendar) -> None:
    """Decided Monday 2 November 2026, the result is due by Thursday 5 November; the 6th is late."""
    kd = KeyDates(decided=date(2026, 11, 2), result_published=date(2026, 11, 6))
    found = violations(kd, get_profile("shanghai"), package)
    assert violation_keys(found) == ["result_published_late"]
    assert found[0].message == (
        "选举结果于计票结果产生后第4日（2026年11月6日）公告，晚于期限2026年11月5日（计票结果产生之日起3日内公告）"
    )
    assert found[0].source == "上海 第26条"
    assert violations(replace_dates(kd, result_published=date(2026, 11, 5)), NATIONAL, package) == []


def replace_dates(kd: KeyDates, **changes: date | None) -> KeyDates:
    return replace(kd, **changes)


def test_it_lets_a_holiday_extend_a_result_deadline(package: PackageCalendar) -> None:
    """Decided 30 September 2026: the 3-day period ends on 3 October, a holiday, so 8 October is on time."""
    kd = KeyDates(decided=date(2026, 9, 30), result_published=date(2026, 10, 8))
    assert violations(kd, NATIONAL, package) == []
    late = violations(replace_dates(kd, result_published=date(2026, 10, 9)), NATIONAL, package)
    assert "末日遇法定休假日已顺延" in late[0].message


def test_it_flags_late_first_meeting_officers_and_filing(package: PackageCalendar) -> None:
    """First meeting within 7 days, officers within 3 days of it, filing within 30 days of the election."""
    kd = KeyDates(
        decided=date(2026, 11, 2),
        first_meeting=date(2026, 11, 10),
        officers_published=date(2026, 11, 16),
        filed=date(2026, 12, 3),
    )
    found = violations(kd, NATIONAL, package)
    assert violation_keys(found) == ["first_meeting_late", "officers_published_late", "filed_late"]
    assert found[0].message.startswith(
        "业主委员会首次会议于选举产生后第8日（2026年11月10日）召开，晚于期限2026年11月9日"
    )
    assert found[0].source == "指导规则 第32条"
    assert found[2].source == "物业管理条例 第16条"
    on_time = replace_dates(
        kd, first_meeting=date(2026, 11, 9), officers_published=date(2026, 11, 12), filed=date(2026, 12, 2)
    )
    assert violations(on_time, NATIONAL, package) == []


def test_it_flags_a_first_assembly_later_than_90_days(package: PackageCalendar) -> None:
    """Formed 2 March 2026: 90 days end on Sunday 31 May, moved to Monday 1 June; the 2nd is late."""
    kd = KeyDates(working_group_formed=date(2026, 3, 2), voting_opens=date(2026, 6, 1))
    assert violations(kd, NATIONAL, package) == []
    found = violations(replace_dates(kd, voting_opens=date(2026, 6, 2)), NATIONAL, package)
    assert violation_keys(found) == ["first_assembly_late"]
    assert "筹备组成立后第92日" in found[0].message
    assert (
        violations(replace_dates(kd, voting_opens=date(2026, 6, 2)), NATIONAL, package, first_assembly=False)
        == []
    )


def test_it_gives_beijing_sixty_days_for_the_first_assembly(package: PackageCalendar) -> None:
    """北京: 60 days from 2 March 2026 end on 1 May, inside Labour Day (1–5 May), so on 6 May."""
    kd = KeyDates(working_group_formed=date(2026, 3, 2), voting_opens=date(2026, 5, 6))
    beijing = get_profile("beijing")
    step = milestone(compute_timeline(kd, beijing, package, date(2026, 5, 7)), "first_assembly")
    assert step.due == date(2026, 5, 6)
    assert step.extended_from == date(2026, 5, 1)
    assert step.status is MilestoneStatus.DONE
    assert step.source == "北京"
    assert violations(kd, beijing, package) == []
    assert violation_keys(violations(replace_dates(kd, voting_opens=date(2026, 5, 7)), beijing, package)) == [
        "first_assembly_late"
    ]
    assert violations(replace_dates(kd, voting_opens=date(2026, 5, 7)), NATIONAL, package) == []


def test_it_flags_a_short_objection_window(package: PackageCalendar) -> None:
    """The result notice (询异公示) must stay up 7 days; ending after 5 is a violation."""
    kd = KeyDates(result_published=date(2026, 11, 2), objection_window_end=date(2026, 11, 7))
    found = violations(kd, NATIONAL, package)
    assert violation_keys(found) == ["objection_window_too_short"]
    assert found[0].message.startswith("询异公示期5日")
    assert violations(replace_dates(kd, objection_window_end=date(2026, 11, 9)), NATIONAL, package) == []


def test_it_flags_a_term_outside_the_allowed_length(package: PackageCalendar) -> None:
    """National terms are at most 5 years; 上海 and 杭州 also require at least 3."""
    five = KeyDates(term_start=date(2026, 6, 1), term_end=date(2031, 6, 1))
    assert violations(five, NATIONAL, package) == []
    longer = replace_dates(five, term_end=date(2031, 6, 2))
    assert violation_keys(violations(longer, NATIONAL, package)) == ["term_too_long"]
    two = replace_dates(five, term_end=date(2028, 5, 31))
    assert violations(two, NATIONAL, package) == []
    assert [v.message for v in violations(two, get_profile("shanghai"), package)] == [
        "任期自2026年6月1日至2028年5月31日，不足规定的3年"
    ]
    three = replace_dates(five, term_end=date(2029, 5, 31))
    assert violations(three, get_profile("hangzhou"), package) == []


# --- Milestones and their status --------------------------------------------------------------


def test_it_reports_each_status(package: PackageCalendar) -> None:
    """done, done_late, due (through the due day itself), overdue and not_yet_known."""
    kd = KeyDates(
        decided=date(2026, 11, 2), result_published=date(2026, 11, 4), first_meeting=date(2026, 11, 12)
    )
    on = compute_timeline(kd, NATIONAL, package, date(2026, 11, 20))
    assert milestone(on, "result_published").status is MilestoneStatus.DONE
    assert milestone(on, "first_meeting").status is MilestoneStatus.DONE_LATE
    assert milestone(on, "officers_published").due == date(2026, 11, 16)
    assert milestone(on, "officers_published").status is MilestoneStatus.OVERDUE
    assert milestone(on, "filed").status is MilestoneStatus.DUE
    assert milestone(on, "handover").status is MilestoneStatus.NOT_YET_KNOWN
    assert milestone(on, "handover").due is None
    filing_day = milestone(on, "filed").due
    assert filing_day == date(2026, 12, 2)
    assert (
        milestone(compute_timeline(kd, NATIONAL, package, filing_day), "filed").status is MilestoneStatus.DUE
    )
    after = compute_timeline(kd, NATIONAL, package, filing_day + timedelta(1))
    assert milestone(after, "filed").status is MilestoneStatus.OVERDUE


def test_it_describes_each_milestone_in_chinese_with_its_source(package: PackageCalendar) -> None:
    """Titles, rule texts and sources are ready to show to staff."""
    milestones = compute_timeline(
        KeyDates(voting_opens=date(2026, 12, 1)), NATIONAL, package, date(2026, 11, 1)
    )
    notice = milestone(milestones, "assembly_notice")
    assert notice.title == "业主大会会议公告"
    assert notice.rule_text == "至少在投票开始前15日公告会议事项和候选人名单"
    assert notice.source == "物业管理条例 第14条"
    assert notice.overridden is False
    assert [m.key for m in milestones] == [
        "working_group_published",
        "first_assembly",
        "assembly_notice",
        "candidate_notice_start",
        "voting_closes",
        "result_published",
        "objection_window_end",
        "first_meeting",
        "officers_published",
        "filed",
        "reelection_start",
        "handover",
    ]
    beijing = compute_timeline(
        KeyDates(working_group_formed=date(2026, 3, 2)), get_profile("beijing"), package, date(2026, 3, 3)
    )
    assert milestone(beijing, "working_group_published").source == "北京 第31条"
    assert milestone(beijing, "working_group_published").due == date(2026, 3, 9)


# --- Profiles and overrides -------------------------------------------------------------------


def test_it_holds_the_regional_differences_with_their_sources() -> None:
    """Re-election months (北京 6, 上海 5, 深圳 6, 杭州 3), 北京's 60-day first assembly, 杭州's small committees."""
    months = {key: profile.reelection_months_before.value for key, profile in PROFILES.items()}
    assert months == {
        "national": 3,
        "shanghai": 5,
        "beijing": 6,
        "hangzhou": 3,
        "shenzhen": 6,
        "guangzhou": 3,
    }
    assert get_profile("beijing").first_assembly_days.value == 60
    assert get_profile("shanghai").term_years_min.value == 3
    assert NATIONAL.term_years_min.value is None
    assert get_profile("hangzhou").small_compound_committee_size.value == 3
    assert NATIONAL.small_compound_committee_size.value is None
    assert get_profile("shanghai").working_group_publish_days.value == 7
    assert get_profile("shanghai").working_group_publish_days.source == "上海 第15条"
    assert NATIONAL.notice_days.source == "物业管理条例 第14条"
    assert get_profile("hangzhou").candidate_notice_min_days.source == "杭州 第26条"
    with pytest.raises(KeyError):
        get_profile("chengdu")


def test_it_starts_beijing_six_months_and_shanghai_five_months_ahead() -> None:
    """The same term end gives a different start-by date per profile."""
    term_end = date(2027, 6, 30)
    assert reelection_alert(term_end, get_profile("beijing"), date(2026, 12, 1))[1] == date(2026, 12, 30)
    assert reelection_alert(term_end, get_profile("shanghai"), date(2026, 12, 1))[1] == date(2027, 1, 30)
    assert reelection_alert(term_end, NATIONAL, date(2026, 12, 1))[1] == date(2027, 3, 30)
    assert reelection_alert(term_end, get_profile("beijing"), date(2027, 1, 15))[0] is ReelectionStatus.ALERT
    assert (
        reelection_alert(term_end, get_profile("shanghai"), date(2027, 1, 15))[0]
        is ReelectionStatus.IN_OFFICE
    )


def test_it_records_overrides_with_their_reason(package: PackageCalendar) -> None:
    """An override from the rules of procedure replaces the value and the source, and keeps the reason."""
    profile = NATIONAL.with_overrides(notice_days=20, objection_window_days=15, reason="本小区议事规则第12条")
    assert profile.notice_days.value == 20
    assert profile.notice_days.source == "议事规则: 本小区议事规则第12条"
    assert profile.notice_days.overridden
    assert profile.notice_days.replaced == NATIONAL.notice_days
    assert profile.override_reasons == {
        "notice_days": "本小区议事规则第12条",
        "objection_window_days": "本小区议事规则第12条",
    }
    assert NATIONAL.notice_days.value == 15 and NATIONAL.overrides == ()

    kd = KeyDates(assembly_notice_published=date(2026, 11, 2), voting_opens=date(2026, 11, 20))
    milestones = compute_timeline(kd, profile, package, date(2026, 11, 1))
    notice = milestone(milestones, "assembly_notice")
    assert notice.source == "议事规则: 本小区议事规则第12条"
    assert notice.overridden is True
    assert milestone(milestones, "filed").overridden is False
    assert [(v.message, v.source) for v in violations(kd, profile, package)] == [
        ("公告于投票开始前17日发出，少于规定的20日", "议事规则: 本小区议事规则第12条")
    ]


def test_it_keeps_the_latest_reason_when_a_value_is_overridden_twice() -> None:
    """A second override of the same value replaces the first, and still remembers the statutory rule."""
    once = NATIONAL.with_overrides(notice_days=20, reason="第12条")
    twice = once.with_overrides(notice_days=18, filing_days=20, reason="2026年修订第12条")
    assert twice.notice_days.value == 18
    assert twice.notice_days.replaced == NATIONAL.notice_days
    assert twice.overrides == (("notice_days", "2026年修订第12条"), ("filing_days", "2026年修订第12条"))


def test_it_refuses_an_override_without_a_reason_or_for_an_unknown_value() -> None:
    """Every override names its reason, and only values a profile holds can be overridden."""
    with pytest.raises(ValueError):
        NATIONAL.with_overrides(notice_days=20, reason="  ")
    with pytest.raises(TypeError):
        NATIONAL.with_overrides(notice_dayz=20, reason="第12条")
    with pytest.raises(ValueError):
        get_profile("hangzhou").with_overrides(voting_days_min=90, reason="第12条")
    with pytest.raises(ValueError):
        NATIONAL.with_overrides(term_years=6, reason="第12条")
    with pytest.raises(ValueError):
        NATIONAL.with_overrides(notice_days=True, reason="第12条")


def test_it_keeps_profiles_immutable() -> None:
    """Profiles are shared by every election of a street; nobody may change one in place."""
    with pytest.raises(FrozenInstanceError):
        NATIONAL.notice_days = NATIONAL.filing_days  # type: ignore[misc]


# --- Re-election alert ------------------------------------------------------------------------


def test_it_opens_the_reelection_alert_on_the_start_by_day() -> None:
    """Term ends 30 June 2027, national 3 months: in office on 29 March, alert from 30 March."""
    term_end = date(2027, 6, 30)
    assert reelection_alert(term_end, NATIONAL, date(2027, 3, 29)) == (
        ReelectionStatus.IN_OFFICE,
        date(2027, 3, 30),
    )
    assert reelection_alert(term_end, NATIONAL, date(2027, 3, 30)) == (
        ReelectionStatus.ALERT,
        date(2027, 3, 30),
    )


def test_it_keeps_the_alert_on_the_terms_last_day_and_is_overdue_the_day_after() -> None:
    """The term's last day is still 'alert'; the next day the committee is 应换未换 (overdue)."""
    term_end = date(2027, 6, 30)
    assert reelection_alert(term_end, NATIONAL, term_end)[0] is ReelectionStatus.ALERT
    assert reelection_alert(term_end, NATIONAL, date(2027, 7, 1))[0] is ReelectionStatus.OVERDUE


def test_it_clamps_the_start_by_day_to_the_month_end() -> None:
    """A term ending 31 August 2027 minus 6 months (北京) gives 28 February 2027; 2028 is a leap year."""
    assert reelection_alert(date(2027, 8, 31), get_profile("beijing"), date(2027, 1, 1))[1] == date(
        2027, 2, 28
    )
    assert add_months(date(2028, 8, 31), -6) == date(2028, 2, 29)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_it_shows_the_reelection_on_the_timeline(package: PackageCalendar) -> None:
    """The re-election milestone is due until the term ends and overdue after, like the alert."""
    kd = KeyDates(term_end=date(2026, 6, 30))
    assert (
        milestone(compute_timeline(kd, NATIONAL, package, date(2026, 6, 30)), "reelection_start").status
        is MilestoneStatus.DUE
    )
    overdue = milestone(compute_timeline(kd, NATIONAL, package, date(2026, 7, 1)), "reelection_start")
    assert overdue.status is MilestoneStatus.OVERDUE
    assert overdue.due == date(2026, 3, 30)
    assert overdue.rule_text == "任期届满前3个月启动换届选举"


def test_it_shows_a_date_set_ahead_of_time_as_planned_not_done():
    """A close of voting entered in advance is `planned` until the day comes, then `done`."""
    from datetime import date

    from elections.rules.timeline import (
        KeyDates,
        MilestoneStatus,
        PackageCalendar,
        compute_timeline,
        get_profile,
    )

    dates = KeyDates(voting_opens=date(2026, 6, 1), voting_closes=date(2026, 6, 15))
    before = {
        m.key: m
        for m in compute_timeline(dates, get_profile("national"), PackageCalendar(), date(2026, 6, 10))
    }
    after = {
        m.key: m
        for m in compute_timeline(dates, get_profile("national"), PackageCalendar(), date(2026, 6, 16))
    }
    assert before["voting_closes"].status == MilestoneStatus.PLANNED
    assert after["voting_closes"].status == MilestoneStatus.DONE
