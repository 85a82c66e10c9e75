"""The party organisation's pages under /party/ (namespace "party").

Who sees what (grids.selectors): the district's, street's and community's staff see and edit the
part of the tree in their scope (auditors read it); a branch's officers (书记、副书记、委员) see
their branch and its building groups, confirm members' reports and record their activity. Anyone
else gets 404 for an organisation, and 403 for a change they may not make. An owner reports to
their compound's branch from /party/report/ on their phone.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grids import party as svc
from grids.models import (
    Building,
    Community,
    Compound,
    Ownership,
    PartyActivity,
    PartyMember,
    PartyOrg,
    PartyReport,
    Street,
    Unit,
)
from grids.party_forms import (
    POSTS,
    ActivityForm,
    ChildOrgForm,
    MemberForm,
    OrgNameForm,
    RejectForm,
    ReportForm,
)
from grids.selectors import (
    branch_orgs_for,
    editable_party_orgs,
    owner_units,
    party_orgs_for,
    party_places_for,
)

Level = PartyOrg.Level
LEVEL_ORDER = {Level.STREET: 0, Level.COMMUNITY: 1, Level.COMPOUND: 2, Level.BUILDING: 3}
ROLE_ORDER = {value: i for i, (value, _label) in enumerate(POSTS)}
POST_LABELS = dict(POSTS)


def refuse_as_403(view):
    """A change the user may not make (grids.party.PartyForbidden) is a 403, never a message."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except svc.PartyForbidden:
            raise PermissionDenied from None

    return wrapped


