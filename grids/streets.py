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


UNCHANGED = object()  # a setting the caller leaves as it is


def _settings_of(street: Street) -> dict:
    budget = street.sms_monthly_budget
    return {
        "gate_start": street.gate_start,
        "gate_working_group": street.gate_working_group,
        "party_share_target": str(street.party_share_target),
        "sms_monthly_budget": None if budget is None else str(budget),
    }


def _budget(value):
    """The monthly text-message budget in 元 with at most two decimals, 0 or more; None or an empty
    string: no ceiling."""
    if value is UNCHANGED:
        return UNCHANGED
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise StreetError(
            _("Give the monthly text-message budget in yuan, 0 or more, with at most two decimals."),
            code="bad_budget",
        )
    if amount >= Decimal("10000000000"):
        raise StreetError(_("The monthly text-message budget is too large."), code="bad_budget")
    return amount.quantize(Decimal("0.01"))


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
    sms_monthly_budget: Decimal | str | None | object = UNCHANGED,
) -> Street:
    """Turn the street office's approvals of the start and of the working group on or off, and set
    the advisory party share and the monthly text-message budget (None: no ceiling; left out: as
    it was). Gates apply to the transitions taken from now on; the budget to sends asked for from
    now on."""
    require_actor(actor)
    if not may_set_street(actor, street):
        raise StreetError(_("Only the street office may change the street's settings."))
    try:
        target = Decimal(str(party_share_target)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise StreetError(_("Give the party share as a number between 0 and 1."), code="bad_target") from None
    if not Decimal("0") <= target <= Decimal("1"):
        raise StreetError(_("Give the party share as a number between 0 and 1."), code="bad_target")
    budget = _budget(sms_monthly_budget)
    with transaction.atomic():
        fresh = Street.objects.select_for_update().get(pk=street.pk)
        before = _settings_of(fresh)
        fresh.gate_start = bool(gate_start)
        fresh.gate_working_group = bool(gate_working_group)
        fresh.party_share_target = target
        if budget is not UNCHANGED:
            fresh.sms_monthly_budget = budget
        fresh.full_clean()
        fresh.save(
            update_fields=["gate_start", "gate_working_group", "party_share_target", "sms_monthly_budget"]
        )
        after = _settings_of(fresh)
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
