"""Fuzzing the three file inputs: the housing roll import, the paper-ballot import and the bundle
recount. Malformed files (random bytes, GBK and BOM mix-ups, merged cells, formulas, huge numbers,
empty sheets, mutated bundles) each end in the module's own clear error, and the database keeps
every row count it had."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elections.errors import ElectionError
from elections.models import Ballot, PaperEntry, Voter
from elections.paper import PaperImportError, paper_import, template_header
from elections.rules.bundle import BundleError, load_json, parse_bundle, recount
from elections.services import bundle_for
from grids.models import Building, Owner, Ownership, Unit
from grids.roll_file import COLUMNS, RollFileError, parse_roll
from grids.services import RollError, roll_import
from tests.security import build_world
from yezhu.audit.models import AuditEntry

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MODELS = (Unit, Owner, Ownership, Building, Voter, Ballot, PaperEntry, AuditEntry)

BAD_IDS = st.sampled_from(
    ["", "123", "11010119900101123X0", "110101199013011234", "ABCDEFGHIJKLMNOPQR", "１１０１０１"]
)
HUGE = st.sampled_from(
    ["1e400", "9" * 40, "-5", "0", "NaN", "inf", "1,000,000.00", "12.345", "=1/0", "=SUM(A1:A9)", "①"]
)
CELL = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    HUGE,
)


@pytest.fixture
def world(db, settings, tmp_path):  # noqa: F811 - pytest-django's settings fixture
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in MODELS)


def _is_clear(errors: list[str]) -> bool:
    return bool(errors) and all(isinstance(e, str) and e.strip() and len(e) < 2000 for e in errors)


# -- building malformed files -----------------------------------------------------------------


def _csv(rows: list[list[object]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode(encoding, errors="replace")
    return (b"\xef\xbb\xbf" if bom else b"") + data


def _xlsx(
    rows: list[list[object]], *, merge: bool = False, empty: bool = False, formula: bool = False
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(v):
        if isinstance(v, float) and (v != v or abs(v) == float("inf")):
            return str(v)
        if isinstance(v, int) and abs(v) > 10**15:
            return v  # Excel keeps 15 digits: the import must say so, not guess
        return ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v

    book = Workbook()
    sheet = book.active
    if not empty:
        for row in rows:
            sheet.append([cell(v) for v in row])
        if merge and sheet.max_row >= 2:
            sheet.merge_cells(start_row=2, start_column=1, end_row=min(3, sheet.max_row), end_column=3)
        if formula:
            sheet.cell(row=2, column=5, value="=1/0")
            sheet.cell(row=2, column=8, value='=HYPERLINK("http://x","点我")')
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@st.composite
def malformed_roll(draw):
    """A roll file that must be refused: every data row carries a bad identity number."""
    n = draw(st.integers(min_value=0, max_value=4))
    rows = [list(COLUMNS)]
    for i in range(n):
        rows.append(
            [
                draw(st.sampled_from(["1", "2", "", "楼"])),
                "1",
                f"{101 + i}",
                draw(st.sampled_from(["住宅", "车位", "商铺", "别墅?", ""])),
                draw(HUGE | st.just("89.50")),
                draw(st.sampled_from(["登记", "实测", "合同", "猜的"])),
                draw(st.sampled_from(["已交付", "未售", "出租"])),
                draw(st.text(min_size=1, max_size=6)),
                draw(st.sampled_from(["", "1380013800", "13800138000", "+86 138 0013 8000", "电话"])),
                draw(BAD_IDS),
            ]
        )
    kind = draw(
        st.sampled_from(
            [
                "csv-gbk",
                "csv-bom-gbk",
                "csv-utf8",
                "csv-bom",
                "xlsx",
                "xlsx-merged",
                "xlsx-formula",
                "xlsx-empty",
                "bytes",
                "header-only",
            ]
        )
    )
    if kind == "bytes":
        return draw(st.binary(max_size=400)), draw(
            st.sampled_from(["roll.csv", "roll.xlsx", "roll.xls", "roll"])
        )
    if kind == "header-only":
        return _csv([list(COLUMNS)]), "roll.csv"
    if kind.startswith("csv"):
        if n == 0:
            rows.append(["", "", "", "", "", "", "", "", "", "x"])
        encoding = "gbk" if "gbk" in kind else "utf-8"
        data = _csv(rows, encoding)
        if kind == "csv-bom-gbk":
            data = b"\xef\xbb\xbf" + data  # a UTF-8 BOM in front of GBK text
        elif kind == "csv-bom":
            data = b"\xef\xbb\xbf" + data
        return data, "roll.csv"
    return _xlsx(
        rows, merge=kind == "xlsx-merged", empty=kind == "xlsx-empty", formula=kind == "xlsx-formula"
    ), "roll.xlsx"


@st.composite
def malformed_sheet(draw, header):
    """A keyed-in paper sheet that must be refused: serials that are not this election's."""
    n = draw(st.integers(min_value=0, max_value=4))
    head = draw(st.sampled_from([header, header[:-1], [*header, "多余"], ["序列号"], []]))
    rows = [list(head)]
    for _ in range(n):
        rows.append(
            [
                draw(
                    st.sampled_from(["", "X-1-1", "99999999999999999999", "=A1", "E1-V1-0000"])
                    | st.text(max_size=10)
                ),
                draw(st.sampled_from(["是", "否", "", "也许", "1e400"])),
                *[draw(CELL) for _ in head[2:]],
            ]
        )
    if n == 0 and head:
        rows.append(["bad-serial", "是"])
    kind = draw(
        st.sampled_from(
            ["csv-gbk", "csv-bom", "csv-utf8", "xlsx", "xlsx-merged", "xlsx-formula", "xlsx-empty", "bytes"]
        )
    )
    if kind == "bytes":
        return draw(st.binary(max_size=300)), draw(st.sampled_from(["s.csv", "s.xlsx", "s.pdf"]))
    if kind.startswith("csv"):
        return _csv(rows, "gbk" if kind == "csv-gbk" else "utf-8", bom=kind == "csv-bom"), "s.csv"
    return _xlsx(
        rows, merge=kind == "xlsx-merged", empty=kind == "xlsx-empty", formula=kind == "xlsx-formula"
    ), "s.xlsx"


