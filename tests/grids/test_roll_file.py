import csv
import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grids.roll_file import (
    COLUMNS,
    MAX_ERRORS,
    ParsedOwner,
    ParsedRoll,
    ParsedUnit,
    RollFileError,
    parse_roll,
    template_csv,
    template_xlsx,
    write_roll_xlsx,
)

HEADER = ",".join(COLUMNS)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(seq: int, birth: str = "19800101", region: str = "110101") -> str:
    """A valid mainland number, computed here with the GB 11643 weights."""
    body = f"{region}{birth}{seq:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


A, B, C, D = make_id(1), make_id(2), make_id(3), make_id(4)
BAD_CHECK = A[:17] + ("0" if A[17] != "0" else "1")


def csv_file(*lines: str, encoding: str = "utf-8", header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def xlsx_file(rows, header=COLUMNS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def errors_of(data: bytes, filename: str = "roll.csv") -> list[str]:
    with pytest.raises(RollFileError) as caught:
        parse_roll(data, filename)
    return caught.value.errors


VALID_LINES = (
    f"3,1,201,住宅,89.5,登记,已交付,张三,13800138000,{A}",
    f"3,1,201,住宅,89.50,登记,已交付,李四,,{B}",
    "3,1,202,住宅,120,实测,未售,某某房地产开发有限公司,,",
    f"12,,1501,商业,56.78,合同,已交付,王五,+86 139-0013-9000,{C.lower()}",
    f"P,,B1-001,车位,12.5,登记,已交付,张三,,{A}",
    "S,,01,摊位,6,登记,已售未交付,,,",
)
VALID_CSV = csv_file(*VALID_LINES)


def test_it_reads_a_valid_roll():
    """Units in file order with codes, kinds, exact areas, sources, statuses and owners."""
    roll = parse_roll(VALID_CSV, "roll.csv")
    assert roll == ParsedRoll(
        units=[
            ParsedUnit(
                "3-1-201",
                "3",
                "1",
                "201",
                "residential",
                Decimal("89.50"),
                "register",
                "delivered",
                frozenset({A, B}),
                2,
            ),
            ParsedUnit(
                "3-1-202",
                "3",
                "1",
                "202",
                "residential",
                Decimal("120.00"),
                "survey",
                "unsold",
                frozenset(),
                4,
            ),
            ParsedUnit(
                "12-1501",
                "12",
                "",
                "1501",
                "commercial",
                Decimal("56.78"),
                "contract",
                "delivered",
                frozenset({C}),
                5,
            ),
            ParsedUnit(
                "P-B1-001",
                "P",
                "",
                "B1-001",
                "parking",
                Decimal("12.50"),
                "register",
                "delivered",
                frozenset({A}),
                6,
            ),
            ParsedUnit(
                "S-01",
                "S",
                "",
                "01",
                "stall",
                Decimal("6.00"),
                "register",
                "sold_undelivered",
                frozenset(),
                7,
            ),
        ],
        owners={
            A: ParsedOwner(A, "张三", "13800138000", 2),
            B: ParsedOwner(B, "李四", None, 3),
            C: ParsedOwner(C, "王五", "13900139000", 5),
        },
        rows=6,
    )
    assert [str(u.area) for u in roll.units] == ["89.50", "120.00", "56.78", "12.50", "6.00"]


def test_it_reads_the_same_roll_from_utf8_utf8_with_bom_and_gbk_csv():
    """Excel on Chinese Windows saves GBK; "CSV UTF-8" saves a BOM; all three read alike."""
    text = VALID_CSV.decode("utf-8")
    results = [
        parse_roll(text.encode("utf-8"), "roll.csv"),
        parse_roll(text.encode("utf-8-sig"), "roll.csv"),
        parse_roll(text.encode("gbk"), "roll.csv"),
        parse_roll(text.encode("gb18030"), "ROLL.CSV"),
    ]
    assert results[1:] == results[:1] * 3


def test_it_reads_numeric_xlsx_cells_as_excel_shows_them():
    """Area 89.5 → 89.50, house number 101 → "101", building 3, entrance 1, phone as an integer."""
    data = xlsx_file(
        [
            (3, 1, 101, "住宅", 89.5, "登记", "已交付", "张三", 13800138000, A),
            (3, 1, 101, "住宅", 89.5, "登记", "已交付", "李四", 13900139000.0, B),
            (3, None, 1501.0, "办公", 120, "合同", "已交付", "王五", None, C),
            (3, 1, 102, "住宅", 8.950000000000001, "实测", "未售", None, None, None),
        ]
    )
    roll = parse_roll(data, "roll.xlsx")
    assert [(u.code, u.area, u.owner_ids) for u in roll.units] == [
        ("3-1-101", Decimal("89.50"), frozenset({A, B})),
        ("3-1501", Decimal("120.00"), frozenset({C})),
        ("3-1-102", Decimal("8.95"), frozenset()),
    ]
    assert [o.mobile for o in roll.owners.values()] == ["13800138000", "13900139000", None]


def test_it_reads_the_same_roll_from_xlsx_and_csv():
    """The same rows give the same result whichever format carries them."""
    rows = [line.split(",") for line in VALID_LINES]
    assert parse_roll(xlsx_file(rows), "roll.xlsx") == parse_roll(VALID_CSV, "roll.csv")


def test_it_groups_co_owner_rows_whatever_their_order():
    """Co-owners {A, B} listed as A, B on one unit and B, A (not adjacent) on another are the same set."""
    roll = parse_roll(
        csv_file(
            f"1,1,101,住宅,90,登记,已交付,甲,,{A}",
            f"1,1,101,住宅,90,登记,已交付,乙,,{B}",
            f"1,1,102,住宅,90,登记,已交付,乙,,{B}",
            f"1,1,103,住宅,90,登记,已交付,丙,,{C}",
            f"1,1,102,住宅,90,登记,已交付,甲,,{A}",
        ),
        "roll.csv",
    )
    assert [u.code for u in roll.units] == ["1-1-101", "1-1-102", "1-1-103"]
    assert roll.units[0].owner_ids == roll.units[1].owner_ids == frozenset({A, B})
    assert roll.units[1].first_row == 4
    assert list(roll.owners) == [A, B, C]
    assert roll.rows == 5


def test_it_keeps_parking_spaces_and_stalls_with_their_kind():
    """车位 and 摊位 are read like any unit; whether they count is the roll's decision."""
    roll = parse_roll(VALID_CSV, "roll.csv")
    assert {u.code: u.kind for u in roll.units if u.kind in ("parking", "stall")} == {
        "P-B1-001": "parking",
        "S-01": "stall",
    }


def test_it_ignores_the_owner_columns_of_the_developers_units():
    """For 未售 and 已售未交付 units, owner columns are neither required nor checked nor imported."""
    roll = parse_roll(
        csv_file(
            "1,1,101,住宅,90,登记,未售,某某房地产开发有限公司,12345,not-an-id",
            "1,1,102,住宅,90,登记,已售未交付,,,",
        ),
        "roll.csv",
    )
    assert [u.owner_ids for u in roll.units] == [frozenset(), frozenset()]
    assert roll.owners == {}


def test_it_cleans_full_width_and_surrounding_whitespace():
    """Full-width digits and spaces (also zero-width ones) are cleaned; a name's inner spaces collapse."""
    roll = parse_roll(
        csv_file(
            f"\u3000３ ,１,２０１\u200b, 住宅 ,８９.５,登记,已交付, John\u3000 Smith ,１３８００１３８０００,{A}"
        ),
        "roll.csv",
    )
    assert roll.units[0].code == "3-1-201"
    assert roll.units[0].area == Decimal("89.50")
    assert roll.owners[A] == ParsedOwner(A, "John Smith", "13800138000", 2)


def test_it_lets_one_owner_hold_several_units():
    """The same identity number and name on several units is one owner, first seen on its first row."""
    roll = parse_roll(
        csv_file(f"1,1,101,住宅,90,登记,已交付,甲,,{A}", f"1,1,102,住宅,90,登记,已交付,甲,13800138000,{A}"),
        "roll.csv",
    )
    assert roll.owners == {A: ParsedOwner(A, "甲", "13800138000", 2)}
    assert [u.owner_ids for u in roll.units] == [frozenset({A})] * 2


def test_it_accepts_other_identity_documents():
    """A Hong Kong identity card number is accepted and normalised."""
    roll = parse_roll(csv_file("1,1,101,住宅,90,登记,已交付,陈大文,,a123456(7)"), "roll.csv")
    assert list(roll.owners) == ["A1234567"]


GOOD = "3,1,201,住宅,89.5,登记,已交付,张三,13800138000," + A


def with_cell(column: str, value: str) -> str:
    cells = GOOD.split(",")
    cells[COLUMNS.index(column)] = value
    return ",".join(cells)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (with_cell("专有部分面积", "-5"), "专有部分面积必须为正数"),
        (with_cell("专有部分面积", "0"), "专有部分面积必须为正数"),
        (with_cell("专有部分面积", "89.123"), "专有部分面积至多两位小数"),
        (with_cell("专有部分面积", "abc"), "专有部分面积“abc”不是有效的数字"),
        (with_cell("专有部分面积", "NaN"), "专有部分面积“NaN”不是有效的数字"),
        (with_cell("专有部分面积", "1e3"), "专有部分面积“1e3”不是有效的数字"),
        (with_cell("专有部分面积", "100000000"), "专有部分面积“100000000”过大，至多 99999999.99"),
        (with_cell("专有部分面积", ""), "专有部分面积不能为空"),
        (with_cell("类型", "别墅"), "类型“别墅”无效，应为 住宅/商业/办公/车位/摊位/其他 之一"),
        (with_cell("面积来源", "估算"), "面积来源“估算”无效，应为 登记/实测/合同 之一"),
        (with_cell("状态", "已入住"), "状态“已入住”无效，应为 已交付/未售/已售未交付 之一"),
        (with_cell("状态", ""), "状态不能为空"),
        (with_cell("楼栋", ""), "楼栋不能为空"),
        (with_cell("房号", ""), "房号不能为空"),
        (with_cell("楼栋", "1" * 31), "楼栋超过 30 个字"),
        (with_cell("业主姓名", "名" * 61), "业主姓名超过 60 个字"),
        (with_cell("证件号码", BAD_CHECK), "证件号码校验位不正确（单位业主请核对 18 位统一社会信用代码）"),
        (with_cell("证件号码", make_id(1, birth="19900230")), "证件号码中的出生日期不正确"),
        (with_cell("证件号码", make_id(1, region="000000")), "证件号码的前两位不是有效的省级行政区划代码"),
        (with_cell("证件号码", A[:17]), "证件号码位数不正确：居民身份证号码应为 18 位"),
        (
            with_cell("证件号码", "张三"),
            "证件号码格式不正确：居民身份证号码为 17 位数字加 1 位数字或 X，单位业主填 18 位统一社会信用代码，"
            "其他证件为 6 至 20 位字母和数字",
        ),
        (with_cell("手机号", "1380013800"), "手机号“1380013800”格式不正确"),
        (with_cell("手机号", "12800138000"), "手机号“12800138000”格式不正确"),
        (with_cell("手机号", "١٣٨٠٠١٣٨٠٠٠"), "手机号“١٣٨٠٠١٣٨٠٠٠”格式不正确"),  # Arabic-Indic digits
        (with_cell("业主姓名", ""), "已交付的房屋必须填写业主姓名和证件号码"),
        (with_cell("证件号码", ""), "已交付的房屋必须填写业主姓名和证件号码"),
        (with_cell("业主姓名", "#N/A"), "业主姓名是 Excel 错误值“#N/A”"),
        (with_cell("业主姓名", '"张\n三"'), "业主姓名含有换行或不可见的控制字符"),
        (GOOD + ",备注", "第 11 列在表头之外，但有内容“备注”"),
    ],
)
def test_it_reports_each_problem_with_its_row_number(line, message):
    """Each kind of problem is one precise message on the row Excel shows (a valid row comes first)."""
    other = f"9,1,101,住宅,60,登记,已交付,赵六,,{D}"
    assert errors_of(csv_file(other, line)) == [f"第 3 行：{message}"]


