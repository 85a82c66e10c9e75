"""Staff import the city e-voting platform's per-unit result (/manage/e/<pk>/platform/, RULES.md §7).

The upload becomes a job (kind "platform_import") that `elections.tasks_platform` runs with the
progress bar, as the paper sheet import does; the service (`elections.platform`) is all or nothing.
"""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from elections import platform as svc
from elections.forms.paper import PlatformImportForm
from elections.models import PlatformImport
from elections.selectors import get_managed_election
from elections.services import city_platform_rule
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_start


@login_required
@require_http_methods(["GET", "POST"])
def platform_import(request, pk: int):
    from elections.tasks_platform import KIND, platform_import_task

    election = get_managed_election(request.user, pk)
    rule = city_platform_rule(election)
    form = PlatformImportForm(
        request.POST or None, request.FILES or None, initial={"platform": rule.source if rule else ""}
    )
    refusal = svc.import_refusal(election)
    if request.method == "POST" and form.is_valid():
        if refusal:
            form.add_error(None, refusal)
        else:
            upload = form.cleaned_data["file"]
            job = job_start(
                kind=KIND,
                user=request.user,
                task=platform_import_task,
                params={
                    "filename": upload.name,
                    "platform": form.cleaned_data["platform"],
                    "language": getattr(request, "LANGUAGE_CODE", ""),
                },
                input_file=upload,
                compound_id=election.compound_id,
                election_id=election.pk,
            )
            return redirect("manage:platform_import_job", pk=election.pk, job_id=job.pk)
    return render(
        request,
        "elections/platform/import.html",
        {
            "election": election,
            "rule": rule,
            "form": form,
            "refusal": refusal,
            "imports": PlatformImport.objects.filter(election=election).select_related("imported_by"),
            "jobs": Job.objects.filter(kind=KIND, election_id=election.pk, created_by=request.user)[:10],
            "header": svc.template_header(election),
        },
    )


@login_required
@require_GET
def platform_import_job(request, pk: int, job_id: int):
    from elections.tasks_platform import KIND

    election = get_managed_election(request.user, pk)
    job = Job.objects.filter(pk=job_id, kind=KIND, election_id=election.pk, created_by=request.user).first()
    if job is None:
        raise Http404
    return render(
        request,
        "elections/platform/import_job.html",
        {
            "election": election,
            "job": job,
            "finished": job.status in (Job.Status.DONE, Job.Status.FAILED),
            "done_url": reverse("manage:platform_import_job", args=[election.pk, job.pk]),
        },
    )


@login_required
@require_GET
def platform_import_template(request, pk: int):
    """An empty result file with the right header (CSV, UTF-8 with BOM for Excel)."""
    election = get_managed_election(request.user, pk)
    buffer = io.StringIO()
    csv.writer(buffer).writerow(svc.template_header(election))
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="platform-result-{election.pk}.csv"'
    return response


manage_urlpatterns = [
    path("e/<int:pk>/platform/", platform_import, name="platform_import"),
    path("e/<int:pk>/platform/template.csv", platform_import_template, name="platform_import_template"),
    path("e/<int:pk>/platform/<int:job_id>/", platform_import_job, name="platform_import_job"),
]
