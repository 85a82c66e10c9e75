"""Forms of the committee between elections: forming the 物管会, recording a change to a committee,
recording a filing or handover, acting on an escalation. The services check the rules."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from elections.models import CommitteeDeadline, Election, PropertyCommittee

DATE = forms.DateInput(attrs={"type": "date"})


class PropertyCommitteeForm(forms.Form):
    basis = forms.ChoiceField(label=_("Why it is formed"), choices=PropertyCommittee.Basis.choices)
    decision_number = forms.CharField(
        label=_("Street office's decision number"), max_length=60, required=False
    )
    formed_on = forms.DateField(label=_("Formed on"), widget=DATE)
    term_start = forms.DateField(label=_("Term starts"), widget=DATE)
    term_end = forms.DateField(label=_("Term ends"), widget=DATE)
    publicity_start = forms.DateField(label=_("Publicity starts"), widget=DATE)
    publicity_end = forms.DateField(label=_("Publicity ends"), widget=DATE)


class LabelledCells(forms.Form):
    """A form shown as a table row, its labels in the header: each field says its label to a screen
    reader itself (aria-label)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))


class PropertyCommitteeMemberForm(LabelledCells):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    affiliation = forms.CharField(label=_("Unit or capacity"), max_length=60, required=False)
    is_owner = forms.BooleanField(label=_("Owner"), required=False)
    residents_committee = forms.BooleanField(label=_("Residents' committee"), required=False)
    chair = forms.BooleanField(label=_("Chair"), required=False)


#: Up to 15 rows: the form shows 11, enough for every committee the rules allow.
MemberFormSet = formset_factory(PropertyCommitteeMemberForm, extra=11, max_num=15, validate_max=True)


class ChangeForm(forms.Form):
    change = forms.ChoiceField(label=_("What changed"), choices=CommitteeDeadline.Change.choices)
    on = forms.DateField(label=_("Date of the change"), widget=DATE)
    subject = forms.CharField(
        label=_("Who (the member's name)"),
        max_length=100,
        required=False,
        help_text=_("A member who left also hands over within the profile's days."),
    )


class DoneForm(LabelledCells):
    done_on = forms.DateField(label=_("Done on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class OrderElectionForm(forms.Form):
    told = forms.CharField(
        label=_("Who was told"),
        max_length=200,
        help_text=_("The committee, the residents' committee or the working group, with names."),
    )
    on = forms.DateField(label=_("Told on"), widget=DATE)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ConveneForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (k.value, k.label)
            for k in (Election.Kind.REELECTION, Election.Kind.FIRST_ASSEMBLY, Election.Kind.MATTERS_ONLY)
        ],
    )
