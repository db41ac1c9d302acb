"""A form field may move the deadline of another step of the same instance: a date field
marked `"x-deadline-of": ["rectify", …]` sets, when the form is submitted, the deadline of
those steps while they are open — the 督办 form's 新的办理期限 moves the 整改 step's (and so the
ledger matter's) deadline. The day given is the last day: due at its end, Asia/Shanghai."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SHANGHAI
from engine.inbox import task_rows
from engine.store.tables import HumanTask

END_OF_DAY = time(23, 59, 59)


def move_deadlines(session: Session, row: HumanTask, schema: dict | None, data: dict) -> list[dict]:
    """Apply the form's deadline fields; returns what moved, for the audit trail."""
    moved = []
    for name, field in ((schema or {}).get("properties") or {}).items():
        targets = field.get("x-deadline-of") if isinstance(field, dict) else None
        if not targets or not data.get(name):
            continue
        due = datetime.combine(date.fromisoformat(data[name]), END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC)
        steps = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == row.instance_id, HumanTask.status == "open",
            HumanTask.element_id.in_(list(targets))))
        for step in steps:
            moved.append({"task_id": step.id, "element_id": step.element_id,
                          "from": step.due_at.isoformat() if step.due_at else None, "to": due.isoformat()})
            task_rows.set_deadline(session, step, due)
    if moved:
        session.flush()  # the ledger projection reads the new deadline with a plain SELECT
    return moved
