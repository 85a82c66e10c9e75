"""Celery for Yezhu: configured from Django settings (CELERY_*), tasks autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yezhu.settings")

app = Celery("yezhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["yezhu.accounts", "yezhu.jobs"])
# Modules of task that are not named tasks.py.
app.autodiscover_tasks(["elections"], related_name="tasks_paper")
