"""Compound and housing-roll pages (namespace "grids", under /manage/compounds/).

Staff pages reach compounds only through grids.selectors: `staff_compounds(user, STAFF_ROLES)`
for reading (the list, a compound, the export) and `managed_compounds(user)` for changing (the
import, claims). A compound outside the user's scope is a 404, never a hint that it exists.

The roll import is two steps. The upload is parsed and kept as a Job (kind "roll_upload", the
file in Job.input_file, the preview in Job.result, parse errors in Job.errors): nothing is written
to the roll and nothing lives in process memory or in the session, so the preview survives a
reload or another web node. A small file is parsed in the request; a file over
PREVIEW_ASYNC_BYTES in a background job (grids.tasks.roll_preview_job), the preview page showing
the progress bar meanwhile. "Import" (a POST) then reads the
stored file again: small files import in the request, files of more than ASYNC_ROWS rows in a
Celery job of kind "roll_import" (grids.tasks) whose progress page polls. Either way, if the
roll has changed since the preview, nothing is imported and the new preview is shown instead.

Owners file claims on /manage/compounds/claim/ (any signed-in user) and see their status there.
"""

from __future__ import annotations

import os
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grids.forms import ClaimForm, DeveloperForm, RejectClaimForm, RollUploadForm
from grids.models import Compound, OwnerClaim, Ownership, PartyOrg, RoleAssignment, Unit
from grids.roll import compute_roll, roll_shared_people
from grids.roll_file import ParsedRoll, RollFileError, template_csv, template_xlsx, write_roll_xlsx
from grids.selectors import STAFF_ROLES, claims_for, managed_compounds, staff_compounds
from grids.services import (
    PREVIEW_ROWS,
    RollChangedError,
    RollDiff,
    RollError,
    claim_approve,
    claim_file,
    claim_reject,
    compound_developer_set,
    import_message,
    roll_file_import,
)
from grids.tasks import (
    IMPORT_KIND,
    PREVIEW_ASYNC_BYTES,
    UPLOAD_KIND,
    preview_result,
    roll_import_job,
    roll_preview_job,
)
from yezhu.accounts.phone import mask_mobile
from yezhu.audit.log import record
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_start
from yezhu.natural import natural_sorted

ASYNC_ROWS = 2000  # files with more data rows than this import in a background job
COMPOUNDS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNTED_KINDS = [k for k in Unit.Kind.values if k not in Unit.NOT_COUNTED_KINDS]


# ---------------------------------------------------------------------------------------------
# Scope
# ---------------------------------------------------------------------------------------------


def _staff_compound(user, pk: int) -> Compound:
    return get_object_or_404(staff_compounds(user, STAFF_ROLES).select_related("community__street"), pk=pk)


def _managed_compound(user, pk: int) -> Compound:
    return get_object_or_404(managed_compounds(user).select_related("community__street"), pk=pk)


def _manages(user, compound: Compound) -> bool:
    return managed_compounds(user).filter(pk=compound.pk).exists()


def _attachment(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# Compounds
# ---------------------------------------------------------------------------------------------


def compounds_with_counts(compounds):
    """The compounds with their roll counts, in one query (no compute_roll per compound).

    heads counts the distinct voter keys among the units that count, which is exactly the
    number of voters compute_roll finds; parking spaces and stalls count only where the
    compound's rules say so.
    """
    counted = Q(units__kind__in=COUNTED_KINDS) | Q(parking_counts=True)
    pending = (
        OwnerClaim.objects.filter(unit__compound=OuterRef("pk"), status=OwnerClaim.Status.PENDING)
        .order_by()
        .values("unit__compound")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Compound.objects.filter(pk__in=compounds.values("pk"))
        .select_related("community__street")
        .annotate(
            unit_count=Count("units", filter=counted),
            roll_area=Coalesce(Sum("units__area", filter=counted), Decimal("0.00")),
            heads=Count("units__voter_key", filter=counted, distinct=True),
            pending_claims=Coalesce(Subquery(pending, output_field=IntegerField()), 0),
        )
        .order_by("code")
    )


@require_GET
@login_required
def compound_list(request):
    scope = staff_compounds(request.user, STAFF_ROLES)
    if not request.user.is_superuser and not scope.exists():
        raise Http404
    q = request.GET.get("q", "").strip()
    if q:
        scope = scope.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(community__name__icontains=q))
    page = Paginator(compounds_with_counts(scope), COMPOUNDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "grids/compound_list.html",
        {"page": page, "q": q, "can_import": managed_compounds(request.user).exists()},
    )


