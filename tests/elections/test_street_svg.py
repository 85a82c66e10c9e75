"""The board's server-rendered SVG charts (elections/rules/street_svg.py): well-formed, escaped, no style
attribute or script, bars proportional, today marked and late milestones red."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from fractions import Fraction

from elections.rules import street_svg as svg

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(text: str) -> ET.Element:
    return ET.fromstring(text)


def test_it_draws_bars_proportional_to_the_counts():
    root = parse(svg.bar_chart([("小区总数", 80), ("已成立业委会", 40), ("应换未换", 0)], title="主要数字"))
    bars = root.findall(".//s:rect[@class='bar']", NS)
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == 2 * widths[1]
    assert widths[2] == 0
    assert [t.text for t in root.findall(".//s:text[@class='value']", NS)] == ["80", "40", "0"]
    assert root.find("s:title", NS).text == "主要数字"
    assert root.get("role") == "img"


def test_it_escapes_every_text_it_draws():
    """A compound called <script>&"x" stays text: the SVG parses and contains no script element."""
    evil = '<script>alert(1)</script>&"x"'
    text = svg.bar_chart([(evil, 1)], title=evil)
    root = parse(text)
    assert "<script>" not in text
    assert root.find(".//s:script", NS) is None
    assert root.find("s:title", NS).text == evil
    tl = svg.timeline_chart(
        [svg.Track(label=evil, href='/x?a=1&b="2"', marks=(svg.Mark(date(2026, 1, 5), evil, "overdue"),))],
        start=date(2026, 1, 1),
        end=date(2026, 2, 1),
        today=date(2026, 1, 10),
        title=evil,
    )
    root = parse(tl)
    assert root.find(".//s:a", NS).get("href") == '/x?a=1&b="2"'
    assert "<script>" not in tl


def test_it_uses_no_style_attribute_so_the_csp_holds():
    texts = [
        svg.bar_chart([("a", 1)], title="t"),
        svg.coverage_chart([("a", Fraction(1, 2), "50.0%")], title="t", target=Fraction(95, 100)),
        svg.timeline_chart(
            [svg.Track("a")], start=date(2026, 1, 1), end=date(2026, 3, 1), today=date(2026, 2, 1), title="t"
        ),
    ]
    for text in texts:
        assert "style=" not in text and "<script" not in text


def test_it_draws_coverage_as_a_share_of_the_track():
    root = parse(
        svg.coverage_chart([("三覆盖率", Fraction(19, 20), "95.0%"), ("无数据", None, "—")], title="覆盖")
    )
    tracks = root.findall(".//s:rect[@class='track']", NS)
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert round(float(bars[0].get("width")) / float(tracks[0].get("width")), 2) == 0.95
    assert float(bars[1].get("width")) == 0
    assert [t.text for t in root.findall(".//s:text[@class='value']", NS)] == ["95.0%", "—"]


def test_it_marks_today_and_draws_late_milestones_in_red():
    track = svg.Track(
        label="西园里 · 候选人公示",
        bars=(
            svg.Bar(date(2026, 1, 5), date(2026, 1, 20), "公告期"),
            svg.Bar(date(2026, 1, 21), date(2026, 2, 10), "投票", planned=True),
        ),
        marks=(
            svg.Mark(date(2026, 1, 4), "业主大会会议公告：逾期完成", "done_late"),
            svg.Mark(date(2026, 1, 25), "投票截止：待办", "due"),
        ),
        late=True,
    )
    root = parse(
        svg.timeline_chart(
            [track], start=date(2026, 1, 1), end=date(2026, 3, 1), today=date(2026, 1, 15), title="时间线"
        )
    )
    today = root.find(".//s:line[@class='today']", NS)
    assert today is not None
    # 15 January lies inside the first stage (5–20 January) and before the planned voting bar.
    first = root.find(".//s:rect[@class='stage']", NS)
    planned = root.find(".//s:rect[@class='stage planned']", NS)
    assert float(first.get("x")) < float(today.get("x1")) < float(planned.get("x"))
    late = root.findall(".//s:circle[@class='milestone late']", NS)
    assert len(late) == 1 and late[0].get("fill") == svg.BAD
    assert late[0].find("s:title", NS).text == "业主大会会议公告：逾期完成"
    due = root.findall(".//s:circle[@class='milestone due']", NS)
    assert len(due) == 1 and due[0].get("fill") == svg.BAR
    assert root.find(".//s:rect[@class='stage planned']", NS).get("fill-opacity") == "0.35"


def test_it_places_dates_in_order_along_the_calendar():
    marks = tuple(svg.Mark(date(2026, 1, d), str(d), "due") for d in (5, 15, 25))
    root = parse(
        svg.timeline_chart(
            [svg.Track("x", marks=marks)],
            start=date(2026, 1, 1),
            end=date(2026, 1, 31),
            today=date(2026, 6, 1),
            title="t",
        )
    )
    xs = [float(c.get("cx")) for c in root.findall(".//s:circle", NS)]
    assert xs == sorted(xs)
    assert round(xs[1] - xs[0], 1) == round(xs[2] - xs[1], 1)
    assert root.find(".//s:line[@class='today']", NS) is None  # today is outside the window


def test_it_chooses_a_window_around_the_dates_and_today():
    start, end = svg.window([date(2026, 1, 10), date(2026, 1, 20)], date(2026, 1, 15))
    assert start <= date(2026, 1, 3) and end >= date(2026, 1, 27)
    assert (end - start).days >= 60
    start, end = svg.window([date(2020, 1, 1), date(2030, 1, 1)], date(2026, 1, 1))
    assert (end - start).days == 540 and start <= date(2026, 1, 1) <= end
