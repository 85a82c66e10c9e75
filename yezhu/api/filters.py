"""The filter every list endpoint's FilterSet builds on (django-filter). Each app's filters live in its
own `api` module; they narrow a queryset that the selectors have already scoped: a filter can never
widen what a user sees."""

from __future__ import annotations

import django_filters as filters
from django import forms
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """An object id: a whole number (the schema says so, and the form refuses anything else)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "pattern": "^[^\\u0000]*$"})
class TextFilter(filters.CharFilter):
    """Text to match. Django's forms refuse a NUL character in any text, so the schema says so: a
    client generated from it never sends one and is never surprised by the 400."""
