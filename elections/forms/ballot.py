"""The owner's ballot as a form, and the signed token that carries it to the confirmation step.

The choices travel from the ballot page to the confirmation page and back in a hidden field
signed with `django.core.signing` (never in the session: nothing may keep a ballot on the server
before it is cast, and the signature stops a tampered page from casting something else than what
was shown). A token names its election and voter and expires after 30 minutes.
"""

from __future__ import annotations

from django import forms
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.choices import BALLOT_LABELS, choice_options
from elections.models import Election, Matter, Race, Voter

TOKEN_SALT = "yezhu.elections.ballot"
TOKEN_MAX_AGE = 30 * 60

ANSWERS = choice_options(BALLOT_LABELS)


def candidate_photo_url(election_id: int, candidate) -> str:
    """The candidate notice's photo view when it exists (media files are not served directly)."""
    if not candidate.photo:
        return ""
    return reverse("elections:candidate_photo", args=[election_id, candidate.pk])


def matter_field(matter: Matter) -> str:
    return f"matter_{matter.key}"


def race_field(race: Race) -> str:
    return f"race_{race.key}"


class BallotForm(forms.Form):
    """One radio group per matter (同意/反对/弃权) and one checkbox group per race."""

    def __init__(self, *args, matters: list[Matter], races: list[Race], **kwargs):
        super().__init__(*args, **kwargs)
        self.matters = matters
        self.races = races
        for matter in matters:
            self.fields[matter_field(matter)] = forms.ChoiceField(
                label=matter.title,
                choices=ANSWERS,
                widget=forms.RadioSelect,
                required=False,  # a blank matter on a valid ballot is an abstention (RULES.md §3)
            )
        for race in races:
            self.fields[race_field(race)] = forms.MultipleChoiceField(
                label=race.title,
                choices=[(c.key, c.name) for c in race.candidates.all()],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )

    def matter_rows(self) -> list[tuple[Matter, forms.BoundField]]:
        return [(matter, self[matter_field(matter)]) for matter in self.matters]

    def race_rows(self) -> list[dict]:
        """Each race with its candidates beside their checkboxes (photos and bios need both)."""
        rows = []
        for race in self.races:
            field = self[race_field(race)]
            boxes = list(field)
            candidates = list(race.candidates.all())
            rows.append(
                {
                    "race": race,
                    "field": field,
                    "candidates": [
                        {"candidate": c, "box": box, "photo_url": candidate_photo_url(race.election_id, c)}
                        for c, box in zip(candidates, boxes, strict=True)
                    ],
                }
            )
        return rows

    def choices(self) -> dict:
        """The cleaned form as ballot choices: {"matters": {...}, "races": {...}}."""
        matters = {}
        for matter in self.matters:
            answer = self.cleaned_data.get(matter_field(matter))
            if answer:
                matters[matter.key] = answer
        races = {race.key: list(self.cleaned_data.get(race_field(race)) or []) for race in self.races}
        return {"matters": matters, "races": races}

    @staticmethod
    def initial_from(choices: dict, matters: list[Matter], races: list[Race]) -> dict:
        initial = {}
        for matter in matters:
            answer = (choices.get("matters") or {}).get(matter.key)
            if answer:
                initial[matter_field(matter)] = answer
        for race in races:
            initial[race_field(race)] = (choices.get("races") or {}).get(race.key, [])
        return initial


def ballot_token(*, election: Election, voter: Voter, choices: dict) -> str:
    return signing.dumps({"e": election.pk, "v": voter.pk, "c": choices}, salt=TOKEN_SALT, compress=True)


class TokenError(Exception):
    pass


def read_ballot_token(token: str, *, election: Election, voter: Voter) -> dict:
    """The choices a token carries, or `TokenError` with a message for the owner."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise TokenError(
            _("The confirmation page was open too long. Please fill in the ballot again.")
        ) from None
    except signing.BadSignature:
        raise TokenError(_("The ballot could not be read. Please fill it in again.")) from None
    if data.get("e") != election.pk or data.get("v") != voter.pk or not isinstance(data.get("c"), dict):
        raise TokenError(_("The ballot could not be read. Please fill it in again."))
    return data["c"]


class ProxyForm(forms.Form):
    """An owner names a proxy: the proxy's name and mobile number."""

    proxy_name = forms.CharField(label=gettext_lazy("Proxy's name"), max_length=60)
    proxy_mobile = forms.CharField(
        label=gettext_lazy("Proxy's mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "off"}),
    )


class PaperProxyForm(ProxyForm):
    """Staff record a paper authorisation (委托书) with its scan, naming the principal by unit."""

    unit = forms.CharField(
        label=gettext_lazy("Principal's unit (e.g. 3-1-201)"),
        max_length=60,
    )
    document = forms.FileField(
        label=gettext_lazy("Scanned authorisation (photo or PDF, at most 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    def __init__(self, *args, election: Election, **kwargs):
        super().__init__(*args, **kwargs)
        self.election = election
        self.order_fields(["unit", "proxy_name", "proxy_mobile", "document"])

    def clean_unit(self) -> Voter:
        code = self.cleaned_data["unit"].strip()
        voter = Voter.objects.filter(election=self.election, units__code=code).first()
        if voter is None:
            raise forms.ValidationError(_("No voter of this election has unit %(code)s.") % {"code": code})
        return voter
