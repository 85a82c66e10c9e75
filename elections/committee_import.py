"""Importing sitting owners' committees (在任业主委员会) from an XLSX sheet, all or nothing.

Most compounds already have a committee when their street starts using the portal; the street
registers each one so that every term on the board is known before any election runs here.

The sheet (first worksheet) has exactly these columns, in this order, one row per member:
小区编码, 姓名, 职务 (主任/副主任/委员/候补委员), 是否党员 (是/否), 交叉任职 (是/否), 任期开始,
任期结束, 备案日期. The rows of one compound are that compound's committee: they must agree on the
term and the filing date. `parse_committees` returns the committees or raises
`CommitteeImportError` listing every problem as "第 N 行：…" (N as Excel shows it; the header is row
1); `committees_import` writes nothing unless the whole file is valid.

Choices where the issue leaves room:

- A compound code the user does not manage reads exactly like an unknown code, so that the error
  does not reveal another street's compounds.
- A compound that already has a committee in office is refused (its committee is ended in the
  admin site first), so an import never leaves two committees in office.
- 是否党员 and 交叉任职 may be left blank, which means 否. 备案日期 may be blank (not filed yet) but
  must then be blank on every row of the compound.
- A date is an Excel date cell or text such as 2024-03-01, 2024/3/1, 2024.3.1, 20240301 or
  2024年3月1日. The term must end after it starts and last at most five years (民法典 and every
  regional rule: 任期不超过五年), which catches a mistyped year.
- A committee has at most one chair (主任), at least one member who is not an alternate, and no
  name twice.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

import openpyxl
from django.db import transaction

from elections.errors import ElectionError
from elections.models import Committee, CommitteeMember
from elections.rules.timeline import add_years
from grids.models import Compound
from grids.selectors import managed_compounds
from yezhu.actors import Actor
from yezhu.audit.log import record
from yezhu.xlsx import Workbook

__all__ = [
    "COLUMNS",
    "ROLES",
    "CommitteeImportError",
    "ParsedCommittee",
    "ParsedMember",
    "committees_import",
    "parse_committees",
    "template_xlsx",
]

COLUMNS = ("小区编码", "姓名", "职务", "是否党员", "交叉任职", "任期开始", "任期结束", "备案日期")
CODE, NAME, ROLE, PARTY, CROSS, TERM_START, TERM_END, FILED = range(len(COLUMNS))
ROLES = {
    "主任": CommitteeMember.Role.CHAIR,
    "副主任": CommitteeMember.Role.VICE_CHAIR,
    "委员": CommitteeMember.Role.MEMBER,
    "候补委员": CommitteeMember.Role.ALTERNATE,
}
YES_NO = {"是": True, "否": False, "": False}
MAX_ROWS = 20_000
MAX_ERRORS = 200
MAX_TERM_YEARS = 5
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024

_HEADER = "、".join(COLUMNS)
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class CommitteeImportError(ElectionError):
    """The file cannot be imported; ``errors`` lists every problem, one line each, in Chinese."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ParsedMember:
    name: str
    role: str
    party_member: bool
    cross_post: bool
    row: int


