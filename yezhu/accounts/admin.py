"""Admin for users and the SMS outbox.

A user's powers (is_superuser, is_staff, is_active, groups, permissions) change only here, so
every change made here writes `user.changed` to the audit log (the fields, and old → new for the
flags), in the streets the user belongs to (yezhu.audit.log.streets_of_user).

An account's mobile number is how its owner signs in to vote: while a vote runs in a compound where
the user owns a home, the number cannot change here (yezhu.hooks.votes_under_way).

The SMS outbox never shows a live sign-in code: the code of a sign-in message is masked until it
has expired (`masked_body`), so the admin password is not a way to sign in as any owner.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from yezhu.accounts.masking import masked_body, masked_params
from yezhu.accounts.models import SmsMessage, User
from yezhu.audit.log import record, streets_of_user
from yezhu.hooks import votes_under_way

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
    audits_itself = True  # user.created / user.changed below, flags old → new

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and votes_under_way(user_ids=[obj.pk]):
            fields.append("phone")  # the owner signs in to vote with it
        return fields

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

    def get_fields(self, request, obj=None):
        shown = [f.name for f in SmsMessage._meta.fields if f.name not in ("id", "body")]
        return ["text", *["variables" if name == "params" else name for name in shown]]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("text"))
    def text(self, obj):
        return masked_body(obj)

    @admin.display(description=_("template variables"))
    def variables(self, obj):
        return masked_params(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
