"""The statutory voter roll of a compound (RULES.md §1).

A voter is the developer (all its unsold and sold-but-undelivered units together) or one buyer
(a set of registered owners) with every unit registered to exactly that set. Each voter weighs
the sum of its units' areas and one head. `Unit.voter_key` names the voter of each unit, so the
roll is one aggregate query grouped by that key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from grids.models import Compound, Unit

TWO_PLACES = Decimal("0.01")


def voter_key_for(*, status: str, owner_ids: Iterable[int]) -> str:
    """The key of a unit's voter: "developer", or the sorted owner ids ({A,B} = {B,A})."""
    if status != Unit.Status.DELIVERED:
        return Unit.DEVELOPER_KEY
    ids = sorted({int(i) for i in owner_ids})
    if not ids:
        return ""
    key = "o" + "-".join(str(i) for i in ids)
    if len(key) > 200:
        key = "h" + hashlib.sha256(key.encode()).hexdigest()
    return key


@dataclass(frozen=True)
class RollVoter:
    key: str
    area: Decimal
    units: int


@dataclass(frozen=True)
class Roll:
    units: int
    area: Decimal
    heads: int
    voters: tuple[RollVoter, ...]

    def as_json(self) -> dict:
        return {"units": self.units, "area": f"{self.area.quantize(TWO_PLACES)}", "heads": self.heads}


def counted_units(compound: Compound) -> QuerySet[Unit]:
    """The units that count toward the roll: parking spaces and stalls only if the rules say so."""
    units = Unit.objects.filter(compound=compound)
    if not compound.parking_counts:
        units = units.exclude(kind__in=Unit.NOT_COUNTED_KINDS)
    return units


def compute_roll(compound: Compound, *, with_voters: bool = True) -> Roll:
    rows = (
        counted_units(compound)
        .values("voter_key")
        .annotate(area=Sum("area"), n=Count("id"))
        .order_by("voter_key")
    )
    voters = tuple(RollVoter(r["voter_key"], Decimal(r["area"]).quantize(TWO_PLACES), r["n"]) for r in rows)
    area = sum((v.area for v in voters), Decimal("0.00"))
    return Roll(
        units=sum(v.units for v in voters),
        area=area.quantize(TWO_PLACES),
        heads=len(voters),
        voters=voters if with_voters else (),
    )
