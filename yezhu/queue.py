"""Queueing Celery tasks without losing the caller's write.

A service names the task it queues (``"elections.tasks.send_notice"``) rather than importing the
tasks module, which imports the services: the shells (tasks) stay above the services. Every task
has an explicit, stable ``name=``, and each app's AppConfig.ready() imports its tasks, so a name
resolves to the registered task in every process (and runs in-process in eager mode).
"""

from __future__ import annotations

import logging
from typing import Protocol

from celery import current_app

log = logging.getLogger(__name__)


class Queueable(Protocol):
    """What `enqueue` needs of a Celery task."""

    name: str

    def delay(self, *args: object) -> object: ...

    def apply_async(self, args: tuple, countdown: int | None = None) -> object: ...


def enqueue(task: Queueable | str, *args: object, countdown: int | None = None) -> bool:
    """Queue a Celery task (or the task of that name), `countdown` seconds from now if given; False
    (and a log line) when the broker cannot be reached. The caller's outbox row stays `queued`, and
    the periodic drain picks it up later."""
    name = task if isinstance(task, str) else task.name
    try:
        queued = current_app.tasks[task] if isinstance(task, str) else task
        if countdown is None:
            queued.delay(*args)
        else:
            queued.apply_async(args, countdown=countdown)
    except Exception:  # noqa: BLE001 - any broker failure must not lose the caller's write
        log.warning("could not queue %s%r; the outbox drain will retry", name, args, exc_info=True)
        return False
    return True
