"""Turnout pages: owners of the compound (/e/<pk>/turnout/, "elections:turnout") and staff
(/manage/e/<pk>/turnout/, "manage:turnout"). Counts only, never a choice; shown from the opening
of voting on (before: a notice). Grid leaders see their grids' turnout under /grid/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from elections import turnout as sel
from elections.models import Election
from elections.selectors import can_manage, get_visible_election
from grids.selectors import STAFF_ROLES, staff_compounds


def _page(request, election: Election, *, staff: bool):
    shown = sel.turnout_shown(election)
    context = {"election": election, "shown": shown, "staff": staff}
    if shown:
        context.update(
            overall=sel.turnout_overall(election),
            buildings=sel.turnout_by_building(election),
            grids=sel.turnout_by_grid(election),
            can_manage=staff and can_manage(request.user, election),
        )
    return render(request, "elections/turnout/turnout.html", context)


@login_required
@require_GET
def turnout(request, pk: int):
    """Owners (and anyone who may see the election) see the compound's turnout."""
    return _page(request, get_visible_election(request.user, pk), staff=False)


@login_required
@require_GET
def manage_turnout(request, pk: int):
    """Staff of the compound (street, community, working group, auditors)."""
    election = (
        Election.objects.filter(compound__in=staff_compounds(request.user, STAFF_ROLES))
        .select_related("compound")
        .filter(pk=pk)
        .first()
    )
    if election is None:
        raise Http404
    return _page(request, election, staff=True)


urlpatterns = [path("<int:pk>/turnout/", turnout, name="turnout")]
manage_urlpatterns = [path("e/<int:pk>/turnout/", manage_turnout, name="turnout")]
