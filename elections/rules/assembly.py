"""The owners' assembly before and between elections: when the first assembly (首次业主大会) may be
called, how its working group (筹备组, and a re-election's 换届小组) is made up, and when owners'
signatures oblige the committee to call a temporary assembly (临时业主大会). Pure Python, no Django:
exact ``Fraction`` arithmetic on areas and heads, plain dataclasses in and out.

"以上/以下" include the number itself and "超过/不满" exclude it (民法典 第1259条): "达到…百分之五十
以上" and "百分之二十以上" are met by exactly 50 % and exactly 20 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from elections.rules.periods import add_years
from elections.rules.profiles import Profile

# --------------------------------------------------------------------------------------------------
# The first assembly's conditions (首次业主大会会议的召开条件)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstAssemblyCheck:
    """Whether a compound may call its first assembly on ``on``, and the figures that decide it.

    ``area_met``: the delivered units' area reaches the profile's percentage of the total area.
    ``time_met``: the profile's years have passed since the first unit was delivered: the period
    starts the day after the delivery and ends at 24:00 on the anniversary (民法典 第201–202条), so
    the condition holds from the day after the anniversary (``time_met_from``).
    """

    delivered_area: Decimal
    total_area: Decimal
    percent: int
    first_delivery: date | None
    years: int | None
    on: date

    @property
    def delivered_share(self) -> Fraction | None:
        if self.total_area <= 0:
            return None
        return Fraction(self.delivered_area) / Fraction(self.total_area)

    @property
    def area_met(self) -> bool:
        share = self.delivered_share
        return share is not None and share * 100 >= self.percent

    @property
    def time_met_from(self) -> date | None:
        """The first day on which the years since the first delivery have passed."""
        if self.first_delivery is None or self.years is None:
            return None
        return date.fromordinal(add_years(self.first_delivery, self.years).toordinal() + 1)

    @property
    def time_met(self) -> bool:
        start = self.time_met_from
        return start is not None and self.on >= start

    @property
    def met(self) -> bool:
        return self.area_met or self.time_met


def first_assembly_check(
    *,
    delivered_area: Decimal,
    total_area: Decimal,
    first_delivery: date | None,
    on: date,
    profile: Profile,
) -> FirstAssemblyCheck:
    """The first assembly's conditions on ``on`` for a compound with these figures."""
    return FirstAssemblyCheck(
        delivered_area=Decimal(delivered_area),
        total_area=Decimal(total_area),
        percent=profile.first_assembly_delivered_percent.value,
        first_delivery=first_delivery,
        years=profile.first_assembly_years_since_delivery.value,
        on=on,
    )


# --------------------------------------------------------------------------------------------------
# The working group's make-up (筹备组/换届小组的组成, 指导规则 第十条)
# --------------------------------------------------------------------------------------------------

#: The affiliation of an owners' representative and the role of the group's leader
#: (``elections.models.WorkingGroupMember`` values).
OWNER = "owner"
LEADER = "leader"


@dataclass(frozen=True)
class GroupMember:
    affiliation: str
    role: str


@dataclass(frozen=True)
class GroupProblem:
    """One way the working group breaks its profile's make-up: a stable code and the numbers.

    Codes: ``working_group_even`` (an even number of members), ``working_group_owners_short``
    (fewer owners' representatives than the profile's share), ``working_group_no_leader``,
    ``working_group_leaders`` (more than one leader), ``working_group_leader_affiliation`` (the
    leader is from an affiliation the profile does not allow to lead).
    """

    code: str
    size: int
    owners: int = 0
    owners_needed: int = 0
    leaders: int = 0
    leader_affiliation: str = ""
    allowed: tuple[str, ...] = ()
    source: str = ""


def owners_needed(size: int, percent: int) -> int:
    """The fewest owners' representatives a group of ``size`` needs: at least ``percent`` %."""
    return -(-size * percent // 100)  # the ceiling of size × percent / 100, in integers


def working_group_problems(members: Iterable[GroupMember], profile: Profile) -> list[GroupProblem]:
    """What is wrong with the group's make-up under the profile (empty: nothing). An empty group
    has no make-up to check yet (the notice asks for members first)."""
    members = list(members)
    size = len(members)
    if size == 0:
        return []
    found: list[GroupProblem] = []
    if profile.working_group_odd.value and size % 2 == 0:
        found.append(GroupProblem("working_group_even", size, source=profile.working_group_odd.source))
    percent = profile.working_group_owner_percent_min.value
    owners = sum(1 for m in members if m.affiliation == OWNER)
    needed = owners_needed(size, percent)
    if owners < needed:
        found.append(
            GroupProblem(
                "working_group_owners_short",
                size,
                owners=owners,
                owners_needed=needed,
                source=profile.working_group_owner_percent_min.source,
            )
        )
    leaders = [m for m in members if m.role == LEADER]
    allowed = profile.working_group_leaders.value
    source = profile.working_group_leaders.source
    if not leaders:
        found.append(GroupProblem("working_group_no_leader", size, allowed=allowed, source=source))
    elif len(leaders) > 1:
        found.append(GroupProblem("working_group_leaders", size, leaders=len(leaders), source=source))
    elif leaders[0].affiliation not in allowed:
        found.append(
            GroupProblem(
                "working_group_leader_affiliation",
                size,
                leaders=1,
                leader_affiliation=leaders[0].affiliation,
                allowed=allowed,
                source=source,
            )
        )
    return found


# --------------------------------------------------------------------------------------------------
# Owners' proposals for a temporary assembly (临时业主大会, 指导规则 第二十一条; 物业管理条例 第十三条)
# --------------------------------------------------------------------------------------------------

#: "专有部分占建筑物总面积20%以上且占总人数20%以上的业主提议": both shares, each at least a fifth.
PROPOSAL_SHARE = Fraction(1, 5)
PROPOSAL_SOURCE = "指导规则 第二十一条；物业管理条例 第十三条"


@dataclass(frozen=True)
class ProposalSupport:
    """The signers of a proposal against the compound's roll, and whether they reach the share."""

    signed_area: Decimal
    signed_heads: int
    total_area: Decimal
    total_heads: int
    share: Fraction = PROPOSAL_SHARE

    @property
    def area_share(self) -> Fraction | None:
        return Fraction(self.signed_area) / Fraction(self.total_area) if self.total_area > 0 else None

    @property
    def heads_share(self) -> Fraction | None:
        return Fraction(self.signed_heads, self.total_heads) if self.total_heads > 0 else None

    @property
    def area_met(self) -> bool:
        share = self.area_share
        return share is not None and share >= self.share

    @property
    def heads_met(self) -> bool:
        share = self.heads_share
        return share is not None and share >= self.share

    @property
    def met(self) -> bool:
        """Both shares reached: 20 % of the area AND 20 % of the heads."""
        return self.area_met and self.heads_met

    @property
    def area_needed(self) -> Decimal:
        """The area the signers must hold at least (exact, rounded up to the cent)."""
        exact = Fraction(self.total_area) * self.share
        cents = -(-exact.numerator * 100 // exact.denominator)
        return Decimal(cents) / 100

    @property
    def heads_needed(self) -> int:
        exact = self.total_heads * self.share
        return -(-exact.numerator // exact.denominator)
