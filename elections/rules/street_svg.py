"""Charts of the street board as server-rendered SVG strings (no chart library, no CDN).

Pure functions: plain values in, an ``<svg>`` string out, every text escaped. No ``style``
attribute and no script (the Content-Security-Policy forbids inline style): colours are
presentation attributes, and each element carries a class that static/css/street.css may refine.
Each chart has ``role="img"`` (``role="group"`` when it holds links) and a ``<title>`` so that a
screen reader names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from html import escape

__all__ = ["Bar", "Mark", "Track", "bar_chart", "coverage_chart", "text_width", "timeline_chart", "window"]

INK = "#1d1d1f"
MUTED = "#5b5b66"
LINE = "#d7d7de"
BAR = "#1f5fa8"
OK = "#1b7f3b"
BAD = "#b3261e"
WARN = "#a05a00"
TRACK_BG = "#ececf1"
FONT = 14


def _e(text: object) -> str:
    """Text or attribute value, escaped for XML (quotes included)."""
    return escape(str(text), quote=True)


def text_width(text: str, size: int = FONT) -> int:
    """A generous estimate of the rendered width: CJK characters are one em, others about 0.6 em."""
    units = sum(1.0 if ord(ch) > 0x2E7F else 0.62 for ch in text)
    return int(units * size + 0.999)


def _svg(width: int, height: int, title: str, body: list[str], css_class: str) -> str:
    # A chart with links is a named group (an "img" must hold nothing focusable: its links would be
    # unreachable to a screen reader); a chart without links is one image.
    role = "group" if any("<a " in part for part in body) else "img"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {_e(css_class)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="{role}" aria-label="{_e(title)}" '
        f'font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif" font-size="{FONT}">'
        f"<title>{_e(title)}</title>" + "".join(body) + "</svg>"
    )


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, width: int = 560) -> str:
    """Horizontal bars of counts (the headline figures), each labelled and numbered."""
    label_w = max([text_width(label) for label, _ in items] + [40]) + 12
    row_h, top = 30, 8
    height = top * 2 + row_h * len(items)
    largest = max([value for _, value in items] + [1])
    plot_w = max(width - label_w - 56, 40)
    body = []
    for i, (label, value) in enumerate(items):
        y = top + i * row_h
        w = 0 if value <= 0 else max(2, round(plot_w * value / largest))
        body.append(
            f'<g class="bar-row"><text x="{label_w - 8}" y="{y + 19}" text-anchor="end" fill="{INK}">{_e(label)}</text>'
            f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{w}" height="20" rx="3" fill="{BAR}"/>'
            f'<text class="value" x="{label_w + w + 6}" y="{y + 19}" fill="{INK}">{int(value)}</text></g>'
        )
    return _svg(width, height, title, body, "bar-chart")


def coverage_chart(
    items: Sequence[tuple[str, Fraction | None, str]],
    *,
    title: str,
    width: int = 560,
    target: Fraction | None = None,
) -> str:
    """Shares from 0 to 100%: (label, share or None when there is nothing to count, text shown)."""
    label_w = max([text_width(label) for label, _, _ in items] + [40]) + 12
    row_h, top = 30, 8
    height = top * 2 + row_h * len(items)
    plot_w = max(width - label_w - 70, 40)
    body = []
    for i, (label, share, shown) in enumerate(items):
        y = top + i * row_h
        w = 0 if share is None else round(plot_w * min(max(share, Fraction(0)), Fraction(1)))
        body.append(
            f'<g class="bar-row"><text x="{label_w - 8}" y="{y + 19}" text-anchor="end" fill="{INK}">{_e(label)}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 5}" width="{plot_w}" height="20" rx="3" fill="{TRACK_BG}"/>'
            f'<rect class="bar" x="{label_w}" y="{y + 5}" width="{w}" height="20" rx="3" fill="{OK}"/>'
            f'<text class="value" x="{label_w + plot_w + 6}" y="{y + 19}" fill="{INK}">{_e(shown)}</text></g>'
        )
    if target is not None:
        x = label_w + round(plot_w * min(max(target, Fraction(0)), Fraction(1)))
        body.append(
            f'<line class="target" x1="{x}" y1="{top}" x2="{x}" y2="{height - top}" stroke="{INK}" '
            f'stroke-dasharray="4 3"/>'
        )
    return _svg(width, height, title, body, "coverage-chart")


@dataclass(frozen=True)
class Bar:
    """A stage drawn from ``start`` to ``end`` (both days included); ``planned`` is not yet done."""

    start: date
    end: date
    label: str
    planned: bool = False


@dataclass(frozen=True)
class Mark:
    """A milestone's deadline or completion: status is done, done_late, due, overdue."""

    day: date
    label: str
    status: str


@dataclass(frozen=True)
class Track:
    """One election: its row label, an optional link, its stage bars and milestone marks."""

    label: str
    bars: tuple[Bar, ...] = ()
    marks: tuple[Mark, ...] = ()
    href: str = ""
    late: bool = False


