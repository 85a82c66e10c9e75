"""The one way each kind of figure is shown: percentages, dates and areas (页面、导出、打印同一格式).

Python functions for views, exports and services, and the same functions as template filters
(a template builtin, `TEMPLATES["OPTIONS"]["builtins"]`, so no `{% load %}` is needed):

- ``percent(part, whole)`` → ``"68.1%"``: the exact share (a Fraction, never a float) rounded
  half up to one decimal. Turnout, results, the street's board and exports all use it, so the same
  numbers show the same figure everywhere. Whether a quorum is met is decided on the exact share
  (elections.rules), never on this text.
- ``percent_figure(part, whole)`` → ``"68.1"``, for sentences that put the ``%`` themselves.
- ``whole_percent(part, whole)`` → ``68``: for the ``.w0 … .w100`` width classes of bars.
- ``area(value)`` → ``"1,204.5"``: thousands separators, at most two decimals, no trailing zeros.
- ``day(value)`` → ``"2026-12-15"`` and ``moment(value)`` → ``"2026-12-15 09:00"`` (local time);
  the filters wrap them in ``<time class="nowrap" datetime="…">`` so a narrow screen never breaks
  a date in the middle ("2026-/12-15").
- ``written_day(value)`` → ``"2026年12月15日"`` in Chinese, ``"2026-12-15"`` (``day``) in English:
  a date inside a sentence of a notice.
- ``words(text)``: a sentence of the statutory timeline (``elections.rules.periods.Text``) in the
  active language: the Chinese it carries, or its English template with each date written by
  ``day``. Any other value is shown as it is.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.html import format_html

register = template.Library()

Number = int | Decimal | Fraction | str

XLSX_PERCENT = "0.0%"  # a spreadsheet cell holding an exact ratio, shown as percent() shows it
XLSX_DATE = "yyyy-mm-dd"
NOTHING = "—"


def _exact(value: Number) -> Fraction:
    if isinstance(value, float):  # a float is never a figure here: refuse it loudly
        raise TypeError("formats: pass an int, Decimal, Fraction or str, never a float")
    return Fraction(value)


def percent_tenths(part: Number, whole: Number) -> int | None:
    """``part / whole`` in tenths of a percent, rounded half up on the exact value; None for 0/0."""
    whole_ = _exact(whole)
    if whole_ <= 0:
        return None
    return math.floor(_exact(part) * 1000 / whole_ + Fraction(1, 2))


def percent_figure(part: Number, whole: Number, *, empty: str = NOTHING) -> str:
    """``"68.1"``: the share as a percentage with one decimal (no sign), rounded half up."""
    tenths = percent_tenths(part, whole)
    if tenths is None:
        return empty
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return f"{sign}{tenths // 10}.{tenths % 10}"


def percent(part: Number, whole: Number = 1, *, empty: str = NOTHING) -> str:
    """``"68.1%"``; ``empty`` ("—") when the whole is nothing. ``percent(share)`` takes a Fraction."""
    figure = percent_figure(part, whole, empty="")
    return f"{figure}%" if figure else empty


def share_percent(share: Fraction | None, *, empty: str = NOTHING) -> str:
    """A share (a Fraction, or None for "nothing to share") as ``percent`` shows it."""
    return empty if share is None else percent(share.numerator, share.denominator, empty=empty)


def whole_percent(part: Number, whole: Number = 1) -> int:
    """The share as a whole percentage 0–100, rounded half up (the width of a bar)."""
    whole_ = _exact(whole)
    if whole_ <= 0:
        return 0
    return max(0, min(100, math.floor(_exact(part) * 100 / whole_ + Fraction(1, 2))))


def area(value: Number | None, *, empty: str = NOTHING) -> str:
    """1204.50 → "1,204.5", 1204.00 → "1,204": thousands separators, no trailing zeros."""
    if value is None or value == "":
        return empty
    cents = math.floor(_exact(value) * 100 + Fraction(1, 2))
    text = f"{Decimal(cents) / 100:,.2f}"
    return text.rstrip("0").rstrip(".")


def day(value: date | datetime | None, *, empty: str = "") -> str:
    """``"2026-12-15"``; a datetime is shown on its local date."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return value.isoformat()


def in_chinese() -> bool:
    return (translation.get_language() or "zh-hans").startswith("zh")


def written_day(value: date | datetime | None, *, empty: str = "") -> str:
    """A date inside a sentence: ``"2026年12月15日"`` in Chinese, ``day(value)`` otherwise."""
    if value is None:
        return empty
    if not in_chinese():
        return day(value)
    iso = day(value)
    year, month, dom = (int(part) for part in iso.split("-"))
    return f"{year}年{month}月{dom}日"


def words(value: Any) -> str:
    """A timeline sentence (``Text``) in the active language; any other value as ``str``."""
    if value is None:
        return ""
    english = getattr(value, "english", None)
    if english is None or in_chinese():
        return str(value)
    return str(english(day))


def moment(value: datetime | None, *, empty: str = "") -> str:
    """``"2026-12-15 09:00"`` in local time."""
    if value is None:
        return empty
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------
# Template filters (builtins)
# ---------------------------------------------------------------------------------------------


@register.filter(name="percent")
def percent_filter(part: Any, whole: Any = None) -> str:
    """``{{ part|percent:whole }}`` or ``{{ share|percent }}`` (a Fraction, or None → "—")."""
    if part is None:
        return NOTHING
    if whole is None:
        if isinstance(part, Fraction):
            return share_percent(part)
        return percent(part)
    return percent(part, whole)


@register.filter(name="area")
def area_filter(value: Any) -> str:
    return area(value)


def _time(value: date | datetime, text: str) -> str:
    if not text:
        return ""
    return format_html('<time class="nowrap" datetime="{}">{}</time>', value.isoformat(), text)


@register.filter(name="day")
def day_filter(value: Any) -> str:
    """``{{ value|day }}`` → ``<time class="nowrap" datetime="…">2026-12-15</time>``."""
    return _time(value, day(value)) if value else ""


@register.filter(name="moment")
def moment_filter(value: Any) -> str:
    """``{{ value|moment }}`` → ``<time class="nowrap" datetime="…">2026-12-15 09:00</time>``."""
    return _time(value, moment(value)) if value else ""


@register.filter(name="written_day")
def written_day_filter(value: Any) -> str:
    """``{{ value|written_day }}`` → ``<time …>2026年12月15日</time>`` (English: ``2026-12-15``)."""
    return _time(value, written_day(value)) if value else ""


@register.filter(name="words")
def words_filter(value: Any) -> str:
    """``{{ milestone.title|words }}``: a timeline sentence in the active language (escaped as usual)."""
    return words(value)
