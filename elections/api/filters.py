"""Query filters of the elections endpoints (django-filter). They narrow a queryset that the
selectors have already scoped: a filter can never widen what a user sees."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from elections.models import Ballot, Candidate, Election, Nomination, Stage
from yezhu.api.filters import IdFilter, TextFilter


class ElectionFilter(filters.FilterSet):
    compound = IdFilter(field_name="compound_id", label=_("compound id"))
    stage = filters.ChoiceFilter(choices=Stage.choices)
    kind = filters.ChoiceFilter(choices=Election.Kind.choices)

    class Meta:
        model = Election
        fields = ["compound", "stage", "kind"]


class CandidateFilter(filters.FilterSet):
    race = TextFilter(field_name="race__key", label=_("race key"))

    class Meta:
        model = Candidate
        fields = ["race"]


class NominationFilter(filters.FilterSet):
    race = TextFilter(field_name="race__key", label=_("race key"))
    status = filters.ChoiceFilter(choices=Nomination.Status.choices)
    source = filters.ChoiceFilter(choices=Nomination.Source.choices)

    class Meta:
        model = Nomination
        fields = ["race", "status", "source"]


class BoardFilter(filters.FilterSet):
    receipt = TextFilter(method="by_receipt", label=_("receipt code"))
    status = filters.ChoiceFilter(choices=Ballot.Status.choices)

    class Meta:
        model = Ballot
        fields = ["receipt", "status"]

    def by_receipt(self, queryset, name, value):
        # As people read it out: spaces and lower case are forgiven.
        return queryset.filter(receipt=value.strip().upper().replace(" ", ""))
