"""Scoped reads. Every queryset a user can reach starts here (DESIGN.md: scoping in one place).

Staff scopes nest: district → street → community → compound → grid. A resident sees only the
units registered to them (and the compounds those units are in).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet

from grids.models import Building, Community, Compound, Grid, Owner, OwnerClaim, RoleAssignment, Street, Unit

Role = RoleAssignment.Role
STAFF_ROLES = {Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.WORKING_GROUP, Role.AUDITOR}
MANAGING_ROLES = {Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.WORKING_GROUP}


def roles_of(user) -> list[RoleAssignment]:
    """The user's role assignments, fetched once per request and kept on the user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_yezhu_roles", None)
    if cached is None:
        cached = list(RoleAssignment.objects.filter(user=user))
        user._yezhu_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(getattr(user, "is_superuser", False)) or any(r.role in roles for r in roles_of(user))


def _compound_q(user, roles: Collection[str] | None = None) -> Q | None:
    """A Q over Compound for the user's staff roles (None: no staff scope at all)."""
    q = None
    for ra in roles_of(user):
        if roles is not None and ra.role not in roles:
            continue
        if ra.district_id:
            part = Q(community__street__district_id=ra.district_id)
        elif ra.street_id:
            part = Q(community__street_id=ra.street_id)
        elif ra.community_id:
            part = Q(community_id=ra.community_id)
        elif ra.compound_id:
            part = Q(pk=ra.compound_id)
        elif ra.grid_id:
            part = Q(grids__id=ra.grid_id)
        else:
            continue
        q = part if q is None else q | part
    return q


def staff_compounds(user, roles: Collection[str] | None = None) -> QuerySet[Compound]:
    """Compounds the user may work on as staff (optionally only through the given roles)."""
    if not getattr(user, "is_authenticated", False):
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    q = _compound_q(user, roles)
    if q is None:
        return Compound.objects.none()
    return Compound.objects.filter(q).distinct()


def managed_compounds(user) -> QuerySet[Compound]:
    """Compounds whose roll and elections the user may change (not auditors, not grid leaders)."""
    return staff_compounds(user, MANAGING_ROLES)


def owner_units(user) -> QuerySet[Unit]:
    """The units registered to the signed-in resident."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    return Unit.objects.filter(ownerships__owner__user=user).distinct()


def compounds_for(user) -> QuerySet[Compound]:
    """Every compound the user may see: their staff scope and the compounds they own in."""
    if not getattr(user, "is_authenticated", False):
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    q = _compound_q(user) or Q(pk__in=[])
    q |= Q(units__ownerships__owner__user=user)
    return Compound.objects.filter(q).distinct()


def grid_units(user) -> QuerySet[Unit]:
    """Units in the buildings of the grids the user leads (网格长/楼组长)."""
    grid_ids = [ra.grid_id for ra in roles_of(user) if ra.role == Role.GRID_LEADER]
    if not grid_ids:
        return Unit.objects.none()
    return Unit.objects.filter(building__grids__id__in=grid_ids).distinct()


def units_for(user) -> QuerySet[Unit]:
    """Units the user may see: staff scope, grid scope, and their own."""
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    if user.is_superuser:
        return Unit.objects.all()
    q = Q(ownerships__owner__user=user)
    staff_q = _compound_q(user, STAFF_ROLES)
    if staff_q is not None:
        q |= Q(compound__in=Compound.objects.filter(staff_q))
    grid_ids = [ra.grid_id for ra in roles_of(user) if ra.role == Role.GRID_LEADER]
    if grid_ids:
        q |= Q(building__grids__id__in=grid_ids)
    return Unit.objects.filter(q).distinct()


def streets_for(user) -> QuerySet[Street]:
    if not getattr(user, "is_authenticated", False):
        return Street.objects.none()
    if user.is_superuser:
        return Street.objects.all()
    q = None
    for ra in roles_of(user):
        part = None
        if ra.role in (Role.DISTRICT_STAFF, Role.AUDITOR) and ra.district_id:
            part = Q(district_id=ra.district_id)
        elif ra.role in (Role.STREET_STAFF, Role.AUDITOR) and ra.street_id:
            part = Q(pk=ra.street_id)
        if part is not None:
            q = part if q is None else q | part
    return Street.objects.filter(q) if q is not None else Street.objects.none()


def communities_for(user) -> QuerySet[Community]:
    return Community.objects.filter(compounds__in=staff_compounds(user)).distinct()


def buildings_for(user) -> QuerySet[Building]:
    return Building.objects.filter(compound__in=staff_compounds(user))


def grids_for(user) -> QuerySet[Grid]:
    if not getattr(user, "is_authenticated", False):
        return Grid.objects.none()
    if user.is_superuser:
        return Grid.objects.all()
    led = [ra.grid_id for ra in roles_of(user) if ra.role == Role.GRID_LEADER]
    q = Q(pk__in=led)
    staff_q = _compound_q(user, STAFF_ROLES)
    if staff_q is not None:
        q |= Q(compound__in=Compound.objects.filter(staff_q))
    return Grid.objects.filter(q).distinct()


def claims_for(user) -> QuerySet[OwnerClaim]:
    """Claims staff may decide: those on units of compounds they manage."""
    return OwnerClaim.objects.filter(unit__compound__in=managed_compounds(user)).select_related(
        "unit", "user"
    )


def owners_of(user) -> QuerySet[Owner]:
    return Owner.objects.filter(user=user)


def home_context_for(user) -> dict:
    """What the home page shows a signed-in person: their homes, and links to the work their roles allow."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    units = list(owner_units(user).select_related("compound").order_by("compound__name", "code"))
    wanted = []
    if user.is_superuser or any(
        r.role in (Role.STREET_STAFF, Role.DISTRICT_STAFF, Role.AUDITOR) for r in roles_of(user)
    ):
        wanted.append(("street:board", _("Street board")))
    if user.is_superuser or any(r.role in MANAGING_ROLES for r in roles_of(user)):
        wanted.append(("manage:index", _("Run elections")))
        wanted.append(("grids:compounds", _("Compounds and housing rolls")))
    if any(r.role == Role.GRID_LEADER for r in roles_of(user)):
        wanted.append(("grid:index", _("Canvassing in my grid")))
    links = [{"url": reverse(name), "title": title} for name, title in wanted]
    claim_url = reverse("grids:claim")
    return {"units": units, "staff_links": links, "claim_url": claim_url}
