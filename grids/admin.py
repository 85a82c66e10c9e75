"""Django admin for compounds, the roll, the party organisation, grids and roles.

Unit.voter_key names the statutory voter of a unit (grids.roll): the roll is one GROUP BY on it,
so it must follow every change of a unit's owners or status. grids.services keeps it on import;
an admin edit bypasses the services, so every admin that can change ownerships or a unit's
status (the unit with its ownership inline, the building with its unit inline, the ownership
itself) recomputes the keys of the units it touched after the related rows are saved
(save_related / save_formset run after the inline rows are written, which save_model does not
see), and writes an audit row.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from grids.audit_signals import AuditRequestMixin
from grids.idcard import InvalidIdNumber, hash_id_number, normalize_id_number
from grids.models import (
    PROFILE_LABELS,
    Building,
    Community,
    Compound,
    District,
    Grid,
    Owner,
    OwnerClaim,
    Ownership,
    PartyActivity,
    PartyMember,
    PartyOrg,
    PartyReport,
    RoleAssignment,
    Street,
    Unit,
    profile_label,
)
from grids.roll import compute_roll
from grids.roll import refresh_voter_keys as roll_refresh_voter_keys
from yezhu.admin_site import TabularInline
from yezhu.audit.log import record
from yezhu.hooks import votes_under_way


def refresh_voter_keys(unit_ids, *, actor, reason: str = "admin") -> int:
    """Recompute Unit.voter_key for these units from their ownerships and their compound's developer
    (grids.roll.refresh_voter_keys), and audit each change."""
    stale = roll_refresh_voter_keys(unit_ids)
    for unit in stale:
        record(
            "roll.voter_key_changed",
            actor=actor,
            obj=unit,
            compound_id=unit.compound_id,
            summary=f"voter key of {unit.code} recomputed after an edit in the {reason}",
            data={"voter_key": unit.voter_key},
        )
    return len(stale)


def _compounds_of(obj) -> list[int]:
    """The compounds whose vote an admin object's owners, units or links decide."""
    if obj is None:
        return []
    if isinstance(obj, Unit | Building):
        return [obj.compound_id]
    if isinstance(obj, Ownership):
        return [Unit.objects.filter(pk=obj.unit_id).values_list("compound_id", flat=True).first()]
    if isinstance(obj, Owner):
        return list(Unit.objects.filter(ownerships__owner=obj).values_list("compound_id", flat=True))
    return []


def vote_lock(obj) -> list[str]:
    """The votes under way that this object's links decide (empty: it may change)."""
    return votes_under_way(compound_ids=[pk for pk in _compounds_of(obj) if pk])


class VoteLockedAdmin:
    """Read-only (no change, no delete) while a vote runs in the object's compound."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not vote_lock(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not vote_lock(obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one by one, each checked against running votes
        return actions

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        locked = vote_lock(obj)
        if locked and request.method == "GET":
            from django.contrib import messages

            self.message_user(
                request,
                _("Read-only while the vote “%(title)s” runs: who may cast depends on these records.")
                % {"title": locked[0]},
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)


class VoteLockedInline:
    """An inline of units or ownerships: frozen while a vote runs in the parent's compound."""

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not vote_lock(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not vote_lock(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not vote_lock(obj)


# ---------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------


class ProfileFilter(admin.SimpleListFilter):
    """The regional profile, by its name ("杭州"), not its key ("hangzhou")."""

    title = _("regional profile")
    parameter_name = "profile"

    def lookups(self, request, model_admin):
        return list(PROFILE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(profile=self.value()) if self.value() else queryset


@admin.display(description=_("regional profile"), ordering="profile")
def profile_column(obj) -> str:
    return profile_label(obj.profile)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "district",
        profile_column,
        "party_share_target",
        "gate_start",
        "gate_working_group",
    ]
    list_filter = ["district", ProfileFilter, "gate_start", "gate_working_group"]
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "street"]
    list_filter = ["street"]
    search_fields = ["name", "street__name"]
    autocomplete_fields = ["street"]


class BuildingInline(TabularInline):
    model = Building
    extra = 0
    fields = ["name"]
    show_change_link = True


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "community", "property_manager", "parking_counts"]
    # Set on the roll page (grids.services.compound_developer_set), which re-keys the voters.
    readonly_fields = ["developer_name", "developer_uscc"]
    list_filter = ["parking_counts", "community__street"]
    search_fields = ["code", "name", "address", "community__name"]
    autocomplete_fields = ["community"]
    inlines = [BuildingInline]
    roll_fields = ["roll_units", "roll_area", "roll_heads"]

    def get_readonly_fields(self, request, obj=None):
        # The totals only on the change page: one aggregate query for one compound.
        return [*super().get_readonly_fields(request, obj), *(self.roll_fields if obj else [])]

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in self.roll_fields]
        return [*fields, *(self.roll_fields if obj else [])]

    def _roll(self, obj):
        cached = getattr(obj, "_admin_roll", None)
        if cached is None:
            cached = obj._admin_roll = compute_roll(obj, with_voters=False)
        return cached

    @admin.display(description=_("units that count"))
    def roll_units(self, obj):
        return self._roll(obj).units

    @admin.display(description=_("total area (㎡)"))
    def roll_area(self, obj):
        return self._roll(obj).as_json()["area"]

    @admin.display(description=_("owners (heads)"))
    def roll_heads(self, obj):
        return self._roll(obj).heads


