"""Regional profiles (地方规定): the statutory values of RULES.md §5–§6 as data, each with its source.

A profile (national, 上海, 北京, 杭州, 深圳) is chosen per street; an election's rules of procedure
override single values (:meth:`Profile.with_overrides`). Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Generic, TypeVar

from elections.rules.periods import RULES_OF_PROCEDURE

T = TypeVar("T")


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


#: Any rule of a profile, whatever its value's type.
AnyRule = Rule[int] | Rule[int | None] | Rule[bool] | Rule[tuple[str, ...]]


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
    #: 候选人公示: posted at least N days before voting opens (选举日的十五日前; nationally the list goes
    #: out with the assembly notice) …
    candidate_notice_start_days_before_voting: Rule[int]
    #: … and posted for at least N days (None: no length of its own; 杭州 第26条: 7).
    candidate_notice_min_days: Rule[int | None]
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
    #: The term this election's committee serves, as its rules of procedure (议事规则) set it; None:
    #: the longest the profile allows (:attr:`term`).
    term_years: Rule[int | None]
    #: 移交资料和印章: within N days of the term's end.
    handover_days: Rule[int]
    #: 委员人数 (committee size): from … to …, odd.
    committee_size_min: Rule[int]
    committee_size_max: Rule[int]
    committee_size_odd: Rule[bool]
    #: The smaller committee a small compound may elect (None: not allowed) …
    small_compound_committee_size: Rule[int | None]
    #: … where the compound has at most this many households (户) …
    small_compound_max_households: Rule[int | None]
    #: … or at most this total area (㎡, 上海 第20条: 10,000).
    small_compound_max_area: Rule[int | None]
    #: 投票期: at least N days, at most M days (start day not counted); None: no limit. Nationally a
    #: meeting held as 集体讨论 may be one day (条例 第12条); 杭州 第20条 asks 5 to 60 days.
    voting_days_min: Rule[int | None]
    voting_days_max: Rule[int | None]
    #: 委托投票: principals one proxy may represent.
    proxy_principals_max: Rule[int]
    #: 首次业主大会 may be called when the delivered units' area reaches this percentage of the total
    #: area ("达到…以上": the percentage itself qualifies) …
    first_assembly_delivered_percent: Rule[int]
    #: … or when this many years have passed since the first unit was delivered (None: no such way).
    first_assembly_years_since_delivery: Rule[int | None]
    #: 筹备组/换届小组: an odd number of members …
    working_group_odd: Rule[bool]
    #: … of whom owners' representatives are at least this percentage …
    working_group_owner_percent_min: Rule[int]
    #: … led by a member of one of these affiliations (``WorkingGroupMember.Affiliation`` values).
    working_group_leaders: Rule[tuple[str, ...]]
    #: 换届小组 formed within N days of the re-election alert (the day the outgoing committee's
    #: re-election should start: its term's end minus ``reelection_months_before``).
    reelection_group_days: Rule[int]
    #: Online votes must go through the city's own e-voting platform (北京 第35条, 杭州 第20条, 深圳,
    #: 广州): Yezhu's own online channel is off; paper ballots and the platform's imported per-unit
    #: result are counted. An election's rules of procedure may choose the platform, never drop it.
    city_platform: Rule[bool]
    #: 物业管理委员会 (物管会): the longest term in years of the interim committee the street office
    #: forms where no committee can be formed or a term ended with no successor (None: the region
    #: provides no 物管会; 北京 3, 杭州 2) …
    property_committee_term_years_max: Rule[int | None]
    #: … its smallest number of members (odd, owners at least half, chaired by the residents' committee).
    property_committee_members_min: Rule[int]
    #: 变更备案: every change to a committee (members in or out, chair, a 物管会 formed) filed within N days.
    change_filing_days: Rule[int]
    #: A departing member hands over the records and property in their keeping within N days.
    member_handover_days: Rule[int]
    #: Escalation: a term expired for more than N days with no election under way becomes a step
    #: the street office must act on (order the election, form the 物管会) …
    escalation_term_days: Rule[int]
    #: … and an election under way whose milestone is overdue by more than N days (stalled) too.
    escalation_stalled_days: Rule[int]
    #: An alternate moving up into a vacant seat (候补委员递补) is filed within N days of the end of
    #: its publicity (公示) (RULES.md §7).
    vacancy_filing_days: Rule[int]
    #: During 换届 (the term's re-election window, or a re-election under way) the outgoing committee
    #: may not put major matters (hiring the property manager, the maintenance fund) to the assembly.
    outgoing_committee_major_matters_barred: Rule[bool]
    #: (name of the overridden value, reason) in the order they were overridden.
    overrides: tuple[tuple[str, str], ...] = ()

    _OPTIONAL = frozenset(
        {
            "term_years_min",
            "small_compound_committee_size",
            "small_compound_max_households",
            "small_compound_max_area",
            "candidate_notice_min_days",
            "voting_days_min",
            "voting_days_max",
            "term_years",
            "first_assembly_years_since_delivery",
            "property_committee_term_years_max",
        }
    )
    _BOOLEAN = frozenset(
        {
            "committee_size_odd",
            "working_group_odd",
            "city_platform",
            "outgoing_committee_major_matters_barred",
        }
    )
    _TUPLES = frozenset({"working_group_leaders"})
    #: Values the statute sets for the compound and its working group, which an election's rules of
    #: procedure cannot change (the first assembly has none yet; 指导规则 第十条 binds every one).
    _FIXED = frozenset(
        {
            "first_assembly_delivered_percent",
            "first_assembly_years_since_delivery",
            "working_group_odd",
            "working_group_owner_percent_min",
            "working_group_leaders",
            # The street office's duties between elections: no election's rules of procedure set them.
            "property_committee_term_years_max",
            "property_committee_members_min",
            "change_filing_days",
            "member_handover_days",
            "escalation_term_days",
            "escalation_stalled_days",
            # The committee's life between elections is not an election's to change.
            "vacancy_filing_days",
            "outgoing_committee_major_matters_barred",
        }
    )

    def __post_init__(self) -> None:
        for name in self.rule_names():
            value = getattr(self, name).value
            if name in self._BOOLEAN:
                if not isinstance(value, bool):
                    raise TypeError(f"{name} 应为 True 或 False")
            elif name in self._TUPLES:
                if not isinstance(value, tuple) or not value or not all(isinstance(v, str) for v in value):
                    raise TypeError(f"{name} 应为非空的文字元组")
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
            if low_value is not None and high_value is not None and low_value > high_value:
                raise ValueError(f"{low}（{low_value}）大于 {high}（{high_value}）")
        term, shortest, longest = self.term, self.term_years_min.value, self.term_years_max.value
        if term > longest or (shortest is not None and term < shortest):
            raise ValueError(f"任期（{term}年）不在{shortest or 1}至{longest}年之间")

    @property
    def term(self) -> int:
        """The committee's term in years: the rules of procedure's, else the longest allowed."""
        value = self.term_years.value
        return value if value is not None else self.term_years_max.value

    @property
    def term_source(self) -> str:
        return self.term_years.source if self.term_years.value is not None else self.term_years_max.source

    @classmethod
    def rule_names(cls) -> tuple[str, ...]:
        """The names of the values a profile holds (and an election may override)."""
        return tuple(f.name for f in fields(cls) if f.name not in {"key", "label", "overrides"})

    @classmethod
    def overridable_names(cls) -> tuple[str, ...]:
        """The values an election's rules of procedure (议事规则) may set differently."""
        return tuple(name for name in cls.rule_names() if name not in cls._FIXED)

    def rule(self, name: str) -> AnyRule:
        """The rule called ``name``."""
        if name not in self.rule_names():
            raise KeyError(name)
        return getattr(self, name)

    @property
    def override_reasons(self) -> dict[str, str]:
        """Which values the rules of procedure changed, and why."""
        return dict(self.overrides)

    def with_overrides(self, *, reason: str, **values: int | bool | tuple[str, ...] | None) -> Profile:
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
        changes: dict[str, AnyRule] = {}
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
    candidate_notice_start_days_before_voting=Rule(15, "物业管理条例 第14条（候选人名单随会议公告公布）"),
    candidate_notice_min_days=Rule(None, "物业管理条例 第14条（未规定公示期）"),
    result_publish_days=Rule(3, _DEFAULT),
    objection_window_days=Rule(7, _DEFAULT),
    first_meeting_days=Rule(7, "指导规则 第32条"),
    officers_publish_days=Rule(3, _default_after("北京 第42条")),
    filing_days=Rule(30, "物业管理条例 第16条"),
    reelection_months_before=Rule(3, _DEFAULT),
    term_years_min=Rule(None, _DEFAULT),
    term_years_max=Rule(5, _DEFAULT),
    term_years=Rule(None, _DEFAULT),
    handover_days=Rule(10, _DEFAULT),
    committee_size_min=Rule(5, "指导规则 第31条"),
    committee_size_max=Rule(11, "指导规则 第31条"),
    committee_size_odd=Rule(True, "指导规则 第31条"),
    small_compound_committee_size=Rule(None, "指导规则 第31条"),
    small_compound_max_households=Rule(None, "指导规则 第31条"),
    small_compound_max_area=Rule(None, "指导规则 第31条"),
    voting_days_min=Rule(None, "物业管理条例 第12条（集体讨论可在一日内进行）"),
    voting_days_max=Rule(None, "物业管理条例 第12条"),
    proxy_principals_max=Rule(3, "潍坊 2022 第32条；通行做法"),
    # 指导规则 第八条 ties the first assembly's preparation to the delivered area passing half;
    # local regulations word the conditions "达到…百分之五十以上，或者首套房屋交付满两年", which
    # is how issue 15 states them (docs/decisions.md: the first assembly's conditions).
    first_assembly_delivered_percent=Rule(50, "指导规则 第八条；地方条例（交付面积达到50%以上）"),
    first_assembly_years_since_delivery=Rule(2, "地方条例（首套房屋交付满两年）"),
    working_group_odd=Rule(True, "指导规则 第十条"),
    working_group_owner_percent_min=Rule(50, "指导规则 第十条"),
    # 指导规则 第十条: the 筹备组 is led by the street office's representative; the 换届小组 is led by
    # the street office or the residents' committee under its guidance (RULES.md §7, 北京 52–58).
    working_group_leaders=Rule(("street", "residents_committee"), "指导规则 第十条；RULES.md §7"),
    reelection_group_days=Rule(
        60, _default_after("杭州实务：街道自收到换届书面报告之日起60日内组建换届工作组")
    ),
    city_platform=Rule(False, _DEFAULT),
    property_committee_term_years_max=Rule(None, "RULES.md §7（仅北京、杭州设物业管理委员会）"),
    property_committee_members_min=Rule(7, "北京 第52–58条；杭州 第38–41条"),
    change_filing_days=Rule(30, "指导规则 第34条"),
    member_handover_days=Rule(7, "上海 第29–30条；杭州 第34条"),
    # RULES.md sets no number for either: docs/decisions.md "Escalation" gives the reading.
    escalation_term_days=Rule(
        60, _default_after("杭州实务：街道自收到换届书面报告之日起60日内组建换届工作组")
    ),
    escalation_stalled_days=Rule(30, _DEFAULT),
    vacancy_filing_days=Rule(15, "RULES.md §7（深圳 第41条；北京 第41条）"),
    outgoing_committee_major_matters_barred=Rule(False, _DEFAULT),
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
    term_years=Rule(None, "上海"),
    handover_days=Rule(10, "上海 第29–30条"),
    committee_size_min=Rule(5, "上海 第20条"),
    committee_size_max=Rule(11, "上海 第20条"),
    committee_size_odd=Rule(True, "上海 第20条"),
    # 上海 第20条: a compound of at most 10,000 ㎡ of building area may elect three members.
    small_compound_committee_size=Rule(3, "上海 第20条"),
    small_compound_max_area=Rule(10000, "上海 第20条"),
    outgoing_committee_major_matters_barred=Rule(True, "上海 第28条"),
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
    # 北京 第39条: a compound of at most 100 households may elect three members.
    small_compound_committee_size=Rule(3, "北京 第39条"),
    small_compound_max_households=Rule(100, "北京 第39条"),
    city_platform=Rule(True, "北京 第35条（北京市业主决策电子投票平台）"),
    property_committee_term_years_max=Rule(3, "北京 第52–58条"),
    property_committee_members_min=Rule(7, "北京 第52–58条"),
)

