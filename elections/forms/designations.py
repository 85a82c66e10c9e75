"""Forms of the co-owners' designation (共有人指定投票人): the owner's proposal and staff's record."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.models import Election, Voter
from grids.models import Owner


class ProposeForm(forms.Form):
    designee = forms.TypedChoiceField(label=gettext_lazy("The co-owner who votes for this home"), coerce=int)

    def __init__(self, *args, co_owners: list[Owner], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["designee"].choices = [(o.pk, o.name) for o in co_owners]


class PaperDesignationForm(forms.Form):
    """Staff record a written designation signed by every co-owner, naming the home by a unit."""

    unit = forms.CharField(label=gettext_lazy("A unit of the home (e.g. 3-1-201)"), max_length=60)
    designee_name = forms.CharField(
        label=gettext_lazy("Name of the designated co-owner, as registered"), max_length=60
    )
    document = forms.FileField(
        label=gettext_lazy("Scanned designation signed by every co-owner (photo or PDF, at most 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    def __init__(self, *args, election: Election, **kwargs):
        super().__init__(*args, **kwargs)
        self.election = election

    def clean_unit(self) -> Voter:
        code = self.cleaned_data["unit"].strip()
        voter = Voter.objects.filter(election=self.election, units__code=code).first()
        if voter is None:
            raise forms.ValidationError(_("No voter of this election has unit %(code)s.") % {"code": code})
        return voter
