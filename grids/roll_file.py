"""Housing roll files (房屋清册): reading and validating an upload, all or nothing; the template.

A roll file is a .xlsx workbook (first worksheet) or a .csv file with exactly these columns, in
this order: 楼栋,单元,房号,类型,专有部分面积,面积来源,状态,业主姓名,手机号,证件号码. One row per owner:
the co-owners (共有人) of a unit are several rows with the same 楼栋/单元/房号.

`parse_roll` returns the whole roll or raises `RollFileError` listing every problem as
"第 N 行：…", N being the row number Excel shows (the header is row 1). The caller writes
nothing unless the file is entirely valid. The messages are written here in Chinese, in
`MESSAGES`, because they are shown as is to the staff who upload the file.

Choices where the format leaves room:

- The first non-blank row must be the header; blank rows anywhere are skipped; rows keep their
  own numbers. In a CSV file a row is numbered by the physical line on which it starts (a quoted
  cell may span lines).
- CSV is decoded as UTF-8 (with or without BOM), else as GB18030 (a superset of the GBK that Excel
  on Chinese Windows writes). Only commas separate cells.
- A cell beyond the tenth column that is not empty is an error (it usually means the columns have
  shifted, e.g. a comma inside a name in a CSV file).
- Full-width characters (０-９, Ａ-Ｚ, －) become ASCII in every column but 业主姓名; runs of
  whitespace inside a name become one space. Control characters (line breaks inside a cell, NUL)
  are refused.
- Co-owner rows need not be adjacent; the unit takes its place in the output from its first row.
  Two different 楼栋/单元/房号 splits that give the same unit code ("3"/"1"/"201" and
  "3-1"/""/"201") are an error, not one unit.
- 专有部分面积: a number with at most two significant decimals ("89.500" is 89.50), positive, at
  most 99999999.99 (the database column). A float that Excel computed (8.950000000000001) is read
  as Excel shows it, to 15 significant digits. "1,234.56" is read as 1234.56.
- For units that are not delivered (未售, 已售未交付) the owner columns usually name the developer:
  they are ignored entirely. When 状态 itself is invalid, the owner columns are checked only for
  what is filled in.
- The same person (证件号码) listed with two different non-empty mobile numbers is an error, since
  the mobile number is how the owner signs in; a mobile number given on only one of the person's
  rows is used. The same mobile number for two people (a family sharing a phone) is allowed.
- A cell that Excel turned into a date ("3-1" typed into 楼栋) or a number too long to be exact
  (an identity number typed as a number) is an error that says so, instead of a wrong value.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
from django.utils.translation import gettext as _

from grids import idcard
from yezhu.accounts.phone import InvalidMobile, normalize_mobile
from yezhu.csvfile import csv_bytes
from yezhu.errors import DomainError
from yezhu.text import clean_name
from yezhu.xlsx import Workbook

__all__ = [
    "AREA_SOURCES",
    "COLUMNS",
    "KINDS",
    "MESSAGES",
    "STATUSES",
    "ParsedOwner",
    "ParsedRoll",
    "ParsedUnit",
    "RollFileError",
    "parse_roll",
    "template_csv",
    "template_xlsx",
    "write_roll_xlsx",
]

COLUMNS = (
    "楼栋",
    "单元",
    "房号",
    "类型",
    "专有部分面积",
    "面积来源",
    "状态",
    "业主姓名",
    "手机号",
    "证件号码",
)
BUILDING, ENTRANCE, NUMBER, KIND, AREA, AREA_SOURCE, STATUS, NAME, MOBILE, ID_NUMBER = range(len(COLUMNS))

# The words of the file and the codes of grids.models.Unit (Kind, AreaSource, Status).
KINDS = {
    "住宅": "residential",
    "商业": "commercial",
    "办公": "office",
    "车位": "parking",
    "摊位": "stall",
    "其他": "other",
}
AREA_SOURCES = {"登记": "register", "实测": "survey", "合同": "contract"}
STATUSES = {"已交付": "delivered", "未售": "unsold", "已售未交付": "sold_undelivered"}
DELIVERED = "delivered"

MAX_ERRORS = 500
MAX_ROWS = 200_000  # data rows; a compound of 50,000 units is already very large
MAX_XLSX_UNCOMPRESSED = 256 * 1024 * 1024  # refuses zip bombs before openpyxl unpacks anything
MAX_AREA = Decimal("99999999.99")  # Unit.area: max_digits=10, decimal_places=2
MAX_LENGTHS = {BUILDING: 30, ENTRANCE: 20, NUMBER: 20, NAME: 60}  # the model's max_length
MAX_CODE_LENGTH = 60
TWO_PLACES = Decimal("0.01")

MESSAGES = {
    # file-level
    "xls": "不支持 .xls 格式：请在 Excel 中“另存为” Excel 工作簿（.xlsx）或 CSV UTF-8（逗号分隔）文件后再上传",
    "file_type": "不支持的文件类型“{ext}”：请上传 .xlsx 或 .csv 文件",
    "empty_file": "文件是空的",
    "csv_is_xlsx": "文件扩展名是 .csv，但内容是 Excel 工作簿：请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV",
    "csv_encoding": "无法识别 CSV 文件的编码：请保存为 UTF-8 或 GBK 编码",
    "csv_unreadable": "CSV 文件格式有误，无法读取：请用 Excel 打开后另存为 CSV UTF-8（逗号分隔）文件",
    "xlsx_ole": "文件不是 .xlsx 格式（可能是改了扩展名的 .xls 文件，或设置了打开密码）：请在 Excel 中另存为 .xlsx 文件，不要设置密码",
    "xlsx_unreadable": "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式",
    "xlsx_too_large": "Excel 文件解压后过大，无法读取",
    "no_worksheet": "Excel 文件中没有工作表",
    "too_many_rows": "文件超过 {max} 行，无法导入",
    "empty_sheet": "文件中没有内容：第 1 行应为表头（{header}）",
    "no_rows": "文件只有表头，没有房屋数据",
    "header_missing": "表头不正确：缺少“{expected}”列（表头应为 {header}，顺序不变）",
    "header_wrong": "表头不正确：第 {col} 列应为“{expected}”，实际为“{actual}”（表头应为 {header}，顺序不变）",
    "header_extra": "表头不正确：第 {col} 列“{actual}”是多余的列（表头应为 {header}，顺序不变）",
    "header_delimiter": "表头不正确：CSV 文件应以英文逗号分隔各列（表头应为 {header}）",
    "more_errors": "另有 {count} 处错误未列出",
    # row-level, shown after "第 N 行："
    "row": "第 {row} 行：{message}",
    "required": "{column}不能为空",
    "choice": "{column}“{value}”无效，应为 {choices} 之一",
    "date_cell": "{column}是日期或时间（可能是 Excel 自动转换的）：请把该列设为“文本”格式后重新填写",
    "bad_cell": "{column}的内容“{value}”无法识别",
    "excel_error": "{column}是 Excel 错误值“{value}”",
    "control": "{column}含有换行或不可见的控制字符",
    "too_long": "{column}超过 {max} 个字",
    "extra_cell": "第 {col} 列在表头之外，但有内容“{value}”",
    "area_number": "专有部分面积“{value}”不是有效的数字",
    "area_positive": "专有部分面积必须为正数",
    "area_decimals": "专有部分面积至多两位小数",
    "area_too_large": "专有部分面积“{value}”过大，至多 99999999.99",
    "code_too_long": "房屋编号“{code}”超过 {max} 个字",
    "code_clash": "房屋编号“{code}”与第 {first} 行相同，但楼栋、单元、房号的拆分不同",
    "unit_mismatch": "与第 {first} 行同一房屋（{code}）的{fields}不一致",
    "owner_required": "已交付的房屋必须填写业主姓名和证件号码",
    "mobile": "手机号“{value}”格式不正确",
    "id_number_cell": "证件号码被 Excel 存成了数字，末几位可能已经丢失：请把该列设为“文本”格式后重新填写",
    "id_empty": "证件号码不能为空",
    "id_format": "证件号码格式不正确：居民身份证号码为 17 位数字加 1 位数字或 X，单位业主填 18 位统一社会信用代码，其他证件为 6 至 20 位字母和数字",
    "id_length": "证件号码位数不正确：居民身份证号码应为 18 位",
    "id_region": "证件号码的前两位不是有效的省级行政区划代码",
    "id_birth_date": "证件号码中的出生日期不正确",
    "id_check_digit": "证件号码校验位不正确（单位业主请核对 18 位统一社会信用代码）",
    "name_mismatch": "证件号码与第 {first} 行相同，但业主姓名不同（“{name}”与“{first_name}”）",
    "mobile_mismatch": "证件号码与第 {first} 行相同，但手机号不同（“{mobile}”与“{first_mobile}”）",
    "duplicate_owner": "同一业主在房屋（{code}）中重复出现，见第 {first} 行",
}
_UNIT_FIELD_LABELS = ("类型", "面积", "面积来源", "状态")

_HEADER_TEXT = ",".join(COLUMNS)
_FULL_WIDTH = idcard.FULL_WIDTH_TO_ASCII
_STRIP = idcard.STRIP_CHARACTERS
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)
_AREA_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_EXCEL_MAX_ROWS = 1_048_576


class RollFileError(DomainError, ValueError):
    """The file cannot be imported; `errors` lists every problem, one line each, in Chinese."""

    code = "roll_file_invalid"
    status = 400

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors), fields={"file": list(errors)})
        self.errors = errors

    def public_message(self) -> str:
        return _(
            "The file has %(count)s problem(s); nothing was imported. Correct them and upload it again."
        ) % {"count": len(self.errors)}


@dataclass(frozen=True)
class ParsedOwner:  # 业主: a person (or organisation) identified by the identity number
    id_number: str  # normal form, see grids.idcard
    name: str
    mobile: str | None  # 11 digits
    first_row: int


@dataclass(frozen=True)
class ParsedUnit:  # 专有部分
    code: str  # 楼栋-单元-房号, or 楼栋-房号 without 单元
    building: str
    entrance: str  # 单元, "" if none
    number: str
    kind: str  # KINDS values
    area: Decimal  # quantized to 0.01
    area_source: str  # AREA_SOURCES values
    status: str  # STATUSES values
    owner_ids: frozenset[str]  # empty unless delivered
    first_row: int


@dataclass(frozen=True)
class ParsedRoll:
    units: list[ParsedUnit]  # in the order of their first row
    owners: dict[str, ParsedOwner]  # by identity number, in the order of their first row
    rows: int  # non-blank data rows


# ---------------------------------------------------------------------------------------- reading


def _file_error(key: str, **kwargs: object) -> RollFileError:
    return RollFileError([MESSAGES[key].format(**kwargs)])


def _is_blank(values: Sequence[object]) -> bool:
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str) or value.strip(_STRIP):
            return False
    return True


def _read_rows(data: bytes, filename: str) -> list[tuple[int, Sequence[object]]]:
    """The non-blank rows of the file with their row numbers; raises RollFileError."""
    ext = os.path.splitext(filename or "")[1].lower()
    if ext == ".xls":
        raise _file_error("xls")
    if ext not in (".csv", ".xlsx"):
        raise _file_error("file_type", ext=ext or "无扩展名")
    if not data:
        raise _file_error("empty_file")
    return _read_csv(data) if ext == ".csv" else _read_xlsx(data)


def _read_csv(data: bytes) -> list[tuple[int, Sequence[object]]]:
    if data.startswith(_ZIP_SIGNATURE):
        raise _file_error("csv_is_xlsx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise _file_error("csv_encoding") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, Sequence[object]]] = []
    start = 1
    try:
        for record in reader:
            if not _is_blank(record):
                rows.append((start, record))
                if len(rows) > MAX_ROWS + 1:
                    raise _file_error("too_many_rows", max=MAX_ROWS)
            start = reader.line_num + 1
    except csv.Error:
        raise _file_error("csv_unreadable") from None
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, Sequence[object]]]:
    if data.startswith(_OLE_SIGNATURE):
        raise _file_error("xlsx_ole")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:
        # zipfile meets hostile bytes with BadZipFile, but also NotImplementedError, ValueError, …
        raise _file_error("xlsx_unreadable") from None
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        raise _file_error("xlsx_too_large")
    rows: list[tuple[int, Sequence[object]]] = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (data validation extensions, styles).
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                if not book.worksheets:
                    raise _file_error("no_worksheet")
                sheet = book.worksheets[0]
                # The stored dimensions are wrong in files from some generators; read every row.
                sheet.reset_dimensions()
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if number > _EXCEL_MAX_ROWS:
                        raise _file_error("too_many_rows", max=MAX_ROWS)
                    if not _is_blank(values):
                        rows.append((number, values))
                        if len(rows) > MAX_ROWS + 1:
                            raise _file_error("too_many_rows", max=MAX_ROWS)
            finally:
                book.close()
    except RollFileError:
        raise
    except Exception:
        # openpyxl reports a damaged workbook with whatever the zip or XML layer raises.
        raise _file_error("xlsx_unreadable") from None
    return rows


# ---------------------------------------------------------------------------------------- cells


class _CellError(Exception):
    def __init__(self, key: str, **kwargs: object):
        super().__init__(key)
        self.key = key
        self.kwargs = kwargs


def _text(value: object, column: int) -> str:
    """The stripped text of a cell; raises _CellError for dates, booleans, Excel error values."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        raise _CellError("bad_cell", value=str(value).upper())
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if column == ID_NUMBER and not (value.is_integer() and abs(value) < 1e15):
            raise _CellError("id_number_cell")
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        raise _CellError("date_cell")
    else:
        raise _CellError("bad_cell", value=str(value)[:20])
    if column != NAME and not text.isascii():
        text = text.translate(_FULL_WIDTH)
    text = text.strip(_STRIP)
    if not text:
        return ""
    if text in _EXCEL_ERRORS:
        raise _CellError("excel_error", value=text)
    if _CONTROL.search(text):
        raise _CellError("control")
    if column == NAME:
        text = clean_name(text)  # no bidi controls or zero-width characters (yezhu/text.py)
    limit = MAX_LENGTHS.get(column)
    if limit is not None and len(text) > limit:
        raise _CellError("too_long", max=limit)
    return text


