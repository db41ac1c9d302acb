"""Pairing list and org workbook: round trips, encodings, and every row error with its place."""
import csv

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import Workbook, load_workbook

from engine.errors import InvalidInput
from engine.exchange.pairing import (
    PAIRING_COLUMNS,
    PAIRING_OPTIONAL,
    SECTION_COLUMNS,
    UNIT_COLUMNS,
    USER_COLUMNS,
    USER_OPTIONAL,
    ImportResult,
    OrgImport,
    PairingRow,
    RowError,
    SectionRow,
    UnitRow,
    UserRow,
    read_org,
    read_pairing,
    write_org,
    write_pairing,
)
from engine.org.creditcode import demo_credit_codes, make_credit_code

CODES = demo_credit_codes(6, seed=3)
HEADER = list(PAIRING_COLUMNS)
GOOD = [1, "杭州某某环保科技有限公司", CODES[0], "中", "第三方治理企业", "西湖区分局", "张三",
        "13812345678", "李局长"]


def pairing_rows():
    return [
        PairingRow(1, "浙江某某化工股份有限公司", CODES[0], "大", "重点排污企业", "杭州市生态环境局",
                   "王小明", "13800138000", "陈局长", priority=True, year=2026, status="paired"),
        PairingRow(2, "杭州某某新材料有限公司（分公司）", CODES[1], "小", "战略性新兴产业", "xihu",
                   "李 红", "0571-87654321", "赵副局长", priority=False, year=None, status="served"),
        PairingRow(None, "某某印染有限公司", CODES[2], "微", "传统产业", "萧山分局", "周强",
                   "057187654321", "钱局长", status="added"),
        PairingRow(4, "某某环境治理有限公司", CODES[3], "中", "第三方治理企业", "萧山分局", "周强",
                   "15912345678", "钱局长", year=2025, status="unpaired"),
    ]


def write_table(path, rows, sheet="Sheet", encoding="utf-8-sig"):
    """A file as a user's Excel (or a GBK Windows Excel) would save it."""
    if path.suffix == ".csv":
        with open(path, "w", encoding=encoding, newline="") as out:
            csv.writer(out).writerows(rows)
    else:
        book = Workbook()
        book.active.title = sheet
        for row in rows:
            book.active.append(row)
        book.save(path)
    return path


def errors_of(result):
    return [(e.row_number, e.column) for e in result.errors]


# ------------------------------------------------------------------------ pairing: round trip

@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_pairing_round_trip(tmp_path, suffix):
    path = tmp_path / f"名单{suffix}"
    write_pairing(pairing_rows(), path)
    result = read_pairing(path)
    assert result.ok and result.errors == []
    assert result.rows == pairing_rows()


def test_written_xlsx_has_header_in_row_1_text_codes_and_widths(tmp_path):
    path = tmp_path / "list.xlsx"
    write_pairing(pairing_rows(), path)
    sheet = load_workbook(path).active
    assert [c.value for c in sheet[1]] == HEADER + list(PAIRING_OPTIONAL)
    assert sheet["C2"].value == CODES[0] and sheet["C2"].number_format == "@"
    assert sheet["J2"].value == "是" and sheet["L3"].value == "已服务"
    assert sheet.column_dimensions["B"].width >= 20 and sheet.freeze_panes == "A2"


