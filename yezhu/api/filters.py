"""Query filters of the list endpoints (django-filter). They narrow a queryset that the selectors
have already scoped: a filter can never widen what a user sees."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from elections.models import Ballot, Candidate, Election, Nomination, Stage
from grids.models import Building, Compound, Unit

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """An object id: a whole number (the schema says so, and the form refuses anything else)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class CompoundFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("code or name contains"))
    street = IdFilter(field_name="community__street_id", label=_("street id"))
    community = IdFilter(field_name="community_id", label=_("community id"))
    code = filters.CharFilter(field_name="code", label=_("code"))

    class Meta:
        model = Compound
        fields = ["q", "street", "community", "code"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class BuildingFilter(filters.FilterSet):
    compound = IdFilter(field_name="compound_id", label=_("compound id"))

    class Meta:
        model = Building
        fields = ["compound"]


class UnitFilter(filters.FilterSet):
    compound = IdFilter(field_name="compound_id", label=_("compound id"))
    building = IdFilter(field_name="building_id", label=_("building id"))
    kind = filters.ChoiceFilter(choices=Unit.Kind.choices)
    status = filters.ChoiceFilter(choices=Unit.Status.choices)
    code = filters.CharFilter(field_name="code", lookup_expr="icontains", label=_("unit code contains"))

    class Meta:
        model = Unit
        fields = ["compound", "building", "kind", "status", "code"]


class ElectionFilter(filters.FilterSet):
    compound = IdFilter(field_name="compound_id", label=_("compound id"))
    stage = filters.ChoiceFilter(choices=Stage.choices)
    kind = filters.ChoiceFilter(choices=Election.Kind.choices)

    class Meta:
        model = Election
        fields = ["compound", "stage", "kind"]


class CandidateFilter(filters.FilterSet):
    race = filters.CharFilter(field_name="race__key", label=_("race key"))

    class Meta:
        model = Candidate
        fields = ["race"]


class NominationFilter(filters.FilterSet):
    race = filters.CharFilter(field_name="race__key", label=_("race key"))
    status = filters.ChoiceFilter(choices=Nomination.Status.choices)
    source = filters.ChoiceFilter(choices=Nomination.Source.choices)

    class Meta:
        model = Nomination
        fields = ["race", "status", "source"]


class BoardFilter(filters.FilterSet):
    receipt = filters.CharFilter(method="by_receipt", label=_("receipt code"))
    status = filters.ChoiceFilter(choices=Ballot.Status.choices)

    class Meta:
        model = Ballot
        fields = ["receipt", "status"]

    def by_receipt(self, queryset, name, value):
        # As people read it out: spaces and lower case are forgiven.
        return queryset.filter(receipt=value.strip().upper().replace(" ", ""))