@require_GET
@login_required
def compound_detail(request, pk: int):
    compound = _staff_compound(request.user, pk)
    roll = compute_roll(compound, with_voters=False)
    units = Unit.objects.filter(compound=compound)
    stats = units.aggregate(
        total=Count("pk"),
        parking=Count("pk", filter=Q(kind__in=Unit.NOT_COUNTED_KINDS)),
        no_owner=Count("pk", filter=Q(status=Unit.Status.DELIVERED, voter_key="")),
    )
    buildings = natural_sorted(compound.buildings.annotate(unit_count=Count("units")), key=lambda b: b.name)
    party_orgs = (
        PartyOrg.objects.filter(Q(compound=compound) | Q(building__compound=compound))
        .select_related("building")
        .annotate(member_count=Count("members"))
        .order_by("level", "name")
    )
    grids = compound.grids.prefetch_related(
        "buildings",
        Prefetch("posts", queryset=RoleAssignment.objects.select_related("user").order_by("post")),
    ).order_by("name")
    pending = OwnerClaim.objects.filter(unit__compound=compound, status=OwnerClaim.Status.PENDING).count()
    can_manage = _manages(request.user, compound)
    return render(
        request,
        "grids/compound_detail.html",
        {
            "compound": compound,
            "developer_form": DeveloperForm(
                initial={"name": compound.developer_name, "uscc": compound.developer_uscc}
            )
            if can_manage
            else None,
            "developer_units": units.filter(voter_key=Unit.DEVELOPER_KEY).count(),
            "shared": roll_shared_people(compound),
            "roll": roll,
            "stats": stats,
            "buildings": buildings,
            "party_orgs": party_orgs,
            "grids": grids,
            "pending_claims": pending,
            "can_manage": can_manage,
        },
    )


@require_POST
@login_required
def developer_set(request, pk: int):
    """Record the compound's developer (name and unified social credit code); re-keys the voters."""
    compound = _managed_compound(request.user, pk)
    form = DeveloperForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("grids:compound", pk=compound.pk)
    try:
        changed = compound_developer_set(
            compound=compound,
            name=form.cleaned_data["name"],
            uscc=form.cleaned_data["uscc"],
            actor=request.user,
        )
    except RollError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The developer is saved; %(n)s units changed voter.") % {"n": changed},
        )
    return redirect("grids:compound", pk=compound.pk)


# ---------------------------------------------------------------------------------------------
# Roll import: upload → preview → import
# ---------------------------------------------------------------------------------------------


def _preview_result(compound: Compound, parsed: ParsedRoll, diff: RollDiff) -> dict:
    return preview_result(compound, parsed, diff)


def _upload_job(request, compound: Compound, job_id: int) -> Job:
    """An upload of this compound by this user (another user's upload is a 404)."""
    return get_object_or_404(
        Job, pk=job_id, kind=UPLOAD_KIND, compound_id=compound.pk, created_by=request.user
    )


