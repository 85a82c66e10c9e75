"""Celery task for the paper-ballot sheet import (job kind "paper_import").

Kept apart from `elections/tasks.py` so that engineers do not collide; `yezhu/celery.py` must
import this module (autodiscovery only finds `tasks.py`). The views import it too, so a web
process that queues the task has it registered.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Election
from elections.paper import PaperImportError, paper_import
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_finish, job_progress
from yezhu.jobs.tasks import register

KIND = "paper_import"


@register(KIND)
@shared_task(acks_late=True)
def paper_import_task(job_id: int) -> str:
    """Run one sheet import. Safe to run twice: a finished job is left alone, and a repeated run
    of a committed import fails row by row ("already entered") without writing anything."""
    job = Job.objects.select_related("created_by").filter(pk=job_id, kind=KIND).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    language = (job.params or {}).get("language") or settings.LANGUAGE_CODE
    with translation.override(language):
        election = Election.objects.select_related("compound").filter(pk=job.election_id).first()
        if election is None:
            job_finish(job, errors=[_("The election no longer exists.")], message=_("Nothing was imported."))
            return "failed"
        job_progress(job, done=0, message=_("Reading the sheet"))
        try:
            with job.input_file.open("rb") as handle:
                data = handle.read()
            counts = paper_import(
                election=election,
                actor=job.created_by,
                data=data,
                filename=(job.params or {}).get("filename", job.input_file.name),
                received_before_close=bool((job.params or {}).get("received_before_close")),
                progress=lambda done, total: job_progress(
                    job, done=done, total=total, message=_("Checking rows")
                ),
            )
        except PaperImportError as exc:
            job_finish(
                job,
                errors=exc.errors,
                message=_("Nothing was imported: correct the sheet and upload it again."),
            )
            return "failed"
        except ElectionError as exc:
            job_finish(job, errors=[str(exc)], message=_("Nothing was imported."))
            return "failed"
        job_finish(job, result=counts, message=_("Imported."))
    return "done"
