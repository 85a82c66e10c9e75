"""Admin for users and the SMS outbox.

A user's powers (is_superuser, is_staff, is_active, groups, permissions) change only here, so
every change made here writes `user.changed` to the audit log (the fields, and old → new for the
flags), in the streets the user belongs to (yezhu.audit.log.streets_of_user).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from yezhu.accounts.models import SmsMessage, User
from yezhu.audit.log import record, streets_of_user

AUDITED_FLAGS = ("is_active", "is_staff", "is_superuser", "phone_verified")  # old → new
AUDITED_DETAILS = ("phone", "name", "email")  # named, not copied (personal data stays out of the log)
AUDITED_SETS = ("groups", "user_permissions")


def _sets(user: User) -> dict[str, list]:
    if user.pk is None:
        return {name: [] for name in AUDITED_SETS}
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "user_permissions": sorted(
            f"{app}.{code}"
            for app, code in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
    }


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["phone"]
    list_display = ["phone", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["phone", "name"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    fieldsets = [
        (None, {"fields": ["phone", "phone_verified", "name", "email", "password"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "name", "password1", "password2"]})]

    def save_model(self, request, obj, form, change):
        # The stored values before this save; compared after the many-to-many rows are written.
        old = User.objects.filter(pk=obj.pk).first() if change else None
        obj._audit_before = (
            {f: getattr(old, f) for f in (*AUDITED_FLAGS, *AUDITED_DETAILS)} if old is not None else {},
            _sets(old) if old is not None else {name: [] for name in AUDITED_SETS},
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        flags_before, sets_before = getattr(user, "_audit_before", ({}, {}))
        changes: dict = {}
        for name in (*AUDITED_FLAGS, *AUDITED_DETAILS):
            if name in flags_before and flags_before[name] != getattr(user, name):
                after = getattr(user, name)
                changes[name] = [flags_before[name], after] if name in AUDITED_FLAGS else "changed"
        sets_after = _sets(user)
        for name in AUDITED_SETS:
            before, after = sets_before.get(name, []), sets_after[name]
            if before != after:
                changes[name] = {
                    "added": sorted(set(after) - set(before)),
                    "removed": sorted(set(before) - set(after)),
                }
        if change and not changes:
            return
        record(
            "user.changed" if change else "user.created",
            actor=request.user,
            obj=user,
            summary=(
                f"user #{user.pk} changed in the admin: {', '.join(changes)}"
                if change
                else f"user #{user.pk} created in the admin"
            ),
            data={"user": user.pk, "fields": sorted(changes), "changes": changes},
            streets=streets_of_user(user),
        )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.filter(pk=id).first()
            if user is not None:
                record(
                    "user.changed",
                    actor=request.user,
                    obj=user,
                    summary=f"user #{user.pk} changed in the admin: password",
                    data={"user": user.pk, "fields": ["password"], "changes": {"password": "changed"}},
                    streets=streets_of_user(user),
                )
        return response


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "phone", "purpose", "kind", "status", "provider", "report_code", "sent_at"]
    list_filter = ["status", "kind", "provider"]
    search_fields = ["phone"]
    readonly_fields = [f.name for f in SmsMessage._meta.fields]

    def has_add_permission(self, request):
        return False
