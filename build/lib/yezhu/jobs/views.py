from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from yezhu.jobs.models import Job


@require_GET
@login_required
def job_status(request, pk: int):
    """JSON for the progress bar (static/js/progress.js); only the job's owner may read it."""
    job = get_object_or_404(Job, pk=pk, created_by=request.user)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "message": job.message,
            "errors": job.errors[:200],
            "result": job.result,
            "output": job.output_file.url if job.output_file else "",
        }
    )
