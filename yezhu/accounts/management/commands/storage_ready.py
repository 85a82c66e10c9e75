"""`manage.py storage_ready`: make sure the media storage is usable before the site starts.

On S3-compatible storage it creates the bucket if it is missing (the compose stack's `migrate`
service runs it once per deploy), then writes, reads and deletes a probe file. On local files it
checks that MEDIA_ROOT is writable. Exits non-zero with the reason otherwise.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the media bucket if needed and check that files can be written and read."

    def handle(self, *args, **options):
        storage = storages["default"]
        if settings.AWS_STORAGE_BUCKET_NAME:
            try:
                self._ensure_bucket(storage)
            except CommandError:
                raise
            except Exception as exc:  # noqa: BLE001 - unreachable endpoint, bad key, …
                raise CommandError(f"media storage is not usable: {exc}") from exc
        name = f"healthcheck/{uuid.uuid4().hex}.txt"
        try:
            saved = storage.save(name, ContentFile(b"yezhu"))
            with storage.open(saved, "rb") as handle:
                if handle.read() != b"yezhu":
                    raise CommandError("the probe file came back different")
            storage.delete(saved)
        except CommandError:
            raise
        except Exception as exc:  # noqa: BLE001 - any storage failure is reported the same way
            raise CommandError(f"media storage is not usable: {exc}") from exc
        self.stdout.write(f"media storage ready: {type(storage).__name__}")

    def _ensure_bucket(self, storage):
        from botocore.exceptions import ClientError

        client = storage.connection.meta.client
        bucket = settings.AWS_STORAGE_BUCKET_NAME
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) not in ("404", "NoSuchBucket", "NotFound"):
                raise CommandError(f"bucket {bucket}: {exc}") from exc
            client.create_bucket(Bucket=bucket)
            self.stdout.write(f"created bucket {bucket}")
