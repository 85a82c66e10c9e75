"""Forms for paper ballots (serial, one keying, review, sheet upload) and grid leaders' visits."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.choices import PAPER_LABELS, choice_options
from elections.models import Matter, Race, Visit

BLANK = "blank"


class SerialForm(forms.Form):
    serial = forms.CharField(
        label=gettext_lazy("Ballot serial"),
        max_length=60,
        help_text=gettext_lazy("Scan the QR code on the ballot, or type the serial printed under it."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "inputmode": "latin"}),
    )


class PaperBallotForm(forms.Form):
    """One keying of one paper ballot. Never pre-filled: the second entry is made blind."""

    signed = forms.ChoiceField(
        label=gettext_lazy("Is the ballot signed by the owner?"),
        choices=[("yes", gettext_lazy("Signed")), ("no", gettext_lazy("Not signed"))],
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    unreadable = forms.BooleanField(
        label=gettext_lazy("The ballot cannot be read (torn, crossed out, filled in ambiguously)"),
        required=False,
    )
    note = forms.CharField(label=gettext_lazy("Why it cannot be read"), max_length=200, required=False)

    def __init__(self, *args, matters: list[Matter], races: list[Race], after_close: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.matters = matters
        self.races = races
        answers = [*choice_options(PAPER_LABELS), (BLANK, _("Left blank"))]
        for matter in matters:
            self.fields[f"matter_{matter.key}"] = forms.ChoiceField(
                label=f"{matter.key} {matter.title}",
                choices=answers,
                widget=forms.RadioSelect(attrs={"class": "choices"}),
                required=False,
            )
        for race in races:
            self.fields[f"race_{race.key}"] = forms.MultipleChoiceField(
                label=_("%(title)s (tick at most %(seats)s)") % {"title": race.title, "seats": race.seats},
                choices=[(c.key, f"{c.key} {c.name}") for c in race.candidates.all()],
                widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
                required=False,
            )
        if after_close:
            self.fields["received_before_close"] = forms.BooleanField(
                label=_("I confirm this paper ballot was received before voting closed"), required=True
            )

    def matter_fields(self):
        return [self[f"matter_{m.key}"] for m in self.matters]

    def race_fields(self):
        return [self[f"race_{r.key}"] for r in self.races]

    def clean(self):
        data = super().clean()
        if data.get("signed") == "yes" and not data.get("unreadable"):
            missing = [m.key for m in self.matters if not data.get(f"matter_{m.key}")]
            for key in missing:
                self.add_error(
                    f"matter_{key}", _("Mark what the ballot says for this matter (or “Left blank”).")
                )
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        matters = {}
        for matter in self.matters:
            answer = data.get(f"matter_{matter.key}")
            if answer and answer != BLANK:
                matters[matter.key] = answer
        races = {race.key: list(data.get(f"race_{race.key}") or []) for race in self.races}
        return {
            "signed": data.get("signed") == "yes",
            "unreadable": bool(data.get("unreadable")),
            "note": data.get("note") or "",
            "choices": {"matters": matters, "races": races},
        }


class ResolveForm(forms.Form):
    pick = forms.ChoiceField(
        label=gettext_lazy("Which reading matches the paper ballot?"),
        choices=[
            ("first", gettext_lazy("The first entry")),
            ("second", gettext_lazy("The second entry")),
            ("new", gettext_lazy("Neither: I enter the correct reading below")),
        ],
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )


class PaperImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Keyed-in sheet (.xlsx or .csv)"),
        help_text=gettext_lazy("Columns: 序列号, 签名 (是/否), then one column per matter and per race."),
    )

    def __init__(self, *args, after_close: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if after_close:
            self.fields["received_before_close"] = forms.BooleanField(
                label=_("I confirm every ballot on this sheet was received before voting closed"),
                required=True,
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class PlatformImportForm(forms.Form):
    """The city e-voting platform's per-unit result file, and which platform it comes from."""

    platform = forms.CharField(label=gettext_lazy("Platform"), max_length=100)
    file = forms.FileField(
        label=gettext_lazy("The platform's per-unit result (.xlsx or .csv)"),
        help_text=gettext_lazy("Columns: 房号, then one column per matter and per race."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx or .csv file."))
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class VisitForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("How did the visit go?"),
        choices=Visit.Outcome.choices,
        widget=forms.RadioSelect(attrs={"class": "choices"}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