def _area(value: object) -> Decimal:
    if isinstance(value, bool):
        raise _CellError("bad_cell", value=str(value).upper())
    if isinstance(value, int):
        area = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _CellError("area_number", value=repr(value))
        area = Decimal(repr(value))
        if area != area.quantize(TWO_PLACES) and abs(value) <= float(MAX_AREA):
            # A computed cell such as 8.950000000000001: read it as Excel displays it.
            shown = Decimal(format(value, ".15g"))
            if shown == shown.quantize(TWO_PLACES):
                area = shown
    else:
        text = _text(value, AREA)
        if not text:
            raise _CellError("required")
        number = text.replace(",", "") if _THOUSANDS.fullmatch(text) else text
        if not _AREA_TEXT.fullmatch(number):
            raise _CellError("area_number", value=text[:20])
        area = Decimal(number)
    if area <= 0:
        raise _CellError("area_positive")
    if area > MAX_AREA:
        raise _CellError("area_too_large", value=str(value)[:20])
    if area != area.quantize(TWO_PLACES):
        raise _CellError("area_decimals")
    return area.quantize(TWO_PLACES)


# ---------------------------------------------------------------------------------------- rows


class _Unit:
    __slots__ = ("code", "key", "fields", "first_row", "owners")

    def __init__(self, code: str, key: tuple[str, str, str], fields: tuple, first_row: int):
        self.code = code
        self.key = key
        self.fields = fields  # (kind, area, area_source, status); None where the cell was invalid
        self.first_row = first_row
        self.owners: dict[str, int] = {}  # id number -> row


