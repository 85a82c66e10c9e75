"""Media on S3-compatible storage (django-storages) against moto's S3 server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from tests.s3_server import moto_s3, s3_env
from yezhu.jobs.models import Job

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3() as endpoint:
        yield endpoint


def manage(*args, env_extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def s3_storages(settings, endpoint: str, bucket: str):
    env = s3_env(endpoint, bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "access_key": env["AWS_S3_ACCESS_KEY_ID"],
                "secret_key": env["AWS_S3_SECRET_ACCESS_KEY"],
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }


def test_the_settings_choose_s3_only_when_a_bucket_is_named(s3_endpoint):
    code = "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])"
    with_bucket = manage("shell", "-c", code, env_extra=s3_env(s3_endpoint, "yezhu-media"))
    assert with_bucket.stdout.strip().splitlines()[-1] == "storages.backends.s3.S3Storage", with_bucket.stderr
    local = manage("shell", "-c", code, env_extra={})
    assert local.stdout.strip().splitlines()[-1] == "django.core.files.storage.FileSystemStorage"


def test_storage_ready_creates_the_bucket_and_round_trips_a_file(s3_endpoint):
    env = s3_env(s3_endpoint, "yezhu-ready")
    first = manage("storage_ready", env_extra=env)
    assert first.returncode == 0, first.stderr
    assert "created bucket yezhu-ready" in first.stdout and "S3Storage" in first.stdout
    again = manage("storage_ready", env_extra=env)
    assert again.returncode == 0 and "created bucket" not in again.stdout


def test_storage_ready_fails_loudly_when_the_store_cannot_be_reached():
    env = s3_env("http://127.0.0.1:9", "yezhu-ready")
    result = manage("storage_ready", env_extra={**env, "AWS_MAX_ATTEMPTS": "1"})
    assert result.returncode != 0
    assert "media storage is not usable" in result.stderr


def test_an_uploaded_file_is_stored_in_the_bucket_and_served_by_a_signed_link(s3_endpoint, settings):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="yezhu-jobs")
    s3_storages(settings, s3_endpoint, "yezhu-jobs")
    from tests.factories import UserFactory

    job = Job.objects.create(kind="roll_upload", created_by=UserFactory())
    job.input_file.save("roll-1.csv", ContentFile("楼栋,单元,房号\n1,1,101\n".encode()), save=True)
    assert type(storages["default"]).__name__ == "S3Storage"
    key = job.input_file.name
    stored = client.get_object(Bucket="yezhu-jobs", Key=key)["Body"].read().decode()
    assert stored.startswith("楼栋,单元,房号")
    with Job.objects.get(pk=job.pk).input_file.open("rb") as handle:  # another process reads it the same way
        assert handle.read().decode().endswith("1,1,101\n")
    url = job.input_file.url
    assert url.startswith(f"{s3_endpoint}/yezhu-jobs/") and "X-Amz-Signature=" in url
    assert requests.get(url, timeout=10).content.decode().startswith("楼栋")
    job.input_file.delete(save=True)
    assert client.list_objects_v2(Bucket="yezhu-jobs").get("KeyCount", 0) == 0