def test_written_csv_is_utf8_with_bom(tmp_path):
    path = tmp_path / "list.csv"
    write_pairing(pairing_rows(), path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "企业名称".encode() in data


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8"])
def test_csv_without_bom_in_gbk_or_utf8(tmp_path, encoding):
    path = write_table(tmp_path / "list.csv", [HEADER, GOOD], encoding=encoding)
    result = read_pairing(path)
    assert result.ok and result.rows[0].name == "杭州某某环保科技有限公司"


def test_headers_in_any_order_optional_columns_and_aliases(tmp_path):
    header = ["企业名称", "序号", "统一社会信用代码", "规模", "类型", "所属单位", "联络员",
              "联系电话", "联系领导", "*状态", "雄鹰行动（是/否）", "结对 年度"]
    row = ["某企业", 7, CODES[4].lower(), "大型", "传统产业", "单位", "张三", "+86 138 1234 5678",
           "领导", "增补", True, "2026年"]
    result = read_pairing(write_table(tmp_path / "l.xlsx", [header, row]))
    assert result.ok, result.errors
    got = result.rows[0]
    assert (got.seq, got.credit_code, got.scale, got.phone, got.status, got.priority, got.year) == \
        (7, CODES[4], "大", "13812345678", "added", True, 2026)


def test_defaults_when_optional_columns_are_absent(tmp_path):
    result = read_pairing(write_table(tmp_path / "l.xlsx", [HEADER, GOOD]))
    assert result.rows[0].priority is False and result.rows[0].year is None
    assert result.rows[0].status == "paired"


def test_blank_rows_are_skipped_and_row_numbers_stay_true(tmp_path):
    bad = GOOD[:2] + ["91330100799655058C"] + GOOD[3:]
    result = read_pairing(write_table(tmp_path / "l.xlsx", [HEADER, [], GOOD, [None, "  "], bad]))
    assert len(result.rows) == 1 and errors_of(result) == [(5, "统一社会信用代码")]
    assert "校验码应为 B" in result.errors[0].reason


# ------------------------------------------------------------------------ pairing: row errors

ROW_ERRORS = [
    ("序号", "x", "序号应为正整数"),
    ("企业名称", "", "不能为空"),
    ("企业名称", "某" * 256, "不能超过 255 个字"),
    ("统一社会信用代码", "9133", "应为 18 位，实际 4 位"),
    ("统一社会信用代码", "91330100799655O58B", "第 15 位字符“O”无效"),
    ("统一社会信用代码", "91330100799655058C", "校验码应为 B"),
    ("统一社会信用代码", 9.14403001922038e17, "存成了数字"),
    ("统一社会信用代码", "9.14403E+17", "存成了数字"),
    ("规模", "特大", "应为 大/中/小/微 之一"),
    ("类型", "制造业", "应为 传统产业/战略性新兴产业/重点排污企业/第三方治理企业 之一"),
    ("所属单位", None, "不能为空"),
    ("联系电话", "12345678901", "格式不对"),
    ("联系电话", "571-8765432", "格式不对"),
    ("雄鹰行动", "也许", "应为 是 或 否"),
    ("结对年度", "1999", "年份"),
    ("结对年度", "明年", "年份"),
    ("状态", "暂停", "应为 结对/已服务/增补/解除结对 之一"),
]


@pytest.mark.parametrize("column,value,reason", ROW_ERRORS)
def test_each_row_error_names_row_and_column(tmp_path, column, value, reason):
    header = HEADER + list(PAIRING_OPTIONAL)
    row = GOOD + ["否", 2026, "结对"]
    bad = list(row)
    bad[header.index(column)] = value
    other = list(row)
    other[2] = CODES[5]
    result = read_pairing(write_table(tmp_path / "l.xlsx", [header, other, bad]))
    assert [r.credit_code for r in result.rows] == [CODES[5]]
    assert errors_of(result) == [(3, column)]
    assert reason in result.errors[0].reason
    assert str(result.errors[0]).startswith(f"第 3 行「{column}」列：")


def test_duplicate_credit_code_is_an_error_on_the_later_row(tmp_path):
    again = GOOD[:2] + [" " + CODES[0].lower()] + GOOD[3:]
    result = read_pairing(write_table(tmp_path / "l.csv", [HEADER, GOOD, GOOD[:2] + [CODES[1]] + GOOD[3:], again]))
    assert errors_of(result) == [(4, "统一社会信用代码")]
    assert "与第 2 行重复" in result.errors[0].reason and len(result.rows) == 2


def test_a_file_with_bad_rows_reports_every_error(tmp_path):
    rows = [HEADER,
            GOOD,
            [2, "", "123", "特大", "传统产业", "单位", "张三", "999", "领导"],
            GOOD[:2] + [CODES[1]] + GOOD[3:],
            [4, "某企业", CODES[2], "小", "其他", "", "张三", "13812345678", "领导"],
            GOOD[:2] + [CODES[0]] + GOOD[3:]]
    result = read_pairing(write_table(tmp_path / "l.xlsx", rows))
    assert not result.ok and len(result.rows) == 2
    assert errors_of(result) == [(3, "企业名称"), (3, "统一社会信用代码"), (3, "规模"),
                                 (3, "联系电话"), (5, "类型"), (5, "所属单位"),
                                 (6, "统一社会信用代码")]


# ------------------------------------------------------------------------- pairing: headers

@pytest.mark.parametrize("header,expected", [
    (HEADER[:-1], "缺少列：联系领导"),
    (HEADER + ["备注"], "无法识别的列：备注"),
    (HEADER + ["联络员"], "重复的列：联络员"),
    ([h for h in HEADER if h not in ("规模", "类型")] + ["企业规模"], "缺少列：规模、类型；无法识别的列：企业规模"),
])
def test_header_errors_are_one_error_naming_the_columns(tmp_path, header, expected):
    result = read_pairing(write_table(tmp_path / "l.xlsx", [header, GOOD]))
    assert result.rows == [] and len(result.errors) == 1
    error = result.errors[0]
    assert (error.row_number, error.column) == (1, None) and expected in error.reason


def test_data_under_a_blank_header_is_an_unknown_column(tmp_path):
    result = read_pairing(write_table(tmp_path / "l.xlsx", [HEADER + [None], GOOD + ["备注"]]))
    assert "第 10 列（无表头）" in result.errors[0].reason


def test_a_title_row_gets_a_hint(tmp_path):
    result = read_pairing(write_table(tmp_path / "l.xlsx", [["附表1 结对服务企业名单"], HEADER, GOOD]))
    assert "表头须在第 1 行" in result.errors[0].reason


def test_empty_file_is_a_header_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    result = read_pairing(path)
    assert errors_of(result) == [(1, None)] and "缺少列" in result.errors[0].reason


# ---------------------------------------------------------------------- pairing: file errors

def test_file_level_refusals(tmp_path):
    with pytest.raises(InvalidInput, match="不支持的文件类型“xls”，请在 Excel 中另存为 .xlsx"):
        read_pairing(tmp_path / "old.xls")
    with pytest.raises(InvalidInput, match="文件不存在"):
        read_pairing(tmp_path / "missing.csv")
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="无法读取 xlsx 文件"):
        read_pairing(tmp_path / "fake.xlsx")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\xd8\x81")
    with pytest.raises(InvalidInput, match="无法识别 CSV 文件编码"):
        read_pairing(tmp_path / "bin.csv")
    with pytest.raises(InvalidInput, match="未指定文件格式"):
        read_pairing(b"abc")


