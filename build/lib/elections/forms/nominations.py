"""Forms for nominations, vetting and objections. They only shape input; the rules live in
`elections/nominations.py`, whose errors the views put back on the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.models import Candidate, Nomination, Race, VettingFlag

PHOTO_ACCEPT = "image/jpeg,image/png,image/gif,image/webp"
EVIDENCE_ACCEPT = PHOTO_ACCEPT + ",application/pdf"


def _race_field(election) -> forms.ModelChoiceField:
    races = Race.objects.filter(election=election)
    field = forms.ModelChoiceField(queryset=races, label=_("Race"), empty_label=None)
    if races.count() == 1:
        field.initial = races.first()
        field.widget = forms.HiddenInput()
    return field


class CandidateDetailsMixin(forms.Form):
    bio = forms.CharField(
        label=_("About the candidate (shown to owners)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Work, years in the compound, what they would do on the committee."),
    )
    photo = forms.FileField(
        label=_("Photo (JPG or PNG, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900, max_value=2100)
    occupation = forms.CharField(label=_("Occupation"), required=False, max_length=60)
    party_member = forms.BooleanField(label=_("Member of the Communist Party of China"), required=False)


class OwnerNominateForm(CandidateDetailsMixin):
    WHO = (("self", _("Myself (self-nomination)")), ("other", _("Another owner of the compound")))

    who = forms.ChoiceField(
        label=_("Whom do you nominate?"), choices=WHO, widget=forms.RadioSelect, initial="self"
    )
    unit_code = forms.CharField(
        label=_("Their unit number"),
        required=False,
        max_length=60,
        help_text=_("As on the property certificate, e.g. 3-1-201."),
    )
    name = forms.CharField(label=_("Their name"), required=False, max_length=60)
    statement = forms.CharField(
        label=_("Why this person (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["race"] = _race_field(election)
        self.order_fields(["race", "who", "unit_code", "name", "statement"])

    def clean(self):
        data = super().clean()
        if data.get("who") == "other":
            if not (data.get("unit_code") or "").strip():
                self.add_error("unit_code", _("Enter the unit number of the owner you nominate."))
            if not (data.get("name") or "").strip():
                self.add_error("name", _("Enter the name of the owner you nominate."))
        return data


class StaffNominateForm(CandidateDetailsMixin):
    source = forms.ChoiceField(
        label=_("Nominated by"),
        choices=[
            (Nomination.Source.PAPER, _("an owner on a paper form (纸质推荐表)")),
            (Nomination.Source.WORKING_GROUP, _("the working group (筹备组推荐)")),
            (Nomination.Source.PARTY, _("the party organisation (组织推荐)")),
        ],
        widget=forms.RadioSelect,
        initial=Nomination.Source.PAPER,
    )
    unit_code = forms.CharField(label=_("Unit number of the nominee"), max_length=60)
    name = forms.CharField(label=_("Name of the nominee"), max_length=60)
    statement = forms.CharField(
        label=_("Reason or remarks"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, election, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["race"] = _race_field(election)
        self.order_fields(["race", "source", "unit_code", "name", "statement"])


class AcceptForm(CandidateDetailsMixin):
    note = forms.CharField(
        label=_("A word from you (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DeclineForm(forms.Form):
    note = forms.CharField(label=_("Reason (optional)"), required=False, max_length=1000)


class PaperAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[("accept", _("accepted")), ("decline", _("declined"))], widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("How the answer was given"), required=False, max_length=1000)


class FlagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Finding"), choices=VettingFlag.Kind.choices)
    note = forms.CharField(
        label=_("Details"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = forms.FileField(
        label=_("Evidence (photo or PDF, at most 5 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
    )


class VettingForm(forms.Form):
    opinion_party = forms.CharField(
        label=_("Opinion of the party organisation (组织意图)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    opinion_owners = forms.CharField(
        label=_("Opinion of the owners (业主意见)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    opinion_self = forms.CharField(
        label=_("The nominee's own wish (个人意愿)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    positive_notes = forms.CharField(
        label=_("Positive notes (正面清单)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    party_member = forms.BooleanField(label=_("Party member (as confirmed)"), required=False)
    branch_member = forms.BooleanField(label=_("On the compound party branch (交叉任职)"), required=False)
    branch_secretary = forms.BooleanField(label=_("Secretary of the compound party branch"), required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve as candidate")), ("reject", _("Do not approve"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (the nominee reads it; required when not approving)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObjectionForm(forms.Form):
    candidate = forms.ModelChoiceField(
        queryset=Candidate.objects.none(),
        label=_("About which candidate (optional)"),
        required=False,
        empty_label=_("— not about one candidate —"),
    )
    text = forms.CharField(
        label=_("Your objection and the reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, election, candidate_kind: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if candidate_kind:
            self.fields["candidate"].queryset = Candidate.objects.filter(race__election=election)
            self.fields["candidate"].label_from_instance = lambda c: f"{c.key} {c.name}"
        else:
            del self.fields["candidate"]


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class PublishForm(forms.Form):
    """The dates of the candidate notice; posted, with the prefix "candidate_notice_publish", to
    the overview's transition (the field names must match its form)."""

    start = forms.DateField(
        label=_("Notice from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Notice until (empty: the shortest period the rules allow)"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
