"""The committee's seats between elections (RULES.md §7), read only: how many seats, members and
alternates it has, whether a by-election may fill its vacant seats, whether it is in 换届, and what
it may no longer put to the assembly. The services that change these are in
:mod:`elections.lifecycle.vacancies`; the election's setup and the transition table ask here.

Readings (docs/decisions.md "The committee between elections"):

- *Seats* are the committee's ``seats`` (the seats it was elected with); where not yet known, the
  members in office (a vacancy records the number before the member leaves).
- *Fewer than half* (不足二分之一) is ``2 × members < seats``: exactly half is not fewer than half,
  so a by-election is allowed then; one fewer is a full re-election.
- A by-election fills the vacant seats only, of a committee in office whose term has not ended,
  with no alternate left to move up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import P, Problem
from elections.lifecycle.moves import is_street_office
from elections.lifecycle.state import sitting_committee, street_profile_key
from elections.models import Committee, CommitteeMember, Election, Matter, PropertyCommittee, Race, Stage
from elections.rules import timeline as tl

Kind = Election.Kind
Role = CommitteeMember.Role

#: 民法典 第278条 items the outgoing committee may not put to the assembly during 换届 (上海 第28条):
#: hiring or dismissing the property manager, using or raising the maintenance fund.
MAJOR_ITEMS = (Matter.Item.PROPERTY_MANAGER, Matter.Item.USE_FUND, Matter.Item.RAISE_FUND)

#: Kinds of assembly the committee in office convenes (a first assembly and a re-election are
#: organised by the working group, not by the committee).
COMMITTEE_CONVENES = (Kind.MATTERS_ONLY, Kind.BY_ELECTION)


@dataclass(frozen=True)
class SeatState:
    seats: int
    members: int  # in office, not alternates (chair, vice-chairs, members)
    alternates: int

    @property
    def vacant(self) -> int:
        return max(self.seats - self.members, 0)

    @property
    def below_half(self) -> bool:
        """Fewer than half of the seats filled (不足二分之一): 2·members < seats; exactly half is not."""
        return 2 * self.members < self.seats


def seat_state(committee: Committee) -> SeatState:
    roles = list(CommitteeMember.objects.filter(committee=committee).values_list("role", flat=True))
    alternates = sum(1 for r in roles if r == Role.ALTERNATE)
    members = len(roles) - alternates
    seats = committee.seats
    if seats is None and committee.election_id is not None:  # elected here: the seats it was elected to
        seats = (
            sum(Race.objects.filter(election_id=committee.election_id).values_list("seats", flat=True))
            or None
        )
    if seats is None:
        seats = members
    return SeatState(seats=seats, members=members, alternates=alternates)


def committee_profile(committee: Committee) -> tl.Profile:
    return tl.PROFILES[street_profile_key(committee.compound)]


def is_expired(committee: Committee, today: date | None = None) -> bool:
    """The term has ended (it ends at 24:00 on ``term_end``): no extension (RULES.md §7)."""
    return (today or timezone.localdate()) > committee.term_end


def reelection_under_way(compound_id: int, exclude: int | None = None) -> bool:
    open_stages = [s for s in Stage.values if s not in (Stage.DONE, Stage.FAILED)]
    found = Election.objects.filter(compound_id=compound_id, kind=Kind.REELECTION, stage__in=open_stages)
    if exclude is not None:
        found = found.exclude(pk=exclude)
    return found.exists()


def in_changeover(committee: Committee, today: date | None = None) -> bool:
    """换届: the term's re-election window has begun (the profile's months before its end), or a
    re-election of the compound is under way."""
    today = today or timezone.localdate()
    if today >= tl.reelection_start(committee.term_end, committee_profile(committee)):
        return True
    return reelection_under_way(committee.compound_id)


def by_election_problems(
    compound_id: int, *, seats: int | None = None, today: date | None = None
) -> list[Problem]:
    """Why a by-election (补选) may not fill ``seats`` seats (None: any number yet) now."""
    committee = sitting_committee(compound_id)
    if committee is None:
        return [
            P(
                "no_sitting_committee",
                _(
                    "The compound has no committee in office: a by-election fills seats of a sitting committee."
                ),
            )
        ]
    problems: list[Problem] = []
    if is_expired(committee, today):
        problems.append(
            P(
                "committee_expired",
                _(
                    "The committee's term ended on %(end)s: its seats are not filled by a by-election. The "
                    "whole committee is re-elected (RULES.md §7)."
                )
                % {"end": committee.term_end.isoformat()},
            )
        )
        return problems
    state = seat_state(committee)
    if state.below_half:
        problems.append(
            P(
                "members_below_half",
                _(
                    "Only %(members)s of the committee's %(seats)s seats are filled, fewer than half: a "
                    "by-election is not allowed, the whole committee is re-elected at a temporary assembly "
                    "(指导规则：不足总数的二分之一时…重新选举)."
                )
                % {"members": state.members, "seats": state.seats},
            )
        )
        return problems
    if state.alternates:
        problems.append(
            P(
                "alternates_left",
                _(
                    "The committee still has %(n)s alternate member(s): a vacant seat goes to the next "
                    "alternate, not to a by-election."
                )
                % {"n": state.alternates},
            )
        )
    if state.vacant == 0:
        problems.append(P("no_vacant_seat", _("The committee has no vacant seat to fill.")))
    elif seats is not None and seats > state.vacant:
        problems.append(
            P(
                "by_election_too_many_seats",
                _("A by-election fills the vacant seats only: at most %(vacant)s seat(s), not %(seats)s.")
                % {"vacant": state.vacant, "seats": seats},
            )
        )
    return problems


def convene_problems(compound_id: int, kind: str, *, actor, today: date | None = None) -> list[Problem]:
    """An expired committee convenes no assembly (RULES.md §7): a vote on matters or a by-election
    is refused while the compound's committee in office has outlived its term, unless the street
    office itself organises it."""
    if kind not in COMMITTEE_CONVENES:
        return []
    committee = sitting_committee(compound_id)
    if committee is None or not is_expired(committee, today):
        return []
    if PropertyCommittee.objects.filter(compound_id=compound_id, dissolved_on__isnull=True).exists():
        return []  # the street office's 物管会 convenes in the interim (RULES.md §7)
    if kind == Kind.MATTERS_ONLY and is_street_office(actor, committee.compound.community.street_id):
        return []
    return [
        P(
            "committee_expired_cannot_convene",
            _(
                "The committee's term ended on %(end)s: an expired committee cannot convene an owners' "
                "assembly. The street office orders the re-election (RULES.md §7)."
            )
            % {"end": committee.term_end.isoformat()},
        )
    ]


def major_matter_problem(election: Election, item: int, today: date | None = None) -> Problem | None:
    """During 换届 the outgoing committee puts no major matter to the assembly, where the profile
    says so (上海 第28条). Applies to the assemblies the committee convenes (a vote on matters, a
    by-election), not to the re-election itself."""
    if item not in MAJOR_ITEMS or election.kind not in COMMITTEE_CONVENES:
        return None
    committee = sitting_committee(election.compound_id)
    if committee is None:
        return None
    rule = committee_profile(committee).outgoing_committee_major_matters_barred
    if not rule.value or not in_changeover(committee, today):
        return None
    return P(
        "major_matter_during_changeover",
        _(
            "The committee's term ends on %(end)s and its re-election is due: during the changeover the "
            "outgoing committee may not put hiring the property manager or the maintenance fund to the "
            "assembly (%(source)s)."
        )
        % {"end": committee.term_end.isoformat(), "source": rule.source},
    )
