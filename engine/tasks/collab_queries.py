"""What the task page shows of working together on a task: its comments, its 抄送 copies,
its draft, the delegation, and whom the holder may transfer, delegate or copy it to.

Plain reads inside the caller's unit of work (engine.tasks.view, engine.tasks.collab)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.store import audit
from engine.store.collab_tables import TaskComment, TaskCopy, TaskDraft
from engine.store.org_tables import Section, Unit
from engine.store.tables import HumanTask, User

MAX_UNIT_DEPTH = 8  # province → city → county: a guard against a cycle in bad data


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


COMMENTS_SHOWN = 50  # the newest; every comment is also in the history (task_commented), which pages


def comments_of(session: Session, instance_id: int) -> tuple[list[dict], int]:
    """The instance's newest COMMENTS_SHOWN comments, oldest first (the page lists the newest
    last), and how many older ones that leaves out."""
    rows = list(session.execute(
        select(TaskComment, HumanTask.name, User.display_name)
        .outerjoin(HumanTask, HumanTask.id == TaskComment.task_id)
        .outerjoin(User, User.name == TaskComment.author)
        .where(TaskComment.instance_id == instance_id).order_by(TaskComment.id.desc()).limit(COMMENTS_SHOWN)))
    older = session.scalar(select(func.count(TaskComment.id)).where(TaskComment.instance_id == instance_id)) \
        - len(rows) if len(rows) == COMMENTS_SHOWN else 0
    return [{"id": c.id, "task_id": c.task_id, "task_name": task_name or "", "author": c.author,
             "author_name": display or c.author, "body": c.body, "created_at": _iso(c.created_at)}
            for c, task_name, display in reversed(rows)], older


def copies_of(session: Session, task_id: str) -> list[dict]:
    rows = session.scalars(select(TaskCopy).where(TaskCopy.task_id == task_id).order_by(TaskCopy.id))
    return [copy_dict(c) for c in rows]


def copy_dict(c: TaskCopy) -> dict:
    return {"id": c.id, "task_id": c.task_id, "instance_id": c.instance_id, "recipient": c.recipient,
            "sender": c.sender, "note": c.note, "created_at": _iso(c.created_at), "read_at": _iso(c.read_at)}


def draft_of(session: Session, row: HumanTask) -> dict | None:
    """The saved draft of an open task. A closed task's draft is stale and ignored (it is
    left in place rather than deleted on completion, which keeps completing cheap)."""
    if row.status != "open":
        return None
    draft = session.get(TaskDraft, row.id)
    if draft is None:
        return None
    data = draft.data if isinstance(draft.data, dict) else {}
    return {"data": data, "saved_by": draft.saved_by, "saved_at": _iso(draft.saved_at)}


def delegation_of(session: Session, row: HumanTask) -> dict | None:
    """委派 state: who owns the task and who it was (last) delegated to."""
    if row.delegation is None:
        return None
    delegated = audit.last_event(session, row.instance_id, row.id, "task_delegated") \
        if row.delegation != "pending" else None
    delegate = row.assignee if row.delegation == "pending" else (delegated["detail"].get("to") if delegated else None)
    return {"state": row.delegation, "owner": row.owner, "delegate": delegate}


def colleague_units(session: Session, unit_id: int | None) -> list[int] | None:
    """The units whose people count as colleagues on a task of `unit_id`: the unit itself
    and the units above it (whose supervisors see its work anyway). None: no unit, no limit."""
    if unit_id is None:
        return None
    found, current = [], unit_id
    while current is not None and current not in found and len(found) < MAX_UNIT_DEPTH:
        found.append(current)
        current = session.scalar(select(Unit.parent_id).where(Unit.id == current))
    return found


def choices(session: Session, row: HumanTask, actor: str, *, holder: bool) -> dict:
    """Whom `actor` may pick on the page: colleagues of the task's unit (transfer, delegate,
    copy), and — for the holder — sections of this unit and of other units (transfer)."""
    users = select(User.name, User.display_name).where(User.active.is_(True), User.name != actor)
    if row.unit_id is not None:
        users = users.where(User.unit_id == row.unit_id)
    out = {"users": [{"name": n, "display_name": d or n} for n, d in session.execute(users.order_by(User.name))],
           "sections": [], "units": []}
    if not holder or row.unit_id is None:
        return out
    rows = session.execute(select(Unit.id, Unit.code, Unit.name, Section.code, Section.name)
                           .join(Section, Section.unit_id == Unit.id).order_by(Unit.id, Section.id))
    units: dict[int, dict] = {}
    for unit_id, unit_code, unit_name, section_code, section_name in rows:
        section = {"code": section_code, "name": section_name}
        if unit_id == row.unit_id:
            out["sections"].append(section)
        else:
            unit = units.setdefault(unit_id, {"code": unit_code, "name": unit_name, "sections": []})
            unit["sections"].append(section)
    out["units"] = list(units.values())
    return out
