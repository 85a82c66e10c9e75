"""What the elected committees are made of, rolled up by community and street (结构统计).

Streets report it: 曹杨's "red committees" with 71.4 % party members, 韶山's 75 compounds where
the branch secretary chairs the committee (一肩挑), cross-membership between the committee and
the compound's party branch (交叉任职). The candidate advisory (``nominations.composition_advisory``)
advises before the vote; this counts what was elected. Reads only; the caller passes compounds
already scoped to the user. A fixed number of queries whatever the number of compounds:

1. the committee in office of each compound (the latest whose ``ended_on`` is empty, as the
   board counts it: an elected committee awaiting its filing counts), with its members;
2. the compound party branches;
3. the party members among the committees' owners (their posts, in which organisation).

Definitions (docs/guide-street.md repeats them):

- *Members* are the seated members; alternates (候补委员) are left out.
- A member is a *party member* when the register says so (``CommitteeMember.party_member``) or when
  the owner is a member of any party organisation entered in Yezhu.
- A member is *cross-posted* (交叉任职) when the register says so (``cross_post``) or when the owner
  holds a post (书记、副书记、委员) in the compound's branch.
- *The secretary chairs* (一肩挑) when the chair is marked as the branch secretary on the register or
  is the owner who is secretary of the compound's branch.
- A committee *meets the street's advice* when its party share reaches the street's
  ``party_share_target`` (advisory, the same figure as the candidate advisory).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from math import floor

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from elections.models import Committee, CommitteeMember
from grids.models import Community, Compound, PartyMember, PartyOrg, Street

Role = CommitteeMember.Role


def percent(part: int, whole: int) -> str:
    """``part / whole`` with one decimal, rounded half up ("71.4%"); "—" for 0/0 (as the board's)."""
    if whole <= 0:
        return "—"
    tenths = floor(Fraction(part * 1000, whole) + Fraction(1, 2))
    return f"{tenths // 10}.{tenths % 10}%"


@dataclass
class CommitteeComposition:
    committee: Committee
    compound: Compound
    has_branch: bool
    seated: int
    party: int
    cross: int
    secretary_chairs: bool
    chair: str
    target: Fraction

    @property
    def community(self) -> Community:
        return self.compound.community

    @property
    def street(self) -> Street:
        return self.compound.community.street

    @property
    def party_share(self) -> Fraction | None:
        return Fraction(self.party, self.seated) if self.seated else None

    @property
    def party_percent(self) -> str:
        return percent(self.party, self.seated)

    @property
    def meets_target(self) -> bool:
        return self.party_share is not None and self.party_share >= self.target


@dataclass(frozen=True)
class Rate:
    count: int
    total: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.total) if self.total else None

    @property
    def percent(self) -> str:
        return percent(self.count, self.total)


@dataclass(frozen=True)
class CompositionFigures:
    committees: int
    members: int
    party: int
    with_cross: int  # committees with at least one cross-posted member
    cross_members: int
    secretary_chairs: int
    meeting_target: int

    @property
    def party_rate(self) -> Rate:  # party members among the seated members
        return Rate(self.party, self.members)

    @property
    def cross_rate(self) -> Rate:  # committees with cross-membership
        return Rate(self.with_cross, self.committees)

    @property
    def secretary_rate(self) -> Rate:  # committees chaired by the branch secretary (一肩挑)
        return Rate(self.secretary_chairs, self.committees)

    @property
    def target_rate(self) -> Rate:  # committees meeting the street's advised party share
        return Rate(self.meeting_target, self.committees)

    def as_rates(self) -> list[tuple[str, Rate]]:
        return [
            ("party", self.party_rate),
            ("cross", self.cross_rate),
            ("secretary", self.secretary_rate),
            ("target", self.target_rate),
        ]


def rate_labels() -> dict[str, str]:
    """What each rate is called on the board, the composition page and the export."""
    return {
        "party": _("Party members among committee members"),
        "cross": _("Committees cross-posted with the party branch"),
        "secretary": _("Committees chaired by the branch secretary"),
        "target": _("Committees meeting the street's advised party share"),
    }


