"""Timer rows: when each waiting timer event of each instance is due, and who fires it.

The rows are a projection of the workflow state, written with it. Several scheduler
processes may run at once: a timer is fired only by the one that claims it, with a
conditional UPDATE that sets a lease (atomic on SQLite and PostgreSQL alike).
"""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.jobs import leases
from engine.store.tables import Timer
from engine.timers.event_definitions import waiting_timers


def project(session: Session, instance, workflow, new: bool = False) -> None:
    waiting = {str(task.id): (task, due) for task, due in waiting_timers(workflow)}
    if new and not waiting:
        return
    # Every timer row of the instance, whatever its status: a timer task waiting again (a
    # 退回 reopened the step it is attached to) keeps its id, and its old row is armed again.
    rows = {} if new else {row.task_id: row for row in session.scalars(
        select(Timer).where(Timer.instance_id == instance.id))}
    now = clock.now()
    for task_id, row in rows.items():
        if row.status == "pending" and task_id not in waiting:
            row.status = "fired" if row.due_at <= now else "cancelled"
            row.fired_at = now if row.status == "fired" else None
    for task_id, (task, due) in waiting.items():
        row = rows.get(task_id)
        if row is None:
            session.add(Timer(instance_id=instance.id, task_id=task_id,
                              element_id=task.task_spec.bpmn_id or task.task_spec.name,
                              due_at=due, status="pending"))
        elif row.status != "pending" or row.due_at != due:
            row.status, row.fired_at = "pending", None
            row.due_at, row.lease_owner, row.lease_until = due, None, None


def cancel_all(session: Session, instance_id: int) -> None:
    session.execute(update(Timer).where(Timer.instance_id == instance_id, Timer.status == "pending")
                    .values(status="cancelled"))


def due_timer_ids(session: Session, limit: int = 100) -> list[int]:
    now = clock.now()
    query = (select(Timer.id).where(Timer.status == "pending", Timer.due_at <= now)
             .where((Timer.lease_until.is_(None)) | (Timer.lease_until < now))
             .order_by(Timer.due_at).limit(limit))
    return list(session.scalars(query))


def claim(session: Session, timer_id: int, owner: str) -> bool:
    """Take the lease on a due timer; False if another scheduler has it or it is gone."""
    return leases.claim(session, Timer, timer_id, owner, Timer.status == "pending", Timer.due_at <= clock.now())


def mark_failed(session: Session, timer_id: int) -> None:
    """Stop retrying a timer whose firing failed (the reason goes to the audit trail)."""
    session.execute(update(Timer).where(Timer.id == timer_id)
                    .values(status="failed", lease_owner=None, lease_until=None)
                    .execution_options(synchronize_session=False))


class TimerRowsProjection:
    """The runtime's hook: rows for the timers an instance now waits on, none once it ends."""

    def project(self, session: Session, loaded, new: bool) -> None:
        if new or loaded.specs.may_have_timers():
            project(session, loaded.instance, loaded.workflow, new)
        if loaded.completed and loaded.instance.status == "running":
            cancel_all(session, loaded.instance.id)