class _Owner:
    __slots__ = ("name", "mobile", "first_row")

    def __init__(self, name: str, mobile: str | None, first_row: int):
        self.name = name
        self.mobile = mobile
        self.first_row = first_row


class _Parser:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.more = 0
        self.units: dict[str, _Unit] = {}
        self.owners: dict[str, _Owner] = {}
        self.rows = 0

    def error(self, row: int, key: str, **kwargs: object) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.more += 1
            return
        self.errors.append(MESSAGES["row"].format(row=row, message=MESSAGES[key].format(**kwargs)))

    def cell(self, row: int, values: Sequence[object], column: int) -> str | None:
        """The text of a cell, or None after recording its error."""
        try:
            return _text(values[column] if column < len(values) else None, column)
        except _CellError as e:
            self.error(row, e.key, column=COLUMNS[column], **e.kwargs)
            return None

    def required(self, row: int, values: Sequence[object], column: int) -> str | None:
        text = self.cell(row, values, column)
        if text == "":
            self.error(row, "required", column=COLUMNS[column])
            return None
        return text

    def choice(self, row: int, values: Sequence[object], column: int, words: dict[str, str]) -> str | None:
        text = self.required(row, values, column)
        if text is None:
            return None
        code = words.get(text)
        if code is None:
            self.error(row, "choice", column=COLUMNS[column], value=text[:20], choices="/".join(words))
        return code

    def area(self, row: int, values: Sequence[object]) -> Decimal | None:
        try:
            return _area(values[AREA] if len(values) > AREA else None)
        except _CellError as e:
            self.error(row, e.key, column=COLUMNS[AREA], **e.kwargs)
            return None

    def row(self, row: int, values: Sequence[object]) -> None:
        self.rows += 1
        for column in range(len(COLUMNS), len(values)):
            value = values[column]
            if value is not None and (not isinstance(value, str) or value.strip(_STRIP)):
                text = str(value).strip(_STRIP)
                self.error(
                    row, "extra_cell", col=column + 1, value=text[:20] + ("…" if len(text) > 20 else "")
                )
                break

        building = self.required(row, values, BUILDING)
        entrance = self.cell(row, values, ENTRANCE)
        number = self.required(row, values, NUMBER)
        fields = (
            self.choice(row, values, KIND, KINDS),
            self.area(row, values),
            self.choice(row, values, AREA_SOURCE, AREA_SOURCES),
            self.choice(row, values, STATUS, STATUSES),
        )
        status = fields[3]

        unit = None
        if building is not None and entrance is not None and number is not None:
            unit = self.unit(row, (building, entrance, number), fields)

        if status == DELIVERED:
            self.owner(row, values, unit, required=True)
        elif status is None:
            self.owner(row, values, None, required=False)
        # Units of the developer (未售, 已售未交付): the owner columns are ignored.

    def unit(self, row: int, key: tuple[str, str, str], fields: tuple) -> _Unit | None:
        building, entrance, number = key
        code = f"{building}-{entrance}-{number}" if entrance else f"{building}-{number}"
        if len(code) > MAX_CODE_LENGTH:
            self.error(row, "code_too_long", code=code, max=MAX_CODE_LENGTH)
            return None
        unit = self.units.get(code)
        if unit is None:
            unit = self.units[code] = _Unit(code, key, fields, row)
            return unit
        if unit.key != key:
            self.error(row, "code_clash", code=code, first=unit.first_row)
            return None
        differ = [
            label
            for label, mine, first in zip(_UNIT_FIELD_LABELS, fields, unit.fields, strict=True)
            if mine is not None and first is not None and mine != first
        ]
        if differ:
            self.error(row, "unit_mismatch", first=unit.first_row, code=code, fields="、".join(differ))
        return unit

    def owner(self, row: int, values: Sequence[object], unit: _Unit | None, *, required: bool) -> None:
        name = self.cell(row, values, NAME)
        raw_mobile = self.cell(row, values, MOBILE)
        raw_id = self.cell(row, values, ID_NUMBER)
        if required and (name == "" or raw_id == ""):
            self.error(row, "owner_required")

        id_number = None
        if raw_id:
            try:
                id_number = idcard.normalize_id_number(raw_id)
            except idcard.InvalidIdNumber as e:
                self.error(row, "id_" + e.code)
        mobile = None
        if raw_mobile:
            try:
                mobile = normalize_mobile(raw_mobile)
                if not mobile.isascii():  # normalize_mobile's \d also matches other scripts' digits
                    raise InvalidMobile(raw_mobile)
            except InvalidMobile:
                self.error(row, "mobile", value=raw_mobile[:20])
                mobile = None

        if not required or not name or id_number is None:
            return
        owner = self.owners.get(id_number)
        if owner is None:
            self.owners[id_number] = _Owner(name, mobile, row)
        elif owner.name != name:
            self.error(row, "name_mismatch", first=owner.first_row, name=name, first_name=owner.name)
        elif mobile and owner.mobile and mobile != owner.mobile:
            self.error(
                row, "mobile_mismatch", first=owner.first_row, mobile=mobile, first_mobile=owner.mobile
            )
        elif mobile and not owner.mobile:
            owner.mobile = mobile
        if unit is not None:
            if id_number in unit.owners:
                self.error(row, "duplicate_owner", code=unit.code, first=unit.owners[id_number])
            else:
                unit.owners[id_number] = row

    def result(self) -> ParsedRoll:
        units = [
            ParsedUnit(
                code=u.code,
                building=u.key[0],
                entrance=u.key[1],
                number=u.key[2],
                kind=u.fields[0],
                area=u.fields[1],
                area_source=u.fields[2],
                status=u.fields[3],
                owner_ids=frozenset(u.owners) if u.fields[3] == DELIVERED else frozenset(),
                first_row=u.first_row,
            )
            for u in self.units.values()
        ]
        owners = {
            id_number: ParsedOwner(id_number=id_number, name=o.name, mobile=o.mobile, first_row=o.first_row)
            for id_number, o in self.owners.items()
        }
        return ParsedRoll(units=units, owners=owners, rows=self.rows)


