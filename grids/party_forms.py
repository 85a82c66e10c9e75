"""Forms of the party organisation's pages (/party/). They only parse input: grids.party decides."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import PartyActivity, PartyMember

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The posts by their own names: the model's bare "member" is shared with other roles.
POSTS = [
    (PartyMember.Role.SECRETARY, _("secretary")),
    (PartyMember.Role.DEPUTY, _("deputy secretary")),
    (PartyMember.Role.COMMITTEE, _("branch committee member")),
    (PartyMember.Role.GROUP_LEADER, _("party group leader")),
    (PartyMember.Role.MEMBER, _("party member")),
]


class OrgNameForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation"), max_length=100)


class ChildOrgForm(forms.Form):
    place = forms.ChoiceField(label=_("Where"))
    name = forms.CharField(
        label=_("Name of the organisation"),
        max_length=100,
        required=False,
        help_text=_("Left empty: named after the place."),
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(str(p.pk), str(p)) for p in places]


class MemberForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    role = forms.ChoiceField(label=_("Post"), choices=POSTS, initial=PartyMember.Role.MEMBER)
    unit_code = forms.CharField(
        label=_("Home (unit number)"),
        max_length=60,
        required=False,
        help_text=_("For a branch or building group: the unit the member owns, e.g. 3-1-201."),
    )
    reported_on = forms.DateField(label=_("Reported to the branch on"), required=False, widget=DATE)


class ReportForm(forms.Form):
    unit = forms.ChoiceField(label=_("My home"))
    name = forms.CharField(label=_("My name"), max_length=60)
    home_org = forms.CharField(
        label=_("Party organisation holding my membership"),
        max_length=100,
        help_text=_("Where your membership is registered, e.g. your employer's branch."),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(u.pk), f"{u.compound.name} {u.code}") for u in units]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ActivityForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE, initial=timezone.localdate)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartyActivity.Kind.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
