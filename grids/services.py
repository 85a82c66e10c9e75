"""Writes for the housing roll: import (preview, then all-or-nothing commit), linking owners to
accounts, and owners' claims. Each write is one transaction with its audit row."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.bulk import insert_rows
from grids.idcard import USCC, InvalidIdNumber, hash_id_number, parse_id_number
from grids.models import Building, Community, Compound, Owner, OwnerClaim, Ownership, Street, Unit
from grids.roll import developer_owner_id, refresh_voter_keys, units_that_must_stay, voter_key_for
from grids.roll_file import ParsedRoll, ParsedUnit, parse_roll
from yezhu.actors import Actor, SystemActor
from yezhu.audit.log import record
from yezhu.errors import DomainError

if TYPE_CHECKING:
    from yezhu.accounts.models import User

PREVIEW_ROWS = 20  # the first rows of each list shown in a preview or a result


class RollError(DomainError):
    """The roll cannot be changed as asked; the message says why."""

    code = "roll_refused"
    status = 409


# ---------------------------------------------------------------------------------------------
# Compounds
# ---------------------------------------------------------------------------------------------


def compound_create(
    *, code: str, name: str, street_name: str, community_name: str, address: str = "", actor: Actor
) -> Compound:
    with transaction.atomic():
        street, _created = Street.objects.get_or_create(name=street_name)
        community, _created = Community.objects.get_or_create(street=street, name=community_name)
        compound = Compound(code=code, name=name, community=community, address=address)
        compound.full_clean()
        compound.save()
        record(
            "compound.created", actor=actor, obj=compound, compound_id=compound.pk, summary=f"{code} {name}"
        )
    return compound


def compound_first_delivery_set(*, compound: Compound, on: date | None, actor: Actor) -> Compound:
    """Record the day the compound's first home was delivered (首套房屋交付之日), or clear it; the
    first assembly's two-year condition counts from it. Staff who manage the compound only."""
    from grids.selectors import managed_compounds

    if isinstance(actor, SystemActor):
        if not actor.acts_anywhere:
            raise RollError(_("You do not manage this compound."))
    elif not managed_compounds(actor).filter(pk=compound.pk).exists():
        raise RollError(_("You do not manage this compound."))
    if on is not None and on > timezone.localdate():
        raise RollError(_("The first delivery cannot be in the future."))
    with transaction.atomic():
        locked = Compound.objects.select_for_update().get(pk=compound.pk)
        before = locked.first_delivered_on
        if before == on:
            return locked
        locked.first_delivered_on = on
        locked.save(update_fields=["first_delivered_on"])
        record(
            "compound.first_delivery",
            actor=actor,
            obj=locked,
            compound_id=locked.pk,
            summary=f"first delivery {before or '—'} → {on or '—'}",
            data={"before": before.isoformat() if before else None, "on": on.isoformat() if on else None},
        )
    compound.first_delivered_on = on
    return locked


