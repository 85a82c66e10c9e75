"""Natural order for the codes people read: buildings 1, 2, … 10, 11 and homes 2-1-101 before 10-1-101.

A database orders "10" before "2" (text); every page and export that lists buildings or homes
sorts them with `natural_key` instead, so the street office, the working group and owners see
the same order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

_PARTS = re.compile(r"(\d+)")


def natural_key(text: object) -> tuple:
    """A sort key that compares runs of digits as numbers: "2" < "10", "3-1-201" < "3-1-1001".

    Digit runs sort before text in the same position; full-width digits count as digits."""
    key: list[tuple[int, int, str]] = []
    # re.split with a group: even positions are text, odd positions the digit runs between them.
    for i, part in enumerate(_PARTS.split(str(text or ""))):
        if i % 2:
            key.append((0, int(part), part))
        elif part:
            key.append((1, 0, part))
    return tuple(key)


def natural_sorted(items: Iterable[T], key: Callable[[T], object] = str) -> list[T]:
    """`items` sorted naturally by `key(item)` (by default the item's text)."""
    return sorted(items, key=lambda item: natural_key(key(item)))