def _check_header(values: Sequence[object], csv_file: bool) -> None:
    header = [("" if v is None else str(v)).strip(_STRIP) for v in values]
    while header and header[-1] == "":
        header.pop()
    if tuple(header) == COLUMNS:
        return
    if csv_file and len(header) == 1 and ("\t" in header[0] or ";" in header[0]):
        raise _file_error("header_delimiter", header=_HEADER_TEXT)
    for col, expected in enumerate(COLUMNS):
        if col >= len(header):
            raise _file_error("header_missing", expected="”“".join(COLUMNS[col:]), header=_HEADER_TEXT)
        if header[col] != expected:
            actual = header[col][:20] or "空"
            raise _file_error(
                "header_wrong", col=col + 1, expected=expected, actual=actual, header=_HEADER_TEXT
            )
    col = next(col for col in range(len(COLUMNS), len(header)) if header[col])
    raise _file_error("header_extra", col=col + 1, actual=header[col][:20], header=_HEADER_TEXT)


def parse_roll(data: bytes, filename: str) -> ParsedRoll:
    """Read and validate a roll file (.xlsx or .csv) in full; raise RollFileError listing every problem."""
    rows = _read_rows(data, filename)
    if not rows:
        raise _file_error("empty_sheet", header=_HEADER_TEXT)
    _check_header(rows[0][1], csv_file=(filename or "").lower().endswith(".csv"))
    if len(rows) == 1:
        raise _file_error("no_rows")
    parser = _Parser()
    for number, values in rows[1:]:
        parser.row(number, values)
    if parser.errors:
        errors = parser.errors
        if parser.more:
            errors = [*errors, MESSAGES["more_errors"].format(count=parser.more)]
        raise RollFileError(errors)
    return parser.result()