def compound_developer_set(*, compound: Compound, name: str, uscc: str, actor: Actor) -> int:
    """Record the compound's developer (建设单位): its name and unified social credit code, or clear
    both. The units registered to that code alone become the developer's (one voter with its unsold
    and undelivered units, 解释 第9条), and units that no longer are leave it: every unit's voter is
    recomputed in the same transaction. Returns how many units changed voter.

    Elections whose roll is frozen keep their frozen voters; the change applies to the next freeze.
    """
    name, raw = " ".join((name or "").split()), (uscc or "").strip()
    code = ""
    if raw:
        try:
            parsed = parse_id_number(raw)
        except InvalidIdNumber:
            parsed = None
        if parsed is None or parsed.kind != USCC:
            raise RollError(
                _("“%(code)s” is not a valid unified social credit code (18 characters, GB 32100).")
                % {"code": raw[:30]}
            )
        code = parsed.number
        if not name:
            raise RollError(_("Give the developer's name as on its business licence."))
    elif name:
        raise RollError(_("Give the developer's unified social credit code with its name."))
    with transaction.atomic():
        locked = Compound.objects.select_for_update().get(pk=compound.pk)
        before = {"name": locked.developer_name, "uscc": locked.developer_uscc}
        locked.developer_name, locked.developer_uscc = name[:100], code
        locked.full_clean()
        locked.save(update_fields=["developer_name", "developer_uscc"])
        changed = refresh_voter_keys(
            Unit.objects.filter(compound=locked, status=Unit.Status.DELIVERED).values_list("pk", flat=True)
        )
        record(
            "compound.developer_set",
            actor=actor,
            obj=locked,
            compound_id=locked.pk,
            summary=f"developer {'set to ' + code if code else 'cleared'}: {len(changed)} units changed voter",
            data={
                "before": before,
                "after": {"name": locked.developer_name, "uscc": code},
                "units_changed": [u.code for u in changed[:200]],
                "units_changed_count": len(changed),
            },
        )
    compound.developer_name, compound.developer_uscc = locked.developer_name, locked.developer_uscc
    return len(changed)


# ---------------------------------------------------------------------------------------------
# Roll import
# ---------------------------------------------------------------------------------------------


@dataclass
class RollDiff:
    """What an import would change, against the current roll."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    area_changed: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)
    owners_changed: list[str] = field(default_factory=list)
    other_changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    units: int = 0
    owners: int = 0

    @property
    def changed(self) -> int:
        return len({*self.owners_changed, *self.other_changed, *(c for c, _, _ in self.area_changed)})

    def as_dict(self, limit: int = 200) -> dict:
        return {
            "units": self.units,
            "owners": self.owners,
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": self.changed,
            "unchanged": self.unchanged,
            "added_units": self.added[:limit],
            "removed_units": self.removed[:limit],
            "area_changes": [
                {"unit": c, "old": f"{o}", "new": f"{n}"} for c, o, n in self.area_changed[:limit]
            ],
            "owner_changes": self.owners_changed[:limit],
            "other_changes": self.other_changed[:limit],
        }


def _id_hash(id_number: str) -> str:
    return hash_id_number(id_number, settings.ID_NUMBER_SALT)


def roll_preview(*, compound: Compound, parsed: ParsedRoll) -> RollDiff:
    """Compare a parsed roll file with the compound's current roll, without writing anything."""
    diff = RollDiff(units=len(parsed.units), owners=len(parsed.owners))
    current = {
        code: (kind, area, source, status, entrance, number, building)
        for code, kind, area, source, status, entrance, number, building in Unit.objects.filter(
            compound=compound
        ).values_list("code", "kind", "area", "area_source", "status", "entrance", "number", "building__name")
    }
    current_owners: dict[str, set[str]] = defaultdict(set)
    for code, id_hash in Ownership.objects.filter(unit__compound=compound).values_list(
        "unit__code", "owner__id_hash"
    ):
        current_owners[code].add(id_hash)
    seen = set()
    for unit in parsed.units:
        seen.add(unit.code)
        old = current.get(unit.code)
        if old is None:
            diff.added.append(unit.code)
            continue
        kind, area, source, status, entrance, number, building = old
        changed = False
        if area != unit.area:
            diff.area_changed.append((unit.code, area, unit.area))
            changed = True
        new_owner_hashes = set() if unit.status != "delivered" else {_id_hash(i) for i in unit.owner_ids}
        old_owner_hashes = current_owners.get(unit.code, set()) if status == "delivered" else set()
        if new_owner_hashes != old_owner_hashes:
            diff.owners_changed.append(unit.code)
            changed = True
        if (kind, source, status) != (unit.kind, unit.area_source, unit.status):
            diff.other_changed.append(unit.code)
            changed = True
        if not changed:
            diff.unchanged += 1
    diff.removed = sorted(code for code in current if code not in seen)
    return diff


