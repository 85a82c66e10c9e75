"""Admin for elections: a window on what the staff pages own, never a way around their rules.

An election's stage, dates, roll, result and chain are read-only here: it moves only through the
transition table (`elections/lifecycle/`), so every change has its preconditions and audit row.
Its rules of procedure change through the same service as on the staff page. Matters, races,
candidates, the working group and the case file are read-only, and so are the committee's life
between elections (vacancies, removals, the 物管会, filing deadlines, escalations) and the mass
sends; ballots, proxies and paper entries are not in the admin at all. A committee must have a chair. The holiday calendar is edited here:
staff add each year's schedule when the State Council publishes it. Every save is audited with the
values before and after (yezhu/admin_site.py).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from elections import lifecycle
from elections.committee_models import (
    CommitteeDeadline,
    Escalation,
    EscalationStep,
    PropertyCommittee,
    PropertyCommitteeMember,
)
from elections.mass_send_models import MassSend
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
from elections.vacancy_models import MemberRemoval, Vacancy
from grids.admin import ProfileFilter
from grids.models import profile_label
from yezhu.admin_site import TabularInline, refuse, snapshot
from yezhu.audit.log import record
from yezhu.errors import DomainError

#: The settings the rules of procedure decide, changed through `election_update_settings`.
SETTINGS_FIELDS = (
    "quorum_numerator",
    "quorum_denominator",
    "proxy_limit",
    "nominations_required",
    "temporary_meeting",
    "ballot_secrecy",
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """What the staff pages own (matters, races, candidates, the working group, the case file): the
    admin shows it and changes nothing. Changes go through the staff pages' services, which check
    the stage (the ballot paper is fixed once the notice is out) and write the audit row."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ElectionSettingsForm(forms.ModelForm):
    class Meta:
        model = Election
        fields = list(SETTINGS_FIELDS)


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    """The rules of procedure (quorum, proxies, nominations, secret or named voting) change through
    `lifecycle.election_update_settings`, as on the staff page: the same stages (setup closes when
    voting opens), the same statutory floors, the same audit row. Everything else is read-only: an
    election moves only through the transition table."""

    form = ElectionSettingsForm
    list_display = ("title", "compound", "kind", "stage", "voting_opens_at", "voting_closes_at", "created_at")
    list_filter = ("stage", "kind", ProfileFilter)
    search_fields = ("title", "compound__name", "compound__code")
    list_select_related = ("compound",)

    def get_readonly_fields(self, request, obj=None):
        return [
            "profile_name" if f.name == "profile" else f.name
            for f in Election._meta.fields
            if f.name not in SETTINGS_FIELDS and f.name not in ("id", "paper_key")
        ]

    @admin.display(description=_("regional profile"))
    def profile_name(self, obj) -> str:
        return profile_label(obj.profile)

    def has_add_permission(self, request):
        return False  # elections are started on the staff page (election_create)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not form.has_changed():
            return
        data = form.cleaned_data
        try:
            lifecycle.election_update_settings(
                election=obj,
                actor=request.user,
                quorum=(data["quorum_numerator"], data["quorum_denominator"]),
                proxy_limit=data["proxy_limit"],
                nominations_required=data["nominations_required"],
                temporary_meeting=data["temporary_meeting"],
                ballot_secrecy=data["ballot_secrecy"],
            )
        except DomainError as error:
            refuse(request, error)


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "election", "item", "category")
    list_filter = ("category", "item")
    search_fields = ("title", "election__title")


class CandidateInline(ReadOnlyInline):
    model = Candidate
    fields = ("key", "name", "owner", "party_member", "branch_member", "branch_secretary", "position")


@admin.register(Race)
class RaceAdmin(ReadOnlyAdmin):
    list_display = ("key", "title", "election", "seats", "alternates")
    search_fields = ("title", "election__title")
    inlines = [CandidateInline]


@admin.register(WorkingGroupMember)
class WorkingGroupMemberAdmin(ReadOnlyAdmin):
    list_display = ("name", "election", "affiliation", "role", "party_member")
    list_filter = ("affiliation", "role", "party_member")
    search_fields = ("name", "election__title")


class CommitteeMembersFormSet(BaseInlineFormSet):
    """A committee has one chair (主任): refused without one, or with two (as the register's
    services and the XLSX import refuse them)."""

    def clean(self):
        super().clean()
        chairs = sum(
            1
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("role") == CommitteeMember.Role.CHAIR
        )
        if chairs == 0:
            raise ValidationError(_("A committee needs a chair (主任): give one member the role of chair."))
        if chairs > 1:
            raise ValidationError(_("A committee has one chair: make the others vice-chairs or members."))


