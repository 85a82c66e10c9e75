"""Forms of the staff pages that run an election (/manage/). They only parse input: every rule is
checked by the services in `elections/lifecycle.py`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.models import Election, Matter, Scrutineer, WorkingGroupMember
from elections.rules import timeline as tl

# Role names of their own: the model's bare msgid "member" is shared with the party member's role
# and reads 党员, and the catalogue builder keys translations by msgid alone (no context).
COMMITTEE_ROLES = [
    ("chair", _("chair")),
    ("vice_chair", _("vice-chair")),
    ("member", _("ordinary committee member")),
    ("alternate", _("alternate member")),
]
WORKING_GROUP_ROLES = [
    ("leader", _("leader")),
    ("deputy", _("deputy leader")),
    ("member", _("member of the group")),
]

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def _date(label, required=True):
    return forms.DateField(label=label, required=required, widget=DATE)


class ElectionCreateForm(forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Election.Kind.choices, initial=Election.Kind.REELECTION)
    concurrent = forms.BooleanField(
        label=_("If another vote is under way in this compound: I confirm both are to run at the same time"),
        help_text=_(
            "Only a vote on matters may run beside another election; committee members are elected one election at a time."
        ),
        required=False,
    )

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds


class SettingsForm(forms.Form):
    quorum_numerator = forms.IntegerField(label=_("Quorum: numerator"), min_value=1, max_value=99)
    quorum_denominator = forms.IntegerField(label=_("Quorum: denominator"), min_value=1, max_value=99)
    ordinary_numerator = forms.IntegerField(
        required=False,
        label=_("Ordinary matters and candidates need more than: numerator"),
        min_value=1,
        max_value=99,
    )
    ordinary_denominator = forms.IntegerField(
        required=False,
        label=_("Ordinary matters and candidates need more than: denominator"),
        min_value=1,
        max_value=99,
        help_text=_("At least 1/2 (民法典 第278条): the rules of procedure may raise it, never lower it."),
    )
    special_numerator = forms.IntegerField(
        required=False, label=_("Special matters need at least: numerator"), min_value=1, max_value=99
    )
    special_denominator = forms.IntegerField(
        required=False,
        label=_("Special matters need at least: denominator"),
        min_value=1,
        max_value=99,
        help_text=_("At least 3/4 (民法典 第278条): the rules of procedure may raise it, never lower it."),
    )
    proxy_limit = forms.IntegerField(label=_("Owners one proxy may represent"), min_value=1, max_value=99)
    nominations_required = forms.IntegerField(
        label=_("Owners needed to recommend a candidate"), min_value=1, max_value=999
    )
    temporary_meeting = forms.BooleanField(label=_("Temporary meeting"), required=False)
    meeting_form = forms.ChoiceField(
        label=_("Form of the assembly meeting"),
        choices=Election.MeetingForm.choices,
        required=False,
        help_text=_(
            "物业管理条例 第12条: a written consultation, or a meeting held as collective discussion, whose "
            "attendance staff record and whose attendees take part in the vote."
        ),
    )
    # Not implemented by the tally yet (RULES §5 needs proof of delivery per household): shown
    # disabled with the reason, so a posted value is ignored and the default (off) is kept.
    silent_majority = forms.BooleanField(
        label=_("Silent owners counted with the majority"), required=False, disabled=True
    )
    ballot_secrecy = forms.ChoiceField(
        label=_("Voting"),
        choices=Election.Secrecy.choices,
        initial=Election.Secrecy.SECRET,
        required=False,  # left out: unchanged
        help_text=_(
            "Secret (不记名, the default): nobody but the owner can tell how a home voted; the "
            "per-ballot record goes only to the scrutineers and the street office. Named (记名): "
            "owners may see each home's choices, where the rules of procedure say so."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from elections.lifecycle import SILENT_MAJORITY_UNSUPPORTED

        self.fields["silent_majority"].help_text = SILENT_MAJORITY_UNSUPPORTED

    def clean(self):
        data = super().clean()
        n, d = data.get("quorum_numerator"), data.get("quorum_denominator")
        if n and d and n > d:
            raise forms.ValidationError(_("The quorum must be at most 1 (e.g. 2/3)."))
        return data


class OverrideForm(forms.Form):
    """One value of the regional profile that the rules of procedure set differently."""

    name = forms.ChoiceField(label=_("Rule"))
    value = forms.CharField(
        label=_("Value"),
        max_length=10,
        help_text=_("A number of days, months, years or members; for “odd” write yes or no."),
    )
    reason = forms.CharField(
        label=_("Article of the rules of procedure"),
        max_length=200,
        help_text=_("For example: 议事规则第十二条"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from elections.lifecycle import rule_label

        self.fields["name"].choices = [(n, rule_label(n)) for n in tl.Profile.overridable_names()]


class MatterForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Full text"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    item = forms.TypedChoiceField(
        label=_("Statutory item (民法典 第278条)"),
        choices=Matter.Item.choices,
        coerce=int,
        initial=Matter.Item.OTHER,
    )


class MatterDocumentForm(forms.Form):
    """A document a matter carries: the draft, a quote, a budget (checked by the service)."""

    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Left empty: the file's name."),
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("A PDF, or an image (JPG, PNG, WebP) of each page."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )


class FirstDeliveryForm(forms.Form):
    first_delivered_on = forms.DateField(
        label=_("First home delivered on"),
        required=False,
        widget=DATE,
        help_text=_("From the developer's delivery records (首套房屋交付之日)."),
    )


class RaceForm(forms.Form):
    """A race's seats and alternates. A new race's alternates default to its seats (RULES §5)."""

    title = forms.CharField(label=_("Title"), max_length=200, initial=_("Owners' committee members"))
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=99, initial=7)
    alternates = forms.IntegerField(
        label=_("Alternate members"),
        min_value=0,
        max_value=99,
        required=False,
        initial=7,  # the seats' initial: as many alternates as seats
        help_text=_("Empty: as many as the seats."),
    )

    def clean(self):
        data = super().clean()
        # A new race whose alternates were left at the initial value (or emptied) takes the seats
        # it was given; the service applies the same default when none is given.
        untouched = "alternates" not in self.initial and "alternates" not in self.changed_data
        if data.get("alternates") is None or untouched:
            data["alternates"] = None
        return data


class ScrutineerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    mobile = forms.CharField(label=_("Mobile number"), max_length=20)
    duty = forms.ChoiceField(label=_("Duty"), choices=Scrutineer.Duty.choices)


class WorkingGroupMemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    affiliation = forms.ChoiceField(label=_("Affiliation"), choices=WorkingGroupMember.Affiliation.choices)
    role = forms.ChoiceField(label=_("Role"), choices=WORKING_GROUP_ROLES, initial="member")
    party_member = forms.BooleanField(label=_("Party member"), required=False)


class CaseStepForm(forms.Form):
    responsible = forms.CharField(label=_("Responsible"), max_length=100, required=False)
    due_on = _date(_("Due"), required=False)
    done_on = _date(_("Done"), required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CommitteeForm(forms.Form):
    term_start = _date(_("Term starts"))
    term_end = _date(_("Term ends"))
    first_meeting_on = _date(_("First meeting"), required=False)
    officers_published_on = _date(_("Officers published"), required=False)
    filed_on = _date(_("Filed"), required=False)


class CommitteeDatesForm(forms.Form):
    first_meeting_on = _date(_("First meeting"), required=False)
    officers_published_on = _date(_("Officers published"), required=False)
    ended_on = _date(_("Left office"), required=False)
    handed_over_on = _date(_("Records and seal handed over"), required=False)


class CommitteeMemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    role = forms.ChoiceField(label=_("Role"), choices=COMMITTEE_ROLES, initial="member")
    party_member = forms.BooleanField(label=_("Party member"), required=False)
    cross_post = forms.BooleanField(label=_("Also on the compound party branch"), required=False)
    branch_secretary = forms.BooleanField(label=_("Secretary of the compound party branch"), required=False)
