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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from elections.rules.periods import (
    Deadline,
    HolidayCalendar,
    PackageCalendar,
    SeedRow,
    TableCalendar,
    Text,
    _cn,
    add_months,
    add_years,
    full_days_between,
    is_rest_day,
    latest_before,
    missing_schedule_warning,
    period_end,
    seed_rows,
)
from elections.rules.profiles import (
    PROFILES,
    AnyRule,
    Profile,
    Rule,
    get_profile,
)

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
    "Text",
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
    "reelection_start",
    "seed_rows",
    "violations",
]

# --------------------------------------------------------------------------------------------------
# The timeline
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDates:
    """What has happened (or is planned) in one election and the term of the committee it elects.

    ``decided`` is the day the tally produced the result (计票结果产生), which is also the day the
    committee is elected (选举产生之日). ``term_start``/``term_end`` are the term of the committee
    this election elects; the re-election alert and the handover belong to the end of that term.
    ``previous_term_end`` is the end of the outgoing committee's term, for a re-election (换届选举):
    its re-election alert is where the 换届小组's period starts.
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
    previous_term_end: date | None = None  # 上届业主委员会任期届满 (换届选举)


class MilestoneStatus(StrEnum):
    """Where a milestone stands on a given day."""

    DONE = "done"  # 已完成
    DONE_LATE = "done_late"  # 逾期完成
    DUE = "due"  # 待办（未到期）
    OVERDUE = "overdue"  # 已逾期
    NOT_YET_KNOWN = "not_yet_known"  # 起算日未定
    PLANNED = "planned"  # 已安排: the date is set but still ahead (e.g. the close of voting)
    OUT_OF_ORDER = "out_of_order"  # 顺序有误: recorded before a step that must come first


@dataclass(frozen=True)
class Milestone:
    """One deadline of the timeline.

    ``due`` is the last allowed day (the period ends at 24:00 that day), ``None`` while the date it
    is counted from is unknown. ``source`` names the article, or ``议事规则: <reason>`` when the
    election's rules of procedure set the value (then ``overridden`` is true).
    """

    key: str
    title: Text
    due: date | None
    done_on: date | None
    status: MilestoneStatus
    rule_text: Text
    source: str
    warnings: tuple[Text, ...] = ()
    overridden: bool = False
    extended_from: date | None = None  # the nominal last day, when it fell on a rest day (顺延)


@dataclass(frozen=True)
class Violation:
    """A requirement the recorded dates break, with a message a person can act on."""

    key: str
    message: Text
    source: str
    warnings: tuple[Text, ...] = ()


@dataclass(frozen=True)
class _Step:
    """A milestone before ``today`` is known: its deadline and what the late message says."""

    key: str
    title: Text
    due: date | None
    done_on: date | None
    rule_text: Text
    rules: tuple[AnyRule, ...]
    anchor: date | None = None
    anchor_text: Text = Text("")
    subject: Text = Text("")  # what the late message says was done late, e.g. 选举结果
    verb: Text = Text("完成", "done")
    warnings: tuple[Text, ...] = ()
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


def _join_sources(rules: Sequence[AnyRule]) -> str:
    seen: list[str] = []
    for rule in rules:
        if rule.source not in seen:
            seen.append(rule.source)
    return "；".join(seen)


# Words several steps share (the Chinese and the English of the late message's pieces).
_GROUP_FORMED = Text("筹备组成立", "the working group formed")
_ELECTED = Text("选举产生", "the election")
_FIRST_MEETING = Text("业主委员会首次会议", "Committee's first meeting")
_PUBLISHED = Text("公告", "published")
_HELD = Text("召开", "held")
_ENDED = Text("结束", "ended")


def _forward(
    key: str,
    title: Text,
    *,
    anchor: date | None,
    rule: Rule[int] | Rule[int | None],
    done_on: date | None,
    rule_text: Text,
    anchor_text: Text,
    subject: Text,
    verb: Text,
    calendar: HolidayCalendar,
) -> _Step:
    """A "within N days of the anchor" step, moved past rest days (the rule must have a value)."""
    if anchor is None:
        return _Step(
            key, title, None, done_on, rule_text, (rule,), anchor_text=anchor_text, subject=subject, verb=verb
        )
    if rule.value is None:
        raise ValueError(f"{key}: the rule has no number of days")
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

    if not first_assembly and kd.previous_term_end is not None:
        # The 换届小组 is formed within N days of the outgoing committee's re-election alert.
        alert = reelection_start(kd.previous_term_end, p)
        steps.append(
            _forward(
                "reelection_group_formed",
                Text("换届小组成立", "Re-election group formed"),
                anchor=alert,
                rule=p.reelection_group_days,
                done_on=kd.working_group_formed,
                rule_text=Text(
                    f"上届任期届满前{p.reelection_months_before.value}个月（{_cn(alert)}）起"
                    f"{p.reelection_group_days.value}日内成立换届小组",
                    "Form the re-election group within {days} days of the re-election alert, {months} months "
                    "before the outgoing committee's term ends ({alert})",
                    days=p.reelection_group_days.value,
                    months=p.reelection_months_before.value,
                    alert=alert,
                ),
                anchor_text=Text("换届提醒", "the re-election alert"),
                subject=Text("换届小组", "Re-election group"),
                verb=Text("成立", "formed"),
                calendar=calendar,
            )
        )
        steps[-1] = replace(steps[-1], rules=(p.reelection_group_days, p.reelection_months_before))
    steps.append(
        _forward(
            "working_group_published",
            Text("筹备组（换届小组）成员名单公告", "Working group's member list published"),
            anchor=kd.working_group_formed,
            rule=p.working_group_publish_days,
            done_on=kd.working_group_published,
            rule_text=Text(
                f"筹备组（换届小组）成立之日起{p.working_group_publish_days.value}日内公告成员名单",
                "Publish the member list within {days} days of the working group forming",
                days=p.working_group_publish_days.value,
            ),
            anchor_text=_GROUP_FORMED,
            subject=Text("成员名单", "Member list"),
            verb=_PUBLISHED,
            calendar=calendar,
        )
    )
    if first_assembly:
        # The meeting is held (召开) when voting opens; the window may run past the 90th day.
        steps.append(
            _forward(
                "first_assembly",
                Text("召开首次业主大会会议", "First owners' assembly held"),
                anchor=kd.working_group_formed,
                rule=p.first_assembly_days,
                done_on=kd.voting_opens,
                rule_text=Text(
                    f"筹备组成立之日起{p.first_assembly_days.value}日内召开首次业主大会会议，以投票开始日为召开日",
                    "Hold the first owners' assembly within {days} days of the working group forming; "
                    "the day voting opens is the day it is held",
                    days=p.first_assembly_days.value,
                ),
                anchor_text=_GROUP_FORMED,
                subject=Text("首次业主大会会议", "First owners' assembly"),
                verb=_HELD,
                calendar=calendar,
            )
        )

    notice = p.temporary_meeting_notice_days if temporary_meeting else p.notice_days
    meeting = (
        Text("临时业主大会会议公告", "Notice of the temporary owners' assembly")
        if temporary_meeting
        else Text("业主大会会议公告", "Notice of the owners' assembly")
    )
    steps.append(
        _Step(
            "assembly_notice",
            meeting,
            latest_before(kd.voting_opens, notice.value) if kd.voting_opens else None,
            kd.assembly_notice_published,
            Text(
                f"至少在投票开始前{notice.value}日公告会议事项和候选人名单",
                "Publish the matters and the candidates at least {days} days before voting opens",
                days=notice.value,
            ),
            (notice,),
            verb=_PUBLISHED,
        )
    )

    length, lead = p.candidate_notice_min_days, p.candidate_notice_start_days_before_voting
    latest_start = latest_before(kd.voting_opens, lead.value) if kd.voting_opens else None
    lasting = (
        Text(f"，公示不少于{length.value}日", ", posted for at least {days} days", days=length.value)
        if length.value is not None
        else Text("")
    )
    steps.append(
        _Step(
            "candidate_notice_start",
            Text("候选人公示开始", "Candidate notice posted"),
            latest_start,
            kd.candidate_notice_start,
            Text(
                f"候选人名单至少在投票开始前{lead.value}日公示{lasting}",
                "Post the candidate list at least {days} days before voting opens{lasting}",
                days=lead.value,
                lasting=lasting,
            ),
            (lead,),
            verb=Text("开始", "started"),
        )
    )
    if length.value is not None:
        ends = kd.candidate_notice_start + timedelta(days=length.value) if kd.candidate_notice_start else None
        steps.append(
            _Step(
                "candidate_notice_end",
                Text("候选人公示结束", "Candidate notice ends"),
                ends,
                kd.candidate_notice_end,
                Text(
                    f"候选人公示不少于{length.value}日",
                    "Post the candidate notice for at least {days} days",
                    days=length.value,
                ),
                (length,),
                verb=_ENDED,
                minimum_window=True,
            )
        )

    low, high = p.voting_days_min, p.voting_days_max
    window = (
        Text(f"投票期不少于{low.value}日", "voting lasts at least {days} days", days=low.value)
        if low.value is not None
        else Text("投票期不设下限", "voting has no shortest length"),
        Text(f"不超过{high.value}日", "at most {days} days", days=high.value)
        if high.value is not None
        else Text("不设上限", "no longest"),
    )
    closes_title, voting_opens = Text("投票截止", "Voting closes"), Text("投票开始", "voting opened")
    if high.value is not None:
        voting = _forward(
            "voting_closes",
            closes_title,
            anchor=kd.voting_opens,
            rule=high,
            done_on=kd.voting_closes,
            rule_text=Text(
                f"{window[0]}、{window[1]}（自投票开始次日起算）",
                "{low}, {high} (counted from the day after voting opens)",
                low=window[0],
                high=window[1],
            ),
            anchor_text=voting_opens,
            subject=Text("投票", "Voting"),
            verb=Text("截止", "closed"),
            calendar=calendar,
        )
    else:
        voting = _Step(
            "voting_closes",
            closes_title,
            None,
            kd.voting_closes,
            Text(
                f"{window[0]}、{window[1]}（集体讨论可在一日内进行）",
                "{low}, {high} (a collective discussion may take one day)",
                low=window[0],
                high=window[1],
            ),
            (high,),
            anchor=kd.voting_opens,
            anchor_text=voting_opens,
            subject=Text("投票", "Voting"),
            verb=Text("截止", "closed"),
        )
    steps.append(replace(voting, rules=(low, high)))

    steps.append(
        _forward(
            "result_published",
            Text("选举结果公告", "Result published"),
            anchor=kd.decided,
            rule=p.result_publish_days,
            done_on=kd.result_published,
            rule_text=Text(
                f"计票结果产生之日起{p.result_publish_days.value}日内公告",
                "Publish within {days} days of the count's result",
                days=p.result_publish_days.value,
            ),
            anchor_text=Text("计票结果产生", "the count's result"),
            subject=Text("选举结果", "The result"),
            verb=_PUBLISHED,
            calendar=calendar,
        )
    )
    objection = _forward(
        "objection_window_end",
        Text("询异公示期满", "Objection period ends"),
        anchor=kd.result_published,
        rule=p.objection_window_days,
        done_on=kd.objection_window_end,
        rule_text=Text(
            f"选举结果公示（询异期）不少于{p.objection_window_days.value}日",
            "Post the result for objections for at least {days} days",
            days=p.objection_window_days.value,
        ),
        anchor_text=Text("结果公告", "the result's publication"),
        subject=Text("询异公示", "Objection period"),
        verb=_ENDED,
        calendar=calendar,
    )
    steps.append(replace(objection, minimum_window=True))
    steps.append(
        _forward(
            "first_meeting",
            _FIRST_MEETING,
            anchor=kd.decided,
            rule=p.first_meeting_days,
            done_on=kd.first_meeting,
            rule_text=Text(
                f"选举产生之日起{p.first_meeting_days.value}日内召开首次会议，选举主任、副主任",
                "Hold the first meeting within {days} days of the election, electing the chair and vice-chairs",
                days=p.first_meeting_days.value,
            ),
            anchor_text=_ELECTED,
            subject=_FIRST_MEETING,
            verb=_HELD,
            calendar=calendar,
        )
    )
    steps.append(
        _forward(
            "officers_published",
            Text("主任、副主任名单公告", "Chair and vice-chairs published"),
            anchor=kd.first_meeting,
            rule=p.officers_publish_days,
            done_on=kd.officers_published,
            rule_text=Text(
                f"首次会议之日起{p.officers_publish_days.value}日内公告主任、副主任名单",
                "Publish the chair and vice-chairs within {days} days of the first meeting",
                days=p.officers_publish_days.value,
            ),
            anchor_text=Text("首次会议", "the first meeting"),
            subject=Text("主任、副主任名单", "The chair and vice-chairs"),
            verb=_PUBLISHED,
            calendar=calendar,
        )
    )
    steps.append(
        _forward(
            "filed",
            Text("备案", "Filed"),
            anchor=kd.decided,
            rule=p.filing_days,
            done_on=kd.filed,
            rule_text=Text(
                f"选举产生之日起{p.filing_days.value}日内向区房管部门和街道办事处备案",
                "File with the district housing office and the street office within {days} days of the election",
                days=p.filing_days.value,
            ),
            anchor_text=_ELECTED,
            subject=Text("备案", "Filing"),
            verb=Text("办理", "done"),
            calendar=calendar,
        )
    )
    months = p.reelection_months_before
    steps.append(
        _Step(
            "reelection_start",
            Text("启动换届选举", "Re-election started"),
            add_months(kd.term_end, -months.value) if kd.term_end else None,
            None,
            Text(
                f"任期届满前{months.value}个月启动换届选举",
                "Start the re-election {months} months before the term ends",
                months=months.value,
            ),
            (months,),
            verb=Text("启动", "started"),
        )
    )
    steps.append(
        _forward(
            "handover",
            Text("移交资料和印章", "Records and seal handed over"),
            anchor=kd.term_end,
            rule=p.handover_days,
            done_on=kd.handover_done,
            rule_text=Text(
                f"任期届满之日起{p.handover_days.value}日内移交档案资料、印章和财物",
                "Hand over the records, the seal and the property within {days} days of the term's end",
                days=p.handover_days.value,
            ),
            anchor_text=Text("任期届满", "the term's end"),
            subject=Text("资料和印章", "The records and the seal"),
            verb=Text("移交", "handed over"),
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


#: Recorded steps that follow one another (KeyDates attribute, milestone key, name): a step dated
#: before one that must come first is out of order, never "done" (a candidate notice recorded as
#: posted before the assembly notice that opened the nominations it announces).
_SEQUENCE: tuple[tuple[str, str, Text], ...] = (
    ("working_group_formed", "", Text("筹备组（换届小组）成立", "the working group's forming")),
    ("working_group_published", "working_group_published", Text("成员名单公告", "the member list")),
    ("assembly_notice_published", "assembly_notice", Text("业主大会会议公告", "the assembly notice")),
    ("candidate_notice_start", "candidate_notice_start", Text("候选人公示开始", "the candidate notice")),
)
SEQUENCE_SOURCE = "业主大会和业主委员会指导规则（办理顺序）"


def out_of_order(key_dates: KeyDates) -> list[Violation]:
    """The recorded steps dated before a step that must come first, one violation each."""
    found: list[Violation] = []
    for i, (attr, key, name) in enumerate(_SEQUENCE):
        day = getattr(key_dates, attr)
        if day is None or not key:
            continue
        for before_attr, _before_key, before_name in reversed(_SEQUENCE[:i]):
            before = getattr(key_dates, before_attr)
            if before is not None and day < before:
                found.append(
                    Violation(
                        f"{key}_out_of_order",
                        Text(
                            f"{name}记录于{_cn(day)}，早于应在其前的{before_name}（{_cn(before)}），"
                            "顺序有误，请核对日期",
                            "Out of order: {name} is recorded on {day}, before {before_name} ({before}), "
                            "which must come first: check the dates",
                            name=name,
                            day=day,
                            before_name=before_name,
                            before=before,
                        ),
                        SEQUENCE_SOURCE,
                    )
                )
                break
    return found


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
    disordered = {v.key.removesuffix("_out_of_order") for v in out_of_order(key_dates)}
    return [
        Milestone(
            key=step.key,
            title=step.title,
            due=step.due,
            done_on=step.done_on,
            status=MilestoneStatus.OUT_OF_ORDER
            if step.key in disordered and step.done_on is not None and step.done_on <= today
            else _status(step, today, key_dates.term_end),
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
        days = (step.done_on - step.anchor).days
        when = Text(
            f"于{step.anchor_text}后第{days}日（{_cn(step.done_on)}）{step.verb}",
            "{verb} on day {days} after {anchor} ({done_on})",
            verb=step.verb,
            days=days,
            anchor=step.anchor_text,
            done_on=step.done_on,
        )
    else:
        when = Text(
            f"于{_cn(step.done_on)}{step.verb}", "{verb} on {done_on}", verb=step.verb, done_on=step.done_on
        )
    extended = (
        Text("，末日遇法定休假日已顺延", "; the last day fell on a rest day and was moved on")
        if step.extended_from is not None
        else Text("")
    )
    subject = step.subject or step.title
    return Violation(
        key=f"{step.key}_late",
        message=Text(
            f"{subject}{when}，晚于期限{_cn(step.due)}（{step.rule_text}{extended}）",
            "{subject}: {when}, after the deadline {due} ({rule}{extended})",
            subject=subject,
            when=when,
            due=step.due,
            rule=step.rule_text,
            extended=extended,
        ),
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
                    Text(
                        f"公告于{_cn(kd.assembly_notice_published)}发出，不在投票开始（{_cn(kd.voting_opens)}）之前",
                        "The notice went out on {sent}, not before voting opened ({opens})",
                        sent=kd.assembly_notice_published,
                        opens=kd.voting_opens,
                    ),
                    notice.source,
                )
            )
        elif gap < notice.value:
            found.append(
                Violation(
                    "assembly_notice_late",
                    Text(
                        f"公告于投票开始前{gap}日发出，少于规定的{notice.value}日",
                        "The notice went out {gap} days before voting opened, fewer than the {days} required",
                        gap=gap,
                        days=notice.value,
                    ),
                    notice.source,
                )
            )

    length, lead = p.candidate_notice_min_days, p.candidate_notice_start_days_before_voting
    if kd.candidate_notice_start and kd.candidate_notice_end and length.value is not None:
        days = (kd.candidate_notice_end - kd.candidate_notice_start).days
        if days < length.value:
            found.append(
                Violation(
                    "candidate_notice_too_short",
                    Text(
                        f"候选人公示{days}日，少于规定的{length.value}日",
                        "The candidate notice was posted for {days} days, fewer than the {required} required",
                        days=days,
                        required=length.value,
                    ),
                    length.source,
                )
            )
    if kd.candidate_notice_start and kd.voting_opens:
        gap = full_days_between(kd.candidate_notice_start, kd.voting_opens)
        if gap < 0:
            message = Text(
                f"候选人公示于{_cn(kd.candidate_notice_start)}开始，不在投票开始（{_cn(kd.voting_opens)}）之前",
                "The candidate notice started on {start}, not before voting opened ({opens})",
                start=kd.candidate_notice_start,
                opens=kd.voting_opens,
            )
        else:
            message = Text(
                f"候选人公示于投票开始前{gap}日开始，少于规定的{lead.value}日",
                "The candidate notice started {gap} days before voting opened, fewer than the {days} required",
                gap=gap,
                days=lead.value,
            )
        if gap < lead.value:
            found.append(Violation("candidate_notice_late", message, lead.source))

    if kd.voting_opens and kd.voting_closes:
        low, high = p.voting_days_min, p.voting_days_max
        days = (kd.voting_closes - kd.voting_opens).days
        closes = steps["voting_closes"]
        if low.value is not None and days < low.value:
            found.append(
                Violation(
                    "voting_window_too_short",
                    Text(
                        f"投票期{days}日，少于规定的{low.value}日",
                        "Voting lasts {days} days, fewer than the {required} required",
                        days=days,
                        required=low.value,
                    ),
                    low.source,
                )
            )
        elif high.value is not None and closes.due is not None and kd.voting_closes > closes.due:
            found.append(
                Violation(
                    "voting_window_too_long",
                    Text(
                        f"投票期{days}日，超过规定的{high.value}日",
                        "Voting lasts {days} days, more than the {allowed} allowed",
                        days=days,
                        allowed=high.value,
                    ),
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
                Text(
                    f"询异公示期{days}日（至{_cn(kd.objection_window_end)}），少于规定的{rule.value}日"
                    f"（最早于{_cn(objection.due)}期满）",
                    "The objection period lasts {days} days (to {end}), fewer than the {required} required "
                    "(it may end on {earliest} at the earliest)",
                    days=days,
                    end=kd.objection_window_end,
                    required=rule.value,
                    earliest=objection.due,
                ),
                rule.source,
                objection.warnings,
            )
        )

    for key in (
        "reelection_group_formed",
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
    found.extend(out_of_order(kd))
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
                Text(
                    f"任期自{_cn(kd.term_start)}至{_cn(kd.term_end)}，超过规定的{longest.value}年",
                    "The term runs from {start} to {end}, longer than the {years} years allowed",
                    start=kd.term_start,
                    end=kd.term_end,
                    years=longest.value,
                ),
                longest.source,
            )
        )
    if shortest.value is not None and kd.term_end < add_years(kd.term_start, shortest.value) - timedelta(
        days=1
    ):
        found.append(
            Violation(
                "term_too_short",
                Text(
                    f"任期自{_cn(kd.term_start)}至{_cn(kd.term_end)}，不足规定的{shortest.value}年",
                    "The term runs from {start} to {end}, shorter than the {years} years required",
                    start=kd.term_start,
                    end=kd.term_end,
                    years=shortest.value,
                ),
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


def reelection_start(term_end: date, profile: Profile) -> date:
    """The day a term's re-election should start (the alert): the term's end minus the profile's
    months, clamped to the month's end (第202条), not moved for holidays (a backward requirement)."""
    return add_months(term_end, -profile.reelection_months_before.value)


def reelection_alert(term_end: date, profile: Profile, today: date) -> tuple[ReelectionStatus, date]:
    """The re-election status on ``today`` and the day by which the re-election should start.

    ``start_by`` is ``term_end`` minus the profile's months, in calendar months clamped to the
    month's end (第202条); as a backward requirement it is not moved for holidays. From ``start_by``
    through the term's last day the status is ``alert`` (the term ends at 24:00 on ``term_end``),
    and from the next day ``overdue``.
    """
    start_by = reelection_start(term_end, profile)
    if today > term_end:
        return ReelectionStatus.OVERDUE, start_by
    if today >= start_by:
        return ReelectionStatus.ALERT, start_by
    return ReelectionStatus.IN_OFFICE, start_by