def _flash(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _optional_url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _visible_org(user, pk: int) -> PartyOrg:
    return get_object_or_404(
        party_orgs_for(user).select_related(
            "parent", "street", "community__street", "compound__community", "building__compound"
        ),
        pk=pk,
    )


def _editable_org(user, pk: int) -> PartyOrg:
    """An organisation the user sees (else 404) and may change (else 403), checked before any form."""
    org = _visible_org(user, pk)
    if not editable_party_orgs(user).filter(pk=org.pk).exists():
        raise PermissionDenied
    return org


def _check_branch(user, org: PartyOrg) -> None:
    if not branch_orgs_for(user).filter(pk=org.pk).exists():
        raise PermissionDenied


def _counted(orgs):
    return orgs.annotate(
        members_n=Count("members", distinct=True),
        reported_n=Count("members", filter=Q(members__reported_on__isnull=False), distinct=True),
        pending_n=Count("reports", filter=Q(reports__status=PartyReport.Status.PENDING), distinct=True),
    )


def _tree(orgs: list[PartyOrg]) -> list[dict]:
    nodes = {o.pk: {"org": o, "children": []} for o in orgs}
    roots = []
    for org in orgs:
        parent = nodes.get(org.parent_id)
        (parent["children"] if parent else roots).append(nodes[org.pk])

    def order(items):
        items.sort(key=lambda n: (LEVEL_ORDER[n["org"].level], n["org"].name, n["org"].pk))
        for item in items:
            order(item["children"])

    order(roots)
    return roots


def _missing_roots(user) -> list[dict]:
    """Streets and communities in the user's scope that have no organisation yet (to create one)."""
    places = party_places_for(user)
    rows = []
    for street in places["street"].exclude(party_orgs__level=Level.STREET).order_by("name"):
        rows.append({"level": Level.STREET, "place": street, "label": svc.default_name(Level.STREET, street)})
    for community in (
        places["community"]
        .exclude(party_orgs__level=Level.COMMUNITY)
        .select_related("street")
        .order_by("name")
    ):
        rows.append(
            {
                "level": Level.COMMUNITY,
                "place": community,
                "label": svc.default_name(Level.COMMUNITY, community),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def index(request):
    user = request.user
    orgs = list(
        _counted(party_orgs_for(user)).select_related("street", "community", "compound", "building__compound")
    )
    missing = _missing_roots(user)
    if not orgs and not missing:
        if owner_units(user).exists():
            return redirect("party:report")
        raise Http404
    totals = {
        "orgs": len(orgs),
        "branches": sum(1 for o in orgs if o.level == Level.COMPOUND),
        "members": sum(o.members_n for o in orgs),
        "reported": sum(o.reported_n for o in orgs),
        "pending": sum(o.pending_n for o in orgs),
    }
    return render(
        request,
        "grids/party/index.html",
        {"tree": _tree(orgs), "missing": missing, "totals": totals},
    )


@login_required
@refuse_as_403
@require_POST
def org_create(request):
    """Create a street's working committee or a community's party committee (a root of the tree)."""
    level = request.POST.get("level", "")
    model = {Level.STREET: Street, Level.COMMUNITY: Community}.get(level)
    if model is None:
        raise Http404
    place = get_object_or_404(model, pk=request.POST.get("place") or 0)
    try:
        org = svc.party_org_create(actor=request.user, level=level, place=place)
    except svc.PartyForbidden:
        raise Http404 from None
    except svc.PartyError as error:
        messages.error(request, str(error))
        return redirect("party:index")
    messages.success(request, _("%(name)s was created.") % {"name": org.name})
    return redirect("party:org", pk=org.pk)


# ---------------------------------------------------------------------------------------------
# One organisation
# ---------------------------------------------------------------------------------------------


def _child_places(org: PartyOrg):
    if org.level == Level.STREET:
        return Community.objects.filter(street_id=org.street_id).exclude(party_orgs__level=Level.COMMUNITY)
    if org.level == Level.COMMUNITY:
        return Compound.objects.filter(community_id=org.community_id).exclude(
            party_orgs__level=Level.COMPOUND
        )
    if org.level == Level.COMPOUND:
        return Building.objects.filter(compound_id=org.compound_id).exclude(party_orgs__level=Level.BUILDING)
    return Building.objects.none()


def _homes(members: list[PartyMember], compound: Compound | None) -> dict[int, list[Unit]]:
    """The homes of each member in the compound, by owner id (one query)."""
    owners = [m.owner_id for m in members if m.owner_id]
    if compound is None or not owners:
        return {}
    homes: dict[int, list[Unit]] = {}
    for ownership in Ownership.objects.filter(owner_id__in=owners, unit__compound=compound).select_related(
        "unit"
    ):
        homes.setdefault(ownership.owner_id, []).append(ownership.unit)
    return homes


@login_required
@require_GET
def org_detail(request, pk: int):
    org = _visible_org(request.user, pk)
    may_edit = editable_party_orgs(request.user).filter(pk=org.pk).exists()
    may_branch = branch_orgs_for(request.user).filter(pk=org.pk).exists()
    today = timezone.localdate()
    members = list(
        org.members.select_related("owner").annotate(
            activities_n=Count("activities", filter=Q(activities__on__year=today.year))
        )
    )
    members.sort(key=lambda m: (ROLE_ORDER.get(m.role, 9), m.name, m.pk))
    compound = svc.compound_of(org)
    homes = _homes(members, compound)
    for m in members:
        m.homes = homes.get(m.owner_id, [])
        m.post_label = POST_LABELS.get(m.role, m.role)
    children = list(_counted(org.children.all()).order_by("name"))
    reports = (
        list(org.reports.filter(status=PartyReport.Status.PENDING).select_related("unit", "user"))
        if may_branch and org.level == Level.COMPOUND
        else []
    )
    decided = (
        list(org.reports.exclude(status=PartyReport.Status.PENDING).select_related("decided_by")[:10])
        if may_branch and org.level == Level.COMPOUND
        else []
    )
    places = list(_child_places(org)) if may_edit else []
    return render(
        request,
        "grids/party/org.html",
        {
            "org": org,
            "compound": compound,
            "members": members,
            "posts": [m for m in members if m.role != PartyMember.Role.MEMBER],
            "reported": sum(1 for m in members if m.reported_on),
            "children": children,
            "reports": reports,
            "decided": decided,
            "may_edit": may_edit,
            "may_branch": may_branch,
            "name_form": OrgNameForm(initial={"name": org.name}),
            "child_form": ChildOrgForm(places=places) if places else None,
            "member_form": MemberForm(),
            "reject_form": RejectForm(),
            "reserve_url": _optional_url("manage:reserve", compound.pk)
            if compound and org.level == Level.COMPOUND
            else "",
            "surveys_url": _optional_url("manage:surveys", compound.pk)
            if compound and org.level == Level.COMPOUND
            else "",
        },
    )


@login_required
@refuse_as_403
@require_POST
def org_rename(request, pk: int):
    org = _editable_org(request.user, pk)
    form = OrgNameForm(request.POST)
    if form.is_valid():
        try:
            svc.party_org_rename(actor=request.user, org=org, name=form.cleaned_data["name"])
        except svc.PartyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
    else:
        _flash(request, form)
    return redirect("party:org", pk=org.pk)


@login_required
@refuse_as_403
@require_POST
def org_delete(request, pk: int):
    org = _editable_org(request.user, pk)
    parent = org.parent_id
    try:
        svc.party_org_delete(actor=request.user, org=org)
    except svc.PartyError as error:
        messages.error(request, str(error))
        return redirect("party:org", pk=org.pk)
    messages.success(request, _("Removed."))
    return redirect("party:org", pk=parent) if parent else redirect("party:index")


@login_required
@refuse_as_403
@require_POST
def org_child(request, pk: int):
    org = _editable_org(request.user, pk)
    places = list(_child_places(org))
    form = ChildOrgForm(request.POST, places=places)
    if not form.is_valid():
        _flash(request, form)
        return redirect("party:org", pk=org.pk)
    place = next(p for p in places if str(p.pk) == form.cleaned_data["place"])
    try:
        child = svc.party_org_create(
            actor=request.user, level=svc.CHILD_LEVEL[org.level], place=place, name=form.cleaned_data["name"]
        )
    except svc.PartyError as error:
        messages.error(request, str(error))
        return redirect("party:org", pk=org.pk)
    messages.success(request, _("%(name)s was created.") % {"name": child.name})
    return redirect("party:org", pk=child.pk)


@login_required
@refuse_as_403
@require_POST
def member_add(request, pk: int):
    org = _editable_org(request.user, pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            svc.party_member_save(actor=request.user, org=org, **form.cleaned_data)
        except svc.PartyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
    else:
        _flash(request, form)
    return redirect("party:org", pk=org.pk)


# ---------------------------------------------------------------------------------------------
# One member
# ---------------------------------------------------------------------------------------------


def _visible_member(user, pk: int) -> PartyMember:
    return get_object_or_404(
        PartyMember.objects.filter(org__in=party_orgs_for(user)).select_related("org", "owner", "user"), pk=pk
    )


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def member_detail(request, pk: int):
    member = _visible_member(request.user, pk)
    org = member.org
    may_edit = editable_party_orgs(request.user).filter(pk=org.pk).exists()
    may_branch = branch_orgs_for(request.user).filter(pk=org.pk).exists()
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    form = MemberForm(
        request.POST or None,
        initial={"name": member.name, "role": member.role, "reported_on": member.reported_on},
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.party_member_save(actor=request.user, org=org, member=member, **form.cleaned_data)
        except svc.PartyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("party:member", pk=member.pk)
    compound = svc.compound_of(org)
    return render(
        request,
        "grids/party/member.html",
        {
            "member": member,
            "org": org,
            "post_label": POST_LABELS.get(member.role, member.role),
            "homes": _homes([member], compound).get(member.owner_id, []),
            "activities": list(member.activities.select_related("recorded_by")[:50]),
            "form": form,
            "activity_form": ActivityForm(),
            "may_edit": may_edit,
            "may_branch": may_branch,
        },
    )


@login_required
@refuse_as_403
@require_POST
def member_remove(request, pk: int):
    member = _visible_member(request.user, pk)
    org = member.org
    if not editable_party_orgs(request.user).filter(pk=org.pk).exists():
        raise PermissionDenied
    svc.party_member_remove(actor=request.user, member=member)
    messages.success(request, _("Removed."))
    return redirect("party:org", pk=org.pk)


@login_required
@refuse_as_403
@require_POST
def member_activity(request, pk: int):
    member = _visible_member(request.user, pk)
    _check_branch(request.user, member.org)
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            svc.party_activity_record(actor=request.user, member=member, **form.cleaned_data)
        except svc.PartyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The activity is recorded."))
    else:
        _flash(request, form)
    return redirect("party:member", pk=member.pk)


@login_required
@refuse_as_403
@require_POST
def member_central(request, pk: int, unit_id: int):
    member = _visible_member(request.user, pk)
    _check_branch(request.user, member.org)
    unit = get_object_or_404(Unit, pk=unit_id, ownerships__owner_id=member.owner_id)
    try:
        svc.central_household_set(actor=request.user, unit=unit, on=request.POST.get("on") == "1")
    except svc.PartyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Saved."))
    return redirect("party:member", pk=member.pk)


# ---------------------------------------------------------------------------------------------
# Reporting (报到)
# ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    """An owner who is a party member reports to their compound's branch (on their phone)."""
    units = list(owner_units(request.user).select_related("compound").order_by("compound__name", "code"))
    form = ReportForm(request.POST or None, units=units, initial={"name": getattr(request.user, "name", "")})
    if request.method == "POST" and units and form.is_valid():
        unit = next(u for u in units if str(u.pk) == form.cleaned_data["unit"])
        try:
            svc.party_report_file(
                actor=request.user,
                unit=unit,
                name=form.cleaned_data["name"],
                home_org=form.cleaned_data["home_org"],
            )
        except svc.PartyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your report is sent. The branch will confirm it."))
            return redirect("party:report")
    mine = list(PartyReport.objects.filter(user=request.user).select_related("org", "unit"))
    memberships = list(
        PartyMember.objects.filter(user=request.user)
        .select_related("org")
        .annotate(activities_n=Count("activities"))
    )
    return render(
        request,
        "grids/party/report.html",
        {"form": form, "units": units, "reports": mine, "memberships": memberships},
    )


def _decidable_report(user, pk: int) -> PartyReport:
    return get_object_or_404(
        PartyReport.objects.filter(org__in=branch_orgs_for(user).filter(level=Level.COMPOUND)).select_related(
            "org"
        ),
        pk=pk,
    )


@login_required
@refuse_as_403
@require_POST
def report_confirm(request, pk: int):
    item = _decidable_report(request.user, pk)
    try:
        member = svc.party_report_confirm(actor=request.user, report=item)
    except svc.PartyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s is now a member of the branch.") % {"name": member.name})
    return redirect("party:org", pk=item.org_id)


@login_required
@refuse_as_403
@require_POST
def report_reject(request, pk: int):
    item = _decidable_report(request.user, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            svc.party_report_reject(actor=request.user, report=item, reason=form.cleaned_data["reason"])
        except svc.PartyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The owner will see the reason."))
    else:
        _flash(request, form)
    return redirect("party:org", pk=item.org_id)


ACTIVITY_KINDS = PartyActivity.Kind

urlpatterns = [
    path("", index, name="index"),
    path("new/", org_create, name="org_create"),
    path("org/<int:pk>/", org_detail, name="org"),
    path("org/<int:pk>/rename/", org_rename, name="org_rename"),
    path("org/<int:pk>/delete/", org_delete, name="org_delete"),
    path("org/<int:pk>/children/", org_child, name="org_child"),
    path("org/<int:pk>/members/", member_add, name="member_add"),
    path("member/<int:pk>/", member_detail, name="member"),
    path("member/<int:pk>/delete/", member_remove, name="member_remove"),
    path("member/<int:pk>/activity/", member_activity, name="member_activity"),
    path("member/<int:pk>/central/<int:unit_id>/", member_central, name="member_central"),
    path("report/", report, name="report"),
    path("reports/<int:pk>/confirm/", report_confirm, name="report_confirm"),
    path("reports/<int:pk>/reject/", report_reject, name="report_reject"),
]
