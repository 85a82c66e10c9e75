"""Background work of the roll: checking a large housing roll file (jobs of kind "roll_upload")
and importing it (jobs of kind "roll_import").

A file over PREVIEW_ASYNC_BYTES is not parsed inside the upload's request (a 200,000-row roll
took 11 s there): the upload is stored on its job and `roll_preview_job` makes the preview in the
background while the page shows the progress bar (static/js/progress.js).

The page that starts the job has already parsed the file once and shown its preview; the task
reads the stored file again (yezhu.jobs.Job.input_file) and hands it to
grids.services.roll_file_import, which checks that the roll still differs from the file exactly
as the preview said and imports it all or nothing. Progress is reported in steps, outside the
import's transaction: rows written inside it would not be visible to the progress bar before the
commit anyway.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

from grids.models import Compound, Unit
from grids.roll import compute_roll, roll_of_rows, units_that_must_stay
from grids.roll_file import ParsedRoll, RollFileError
from grids.services import (
    PREVIEW_ROWS,
    RollDiff,
    RollError,
    import_message,
    preview_summary,
    roll_file_import,
)
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_finish, job_progress
from yezhu.jobs.tasks import register

log = logging.getLogger(__name__)

IMPORT_KIND = "roll_import"
UPLOAD_KIND = "roll_upload"  # an upload and its preview, waiting for "import"
#: Uploads larger than this are checked in a background job, not in the upload's request
#: (about 3,000 rows of CSV, or a few thousand more of .xlsx).
PREVIEW_ASYNC_BYTES = 256 * 1024


def _roll_after(compound: Compound, parsed: ParsedRoll) -> dict | None:
    """The roll the file would give (units that count, area, heads)."""
    roll = roll_of_rows(
        (
            (u.area, u.status, u.owner_ids)
            for u in parsed.units
            if compound.parking_counts or u.kind not in Unit.NOT_COUNTED_KINDS
        ),
        developer=compound.developer_uscc or None,
    )
    return roll.as_json() if roll is not None else None


def preview_result(compound: Compound, parsed: ParsedRoll, diff: RollDiff) -> dict:
    """What the preview page shows (kept in Job.result): the changes, the roll before and after,
    and the units an election froze that the file would remove."""
    return {
        "summary": preview_summary(diff),
        "rows": parsed.rows,
        "before": compute_roll(compound, with_voters=False).as_json(),
        "after": _roll_after(compound, parsed),
        "frozen": units_that_must_stay(compound, diff.removed)[:PREVIEW_ROWS],
    }


@register(UPLOAD_KIND)
@shared_task(name="grids.tasks.roll_preview_job", bind=True, acks_late=True, max_retries=3)
def roll_preview_job(self, job_id: int) -> str:
    """Check one uploaded roll file and store its preview on the job. Writes nothing to the roll;
    safe to run twice (a finished job is left alone)."""
    job = Job.objects.filter(pk=job_id, kind=UPLOAD_KIND).select_related("created_by").first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    compound = Compound.objects.filter(pk=job.compound_id).first()
    if compound is None or not job.input_file:
        job_finish(job, errors=[_("The compound or the uploaded file no longer exists.")])
        return "failed"
    try:
        job_progress(job, done=0, total=2, message=_("Reading the file"))
        with job.input_file.open("rb") as f:
            data = f.read()
        job_progress(job, done=1, message=_("Comparing the file with the roll"))
        try:
            preview = roll_file_import(
                compound=compound,
                data=data,
                filename=job.params.get("filename", job.input_file.name),
                actor=job.created_by,
                commit=False,
            )
        except RollFileError as e:
            job_finish(job, errors=e.errors, message=_("The file has errors; nothing was imported."))
            return "failed"
    except OperationalError as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 2)) from exc
        log.exception("roll preview job %s failed", job_id)
        job_finish(job, errors=[_("The database could not be reached. Try again later.")])
        return "failed"
    job_finish(job, result=preview_result(compound, preview.parsed, preview.diff))
    return "done"


@register(IMPORT_KIND)
@shared_task(name="grids.tasks.roll_import_job", bind=True, acks_late=True, max_retries=3)
def roll_import_job(self, job_id: int) -> str:
    """Import the roll file of one job. Safe to run twice: a finished job is left alone, and
    importing the same file again changes nothing (the preview check then fails the job)."""
    job = Job.objects.filter(pk=job_id, kind=IMPORT_KIND).select_related("created_by").first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return "skipped"
    compound = Compound.objects.filter(pk=job.compound_id).first()
    if compound is None:
        job_finish(job, errors=[_("The compound no longer exists.")], message=_("Import failed."))
        return "failed"
    filename = job.params.get("filename", job.input_file.name)
    try:
        job_progress(job, done=0, total=2, message=_("Reading the file"))
        with job.input_file.open("rb") as f:
            data = f.read()
        # One step from here: the service parses, compares with the preview and writes.
        job_progress(job, done=1, message=_("Writing units and owners"))
        try:
            done = roll_file_import(
                compound=compound,
                data=data,
                filename=filename,
                actor=job.created_by,
                commit=True,
                expected=job.params.get("expected"),
            )
        except RollFileError as e:
            job_finish(job, errors=e.errors, message=_("The file has errors; nothing was imported."))
            return "failed"
        except RollError as e:  # the roll changed since the preview, or a frozen unit would go
            job_finish(job, errors=[str(e)], message=_("Nothing was imported."))
            return "failed"
    except OperationalError as exc:
        # The database was unreachable or a lock timed out: the import rolled back; try again.
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 2)) from exc
        log.exception("roll import job %s failed", job_id)
        job_finish(job, errors=[_("The database could not be reached. Try again later.")])
        return "failed"
    job_finish(
        job,
        result={**preview_summary(done.diff), "rows": done.parsed.rows},
        message=import_message(done.diff),
    )
    return "done"
