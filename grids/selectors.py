"""Scoped reads. Every queryset a user can reach starts here (DESIGN.md: scoping in one place).

Staff scopes nest: district → street → community → compound → grid. A resident sees only the
units registered to them (and the compounds those units are in).
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet

from grids.models import (
    Building,
    Community,
    Compound,
    Grid,
    Owner,
    OwnerClaim,
    PartyMember,
    PartyOrg,
    PartyReport,
    RoleAssignment,
    Street,
    Unit,
)

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


# ---------------------------------------------------------------------------------------------
# The party organisation (党工委 → 社区党委 → 小区党支部 → 楼栋党小组)
# ---------------------------------------------------------------------------------------------

#: Staff who see and edit their part of the tree: the street's and the community's (and the district's).
PARTY_EDIT_ROLES = {Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
#: …and auditors, who read it.
PARTY_READ_ROLES = PARTY_EDIT_ROLES | {Role.AUDITOR}


def _org_place_q(ra: RoleAssignment) -> Q | None:
    """The party organisations placed within one role's scope, at any of the four levels."""
    if ra.district_id:
        d = ra.district_id
        return (
            Q(street__district_id=d)
            | Q(community__street__district_id=d)
            | Q(compound__community__street__district_id=d)
            | Q(building__compound__community__street__district_id=d)
        )
    if ra.street_id:
        s = ra.street_id
        return (
            Q(street_id=s)
            | Q(community__street_id=s)
            | Q(compound__community__street_id=s)
            | Q(building__compound__community__street_id=s)
        )
    if ra.community_id:
        c = ra.community_id
        return Q(community_id=c) | Q(compound__community_id=c) | Q(building__compound__community_id=c)
    if ra.compound_id:
        return Q(compound_id=ra.compound_id) | Q(building__compound_id=ra.compound_id)
    return None


def _org_q(user, roles: Collection[str]) -> Q | None:
    q = None
    for ra in roles_of(user):
        if ra.role not in roles:
            continue
        part = _org_place_q(ra)
        if part is not None:
            q = part if q is None else q | part
    return q


def officer_branch_ids(user) -> list[int]:
    """The compound branches (小区党支部) in which the user holds a post (书记、副书记、委员)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_yezhu_officer_branches", None)
    if cached is None:
        cached = list(
            PartyMember.objects.filter(
                user=user, role__in=PartyMember.OFFICER_ROLES, org__level=PartyOrg.Level.COMPOUND
            ).values_list("org_id", flat=True)
        )
        user._yezhu_officer_branches = cached
    return cached


def officer_compounds(user) -> QuerySet[Compound]:
    """Compounds whose party branch the user serves as an officer."""
    return Compound.objects.filter(party_orgs__in=officer_branch_ids(user)).distinct()


def party_orgs_for(user) -> QuerySet[PartyOrg]:
    """The organisations the user may see: their staff scope (and an auditor's), and the branches
    they serve as officers with the building groups under them."""
    if not getattr(user, "is_authenticated", False):
        return PartyOrg.objects.none()
    if user.is_superuser:
        return PartyOrg.objects.all()
    q = _org_q(user, PARTY_READ_ROLES)
    branches = officer_branch_ids(user)
    if branches:
        officer = Q(pk__in=branches) | Q(parent_id__in=branches)
        q = officer if q is None else q | officer
    return PartyOrg.objects.filter(q) if q is not None else PartyOrg.objects.none()


def editable_party_orgs(user) -> QuerySet[PartyOrg]:
    """The organisations the user may change (names, posts, members, sub-organisations): the
    district's, street's and community's staff, each within their scope."""
    if not getattr(user, "is_authenticated", False):
        return PartyOrg.objects.none()
    if user.is_superuser:
        return PartyOrg.objects.all()
    q = _org_q(user, PARTY_EDIT_ROLES)
    return PartyOrg.objects.filter(q) if q is not None else PartyOrg.objects.none()


def branch_orgs_for(user) -> QuerySet[PartyOrg]:
    """Branches (and their building groups) whose members' reports and activities the user may
    record: staff who edit the tree, and the branch's own officers."""
    if not getattr(user, "is_authenticated", False):
        return PartyOrg.objects.none()
    if user.is_superuser:
        return PartyOrg.objects.all()
    q = _org_q(user, PARTY_EDIT_ROLES)
    branches = officer_branch_ids(user)
    if branches:
        officer = Q(pk__in=branches) | Q(parent_id__in=branches)
        q = officer if q is None else q | officer
    return PartyOrg.objects.filter(q) if q is not None else PartyOrg.objects.none()


def party_places_for(user) -> dict[str, QuerySet]:
    """Where the user may place a new organisation: streets, communities, compounds, buildings."""
    if not getattr(user, "is_authenticated", False):
        return {"street": Street.objects.none(), "community": Community.objects.none()}
    if user.is_superuser:
        return {"street": Street.objects.all(), "community": Community.objects.all()}
    streets = Q(pk__in=[])
    communities = Q(pk__in=[])
    for ra in roles_of(user):
        if ra.role not in PARTY_EDIT_ROLES:
            continue
        if ra.district_id:
            streets |= Q(district_id=ra.district_id)
            communities |= Q(street__district_id=ra.district_id)
        elif ra.street_id:
            streets |= Q(pk=ra.street_id)
            communities |= Q(street_id=ra.street_id)
        elif ra.community_id:
            communities |= Q(pk=ra.community_id)
    return {"street": Street.objects.filter(streets), "community": Community.objects.filter(communities)}


def party_reports_for(user) -> QuerySet[PartyReport]:
    """Reports (报到) the user may confirm or reject."""
    return PartyReport.objects.filter(org__in=branch_orgs_for(user).filter(level=PartyOrg.Level.COMPOUND))


def central_households_for(user) -> QuerySet[Unit]:
    """The party-member central households (党员中心户) in the grids the user leads."""
    return grid_units(user).filter(central_household=True)


def central_household_rows(user) -> list[dict]:
    """The central households of the user's grids with the party members living there: two queries."""
    units = list(central_households_for(user).select_related("compound").order_by("compound__name", "code"))
    names: dict[int, list[str]] = {}
    for unit_id, name in (
        PartyMember.objects.filter(owner__ownerships__unit__in=[u.pk for u in units])
        .values_list("owner__ownerships__unit", "name")
        .distinct()
    ):
        names.setdefault(unit_id, []).append(name)
    return [{"unit": u, "members": sorted(set(names.get(u.pk, [])))} for u in units]


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
    if (
        user.is_superuser
        or any(r.role in PARTY_READ_ROLES for r in roles_of(user))
        or officer_branch_ids(user)
    ):
        wanted.append(("party:index", _("Party organisation")))
    # Auditors' work is the audit log: without this link /audit/ was reachable only by typing it.
    if user.is_superuser or any(r.role == Role.AUDITOR for r in roles_of(user)):
        wanted.append(("audit:index", _("Audit log")))
    links = [{"url": reverse(name), "title": title} for name, title in wanted]
    claim_url = reverse("grids:claim")
    party_report_url = reverse("party:report") if units else ""
    return {
        "units": units,
        "staff_links": links,
        "claim_url": claim_url,
        "party_report_url": party_report_url,
    }
