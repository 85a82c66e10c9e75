"""Waiting for something to happen, with a ceiling, never for a fixed time.

The suite must pass on a machine whose cores are busy (docs/testing.md): a test that sleeps "long
enough" fails there, and a test that asserts how long something took measures the machine, not
the code. So a test waits for the condition it needs, polling, up to a bound that is only a
ceiling against hanging forever: generous, never reached when the code works.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], object],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
    details: Callable[[], str] | None = None,
) -> None:
    """Return as soon as `predicate()` is true; fail naming `what` (and `details()`) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            extra = f"\n{details()}" if details is not None else ""
            raise AssertionError(f"gave up after {timeout} s waiting for {what}{extra}")
        time.sleep(interval)  # a poll between two looks at the condition, not a wait for it
