"""Grid leaders' pages under /grid/ (namespace "grid"): canvassing (催票) and the visit log.

Only users who lead a grid (网格长/楼组长/楼栋长) reach these pages; everyone else gets 404. A
grid leader sees the elections in voting of the compounds of their grids, and for each the
voters with units in their grids who have not voted yet (never how anyone voted), with the
owners' full mobile numbers (they go door to door and call); each opening of a page with
contacts is written to the audit log.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from elections import outreach
from elections import turnout as sel
from elections.errors import ElectionError
from elections.forms.paper import VisitForm
from elections.models import OutreachVisit, Stage, Visit
from grids.selectors import central_household_rows


def _leader_or_404(user) -> list[int]:
    led = sel.led_grid_ids(user)
    if not led:
        raise Http404
    return led


@login_required
@require_GET
def index(request):
    _leader_or_404(request.user)
    rows = []
    for election in sel.canvass_elections(request.user).select_related("compound"):
        overall = sel.turnout_overall(election)
        rows.append({"election": election, "overall": overall})
    return render(
        request,
        "grids/grid/index.html",
        {
            "rows": rows,
            "central": central_household_rows(request.user),
            "outreach": list(outreach.grid_outreach_elections(request.user).select_related("compound")),
        },
    )


@login_required
@require_GET
def election_page(request, pk: int):
    led = _leader_or_404(request.user)
    election = sel.get_canvass_election(request.user, pk)
    context = {"election": election, "voting": election.stage == Stage.VOTING}
    if sel.turnout_shown(election):
        context["overall"] = sel.turnout_overall(election)
        context["grids"] = sel.turnout_by_grid(election, grid_ids=led)
    if election.stage == Stage.VOTING:
        rows = sel.canvass_list(election=election, user=request.user)
        sel.canvass_contacts_viewed(election=election, actor=request.user, voters=len(rows))
        context["rows"] = rows
    return render(request, "grids/grid/election.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def voter_page(request, pk: int, voter_id: int):
    _leader_or_404(request.user)
    election = sel.get_canvass_election(request.user, pk)
    voter = sel.grid_voter(election=election, user=request.user, voter_id=voter_id)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sel.visit_record(
                election=election,
                voter=voter,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The visit is logged."))
            return redirect("grid:voter", pk=election.pk, voter_id=voter.pk)
    contacts = sel.voter_contacts([voter.pk], full=True).get(voter.pk, [])
    sel.canvass_contacts_viewed(election=election, actor=request.user, voters=1, voter_id=voter.pk)
    visits = Visit.objects.filter(election=election, voter=voter).select_related("visited_by")
    earlier = OutreachVisit.objects.filter(election=election, unit__in=voter.units.all()).select_related(
        "visited_by", "unit"
    )
    return render(
        request,
        "grids/grid/voter.html",
        {
            "election": election,
            "voter": voter,
            "area_text": sel.format_area(voter.area),
            "contacts": contacts,
            "visits": visits,
            "earlier": earlier,
            "form": form,
            "voting": election.stage == Stage.VOTING,
        },
    )


urlpatterns = [
    path("", index, name="index"),
    path("e/<int:pk>/", election_page, name="election"),
    path("e/<int:pk>/voters/<int:voter_id>/", voter_page, name="voter"),
]