# -- the roll ---------------------------------------------------------------------------------


@FUZZ
@given(case=malformed_roll())
def test_it_refuses_malformed_roll_files_and_changes_nothing(world, case):
    """parse_roll + roll_import: a malformed roll ends in RollFileError listing its problems (or, for
    a file that parses but would drop units of a frozen roll, the service's RollError)."""
    data, filename = case
    before = counts()
    with pytest.raises((RollFileError, RollError)) as caught:
        parsed = parse_roll(data, filename)
        roll_import(compound=world.compound, parsed=parsed, actor=world.users["a_staff"], filename=filename)
    errors = getattr(caught.value, "errors", None) or [str(caught.value)]
    assert _is_clear(errors)
    assert counts() == before


AREA_DEFECTS = {  # an area cell → the words its refusal must contain
    "1e400": "不是有效的数字",
    "NaN": "不是有效的数字",
    "inf": "不是有效的数字",
    "①": "不是有效的数字",
    "9" * 40: "过大",
    "-5": "必须为正数",
    "0": "必须为正数",
    "12.345": "至多两位小数",
}


@FUZZ
@given(
    defect=st.sampled_from(sorted(AREA_DEFECTS)),
    kind=st.sampled_from(["csv-gbk", "csv-utf8", "csv-bom", "xlsx"]),
    row=st.integers(min_value=0, max_value=5),
)
def test_it_names_the_one_bad_area_in_an_otherwise_valid_roll(world, defect, kind, row):
    """Valid rows (real identity numbers, Chinese names) in GBK, UTF-8, UTF-8 with BOM or XLSX, with one
    bad area: the refusal names that row's area and nothing else, so the encoding and number paths
    are what the test proves, and the database is unchanged."""
    from grids.sample import roll_rows

    rows = [list(r) for r in roll_rows(6, seed=3, floors=2, per_floor=3, entrances=1)]
    area_column = COLUMNS.index("专有部分面积")
    rows[row][area_column] = defect
    table = [list(COLUMNS), *rows]
    if kind == "xlsx":
        data, filename = _xlsx(table), "roll.xlsx"
    else:
        data, filename = (
            _csv(table, "gbk" if kind == "csv-gbk" else "utf-8", bom=kind == "csv-bom"),
            "roll.csv",
        )
    before = counts()
    with pytest.raises(RollFileError) as caught:
        parse_roll(data, filename)
    errors = caught.value.errors
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"第 {row + 2} 行：专有部分面积") and AREA_DEFECTS[defect] in errors[0], (
        errors
    )
    assert counts() == before


@FUZZ
@given(kind=st.sampled_from(["csv-gbk", "csv-utf8", "csv-bom", "xlsx"]))
def test_it_reads_the_same_valid_roll_in_every_encoding(kind):
    """The positive side: the same valid roll parses to the same units and owners whatever the encoding."""
    from grids.sample import roll_rows

    table = [list(COLUMNS), *[list(r) for r in roll_rows(6, seed=3, floors=2, per_floor=3, entrances=1)]]
    reference = parse_roll(_csv(table, "utf-8"), "roll.csv")
    if kind == "xlsx":
        parsed = parse_roll(_xlsx(table), "roll.xlsx")
    else:
        parsed = parse_roll(
            _csv(table, "gbk" if kind == "csv-gbk" else "utf-8", bom=kind == "csv-bom"), "roll.csv"
        )
    assert parsed == reference