# ---------------------------------------------------------------------------------------- writing

_EXAMPLE_ROWS = (
    # A delivered unit with two co-owners, one row each. 11010519491231002X is the example of
    # GB 11643-1999 itself; the second number is made from it with the next sequence number.
    (
        "1",
        "1",
        "101",
        "住宅",
        Decimal("89.50"),
        "登记",
        "已交付",
        "张三",
        "13800138000",
        "11010519491231002X",
    ),
    ("1", "1", "101", "住宅", Decimal("89.50"), "登记", "已交付", "李四", "", "110105194912310038"),
    # An unsold unit of the developer, in a building without entrances: the owner columns are ignored.
    ("2", "", "1501", "住宅", Decimal("120.00"), "合同", "未售", "某某房地产开发有限公司", "", ""),
)

_EXPLANATION = (
    ("列", "是否必填", "说明"),
    ("楼栋", "必填", "楼栋号或楼栋名称，如 3、A座。至多 30 个字。"),
    ("单元", "选填", "单元号，如 1；没有单元的楼栋留空。至多 20 个字。"),
    (
        "房号",
        "必填",
        "房号，如 201、1501；车位、摊位填写编号。至多 20 个字。房屋编号为“楼栋-单元-房号”（无单元时为“楼栋-房号”），如 3-1-201。",
    ),
    (
        "类型",
        "必填",
        "住宅、商业、办公、车位、摊位、其他 之一。车位、摊位是否计入面积和人数，由业主大会议事规则决定。",
    ),
    ("专有部分面积", "必填", "平方米，正数，至多两位小数，如 89.50。"),
    (
        "面积来源",
        "必填",
        "登记（不动产登记簿）、实测（测绘机构实测面积）、合同（买卖合同）之一。已登记的按登记，未登记的按实测，未实测的按合同。",
    ),
    (
        "状态",
        "必填",
        "已交付、未售、已售未交付 之一。未售和已售未交付的房屋属于建设单位，业主姓名、手机号、证件号码可不填，填写的内容不导入。",
    ),
    ("业主姓名", "已交付时必填", "不动产登记的业主姓名或单位名称。至多 60 个字。"),
    ("手机号", "选填", "11 位中国大陆手机号，业主凭此登录。"),
    (
        "证件号码",
        "已交付时必填",
        "居民身份证号码（18 位，末位可为 X）；港澳台居民或外籍人士可填写其他证件号码（6 至 20 位字母和数字）。系统只保存加密摘要和末四位。",
    ),
    ("", "", ""),
    (
        "共有人",
        "",
        "一套房屋有多位共有人时，每人一行，楼栋、单元、房号、类型、面积、面积来源、状态填写相同的内容。",
    ),
    ("同一业主多套房屋", "", "每套房屋各填一行，证件号码和姓名保持一致。"),
    (
        "格式",
        "",
        "请勿修改或删除第 1 行表头，也不要增加列；空行会被跳过。证件号码、手机号、房号请保持“文本”格式，以免 Excel 把它们改成数字或日期。",
    ),
    ("导入", "", "文件中有任何错误时整个文件都不会导入，系统会列出所有错误所在的行，改正后重新上传即可。"),
)