class CommitteeMemberInline(TabularInline):
    model = CommitteeMember
    formset = CommitteeMembersFormSet
    extra = 0
    fields = ("name", "role", "party_member", "cross_post", "position")


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    list_display = ("compound", "term_start", "term_end", "filed_on", "ended_on")
    list_filter = ("ended_on",)
    search_fields = ("compound__name", "compound__code")
    raw_id_fields = ("compound", "election")
    inlines = [CommitteeMemberInline]
    audits_itself = True  # committee.created / committee.changed, below

    # A committee (its term, filing and members) feeds the street board and the re-election
    # deadlines; an edit here calls no service, so it writes its audit row itself, with the
    # values before and after.
    def save_model(self, request, obj, form, change):
        old = Committee.objects.filter(pk=obj.pk).first() if change else None
        request._committee_before = snapshot(old)
        super().save_model(request, obj, form, change)

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
        before = getattr(request, "_committee_before", {})
        after = snapshot(committee)
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
                "before": {f: before.get(f) for f in form.changed_data if f in after},
                "after": {f: after.get(f) for f in form.changed_data if f in after},
                "members": members,
            },
        )

    def delete_model(self, request, obj):
        pk, compound_id, before = obj.pk, obj.compound_id, snapshot(obj)
        super().delete_model(request, obj)
        self._audit_deleted(request, pk, compound_id, before)

    def delete_queryset(self, request, queryset):
        gone = [(c.pk, c.compound_id, snapshot(c)) for c in queryset]
        super().delete_queryset(request, queryset)
        for pk, compound_id, before in gone:
            self._audit_deleted(request, pk, compound_id, before)

    def _audit_deleted(self, request, pk: int, compound_id: int, before: dict) -> None:
        record(
            "committee.changed",
            actor=request.user,
            compound_id=compound_id,
            summary=f"committee #{pk} deleted in the admin",
            data={"committee": pk, "deleted": True, "before": before, "after": {}},
        )


@admin.register(CaseStep)
class CaseStepAdmin(ReadOnlyAdmin):
    list_display = ("election", "step", "responsible", "due_on", "done_on")
    list_filter = ("step",)
    search_fields = ("election__title", "responsible")


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


class SurveyQuestionInline(ReadOnlyInline):
    model = SurveyQuestion
    fields = ("position", "kind", "text", "options", "required")


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


# The committee between elections (issue 17) and the mass sends (issue 18): written only through
# the street's and the working group's pages, whose services check the law (the seats, the half
# line, the deadlines, the second approver) and write the audit rows; the admin reads them.


@admin.register(Vacancy)
class VacancyAdmin(ReadOnlyAdmin):
    list_display = ("name", "committee", "role", "reason", "left_on", "moved_up_name", "filed_on")
    list_filter = ("reason", "committee__compound__community__street")
    search_fields = ("name", "committee__compound__name", "committee__compound__code")
    list_select_related = ("committee__compound",)


@admin.register(MemberRemoval)
class MemberRemovalAdmin(ReadOnlyAdmin):
    list_display = ("member_name", "committee", "route", "status", "decided_on", "recorded_at")
    list_filter = ("route", "status", "committee__compound__community__street")
    search_fields = ("member_name", "committee__compound__name", "committee__compound__code")
    list_select_related = ("committee__compound",)


class PropertyCommitteeMemberInline(ReadOnlyInline):
    model = PropertyCommitteeMember
    fields = ("position", "name", "affiliation", "is_owner", "residents_committee", "chair")


@admin.register(PropertyCommittee)
class PropertyCommitteeAdmin(ReadOnlyAdmin):
    list_display = ("compound", "basis", "formed_on", "term_start", "term_end", "dissolved_on")
    list_filter = ("basis", "compound__community__street")
    search_fields = ("compound__name", "compound__code", "decision_number")
    list_select_related = ("compound",)
    inlines = [PropertyCommitteeMemberInline]


@admin.register(CommitteeDeadline)
class CommitteeDeadlineAdmin(ReadOnlyAdmin):
    list_display = ("compound", "kind", "subject", "event_on", "due_on", "done_on")
    list_filter = ("kind", "compound__community__street")
    search_fields = ("compound__name", "compound__code", "subject")
    list_select_related = ("compound",)


class EscalationStepInline(ReadOnlyInline):
    model = EscalationStep
    fields = ("on", "kind", "by_label", "told", "note")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ("compound", "reason", "status", "overdue_since", "raised_on", "resolved_on")
    list_filter = ("reason", "status", "compound__community__street")
    search_fields = ("compound__name", "compound__code")
    list_select_related = ("compound",)
    inlines = [EscalationStepInline]


@admin.register(MassSend)
class MassSendAdmin(ReadOnlyAdmin):
    list_display = ("notice", "compound", "audience", "messages", "cost", "status", "requested_at")
    list_filter = ("status", "street")
    search_fields = ("compound__name", "compound__code", "notice__title")
    list_select_related = ("notice", "compound")