@require_http_methods(["GET", "POST"])
@login_required
def roll_upload(request, pk: int):
    compound = _managed_compound(request.user, pk)
    form = RollUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        params = {"filename": os.path.basename(upload.name), "size": len(data)}
        ext = os.path.splitext(upload.name)[1].lower()
        if len(data) > PREVIEW_ASYNC_BYTES:
            # A large file is checked in the background; the preview page shows the progress bar.
            job = job_start(
                kind=UPLOAD_KIND,
                user=request.user,
                task=roll_preview_job,
                params=params,
                input_file=ContentFile(data, name=f"roll-{compound.pk}{ext}"),
                compound_id=compound.pk,
            )
            return redirect("grids:roll_preview", pk=compound.pk, job_id=job.pk)
        job = Job(kind=UPLOAD_KIND, created_by=request.user, compound_id=compound.pk, params=params)
        try:
            preview = roll_file_import(
                compound=compound, data=data, filename=upload.name, actor=request.user, commit=False
            )
        except RollFileError as e:
            job.status = Job.Status.FAILED
            job.errors = e.errors
        else:
            job.status = Job.Status.DONE
            job.result = _preview_result(compound, preview.parsed, preview.diff)
            job.input_file.save(f"roll-{compound.pk}{ext}", ContentFile(data), save=False)
        job.finished_at = timezone.now()
        job.save()
        return redirect("grids:roll_preview", pk=compound.pk, job_id=job.pk)
    recent = Job.objects.filter(compound_id=compound.pk, kind=IMPORT_KIND, created_by=request.user)[:5]
    return render(request, "grids/roll_upload.html", {"compound": compound, "form": form, "recent": recent})


@require_GET
@login_required
def roll_preview_page(request, pk: int, job_id: int):
    compound = _managed_compound(request.user, pk)
    job = _upload_job(request, compound, job_id)
    result = job.result or {}
    summary = result.get("summary", {})
    return render(
        request,
        "grids/roll_preview.html",
        {
            "compound": compound,
            "job": job,
            # A large upload is still being checked in the background: the progress bar.
            "checking": job.status in (Job.Status.QUEUED, Job.Status.RUNNING),
            "result": result,
            "summary": summary,
            "filename": job.params.get("filename", ""),
            "committed": bool(job.params.get("committed")),
            "import_job": job.params.get("import_job"),
            "background": result.get("rows", 0) > ASYNC_ROWS,
            "async_rows": ASYNC_ROWS,
            "preview_rows": PREVIEW_ROWS,
            "nothing_to_do": bool(summary)
            and not (summary.get("added") or summary.get("changed") or summary.get("removed")),
        },
    )


@require_POST
@login_required
def roll_commit(request, pk: int, job_id: int):
    compound = _managed_compound(request.user, pk)
    preview_url = reverse("grids:roll_preview", kwargs={"pk": compound.pk, "job_id": job_id})
    with transaction.atomic():
        # The lock makes a double click import once: the second request waits, then sees "committed".
        job = get_object_or_404(
            Job.objects.select_for_update(),
            pk=job_id,
            kind=UPLOAD_KIND,
            compound_id=compound.pk,
            created_by=request.user,
        )
        if job.params.get("committed"):
            messages.info(request, _("This file has already been imported."))
            return redirect(preview_url)
        if job.status != Job.Status.DONE:
            messages.error(request, _("This file has errors and cannot be imported."))
            return redirect(preview_url)
        if not job.input_file:  # yezhu.jobs.tasks.purge_job_files deleted it
            messages.error(
                request,
                _(
                    "The uploaded file was deleted %(hours)s hours after it was checked: a roll holds "
                    "owners' personal data and is not kept longer. Upload it again."
                )
                % {"hours": settings.JOB_INPUT_RETENTION_HOURS},
            )
            return redirect(preview_url)
        filename = job.params.get("filename", "")
        if job.result.get("rows", 0) > ASYNC_ROWS:
            import_job = job_start(
                kind=IMPORT_KIND,
                user=request.user,
                task=roll_import_job,
                params={"upload": job.pk, "filename": filename, "expected": job.result["summary"]},
                input_file=job.input_file.name,
                compound_id=compound.pk,
            )
            job.params = {**job.params, "committed": True, "import_job": import_job.pk}
            job.save(update_fields=["params"])
            return redirect("grids:roll_progress", pk=compound.pk, job_id=import_job.pk)

        with job.input_file.open("rb") as f:
            data = f.read()
        try:
            done = roll_file_import(
                compound=compound,
                data=data,
                filename=filename,
                actor=request.user,
                commit=True,
                expected=job.result["summary"],
            )
        except RollFileError as e:  # the stored file was readable at the preview; be safe anyway
            job.status, job.errors = Job.Status.FAILED, e.errors
            job.save(update_fields=["status", "errors"])
            return redirect(preview_url)
        except RollChangedError as e:
            job.result = _preview_result(compound, e.parsed, e.diff)
            job.save(update_fields=["result"])
            messages.warning(
                request,
                _(
                    "The housing roll was changed after your preview. Check the new preview, then import again."
                ),
            )
            return redirect(preview_url)
        except RollError as e:
            messages.error(request, str(e))
            return redirect(preview_url)
        job.params = {**job.params, "committed": True}
        job.save(update_fields=["params"])
    messages.success(request, import_message(done.diff))
    return redirect("grids:compound", pk=compound.pk)