def compositions(compounds: QuerySet[Compound]) -> list[CommitteeComposition]:
    """One row per compound of ``compounds`` (already scoped) that has a committee in office."""
    base = compounds.values("pk")
    chosen: dict[int, Committee] = {}
    seated = CommitteeMember.objects.exclude(role=Role.ALTERNATE).order_by("position", "pk")
    for committee in (
        Committee.objects.filter(compound__in=base, ended_on__isnull=True)
        .select_related("compound__community__street")
        .prefetch_related(Prefetch("members", queryset=seated, to_attr="seated_members"))
        .order_by("compound_id", "-term_start", "-pk")
    ):
        chosen.setdefault(committee.compound_id, committee)
    branches = dict(
        PartyOrg.objects.filter(level=PartyOrg.Level.COMPOUND, compound__in=base).values_list(
            "compound_id", "pk"
        )
    )
    owners = {m.owner_id for c in chosen.values() for m in c.seated_members if m.owner_id}
    in_party: set[int] = set()
    posts: dict[tuple[int, int], set[str]] = defaultdict(set)  # (owner, org) → roles
    for owner_id, org_id, role in PartyMember.objects.filter(owner_id__in=owners).values_list(
        "owner_id", "org_id", "role"
    ):
        in_party.add(owner_id)
        posts[(owner_id, org_id)].add(role)
    rows = []
    for compound_id, committee in sorted(chosen.items(), key=lambda kv: (kv[1].compound.code, kv[0])):
        branch = branches.get(compound_id)
        members = committee.seated_members
        chair = next((m for m in members if m.role == Role.CHAIR), None)

        def branch_roles(member: CommitteeMember, branch=branch) -> set[str]:
            return posts.get((member.owner_id, branch), set()) if branch and member.owner_id else set()

        party = sum(1 for m in members if m.party_member or m.owner_id in in_party)
        cross = sum(
            1
            for m in members
            if m.cross_post or m.branch_secretary or branch_roles(m) & set(PartyMember.OFFICER_ROLES)
        )
        secretary = chair is not None and (
            chair.branch_secretary or PartyMember.Role.SECRETARY in branch_roles(chair)
        )
        rows.append(
            CommitteeComposition(
                committee=committee,
                compound=committee.compound,
                has_branch=branch is not None,
                seated=len(members),
                party=party,
                cross=cross,
                secretary_chairs=bool(secretary),
                chair=chair.name if chair else "",
                target=Fraction(committee.compound.community.street.party_share_target),
            )
        )
    return rows


def figures(rows: Iterable[CommitteeComposition]) -> CompositionFigures:
    rows = list(rows)
    return CompositionFigures(
        committees=len(rows),
        members=sum(r.seated for r in rows),
        party=sum(r.party for r in rows),
        with_cross=sum(1 for r in rows if r.cross),
        cross_members=sum(r.cross for r in rows),
        secretary_chairs=sum(1 for r in rows if r.secretary_chairs),
        meeting_target=sum(1 for r in rows if r.meets_target),
    )


def by_community(rows: Iterable[CommitteeComposition]) -> list[tuple[Community, CompositionFigures]]:
    grouped: dict[int, list[CommitteeComposition]] = defaultdict(list)
    places: dict[int, Community] = {}
    for row in rows:
        grouped[row.community.pk].append(row)
        places[row.community.pk] = row.community
    order = sorted(grouped, key=lambda pk: (places[pk].street.name, places[pk].name, pk))
    return [(places[pk], figures(grouped[pk])) for pk in order]


def by_street(rows: Iterable[CommitteeComposition]) -> list[tuple[Street, CompositionFigures]]:
    grouped: dict[int, list[CommitteeComposition]] = defaultdict(list)
    places: dict[int, Street] = {}
    for row in rows:
        grouped[row.street.pk].append(row)
        places[row.street.pk] = row.street
    order = sorted(grouped, key=lambda pk: (places[pk].name, pk))
    return [(places[pk], figures(grouped[pk])) for pk in order]
