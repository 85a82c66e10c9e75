"""The admin site: a window on the data under the same sign-in and the same record as the pages.

- **Sign-in.** The admin has no sign-in of its own. `/admin/login/` sends everyone to the staff
  sign-in (mobile number and password, then the SMS code: the same attempt limits and the same
  audit rows, `sign_in` and `sign_in_failed`), and comes back to the admin afterwards. A password
  posted to `/admin/login/` is never checked. The site refuses a session that did not complete
  both steps (`both_factors`), whichever way it was made.
- **Every change in the audit log.** Every ModelAdmin registered here (ours, allauth's, DRF's) is
  wrapped in `AuditedAdmin`: each add, change and delete, inline rows included, writes one audit
  row (`admin.created`, `admin.changed`, `admin.deleted`, or the admin's own `audit_action`) with
  the values before and after. Secrets (password hashes, keys, identity hashes, message bodies)
  are recorded as changed, never copied; mobile numbers are masked.
- **Services, not around them.** An admin whose changes must pass a service's rules (the election's
  settings) calls the service in `save_model` and, when it refuses, calls `refuse(request, error)`:
  nothing is saved, no "changed" row is written, and the page shows the service's message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from yezhu.accounts.phone import mask_mobile

#: The sign-in steps a session must have completed to open the admin (allauth's records).
BOTH_FACTORS = frozenset({"password", "code"})

#: Fields whose values never go into the audit log: only that they changed.
HIDDEN_FIELDS = frozenset(
    {"password", "id_hash", "paper_key", "key", "key_hash", "body", "document", "session_data"}
)
#: Fields whose values are masked in the audit log.
MASKED_FIELDS = frozenset({"phone", "mobile"})

_REFUSED = "_yezhu_admin_refused"


def both_factors(request) -> bool:
    """Whether this session signed in with the password and then the SMS code (staff sign-in)."""
    from allauth.account.internal.flows.login import get_authentication_records

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    methods = {record.get("method") for record in get_authentication_records(request, user)}
    return methods >= BOTH_FACTORS


def refuse(request, error: object) -> None:
    """Mark this admin save as refused by a service: nothing was saved, say why."""
    setattr(request, _REFUSED, str(error))


def refused(request) -> str:
    return getattr(request, _REFUSED, "")


class TabularInline(admin.TabularInline):
    """Django's tabular inline, each field naming itself. Django writes a field's label only in the
    table's header, so a screen reader reaches each input of a row without a name (axe-core:
    `label`, `select-name`, critical; found by the admin's setup journey, issue 20). Every inline
    of the project is one of these."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            # A related field's wrapper shares its widget's attrs, so the input itself is named.
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return field


# ---------------------------------------------------------------------------------------------
# What a row looked like, for the audit log
# ---------------------------------------------------------------------------------------------


def _shown(field: models.Field, obj: models.Model) -> object:
    value = field.value_from_object(obj)
    if value is None:
        return None
    if field.name in HIDDEN_FIELDS or field.attname in HIDDEN_FIELDS:
        return "(hidden)"
    if field.name in MASKED_FIELDS:
        return mask_mobile(str(value))
    if isinstance(value, bool | int | str):
        return value
    return field.value_to_string(obj)


def snapshot(obj: models.Model | None) -> dict[str, Any]:
    """The stored fields of a row as the audit log shows them (secrets hidden, mobiles masked)."""
    if obj is None:
        return {}
    return {f.attname: _shown(f, obj) for f in obj._meta.concrete_fields if not f.primary_key}


def _raw(obj: models.Model | None) -> dict[str, Any]:
    if obj is None:
        return {}
    return {f.attname: f.value_from_object(obj) for f in obj._meta.concrete_fields if not f.primary_key}


def _diff(before: models.Model | None, after: models.Model) -> dict[str, list]:
    """{field: [before, after]} for every stored field whose value changed."""
    old, new = _raw(before), _raw(after)
    shown_old, shown_new = snapshot(before), snapshot(after)
    return {name: [shown_old.get(name), shown_new[name]] for name in new if old.get(name) != new[name]}


