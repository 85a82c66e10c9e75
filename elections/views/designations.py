"""Co-owners designate who votes for their home (共有人指定投票人): the owners' page and staff's page.

The owner's page (/e/<pk>/designate/<voter>/) is for the co-owners of that home only (others get
404): it shows who is designated or who still has to agree, and lets a co-owner propose, confirm or
withdraw. Staff who run the election record written designations and withdraw any
(/manage/e/<pk>/designations/). Every write is a service of elections.designations.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from elections import designations as ds
from elections import voting
from elections.errors import ElectionError
from elections.forms.designations import PaperDesignationForm, ProposeForm
from elections.models import Designation
from elections.selectors import get_managed_election


@login_required
@require_http_methods(["GET", "POST"])
def designate(request, pk: int, voter_id: int):
    election = voting.election_for_voting(request.user, pk)
    voter = voting.owned_voter(election=election, user=request.user, voter_id=voter_id)
    if voter is None:
        raise Http404
    owners = ds.co_owners(voter)
    current = ds.live_designation(voter)
    form = ProposeForm(request.POST or None, co_owners=owners)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "propose" and form.is_valid():
                ds.designation_propose(
                    election=election,
                    voter=voter,
                    actor=request.user,
                    designee_id=form.cleaned_data["designee"],
                )
                messages.success(
                    request, _("Your proposal is recorded; the other co-owners are asked to agree.")
                )
                return redirect("elections:designate", election.pk, voter.pk)
            if action in ("confirm", "withdraw") and current is not None:
                if action == "confirm":
                    ds.designation_confirm(designation=current, actor=request.user)
                    messages.success(request, _("Your agreement is recorded."))
                else:
                    ds.designation_withdraw(designation=current, actor=request.user)
                    messages.success(request, _("The designation is withdrawn: any co-owner may vote again."))
                return redirect("elections:designate", election.pk, voter.pk)
        except ElectionError as error:
            messages.error(request, str(error))
            return redirect("elections:designate", election.pk, voter.pk)
    mine = ds.own_records(voter, request.user)
    return render(
        request,
        "elections/designation/designate.html",
        {
            "election": election,
            "voter": voter,
            "co_owners": owners,
            "single": len(owners) < 2,
            "current": current,
            "waiting": ds.waiting_for(current)
            if current and current.status == Designation.Status.PROPOSED
            else [],
            "i_agreed": bool(current and mine <= set(current.confirmed_by or ())),
            "form": form,
            "open": voting.proxies_open(election, timezone.now()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_designations(request, pk: int):
    election = get_managed_election(request.user, pk)
    form = PaperDesignationForm(request.POST or None, request.FILES or None, election=election)
    if request.method == "POST" and form.is_valid():
        voter = form.cleaned_data["unit"]
        name = form.cleaned_data["designee_name"].strip()
        matches = [o for o in ds.co_owners(voter) if o.name == name]
        if len(matches) != 1:
            form.add_error(
                "designee_name", _("Write the name of exactly one registered co-owner of this home.")
            )
        else:
            try:
                ds.designation_record_paper(
                    election=election,
                    voter=voter,
                    actor=request.user,
                    designee_id=matches[0].pk,
                    document=form.cleaned_data["document"],
                )
            except ElectionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Designation recorded: %(name)s votes for %(units)s.")
                    % {"name": name, "units": voter.unit_codes},
                )
                return redirect("manage:designations", election.pk)
    rows = (
        Designation.objects.filter(election=election)
        .select_related("voter", "designee")
        .order_by("status", "voter__unit_codes", "-created_at")
    )
    return render(
        request, "elections/designation/manage.html", {"election": election, "form": form, "rows": rows}
    )


@login_required
@require_POST
def manage_designation_withdraw(request, pk: int, designation_id: int):
    election = get_managed_election(request.user, pk)
    designation = Designation.objects.filter(election=election, pk=designation_id).first()
    if designation is None:
        raise Http404
    try:
        ds.designation_withdraw(designation=designation, actor=request.user)
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The designation is withdrawn."))
    return redirect("manage:designations", election.pk)


urlpatterns = [
    path("<int:pk>/designate/<int:voter_id>/", designate, name="designate"),
]

manage_urlpatterns = [
    path("e/<int:pk>/designations/", manage_designations, name="designations"),
    path(
        "e/<int:pk>/designations/<int:designation_id>/withdraw/",
        manage_designation_withdraw,
        name="designation_withdraw",
    ),
]