def test_it_reports_every_missing_cell_of_a_short_row():
    """A CSV row cut short misses each required unit column, each reported."""
    assert errors_of(csv_file("3,1,201")) == [
        "第 2 行：类型不能为空",
        "第 2 行：专有部分面积不能为空",
        "第 2 行：面积来源不能为空",
        "第 2 行：状态不能为空",
    ]


def test_it_numbers_rows_as_excel_shows_them_skipping_blank_rows():
    """Blank rows are skipped but still counted: the bad row keeps the number Excel shows (40)."""
    rows = [(1, 1, 100 + n, "住宅", 90, "登记", "已交付", f"业主{n}", None, make_id(n)) for n in range(20)]
    rows += [(None,) * 10] * 17 + [(" ", "\u3000", None, "", None, None, None, None, None, None)]
    rows += [(1, 1, 999, "住宅", -3, "登记", "已交付", "业主", None, make_id(999))]
    assert errors_of(xlsx_file(rows), "roll.xlsx") == ["第 40 行：专有部分面积必须为正数"]


def test_it_numbers_csv_rows_by_the_physical_line_they_start_on():
    """In a CSV file, blank lines count, and a quoted cell spanning two lines pushes the next rows down."""
    data = csv_file(
        "",
        '1,1,101,住宅,90,登记,未售,"某某\n公司",,',
        ",,,,,,,,,",
        "1,1,102,住宅,7.777,登记,未售,,,",
    )
    assert errors_of(data) == ["第 6 行：专有部分面积至多两位小数"]