@require_GET
@login_required
def roll_progress(request, pk: int, job_id: int):
    compound = _managed_compound(request.user, pk)
    job = get_object_or_404(
        Job, pk=job_id, kind=IMPORT_KIND, compound_id=compound.pk, created_by=request.user
    )
    finished = job.status in (Job.Status.DONE, Job.Status.FAILED)
    return render(
        request,
        "grids/roll_progress.html",
        {"compound": compound, "job": job, "finished": finished, "summary": job.result or {}},
    )


# ---------------------------------------------------------------------------------------------
# Template and export
# ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def roll_template(request, fmt: str):
    if not request.user.is_superuser and not managed_compounds(request.user).exists():
        raise Http404
    name = _("housing-roll-template")
    if fmt == "xlsx":
        return _attachment(template_xlsx(), XLSX, f"{name}.xlsx")
    return _attachment(template_csv(), "text/csv; charset=utf-8", f"{name}.csv")


def roll_export_rows(compound: Compound, *, full_mobiles: bool) -> list[tuple]:
    """The roll in the columns of the import file, one row per registered owner (one query).

    Identity numbers are never stored, so never exported: 证件号码 holds "****" and the last
    four characters. Mobile numbers are masked (138****5678) unless the reader manages the
    compound: managers need them to correct and re-import the roll; auditors do not.
    """
    rows = []
    values = (
        Unit.objects.filter(compound=compound)
        .order_by("building__name", "entrance", "number", "ownerships__owner__name", "ownerships__owner_id")
        .values_list(
            "building__name",
            "entrance",
            "number",
            "kind",
            "area",
            "area_source",
            "status",
            "ownerships__owner__name",
            "ownerships__owner__mobile",
            "ownerships__owner__id_last4",
        )
    )
    for building, entrance, number, kind, area, source, status, name, mobile, last4 in values:
        if status != Unit.Status.DELIVERED or name is None:
            name, mobile, id_text = "", "", ""
        else:
            mobile = (mobile if full_mobiles else mask_mobile(mobile)) if mobile else ""
            id_text = f"****{last4}"
        rows.append((building, entrance, number, kind, area, source, status, name, mobile, id_text))
    return rows


