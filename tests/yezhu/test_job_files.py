"""Finished jobs' files are deleted after their retention (yezhu.jobs.tasks.purge_job_files).

An uploaded roll holds owners' names, mobiles and identity numbers; it must not lie in the media
directory for ever once it has been imported or abandoned.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from grids.models import Unit
from tests.factories import UserFactory
from tests.grids.test_import_service import FIRST, roll_csv
from tests.grids.test_views import last_upload, upload
from yezhu.audit.models import AuditEntry
from yezhu.jobs.models import Job
from yezhu.jobs.tasks import purge_job_files

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.JOB_INPUT_RETENTION_HOURS = 24
    settings.JOB_OUTPUT_RETENTION_DAYS = 7


def job_with_file(*, field: str, status=Job.Status.DONE, finished_hours_ago: float | None, name: str) -> Job:
    job = Job(kind="roll_upload", created_by=UserFactory(), status=status)
    if finished_hours_ago is not None:
        job.finished_at = timezone.now() - timedelta(hours=finished_hours_ago)
    getattr(job, field).save(
        name, ContentFile("姓名,手机号,身份证号\n张三,13800138000,330106199001011234\n"), save=False
    )
    job.save()
    return job


def on_disk(job: Job, field: str) -> bool:
    return Path(getattr(job, field).path).exists()


def test_it_deletes_an_upload_a_day_after_its_job_finished_and_keeps_a_fresh_one():
    """25 hours after the preview the roll is gone from disk and from the job; 2 hours after, kept."""
    old = job_with_file(field="input_file", finished_hours_ago=25, name="old.csv")
    fresh = job_with_file(field="input_file", finished_hours_ago=2, name="fresh.csv")
    old_path = Path(old.input_file.path)
    assert purge_job_files() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not old_path.exists() and not old.input_file
    assert on_disk(fresh, "input_file") and fresh.input_file
    entry = AuditEntry.objects.get(action="job.files_purged")
    assert entry.data == {"files": 1, "jobs": [old.pk]}


def test_it_keeps_a_file_that_a_waiting_or_running_job_still_reads():
    """The background import reads its upload's file: while it waits or runs, the file stays."""
    upload_job = job_with_file(field="input_file", finished_hours_ago=30, name="big.csv")
    Job.objects.create(
        kind="roll_import",
        created_by=upload_job.created_by,
        status=Job.Status.RUNNING,
        input_file=upload_job.input_file.name,
    )
    assert purge_job_files() == 0
    assert on_disk(upload_job, "input_file")
    Job.objects.filter(kind="roll_import").update(status=Job.Status.DONE, finished_at=timezone.now())
    assert purge_job_files() == 1
    assert not Job.objects.exclude(input_file="").exists()  # both jobs forget the shared file


def test_it_keeps_unfinished_jobs_files_whatever_their_age():
    """A job still queued (the broker was down for days) keeps its file: it has not run yet."""
    waiting = job_with_file(
        field="input_file", status=Job.Status.QUEUED, finished_hours_ago=None, name="q.csv"
    )
    Job.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(days=30))
    assert purge_job_files() == 0
    assert on_disk(waiting, "input_file")


def test_it_deletes_exports_after_a_week():
    """A proof-of-service export is kept 7 days after it was made, then deleted."""
    week_old = job_with_file(field="output_file", finished_hours_ago=24 * 7 + 1, name="export.xlsx")
    day_old = job_with_file(field="output_file", finished_hours_ago=24 + 1, name="recent.xlsx")
    path = Path(week_old.output_file.path)
    assert purge_job_files() == 1
    assert not path.exists() and on_disk(day_old, "output_file")


def test_it_is_safe_to_run_twice_and_after_the_file_vanished():
    """A second run finds nothing; a file already missing from disk is just forgotten."""
    job = job_with_file(field="input_file", finished_hours_ago=48, name="gone.csv")
    Path(job.input_file.path).unlink()
    assert purge_job_files() == 1
    assert purge_job_files() == 0
    assert AuditEntry.objects.filter(action="job.files_purged").count() == 1


def test_it_is_scheduled_by_beat():
    """Beat runs the purge every hour."""
    entry = django_settings.CELERY_BEAT_SCHEDULE["purge-job-files"]
    assert entry["task"] == "yezhu.jobs.tasks.purge_job_files" and entry["schedule"] <= 3600


def test_it_asks_for_the_roll_again_when_the_preview_outlived_its_file(client, compound, working_group):
    """Confirming an import whose upload was purged imports nothing and says to upload again."""
    client.force_login(working_group)
    upload(client, compound, roll_csv(FIRST))
    job = last_upload()
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    assert purge_job_files() == 1
    response = client.post(reverse("grids:roll_commit", args=[compound.pk, job.pk]), follow=True)
    assert "请重新上传" in response.content.decode()
    assert not Unit.objects.filter(compound=compound).exists()