def test_it_collects_the_errors_of_several_rows_and_cells_at_once():
    """Every problem is listed, in row order, several per row when a row has several."""
    data = csv_file(
        GOOD,
        with_cell("类型", "别墅").replace(",89.5,", ",0,"),
        GOOD.replace("3,1,201", "3,1,202"),
        with_cell("手机号", "1380013800").replace("3,1,201", "3,1,203"),
        with_cell("证件号码", BAD_CHECK).replace("3,1,201", "3,1,204"),
    )
    assert errors_of(data) == [
        "第 3 行：类型“别墅”无效，应为 住宅/商业/办公/车位/摊位/其他 之一",
        "第 3 行：专有部分面积必须为正数",
        "第 3 行：同一业主在房屋（3-1-201）中重复出现，见第 2 行",
        "第 5 行：手机号“1380013800”格式不正确",
        "第 6 行：证件号码校验位不正确（单位业主请核对 18 位统一社会信用代码）",
    ]


def test_it_caps_the_list_of_errors():
    """At most 500 errors are listed, then one line says how many more there are."""
    lines = [f"1,1,{n},住宅,-1,登记,未售,,," for n in range(MAX_ERRORS + 100)]
    errors = errors_of(csv_file(*lines))
    assert len(errors) == MAX_ERRORS + 1
    assert errors[0] == "第 2 行：专有部分面积必须为正数"
    assert errors[-1] == "另有 100 处错误未列出"


