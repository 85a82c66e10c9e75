"""The street's settings under /street/settings/ (namespace "street"): the street office's gates
(三关) on every election of the street and the advisory party share among candidates.

Whoever may read the street's board sees the settings; only the street's own office changes them
(grids.streets.street_settings_update refuses anyone else, and the page answers 403).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from elections.views.street import _one_street, _with_query
from grids.models import Street
from grids.streets import StreetError, may_set_street, street_settings_update


class StreetSettingsForm(forms.Form):
    gate_start = forms.BooleanField(
        label=gettext_lazy("The street office approves the start of each election"),
        required=False,
        help_text=gettext_lazy(
            "The working group can only be formed once the street office has approved the start."
        ),
    )
    gate_working_group = forms.BooleanField(
        label=gettext_lazy("The street office vets and approves each working group's make-up"),
        required=False,
        help_text=gettext_lazy(
            "The working group's list and the assembly notice wait for the street office's approval."
        ),
    )
    party_share_target = forms.DecimalField(
        label=gettext_lazy("Advised share of party members among candidates"),
        min_value=0,
        max_value=1,
        decimal_places=2,
        help_text=gettext_lazy("Advisory only, e.g. 0.50 for at least half."),
    )
    sms_monthly_budget = forms.DecimalField(
        label=gettext_lazy("Monthly text-message budget (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=gettext_lazy(
            "Empty: no ceiling. A notice whose text messages would cost more than what is left this "
            "month is refused."
        ),
    )


def _initial(street: Street) -> dict:
    return {
        "gate_start": street.gate_start,
        "gate_working_group": street.gate_working_group,
        "party_share_target": street.party_share_target,
        "sms_monthly_budget": street.sms_monthly_budget,
    }


@require_http_methods(["GET", "POST"])
@login_required
def street_settings(request):
    streets, street = _one_street(request)
    if street is None:
        return redirect("street:district")
    editable = may_set_street(request.user, street)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = StreetSettingsForm(request.POST or None, initial=_initial(street))
    if request.method == "POST" and form.is_valid():
        try:
            street_settings_update(street=street, actor=request.user, **form.cleaned_data)
        except StreetError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The street's settings are saved."))
            return redirect(
                _with_query(reverse("street:settings"), street=street.pk if len(streets) > 1 else "")
            )
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "elections/street/settings.html",
        {"street": street, "streets": streets, "form": form, "editable": editable},
    )


urlpatterns = [path("settings/", street_settings, name="settings")]