HANGZHOU = replace(
    NATIONAL,
    key="hangzhou",
    label="杭州",
    temporary_meeting_notice_days=Rule(7, "杭州（临时业主大会会议）"),
    candidate_notice_start_days_before_voting=Rule(15, "杭州 第26条"),
    candidate_notice_min_days=Rule(7, "杭州 第26条"),
    result_publish_days=Rule(3, "杭州 第29条"),
    reelection_months_before=Rule(3, "杭州"),
    term_years_min=Rule(3, "杭州"),
    term_years_max=Rule(5, "杭州"),
    term_years=Rule(None, "杭州"),
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
    city_platform=Rule(True, "杭州 第20条（杭州市电子投票平台）"),
    property_committee_term_years_max=Rule(2, "杭州 第38–41条"),
    property_committee_members_min=Rule(7, "杭州 第38–41条"),
)

SHENZHEN = replace(
    NATIONAL,
    key="shenzhen",
    label="深圳",
    reelection_months_before=Rule(6, "深圳（街道实务）"),
    city_platform=Rule(True, "深圳（市业主电子投票平台）"),
)

# 广州 asks online votes to go through the city's platform as 深圳 does (RULES.md §7); its other
# values are the national ones until its own numbers are entered.
GUANGZHOU = replace(
    NATIONAL,
    key="guangzhou",
    label="广州",
    city_platform=Rule(True, "广州（市业主决策电子投票平台）"),
)

#: Every profile by key, in the order a staff form lists them.
PROFILES: Mapping[str, Profile] = {
    p.key: p for p in (NATIONAL, SHANGHAI, BEIJING, HANGZHOU, SHENZHEN, GUANGZHOU)
}


def get_profile(key: str) -> Profile:
    """The profile called ``key`` (``national``, ``shanghai``, ``beijing``, ``hangzhou``, ``shenzhen``)."""
    try:
        return PROFILES[key]
    except KeyError:
        raise KeyError(f"未知的地区配置: {key}") from None
