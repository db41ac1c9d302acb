"""周/月通报: the bulletin bureaus circulate to their leaders — the dashboard's figures by unit
(汇总), the overdue items by unit with 责任科室 and working days overdue (超期事项), the 挂牌督办
records with 跨年 marked, and the liaisons' monthly service (联络员服务) — as an xlsx workbook
(openpyxl) and as the data of the printable A4 page."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.calendar.days import WORKING_DAY_SECONDS
from engine.store.org_tables import Section, Unit
from engine.store.supervision_tables import SupervisionRecord
from engine.store.tables import User
from engine.supervision.dashboard import Tree, dashboard
from engine.supervision.drilldown import overdue_rows
from engine.supervision.periods import Period

RECORD_STATUS = {"open": "督办中", "verifying": "待复核", "closed": "已销号"}
SUMMARY_HEADERS = ("单位", "在办", "超期（红）", "预警（黄）", "临近（蓝）", "办结", "按期办结率", "延期",
                   "满意率", "催办", "效能告诫", "挂牌督办在办", "其中跨年")
OVERDUE_HEADERS = ("单位", "责任科室", "事项", "企业", "办理人", "办理期限", "超期工作日", "催办次数")
RECORD_HEADERS = ("编号", "单位", "事项", "责任人", "状态", "挂牌日期", "整改期限", "跨年")
COVERAGE_HEADERS = ("单位", "应服务企业", "已服务", "未服务", "服务率")


def title(unit_name: str, period: Period) -> str:
    kind = "周" if period.kind == "week" else "月" if period.kind == "month" else ""
    return f"{unit_name}三服务工作{kind}通报（{period.label}）"


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


def summary_rows(board: dict) -> list[list]:
    rows = [(f"{board['unit']['name']}（本级）", board["own"])] if board["own"] else []
    rows += [(row["name"], row["figures"]) for row in board["units"]]
    if board["mode"] == "sections":
        rows = [(row["name"], row["figures"]) for row in board["sections"]]
    rows.append(("合计", board["total"]))
    return [[name, f["open"], f["red"], f["yellow"], f["blue"], f["done"], _percent(f["on_time_rate"]),
             f["extended"], _percent(f["satisfaction_rate"]), f["urges"], f["warnings"], f["records_open"],
             f["records_cross_year"]] for name, f in rows]


def record_rows(session: Session, unit_ids: list[int], period: Period) -> list[list]:
    """Records open now, and those closed in the period; 跨年 = still open from an earlier year."""
    year = clock.to_local(clock.now()).year
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    found = session.scalars(select(SupervisionRecord).where(
        SupervisionRecord.unit_id.in_(unit_ids),
        or_(SupervisionRecord.status != "closed", SupervisionRecord.closed_at.between(period.start, period.end)))
        .order_by(SupervisionRecord.year, SupervisionRecord.serial))
    found = list(found)
    people = dict(session.execute(select(User.name, User.display_name)
                                  .where(User.name.in_({r.responsible for r in found if r.responsible}))).all())
    return [[f"督办〔{r.year}〕{r.serial}号", names.get(r.unit_id, ""), r.title,
             people.get(r.responsible) or r.responsible or "",
             RECORD_STATUS.get(r.status, r.status), _day(r.opened_at), _day(r.deadline),
             "跨年" if r.status != "closed" and r.year < year else ""] for r in found]


def _day(moment) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d") if moment else ""


def overdue_sheet_rows(session: Session, unit_ids: list[int]) -> list[list]:
    rows = overdue_rows(session, unit_ids)
    rows.sort(key=lambda r: (r["unit_name"], r["section_name"], r["working_seconds_left"]))
    return [[r["unit_name"], r["section_name"] or "未定", r["name"], r["enterprise_name"], r["holder_name"] or "待认领",
             _day(clock.parse_moment(r["due_at"])), round(-r["working_seconds_left"] / WORKING_DAY_SECONDS, 1),
             r["urge_count"]] for r in rows]


def coverage_rows(board: dict) -> list[list]:
    rows = [(row["name"], row["figures"]["coverage"]) for row in board["units"]]
    rows.append(("合计", board["total"]["coverage"]))
    return [[name, c.get("due", 0), c.get("served", 0), c.get("unserved", 0), _percent(c.get("rate"))]
            for name, c in rows if c]


def bulletin(session: Session, actor: str, unit_code: str | None, period: Period) -> dict:
    """Everything the bulletin shows, scoped as the dashboard (the same permission check)."""
    board = dashboard(session, actor, unit_code, period)
    tree = Tree.load(session)
    unit_ids = tree.below(board["unit"]["id"])
    if board["mode"] == "sections":
        unit_ids = [board["unit"]["id"]]
    overdue = overdue_sheet_rows(session, unit_ids)
    if board["mode"] == "sections":
        names = {s["name"] for s in board["sections"]}
        overdue = [r for r in overdue if r[1] in names]
    return {"title": title(board["unit"]["name"], period), "board": board, "period": period.as_dict(),
            "as_of": clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M"),
            "summary": summary_rows(board), "overdue": overdue,
            "records": record_rows(session, unit_ids, period), "coverage": coverage_rows(board),
            "sections": list(session.scalars(select(Section.name).where(Section.unit_id == board["unit"]["id"])))}


_HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")
_THIN = Side(style="thin", color="999999")


def _sheet(book: Workbook, name: str, heading: str, headers, rows, widths) -> None:
    sheet = book.create_sheet(name)
    sheet.append([heading])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True), _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = width
    sheet.freeze_panes = "A3"  # the title and the header stay in view


def workbook(data: dict) -> bytes:
    """The bulletin as an xlsx: 汇总, 超期事项, 挂牌督办, 联络员服务."""
    book = Workbook()
    book.remove(book.active)
    heading = data["title"]
    _sheet(book, "汇总", heading, SUMMARY_HEADERS, data["summary"], (22, 8, 10, 10, 10, 8, 12, 8, 10, 8, 10, 12, 10))
    _sheet(book, "超期事项", f"{heading} 超期事项", OVERDUE_HEADERS, data["overdue"], (16, 14, 28, 26, 14, 14, 12, 10))
    _sheet(book, "挂牌督办", f"{heading} 挂牌督办", RECORD_HEADERS, data["records"], (18, 16, 32, 12, 10, 12, 12, 8))
    _sheet(book, "联络员服务", f"{heading} 联络员服务", COVERAGE_HEADERS, data["coverage"], (22, 12, 10, 10, 10))
    book.properties.title = heading
    out = BytesIO()
    book.save(out)
    return out.getvalue()
