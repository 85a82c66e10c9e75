"""One format for each figure (yezhu/formats.py): percentages rounded half up on the exact share,
dates that never break in the middle, areas with separators; turnout and results agree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.template import Context, Template

from elections import turnout
from elections.views.public import results_context
from tests.factories import election_with_ballot_paper
from yezhu import formats


def test_it_rounds_the_exact_share_half_up_to_one_decimal():
    """1021/1500 is 68.0666…% → 68.1%; 1/16 is exactly 6.25% → 6.3% (half up, not half even)."""
    assert formats.percent(1021, 1500) == "68.1%"
    assert formats.percent(1, 16) == "6.3%"
    assert formats.percent(Decimal("0.5"), Decimal("8")) == "6.3%"
    assert formats.percent(2, 3) == "66.7%"
    assert formats.percent(1, 3) == "33.3%"
    assert formats.percent(3, 3) == "100.0%"
    assert formats.percent(0, 7) == "0.0%"
    assert formats.percent(0, 0) == "—"
    assert formats.percent(0, 0, empty="0%") == "0%"
    assert formats.percent(Fraction(2, 3)) == "66.7%"
    assert formats.share_percent(None) == "—"
    assert formats.percent_figure(1021, 1500) == "68.1"


def test_it_refuses_a_float():
    with pytest.raises(TypeError):
        formats.percent(0.5, 1)  # type: ignore[arg-type]


def test_it_gives_bars_a_whole_percentage_from_the_exact_share():
    """64.49…% is a 64 bar (no double rounding through 64.5), 99.5% a 100 one, never past 0–100."""
    assert formats.whole_percent(6449, 10000) == 64
    assert formats.whole_percent(995, 1000) == 100
    assert formats.whole_percent(3, 2) == 100
    assert formats.whole_percent(1, 0) == 0


def test_it_formats_areas_with_separators_and_no_trailing_zeros():
    assert formats.area(Decimal("1204.50")) == "1,204.5"
    assert formats.area(Decimal("1204.00")) == "1,204"
    assert formats.area(Decimal("1234567.89")) == "1,234,567.89"
    assert formats.area(Decimal("0.005")) == "0.01"
    assert formats.area(None) == "—"


def test_it_formats_dates_in_local_time():
    """Asia/Shanghai: 2026-12-15 01:30 UTC is 09:30 on the 15th; 2026-12-14 17:00 UTC is the 15th."""
    assert formats.moment(datetime(2026, 12, 15, 1, 30, tzinfo=UTC)) == "2026-12-15 09:30"
    assert formats.day(datetime(2026, 12, 14, 17, 0, tzinfo=UTC)) == "2026-12-15"
    assert formats.day(date(2026, 12, 15)) == "2026-12-15"
    assert formats.day(None) == ""


def test_its_filters_keep_a_date_on_one_line():
    """The filters wrap dates in <time class="nowrap">, so a 360 px screen cannot break "2026-/12-15"."""
    html = Template(
        "{{ d|day }} {{ m|moment }} {{ n|moment }}|{{ p|percent:w }} {{ s|percent }} {{ a|area }}"
    ).render(
        Context(
            {
                "d": date(2026, 12, 15),
                "m": datetime(2026, 12, 15, 1, 30, tzinfo=UTC),
                "n": None,
                "p": 1021,
                "w": 1500,
                "s": Fraction(1, 16),
                "a": Decimal("1204.50"),
            }
        )
    )
    assert html == (
        '<time class="nowrap" datetime="2026-12-15">2026-12-15</time> '
        '<time class="nowrap" datetime="2026-12-15T01:30:00+00:00">2026-12-15 09:30</time> '
        "|68.1% 6.3% 1,204.5"
    )


@pytest.mark.django_db
def test_turnout_and_results_show_the_same_figure_for_the_same_numbers(compound):
    """1021 of 1500 owners: the turnout said 68.0% (rounded down) where results said 68.1%."""
    progress = turnout.Progress(
        label="",
        total_area=Decimal("150000.00"),
        total_heads=1500,
        area=Decimal("102100.00"),
        heads=1021,
        quorum=Fraction(2, 3),
    )
    election = election_with_ballot_paper(compound)
    election.result = {
        "totals": {"area": "150000.00", "heads": 1500},
        "participation": {"area": "102100.00", "heads": 1021, "quorum_met": True},
    }
    results = results_context(election)
    assert progress.heads_share_text == f"{results['heads_percent']}%" == "68.1%"
    assert progress.area_share_text == f"{results['area_percent']}%" == "68.1%"
