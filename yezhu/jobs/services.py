"""Starting jobs and reporting progress from inside a task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from yezhu.jobs.models import Job
from yezhu.queue import Queueable, enqueue

if TYPE_CHECKING:
    from yezhu.accounts.models import User


def job_start(
    *,
    kind: str,
    user: User | None,
    task: Queueable | str,
    params: dict | None = None,
    input_file: File | str | None = None,
    compound_id: int | None = None,
    election_id: int | None = None,
) -> Job:
    """Create the job row and queue `task(job_id)` after the commit.

    If the broker is down the job stays `queued`; `yezhu.jobs.tasks.requeue_stale_jobs` (beat)
    queues it again, so nothing is lost.
    """
    job = Job(
        kind=kind, created_by=user, params=params or {}, compound_id=compound_id, election_id=election_id
    )
    if input_file is not None:
        job.input_file = input_file
    job.save()
    transaction.on_commit(lambda: enqueue(task, job.pk))
    return job


def job_progress(job: Job, *, done: int, total: int | None = None, message: str = "") -> None:
    fields = {"done": done, "status": Job.Status.RUNNING}
    if total is not None:
        fields["total"] = total
    if message:
        fields["message"] = message[:300]
    Job.objects.filter(pk=job.pk).update(**fields)


def job_finish(
    job: Job,
    *,
    result: dict | None = None,
    errors: list[str] | None = None,
    message: str = "",
    output_file: File | None = None,
) -> None:
    job.status = Job.Status.FAILED if errors else Job.Status.DONE
    job.result = result
    job.errors = errors or []
    job.message = message[:300]
    job.finished_at = timezone.now()
    if output_file is not None:
        job.output_file = output_file
    if job.status == Job.Status.DONE and job.total:
        job.done = job.total
    job.save()
