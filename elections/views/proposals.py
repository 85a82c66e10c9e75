"""Owners' proposals for a temporary assembly (临时业主大会, 指导规则 第二十一条): owners propose and
sign under /e/proposals/ (namespace "elections"); staff see a compound's proposals and record the
assembly convened under /manage/ (namespace "manage").

Every page reaches proposals through `proposals_for` (the compounds the user owns a home in, and
the staff scope), so an owner of another compound and another street's staff get 404; every write
is a service of `elections/proposals.py`.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import proposals as svc
from elections.errors import ElectionError
from elections.forms.proposals import ConveneForm, ProposalForm
from elections.lifecycle import share_text
from elections.models import AssemblyProposal
from elections.rules.assembly import PROPOSAL_SHARE, PROPOSAL_SOURCE
from elections.selectors import proposals_for
from grids.models import Compound, Unit
from grids.selectors import managed_compounds, owner_units


def _width(share: Fraction | None) -> int:
    """A share as a bar width 0–100 (the .w0 … .w100 classes)."""
    if share is None:
        return 0
    return max(0, min(100, floor(share * 100)))


def _owned_compounds(user):
    """The compounds where the person may propose and sign: a delivered home registered to them."""
    ids = owner_units(user).filter(status=Unit.Status.DELIVERED).values("compound_id")
    return Compound.objects.filter(pk__in=ids).order_by("name")


def _progress(proposal: AssemblyProposal) -> dict:
    support = svc.proposal_support(proposal)
    return {
        "support": support,
        "area": share_text(support.area_share),
        "heads": share_text(support.heads_share),
        "area_width": _width(support.area_share),
        "heads_width": _width(support.heads_share),
        "threshold": share_text(PROPOSAL_SHARE),
        "area_missing": max(support.area_needed - support.signed_area, 0),
        "heads_missing": max(support.heads_needed - support.signed_heads, 0),
    }


# ---------------------------------------------------------------------------------------------
# Owners
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request):
    """The proposals of the compounds the person owns a home in (and of their staff scope)."""
    compounds = _owned_compounds(request.user)
    rows = list(proposals_for(request.user).order_by("-created_at", "-pk")[:50])
    return render(
        request,
        "elections/proposals/list.html",
        {"rows": rows, "can_propose": compounds.exists(), "source": PROPOSAL_SOURCE},
    )


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request):
    compounds = _owned_compounds(request.user)
    if not compounds.exists():
        raise Http404
    first = compounds.first()
    form = ProposalForm(
        request.POST or None, compounds=compounds, initial={"compound": first.pk if first else None}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            proposal = svc.proposal_create(
                compound=d["compound"],
                actor=request.user,
                title=d["title"],
                text=d["text"],
                removal_of=d.get("removal_of"),
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your proposal is open for signatures; your homes have signed it."))
            return redirect("elections:proposal", pk=proposal.pk)
    return render(request, "elections/proposals/new.html", {"form": form, "source": PROPOSAL_SOURCE})


@login_required
@require_GET
def proposal_detail(request, pk: int):
    proposal = get_object_or_404(proposals_for(request.user), pk=pk)
    voters = svc.signer_voters(proposal.compound, request.user)
    signed = {
        s.voter_key: s for s in svc.active_signatures(proposal).filter(voter_key__in=[v.key for v in voters])
    }
    mine = [{"voter": v, "signature": signed.get(v.key)} for v in voters]
    return render(
        request,
        "elections/proposals/detail.html",
        {
            "proposal": proposal,
            "progress": _progress(proposal),
            "mine": mine,
            "can_sign": proposal.status == AssemblyProposal.Status.OPEN
            and any(r["signature"] is None for r in mine),
            "can_withdraw": proposal.status == AssemblyProposal.Status.OPEN
            and any(
                r["signature"] is not None and r["signature"].signed_by_id == request.user.pk for r in mine
            ),
            "source": PROPOSAL_SOURCE,
        },
    )


@login_required
@require_POST
def proposal_sign(request, pk: int):
    proposal = get_object_or_404(proposals_for(request.user), pk=pk)
    try:
        proposal = svc.proposal_sign(proposal=proposal, actor=request.user)
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        if proposal.status == AssemblyProposal.Status.REACHED:
            messages.success(
                request,
                _(
                    "Signed. The proposal has reached %(share)s of the area and of the owners: "
                    "the committee has been told."
                )
                % {"share": share_text(PROPOSAL_SHARE)},
            )
        else:
            messages.success(request, _("Signed."))
    return redirect("elections:proposal", pk=pk)


@login_required
@require_POST
def proposal_withdraw(request, pk: int):
    proposal = get_object_or_404(proposals_for(request.user), pk=pk)
    try:
        svc.proposal_withdraw(proposal=proposal, actor=request.user)
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your signature is withdrawn."))
    return redirect("elections:proposal", pk=pk)


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def compound_proposals(request, cpk: int):
    """A compound's proposals for the staff who run its elections, with the convene form."""
    compound = get_object_or_404(managed_compounds(request.user).select_related("community__street"), pk=cpk)
    rows = [
        {"proposal": p, "progress": _progress(p) if p.status == AssemblyProposal.Status.OPEN else None}
        for p in AssemblyProposal.objects.filter(compound=compound).select_related("election", "notice")
    ]
    return render(
        request,
        "elections/proposals/manage.html",
        {"compound": compound, "rows": rows, "convene_form": ConveneForm(), "source": PROPOSAL_SOURCE},
    )


@login_required
@require_POST
def proposal_convene(request, pk: int):
    proposal = get_object_or_404(
        AssemblyProposal.objects.filter(compound__in=managed_compounds(request.user)), pk=pk
    )
    form = ConveneForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("manage:proposals", cpk=proposal.compound_id)
    try:
        election = svc.proposal_convene(
            proposal=proposal,
            actor=request.user,
            title=form.cleaned_data["title"],
            kind=form.cleaned_data["kind"],
        )
    except ElectionError as error:
        messages.error(request, str(error))
        return redirect("manage:proposals", cpk=proposal.compound_id)
    messages.success(request, _("The temporary assembly is convened: prepare its notice."))
    return redirect("manage:election", pk=election.pk)


urlpatterns = [
    path("proposals/", proposal_list, name="proposals"),
    path("proposals/new/", proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", proposal_detail, name="proposal"),
    path("proposals/<int:pk>/sign/", proposal_sign, name="proposal_sign"),
    path("proposals/<int:pk>/withdraw/", proposal_withdraw, name="proposal_withdraw"),
]

manage_urlpatterns = [
    path("c/<int:cpk>/proposals/", compound_proposals, name="proposals"),
    path("proposals/<int:pk>/convene/", proposal_convene, name="proposal_convene"),
]