_MARK_FILL = {"done": OK, "done_late": BAD, "out_of_order": BAD, "overdue": BAD, "due": BAR}


def timeline_chart(
    tracks: Sequence[Track],
    *,
    start: date,
    end: date,
    today: date,
    title: str,
    today_label: str = "today",
    width: int = 960,
) -> str:
    """A Gantt chart: one row per election, stages as bars against the calendar, today marked.

    Late milestones (overdue, or done after their deadline) are red circles with class ``late``;
    the others are green (done) or blue (due). Month boundaries are gridlines labelled YYYY-MM.
    """
    if end <= start:
        end = start + timedelta(days=1)
    label_w = min(max([text_width(t.label) for t in tracks] + [80]) + 16, 260)
    top, row_h, bottom = 34, 44, 10
    height = top + row_h * max(len(tracks), 1) + bottom
    plot_w = width - label_w - 12
    span = (end - start).days

    def x_of(day: date) -> float:
        clamped = min(max(day, start), end)
        return label_w + plot_w * (clamped - start).days / span

    body: list[str] = []
    # Month gridlines.
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            x = round(x_of(month), 1)
            body.append(
                f'<line class="grid" x1="{x}" y1="{top - 6}" x2="{x}" y2="{height - bottom}" stroke="{LINE}"/>'
                f'<text class="month" x="{x + 3}" y="{top - 10}" fill="{MUTED}" font-size="12">'
                f"{month.year}-{month.month:02d}</text>"
            )
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)

    for i, track in enumerate(tracks):
        y = top + i * row_h
        label = _e(
            track.label if text_width(track.label) <= label_w - 16 else _clip(track.label, label_w - 16)
        )
        fill = BAD if track.late else INK
        text = f'<text x="{label_w - 8}" y="{y + 26}" text-anchor="end" fill="{fill}">{label}</text>'
        if track.href:
            text = f'<a href="{_e(track.href)}">{text}</a>'
        body.append(f'<g class="track{" late" if track.late else ""}">{text}')
        body.append(
            f'<line x1="{label_w}" y1="{y + row_h - 1}" x2="{width - 4}" y2="{y + row_h - 1}" stroke="{LINE}"/>'
        )
        for bar in track.bars:
            if bar.end < start or bar.start > end:
                continue
            x1 = x_of(bar.start)
            x2 = x_of(bar.end + timedelta(days=1)) if bar.end < end else x_of(end)
            w = max(round(x2 - x1, 1), 2)
            opacity = ' fill-opacity="0.35"' if bar.planned else ""
            cls = "stage planned" if bar.planned else "stage"
            body.append(
                f'<rect class="{cls}" x="{round(x1, 1)}" y="{y + 12}" width="{w}" height="20" rx="3" '
                f'fill="{BAR}"{opacity}><title>{_e(bar.label)}</title></rect>'
            )
        for mark in track.marks:
            if mark.day < start or mark.day > end:
                continue
            late = mark.status in ("overdue", "done_late", "out_of_order")
            cls = "milestone late" if late else f"milestone {_e(mark.status)}"
            body.append(
                f'<circle class="{cls}" cx="{round(x_of(mark.day), 1)}" cy="{y + 22}" r="{7 if late else 5}" '
                f'fill="{_MARK_FILL.get(mark.status, MUTED)}" stroke="#fff" stroke-width="1.5">'
                f"<title>{_e(mark.label)}</title></circle>"
            )
        body.append("</g>")

    if start <= today <= end:
        x = round(x_of(today), 1)
        body.append(
            f'<line class="today" x1="{x}" y1="{top - 6}" x2="{x}" y2="{height - bottom}" stroke="{WARN}" '
            f'stroke-width="2"/><text class="today-label" x="{x + 3}" y="{top - 22 if top > 24 else 12}" '
            f'fill="{WARN}" font-size="12">{_e(today_label)}</text>'
        )
    return _svg(width, height, title, body, "timeline-chart")


def _clip(text: str, width: int) -> str:
    out = ""
    for ch in text:
        if text_width(out + ch + "…") > width:
            return out + "…"
        out += ch
    return out


def window(
    days: Sequence[date], today: date, *, margin: int = 7, min_span: int = 60, max_span: int = 540
) -> tuple[date, date]:
    """A calendar window around ``days`` and ``today`` with a margin, between the two spans."""
    lo = min([*days, today]) - timedelta(days=margin)
    hi = max([*days, today]) + timedelta(days=margin)
    if (hi - lo).days < min_span:
        pad = (min_span - (hi - lo).days + 1) // 2
        lo, hi = lo - timedelta(days=pad), hi + timedelta(days=pad)
    if (hi - lo).days > max_span:
        # Keep today in view and as much of what is around it as fits.
        lo = max(lo, today - timedelta(days=max_span // 2))
        hi = lo + timedelta(days=max_span)
    return lo, hi