def test_it_reports_each_co_owner_row_that_disagrees_with_the_first_row_of_its_unit():
    """Unit columns of co-owner rows must agree; each disagreeing row names the unit's first row."""
    data = csv_file(
        f"3,1,201,住宅,89.5,登记,已交付,甲,,{A}",
        f"3,1,201,住宅,89.6,登记,已交付,乙,,{B}",
        f"3,1,201,商业,89.6,实测,已交付,丙,,{C}",
        f"3,1,201,住宅,89.50,登记,已交付,丁,,{D}",
        "3,1,201,住宅,89.5,登记,未售,,,",
    )
    assert errors_of(data) == [
        "第 3 行：与第 2 行同一房屋（3-1-201）的面积不一致",
        "第 4 行：与第 2 行同一房屋（3-1-201）的类型、面积、面积来源不一致",
        "第 6 行：与第 2 行同一房屋（3-1-201）的状态不一致",
    ]


def test_it_refuses_one_identity_number_under_two_names():
    """The same 证件号码 with another name is an error on the later row."""
    data = csv_file(f"1,1,101,住宅,90,登记,已交付,张三,,{A}", f"1,1,102,住宅,90,登记,已交付,张叁,,{A}")
    assert errors_of(data) == ["第 3 行：证件号码与第 2 行相同，但业主姓名不同（“张叁”与“张三”）"]