@require_GET
@login_required
def roll_export(request, pk: int):
    compound = _staff_compound(request.user, pk)
    full = _manages(request.user, compound)
    rows = roll_export_rows(compound, full_mobiles=full)
    data = write_roll_xlsx(rows)
    record(
        "roll.exported",
        actor=request.user,
        obj=compound,
        compound_id=compound.pk,
        summary=f"roll exported: {len(rows)} rows",
        data={"rows": len(rows), "mobiles": "full" if full else "masked"},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    label = _("housing-roll")
    return _attachment(data, XLSX, f"{compound.code}-{label}-{stamp}.xlsx")


# ---------------------------------------------------------------------------------------------
# Claims (认证申请)
# ---------------------------------------------------------------------------------------------


def search_compounds(q: str) -> list[Compound]:
    """Compounds an owner may pick: found by code (exactly) or by name (at least two characters)."""
    q = q.strip()
    if len(q) < 2:
        return []
    found = Compound.objects.filter(Q(code__iexact=q) | Q(name__icontains=q)).order_by("name")
    return list(found[:10])


@require_http_methods(["GET", "POST"])
@login_required
def claim(request):
    q = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    matches = search_compounds(q)
    initial = {"compound": matches[0].pk} if len(matches) == 1 else {}
    form = ClaimForm(request.POST or None, compounds=matches, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim_file(
                actor=request.user,
                unit=data["unit"],
                name=data["name"],
                id_last4=data["id_last4"],
                certificate_number=data["certificate_number"],
            )
        except RollError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request, _("Your claim has been sent. Staff will check it against the housing roll.")
            )
            return redirect("grids:claim")
    claims = OwnerClaim.objects.filter(user=request.user).select_related("unit__compound")
    return render(
        request,
        "grids/claim.html",
        {
            "form": form,
            "q": q.strip(),
            "matches": matches,
            "searched": bool(q.strip()),
            "claims": claims,
            "nav_staff": staff_compounds(request.user, STAFF_ROLES).exists(),
        },
    )


@require_GET
@login_required
def claim_list(request, pk: int):
    compound = _managed_compound(request.user, pk)
    scoped = claims_for(request.user).filter(unit__compound=compound)
    pending = list(scoped.filter(status=OwnerClaim.Status.PENDING).order_by("created_at"))
    on_roll: dict[int, list] = {}
    for ownership in Ownership.objects.filter(unit_id__in={c.unit_id for c in pending}).select_related(
        "owner"
    ):
        on_roll.setdefault(ownership.unit_id, []).append(ownership.owner)
    for c in pending:
        c.roll_owners = on_roll.get(c.unit_id, [])
    decided = scoped.exclude(status=OwnerClaim.Status.PENDING).select_related("decided_by")[:20]
    return render(
        request,
        "grids/claim_list.html",
        {"compound": compound, "pending": pending, "decided": decided, "reject_form": RejectClaimForm()},
    )


def _scoped_claim(request, compound: Compound, claim_id: int) -> OwnerClaim:
    return get_object_or_404(claims_for(request.user).filter(unit__compound=compound), pk=claim_id)


@require_POST
@login_required
def claim_approve_view(request, pk: int, claim_id: int):
    compound = _managed_compound(request.user, pk)
    claim = _scoped_claim(request, compound, claim_id)
    try:
        claim_approve(claim=claim, actor=request.user)
    except RollError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request,
            _("Approved: %(name)s is linked to %(unit)s.") % {"name": claim.name, "unit": claim.unit.code},
        )
    return redirect("grids:claims", pk=compound.pk)


@require_POST
@login_required
def claim_reject_view(request, pk: int, claim_id: int):
    compound = _managed_compound(request.user, pk)
    claim = _scoped_claim(request, compound, claim_id)
    form = RejectClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the owner a reason for the rejection."))
        return redirect("grids:claims", pk=compound.pk)
    try:
        claim_reject(claim=claim, actor=request.user, reason=form.cleaned_data["reason"])
    except RollError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Rejected; the owner can read your reason."))
    return redirect("grids:claims", pk=compound.pk)


urlpatterns = [
    path("", compound_list, name="compounds"),
    path("claim/", claim, name="claim"),
    path("template.xlsx", roll_template, {"fmt": "xlsx"}, name="template_xlsx"),
    path("template.csv", roll_template, {"fmt": "csv"}, name="template_csv"),
    path("<int:pk>/", compound_detail, name="compound"),
    path("<int:pk>/developer/", developer_set, name="developer"),
    path("<int:pk>/import/", roll_upload, name="roll_upload"),
    path("<int:pk>/import/<int:job_id>/", roll_preview_page, name="roll_preview"),
    path("<int:pk>/import/<int:job_id>/commit/", roll_commit, name="roll_commit"),
    path("<int:pk>/import/job/<int:job_id>/", roll_progress, name="roll_progress"),
    path("<int:pk>/export.xlsx", roll_export, name="roll_export"),
    path("<int:pk>/claims/", claim_list, name="claims"),
    path("<int:pk>/claims/<int:claim_id>/approve/", claim_approve_view, name="claim_approve"),
    path("<int:pk>/claims/<int:claim_id>/reject/", claim_reject_view, name="claim_reject"),
]
