"""Celery task for the city e-voting platform's result import (job kind "platform_import").

Kept apart like `tasks_paper.py`; `yezhu/celery.py` and `ElectionsConfig.ready()` import it.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Election
from elections.platform import PlatformImportError, platform_result_import
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_finish, job_progress
from yezhu.jobs.tasks import register

KIND = "platform_import"


@register(KIND)
@shared_task(name="elections.tasks_platform.platform_import_task", acks_late=True)
def platform_import_task(job_id: int) -> str:
    """Run one platform result import. Safe to run twice: a finished job is left alone, and a
    repeated run of a committed import is refused row by row ("already imported") without writing."""
    job = Job.objects.select_related("created_by").filter(pk=job_id, kind=KIND).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    params = job.params or {}
    with translation.override(params.get("language") or settings.LANGUAGE_CODE):
        election = Election.objects.select_related("compound").filter(pk=job.election_id).first()
        if election is None:
            job_finish(job, errors=[_("The election no longer exists.")], message=_("Nothing was imported."))
            return "failed"
        job_progress(job, done=0, message=_("Reading the sheet"))
        try:
            with job.input_file.open("rb") as handle:
                data = handle.read()
            counts = platform_result_import(
                election=election,
                actor=job.created_by,
                data=data,
                filename=params.get("filename", job.input_file.name),
                platform=params.get("platform", ""),
                progress=lambda done, total: job_progress(
                    job, done=done, total=total, message=_("Checking rows")
                ),
            )
        except PlatformImportError as exc:
            job_finish(
                job,
                errors=exc.errors,
                message=_("Nothing was imported: correct the file and upload it again."),
            )
            return "failed"
        except ElectionError as exc:
            job_finish(job, errors=[str(exc)], message=_("Nothing was imported."))
            return "failed"
        job_finish(job, result=counts, message=_("Imported."))
    return "done"
