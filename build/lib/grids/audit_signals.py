"""Role changes (授权变更) go into the audit log whichever way they are made: the admin, a
command, the shell or a service. Roles are the only source of what staff may see, so every grant,
change and removal of a RoleAssignment leaves a row with the acting user when there is a request.

A signal is the exception to "nothing hidden in save() or signals" (CONVENTIONS.md) on purpose:
role rows are edited through Django's admin, which calls no service of ours.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from grids.models import RoleAssignment
from yezhu.actors import OPERATOR
from yezhu.audit.log import record

_request: ContextVar = ContextVar("audit_request", default=None)


@contextmanager
def acting(request):
    """Within this block, role changes are recorded with the request's user and address."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


class AuditRequestMixin:
    """For ModelAdmins that edit roles (directly or inline): the audit row names who did it, from where."""

    def changeform_view(self, request, *args, **kwargs):
        with acting(request):
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        with acting(request):
            return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):  # the bulk "delete selected" action
        with acting(request):
            return super().changelist_view(request, *args, **kwargs)


def _scope(ra: RoleAssignment) -> dict:
    return {
        name: getattr(ra, f"{name}_id")
        for name in ("district", "street", "community", "compound", "grid")
        if getattr(ra, f"{name}_id")
    }


def _compound_id(ra: RoleAssignment) -> int | None:
    if ra.compound_id:
        return ra.compound_id
    if ra.grid_id:
        from grids.models import Grid

        return Grid.objects.filter(pk=ra.grid_id).values_list("compound_id", flat=True).first()
    return None


def _street(ra: RoleAssignment) -> dict:
    """The street(s) of a role without a compound (a compound or grid role gets the compound's)."""
    from grids.models import Community, Street

    if ra.street_id:
        return {"street_id": ra.street_id}
    if ra.community_id:
        community = Community.objects.filter(pk=ra.community_id)
        return {"street_id": community.values_list("street_id", flat=True).first()}
    if ra.district_id:
        streets = Street.objects.filter(district_id=ra.district_id)
        return {"streets": list(streets.values_list("pk", flat=True))}
    return {}


def _actor():
    """The admin user changing the role, else the operator (a command, the shell, a data migration)."""
    request = _request.get()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else OPERATOR


def _summary(verb: str, ra: RoleAssignment) -> str:
    where = ", ".join(f"{k} #{v}" for k, v in _scope(ra).items())
    return f"{verb} role {ra.role} for user #{ra.user_id} ({where})"


@receiver(post_save, sender=RoleAssignment, dispatch_uid="audit_role_saved")
def audit_role_saved(sender, instance: RoleAssignment, created: bool, raw: bool = False, **kwargs):
    if raw:  # loading a fixture
        return
    record(
        "role.granted" if created else "role.changed",
        actor=_actor(),
        obj=instance,
        compound_id=_compound_id(instance),
        **_street(instance),
        summary=_summary("granted" if created else "changed", instance),
        data={"user": instance.user_id, "role": instance.role, "post": instance.post, **_scope(instance)},
    )


@receiver(post_delete, sender=RoleAssignment, dispatch_uid="audit_role_deleted")
def audit_role_deleted(sender, instance: RoleAssignment, **kwargs):
    record(
        "role.revoked",
        actor=_actor(),
        obj=None,
        compound_id=_compound_id(instance),
        **_street(instance),
        summary=_summary("revoked", instance),
        data={
            "user": instance.user_id,
            "role": instance.role,
            "role_assignment": instance.pk,
            **_scope(instance),
        },
    )