def test_it_refuses_the_same_owner_twice_on_one_unit():
    """An owner listed twice on one unit is an error, also when spelled with a lower-case x."""
    x_id = make_id(2)
    seq = 2
    while not x_id.endswith("X"):
        seq += 1
        x_id = make_id(seq)
    data = csv_file(
        f"1,1,101,住宅,90,登记,已交付,张三,,{x_id}",
        f"1,1,101,住宅,90,登记,已交付,张三,,{x_id.lower()}",
    )
    assert errors_of(data) == ["第 3 行：同一业主在房屋（1-1-101）中重复出现，见第 2 行"]


def test_it_refuses_two_mobile_numbers_for_one_person():
    """One person with two different mobile numbers is an error; one row without a number is not."""
    data = csv_file(
        f"1,1,101,住宅,90,登记,已交付,张三,13800138000,{A}",
        f"1,1,102,住宅,90,登记,已交付,张三,,{A}",
        f"1,1,103,住宅,90,登记,已交付,张三,13900139000,{A}",
    )
    assert errors_of(data) == ["第 4 行：证件号码与第 2 行相同，但手机号不同（“13900139000”与“13800138000”）"]


def test_it_allows_two_people_to_share_a_mobile_number():
    """A family sharing one phone is common: two owners may give the same mobile number."""
    roll = parse_roll(
        csv_file(
            f"1,1,101,住宅,90,登记,已交付,甲,13800138000,{A}",
            f"1,1,101,住宅,90,登记,已交付,乙,13800138000,{B}",
        ),
        "roll.csv",
    )
    assert [o.mobile for o in roll.owners.values()] == ["13800138000", "13800138000"]


def test_it_refuses_two_splits_that_give_the_same_unit_code():
    """3/1/201 and 3-1/(none)/201 would both be 3-1-201: an error, not one unit."""
    data = csv_file(f"3,1,201,住宅,90,登记,已交付,甲,,{A}", f"3-1,,201,住宅,90,登记,已交付,乙,,{B}")
    assert errors_of(data) == ["第 3 行：房屋编号“3-1-201”与第 2 行相同，但楼栋、单元、房号的拆分不同"]


def test_it_refuses_cells_that_excel_turned_into_dates_or_numbers():
    """A date in 楼栋 and an identity number stored as a float (digits lost) are reported as such."""
    data = xlsx_file(
        [
            (datetime.datetime(2024, 3, 1), 1, 101, "住宅", 90, "登记", "已交付", "甲", None, A),
            (3, 1, 102, "住宅", 90, "登记", "已交付", "乙", None, 1.10101198001011e17),
            (3, 1, 103, "住宅", True, "登记", "已交付", "丙", None, C),
        ]
    )
    assert errors_of(data, "roll.xlsx") == [
        "第 2 行：楼栋是日期或时间（可能是 Excel 自动转换的）：请把该列设为“文本”格式后重新填写",
        "第 3 行：证件号码被 Excel 存成了数字，末几位可能已经丢失：请把该列设为“文本”格式后重新填写",
        "第 4 行：专有部分面积的内容“TRUE”无法识别",
    ]