def _fresh(obj: models.Model) -> models.Model | None:
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


def _place(obj: models.Model, depth: int = 2) -> dict[str, int | None]:
    """The compound (and election) a row belongs to, following its foreign keys a little."""
    if obj._meta.label_lower == "elections.election":
        return {"compound_id": getattr(obj, "compound_id", None), "election_id": obj.pk}
    if obj._meta.label_lower == "grids.compound":
        return {"compound_id": obj.pk, "election_id": None}
    place: dict[str, int | None] = {
        "compound_id": getattr(obj, "compound_id", None),
        "election_id": getattr(obj, "election_id", None),
    }
    if place["compound_id"] is None and depth > 0:
        for field in obj._meta.concrete_fields:
            if not field.is_relation or field.related_model is None:
                continue
            if getattr(obj, field.attname, None) is None:
                continue
            related = getattr(obj, field.name, None)
            if related is None:
                continue
            found = _place(related, depth - 1)
            if found["compound_id"] is not None:
                place["compound_id"] = found["compound_id"]
                place["election_id"] = place["election_id"] or found["election_id"]
                break
    return place


def _streets(obj: models.Model) -> list[int] | None:
    from django.contrib.auth import get_user_model

    from yezhu.audit.log import streets_of_user

    if isinstance(obj, get_user_model()):
        return streets_of_user(obj)
    if obj._meta.label_lower == "grids.street":
        return [obj.pk]
    return None


# ---------------------------------------------------------------------------------------------
# Every ModelAdmin, audited
# ---------------------------------------------------------------------------------------------


