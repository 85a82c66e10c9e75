"""Admin for elections. Stages, results and the chain are read-only here: an election moves only
through `elections/lifecycle.py`, so that every change has its preconditions and audit row. The
holiday calendar is edited here: staff add each year's schedule when the State Council publishes it.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from elections.models import (
    Candidate,
    CaseStep,
    Committee,
    CommitteeMember,
    Election,
    HolidayDay,
    HolidayYear,
    Matter,
    OutreachVisit,
    Race,
    ReserveCandidate,
    Survey,
    SurveyQuestion,
    WorkingGroupMember,
)
from yezhu.audit.log import record


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ("title", "compound", "kind", "stage", "voting_opens_at", "voting_closes_at", "created_at")
    list_filter = ("stage", "kind", "profile")
    search_fields = ("title", "compound__name", "compound__code")
    list_select_related = ("compound",)
    raw_id_fields = ("compound", "created_by")
    readonly_fields = (
        "stage",
        "roll_frozen_at",
        "total_area",
        "total_heads",
        "chain_head",
        "ballot_count",
        "result",
        "result_final",
        "decided_on",
        "restart_count",
        "failed_reason",
        "created_at",
    )


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "election", "item", "category")
    list_filter = ("category", "item")
    search_fields = ("title", "election__title")
    raw_id_fields = ("election",)


class CandidateInline(admin.TabularInline):
    model = Candidate
    extra = 0
    fields = ("key", "name", "owner", "party_member", "branch_member", "branch_secretary", "position")
    raw_id_fields = ("owner",)


@admin.register(Race)
class RaceAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "election", "seats", "alternates")
    search_fields = ("title", "election__title")
    raw_id_fields = ("election",)
    inlines = [CandidateInline]


@admin.register(WorkingGroupMember)
class WorkingGroupMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "election", "affiliation", "role", "party_member")
    list_filter = ("affiliation", "role", "party_member")
    search_fields = ("name", "election__title")
    raw_id_fields = ("election", "user", "owner")


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0
    fields = ("name", "role", "party_member", "cross_post", "position")


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ("compound", "term_start", "term_end", "filed_on", "ended_on")
    list_filter = ("ended_on",)
    search_fields = ("compound__name", "compound__code")
    raw_id_fields = ("compound", "election")
    inlines = [CommitteeMemberInline]

    # A committee (its term, filing and members) feeds the street board and the re-election
    # deadlines; an edit here calls no service, so it writes its audit row itself.
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        committee = form.instance
        members = {"added": [], "changed": [], "removed": []}
        for formset in formsets:
            members["added"] += [str(m) for m in getattr(formset, "new_objects", [])]
            members["changed"] += [str(m) for m, _fields in getattr(formset, "changed_objects", [])]
            members["removed"] += [str(m) for m in getattr(formset, "deleted_objects", [])]
        members = {k: v for k, v in members.items() if v}
        if change and not form.changed_data and not members:
            return
        record(
            "committee.changed" if change else "committee.created",
            actor=request.user,
            obj=committee,
            compound_id=committee.compound_id,
            summary=f"committee #{committee.pk} {'changed' if change else 'created'} in the admin"
            + (f": {', '.join(form.changed_data)}" if change and form.changed_data else ""),
            data={
                "fields": list(form.changed_data),
                "values": {f: str(form.cleaned_data.get(f)) for f in form.changed_data},
                "members": members,
            },
        )

    def delete_model(self, request, obj):
        pk, compound_id = obj.pk, obj.compound_id
        super().delete_model(request, obj)
        self._audit_deleted(request, pk, compound_id)

    def delete_queryset(self, request, queryset):
        gone = list(queryset.values_list("pk", "compound_id"))
        super().delete_queryset(request, queryset)
        for pk, compound_id in gone:
            self._audit_deleted(request, pk, compound_id)

    def _audit_deleted(self, request, pk: int, compound_id: int) -> None:
        record(
            "committee.changed",
            actor=request.user,
            compound_id=compound_id,
            summary=f"committee #{pk} deleted in the admin",
            data={"committee": pk, "deleted": True},
        )


@admin.register(CaseStep)
class CaseStepAdmin(admin.ModelAdmin):
    list_display = ("election", "step", "responsible", "due_on", "done_on")
    list_filter = ("step",)
    search_fields = ("election__title", "responsible")
    raw_id_fields = ("election",)


@admin.register(HolidayDay)
class HolidayDayAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "is_rest_day")
    list_filter = ("is_rest_day",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(HolidayYear)
class HolidayYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source")
    fieldsets = (
        (
            None,
            {
                "fields": ("year", "source"),
                "description": _(
                    "Mark a year complete only after every holiday and adjusted working day of it is "
                    "entered: until then deadlines in that year carry a warning."
                ),
            },
        ),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written through the pages (their services check who acts and write the audit row); read here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 0
    fields = ("position", "kind", "text", "options", "required")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):  # 问题征集: not a vote
    list_display = ("title", "compound", "asker", "opens_at", "closes_at", "published_at")
    list_filter = ("asker",)
    search_fields = ("title", "compound__name", "compound__code")
    inlines = [SurveyQuestionInline]


@admin.register(OutreachVisit)
class OutreachVisitAdmin(ReadOnlyAdmin):
    list_display = ("election", "unit", "way", "outcome", "visited_by", "created_at")
    list_filter = ("way", "outcome")
    search_fields = ("election__title", "unit__code", "note")


@admin.register(ReserveCandidate)
class ReserveCandidateAdmin(ReadOnlyAdmin):
    list_display = ("name", "compound", "source", "suggested_by_name", "status", "created_at")
    list_filter = ("source", "status")
    search_fields = ("name", "compound__name", "suggested_by_name")
