"""台账导出: a ledger (one enterprise's, or one or more units') as the xlsx bureaus exchange.

One row per matter (一事一单) with exactly the columns bureaus use; dates in Asia/Shanghai,
text cells written as text (a description starting with "=" is never a formula), bold
frozen header, sized columns (engine.exchange.spreadsheet.write_xlsx).
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.exchange.spreadsheet import write_xlsx
from engine.store.org_tables import Enterprise, LedgerMatter, Section

COLUMNS = ("序号", "企业名称", "统一社会信用代码", "问题来源", "问题类别", "问题描述", "责任科室", "责任人",
           "整改期限", "整改情况", "销号日期", "状态", "备注")
STATUS_TEXT = {"rectifying": "整改中", "verifying": "待科长审核", "handing_over": "待交办",
               "awaiting_answer": "待部门答复", "closed": "已销号", "explained": "已解释说明",
               "open": "办理中"}
DONE = ("closed", "explained")
SHEET = "台账"


def status_text(status: str) -> str:
    return STATUS_TEXT.get(status, status)


def local_date(moment) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d") if moment else ""


def remarks(matter) -> str:
    """备注: the explanation, the department handed over to and its answer."""
    parts = [matter.explanation, f"交办部门：{matter.department}" if matter.department else "",
             f"部门答复：{matter.answer}" if matter.answer else ""]
    return "；".join(p for p in parts if p)


def section_names(session: Session, unit_ids: set[int]) -> dict[tuple[int, str], str]:
    """(unit id, section code) → the unit's display name of that section."""
    if not unit_ids:
        return {}
    rows = session.execute(select(Section.unit_id, Section.code, Section.name).where(Section.unit_id.in_(unit_ids)))
    return {(r.unit_id, r.code): r.name for r in rows}


def ledger_rows(session: Session, *, enterprise_id: int | None = None,
                unit_id: int | Sequence[int] | None = None) -> list[list]:
    """The rows of the ledger, oldest matter first (序号 1 = the first raised)."""
    query = (select(LedgerMatter, Enterprise).join(Enterprise, Enterprise.id == LedgerMatter.enterprise_id)
             .order_by(Enterprise.unit_id, Enterprise.id, LedgerMatter.id))
    if enterprise_id is not None:
        query = query.where(Enterprise.id == enterprise_id)
    if unit_id is not None:
        units = [unit_id] if isinstance(unit_id, int) else list(unit_id)
        query = query.where(Enterprise.unit_id.in_(units))
    found = session.execute(query).all()
    names = section_names(session, {e.unit_id for _, e in found})
    return [_row(number, matter, enterprise, names) for number, (matter, enterprise) in enumerate(found, start=1)]


def _row(number: int, matter: LedgerMatter, enterprise: Enterprise, names: dict) -> list:
    section = names.get((enterprise.unit_id, matter.section), matter.section)
    return [number, enterprise.name, enterprise.credit_code, matter.source, matter.category, matter.description,
            section, matter.responsible_person, local_date(matter.deadline), matter.measures,
            local_date(matter.closed_at), status_text(matter.status), remarks(matter)]


def export_ledger(session: Session, *, path: str | os.PathLike, enterprise_id: int | None = None,
                  unit_id: int | Sequence[int] | None = None) -> int:
    """Write the ledger to `path` (xlsx); returns the number of matters written."""
    rows = ledger_rows(session, enterprise_id=enterprise_id, unit_id=unit_id)
    write_xlsx(path, [(SHEET, COLUMNS, rows)], text_columns=COLUMNS[1:])
    return len(rows)