def test_reads_bytes_with_a_format(tmp_path):
    path = write_table(tmp_path / "l.xlsx", [HEADER, GOOD])
    assert read_pairing(path.read_bytes(), fmt="xlsx").rows == read_pairing(path).rows


def test_result_types():
    assert ImportResult().ok and str(RowError(0, None, "x", "单位")) == "「单位」表：x"


# ------------------------------------------------------------------------------------ org

def org():
    units = [UnitRow("zj", "浙江省生态环境厅", "province", None),
             UnitRow("hz", "杭州市生态环境局", "city", "zj"),
             UnitRow("330106", "杭州市生态环境局西湖分局", "county", "hz")]
    sections = [SectionRow("zj", "water", "水生态环境处"), SectionRow("hz", "water", "水环境处"),
                SectionRow("330106", "water", "水环境科"), SectionRow("330106", "air", "大气科")]
    users = [UserRow("water1", "王水", "330106", ("water",), ("staff", "liaison"), (), "13800000001"),
             UserRow("head1", "李科", "330106", ("water", "air"), ("section_head",), (), ""),
             UserRow("leader1", "陈局", "330106", (), ("leader",), ("water", "air"), "0571-88886666"),
             UserRow("sup1", "督查员", "hz", (), ("supervisor", "admin", "designer", "expert"), (), "")]
    return units, sections, users


def test_org_round_trip_xlsx(tmp_path):
    path = tmp_path / "org.xlsx"
    write_org(*org(), path)
    result = read_org(path)
    assert result.ok, result.errors
    assert (result.units, result.sections, result.users) == org()
    book = load_workbook(path)
    assert book.sheetnames == ["单位", "科室", "人员"]
    assert [c.value for c in book["人员"][1]] == list(USER_COLUMNS + USER_OPTIONAL)
    assert book["单位"]["C2"].value == "省" and book["人员"]["E2"].value == "科员,联络员"


def test_org_users_round_trip_csv_against_known_units(tmp_path):
    units, sections, users = org()
    path = tmp_path / "users.csv"
    write_org([], [], users, path)
    result = read_org(path, known_units={u.code: u.level for u in units},
                      known_sections=[(s.unit_code, s.code) for s in sections])
    assert result.ok and result.users == users and result.units == []
    unknown = read_org(path)
    assert {(e.sheet, e.column) for e in unknown.errors} == {("人员", "单位编码")}


def test_org_csv_cannot_hold_units(tmp_path):
    with pytest.raises(InvalidInput, match="CSV 只能保存人员表"):
        write_org(*org(), tmp_path / "org.csv")


