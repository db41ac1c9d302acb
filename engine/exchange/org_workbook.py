"""The org workbook: 单位 (units), 科室 (sections), 人员 (users), read and written.

Part of :mod:`engine.exchange.pairing` (which re-exports everything here); kept apart so each module
stays small. Rows are checked one by one, then against each other — a section's unit must
be defined, a user's sections must exist in the user's unit, a city's parent must be a
province — because a reference error found only when the importer writes the database
would stop the import at the first one instead of listing them all.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InvalidInput
from engine.exchange.spreadsheet import (
    CellError,
    RowError,
    Source,
    Table,
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
    split_list,
    write_csv,
    write_xlsx,
)

SHEETS = ("单位", "科室", "人员")
UNIT_COLUMNS = ("单位编码", "单位名称", "层级", "上级单位编码")
SECTION_COLUMNS = ("单位编码", "科室编码", "科室名称")
USER_COLUMNS = ("登录名", "姓名", "单位编码", "科室编码", "角色")
USER_OPTIONAL = ("分管科室", "手机")
LEVELS = ("province", "city", "county")
#: Level codes and what files may say (the first is what we write).
LEVEL_ALIASES = {"province": ("省", "省级", "省厅"), "city": ("市", "市级", "市局"),
                 "county": ("县", "县级", "县局", "区", "区局")}
ROLES = ("staff", "section_head", "leader", "supervisor", "liaison", "expert", "admin", "designer",
         "security_admin", "audit_admin")
ROLE_ALIASES = {
    "staff": ("科员", "工作人员"), "section_head": ("科长", "处长", "科室负责人"),
    "leader": ("局领导", "领导", "分管领导"), "supervisor": ("督查", "督办"),
    "liaison": ("联络员",), "expert": ("专家",), "admin": ("管理员",),
    "designer": ("设计员", "流程设计员"),
    "security_admin": ("安全管理员",), "audit_admin": ("审计管理员", "安全审计员"),
}
_ROLE = {a: code for code, aliases in ROLE_ALIASES.items() for a in (code,) + aliases}
_LEVEL = {a: code for code, aliases in LEVEL_ALIASES.items() for a in (code,) + aliases}
_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SECTION_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    level: str                 # province city county
    parent_code: str | None    # None for a province


@dataclass(frozen=True)
class SectionRow:
    unit_code: str
    code: str                  # stable code: water, air, solid_waste, …
    name: str                  # display name at this unit: 水环境科 / 水生态环境处


@dataclass(frozen=True)
class UserRow:
    name: str           # the login, as Person.name and User.name
    display_name: str   # 姓名
    unit_code: str
    sections: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("staff",)
    leads: tuple[str, ...] = ()    # 分管科室: section codes a leader is in charge of
    phone: str = ""


@dataclass
class OrgImport:
    """Good rows per sheet, in file order, and every error found (with its sheet)."""
    units: list[UnitRow] = field(default_factory=list)
    sections: list[SectionRow] = field(default_factory=list)
    users: list[UserRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- cell rules

def _code(pattern: re.Pattern, what: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        text = folded(value)
        if not text:
            raise CellError("不能为空（required）")
        if not pattern.fullmatch(text):
            first = "字母开头，" if pattern is _SECTION_CODE else ""
            raise CellError(f"{what}“{cell_text(value)}”无效：{first}只能用字母、数字、下划线、连字符"
                            "（letters, digits, _ and - only）")
        return text
    return parse


def _optional_code(value: object) -> str | None:
    return None if is_blank(value) else _code(_UNIT_CODE, "单位编码")(value)


def _codes(value: object) -> tuple[str, ...]:
    codes = split_list(value)
    bad = [c for c in codes if not _SECTION_CODE.fullmatch(c)]
    if bad:
        raise CellError(f"科室编码 {'、'.join(bad)} 无效（invalid section codes）")
    return codes


def _roles(value: object) -> tuple[str, ...]:
    names = split_list(value)
    if not names:
        raise CellError("不能为空，至少一个角色（at least one role）")
    unknown = [n for n in names if n not in _ROLE and n.lower() not in _ROLE]
    if unknown:
        allowed = "、".join(f"{a[0]}/{c}" for c, a in ROLE_ALIASES.items())
        raise CellError(f"角色 {'、'.join(unknown)} 无效，可用：{allowed}（unknown role）")
    return tuple(dict.fromkeys(_ROLE.get(n, _ROLE.get(n.lower())) for n in names))


def _phone(value: object) -> str:
    return "" if is_blank(value) else parse_phone(value)


_UNIT_FIELDS = {
    "单位编码": ("code", _code(_UNIT_CODE, "单位编码")),
    "单位名称": ("name", required_text),
    "层级": ("level", choice(LEVELS, {**_LEVEL, **{c: c for c in LEVELS}})),
    "上级单位编码": ("parent_code", _optional_code),
}
_SECTION_FIELDS = {
    "单位编码": ("unit_code", _code(_UNIT_CODE, "单位编码")),
    "科室编码": ("code", _code(_SECTION_CODE, "科室编码")),
    "科室名称": ("name", required_text),
}
_USER_FIELDS = {
    "登录名": ("name", _code(_LOGIN, "登录名")),
    "姓名": ("display_name", lambda v: required_text(v, 64)),
    "单位编码": ("unit_code", _code(_UNIT_CODE, "单位编码")),
    "科室编码": ("sections", _codes),
    "角色": ("roles", _roles),
    "分管科室": ("leads", _codes),
    "手机": ("phone", _phone),
}


# ------------------------------------------------------------------------------ reading

def read_org(source: Source, *, fmt: str | None = None,
             known_units: Mapping[str, str] | None = None,
             known_sections: Iterable[tuple[str, str]] = ()) -> OrgImport:
    """Read an org workbook (sheets 单位, 科室, 人员; other sheets are ignored) or a CSV of
    users alone. References are checked against the file plus `known_units` (code → level)
    and `known_sections` ((unit code, section code) pairs) already in the database, so a
    bureau can import its people without re-sending the units."""
    result = OrgImport()
    if file_format(source, fmt) == "csv":
        tables = {"人员": Table("人员", read_tables(source, fmt)[0].rows)}
    else:
        tables = {t.name: t for t in read_tables(source, fmt) if t.name in SHEETS}
        result.errors += [RowError(0, None, f"缺少工作表「{name}」（missing sheet）", name)
                          for name in SHEETS if name not in tables]
    levels = dict(known_units or {})
    sections = {tuple(pair) for pair in known_sections}
    if "单位" in tables:
        result.units = _read_units(tables["单位"], levels, result.errors)
        levels.update((u.code, u.level) for u in result.units)
    if "科室" in tables:
        result.sections = _read_sections(tables["科室"], levels, result.errors)
        sections.update((s.unit_code, s.code) for s in result.sections)
    if "人员" in tables:
        result.users = _read_users(tables["人员"], levels, sections, result.errors)
    return result


def _rows(table: Table, columns: Sequence[str], optional: Sequence[str], fields: dict,
          errors: list[RowError]):
    """(row number, parsed values, that row's errors) for each data row; a header error
    is recorded once and yields nothing."""
    positions, header_error = map_header(table, columns, optional)
    if header_error:
        errors.append(header_error)
        return
    for number, cells in data_rows(table, positions):
        values, row_errors = parse_cells(number, cells, fields, table.name)
        yield number, values, row_errors


def _read_units(table: Table, known: Mapping[str, str], errors: list[RowError]) -> list[UnitRow]:
    """Units in two passes, so a parent may be listed after its child; a repeated code is an
    error on the later row."""
    parsed = []
    seen: dict[str, int] = {}
    for number, values, row_errors in _rows(table, UNIT_COLUMNS, (), _UNIT_FIELDS, errors):
        code = values.get("code")
        if code in seen:
            row_errors.append(RowError(number, "单位编码", f"单位编码 {code} 与第 {seen[code]} 行重复"
                                       "（duplicate unit code）", "单位"))
        elif code:
            seen[code] = number
        parsed.append((number, values, row_errors))
    levels = {**known, **{v["code"]: v["level"] for _, v, e in parsed if not e}}
    units = []
    for number, values, row_errors in parsed:
        if not row_errors:
            row_errors += _parent_errors(number, values, levels)
        errors.extend(row_errors)
        if not row_errors:
            units.append(UnitRow(**values))
    return units


def _parent_errors(number: int, unit: dict, levels: Mapping[str, str]) -> list[RowError]:
    """A province has no parent; a city or county has one defined above it in the tree."""
    parent, level = unit["parent_code"], unit["level"]
    if level == "province":
        reason = None if parent is None else "省级单位不应有上级单位（a province has no parent）"
    elif parent is None:
        reason = "市、县级单位必须填写上级单位编码（a city or county needs its parent）"
    elif parent not in levels:
        reason = f"上级单位 {parent} 未定义或该行有误（unknown parent unit）"
    elif LEVELS.index(levels[parent]) >= LEVELS.index(level):
        reason = f"上级单位 {parent} 的层级不高于本单位（the parent must be a higher level）"
    else:
        reason = None
    return [RowError(number, "上级单位编码", reason, "单位")] if reason else []


def _read_sections(table: Table, levels: Mapping[str, str],
                   errors: list[RowError]) -> list[SectionRow]:
    """Sections of defined units; code and name are each unique within a unit, because
    routing resolves a lane by either."""
    sections, seen = [], {}
    for number, values, row_errors in _rows(table, SECTION_COLUMNS, (), _SECTION_FIELDS, errors):
        unit, code, name = values.get("unit_code"), values.get("code"), values.get("name")
        if unit and unit not in levels:
            row_errors.append(RowError(number, "单位编码", f"单位 {unit} 未定义或该行有误（unknown unit）", "科室"))
        for column, key in (("科室编码", (unit, "code", code)), ("科室名称", (unit, "name", name))):
            if None in key:
                continue
            if key in seen:
                row_errors.append(RowError(number, column, f"{column} {key[2]} 在单位 {unit} 中与第 "
                                           f"{seen[key]} 行重复（duplicate in the unit）", "科室"))
            else:
                seen[key] = number
        errors.extend(row_errors)
        if not row_errors:
            sections.append(SectionRow(**values))
    return sections


def _read_users(table: Table, levels: Mapping[str, str], sections: set,
                errors: list[RowError]) -> list[UserRow]:
    """Users whose row and references are sound; a repeated login is an error on the later
    row (a login is the account: two rows would silently overwrite each other)."""
    users, seen = [], {}
    for number, values, row_errors in _rows(table, USER_COLUMNS, USER_OPTIONAL, _USER_FIELDS, errors):
        login = values.get("name")
        if login in seen:
            row_errors.append(RowError(number, "登录名", f"登录名 {login} 与第 {seen[login]} 行重复"
                                       "（duplicate login）", "人员"))
        elif login:
            seen[login] = number
        if not row_errors:
            row_errors = _user_reference_errors(number, values, levels, sections)
        errors.extend(row_errors)
        if not row_errors:
            users.append(UserRow(**values))
    return users


def _user_reference_errors(number: int, user: dict, levels: Mapping[str, str],
                           sections: set) -> list[RowError]:
    """The unit exists, the sections and 分管 sections exist in it, only leaders lead, and
    staff and section heads belong to a section (their tasks are routed by section)."""
    unit, roles, leads = user["unit_code"], user["roles"], user.get("leads", ())
    if unit not in levels:
        return [RowError(number, "单位编码", f"单位 {unit} 未定义或该行有误（unknown unit）", "人员")]
    found = []
    for column, codes in (("科室编码", user["sections"]), ("分管科室", leads)):
        missing = [c for c in codes if (unit, c) not in sections]
        if missing:
            found.append(RowError(number, column, f"单位 {unit} 没有科室 {'、'.join(missing)}"
                                  "（no such section）", "人员"))
    if leads and "leader" not in roles:
        found.append(RowError(number, "分管科室", "只有局领导可以填写分管科室"
                              "（only leaders lead sections）", "人员"))
    if not user["sections"] and {"staff", "section_head"} & set(roles):
        found.append(RowError(number, "科室编码", "科员、科长必须属于至少一个科室"
                              "（staff need a section）", "人员"))
    return found


# ------------------------------------------------------------------------------ writing

def write_org(units: Sequence[UnitRow], sections: Sequence[SectionRow], users: Sequence[UserRow],
              path: str | os.PathLike) -> None:
    """Write the org workbook (three sheets, Chinese values) — or, to a .csv path, the users
    alone, which is all a CSV can hold."""
    user_rows = [[u.name, u.display_name, u.unit_code, ",".join(u.sections),
                  ",".join(ROLE_ALIASES[r][0] for r in u.roles), ",".join(u.leads), u.phone]
                 for u in users]
    user_header = USER_COLUMNS + USER_OPTIONAL
    if file_format(Path(path), None) == "csv":
        if units or sections:
            raise InvalidInput("CSV 只能保存人员表；单位和科室请用 xlsx（a CSV holds users only）")
        write_csv(path, user_header, user_rows)
        return
    write_xlsx(path, [
        ("单位", UNIT_COLUMNS, [[u.code, u.name, LEVEL_ALIASES[u.level][0], u.parent_code]
                              for u in units]),
        ("科室", SECTION_COLUMNS, [[s.unit_code, s.code, s.name] for s in sections]),
        ("人员", user_header, user_rows),
    ], text_columns=("单位编码", "上级单位编码", "手机"))
