"""Import and export of the tables bureaus report upward: the pairing list and the org.

结对服务企业名单 (the pairing list) is the 附表 each bureau sends up with its liaisons and
contact leaders; the org workbook (单位/科室/人员) sets up who works where. Reading never
stops at the first bad row: it returns every good row and every error (row number, column,
reason), because the person fixing a 300-row spreadsheet wants the whole list at once; the
caller decides whether a file with errors imports nothing or only its good rows.

Pure functions on files: no database. Formats: xlsx (openpyxl) and CSV (UTF-8 with BOM
written; UTF-8 or GBK/GB18030 read). The README's "Import and export formats" documents them.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InvalidInput

# The org workbook lives in its own module to keep each file small; it is part of this API.
from engine.exchange.org_workbook import (
    ROLE_ALIASES,
    ROLES,
    SECTION_COLUMNS,
    SHEETS,
    UNIT_COLUMNS,
    USER_COLUMNS,
    USER_OPTIONAL,
    OrgImport,
    SectionRow,
    UnitRow,
    UserRow,
    read_org,
    write_org,
)
from engine.exchange.spreadsheet import (
    CellError,
    RowError,
    Source,
    cell_text,
    choice,
    data_rows,
    file_format,
    folded,
    is_blank,
    map_header,
    parse_cells,
    parse_phone,
    read_tables,
    required_text,
    write_csv,
    write_xlsx,
)
from engine.org.creditcode import CreditCodeError, validate_credit_code


def _optional(value, parse):
    return "" if is_blank(value) else parse(value)


PAIRING_COLUMNS = ("序号", "企业名称", "统一社会信用代码", "规模", "类型", "所属单位", "联络员",
                   "联系电话", "联系领导")
PAIRING_OPTIONAL = ("雄鹰行动", "结对年度", "状态")
SCALES = ("大", "中", "小", "微")
TYPES = ("传统产业", "战略性新兴产业", "重点排污企业", "第三方治理企业")
#: Status codes and the Chinese written in files (the first alias of each is what we write).
STATUS_ALIASES = {
    "paired": ("结对", "已结对"),
    "served": ("已服务", "服务"),
    "added": ("增补", "已增补"),
    "unpaired": ("解除结对", "已解除结对", "解除"),
}
_STATUS = {alias: code for code, aliases in STATUS_ALIASES.items() for alias in (code,) + aliases}
_YES = {"是", "Y", "YES", "TRUE", "1", "√", "✓"}
_NO = {"否", "N", "NO", "FALSE", "0", ""}


@dataclass(frozen=True)
class PairingRow:
    """One enterprise of the pairing list, values checked and normalised.

    `unit`, `liaison` and `contact_leader` are as written (a name or a code): matching them
    to units and users is the importer's job, which has the database.
    """
    seq: int | None
    name: str
    credit_code: str
    scale: str            # 大 中 小 微
    type: str             # 传统产业 战略性新兴产业 重点排污企业 第三方治理企业
    unit: str
    liaison: str
    phone: str
    contact_leader: str
    priority: bool = False     # 雄鹰行动
    year: int | None = None    # 结对年度; None when the file does not say
    status: str = "paired"     # paired served added unpaired


@dataclass
class ImportResult:
    """Good rows in file order, and every error found."""
    rows: list[PairingRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- cell rules

def _seq(value: object) -> int | None:
    if is_blank(value):
        return None
    return _integer(value, 1, 10 ** 6, "序号应为正整数（a positive whole number）")


def _integer(value: object, low: int, high: int, reason: str) -> int:
    text = folded(value).removesuffix("年")
    if not re.fullmatch(r"\d+", text) or not low <= int(text) <= high:
        raise CellError(f"“{cell_text(value)}”无效：{reason}")
    return int(text)


def _credit_code(value: object) -> str:
    """Refuses what Excel did to a code typed as a number before the check explains nothing."""
    if isinstance(value, float) or re.fullmatch(r"\d(\.\d+)?E\+?\d+", folded(value), re.I):
        raise CellError("统一社会信用代码被 Excel 存成了数字（如 9.14E+17），末几位已丢失；"
                        "请把该列设为文本后重新录入（stored as a number, digits lost）")
    try:
        return validate_credit_code(cell_text(value))
    except CreditCodeError as err:
        raise CellError(err.message) from None


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = folded(value).upper()
    if text in _YES or text in _NO:
        return text in _YES
    raise CellError(f"“{cell_text(value)}”无效，应为 是 或 否（yes or no）")


def _year(value: object) -> int | None:
    return None if is_blank(value) else _integer(value, 2000, 2100, "应为 2000–2100 之间的年份（a year）")


def _status(value: object) -> str:
    text = folded(value)
    if not text:
        return "paired"
    if text.lower() in _STATUS:
        return _STATUS[text.lower()]
    if text in _STATUS:
        return _STATUS[text]
    allowed = "/".join(aliases[0] for aliases in STATUS_ALIASES.values())
    raise CellError(f"“{cell_text(value)}”无效，应为 {allowed} 之一（unknown status）")


_PAIRING_FIELDS: dict[str, tuple[str, Callable[[object], object]]] = {
    "序号": ("seq", _seq),
    "企业名称": ("name", lambda v: required_text(v, 255)),
    "统一社会信用代码": ("credit_code", _credit_code),
    "规模": ("scale", choice(SCALES, {"大型": "大", "中型": "中", "小型": "小", "微型": "微"})),
    "类型": ("type", choice(TYPES)),
    "所属单位": ("unit", required_text),
    # A newly added (增补) enterprise may not have its liaison or contact leader yet: blank
    # is allowed here, and our own exports of such rows must read back.
    "联络员": ("liaison", lambda v: _optional(v, lambda x: required_text(x, 64))),
    "联系电话": ("phone", lambda v: _optional(v, parse_phone)),
    "联系领导": ("contact_leader", lambda v: _optional(v, lambda x: required_text(x, 64))),
    "雄鹰行动": ("priority", _flag),
    "结对年度": ("year", _year),
    "状态": ("status", _status),
}


# ------------------------------------------------------------------------------ pairing

def read_pairing(source: Source, *, fmt: str | None = None) -> ImportResult:
    """Read a pairing list (first worksheet of an xlsx, or a CSV): every good row and every
    error. A credit code seen earlier in the file is an error on the later row."""
    tables = read_tables(source, fmt)
    if not tables:
        raise InvalidInput("工作簿中没有工作表（the workbook has no sheets）")
    table = tables[0]
    positions, header_error = map_header(table, PAIRING_COLUMNS, PAIRING_OPTIONAL)
    result = ImportResult()
    if header_error:
        result.errors.append(header_error)
        return result
    first_seen: dict[str, int] = {}
    for number, cells in data_rows(table, positions):
        values, errors = parse_cells(number, cells, _PAIRING_FIELDS)
        code = values.get("credit_code")
        if code in first_seen:
            errors.append(RowError(number, "统一社会信用代码",
                                   f"统一社会信用代码 {code} 与第 {first_seen[code]} 行重复"
                                   f"（duplicate of row {first_seen[code]}）"))
        elif code:
            first_seen[code] = number
        if errors:
            result.errors.extend(errors)
        else:
            result.rows.append(PairingRow(**values))
    return result


def write_pairing(rows: Sequence[PairingRow], path: str | os.PathLike) -> None:
    """Write the list with the reporting headers in row 1 (plus 雄鹰行动, 结对年度, 状态, in
    Chinese), as xlsx or CSV by the path's suffix; reading it back gives the same rows."""
    kind = file_format(Path(path), None)
    header = PAIRING_COLUMNS + PAIRING_OPTIONAL
    values = [[r.seq, r.name, r.credit_code, r.scale, r.type, r.unit, r.liaison, r.phone,
               r.contact_leader, "是" if r.priority else "否", r.year,
               STATUS_ALIASES[r.status][0]] for r in rows]
    if kind == "xlsx":
        write_xlsx(path, [("结对服务企业名单", header, values)],
                   text_columns=("统一社会信用代码", "联系电话"))
    else:
        write_csv(path, header, values)


__all__ = [
    "PAIRING_COLUMNS", "PAIRING_OPTIONAL", "SCALES", "TYPES", "STATUS_ALIASES", "PairingRow",
    "ImportResult", "RowError", "read_pairing", "write_pairing",
    "UNIT_COLUMNS", "SECTION_COLUMNS", "USER_COLUMNS", "USER_OPTIONAL", "SHEETS", "ROLES", "ROLE_ALIASES",
    "UnitRow", "SectionRow", "UserRow", "OrgImport", "read_org", "write_org",
]
