"""Spreadsheet files as plain tables, and the cell-level rules every import shares.

Bureaus exchange these lists as Excel workbooks or as CSV saved by Excel — on a Chinese
Windows that CSV is GBK unless someone chose "CSV UTF-8". Reading turns either into rows of
raw cell values (row 1 = the header) so the pairing and org readers see one shape; writing
produces files Excel opens correctly (UTF-8 with BOM, text-formatted code columns).
"""
from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from engine.errors import InvalidInput

#: Bigger than any bureau's list (a province pairs ~1000 enterprises a year) by far; a limit
#: keeps a hostile or mistaken upload (a zip bomb, a whole database dump) from exhausting memory.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

Source = str | os.PathLike | bytes


class CellError(Exception):
    """One cell's value is unacceptable; `reason` is the Chinese message for the RowError."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    """A problem with one row (or, with `column`, one cell) of an imported file.

    `row_number` is the row as Excel shows it (header = 1; 0 = the sheet or file as a
    whole); `column` is the Chinese header; `sheet` names the worksheet where a file has
    several.
    """
    row_number: int
    column: str | None
    reason: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = f"「{self.sheet}」表" if self.sheet else ""
        if self.row_number:
            where += f"第 {self.row_number} 行"
        if self.column:
            where += f"「{self.column}」列"
        return f"{where}：{self.reason}" if where else self.reason


@dataclass
class Table:
    """One worksheet (or a CSV file): `rows[0]` is spreadsheet row 1."""
    name: str | None
    rows: list[list[object]]


# ----------------------------------------------------------------------------- reading

def file_format(source: Source, fmt: str | None) -> str:
    """'xlsx' or 'csv', from `fmt` or the file suffix; anything else is refused up front."""
    if fmt is None:
        if isinstance(source, bytes):
            raise InvalidInput("未指定文件格式（format required for file contents）")
        fmt = Path(source).suffix.lower().lstrip(".")
    fmt = fmt.lower().lstrip(".")
    if fmt in ("xlsx", "xlsm"):
        return "xlsx"
    if fmt == "csv":
        return "csv"
    hint = "，请在 Excel 中另存为 .xlsx" if fmt == "xls" else ""
    raise InvalidInput(f"不支持的文件类型“{fmt}”{hint}，只接受 .xlsx 或 .csv（unsupported file type）")


def load_bytes(source: Source) -> bytes:
    """The file's contents, refusing missing and oversized files with a readable message."""
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"文件不存在：{path}（file not found）")
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）（file too large）")
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）（file too large）")
    return data


def read_tables(source: Source, fmt: str | None = None) -> list[Table]:
    """Every worksheet of an xlsx file, or the one table of a CSV file."""
    kind = file_format(source, fmt)
    data = load_bytes(source)
    return _read_xlsx(data) if kind == "xlsx" else [Table(None, _read_csv(data))]


def _read_xlsx(data: bytes) -> list[Table]:
    # Imported lazily: only imports and exports need openpyxl, the engine core does not.
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [Table(sheet.title.strip(), _sheet_rows(sheet)) for sheet in book.worksheets]
        finally:
            book.close()
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt upload can fail anywhere inside openpyxl
        raise InvalidInput("无法读取 xlsx 文件，文件已损坏或不是 Excel 工作簿"
                           f"（not a valid xlsx file: {type(exc).__name__}）") from None


def _sheet_rows(sheet) -> list[list[object]]:
    rows: list[list[object]] = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(list(values))
        _check_rows(rows)
    return _trim(rows)


def _read_csv(data: bytes) -> list[list[object]]:
    rows: list[list[object]] = []
    try:
        for values in csv.reader(io.StringIO(decode_csv(data), newline="")):
            rows.append([_csv_unescape(v) for v in values])
            _check_rows(rows)
    except csv.Error as exc:
        raise InvalidInput(f"CSV 格式错误，第 {len(rows) + 1} 行（malformed CSV: {exc}）") from None
    return _trim(rows)