class AuditedAdmin:
    """Mixed into every ModelAdmin of the site (AdminSite.register): one audit row per save or
    delete, with the values before and after, the inline rows' too."""

    # An admin may set (the mixin comes first in the class, so it reads them with getattr):
    #   audits_itself = True   it writes its own rows with before and after (users, committees);
    #   audit_action = "…"     the rows' prefix instead of "admin" (admin.created/changed/deleted).

    def _audits_itself(self) -> bool:
        return bool(getattr(self, "audits_itself", False))

    def save_model(self, request, obj, form, change):
        request._yezhu_admin_before = _fresh(obj) if change else None
        request._yezhu_admin_inlines = {}
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {o.pk: o for o in model._default_manager.filter(pk__in=pks)}
        super().save_formset(request, form, formset, change)
        if refused(request):
            return
        entry = {
            "added": [snapshot(o) | {"id": o.pk} for o in getattr(formset, "new_objects", [])],
            "changed": [
                {"id": o.pk, "changes": _diff(before.get(o.pk), o)}
                for o, _fields in getattr(formset, "changed_objects", [])
            ],
            "deleted": [
                snapshot(before.get(o.pk, o)) | {"id": o.pk} for o in getattr(formset, "deleted_objects", [])
            ],
        }
        entry = {k: v for k, v in entry.items() if v}
        if entry:
            inlines = getattr(request, "_yezhu_admin_inlines", {})
            inlines.setdefault(model._meta.label_lower, {}).update(entry)
            request._yezhu_admin_inlines = inlines

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if refused(request) or self._audits_itself():
            return
        obj = form.instance
        before = getattr(request, "_yezhu_admin_before", None)
        changes = _diff(before, obj) if change else {}
        inlines = getattr(request, "_yezhu_admin_inlines", {})
        if change and not changes and not inlines:
            return
        self._audit(
            request,
            obj,
            "changed" if change else "created",
            {
                "before": {k: v[0] for k, v in changes.items()} if change else {},
                "after": {k: v[1] for k, v in changes.items()} if change else snapshot(obj),
                "inlines": inlines,
            },
        )

    def delete_model(self, request, obj):
        shown, place, streets, label, pk = (
            snapshot(obj),
            self._audit_place(obj),
            _streets(obj),
            str(obj),
            obj.pk,
        )
        super().delete_model(request, obj)
        if not self._audits_itself():
            self._audit_deleted(request, obj, pk, label, shown, place, streets)

    def delete_queryset(self, request, queryset):
        gone = [(o, o.pk, str(o), snapshot(o), self._audit_place(o), _streets(o)) for o in queryset]
        super().delete_queryset(request, queryset)
        if not self._audits_itself():
            for obj, pk, label, shown, place, streets in gone:
                self._audit_deleted(request, obj, pk, label, shown, place, streets)

    def _audit_place(self, obj) -> dict[str, int | None]:
        """The compound and election an audit row of this object is filed under. An admin whose
        objects reach their compound otherwise (an owner, through their units) defines
        `audit_place(obj)`; the mixin comes first in the class, so it does not define one itself."""
        own = getattr(self, "audit_place", None)
        return own(obj) if own is not None else _place(obj)

    def _audit(self, request, obj, verb: str, data: dict) -> None:
        from yezhu.audit.log import record

        place = self._audit_place(obj)
        model = obj._meta.label_lower
        record(
            f"{getattr(self, 'audit_action', 'admin')}.{verb}",
            actor=request.user,
            obj=obj,
            compound_id=place["compound_id"],
            election_id=place["election_id"],
            streets=_streets(obj) if place["compound_id"] is None else None,
            summary=f"{model} #{obj.pk} {verb} in the admin"
            + (f": {', '.join([*data['before'], *data['inlines']])}" if verb == "changed" else ""),
            data={"model": model, "id": obj.pk, **data},
        )

    def _audit_deleted(self, request, obj, pk, label, shown, place, streets) -> None:
        from yezhu.audit.log import record

        model = obj._meta.label_lower
        record(
            f"{getattr(self, 'audit_action', 'admin')}.deleted",
            actor=request.user,
            compound_id=place["compound_id"],
            election_id=place["election_id"],
            streets=streets if place["compound_id"] is None else None,
            summary=f"{model} #{pk} ({label[:60]}) deleted in the admin",
            data={"model": model, "id": pk, "before": shown, "after": {}},
        )

    # A save a service refused: no success message, no admin log entry, back to the form.

    def log_change(self, request, obj, message):
        if not refused(request):
            return super().log_change(request, obj, message)
        return None

    def log_addition(self, request, obj, message):
        if not refused(request):
            return super().log_addition(request, obj, message)
        return None

    def response_change(self, request, obj):
        reason = refused(request)
        if reason:
            self.message_user(request, reason, messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        reason = refused(request)
        if reason:
            self.message_user(request, reason, messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)


def audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    if issubclass(admin_class, AuditedAdmin):
        return admin_class
    return type(admin_class.__name__, (AuditedAdmin, admin_class), {"__module__": admin_class.__module__})


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, audited(admin_class or admin.ModelAdmin), **options)

    def has_permission(self, request):
        return super().has_permission(request) and both_factors(request)

    def password_change(self, request, extra_context=None):
        """A staff member changing their own password here: audited like a change made for them."""
        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            from yezhu.audit.log import record, streets_of_user

            user = request.user
            record(
                "user.changed",
                actor=user,
                obj=user,
                summary=f"user #{user.pk} changed their own password in the admin",
                data={"user": user.pk, "fields": ["password"], "changes": {"password": "changed"}},
                streets=streets_of_user(user),
            )
        return response

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """No sign-in of its own: the staff sign-in (password, then the SMS code), then back here.

        A signed-in staff member whose session lacks a step (made some other way) is signed out
        first, so the staff sign-in does not send them straight back.
        """
        user = request.user
        if user.is_authenticated and not (user.is_active and user.is_staff):
            messages.error(request, _("This account may not use the administration site."))
            return HttpResponseRedirect(resolve_url("home"))
        if user.is_authenticated and not both_factors(request):
            logout(request)
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        if not target.startswith("/") or target.startswith("//"):
            target = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")
