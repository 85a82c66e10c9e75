"""The page's form of each transition, made from the parameters its entry in the transition table
declares (:class:`elections.lifecycle.table.Param`). The API's serializers are made from the same
entries (``elections.api.lifecycle``), so the page and the API ask for the same things."""

from __future__ import annotations

from functools import cache

from django import forms
from django.utils import timezone

from elections.forms.manage import DATE, DATETIME, DATETIME_FORMATS
from elections.lifecycle import table
from elections.models import Election


def _field(param: table.Param) -> forms.Field:
    common = {"label": param.label, "required": param.required, "help_text": ""}
    if param.kind == table.DATE:
        return forms.DateField(widget=DATE, **common)
    if param.kind == table.DATETIME:
        return forms.DateTimeField(widget=DATETIME, input_formats=DATETIME_FORMATS, **common)
    if param.kind == table.CHOICE:
        return forms.ChoiceField(
            choices=list(param.choices), widget=forms.RadioSelect, initial=param.default, **common
        )
    if param.kind == table.TEXT:
        return forms.CharField(max_length=param.max_length, **common)
    if param.kind == table.FILE:
        return forms.FileField(**common)
    raise ValueError(f"unknown parameter kind {param.kind!r}")


@cache
def form_class(name: str) -> type[forms.Form]:
    """The form of the transition ``name`` (one class per transition, made once)."""
    entry = table.transition(name)
    fields = {param.name: _field(param) for param in entry.params}
    return type(f"{''.join(w.title() for w in name.split('_'))}Form", (forms.Form,), fields)


def initial(name: str, election: Election) -> dict:
    """What the page shows before staff type: today for the dates left out as today, the window
    already scheduled, the default restart point."""
    values = {}
    for param in table.transition(name).params:
        if param.today_if_empty:
            values[param.name] = timezone.localdate()
        elif param.initial is not None:
            value = param.initial(election)
            if value is not None:
                values[param.name] = value
        elif param.default is not None:
            values[param.name] = param.default
    return values


def transition_form(name: str, election: Election, data=None, files=None) -> forms.Form:
    """The bound (``data``, ``files``) or unbound form of one transition, prefixed by its name."""
    cls = form_class(name)
    if data is not None:
        return cls(data, files, prefix=name)
    return cls(initial=initial(name, election), prefix=name)


def parameters(name: str, cleaned: dict) -> dict:
    """The service's keyword arguments from a valid form: empty optional values left out, so the
    service applies its own default (today, the shortest notice, the notice restart point)."""
    return {key: value for key, value in cleaned.items() if value not in (None, "")}
