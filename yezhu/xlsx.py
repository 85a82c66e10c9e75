"""Writing .xlsx files, said once: every export that builds a workbook builds it here.

    book = Workbook(streaming=True)            # streaming: rows go to disk as they come (big exports)
    sheet = book.sheet("审计日志")
    sheet.header(["时间", "摘要"])
    sheet.append([when, entry.summary])
    return book.to_bytes()

**Text is text.** A cell a person typed (an owner's name, an audit summary, a provider's reply) may
start with what a spreadsheet reads as a formula: ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, or their full-width forms ``＝＋－＠`` that a Chinese input method types and that WPS also
takes for operators. ``openpyxl`` would even write a text starting with ``=`` as a live formula
(``=HYPERLINK("http://x","y")`` becomes a link that runs when the file is opened). So every such
text, and a text that reads as an error value (``#N/A``), is written as an inline string cell
(``t="inlineStr"``, never an ``<f>`` formula) with Excel's *quote prefix* (``quotePrefix="1"``: what
Excel itself stores when a person types an apostrophe before the text). Excel and WPS show the text as it is, without an
apostrophe, and keep it text when the cell is edited; the stored value is unchanged, so a roll
exported and imported again reads back the same name. Numbers stay numbers and dates stay dates:
only ``str`` values are touched. Characters that XML cannot hold (control characters other than
tab, line feed and carriage return) are dropped instead of failing the whole export.

Layout (widths, frozen header, drop-downs) is set through :class:`Sheet`; a streaming sheet takes
its layout before its first row (it is written out as the rows come). This module is platform: it
imports no domain app.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypeAlias

from openpyxl import Workbook as _OpenpyxlWorkbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMULA_STARTS", "XLSX_CONTENT_TYPE", "CellValue", "Sheet", "Workbook", "reads_as_formula"]

#: What a cell holds: text, a number, a date or time, or nothing.
CellValue: TypeAlias = str | int | float | Decimal | bool | date | datetime | time | timedelta | None

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: What a spreadsheet may take for the start of a formula (ASCII and full-width forms).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet would read this text as a formula or an error value, not as text."""
    return text.startswith(FORMULA_STARTS) or text in ERROR_CODES


class Sheet:
    """One worksheet. Every value goes in through :meth:`append` (or :meth:`header`)."""

    def __init__(self, worksheet: Worksheet | WriteOnlyWorksheet):
        self._ws = worksheet

    @property
    def title(self) -> str:
        return self._ws.title

    def append(
        self,
        values: Iterable[CellValue],
        *,
        bold: bool | Collection[int] = False,
        fill: str | None = None,
        formats: Mapping[int, str] | None = None,
        wrap: bool = False,
    ) -> None:
        """Add one row. `bold` is True for the whole row or the 1-based columns to embolden; `fill`
        a background colour ("DDEBF7"); `formats` a number format by 1-based column ("0.00", "@",
        "0.0%"); `wrap` wraps every cell's text."""
        row = []
        for column, value in enumerate(values, start=1):
            row.append(
                self._cell(
                    value,
                    bold=bold is True or (not isinstance(bold, bool) and column in bold),
                    fill=fill,
                    number_format=(formats or {}).get(column),
                    wrap=wrap,
                )
            )
        self._ws.append(row)

    def header(self, columns: Sequence[CellValue], *, fill: str | None = None, freeze: bool = True) -> None:
        """The header row: bold (on `fill`), and frozen so it stays in view while scrolling."""
        if freeze:
            self._ws.freeze_panes = "A2"
        self.append(columns, bold=True, fill=fill)

    def widths(self, widths: Sequence[float], *, text_columns: Collection[int] = ()) -> None:
        """Column widths from column A on; `text_columns` (1-based) get the text format "@", so
        what a person types there later ("3-1", an identity number) is not turned into a date or a
        number."""
        # A write-only sheet has column_dimensions too (Worksheet._setup), which types-openpyxl omits.
        dimensions = self._ws.column_dimensions  # type: ignore[union-attr]
        for column, width in enumerate(widths, start=1):
            dimension = dimensions[get_column_letter(column)]
            dimension.width = width
            if column in text_columns:
                dimension.number_format = "@"

    def format_range(self, cells: str, number_format: str) -> None:
        """Give the (empty) cells of a range a number format, e.g. "F2:H2000" as text ("@")."""
        for row in self._full("format cells outside its rows")[cells]:
            for cell in row:
                cell.number_format = number_format

    def dropdown(
        self,
        cells: str,
        words: Sequence[str],
        *,
        allow_blank: bool = True,
        error: str | None = None,
        error_title: str | None = None,
    ) -> None:
        """A drop-down list of `words` on a range ("C2:C2000"), with an error message if given."""
        validation = DataValidation(
            type="list", formula1='"' + ",".join(words) + '"', allow_blank=allow_blank
        )
        if error is not None:
            validation.showErrorMessage = True
            validation.error = error
            validation.errorTitle = error_title
        validation.add(cells)
        self._full("hold a drop-down").add_data_validation(validation)

    def freeze_header(self) -> None:
        self._ws.freeze_panes = "A2"

    def _full(self, what: str) -> Worksheet:
        """The worksheet, for what only a sheet kept in memory can do."""
        if not isinstance(self._ws, Worksheet):
            raise ValueError(f"a streaming sheet cannot {what}")
        return self._ws

    def _cell(
        self, value: CellValue, *, bold: bool, fill: str | None, number_format: str | None, wrap: bool
    ) -> CellValue | Cell:
        forced_text = False
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            forced_text = reads_as_formula(value)
        if not (forced_text or bold or fill or number_format or wrap):
            return value
        cell = Cell(self._ws, row=1, column=1)  # placed by append
        cell.value = value
        if forced_text:
            cell.data_type = "s"  # openpyxl made "=…" a formula and "#N/A" an error: text, always
            cell.quotePrefix = True
        if bold:
            cell.font = _BOLD
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        if number_format:
            cell.number_format = number_format
        if wrap:
            cell.alignment = _WRAP
        return cell


class Workbook:
    """An .xlsx file being written. `streaming` writes each row out as it comes (little memory for
    a large export); its sheets take their layout before their first row."""

    def __init__(self, *, streaming: bool = False):
        self._book = _OpenpyxlWorkbook(write_only=streaming)
        self._streaming = streaming
        self._sheets: list[Sheet] = []

    def sheet(self, title: str) -> Sheet:
        """A new sheet (the workbook's first sheet is the one Excel opens on)."""
        worksheet: Worksheet | WriteOnlyWorksheet
        if not self._sheets and not self._streaming:
            worksheet = self._book.worksheets[0]  # the sheet a new workbook starts with
            worksheet.title = title
        else:
            worksheet = self._book.create_sheet(title)
        sheet = Sheet(worksheet)
        self._sheets.append(sheet)
        return sheet

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()
