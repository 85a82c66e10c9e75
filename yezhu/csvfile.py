"""Writing .csv files, said once: every CSV the site offers for download is built here.

A CSV has no cell types: Excel and WPS decide for themselves, and a cell starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (or their full-width forms) runs as a formula when
the file is opened ("CSV injection": ``=HYPERLINK("http://x","点我")``). Such a text is written with
a leading apostrophe, the only marker a CSV can carry that both take as "this is text"; the same
test as the XLSX writer decides which texts (yezhu.xlsx.reads_as_formula). Data meant to be read
back (the roll export) is exported as XLSX, which keeps the value itself unchanged.

Files are UTF-8 with a BOM (so Excel on Chinese Windows reads the Chinese) and CRLF line ends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from yezhu.xlsx import reads_as_formula

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_text(value: object) -> str:
    """A cell as a spreadsheet will show it: text that would run is marked as text."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if reads_as_formula(text) else text


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")
