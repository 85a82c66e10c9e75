"""The platform's questions about places, answered by grids (registered in GridsConfig.ready()):
which street an audit row belongs to, which streets a user's roles cover, who is staff.
See yezhu.hooks."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from grids.models import Compound, RoleAssignment, Street, Unit
from grids.selectors import STAFF_ROLES, roles_of, staff_compounds


class GridPlaces:
    def street_of_compound(self, compound_id: int) -> int | None:
        return Compound.objects.filter(pk=compound_id).values_list("community__street_id", flat=True).first()

    def streets_of_user(self, user, *, roles: Iterable[str] | None = None, homes: bool = True) -> list[int]:
        return streets_of_user(user, roles=roles, homes=homes)

    def audit_scope(self, user) -> Q | None:
        """Auditors read the rows of the compounds in their scope and, for street or district roles,
        the rows of those streets that have no compound (sign-ins, street-level roles, exports)."""
        if not any(ra.role == RoleAssignment.Role.AUDITOR for ra in roles_of(user)):
            return None
        compounds = staff_compounds(user, {RoleAssignment.Role.AUDITOR}).values("pk")
        scope = Q(compound_id__in=compounds)
        streets = self.auditor_streets(user)
        if streets:
            scope |= Q(compound_id__isnull=True, street_id__in=streets)
        return scope

    def auditor_streets(self, user) -> list[int]:
        auditing = [ra for ra in roles_of(user) if ra.role == RoleAssignment.Role.AUDITOR]
        streets = {ra.street_id for ra in auditing if ra.street_id}
        districts = {ra.district_id for ra in auditing if ra.district_id}
        if districts:
            streets.update(Street.objects.filter(district_id__in=districts).values_list("pk", flat=True))
        return sorted(streets)

    def is_staff(self, user) -> bool:
        return RoleAssignment.objects.filter(user=user, role__in=STAFF_ROLES).exists()


def streets_of_user(user, *, roles: Iterable[str] | None = None, homes: bool = True) -> list[int]:
    """The streets a user belongs to: those of their role assignments (only `roles` if given; a
    district role counts as every street of its district) and, with `homes`, of the units they own."""
    if user is None or getattr(user, "pk", None) is None:
        return []
    assignments = RoleAssignment.objects.filter(user_id=user.pk)
    if roles is not None:
        assignments = assignments.filter(role__in=list(roles))
    found: set[int] = set()
    districts: set[int] = set()
    for district, *streets in assignments.values_list(
        "district_id",
        "street_id",
        "community__street_id",
        "compound__community__street_id",
        "grid__community__street_id",
    ):
        if district:
            districts.add(district)
        found.update(s for s in streets if s)
    if districts:
        found.update(Street.objects.filter(district_id__in=districts).values_list("pk", flat=True))
    if homes:
        found.update(
            s
            for s in Unit.objects.filter(ownerships__owner__user_id=user.pk)
            .values_list("compound__community__street_id", flat=True)
            .distinct()
            if s
        )
    return sorted(found)
