"""Calendar files: a CSV of the dates that differ from Mon–Fri work, Sat–Sun rest.

    日期,类型,名称
    2026-10-01,休,国庆节
    2026-10-10,班,国庆节调休上班

`#` lines are comments. 类型 is 休 (or rest) for a day off, 班 (or work) for a working
weekend. A file is read whole or refused whole, each problem named by its line."""
from __future__ import annotations

import csv
import io
from datetime import date

from engine.calendar.days import REST, WORK, CalendarDay
from engine.errors import InvalidInput

KINDS = {"休": REST, "rest": REST, "班": WORK, "work": WORK}
HEADERS = {"日期": "day", "date": "day", "类型": "kind", "kind": "kind", "名称": "name", "name": "name"}
MAX_ROWS = 2000


def parse_calendar(text: str, file_name: str = "calendar.csv") -> list[CalendarDay]:
    lines = [(n, line) for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InvalidInput(f"{file_name}：文件是空的 (the file is empty)")
    if len(lines) > MAX_ROWS:
        raise InvalidInput(f"{file_name}：行数过多（最多 {MAX_ROWS} 行）(too many rows)")
    header = [HEADERS.get(cell.strip().lower()) for cell in next(csv.reader([lines[0][1]]))]
    if "day" not in header or "kind" not in header:
        raise InvalidInput(f"{file_name} 第 {lines[0][0]} 行：表头应为 日期,类型,名称 "
                           "(the header must be 日期,类型,名称)")
    days, problems, seen = [], [], set()
    for number, line in lines[1:]:
        cells = dict(zip(header, (cell.strip() for cell in next(csv.reader([line])))))
        day, problem = _row(cells)
        if problem is None and day.day in seen:
            problem = f"日期 {day.day} 重复 (duplicate date)"
        if problem:
            problems.append(f"第 {number} 行：{problem}")
            continue
        seen.add(day.day)
        days.append(day)
    if problems:
        raise InvalidInput(f"{file_name}：" + "；".join(problems[:20]))
    return days


def _row(cells: dict) -> tuple[CalendarDay | None, str | None]:
    try:
        day = date.fromisoformat(cells.get("day") or "")
    except ValueError:
        return None, f"日期 {cells.get('day')!r} 应为 YYYY-MM-DD (date must be YYYY-MM-DD)"
    kind = KINDS.get((cells.get("kind") or "").lower())
    if kind is None:
        return None, f"类型 {cells.get('kind')!r} 应为 休 或 班 (kind must be 休 or 班)"
    name = cells.get("name") or ""
    if len(name) > 64:
        return None, "名称最多 64 个字符 (name too long)"
    return CalendarDay(day, kind, name), None


def to_csv(days: list[CalendarDay]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["日期", "类型", "名称"])
    for day in sorted(days, key=lambda d: d.day):
        writer.writerow([day.day.isoformat(), "休" if day.kind == REST else "班", day.name])
    return out.getvalue()
