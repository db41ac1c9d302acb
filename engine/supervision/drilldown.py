"""The lists behind the dashboard's figures: the open tasks of a unit's subtree (or of a
section) in a colour, or the tasks completed late in a period — paged, soonest due first, with
the holder, the section (责任科室), the enterprise and 催办 ×N."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine import clock
from engine.calendar.store import work_calendar
from engine.errors import InvalidInput
from engine.inbox import task_rows
from engine.store.org_tables import Enterprise, Section, Unit
from engine.store.tables import HumanTask, User
from engine.supervision import statistics as stats
from engine.supervision.dashboard import Tree, chosen_unit, unit_dict, viewer
from engine.supervision.periods import Period

COLOURS = ("red", "yellow", "blue", "open")
PAGE_SIZE = 50
MAX_PAGE = 2000


def colour_filter(colour: str, now) -> list:
    """The clauses of open tasks in `colour` (as engine.calendar.deadlines.colour; 'open' = all)."""
    due, yellow, blue = HumanTask.due_at, HumanTask.yellow_at, HumanTask.blue_at
    if colour not in COLOURS:
        raise InvalidInput("颜色应为 red、yellow、blue 或 open (colour)", code="bad_colour")
    clauses = [HumanTask.status == stats.OPEN]
    if colour == "red":
        clauses.append(due < now)
    elif colour == "yellow":
        clauses += [due >= now, yellow <= now]
    elif colour == "blue":
        clauses += [due >= now, blue <= now, or_(yellow.is_(None), yellow > now)]
    return clauses


def task_list(session: Session, actor: str, unit_code: str | None, *, colour: str | None = "red",
              late_in: Period | None = None, section_id: int | None = None, own_only: bool = False,
              page: int = 1) -> dict:
    """One page of the tasks behind a figure: open tasks in `colour`, or (`late_in`) completed
    late in that period; of the unit's subtree (`own_only`: the unit's own, 本级), or of one of
    its sections."""
    who = viewer(session, actor)
    tree = Tree.load(session)
    unit = chosen_unit(session, who, tree, unit_code)
    now = clock.now()
    page = min(max(int(page or 1), 1), MAX_PAGE)
    where = list(stats.late_filter(late_in.start, late_in.end) if late_in else colour_filter(colour or "red", now))
    if section_id is not None or who.sections is not None:
        if who.sections is not None and section_id is not None and section_id not in who.sections:
            raise InvalidInput("该科室不在您的督办范围内 (section outside your scope)", code="section_out_of_scope")
        allowed = [section_id] if section_id is not None else who.sections
        where += [HumanTask.unit_id == unit.id, stats.section_of_task().in_(allowed)]
    elif own_only:
        where.append(HumanTask.unit_id == unit.id)
    else:
        where.append(HumanTask.unit_id.in_(tree.below(unit.id)))
    total = session.scalar(select(func.count()).select_from(HumanTask).where(*where))
    order = (HumanTask.completed_at.desc(),) if late_in else (HumanTask.due_at.is_(None), HumanTask.due_at)
    holder, section = aliased(User), aliased(Section)
    section_key = stats.section_of_task().label("section_id")
    inner = (select(HumanTask.id, section_key).where(*where).order_by(*order, HumanTask.id)
             .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).subquery())
    rows = session.execute(
        select(HumanTask, section.name, Enterprise.name, holder.display_name, Unit.name)
        .join(inner, inner.c.id == HumanTask.id)
        .outerjoin(section, section.id == inner.c.section_id)
        .outerjoin(Enterprise, Enterprise.id == HumanTask.enterprise_id)
        .outerjoin(holder, holder.name == func.coalesce(HumanTask.assignee, HumanTask.completed_by))
        .outerjoin(Unit, Unit.id == HumanTask.unit_id)
        .order_by(*order, HumanTask.id)).all()
    calendar = work_calendar(session)
    items = [_item(row, calendar, now, section_name, enterprise, holder_name, unit_name)
             for row, section_name, enterprise, holder_name, unit_name in rows]
    return {"unit": unit_dict(unit), "colour": None if late_in else (colour or "red"), "own_only": own_only,
            "late_in": late_in.as_dict() if late_in else None, "section_id": section_id, "rows": items,
            "total": int(total or 0), "page": page, "pages": max(1, -(-int(total or 0) // PAGE_SIZE))}


def _item(row: HumanTask, calendar, now, section_name, enterprise, holder_name, unit_name) -> dict:
    out = task_rows.with_deadline(task_rows.task_dict(row), row, calendar, now)
    first_due = row.original_due_at or row.due_at
    late_by = (calendar.working_seconds(first_due, row.completed_at)
               if row.status == "completed" and first_due and row.completed_at else None)
    return {**out, "section_name": section_name or "", "enterprise_name": enterprise or "",
            "holder_name": holder_name or (row.assignee or row.completed_by or ""), "unit_name": unit_name or "",
            "urge_count": row.urge_count or 0, "original_due_at": first_due.isoformat() if first_due else None,
            "extended": row.original_due_at is not None, "late_working_seconds": late_by}


def overdue_rows(session: Session, unit_ids: list[int], limit: int = 2000) -> list[dict]:
    """Red tasks of these units for the bulletin's 超期事项 sheet: unit, section, task,
    enterprise, holder, due date and working days overdue, most overdue first."""
    now = clock.now()
    section_key = stats.section_of_task().label("section_id")
    inner = (select(HumanTask.id, section_key).where(*colour_filter("red", now), HumanTask.unit_id.in_(unit_ids))
             .order_by(HumanTask.due_at).limit(limit).subquery())
    holder = aliased(User)
    rows = session.execute(
        select(HumanTask, Section.name, Enterprise.name, holder.display_name, Unit.name)
        .join(inner, inner.c.id == HumanTask.id).outerjoin(Section, Section.id == inner.c.section_id)
        .outerjoin(Enterprise, Enterprise.id == HumanTask.enterprise_id)
        .outerjoin(holder, and_(holder.name == HumanTask.assignee))
        .outerjoin(Unit, Unit.id == HumanTask.unit_id).order_by(HumanTask.due_at)).all()
    calendar = work_calendar(session)
    return [_item(*row[:1], calendar, now, *row[1:]) for row in rows]
