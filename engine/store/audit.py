"""The append-only audit trail: who did what, when, to which instance and task."""
from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine import clock
from engine.store.tables import AuditEvent

# Built once: constructing a statement costs more than executing it on the hot path.
_INSERT = insert(AuditEvent)


def record(session: Session, actor: str, action: str, *, instance_id: int | None = None,
           task_id: str | None = None, detail: dict | None = None) -> None:
    """Append an event in the command's transaction (never read back by the command, so a
    plain INSERT on the connection, without the ORM's bookkeeping)."""
    session.connection().execute(_INSERT, {"at": clock.now(), "actor": actor, "action": action,
                                           "instance_id": instance_id, "task_id": task_id,
                                           "detail": detail or {}})


def history(session: Session, instance_id: int) -> list[dict]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id)
                           .order_by(AuditEvent.id))
    return [event_dict(row) for row in rows]


def event_dict(row: AuditEvent) -> dict:
    return {"id": row.id, "at": row.at.isoformat(), "actor": row.actor, "action": row.action,
            "instance_id": row.instance_id, "task_id": row.task_id, "detail": row.detail}