@dataclass
class ParsedCommittee:
    compound: Compound
    term_start: datetime.date
    term_end: datetime.date
    filed_on: datetime.date | None
    first_row: int
    members: list[ParsedMember] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def _date(value) -> datetime.date | None | str:
    """A date, None for a blank cell, or the text that could not be read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if match:
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return text
    return text


def _cn(d: datetime.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "空"


def _rows(file) -> Iterable[tuple[int, tuple]]:
    """(row number, cells) of the first worksheet; raises CommitteeImportError if unreadable."""
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise CommitteeImportError(["Excel 文件解压后过大，无法读取"])
        file.seek(0)
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except CommitteeImportError:
        raise
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CommitteeImportError(["无法读取文件：请上传 Excel 工作簿（.xlsx），不要设置打开密码"]) from exc
    if not book.worksheets:
        raise CommitteeImportError(["Excel 文件中没有工作表"])
    sheet = book.worksheets[0]
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, tuple(cells)


def parse_committees(file, *, compounds: Iterable[Compound]) -> list[ParsedCommittee]:
    """Read and check the whole sheet against ``compounds`` (the ones the user manages).

    Returns the committees in the order their compounds first appear, or raises
    `CommitteeImportError` with every problem found.
    """
    by_code = {c.code.casefold(): c for c in compounds}
    errors: list[str] = []

    def bad(row: int, message: str) -> None:
        errors.append(f"第 {row} 行：{message}")

    header_seen = False
    committees: dict[int, ParsedCommittee] = {}
    names: dict[tuple[int, str], int] = {}
    chairs: dict[int, int] = {}
    count = 0
    for number, cells in _rows(file):
        texts = [_text(c) for c in cells]
        if not any(texts):
            continue
        if not header_seen:
            header_seen = True
            got = [t for t in texts]
            while got and not got[-1]:
                got.pop()
            if tuple(got) != COLUMNS:
                raise CommitteeImportError(
                    [f"第 {number} 行：表头不正确，应为 {_HEADER}（共 {len(COLUMNS)} 列，顺序不变）"]
                )
            continue
        count += 1
        if count > MAX_ROWS:
            raise CommitteeImportError([f"文件超过 {MAX_ROWS} 行，无法导入"])
        cells = tuple(cells) + (None,) * (len(COLUMNS) - len(cells))
        texts = [_text(c) for c in cells]
        extra = [t for t in texts[len(COLUMNS) :] if t]
        if extra:
            bad(number, f"表头之外的列有内容“{extra[0]}”")
        row_ok = True

        code = texts[CODE]
        compound = by_code.get(code.casefold()) if code else None
        if not code:
            bad(number, "小区编码不能为空")
            row_ok = False
        elif compound is None:
            bad(number, f"小区编码“{code}”不存在，或不在您管理的范围内")
            row_ok = False

        name = texts[NAME]
        if not name:
            bad(number, "姓名不能为空")
            row_ok = False
        elif len(name) > 60:
            bad(number, "姓名超过 60 个字")
            row_ok = False

        role = ROLES.get(texts[ROLE])
        if role is None:
            bad(number, f"职务“{texts[ROLE]}”无效，应为 主任、副主任、委员、候补委员 之一")
            row_ok = False

        flags = []
        for column in (PARTY, CROSS):
            if texts[column] not in YES_NO:
                bad(number, f"{COLUMNS[column]}“{texts[column]}”无效，应填“是”或“否”")
                row_ok = False
            flags.append(YES_NO.get(texts[column], False))

        dates: list[datetime.date | None] = []
        for column in (TERM_START, TERM_END, FILED):
            value = _date(cells[column])
            if isinstance(value, str):
                bad(number, f"{COLUMNS[column]}“{value}”不是有效的日期，应写成 2024-03-01 这样的格式")
                row_ok = False
                value = None
            elif value is None and column != FILED:
                bad(number, f"{COLUMNS[column]}不能为空")
                row_ok = False
            dates.append(value)
        start, end, filed = dates
        if start and end:
            if end <= start:
                bad(number, f"任期结束（{_cn(end)}）应晚于任期开始（{_cn(start)}）")
                row_ok = False
            elif end > add_years(start, MAX_TERM_YEARS):
                bad(number, f"任期自{_cn(start)}至{_cn(end)}，超过 {MAX_TERM_YEARS} 年，请核对年份")
                row_ok = False

        if not row_ok or compound is None or role is None or start is None or end is None:
            continue
        committee = committees.get(compound.pk)
        if committee is None:
            committee = committees[compound.pk] = ParsedCommittee(compound, start, end, filed, number)
        elif (committee.term_start, committee.term_end, committee.filed_on) != (start, end, filed):
            bad(
                number,
                f"同一小区（{compound.code}）的任期开始、任期结束和备案日期应与第 {committee.first_row} 行一致"
                f"（第 {committee.first_row} 行为 {_cn(committee.term_start)} 至 {_cn(committee.term_end)}，"
                f"备案 {_cn(committee.filed_on)}）",
            )
            continue
        key = (compound.pk, name)
        if key in names:
            bad(number, f"“{name}”在同一小区的业委会中重复出现，见第 {names[key]} 行")
            continue
        names[key] = number
        if role == CommitteeMember.Role.CHAIR:
            if compound.pk in chairs:
                bad(number, f"一个业委会只能有一名主任，第 {chairs[compound.pk]} 行已有主任")
                continue
            chairs[compound.pk] = number
        committee.members.append(ParsedMember(name, role, flags[0], flags[1], number))
        if len(errors) >= MAX_ERRORS:
            break

    if not header_seen:
        raise CommitteeImportError([f"文件中没有内容：第 1 行应为表头（{_HEADER}）"])
    if count == 0:
        raise CommitteeImportError(["文件只有表头，没有委员数据"])
    for committee in committees.values():
        if not any(m.role != CommitteeMember.Role.ALTERNATE for m in committee.members) and committee.members:
            bad(committee.first_row, f"小区“{committee.compound.code}”的业委会只有候补委员，没有委员")
    if errors:
        if len(errors) >= MAX_ERRORS:
            errors = errors[:MAX_ERRORS] + ["错误过多，其余未列出"]
        raise CommitteeImportError(errors)
    return list(committees.values())


def committees_import(
    *,
    actor: Actor,
    file,
    filename: str = "",
) -> list[Committee]:
    """Register the sitting committees of the file, all or nothing, for compounds the user manages.

    Locks the compounds, refuses any that already has a committee in office, creates each
    committee and its members, and writes one audit row per committee.
    """
    parsed = parse_committees(file, compounds=managed_compounds(actor).only("pk", "code", "name"))
    created: list[Committee] = []
    with transaction.atomic():
        ids = [p.compound.pk for p in parsed]
        list(Compound.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
        sitting = {
            c.compound_id: c
            for c in Committee.objects.filter(compound_id__in=ids, ended_on__isnull=True).order_by(
                "-term_start"
            )
        }
        errors = []
        for p in parsed:
            current = sitting.get(p.compound.pk)
            if current is not None:
                errors.append(
                    f"第 {p.first_row} 行：小区“{p.compound.code}”已登记在任的业主委员会（任期"
                    f"{_cn(current.term_start)}至{_cn(current.term_end)}）。如原业委会已离任，请在看板上点该小区的"
                    f"“业委会名册”，打开这一届，在“首次会议、主任副主任、离任”中填写离任日期并保存，再重新导入"
                )
        if errors:
            raise CommitteeImportError(errors)
        for p in parsed:
            committee = Committee(
                compound=p.compound, term_start=p.term_start, term_end=p.term_end, filed_on=p.filed_on
            )
            committee.full_clean(exclude=["compound"])
            committee.save()
            CommitteeMember.objects.bulk_create(
                [
                    CommitteeMember(
                        committee=committee,
                        name=m.name,
                        role=m.role,
                        party_member=m.party_member,
                        cross_post=m.cross_post,
                        position=i,
                    )
                    for i, m in enumerate(p.members)
                ]
            )
            record(
                "committee.imported",
                actor=actor,
                obj=committee,
                compound_id=p.compound.pk,
                summary=f"sitting committee of {p.compound.code} imported: {len(p.members)} members, "
                f"term {p.term_start}–{p.term_end}",
                data={
                    "file": filename[:200],
                    "members": len(p.members),
                    "term_start": p.term_start.isoformat(),
                    "term_end": p.term_end.isoformat(),
                    "filed_on": p.filed_on.isoformat() if p.filed_on else None,
                },
            )
            created.append(committee)
    return created


def template_xlsx() -> bytes:
    """An empty sheet with the header, an example row and drop-downs for the fixed choices."""
    book = Workbook()
    sheet = book.sheet("在任业委会")
    sheet.widths((14, 12, 10, 10, 10, 14, 14, 14))
    sheet.header(list(COLUMNS), fill="FDE7E5", freeze=False)
    sheet.append(["XYLW", "张三", "主任", "是", "是", "2023-05-01", "2028-04-30", "2023-05-20"])
    sheet.format_range("F2:H2000", "@")
    sheet.dropdown("C2:C2000", ["主任", "副主任", "委员", "候补委员"], allow_blank=False)
    sheet.dropdown("D2:E2000", ["是", "否"])
    return book.to_bytes()
