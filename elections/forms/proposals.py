"""Forms of owners' proposals for a temporary assembly: they only parse input; the services in
`elections/proposals.py` check every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from elections.models import CommitteeMember, Election
from elections.proposals import CONVENE_KINDS


class ProposalForm(forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=None, empty_label=None)
    title = forms.CharField(
        label=_("What should the assembly decide?"),
        max_length=200,
        help_text=_("In one line, e.g. 罢免业主委员会委员某某 or 解聘物业服务企业."),
    )
    text = forms.CharField(
        label=_("The proposal in full"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Why, and what exactly the owners are asked to vote on."),
    )

    removal_of = forms.ModelChoiceField(
        label=_("Remove a member of the committee (罢免)"),
        queryset=CommitteeMember.objects.none(),
        required=False,
        help_text=_(
            "Only when the assembly is asked to remove this member: reaching 20 % puts the removal to an assembly."
        ),
    )

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds
        members = (
            CommitteeMember.objects.filter(
                committee__compound__in=compounds, committee__ended_on__isnull=True
            )
            .exclude(role=CommitteeMember.Role.ALTERNATE)
            .select_related("committee__compound")
            .order_by("committee__compound__name", "position", "pk")
        )
        self.fields["removal_of"].queryset = members  # type: ignore[attr-defined]
        self.fields["removal_of"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.name}（{m.committee.compound.name}）"
        )
        if len(compounds) == 1:
            self.fields["compound"].widget = forms.HiddenInput()


class ConveneForm(forms.Form):
    title = forms.CharField(
        label=_("Title of the temporary assembly"),
        max_length=200,
        required=False,
        help_text=_("Left empty: “Temporary owners' assembly: ” and the proposal's title."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(k.value, k.label) for k in Election.Kind if k in CONVENE_KINDS],
        initial=Election.Kind.MATTERS_ONLY,
    )