def org_book(path, units=(), sections=(), users=(), skip=()):
    book = Workbook()
    book.remove(book.active)
    for name, header, rows in (("单位", UNIT_COLUMNS, units), ("科室", SECTION_COLUMNS, sections),
                               ("人员", USER_COLUMNS + USER_OPTIONAL, users)):
        if name in skip:
            continue
        sheet = book.create_sheet(name)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
    book.create_sheet("说明").append(["这张表被忽略"])
    book.save(path)
    return path


UNITS = [["zj", "浙江省生态环境厅", "省", None], ["hz", "杭州市生态环境局", "市级", "zj"],
         [330106, "西湖分局", "区", "hz"]]
SECTIONS = [["330106", "water", "水环境科"], ["330106", "air", "大气科"]]
USER = ["water1", "王水", "330106", "water", "科员，联络员", None, None]


def test_org_accepts_chinese_aliases_and_numeric_codes(tmp_path):
    users = [USER, ["leader1", "陈局", "330106", "", "局领导", "water、air", 13800000002]]
    result = read_org(org_book(tmp_path / "o.xlsx", UNITS, SECTIONS, users))
    assert result.ok, result.errors
    assert [u.level for u in result.units] == ["province", "city", "county"]
    assert result.users[0].roles == ("staff", "liaison")
    assert result.users[1].leads == ("water", "air") and result.users[1].phone == "13800000002"


ORG_ERRORS = [
    ("单位", 1, ["zj/x", "省厅", "省", None], "单位编码", "只能用字母"),
    ("单位", 1, ["zj2", "", "省", None], "单位名称", "不能为空"),
    ("单位", 1, ["zj2", "某厅", "乡", None], "层级", "应为 province/city/county 之一"),
    ("单位", 1, ["zj2", "某厅", "省", "hz"], "上级单位编码", "省级单位不应有上级单位"),
    ("单位", 1, ["sh", "某局", "市", None], "上级单位编码", "必须填写上级单位编码"),
    ("单位", 1, ["sh", "某局", "市", "nowhere"], "上级单位编码", "上级单位 nowhere 未定义"),
    ("单位", 1, ["sh", "某局", "市", "330106"], "上级单位编码", "层级不高于本单位"),
    ("单位", 1, ["hz", "又一个", "市", "zj"], "单位编码", "与第 3 行重复"),
    ("科室", 2, ["330106", "1water", "水"], "科室编码", "字母开头"),
    ("科室", 2, ["nowhere", "water", "水"], "单位编码", "单位 nowhere 未定义"),
    ("科室", 2, ["330106", "water", "另一个水科"], "科室编码", "与第 2 行重复"),
    ("科室", 2, ["330106", "soil", "水环境科"], "科室名称", "与第 2 行重复"),
    ("科室", 2, ["330106", "soil", ""], "科室名称", "不能为空"),
    ("人员", 3, ["a/b", "某", "330106", "water", "科员", None, None], "登录名", "只能用字母"),
    ("人员", 3, ["u2", "", "330106", "water", "科员", None, None], "姓名", "不能为空"),
    ("人员", 3, ["u2", "某", "nowhere", "water", "科员", None, None], "单位编码", "单位 nowhere 未定义"),
    ("人员", 3, ["u2", "某", "330106", "soil", "科员", None, None], "科室编码", "没有科室 soil"),
    ("人员", 3, ["u2", "某", "330106", "water", "", None, None], "角色", "至少一个角色"),
    ("人员", 3, ["u2", "某", "330106", "water", "科员,主任", None, None], "角色", "角色 主任 无效"),
    ("人员", 3, ["u2", "某", "330106", "water", "科员", "water", None], "分管科室", "只有局领导"),
    ("人员", 3, ["u2", "某", "330106", "", "局领导", "soil", None], "分管科室", "没有科室 soil"),
    ("人员", 3, ["u2", "某", "330106", "", "科长", None, None], "科室编码", "至少一个科室"),
    ("人员", 3, ["u2", "某", "330106", "water", "科员", None, "12345"], "手机", "格式不对"),
    ("人员", 3, ["water1", "某", "330106", "water", "科员", None, None], "登录名", "与第 2 行重复"),
]


@pytest.mark.parametrize("sheet,index,row,column,reason", ORG_ERRORS)
def test_each_org_row_error_names_sheet_row_and_column(tmp_path, sheet, index, row, column, reason):
    tables = [list(UNITS), list(SECTIONS), [USER]]
    tables[index - 1].append(row)
    result = read_org(org_book(tmp_path / "o.xlsx", *tables))
    expected_row = len(tables[index - 1]) + 1
    assert [(e.sheet, e.row_number, e.column) for e in result.errors] == [(sheet, expected_row, column)]
    assert reason in result.errors[0].reason
    assert str(result.errors[0]).startswith(f"「{sheet}」表第 {expected_row} 行「{column}」列：")
    good = [result.units, result.sections, result.users]
    assert len(good[index - 1]) == len(tables[index - 1]) - 1


