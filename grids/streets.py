"""A street's own settings, changed by its street office: the gates it holds on every election
(三关) and the advisory party share among candidates. One transaction with its audit row."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from grids.models import RoleAssignment, Street
from grids.selectors import roles_of
from yezhu.actors import is_system, require_actor
from yezhu.audit.log import record
from yezhu.errors import DomainError


class StreetError(DomainError):
    code = "street_refused"
    status = 403


def may_set_street(actor, street: Street) -> bool:
    """The street's own office (or a superuser, or the system acting anywhere)."""
    if is_system(actor):
        return actor.acts_anywhere
    if not getattr(actor, "is_authenticated", False):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return any(
        ra.role == RoleAssignment.Role.STREET_STAFF and ra.street_id == street.pk for ra in roles_of(actor)
    )


def street_settings_update(
    *,
    street: Street,
    actor,
    gate_start: bool,
    gate_working_group: bool,
    party_share_target: Decimal | str,
) -> Street:
    """Turn the street office's approvals of the start and of the working group on or off, and set
    the advisory party share. Gates apply to the transitions taken from now on."""
    require_actor(actor)
    if not may_set_street(actor, street):
        raise StreetError(_("Only the street office may change the street's settings."))
    try:
        target = Decimal(str(party_share_target)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise StreetError(_("Give the party share as a number between 0 and 1."), code="bad_target") from None
    if not Decimal("0") <= target <= Decimal("1"):
        raise StreetError(_("Give the party share as a number between 0 and 1."), code="bad_target")
    with transaction.atomic():
        fresh = Street.objects.select_for_update().get(pk=street.pk)
        before = {
            "gate_start": fresh.gate_start,
            "gate_working_group": fresh.gate_working_group,
            "party_share_target": str(fresh.party_share_target),
        }
        fresh.gate_start = bool(gate_start)
        fresh.gate_working_group = bool(gate_working_group)
        fresh.party_share_target = target
        fresh.full_clean()
        fresh.save(update_fields=["gate_start", "gate_working_group", "party_share_target"])
        after = {
            "gate_start": fresh.gate_start,
            "gate_working_group": fresh.gate_working_group,
            "party_share_target": str(fresh.party_share_target),
        }
        record(
            "street.settings",
            actor=actor,
            obj=fresh,
            street_id=fresh.pk,
            summary=f"street settings of {fresh.name} changed",
            data={"before": before, "after": after},
        )
    street.refresh_from_db()
    return street