@FUZZ
@given(data=st.binary(max_size=600), filename=st.sampled_from(["roll.csv", "roll.xlsx"]))
def test_it_refuses_random_bytes_on_the_roll_upload_page(world, data, filename):
    """Through the page: random bytes are refused with errors shown and the roll unchanged."""
    client = Client()
    client.force_login(world.users["a_staff"])
    before = counts()
    response = client.post(
        reverse("grids:roll_upload", args=[world.compound.pk]),
        {"file": SimpleUploadedFile(filename, data)},
        follow=True,
    )
    assert response.status_code == 200
    assert counts() == before


def test_it_refuses_a_roll_that_would_empty_a_frozen_roll(world):
    """A valid file that drops units of a frozen election is refused by the service (RollError), nothing changes."""
    from grids.sample import roll_csv, roll_rows

    parsed = parse_roll(roll_csv(roll_rows(3, seed=1, floors=1, per_floor=3, entrances=1)), "small.csv")
    before = counts()
    with pytest.raises(RollError):
        roll_import(
            compound=world.compound, parsed=parsed, actor=world.users["a_staff"], filename="small.csv"
        )
    assert counts() == before


# -- the paper-ballot import ------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_it_refuses_malformed_paper_sheets_and_changes_nothing(world, data):
    """elections.paper.paper_import: a malformed sheet ends in PaperImportError (an ElectionError)."""
    header = template_header(world.e_vote)
    payload, filename = data.draw(malformed_sheet(header))
    before = counts()
    with pytest.raises(PaperImportError) as caught:
        paper_import(election=world.e_vote, actor=world.users["a_staff"], data=payload, filename=filename)
    assert isinstance(caught.value, ElectionError)
    assert _is_clear(caught.value.errors)
    assert counts() == before


# -- the bundle and the recount ---------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
PATHS = ("units", "matters", "races", "ballots", "rules", "format", "election")


def _mutate(bundle: dict, draw) -> dict:
    doc = copy.deepcopy(bundle)
    target = doc
    key = draw(st.sampled_from(PATHS))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        value = target.get(key) if isinstance(target, dict) else None
        if isinstance(value, list) and value:
            target, key = value, draw(st.integers(min_value=0, max_value=len(value) - 1))
        elif isinstance(value, dict) and value:
            target, key = value, draw(st.sampled_from(sorted(value)))
        else:
            break
        inner = target[key]
        if isinstance(inner, dict) and inner:
            target, key = inner, draw(st.sampled_from(sorted(inner)))
    junk = draw(JSON | st.sampled_from(["1e400", "-1", "0", "9" * 50, "", "C999", "M999"]))
    if isinstance(target, (dict, list)):
        target[key] = junk
    return doc


@FUZZ
@given(data=st.data())
def test_it_refuses_mutated_bundles_with_a_bundle_error_only(world, data):
    """A bundle with one part replaced by junk recounts or fails with BundleError, nothing else."""
    bundle = json.loads(json.dumps(bundle_for(world.e_closed), default=str))
    doc = _mutate(bundle, data.draw)
    before = counts()
    try:
        result = recount(doc)
    except BundleError as error:
        assert str(error).strip() and "\n" not in str(error).strip()
    else:
        assert isinstance(result, dict)
    assert counts() == before


@FUZZ
@given(doc=JSON)
def test_it_refuses_arbitrary_json_as_a_bundle(doc):
    """Any JSON that is not a bundle is a BundleError."""
    with pytest.raises(BundleError):
        parse_bundle(doc)


@FUZZ
@given(
    raw=st.binary(max_size=300)
    | st.sampled_from([b"\xef\xbb\xbf{", b"[" * 5000, b'{"a":1,"a":2}', b"NaN", b"1" * 5000])
)
def test_it_refuses_bytes_that_are_not_json(raw):
    """load_json turns bad bytes (GBK, BOM + junk, deep nesting, duplicate keys) into a BundleError."""
    try:
        load_json(raw)
    except BundleError as error:
        assert "\n" not in str(error)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.binary(max_size=200)
    | st.sampled_from([b"{}", b'{"format":"yezhu-bundle/1"}', "业主".encode("gbk")])
)
def test_it_exits_the_recount_command_with_one_line_on_bad_files(tmp_path_factory, raw):
    """manage.py recount on a malformed file exits 1 with one line on stderr and nothing on stdout."""
    path = tmp_path_factory.mktemp("b") / "bundle.json"
    path.write_bytes(raw)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("recount", str(path), stdout=out, stderr=err)
    assert exited.value.code == 1
    assert out.getvalue() == ""
    assert len(err.getvalue().strip().splitlines()) == 1


def test_it_recounts_the_valid_bundle_so_the_refusals_are_about_the_input(world):
    """The unmutated bundle of the closed election recounts to its stored result."""
    bundle = json.loads(json.dumps(bundle_for(world.e_closed), default=str))
    result = recount(bundle)
    assert json.loads(json.dumps(result, default=str)) == json.loads(
        json.dumps(world.e_closed.result, default=str)
    )
