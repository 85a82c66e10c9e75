"""The committee between elections on the street's pages (namespace "street"): forming the
物业管理委员会 and its page, recording a change to a committee and its filing (变更备案, with a printable
filing form), recording a handover, and acting on an escalation.

Whoever may read the street's board reads these pages (another street's objects are 404); the
services decide who may act: only the street office forms the 物管会 and acts on an escalation (403
for others), staff who run the compound record changes and filings.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import lifecycle
from elections.errors import ElectionError, NotStreetOffice
from elections.forms.interim import (
    ChangeForm,
    ConveneForm,
    DoneForm,
    MemberFormSet,
    OrderElectionForm,
    PropertyCommitteeForm,
)
from elections.lifecycle.filings import deadline_title
from elections.lifecycle.interim import MemberSpec, compound_profile
from elections.models import Committee, CommitteeDeadline, Escalation, PropertyCommittee
from elections.views.interim_parts import street_office_of
from elections.views.street import _compounds, _streets
from grids.models import Compound
from grids.selectors import managed_compounds


def _compound(request, pk: int) -> Compound:
    found = (
        _compounds(request.user, _streets(request)).filter(pk=pk).select_related("community__street").first()
    )
    if found is None:
        raise Http404
    return found


def _compound_url(compound_id: int, anchor: str = "") -> str:
    return reverse("street:compound", args=[compound_id]) + (f"#{anchor}" if anchor else "")


def _refused(request, error: ElectionError) -> None:
    if isinstance(error, NotStreetOffice):
        raise PermissionDenied(str(error))
    messages.error(request, str(error))


@require_http_methods(["GET", "POST"])
@login_required
def property_committee_form(request, pk: int):
    """The street office forms the compound's 物管会: why, the decision, the term, the publicity and
    the members (odd, at least seven, owners at least half, chaired by the residents' committee)."""
    compound = _compound(request, pk)
    if not street_office_of(request.user, compound):
        raise PermissionDenied
    profile = compound_profile(compound)
    today = timezone.localdate()
    form = PropertyCommitteeForm(
        request.POST or None,
        initial={"formed_on": today, "term_start": today, "publicity_start": today},
    )
    members = MemberFormSet(request.POST or None, prefix="m")
    errors: list[str] = []
    if request.method == "POST" and form.is_valid() and members.is_valid():
        specs = [
            MemberSpec(
                name=m["name"],
                affiliation=m.get("affiliation", ""),
                is_owner=m.get("is_owner", False),
                residents_committee=m.get("residents_committee", False),
                chair=m.get("chair", False),
            )
            for m in members.cleaned_data
            if m and m.get("name", "").strip()
        ]
        try:
            body = lifecycle.property_committee_form(
                compound=compound, actor=request.user, members=specs, **form.cleaned_data
            )
        except NotStreetOffice as error:
            raise PermissionDenied(str(error)) from error
        except ElectionError as error:
            errors = [str(error)]
        else:
            messages.success(
                request, _("The property management committee is formed: publicise it and file it.")
            )
            return redirect("street:property_committee", pk=body.pk)
    context = {
        "compound": compound,
        "form": form,
        "members": members,
        "errors": errors,
        "profile": profile,
        "back_url": _compound_url(compound.pk),
    }
    return render(
        request, "elections/street/property_committee_form.html", context, status=400 if errors else 200
    )


def _body(request, pk: int) -> PropertyCommittee:
    body = (
        PropertyCommittee.objects.filter(pk=pk, compound__in=_compounds(request.user, _streets(request)))
        .select_related("compound__community__street", "successor")
        .first()
    )
    if body is None:
        raise Http404
    return body


@require_GET
@login_required
def property_committee(request, pk: int):
    """A 物管会: members, term and publicity, its filings, the elections it organised."""
    body = _body(request, pk)
    today = timezone.localdate()
    may_manage = managed_compounds(request.user).filter(pk=body.compound_id).exists()
    context = {
        "body": body,
        "compound": body.compound,
        "members": list(body.members.all()),
        "owners": sum(1 for m in body.members.all() if m.is_owner),
        "deadlines": [
            (d, deadline_title(d), d.done_on is None and today > d.due_on) for d in body.deadlines.all()
        ],
        "elections": list(body.elections.order_by("-created_at")),
        "in_publicity": body.publicity_start <= today <= body.publicity_end,
        "convene_form": ConveneForm() if may_manage and body.active else None,
        "back_url": _compound_url(body.compound_id),
    }
    return render(request, "elections/street/property_committee.html", context)


@require_POST
@login_required
def property_committee_convene(request, pk: int):
    """The 物管会 convenes an assembly in the interim (the committee's election or a vote on matters)."""
    body = _body(request, pk)
    form = ConveneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the election a title and choose its kind."))
        return redirect("street:property_committee", pk=body.pk)
    try:
        election = lifecycle.property_committee_convene(
            property_committee=body, actor=request.user, **form.cleaned_data
        )
    except ElectionError as error:
        _refused(request, error)
        return redirect("street:property_committee", pk=body.pk)
    messages.success(request, _("The assembly is convened by the property management committee: prepare it."))
    return redirect("manage:timeline", election.pk)


@require_POST
@login_required
def committee_change(request, pk: int):
    """Record a change to the compound's committee (or its 物管会): it must be filed within 30 days."""
    compound = _compound(request, pk)
    form = ChangeForm(request.POST)
    today = timezone.localdate()
    committee = (
        Committee.objects.filter(compound=compound, ended_on__isnull=True)
        .order_by("-term_start", "-pk")
        .first()
    )
    body = PropertyCommittee.objects.filter(compound=compound, dissolved_on__isnull=True).first()
    target = body if body is not None and (committee is None or committee.term_end < today) else committee
    if target is None:
        messages.error(request, _("The compound has no committee in office to record a change of."))
    elif not form.is_valid():
        messages.error(request, _("Say what changed and on which day."))
    else:
        try:
            lifecycle.committee_change_recorded(
                target,
                form.cleaned_data["change"],
                form.cleaned_data["on"],
                actor=request.user,
                subject=form.cleaned_data["subject"],
            )
        except ElectionError as error:
            _refused(request, error)
        else:
            messages.success(request, _("The change is recorded: file it by the date shown."))
    return redirect(_compound_url(compound.pk, "deadlines"))


def _deadline(request, pk: int) -> CommitteeDeadline:
    found = (
        CommitteeDeadline.objects.filter(pk=pk, compound__in=_compounds(request.user, _streets(request)))
        .select_related("compound__community__street", "committee", "property_committee")
        .first()
    )
    if found is None:
        raise Http404
    return found


@require_POST
@login_required
def deadline_done(request, pk: int):
    """Record the day a change was filed (or a departing member handed over)."""
    deadline = _deadline(request, pk)
    form = DoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the day it was done."))
    else:
        try:
            lifecycle.deadline_done(deadline=deadline, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Recorded."))
    return redirect(_compound_url(deadline.compound_id, "deadlines"))


@require_GET
@login_required
def deadline_print(request, pk: int):
    """The filing form (变更备案表) to print, sign, stamp and hand in."""
    deadline = _deadline(request, pk)
    if deadline.kind != CommitteeDeadline.Kind.FILING:
        raise Http404
    compound = deadline.compound
    if deadline.property_committee_id:
        members = [
            (m.name, _("chair") if m.chair else _("member"), m.affiliation, m.is_owner)
            for m in deadline.property_committee.members.all()
        ]
        body_name = _("Property management committee of %(compound)s") % {"compound": compound.name}
    elif deadline.committee_id:
        members = [
            (m.name, m.get_role_display(), "", m.owner_id is not None)
            for m in deadline.committee.members.all()
        ]
        body_name = _("Owners' committee of %(compound)s") % {"compound": compound.name}
    else:
        members, body_name = [], compound.name
    context = {
        "deadline": deadline,
        "compound": compound,
        "street": compound.community.street,
        "body_name": body_name,
        "title": deadline_title(deadline),
        "members": members,
        "back_url": _compound_url(compound.pk, "deadlines"),
        "today": timezone.localdate(),
    }
    return render(request, "elections/print/filing.html", context)


@require_POST
@login_required
def escalation_order(request, pk: int):
    """The street office orders the election, recording who was told and when."""
    escalation = (
        Escalation.objects.filter(pk=pk, compound__in=_compounds(request.user, _streets(request)))
        .select_related("compound__community__street")
        .first()
    )
    if escalation is None:
        raise Http404
    form = OrderElectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say who was told and on which day."))
    else:
        try:
            lifecycle.escalation_order_election(
                escalation=escalation, actor=request.user, **form.cleaned_data
            )
        except ElectionError as error:
            _refused(request, error)
        else:
            messages.success(request, _("The order is recorded with who was told."))
    return redirect(_compound_url(escalation.compound_id, f"escalation-{escalation.pk}"))


urlpatterns = [
    path(
        "compound/<int:pk>/property-committee/new/", property_committee_form, name="property_committee_form"
    ),
    path("compound/<int:pk>/committee-change/", committee_change, name="committee_change"),
    path("property-committee/<int:pk>/", property_committee, name="property_committee"),
    path(
        "property-committee/<int:pk>/convene/", property_committee_convene, name="property_committee_convene"
    ),
    path("deadline/<int:pk>/done/", deadline_done, name="deadline_done"),
    path("deadline/<int:pk>/print/", deadline_print, name="deadline_print"),
    path("escalation/<int:pk>/order/", escalation_order, name="escalation_order"),
]