class UnitInline(VoteLockedInline, TabularInline):
    model = Unit
    extra = 0
    fields = ["code", "entrance", "number", "kind", "area", "area_source", "status", "voter_key"]
    readonly_fields = ["voter_key"]
    show_change_link = True


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "compound"]
    list_filter = ["compound__community__street"]
    search_fields = ["name", "compound__name", "compound__code"]
    autocomplete_fields = ["compound"]
    inlines = [UnitInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Unit:
            return super().save_formset(request, form, formset, change)
        units = formset.save(commit=False)
        for unit in units:
            unit.compound_id = form.instance.compound_id
            unit.save()
        for unit in formset.deleted_objects:
            unit.delete()
        formset.save_m2m()
        # A status changed here (e.g. 未售 → 已交付) changes the unit's voter.
        refresh_voter_keys([u.pk for u in units], actor=request.user)


# ---------------------------------------------------------------------------------------------
# Units, owners, ownerships
# ---------------------------------------------------------------------------------------------


class OwnershipInline(VoteLockedInline, TabularInline):
    model = Ownership
    extra = 1
    autocomplete_fields = ["owner"]


@admin.register(Unit)
class UnitAdmin(VoteLockedAdmin, admin.ModelAdmin):
    list_display = ["code", "compound", "kind", "area", "area_source", "status", "voter_key"]
    list_filter = ["kind", "status", "area_source", "compound__community__street"]
    search_fields = ["code", "compound__code", "compound__name", "ownerships__owner__name"]
    list_select_related = ["compound"]
    autocomplete_fields = ["compound", "building"]
    readonly_fields = ["voter_key"]
    inlines = [OwnershipInline]

    def save_related(self, request, form, formsets, change):
        # The ownership inline is saved here, after save_model: only now are the unit's owners
        # final, so only now can its voter key be computed. Without this an admin edit of the
        # owners would leave the unit counted with its old voter (wrong heads on the roll).
        super().save_related(request, form, formsets, change)
        refresh_voter_keys([form.instance.pk], actor=request.user)


class OwnershipForm(forms.ModelForm):
    """A new or moved ownership: refused while a vote runs in the unit's compound."""

    class Meta:
        model = Ownership
        fields = ["unit", "owner"]

    def clean(self):
        data = super().clean()
        unit = data.get("unit")
        locked = vote_lock(unit) if unit is not None else []
        if locked:
            raise forms.ValidationError(
                _("The vote “%(title)s” is running in this compound: owners of its units cannot change now.")
                % {"title": locked[0]}
            )
        return data


class OwnerForm(forms.ModelForm):
    """The identity number is typed in, hashed, and forgotten: only id_last4 is kept in clear."""

    id_number = forms.CharField(
        label=_("identity number"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Only a salted hash and the last four characters are stored. Leave empty to keep it."),
    )

    class Meta:
        model = Owner
        fields = ["name", "mobile", "user"]

    def clean_id_number(self):
        raw = self.cleaned_data.get("id_number", "")
        if not raw:
            if self.instance.pk is None:
                raise forms.ValidationError(_("Enter the owner's identity number."))
            return ""
        try:
            number = normalize_id_number(raw)
        except InvalidIdNumber:
            raise forms.ValidationError(_("This identity number is not valid.")) from None
        id_hash = hash_id_number(number, settings.ID_NUMBER_SALT)
        if Owner.objects.filter(id_hash=id_hash).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another owner has this identity number."))
        return number

    def save(self, commit=True):
        number = self.cleaned_data.get("id_number")
        if number:
            self.instance.id_hash = hash_id_number(number, settings.ID_NUMBER_SALT)
            self.instance.id_last4 = number[-4:]
        return super().save(commit=commit)


@admin.register(Owner)
class OwnerAdmin(admin.ModelAdmin):
    form = OwnerForm
    list_display = ["name", "id_last4", "masked_mobile", "user"]
    search_fields = ["name", "mobile", "id_last4"]
    readonly_fields = ["id_last4"]
    autocomplete_fields = ["user"]
    fields = ["name", "id_number", "id_last4", "mobile", "user"]

    def audit_place(self, obj):
        compounds = _compounds_of(obj)
        return {"compound_id": compounds[0] if compounds else None, "election_id": None}

    def get_readonly_fields(self, request, obj=None):
        # The account linked to an owner casts for the owner's homes: not relinked mid-vote.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "user"] if vote_lock(obj) else fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not vote_lock(obj)


@admin.register(Ownership)
class OwnershipAdmin(VoteLockedAdmin, admin.ModelAdmin):
    form = OwnershipForm
    list_display = ["unit", "owner"]
    search_fields = ["unit__code", "owner__name", "unit__compound__code"]
    list_filter = ["unit__compound__community__street"]
    autocomplete_fields = ["unit", "owner"]

    def save_model(self, request, obj, form, change):
        old_unit = Ownership.objects.filter(pk=obj.pk).values_list("unit_id", flat=True).first()
        super().save_model(request, obj, form, change)
        refresh_voter_keys([obj.unit_id, old_unit], actor=request.user)

    def delete_model(self, request, obj):
        unit_id = obj.unit_id
        super().delete_model(request, obj)
        refresh_voter_keys([unit_id], actor=request.user)

    def delete_queryset(self, request, queryset):
        unit_ids = list(queryset.values_list("unit_id", flat=True))
        super().delete_queryset(request, queryset)
        refresh_voter_keys(unit_ids, actor=request.user)


@admin.register(OwnerClaim)
class OwnerClaimAdmin(admin.ModelAdmin):
    list_display = ["unit", "name", "id_last4", "user", "status", "created_at", "decided_by"]
    list_filter = ["status", "unit__compound__community__street"]
    search_fields = ["name", "unit__code", "unit__compound__code", "certificate_number"]
    readonly_fields = ["created_at", "decided_at", "decided_by"]
    autocomplete_fields = ["user", "unit"]


# ---------------------------------------------------------------------------------------------
# Party organisation, grids, roles
# ---------------------------------------------------------------------------------------------


class PartyMemberInline(TabularInline):
    model = PartyMember
    extra = 0
    fields = ["name", "role", "owner", "user", "reported_on"]
    autocomplete_fields = ["owner", "user"]


@admin.register(PartyOrg)
class PartyOrgAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "street", "community", "compound", "building"]
    inlines = [PartyMemberInline]


@admin.register(PartyMember)
class PartyMemberAdmin(admin.ModelAdmin):
    list_display = ["name", "org", "role", "reported_on"]
    list_filter = ["role", "org__level"]
    search_fields = ["name", "org__name"]
    autocomplete_fields = ["org", "owner", "user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written through the party pages (grids.party: permission, audit row); read here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartyReport)
class PartyReportAdmin(ReadOnlyAdmin):
    list_display = ["name", "org", "unit", "status", "created_at", "decided_by"]
    list_filter = ["status", "org__level"]
    search_fields = ["name", "org__name", "unit__code", "home_org"]


@admin.register(PartyActivity)
class PartyActivityAdmin(ReadOnlyAdmin):
    list_display = ["member", "on", "kind", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["member__name", "note"]


class GridPostInline(TabularInline):
    model = RoleAssignment
    fk_name = "grid"
    extra = 0
    fields = ["user", "role", "post"]
    autocomplete_fields = ["user"]
    verbose_name = _("grid post")
    verbose_name_plural = _("grid posts")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["role"].initial = RoleAssignment.Role.GRID_LEADER
        return formset


@admin.register(Grid)
class GridAdmin(AuditRequestMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "compound", "parent"]
    list_filter = ["kind", "community__street"]
    search_fields = ["name", "compound__name", "compound__code"]
    autocomplete_fields = ["community", "compound", "parent"]
    filter_horizontal = ["buildings"]
    inlines = [GridPostInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditRequestMixin, admin.ModelAdmin):
    list_display = ["user", "role", "scope_display", "post"]
    list_filter = ["role", "post"]
    search_fields = [
        "user__phone",
        "user__name",
        "street__name",
        "community__name",
        "compound__name",
        "compound__code",
        "grid__name",
    ]
    autocomplete_fields = ["user", "district", "street", "community", "compound", "grid"]
    list_select_related = ["user", "district", "street", "community", "compound", "grid"]

    @admin.display(description=_("scope"))
    def scope_display(self, obj):
        return obj.scope