def decode_csv(data: bytes) -> str:
    """UTF-8 with BOM (what we write, Excel's "CSV UTF-8"), plain UTF-8, else GB18030 — a
    superset of GBK, what Excel on a Chinese Windows saves as "CSV"."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("无法识别 CSV 文件编码，请另存为“CSV UTF-8”（unknown CSV encoding）")


def _check_rows(rows: list) -> None:
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"行数过多（超过 {MAX_ROWS} 行）（too many rows）")


def _trim(rows: list[list[object]]) -> list[list[object]]:
    """Drop trailing blank cells and rows: Excel keeps formatted-but-empty ones."""
    out = [row[:max((i + 1 for i, v in enumerate(row) if not is_blank(v)), default=0)]
           for row in rows]
    while out and not out[-1]:
        out.pop()
    return out


# ------------------------------------------------------------------------------- cells

def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: object) -> str:
    """A cell as the text the user sees: numbers without Excel's trailing ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def folded(value: object) -> str:
    """Text for codes and choices: full-width folded to ASCII (NFKC), all spaces removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))


def required_text(value: object, max_length: int = 128) -> str:
    text = cell_text(value)
    if not text:
        raise CellError("不能为空（required）")
    if len(text) > max_length:
        raise CellError(f"不能超过 {max_length} 个字（at most {max_length} characters）")
    return text


_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")


def parse_phone(value: object) -> str:
    """A mainland mobile (1[3-9] + 9 digits) or landline (area code 0xx(x), optional '-',
    7–8 digits). "+86" and "(0571)" are tidied, anything else is left for a person to fix."""
    text = folded(value)
    text = re.sub(r"^(\+?86-?)(?=1)", "", text)
    text = re.sub(r"^\((0\d{2,3})\)-?", r"\1-", text)
    if not text:
        raise CellError("不能为空（required）")
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    raise CellError(f"电话号码“{cell_text(value)}”格式不对，应为 11 位手机号或 区号-号码 的固定电话"
                    "（not a mainland mobile or landline number）")


def split_list(value: object) -> tuple[str, ...]:
    """A comma-separated cell: ASCII or Chinese commas, 、 or semicolons; duplicates dropped."""
    parts = re.split(r"[,，、;；\s]+", unicodedata.normalize("NFKC", cell_text(value)))
    return tuple(dict.fromkeys(p for p in parts if p))


def choice(options: Sequence[str], aliases: dict[str, str] | None = None) -> Callable[[object], str]:
    """A parser accepting one of `options` (or an alias of one), naming them all when not."""
    def parse(value: object) -> str:
        text = folded(value)
        text = (aliases or {}).get(text, text)
        if text in options:
            return text
        if not text:
            raise CellError(f"不能为空，应为 {'/'.join(options)}（required）")
        raise CellError(f"“{cell_text(value)}”无效，应为 {'/'.join(options)} 之一（not one of the allowed values）")
    return parse


def parse_cells(number: int, cells: dict[str, object],
                fields: dict[str, tuple[str, Callable[[object], object]]],
                sheet: str | None = None) -> tuple[dict[str, object], list[RowError]]:
    """Run each present column's parser; {field: value} for the good cells and an error per
    bad one, so one row can report several problems at once."""
    values: dict[str, object] = {}
    errors: list[RowError] = []
    for column, raw in cells.items():
        name, parse = fields[column]
        try:
            values[name] = parse(raw)
        except CellError as err:
            errors.append(RowError(number, column, err.reason, sheet))
    return values, errors


# ------------------------------------------------------------------------------ header

def header_name(value: object) -> str:
    """Header as meant: spaces and required-markers (*) removed, a trailing "(说明)" dropped."""
    name = re.sub(r"[\s*]", "", unicodedata.normalize("NFKC", cell_text(value)))
    return re.sub(r"\([^()]*\)$", "", name)


def map_header(table: Table, required: Sequence[str], optional: Sequence[str] = ()
               ) -> tuple[dict[str, int], RowError | None]:
    """Column positions by header name (any order), or one error naming every missing,
    unknown or repeated header — a wrong header makes every row wrong, so rows are not read."""
    width = max((len(row) for row in table.rows), default=0)
    header = [header_name(v) for v in table.rows[0]] + [""] * width if table.rows else []
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for i, name in enumerate(header):
        if not name:
            if i < width and any(i < len(row) and not is_blank(row[i]) for row in table.rows[1:]):
                unknown.append(f"第 {i + 1} 列（无表头）")
        elif name not in required and name not in optional:
            unknown.append(name)
        elif name in positions:
            repeated.append(name)
        else:
            positions[name] = i
    missing = [c for c in required if c not in positions]
    problems = ([f"缺少列：{'、'.join(missing)}"] if missing else []) + \
               ([f"无法识别的列：{'、'.join(unknown)}"] if unknown else []) + \
               ([f"重复的列：{'、'.join(repeated)}"] if repeated else [])
    if not problems:
        return positions, None
    hint = "（表头须在第 1 行，不要标题行）" if len([v for v in header if v]) == 1 else ""
    reason = (f"表头不对：{'；'.join(problems)}{hint}。应为：{'、'.join(required)}"
              + (f"，可选：{'、'.join(optional)}" if optional else "") + "（wrong header row）")
    return positions, RowError(1, None, reason, table.name)


def data_rows(table: Table, positions: dict[str, int]) -> Iterator[tuple[int, dict[str, object]]]:
    """(spreadsheet row number, {column: raw value}) for every non-blank row after the header."""
    for number, row in enumerate(table.rows[1:], start=2):
        if all(is_blank(v) for v in row):
            continue
        yield number, {c: (row[i] if i < len(row) else None) for c, i in positions.items()}


# ----------------------------------------------------------------------------- writing

def write_xlsx(path: str | os.PathLike, sheets: Sequence[tuple[str, Sequence[str], list[list]]],
               text_columns: Sequence[str] = ()) -> None:
    """One worksheet per (name, header, rows): bold frozen header, sized columns, and the
    code columns formatted as text so Excel never turns an 18-digit code into 9.14E+17."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    book = Workbook()
    book.remove(book.active)
    for name, header, rows in sheets:
        sheet = book.create_sheet(name)
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # "=…" in a name is text, never a formula
        for i, column in enumerate(header, start=1):
            letter = get_column_letter(i)
            width = max(_display_width(v) for v in [column] + [r[i - 1] for r in rows])
            sheet.column_dimensions[letter].width = min(max(width + 2, 6), 60)
            if column in text_columns:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "@"
        sheet.freeze_panes = "A2"
    book.save(path)


def _display_width(value: object) -> int:
    """Width in Excel character units: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cell_text(value))


def write_csv(path: str | os.PathLike, header: Sequence[str], rows: list[list]) -> None:
    """UTF-8 with BOM, so Excel on a Chinese Windows opens it without garbling."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([_csv_value(v) for v in row] for row in rows)


def _csv_value(value: object) -> object:
    """Text Excel would run as a formula (=, +, -, @ first: CSV injection in a list sent to
    other bureaus) gets Excel's text marker, a leading apostrophe; :func:`cell_text` drops it."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in _FORMULA_START + ("'",):
        return "'" + value
    return value


def _csv_unescape(value: str) -> str:
    """Undo :func:`_csv_value`: a leading apostrophe before a formula character or another
    apostrophe is Excel's text marker, not part of the value."""
    text = value.strip()
    return text[1:] if text[:1] == "'" and text[1:2] in _FORMULA_START + ("'",) else value


#: First characters that make Excel treat a typed value as a formula.
_FORMULA_START = ("=", "+", "-", "@")
