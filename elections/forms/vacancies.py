"""Forms for the committee between elections (a member leaving, removal proposals). They only
parse input: ``elections.lifecycle.vacancies`` checks the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.forms.manage import DATE
from elections.models import CommitteeMember, Election
from elections.vacancy_models import MemberRemoval, Vacancy

#: The reasons staff record; a removal is the assembly's decision, not a clerk's.
LEAVING_REASONS = [
    (value, label) for value, label in Vacancy.Reason.choices if value != Vacancy.Reason.REMOVED
]


class LeavingForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member who left"), queryset=CommitteeMember.objects.none())
    reason = forms.ChoiceField(label=_("Reason"), choices=LEAVING_REASONS)
    left_on = forms.DateField(label=_("Left on"), widget=DATE)
    note = forms.CharField(label=_("Details"), max_length=300, required=False)
    notice_start = forms.DateField(
        label=_("Notice of the alternate's move posted on"),
        required=False,
        widget=DATE,
        help_text=_("Empty: today."),
    )

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = committee.members.order_by("position", "pk")  # type: ignore[attr-defined]


class VacancyFiledForm(forms.Form):
    vacancy = forms.ModelChoiceField(label=_("Vacancy"), queryset=Vacancy.objects.none())
    on = forms.DateField(label=_("Filed on"), widget=DATE)

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vacancy"].queryset = committee.vacancies.exclude(moved_up_name="")  # type: ignore[attr-defined]


class RemovalForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Member to be removed"), queryset=CommitteeMember.objects.none())
    proposers = forms.ModelMultipleChoiceField(
        label=_("Members who propose it"),
        queryset=CommitteeMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(label=_("Grounds"), max_length=300, required=False)

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        seated = committee.members.exclude(role=CommitteeMember.Role.ALTERNATE).order_by("position", "pk")
        self.fields["member"].queryset = seated  # type: ignore[attr-defined]
        self.fields["proposers"].queryset = seated  # type: ignore[attr-defined]


class AgendaForm(forms.Form):
    removal = forms.ModelChoiceField(label=_("Removal proposal"), queryset=MemberRemoval.objects.none())
    election = forms.ModelChoiceField(label=_("Assembly"), queryset=Election.objects.none())

    def __init__(self, *args, committee, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["removal"].queryset = committee.removals.filter(  # type: ignore[attr-defined]
            status__in=[MemberRemoval.Status.PROPOSED, MemberRemoval.Status.ON_AGENDA], matter__isnull=True
        )
        self.fields["election"].queryset = Election.objects.filter(  # type: ignore[attr-defined]
            compound_id=committee.compound_id,
            notice_published_on__isnull=True,
            stage__in=["started", "working_group"],
        ).exclude(kind=Election.Kind.FIRST_ASSEMBLY)