def test_org_missing_sheet_and_header_errors(tmp_path):
    path = org_book(tmp_path / "o.xlsx", UNITS, SECTIONS, [USER], skip=("科室",))
    result = read_org(path)
    assert [(e.sheet, e.row_number) for e in result.errors][0] == ("科室", 0)
    assert "缺少工作表「科室」" in result.errors[0].reason
    # With no sections sheet, the user's section cannot exist either.
    assert [(e.sheet, e.column) for e in result.errors[1:]] == [("人员", "科室编码")]
    book = Workbook()
    book.active.title = "单位"
    book.active.append(["单位编码", "名称"])
    book.save(tmp_path / "bad.xlsx")
    result = read_org(tmp_path / "bad.xlsx")
    header = [e for e in result.errors if e.sheet == "单位"][0]
    assert header.row_number == 1 and "缺少列：单位名称、层级、上级单位编码" in header.reason
    assert "无法识别的列：名称" in header.reason


def test_org_with_many_bad_rows_reports_them_all(tmp_path):
    units = UNITS + [["x/y", "", "乡", None]]
    sections = SECTIONS + [["nowhere", "water", "水"]]
    users = [USER, ["u2", "", "330106", "soil", "主任", None, "1"]]
    result = read_org(org_book(tmp_path / "o.xlsx", units, sections, users))
    assert [(e.sheet, e.row_number, e.column) for e in result.errors] == [
        ("单位", 5, "单位编码"), ("单位", 5, "单位名称"), ("单位", 5, "层级"),
        ("科室", 4, "单位编码"), ("人员", 3, "姓名"), ("人员", 3, "角色"), ("人员", 3, "手机")]
    assert len(result.units) == 3 and len(result.users) == 1
    assert OrgImport().ok and not result.ok


# ------------------------------------------------------------------- exports stay plain data

@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_formula_like_text_is_exported_as_text_and_reads_back(tmp_path, suffix):
    rows = [PairingRow(1, '=HYPERLINK("http://x","点我")', CODES[0], "大", "传统产业", "@单位",
                       "-张三", "13800138000", "+李"),
            PairingRow(2, "'=x", CODES[1], "大", "传统产业", "'单位", "''", "13800138000", "'")]
    path = tmp_path / f"l{suffix}"
    write_pairing(rows, path)
    if suffix == ".xlsx":
        cell = load_workbook(path).active["B2"]
        assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    else:
        assert "'=HYPERLINK" in path.read_text(encoding="utf-8-sig")
    assert read_pairing(path).rows == rows


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names, names, st.sampled_from([".xlsx", ".csv"]))
def test_any_name_round_trips(tmp_path, name, liaison, suffix):
    rows = [PairingRow(1, name, CODES[0], "小", "传统产业", "单位", liaison, "13800138000", "领导")]
    path = tmp_path / f"l{suffix}"
    write_pairing(rows, path)
    assert read_pairing(path).rows == rows


def test_row_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("engine.exchange.spreadsheet.MAX_ROWS", 2)
    with pytest.raises(InvalidInput, match="行数过多"):
        read_pairing(write_table(tmp_path / "l.csv", [HEADER, GOOD, GOOD]))


def test_english_status_codes_and_yes_no_spellings(tmp_path):
    header = HEADER + ["雄鹰行动", "状态"]
    rows = [header, GOOD + ["Y", "served"], GOOD[:2] + [CODES[1]] + GOOD[3:] + ["否", "解除"]]
    got = read_pairing(write_table(tmp_path / "l.csv", rows)).rows
    assert [(r.priority, r.status) for r in got] == [(True, "served"), (False, "unpaired")]


def test_liaison_phone_and_contact_leader_may_be_blank_for_a_new_pairing(tmp_path):
    """An enterprise just added (增补) may not have them yet; our own export must read back."""
    row = PairingRow(1, "新增企业", make_credit_code("91330106MA2B3C4D5"), "小", "传统产业", "西湖区分局",
                     "", "", "", False, 2026, "added")
    path = tmp_path / "p.csv"
    write_pairing([row], path)
    result = read_pairing(path)
    assert result.ok and result.rows[0].liaison == "" and result.rows[0].contact_leader == ""
