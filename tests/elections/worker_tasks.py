"""A task for the real-worker tests only: the worker imports this module (`celery worker -I`)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tests.barrier", acks_late=True, ignore_result=False)
def barrier() -> bool:
    """Nothing; its result says the worker has run every task queued before it (one queue, one
    solo worker: first in, first out)."""
    return True
