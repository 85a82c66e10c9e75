"""Forms for the committee as a legal entity (registration, credit code, bank account, seal filing,
documents). They only parse input: ``elections.lifecycle.committees`` checks the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.forms.manage import DATE
from elections.models import CommitteeDocument


class CommitteeEntityForm(forms.Form):
    registration_number = forms.CharField(
        label=_("Registration certificate number"), max_length=40, required=False
    )
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=24,
        required=False,
        help_text=_("18 characters, as on the registration certificate."),
    )
    registered_on = forms.DateField(label=_("Registered on"), required=False, widget=DATE)
    bank_name = forms.CharField(label=_("Bank and branch"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account number"), max_length=40, required=False)
    seal_filed_on = forms.DateField(label=_("Seal filed on"), required=False, widget=DATE)
    seal_filing_number = forms.CharField(label=_("Seal filing number"), max_length=40, required=False)


class CommitteeDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=CommitteeDocument.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    file = forms.FileField(
        label=_("File (PDF, JPG or PNG, at most 10 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