_TEXT_COLUMNS = (BUILDING, ENTRANCE, NUMBER, NAME, MOBILE, ID_NUMBER)
_WIDTHS = (8, 8, 10, 8, 14, 10, 12, 24, 15, 22)
_HEADER_FILL = "DDEBF7"
_KIND_WORDS = {code: word for word, code in KINDS.items()}
_AREA_SOURCE_WORDS = {code: word for word, code in AREA_SOURCES.items()}
_STATUS_WORDS = {code: word for word, code in STATUSES.items()}


def _letter(column: int) -> str:
    return "ABCDEFGHIJ"[column]


def template_xlsx() -> bytes:
    """The downloadable template: the header, three example rows, and a sheet "说明"."""
    book = Workbook()
    sheet = book.sheet("房屋清册")
    # Typed in later, "3-1" must not become a date nor an identity number a float.
    sheet.widths(_WIDTHS, text_columns={column + 1 for column in _TEXT_COLUMNS})
    sheet.header(COLUMNS, fill=_HEADER_FILL)
    formats = {column + 1: "0.00" if column == AREA else "@" for column in range(len(COLUMNS))}
    for row in _EXAMPLE_ROWS:
        sheet.append(row, formats=formats)
    for column, words in ((KIND, KINDS), (AREA_SOURCE, AREA_SOURCES), (STATUS, STATUSES)):
        sheet.dropdown(
            f"{_letter(column)}2:{_letter(column)}{_EXCEL_MAX_ROWS}",
            list(words),
            error="请从下拉列表中选择：" + "、".join(words),
            error_title="输入无效",
        )

    notes = book.sheet("说明")
    notes.widths((16, 14, 90))
    notes.header(_EXPLANATION[0], fill=_HEADER_FILL, freeze=False)
    for row in _EXPLANATION[1:]:
        notes.append(row, wrap=True)
    return book.to_bytes()


