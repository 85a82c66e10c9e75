from datetime import timedelta

from celery import current_app, shared_task
from django.utils import timezone

from yezhu.accounts.services import enqueue
from yezhu.actors import SCHEDULER
from yezhu.jobs.models import Job

TASKS = {}  # kind → task, filled by `register`


def register(kind: str):
    """Name the task that runs jobs of this kind, so stale jobs can be queued again."""

    def wrap(task):
        TASKS[kind] = task.name
        return task

    return wrap


@shared_task
def requeue_stale_jobs() -> int:
    """Queue again the jobs still waiting two minutes after they were created (broker was down)."""
    cutoff = timezone.now() - timedelta(minutes=2)
    count = 0
    for job in Job.objects.filter(status=Job.Status.QUEUED, created_at__lte=cutoff)[:100]:
        name = TASKS.get(job.kind)
        if name:
            if not enqueue(current_app.tasks[name], job.pk):
                break  # broker still down
            count += 1
    return count


@shared_task
def purge_job_files(now=None) -> int:
    """Delete the files of finished jobs once nobody needs them; returns how many were deleted.

    Uploaded rolls hold owners' names, mobiles and identity numbers, and paper-ballot sheets hold
    readings: they are kept `JOB_INPUT_RETENTION_HOURS` after their job finished (long enough to
    look at the preview and confirm the import the next morning), exports `JOB_OUTPUT_RETENTION_DAYS`.
    A file another job still waits on or runs from (the import reads the upload's file) is kept.
    Safe to run twice and late: a file already gone is simply forgotten.
    """
    from django.conf import settings
    from django.db.models import Q

    from yezhu.audit.log import record

    now = now or timezone.now()
    finished = Q(status__in=[Job.Status.DONE, Job.Status.FAILED])
    input_cutoff = now - timedelta(hours=settings.JOB_INPUT_RETENTION_HOURS)
    output_cutoff = now - timedelta(days=settings.JOB_OUTPUT_RETENTION_DAYS)
    in_use = set(
        Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .exclude(input_file="")
        .values_list("input_file", flat=True)
    )
    stale_inputs = (
        Job.objects.filter(finished, finished_at__lte=input_cutoff)
        .exclude(input_file="")
        .exclude(input_file__in=in_use)
    )
    stale_outputs = Job.objects.filter(finished, finished_at__lte=output_cutoff).exclude(output_file="")
    deleted: list[str] = []
    jobs: set[int] = set()
    for field, queryset in (("input_file", stale_inputs), ("output_file", stale_outputs)):
        for job in queryset[:500]:
            name = getattr(job, field).name
            storage = getattr(job, field).storage
            if name not in deleted:
                storage.delete(name)  # no error if already gone
                deleted.append(name)
            # Every job naming the file forgets it (an import job shares its upload's file).
            jobs.update(Job.objects.filter(**{field: name}).values_list("pk", flat=True))
            Job.objects.filter(**{field: name}).update(**{field: ""})
    if deleted:
        record(
            "job.files_purged",
            summary=f"{len(deleted)} job files deleted after their retention period",
            data={"files": len(deleted), "jobs": sorted(jobs)},
            actor=SCHEDULER,
        )
    return len(deleted)