def preview_summary(diff: RollDiff) -> dict:
    """What the staff saw in a preview, in the form JSON gives back (to compare at the import)."""
    return json.loads(json.dumps(diff.as_dict(limit=PREVIEW_ROWS)))


def import_message(diff: RollDiff) -> str:
    """The one sentence that tells staff what an import did."""
    return _("Imported %(units)s units: %(added)s added, %(changed)s changed, %(removed)s removed.") % {
        "units": diff.units,
        "added": len(diff.added),
        "changed": diff.changed,
        "removed": len(diff.removed),
    }


class RollChangedError(RollError):
    """The roll changed between the preview the staff checked and the import: nothing was imported.
    `parsed` and `diff` (against the roll as it is now) let the caller show the new preview."""

    code = "roll_changed"

    def __init__(self, *, parsed: ParsedRoll, diff: RollDiff):
        super().__init__(
            _(
                "The housing roll was changed after your preview. Nothing was imported: "
                "upload the file again and check the new preview."
            )
        )
        self.parsed = parsed
        self.diff = diff


@dataclass(frozen=True)
class RollFileImport:
    """What `roll_file_import` did: the parsed file, its changes, and whether they were written."""

    parsed: ParsedRoll
    diff: RollDiff
    committed: bool


def roll_file_import(
    *,
    compound: Compound,
    data: bytes,
    filename: str,
    actor: Actor,
    commit: bool,
    expected: dict | None = None,
) -> RollFileImport:
    """The one way a roll file comes in, for the page, the background job, the API and the command:
    parse the file (RollFileError lists every bad row), compare it with the current roll, and with
    `commit` import it all or nothing with its audit row (`roll_import`).

    `expected` is the `preview_summary` the staff checked: when the roll no longer differs from
    the file exactly as that preview said, nothing is written and RollChangedError is raised.
    Without `commit` nothing is written (a dry run, the preview)."""
    parsed = parse_roll(data, filename)
    if not commit:
        return RollFileImport(
            parsed=parsed, diff=roll_preview(compound=compound, parsed=parsed), committed=False
        )
    diff = roll_import(compound=compound, parsed=parsed, actor=actor, filename=filename, expected=expected)
    return RollFileImport(parsed=parsed, diff=diff, committed=True)


