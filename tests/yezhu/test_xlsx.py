"""yezhu.xlsx: the one workbook writer. Text that a spreadsheet would run stays text."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from yezhu.xlsx import FORMULA_STARTS, Workbook, reads_as_formula

HYPERLINK = '=HYPERLINK("http://x","y")'
RISKY = [HYPERLINK, "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠A1", "#N/A"]


def _write(values, *, streaming: bool, **options) -> bytes:
    book = Workbook(streaming=streaming)
    sheet = book.sheet("表")
    sheet.header(["甲"] * len(values))
    sheet.append(values, **options)
    return book.to_bytes()


def _row(data: bytes, row: int = 2):
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(min_row=row, max_row=row))[0]


@pytest.mark.parametrize("streaming", [False, True])
def test_it_writes_every_text_a_spreadsheet_would_run_as_text(streaming):
    """Each risky text is a string cell with Excel's quote prefix, shown exactly as it was typed."""
    data = _write(RISKY, streaming=streaming)
    cells = _row(data)
    # XML reads a carriage return back as a line feed; every other text comes back as it was.
    assert [c.value for c in cells] == [text.replace("\r", "\n") for text in RISKY]
    assert {c.data_type for c in cells} == {"s"}
    assert all(c.quotePrefix for c in cells)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


def test_it_knows_every_start_of_a_formula():
    for start in FORMULA_STARTS:
        assert reads_as_formula(f"{start}A1")
    assert not reads_as_formula("张三") and not reads_as_formula("1-1-101") and not reads_as_formula("")


@pytest.mark.parametrize("streaming", [False, True])
def test_it_keeps_numbers_numbers_and_dates_dates(streaming):
    data = _write(
        [Decimal("89.50"), 3, date(2026, 5, 1), "1-1-101", None], streaming=streaming, formats={1: "0.00"}
    )
    area, count, day, code, empty = _row(data)
    assert area.data_type == "n" and area.value == 89.5 and area.number_format == "0.00"
    assert count.data_type == "n" and count.value == 3
    assert day.is_date and day.value.date() == date(2026, 5, 1)
    assert code.data_type == "s" and code.value == "1-1-101" and not code.quotePrefix
    assert empty.value is None


@pytest.mark.parametrize("streaming", [False, True])
def test_it_drops_characters_xml_cannot_hold_instead_of_failing(streaming):
    data = _write(["张\x01三\x1f", "a\tb\nc"], streaming=streaming)
    assert [c.value for c in _row(data)] == ["张三", "a\tb\nc"]


def test_it_styles_the_header_and_chosen_columns():
    book = Workbook()
    sheet = book.sheet("表")
    sheet.widths((10, 20), text_columns={2})
    sheet.header(["名称", "值"], fill="DDEBF7")
    sheet.append(["甲", 1], bold={1})
    loaded = load_workbook(io.BytesIO(book.to_bytes())).active
    assert loaded.title == "表" and loaded.freeze_panes == "A2"
    assert loaded["A1"].font.b and loaded["A1"].fill.fgColor.rgb.endswith("DDEBF7")
    assert loaded["A2"].font.b and not loaded["B2"].font.b
    assert loaded.column_dimensions["B"].width == 20 and loaded.column_dimensions["B"].number_format == "@"


def test_it_refuses_to_format_cells_outside_the_rows_of_a_streaming_sheet():
    sheet = Workbook(streaming=True).sheet("表")
    with pytest.raises(ValueError):
        sheet.format_range("A2:A9", "@")
