"""Forms of the roll pages: the roll upload, owners' claims, and staff decisions on claims."""

from __future__ import annotations

import os

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import Compound, Unit

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # 20 MB: a roll of 50,000 units as .xlsx is about 3 MB
ROLL_EXTENSIONS = (".csv", ".xlsx")
_ZIP_SIGNATURE = b"PK\x03\x04"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected workbooks


def sniff_roll_file(name: str, head: bytes) -> str | None:
    """Why a file cannot be a roll file, judged by its extension and first bytes; None if it may be.

    An .xlsx workbook is a zip archive; a .csv file is text, so it never starts with a zip or OLE
    signature and never holds a NUL byte. parse_roll checks everything else, row by row.
    """
    ext = os.path.splitext(name or "")[1].lower()
    if ext == ".xls":
        return _("Files in the old .xls format cannot be read: save the file in Excel as .xlsx or as CSV.")
    if ext not in ROLL_EXTENSIONS:
        return _("Upload an Excel workbook (.xlsx) or a CSV file (.csv).")
    if ext == ".xlsx" and not head.startswith(_ZIP_SIGNATURE):
        return _("The file is named .xlsx but is not an Excel workbook: save it again in Excel as .xlsx.")
    if ext == ".csv" and (head.startswith((_ZIP_SIGNATURE, _OLE_SIGNATURE)) or b"\x00" in head):
        return _(
            "The file is named .csv but is not a text file: in Excel choose “Save as” and “CSV UTF-8 (comma delimited)”."
        )
    return None


class RollUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Housing roll file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        upload.seek(0)
        head = upload.read(4096)
        upload.seek(0)
        problem = sniff_roll_file(upload.name, head)
        if problem:
            raise forms.ValidationError(problem)
        return upload


class DeveloperForm(forms.Form):
    """The compound's developer (建设单位): leave both empty to clear it."""

    name = forms.CharField(label=_("Developer"), max_length=100, required=False)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        required=False,
        help_text=_(
            "18 characters (统一社会信用代码). Units whose owner column carries this code in the roll file "
            "are the developer's own and count with its unsold units as one owner (解释 第9条)."
        ),
    )


class ClaimForm(forms.Form):
    """An owner asks to be linked to a unit (认证申请)."""

    compound = forms.ModelChoiceField(
        label=_("Compound"),
        queryset=Compound.objects.all(),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Search for your compound and choose it."),
            "invalid_choice": _("Search for your compound and choose it."),
        },
    )
    unit_code = forms.CharField(
        label=_("Unit number"),
        max_length=60,
        help_text=_("Building-entrance-room, as on the housing roll, e.g. 3-1-201."),
    )
    name = forms.CharField(label=_("Name on the property certificate"), max_length=60)
    id_last4 = forms.CharField(
        label=_("Last four characters of your identity number"), min_length=4, max_length=4
    )
    certificate_number = forms.CharField(label=_("Property certificate number"), max_length=60)

    def __init__(self, *args, compounds=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The picker lists only what the search found (never every compound); the chosen one is
        # validated against all compounds, since any owner may live anywhere.
        self.fields["compound"].choices = [
            (c.pk, f"{c.name}（{c.code}）{c.address and ' · ' + c.address}") for c in compounds or ()
        ]

    def clean_unit_code(self):
        code = self.cleaned_data["unit_code"].strip().replace("－", "-").replace(" ", "")
        return code

    def clean(self):
        cleaned = super().clean()
        compound, code = cleaned.get("compound"), cleaned.get("unit_code")
        if compound is not None and code:
            unit = Unit.objects.filter(compound=compound, code__iexact=code).first()
            if unit is None:
                self.add_error(
                    "unit_code",
                    _(
                        "The housing roll of %(compound)s has no unit %(code)s. Check the number, e.g. 3-1-201."
                    )
                    % {"compound": compound.name, "code": code},
                )
            cleaned["unit"] = unit
        return cleaned


class RejectClaimForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the owner will read it)"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the name does not match the certificate")}),
    )
