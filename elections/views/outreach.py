"""Outreach before the vote and the reserve of future candidates.

Staff who run the election (namespace "manage", under /manage/):
    e/<pk>/outreach/                visits before the vote: coverage, the log, a form by unit number
    c/<cpk>/reserve/                the reserve of future candidates (also the branch's officers)
    reserve/<rid>/withdraw/         take someone off the reserve

Grid leaders (namespace "grid", under /grid/):
    e/<pk>/outreach/                the homes of their grids with their last visit before the vote
    e/<pk>/outreach/<unit_id>/      one home: log a visit, read the earlier ones

Scope through ``elections.outreach`` (managed elections, led grids, reserve compounds): anything
else is a 404; a home that is not the user's to visit is a 403.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import outreach as svc
from elections.errors import ElectionError
from elections.models import OutreachVisit, ReserveCandidate
from elections.selectors import get_managed_election
from grids.models import Ownership
from grids.selectors import grid_units


class OutreachForm(forms.Form):
    way = forms.ChoiceField(label=gettext_lazy("How"), choices=OutreachVisit.Way.choices, initial="visit")
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=OutreachVisit.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("What the owner said"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StaffOutreachForm(OutreachForm):
    unit_code = forms.CharField(label=gettext_lazy("Unit number"), max_length=60)
    field_order = ["unit_code", "way", "outcome", "note"]


class ReserveForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    unit_code = forms.CharField(
        label=gettext_lazy("Unit number"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Optional: links the owner registered on it."),
    )
    party_member = forms.BooleanField(label=gettext_lazy("Party member"), required=False)
    source = forms.ChoiceField(label=gettext_lazy("Suggested by"), choices=ReserveCandidate.Source.choices)
    suggested_by_name = forms.CharField(label=gettext_lazy("Name of who suggested them"), max_length=60)
    reason = forms.CharField(
        label=gettext_lazy("Why (strengths, what they could do)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def refuse_as_403(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except svc.OutreachForbidden:
            raise PermissionDenied from None

    return wrapped


def _owners(unit_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for unit_id, name in Ownership.objects.filter(unit_id__in=unit_ids).values_list("unit_id", "owner__name"):
        names.setdefault(unit_id, []).append(name)
    return names


# ---------------------------------------------------------------------------------------------
# Staff: visits before the vote
# ---------------------------------------------------------------------------------------------


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def staff_outreach(request, pk: int):
    election = get_managed_election(request.user, pk)
    units = svc.outreach_units(request.user, election)
    open_ = election.stage in svc.OUTREACH_STAGES
    form = StaffOutreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = units.filter(code=data["unit_code"].strip()).first()
        if unit is None:
            form.add_error("unit_code", _("There is no home with a registered owner under this number."))
        else:
            try:
                svc.outreach_record(
                    election=election,
                    unit=unit,
                    actor=request.user,
                    way=data["way"],
                    outcome=data["outcome"],
                    note=data["note"],
                )
            except ElectionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The visit to %(home)s is logged.") % {"home": unit.code})
                return redirect("manage:outreach", pk=election.pk)
    visits = list(OutreachVisit.objects.filter(election=election).select_related("unit", "visited_by")[:100])
    return render(
        request,
        "elections/outreach/staff.html",
        {
            "election": election,
            "open": open_,
            "form": form,
            "summary": svc.outreach_summary(election, units),
            "visits": visits,
        },
    )


# ---------------------------------------------------------------------------------------------
# Grid leaders
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def grid_outreach(request, pk: int):
    election = svc.get_grid_outreach_election(request.user, pk)
    units = list(
        grid_units(request.user)
        .filter(compound_id=election.compound_id, ownerships__isnull=False)
        .distinct()
        .order_by("code")
    )
    last = svc.last_visits(election, [u.pk for u in units])
    owners = _owners([u.pk for u in units])
    rows = [{"unit": u, "last": last.get(u.pk), "owners": owners.get(u.pk, [])} for u in units]
    rows.sort(key=lambda r: (r["last"] is not None, r["unit"].code))
    return render(
        request,
        "elections/outreach/grid.html",
        {
            "election": election,
            "rows": rows,
            "summary": svc.outreach_summary(election, svc.outreach_units(request.user, election)),
        },
    )


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def grid_home(request, pk: int, unit_id: int):
    election = svc.get_grid_outreach_election(request.user, pk)
    unit = get_object_or_404(svc.outreach_units(request.user, election), pk=unit_id)
    form = OutreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.outreach_record(election=election, unit=unit, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The visit to %(home)s is logged.") % {"home": unit.code})
            return redirect("grid:outreach", pk=election.pk)
    return render(
        request,
        "elections/outreach/home.html",
        {
            "election": election,
            "unit": unit,
            "owners": _owners([unit.pk]).get(unit.pk, []),
            "visits": OutreachVisit.objects.filter(election=election, unit=unit).select_related("visited_by"),
            "form": form,
        },
    )


# ---------------------------------------------------------------------------------------------
# The reserve of future candidates
# ---------------------------------------------------------------------------------------------


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def reserve(request, cpk: int):
    compound = get_object_or_404(svc.reserve_compounds(request.user).select_related("community"), pk=cpk)
    form = ReserveForm(request.POST or None, initial={"suggested_by_name": getattr(request.user, "name", "")})
    if request.method == "POST" and form.is_valid():
        try:
            svc.reserve_add(compound=compound, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Added to the reserve."))
            return redirect("manage:reserve", cpk=compound.pk)
    candidates = list(
        ReserveCandidate.objects.filter(compound=compound)
        .select_related("added_by")
        .order_by("status", "-created_at")
    )
    return render(
        request,
        "elections/outreach/reserve.html",
        {
            "compound": compound,
            "active": [c for c in candidates if c.status == ReserveCandidate.Status.ACTIVE],
            "withdrawn": [c for c in candidates if c.status != ReserveCandidate.Status.ACTIVE],
            "form": form,
        },
    )


@login_required
@refuse_as_403
@require_POST
def reserve_withdraw(request, rid: int):
    candidate = get_object_or_404(
        ReserveCandidate.objects.filter(compound__in=svc.reserve_compounds(request.user)), pk=rid
    )
    try:
        svc.reserve_withdraw(candidate=candidate, actor=request.user, reason=request.POST.get("reason", ""))
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Withdrawn from the reserve."))
    return redirect("manage:reserve", cpk=candidate.compound_id)


manage_urlpatterns = [
    path("e/<int:pk>/outreach/", staff_outreach, name="outreach"),
    path("c/<int:cpk>/reserve/", reserve, name="reserve"),
    path("reserve/<int:rid>/withdraw/", reserve_withdraw, name="reserve_withdraw"),
]

grid_urlpatterns = [
    path("e/<int:pk>/outreach/", grid_outreach, name="outreach"),
    path("e/<int:pk>/outreach/<int:unit_id>/", grid_home, name="outreach_home"),
]
