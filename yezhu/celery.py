"""Celery for Yezhu: configured from Django settings (CELERY_*), tasks autodiscovered."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yezhu.settings")

app = Celery("yezhu")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["yezhu.accounts", "yezhu.jobs"])
# Modules of task that are not named tasks.py.
app.autodiscover_tasks(["elections"], related_name="tasks_paper")
app.autodiscover_tasks(["elections"], related_name="tasks_platform")


@signals.task_prerun.connect
def _audit_context_for_task(task_id=None, task=None, **kwargs):
    """Audit rows written by a task say which task (the client's address is unknown there)."""
    from yezhu.audit.context import AuditContext, _current

    _tokens[task_id] = _current.set(AuditContext(ip=None, via=f"task:{getattr(task, 'name', '')}"))


@signals.task_postrun.connect
def _audit_context_done(task_id=None, **kwargs):
    from yezhu.audit.context import _current

    token = _tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)


_tokens: dict = {}