def roll_import(
    *,
    compound: Compound,
    parsed: ParsedRoll,
    actor: Actor,
    filename: str = "",
    expected: dict | None = None,
) -> RollDiff:
    """Replace the compound's roll with the parsed file: all of it, or (on any error) nothing.
    With `expected` (a `preview_summary`), refuse with RollChangedError if the changes differ."""
    diff = roll_preview(compound=compound, parsed=parsed)
    if expected is not None and preview_summary(diff) != expected:
        raise RollChangedError(parsed=parsed, diff=diff)
    with transaction.atomic():
        Compound.objects.select_for_update().get(pk=compound.pk)
        if diff.removed:
            frozen = units_that_must_stay(compound, diff.removed)
            if frozen:
                raise RollError(
                    _("Units on the frozen roll of an election cannot be removed: %(units)s")
                    % {"units": "、".join(frozen[:20])}
                )

        # Owners, identified by the salted hash of their identity number.
        hashes = {id_number: _id_hash(id_number) for id_number in parsed.owners}
        existing = {o.id_hash: o for o in Owner.objects.filter(id_hash__in=hashes.values())}
        to_create, to_update = [], []
        for id_number, person in parsed.owners.items():
            owner = existing.get(hashes[id_number])
            mobile = person.mobile or ""
            if owner is None:
                to_create.append((person.name, mobile, hashes[id_number], id_number[-4:]))
            elif owner.name != person.name or (mobile and owner.mobile != mobile):
                owner.name = person.name
                owner.mobile = mobile or owner.mobile
                to_update.append(owner)
        insert_rows(Owner, ["name", "mobile", "id_hash", "id_last4"], to_create)
        Owner.objects.bulk_update(to_update, ["name", "mobile"], batch_size=2000)
        owner_pk = dict(Owner.objects.filter(id_hash__in=hashes.values()).values_list("id_hash", "pk"))
        # Units registered to the developer alone are its own (自持): one voter with its unsold and
        # undelivered units (解释 第9条).
        developer = developer_owner_id(compound)

        # Buildings.
        names = {u.building for u in parsed.units}
        have = set(Building.objects.filter(compound=compound).values_list("name", flat=True))
        Building.objects.bulk_create([Building(compound=compound, name=n) for n in sorted(names - have)])
        building_pk = dict(Building.objects.filter(compound=compound).values_list("name", "pk"))

        # Units, each with the key of its statutory voter (RULES.md §1) computed up front, so a
        # fresh import inserts them ready and a re-import updates only the units that changed.
        def owner_pks(pu: ParsedUnit) -> list[int]:
            return [owner_pk[hashes[i]] for i in pu.owner_ids] if pu.status == "delivered" else []

        current = {u.code: u for u in Unit.objects.filter(compound=compound)}
        new_units, changed_units = [], []
        fields = ["building_id", "entrance", "number", "kind", "area", "area_source", "status", "voter_key"]
        for pu in parsed.units:
            unit = current.get(pu.code)
            values = {
                "building_id": building_pk[pu.building],
                "entrance": pu.entrance,
                "number": pu.number,
                "kind": pu.kind,
                "area": pu.area,
                "area_source": pu.area_source,
                "status": pu.status,
                "voter_key": voter_key_for(status=pu.status, owner_ids=owner_pks(pu), developer=developer),
            }
            if unit is None:
                new_units.append((compound.pk, pu.code, *values.values(), False))
            elif any(getattr(unit, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(unit, k, v)
                changed_units.append(unit)
        Unit.objects.filter(compound=compound, code__in=diff.removed).delete()
        insert_rows(Unit, ["compound", "code", *fields, "central_household"], new_units)
        # bulk_update writes one CASE per batch; small batches keep each statement cheap to plan.
        Unit.objects.bulk_update(changed_units, fields, batch_size=500)
        unit_pk = dict(Unit.objects.filter(compound=compound).values_list("code", "pk"))

        # Ownerships: rewritten for every unit whose registered owners changed or that is new.
        touched = set(diff.added) | set(diff.owners_changed) | set(diff.other_changed)
        Ownership.objects.filter(unit_id__in=[unit_pk[c] for c in touched if c in current]).delete()
        Ownership.objects.bulk_create(
            [
                Ownership(unit_id=unit_pk[pu.code], owner_id=o)
                for pu in parsed.units
                if pu.code in touched
                for o in owner_pks(pu)
            ],
            batch_size=5000,
        )
        linked = link_owners_by_mobile(compound=compound)
        record(
            "roll.imported",
            actor=actor,
            obj=compound,
            compound_id=compound.pk,
            summary=f"roll imported from {filename or 'file'}: {diff.units} units, "
            f"+{len(diff.added)} -{len(diff.removed)} ~{diff.changed}",
            data={**diff.as_dict(limit=50), "linked_accounts": linked, "file": filename},
        )
    return diff


def link_owners_by_mobile(*, compound: Compound | None = None, user: User | None = None) -> int:
    """Link owner records to the accounts whose verified mobile number the roll lists."""
    from yezhu.accounts.models import User
    from yezhu.accounts.services import user_fill_name

    owners = Owner.objects.filter(user__isnull=True).exclude(mobile="")
    if compound is not None:
        owners = owners.filter(units__compound=compound).distinct()
    if user is not None:
        owners = owners.filter(mobile=user.phone)
        users = {user.phone: user.pk}
    else:
        users = dict(User.objects.filter(phone__in=owners.values("mobile")).values_list("phone", "pk"))
    linked = 0
    for owner in owners.only("pk", "mobile", "name"):
        user_pk = users.get(owner.mobile)
        if user_pk:
            if Owner.objects.filter(pk=owner.pk, user__isnull=True).update(user_id=user_pk):
                user_fill_name(user_id=user_pk, name=owner.name)
            linked += 1
    if user is not None and linked and not user.name:
        user.refresh_from_db(fields=["name"])
    return linked


# ---------------------------------------------------------------------------------------------
# Claims (认证申请)
# ---------------------------------------------------------------------------------------------


def claim_file(
    *,
    actor: User,
    unit: Unit,
    name: str,
    id_last4: str,
    certificate_number: str,
) -> OwnerClaim:
    name, id_last4, certificate_number = name.strip(), id_last4.strip().upper(), certificate_number.strip()
    if len(id_last4) != 4:
        raise RollError(_("Enter the last four characters of your identity number."))
    if Owner.objects.filter(user=actor, units=unit).exists():
        raise RollError(_("This home is already linked to your account."))
    if OwnerClaim.objects.filter(user=actor, unit=unit, status=OwnerClaim.Status.PENDING).exists():
        raise RollError(_("You already have a claim on this home waiting for review."))
    with transaction.atomic():
        claim = OwnerClaim(
            user=actor, unit=unit, name=name, id_last4=id_last4, certificate_number=certificate_number
        )
        claim.full_clean()
        claim.save()
        record(
            "claim.filed",
            actor=actor,
            obj=claim,
            compound_id=unit.compound_id,
            summary=f"claim on {unit}",
        )
    return claim


def _check_manages(actor: User, compound_id: int) -> None:
    from grids.selectors import managed_compounds

    if not managed_compounds(actor).filter(pk=compound_id).exists():
        raise RollError(_("You do not manage this compound."))


def claim_approve(
    *,
    claim: OwnerClaim,
    actor: User,
) -> Owner:
    """Link the claimant to the owner record on the unit whose name and ID digits match."""
    _check_manages(actor, claim.unit.compound_id)
    with transaction.atomic():
        claim = OwnerClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != OwnerClaim.Status.PENDING:
            raise RollError(_("This claim has already been decided."))
        owner = Owner.objects.filter(units=claim.unit, name=claim.name, id_last4=claim.id_last4).first()
        if owner is None:
            raise RollError(
                _(
                    "No owner on the roll of %(unit)s has this name and these ID digits. "
                    "Correct the housing roll first, or reject the claim with a reason."
                )
                % {"unit": claim.unit.code}
            )
        if owner.user_id and owner.user_id != claim.user_id:
            raise RollError(_("This owner is already linked to another account."))
        owner.user = claim.user
        owner.save(update_fields=["user"])
        from yezhu.accounts.services import user_fill_name

        user_fill_name(user_id=claim.user_id, name=owner.name)
        claim.status = OwnerClaim.Status.APPROVED
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "decided_by", "decided_at"])
        record(
            "claim.approved",
            actor=actor,
            obj=claim,
            compound_id=claim.unit.compound_id,
            summary=f"claim on {claim.unit} approved",
        )
    return owner


def claim_reject(
    *,
    claim: OwnerClaim,
    actor: User,
    reason: str,
) -> OwnerClaim:
    _check_manages(actor, claim.unit.compound_id)
    reason = reason.strip()
    if not reason:
        raise RollError(_("Give the owner a reason for the rejection."))
    with transaction.atomic():
        claim = OwnerClaim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != OwnerClaim.Status.PENDING:
            raise RollError(_("This claim has already been decided."))
        claim.status = OwnerClaim.Status.REJECTED
        claim.reason = reason
        claim.decided_by = actor
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        record(
            "claim.rejected",
            actor=actor,
            obj=claim,
            compound_id=claim.unit.compound_id,
            summary=f"claim on {claim.unit} rejected",
            data={"reason": reason},
        )
    return claim