def template_csv() -> bytes:
    """The template as CSV (yezhu/csvfile.py: UTF-8 with a BOM, text that would run kept as text)."""
    return csv_bytes(
        [COLUMNS, *([f"{v:.2f}" if isinstance(v, Decimal) else v for v in row] for row in _EXAMPLE_ROWS)]
    )


def _export_value(column: int, value: object) -> object:
    if value is None:
        return None
    if column == KIND:
        return _KIND_WORDS.get(value, value)
    if column == AREA_SOURCE:
        return _AREA_SOURCE_WORDS.get(value, value)
    if column == STATUS:
        return _STATUS_WORDS.get(value, value)
    return value


def write_roll_xlsx(rows: Iterable[Sequence[object]]) -> bytes:
    """A roll as .xlsx with the columns of COLUMNS (the export; parse_roll reads it back).

    Each row has the ten values in COLUMNS order. 类型, 面积来源 and 状态 may be given as the
    model's codes ("residential", "register", "delivered") or as the words of the file. A name
    that starts with "=" (or anything else a spreadsheet would run) is written as text by
    yezhu.xlsx, with its value unchanged, so the export reads back as it was.
    """
    # Checked and converted before the workbook exists: a write-only sheet left half-written
    # by an exception would complain when it is garbage-collected.
    table: list[list[object]] = []
    for index, row in enumerate(rows):
        if len(row) != len(COLUMNS):
            raise ValueError(f"roll row {index} has {len(row)} values, not {len(COLUMNS)}")
        table.append([_export_value(column, value) for column, value in enumerate(row)])

    book = Workbook(streaming=True)
    sheet = book.sheet("房屋清册")
    sheet.widths(_WIDTHS, text_columns={column + 1 for column in _TEXT_COLUMNS})
    sheet.freeze_header()
    sheet.append(COLUMNS)
    area_format = {AREA + 1: "0.00"}
    for values in table:
        sheet.append(values, formats=area_format if isinstance(values[AREA], Decimal | int | float) else None)
    return book.to_bytes()
