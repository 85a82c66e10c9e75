from datetime import timedelta

from celery import current_app, shared_task
from django.utils import timezone

from yezhu.accounts.services import enqueue
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