def test_it_refuses_a_float_area_with_more_than_two_decimals():
    """89.123 read from Excel is not rounded: it is an error."""
    data = xlsx_file([(3, 1, 101, "住宅", 89.123, "登记", "已交付", "甲", None, A)])
    assert errors_of(data, "roll.xlsx") == ["第 2 行：专有部分面积至多两位小数"]


def test_it_treats_a_formula_without_a_cached_value_as_missing():
    """A formula cell never calculated by Excel has no value: the cell counts as empty."""
    data = xlsx_file([(3, 1, 101, "住宅", "=B2*90", "登记", "已交付", "甲", None, A)])
    assert errors_of(data, "roll.xlsx") == ["第 2 行：专有部分面积不能为空"]


def xlsx_zip(**parts: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


HEADER_HINT = "（表头应为 楼栋,单元,房号,类型,专有部分面积,面积来源,状态,业主姓名,手机号,证件号码，顺序不变）"


@pytest.mark.parametrize(
    ("data", "filename", "error"),
    [
        (
            VALID_CSV,
            "roll.xls",
            "不支持 .xls 格式：请在 Excel 中“另存为” Excel 工作簿（.xlsx）或 CSV UTF-8（逗号分隔）文件后再上传",
        ),
        (VALID_CSV, "roll.txt", "不支持的文件类型“.txt”：请上传 .xlsx 或 .csv 文件"),
        (VALID_CSV, "roll", "不支持的文件类型“无扩展名”：请上传 .xlsx 或 .csv 文件"),
        (b"", "roll.csv", "文件是空的"),
        (
            b"\r\n\r\n,,,\r\n",
            "roll.csv",
            "文件中没有内容：第 1 行应为表头（楼栋,单元,房号,类型,专有部分面积,面积来源,状态,业主姓名,手机号,证件号码）",
        ),
        (
            xlsx_file([], header=None),
            "roll.xlsx",
            "文件中没有内容：第 1 行应为表头（楼栋,单元,房号,类型,专有部分面积,面积来源,状态,业主姓名,手机号,证件号码）",
        ),
        (csv_file(), "roll.csv", "文件只有表头，没有房屋数据"),
        (
            csv_file(GOOD, header="小区房屋清册"),
            "roll.csv",
            "表头不正确：第 1 列应为“楼栋”，实际为“小区房屋清册”" + HEADER_HINT,
        ),
        (csv_file(GOOD, header=GOOD), "roll.csv", "表头不正确：第 1 列应为“楼栋”，实际为“3”" + HEADER_HINT),
        (
            csv_file(GOOD, header=HEADER.replace("房号", "房间号")),
            "roll.csv",
            "表头不正确：第 3 列应为“房号”，实际为“房间号”" + HEADER_HINT,
        ),
        (
            csv_file(GOOD, header=HEADER.replace(",证件号码", "")),
            "roll.csv",
            "表头不正确：缺少“证件号码”列" + HEADER_HINT,
        ),
        (
            csv_file(GOOD, header=HEADER.replace(",单元", "")),
            "roll.csv",
            "表头不正确：第 2 列应为“单元”，实际为“房号”" + HEADER_HINT,
        ),
        (
            csv_file(GOOD, header=HEADER + ",,备注"),
            "roll.csv",
            "表头不正确：第 12 列“备注”是多余的列" + HEADER_HINT,
        ),
        (
            csv_file(GOOD.replace(",", "\t"), header=HEADER.replace(",", "\t")),
            "roll.csv",
            "表头不正确：CSV 文件应以英文逗号分隔各列（表头应为 楼栋,单元,房号,类型,专有部分面积,面积来源,状态,业主姓名,手机号,证件号码）",
        ),
        (b"\x81\xff\xfe garbage \x00\xff", "roll.csv", "无法识别 CSV 文件的编码：请保存为 UTF-8 或 GBK 编码"),
        (b"\x81\xff\xfe garbage \x00\xff", "roll.xlsx", "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式"),
        (VALID_CSV, "roll.xlsx", "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式"),
        (xlsx_zip(**{"hello.txt": b"hi"}), "roll.xlsx", "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式"),
        (xlsx_file([])[:500], "roll.xlsx", "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "roll.xlsx",
            "文件不是 .xlsx 格式（可能是改了扩展名的 .xls 文件，或设置了打开密码）：请在 Excel 中另存为 .xlsx 文件，不要设置密码",
        ),
        (
            xlsx_file([]),
            "roll.csv",
            "文件扩展名是 .csv，但内容是 Excel 工作簿：请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV",
        ),
    ],
    # Stable ids: generated workbooks carry a timestamp, and pytest-xdist needs every worker to
    # collect the same test names.
    ids=lambda value: "bytes" if isinstance(value, bytes) else None,
)
def test_it_reports_a_file_it_cannot_read_with_one_file_level_error(data, filename, error):
    """Wrong type, undecodable or damaged content, an empty sheet, a wrong header: one error, no row number."""
    assert errors_of(data, filename) == [error]


def test_it_refuses_an_xlsx_whose_zip_needs_an_unknown_version():
    """zipfile raises NotImplementedError for a newer zip version: still a file-level error."""
    data = bytearray(template_xlsx())
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 64  # "version needed to extract" 6.4
    assert errors_of(bytes(data), "roll.xlsx") == ["无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式"]


def test_it_refuses_an_xlsx_that_unpacks_to_too_much(monkeypatch):
    """A zip bomb is refused from the sizes in the archive, before openpyxl unpacks anything."""
    monkeypatch.setattr("grids.roll_file.MAX_XLSX_UNCOMPRESSED", 1000)
    assert errors_of(template_xlsx(), "roll.xlsx") == ["Excel 文件解压后过大，无法读取"]


def test_it_refuses_more_rows_than_the_limit(monkeypatch):
    """The number of data rows is bounded."""
    monkeypatch.setattr("grids.roll_file.MAX_ROWS", 3)
    lines = [f"1,1,{n},住宅,90,登记,未售,,," for n in range(5)]
    assert errors_of(csv_file(*lines)) == ["文件超过 3 行，无法导入"]


def test_it_reads_only_the_first_worksheet():
    """Other sheets (notes, pivot tables) are not read."""
    book = openpyxl.Workbook()
    book.active.append(COLUMNS)
    book.active.append((1, 1, 101, "住宅", 90, "登记", "未售"))
    book.create_sheet("备注").append(("随便写点什么",))
    out = io.BytesIO()
    book.save(out)
    assert [u.code for u in parse_roll(out.getvalue(), "roll.xlsx").units] == ["1-1-101"]


def test_it_round_trips_the_xlsx_template():
    """The downloadable template parses back: a co-owned delivered unit and an unsold unit."""
    data = template_xlsx()
    roll = parse_roll(data, "房屋清册模板.xlsx")
    assert [(u.code, u.status, len(u.owner_ids)) for u in roll.units] == [
        ("1-1-101", "delivered", 2),
        ("2-1501", "unsold", 0),
    ]
    assert [o.name for o in roll.owners.values()] == ["张三", "李四"]
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["房屋清册", "说明"]
    notes = "\n".join(str(c) for row in book["说明"].iter_rows(values_only=True) for c in row if c)
    for word in (
        *COLUMNS,
        "住宅、商业、办公、车位、摊位、其他",
        "登记",
        "实测",
        "合同",
        "已交付、未售、已售未交付",
    ):
        assert word in notes


def test_it_round_trips_the_csv_template():
    """The CSV template starts with a BOM for Excel and reads as the xlsx template does."""
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert parse_roll(data, "template.csv") == parse_roll(template_xlsx(), "template.xlsx")


def test_it_writes_a_roll_that_reads_back():
    """The export takes model codes or words, keeps 0.01 areas, and writes '=' text as text."""
    rows = [
        (
            "3",
            "1",
            "201",
            "residential",
            Decimal("89.50"),
            "register",
            "delivered",
            "=HYPERLINK(0)",
            "13800138000",
            A,
        ),
        ("3", "1", "201", "住宅", Decimal("89.5"), "登记", "已交付", "乙", None, B),
        ("P", "", "001", "parking", Decimal("12.00"), "contract", "unsold", None, None, None),
    ]
    data = write_roll_xlsx(rows)
    roll = parse_roll(data, "export.xlsx")
    assert [(u.code, u.kind, u.area, u.status, u.owner_ids) for u in roll.units] == [
        ("3-1-201", "residential", Decimal("89.50"), "delivered", frozenset({A, B})),
        ("P-001", "parking", Decimal("12.00"), "unsold", frozenset()),
    ]
    assert roll.owners[A].name == "=HYPERLINK(0)"
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["H2"].data_type == "s"
    assert sheet["E2"].number_format == "0.00"


def test_it_refuses_to_write_a_row_of_the_wrong_width():
    """Every exported row has the ten columns."""
    with pytest.raises(ValueError, match="has 3 values, not 10"):
        write_roll_xlsx([("3", "1", "201")])


# Random damage: whatever happens to a valid file, the outcome is a roll or RollFileError.

CELL_TEXT = st.one_of(
    st.text(max_size=25),
    st.sampled_from(
        ["", " ", "0", "-1", "1e400", "89.999", "NaN", "#N/A", "已交付", "未售", "车位", A, A.lower(), "\x00"]
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    inserts=st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=6)), max_size=3),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
)
def test_it_meets_damaged_csv_bytes_with_a_roll_or_a_roll_file_error(flips, inserts, cut, encoding):
    """Random byte changes, insertions and truncation never raise anything but RollFileError."""
    data = bytearray(VALID_CSV.decode().encode(encoding))
    for position, value in flips:
        data[position % len(data)] = value
    for position, chunk in inserts:
        data[position % len(data) : position % len(data)] = chunk
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        assert isinstance(parse_roll(bytes(data), "roll.csv"), ParsedRoll)
    except RollFileError as e:
        assert e.errors and all(isinstance(line, str) and line for line in e.errors)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(VALID_LINES)),
            st.integers(min_value=0, max_value=11),
            CELL_TEXT,
        ),
        min_size=1,
        max_size=6,
    ),
    as_xlsx=st.booleans(),
)
def test_it_meets_random_cell_values_with_a_roll_or_a_roll_file_error(changes, as_xlsx):
    """Any text in any cell (header included, extra columns too) gives a roll or RollFileError."""
    rows = [list(COLUMNS)] + [line.split(",") for line in VALID_LINES]
    for row, column, text in changes:
        cells = rows[row]
        cells.extend([""] * (column + 1 - len(cells)))
        cells[column] = text
    if as_xlsx:
        book = openpyxl.Workbook()
        for cells in rows:
            book.active.append([openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", c) for c in cells])
        out = io.BytesIO()
        book.save(out)
        data, filename = out.getvalue(), "roll.xlsx"
    else:
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        data, filename = out.getvalue().encode("utf-8", "surrogatepass"), "roll.csv"
    try:
        assert isinstance(parse_roll(data, filename), ParsedRoll)
    except RollFileError as e:
        assert e.errors


XLSX_TEMPLATE = template_xlsx()


@settings(max_examples=150, deadline=None)
@given(
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=6
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
)
def test_it_meets_damaged_xlsx_bytes_with_a_roll_or_a_roll_file_error(flips, cut):
    """A damaged workbook gives a roll or RollFileError, whatever openpyxl meets inside it."""
    data = bytearray(XLSX_TEMPLATE)
    for position, value in flips:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        assert isinstance(parse_roll(bytes(data), "roll.xlsx"), ParsedRoll)
    except RollFileError as e:
        assert e.errors
