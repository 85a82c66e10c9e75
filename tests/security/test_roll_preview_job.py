"""A large roll preview runs as a job with the progress bar, not inside the request (issue 14).

A 200,000-row roll took 11 s to preview inside the upload's request: long enough for a proxy to
time out and for a few staff uploading at once to tie up every web worker.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grids.models import Unit
from tests.factories import sign_in
from tests.grids.test_import_service import make_id, roll_csv
from yezhu.jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def big_roll() -> bytes:
    return roll_csv(
        [(f"1-1-{100 + i}", "90.00", [(f"业主{i}", make_id(i), f"1390000{i:04d}")]) for i in range(1, 60)]
    )


def test_a_large_roll_preview_runs_as_a_job_with_the_progress_bar(
    client, compound, working_group, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("grids.views.PREVIEW_ASYNC_BYTES", 1024)

    def not_in_the_request(**kwargs):
        raise AssertionError("the roll file was parsed inside the upload's request")

    monkeypatch.setattr("grids.views.roll_file_import", not_in_the_request)
    sign_in(client, working_group)
    data = big_roll()
    assert len(data) > 1024
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("grids:roll_upload", args=[compound.pk]), {"file": SimpleUploadedFile("roll.csv", data)}
        )
    job = Job.objects.get(kind="roll_upload")
    assert response["Location"] == reverse("grids:roll_preview", args=[compound.pk, job.pk])
    assert job.status == Job.Status.QUEUED and job.input_file
    page = client.get(response["Location"]).content.decode()
    assert f'data-job-url="{reverse("job_status", args=[job.pk])}"' in page and "js/progress.js" in page

    for callback in queued:  # the worker picks the job up
        callback()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result["rows"] == 59
    page = client.get(response["Location"]).content.decode()
    assert "data-job-url" not in page and "59" in page
    assert not Unit.objects.exists()  # a preview writes nothing
    status = client.get(reverse("job_status", args=[job.pk])).json()
    assert status["status"] == "done" and status["percent"] == 100


def test_a_small_roll_is_still_previewed_at_once(client, compound, working_group):
    sign_in(client, working_group)
    data = roll_csv([("1-1-101", "90.00", [("业主", make_id(1), "13900000001")])])
    client.post(
        reverse("grids:roll_upload", args=[compound.pk]), {"file": SimpleUploadedFile("roll.csv", data)}
    )
    job = Job.objects.get(kind="roll_upload")
    assert job.status == Job.Status.DONE and job.result["rows"] == 1
