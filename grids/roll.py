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

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from grids.idcard import hash_id_number
from grids.models import Compound, Owner, Ownership, Unit

TWO_PLACES = Decimal("0.01")


def voter_key_for(*, status: str, owner_ids: Iterable[int], developer: int | None = None) -> str:
    """The key of a unit's voter: "developer", or the sorted owner ids ({A,B} = {B,A}).

    ``developer`` is the pk of the compound's developer as an owner (`developer_owner_id`): a
    delivered unit registered to it alone is its own (自持) and belongs to the developer's voter,
    with its unsold and undelivered units (解释 第9条: the developer is one owner)."""
    if status != Unit.Status.DELIVERED:
        return Unit.DEVELOPER_KEY
    ids = sorted({int(i) for i in owner_ids})
    if not ids:
        return ""
    if developer is not None and ids == [developer]:
        return Unit.DEVELOPER_KEY
    key = "o" + "-".join(str(i) for i in ids)
    if len(key) > 200:
        key = "h" + hashlib.sha256(key.encode()).hexdigest()
    return key


def developer_owner_id(compound: Compound) -> int | None:
    """The pk of the owner record whose identity number is the compound's developer's unified social
    credit code, or None (no developer recorded, or no unit registered to it)."""
    if not compound.developer_uscc:
        return None
    id_hash = hash_id_number(compound.developer_uscc, settings.ID_NUMBER_SALT)
    return Owner.objects.filter(id_hash=id_hash).values_list("pk", flat=True).first()


def refresh_voter_keys(unit_ids: Iterable[int]) -> list[Unit]:
    """Recompute `Unit.voter_key` of these units from their ownerships and their compound's developer
    (a few queries and one update); return the units whose key changed. The caller audits them."""
    unit_ids = {pk for pk in unit_ids if pk}
    if not unit_ids:
        return []
    owners: dict[int, list[int]] = {pk: [] for pk in unit_ids}
    for unit_id, owner_id in Ownership.objects.filter(unit_id__in=unit_ids).values_list(
        "unit_id", "owner_id"
    ):
        owners[unit_id].append(owner_id)
    units = list(
        Unit.objects.filter(pk__in=unit_ids)
        .select_related("compound")
        .only("pk", "status", "voter_key", "compound_id", "code", "compound__developer_uscc")
    )
    developers: dict[int, int | None] = {}
    stale = []
    for unit in units:
        if unit.compound_id not in developers:
            developers[unit.compound_id] = developer_owner_id(unit.compound)
        key = voter_key_for(
            status=unit.status, owner_ids=owners[unit.pk], developer=developers[unit.compound_id]
        )
        if key != unit.voter_key:
            unit.voter_key = key
            stale.append(unit)
    Unit.objects.bulk_update(stale, ["voter_key"], batch_size=500)
    return stale


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


def roll_of_rows(
    rows: Iterable[tuple[Decimal, str, Iterable[str]]], developer: str | None = None
) -> Roll | None:
    """The roll a list of (area, status, owner ids) would give, before anything is saved (the roll
    import's preview): voters grouped as `voter_key_for` groups them, the developer's unsold and
    undelivered units, and the units registered to ``developer`` alone (its identity number), as
    one voter. None when a delivered unit has no owner (the import refuses it with its own
    message). The live count builds its voters with the pure tally, which groups the same way
    (tests/grids/test_roll.py holds the two together)."""
    areas: dict[object, Decimal] = {}
    counts: dict[object, int] = {}
    own = frozenset({developer}) if developer else None
    for area, status, owner_ids in rows:
        owners = frozenset(owner_ids)
        if status == Unit.Status.DELIVERED and not owners:
            return None
        key: object = Unit.DEVELOPER_KEY if status != Unit.Status.DELIVERED or owners == own else owners
        areas[key] = areas.get(key, Decimal("0")) + Decimal(area)
        counts[key] = counts.get(key, 0) + 1
    area = sum(areas.values(), Decimal("0.00")).quantize(TWO_PLACES)
    return Roll(units=sum(counts.values()), area=area, heads=len(areas), voters=())


#: Checks that may refuse removing units from a compound's roll, registered by the apps that hold
#: them (elections registers "units on an election's frozen roll"): (compound, unit codes) → the
#: codes that must stay. grids names no other app.
ROLL_REMOVAL_GUARDS: list = []


def units_that_must_stay(compound: Compound, codes: list[str]) -> list[str]:
    if not codes:
        return []
    kept: set[str] = set()
    for guard in ROLL_REMOVAL_GUARDS:
        kept.update(guard(compound, codes))
    return sorted(kept)


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


# ---------------------------------------------------------------------------------------------
# Voters who share a person (RULES.md §1: a reading of 解释 第9条, shown to staff)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SharedVoter:
    key: str
    label: str  # the voter's owners, or 建设单位
    units: tuple[str, ...]  # unit codes


@dataclass(frozen=True)
class SharedPerson:
    """One registered owner who belongs to several voters ({A, B} for one home, {A} for another)."""

    owner_id: int
    name: str
    voters: tuple[SharedVoter, ...]


def shared_people(rows: Iterable[tuple[int, str, str, str]], labels: dict[str, str]) -> list[SharedPerson]:
    """From (owner pk, owner name, voter key, unit code) rows, the owners found in more than one
    voter, each with those voters (label from ``labels``, else the key) and their units; sorted by
    name. RULES.md §1 keeps partly overlapping owner sets apart as the register shows them; staff
    see where that reading splits one person's homes."""
    by_owner: dict[int, dict[str, list[str]]] = {}
    names: dict[int, str] = {}
    for owner_id, name, key, code in rows:
        if not key:
            continue
        names[owner_id] = name
        by_owner.setdefault(owner_id, {}).setdefault(key, []).append(code)
    people = []
    for owner_id, voters in by_owner.items():
        if len(voters) < 2:
            continue
        people.append(
            SharedPerson(
                owner_id=owner_id,
                name=names[owner_id],
                voters=tuple(
                    SharedVoter(key=key, label=labels.get(key, key), units=tuple(sorted(codes)))
                    for key, codes in sorted(voters.items(), key=lambda item: sorted(item[1])[0])
                ),
            )
        )
    people.sort(key=lambda p: (p.name, p.owner_id))
    return people


def developer_label(compound: Compound) -> str:
    """建设单位, with its name when the roll knows it."""
    if compound.developer_name:
        return _("Developer (%(name)s)") % {"name": compound.developer_name}
    return _("Developer")


def roll_shared_people(compound: Compound) -> list[SharedPerson]:
    """`shared_people` of the compound's roll as it is now (the units that count): two queries."""
    rows = list(
        Ownership.objects.filter(unit__in=counted_units(compound))
        .order_by()
        .values_list("owner_id", "owner__name", "unit__voter_key", "unit__code")
    )
    keys = {key for _owner, _name, key, _code in rows}
    labels = {Unit.DEVELOPER_KEY: developer_label(compound)}
    names: dict[str, list[str]] = {}
    for key, name in (
        Ownership.objects.filter(unit__compound=compound, unit__voter_key__in=keys - {Unit.DEVELOPER_KEY})
        .order_by("owner__name")
        .values_list("unit__voter_key", "owner__name")
        .distinct()
    ):
        if name not in names.setdefault(key, []):
            names[key].append(name)
    labels.update({key: "、".join(n) for key, n in names.items()})
    return shared_people(rows, labels)
