"""Timer rows: when each waiting timer event of each instance is due, and who fires it.

The rows are a projection of the workflow state, written with it. Several scheduler
processes may run at once: a timer is fired only by the one that claims it, with a
conditional UPDATE that sets a lease (atomic on SQLite and PostgreSQL alike); a scheduler
claims a batch of due timers at a time (engine.jobs.firing drains them).
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.jobs import leases
from engine.store import audit, write_behind
from engine.store.tables import Timer
from engine.timers.event_definitions import any_waiting_timer, waiting_timers


def project(session: Session, instance, workflow, new: bool = False, none_pending: bool = False) -> None:
    """`none_pending`: the caller knows the instance has no pending timer row (none was waiting
    when it was loaded: every pending row is a waiting timer's, written here)."""
    waiting = {str(task.id): (task, due) for task, due in waiting_timers(workflow)}
    if (new or none_pending) and not waiting:
        return  # nothing to settle, nothing to write
    # Every timer row of the instance, whatever its status: a timer task waiting again (a
    # 退回 reopened the step it is attached to) keeps its id, and its old row is armed again.
    rows = {} if new else {row.task_id: row for row in session.scalars(
        select(Timer).where(Timer.instance_id == instance.id))}
    now = clock.now()
    for task_id, row in rows.items():
        if row.status == "pending" and task_id not in waiting:
            _settle(session, instance, workflow, row, now)
    for task_id, (task, due) in waiting.items():
        row = rows.get(task_id)
        if row is None:
            session.add(Timer(instance_id=instance.id, task_id=task_id,
                              element_id=task.task_spec.bpmn_id or task.task_spec.name,
                              due_at=due, status="pending"))
        elif row.status != "pending" or row.due_at != due:
            row.status, row.fired_at = "pending", None
            row.due_at, row.lease_owner, row.lease_until = due, None, None


def _settle(session: Session, instance, workflow, row: Timer, now) -> None:
    """A timer no longer waited on either fired (its event was caught: by the scheduler, or
    by a command that found it due) or was cancelled with the step it was attached to. The
    firing is audited here, once, whoever caught it."""
    try:
        task = workflow.get_task_from_id(UUID(row.task_id))
    except Exception:  # noqa: BLE001 - Spiff raises its own TaskNotFoundException; gone = cancelled
        task = None
    # Caught: on its way (READY) or run (COMPLETED); otherwise cancelled with its step, or gone.
    caught = task is not None and task.has_state(TaskState.READY | TaskState.STARTED | TaskState.COMPLETED)
    row.status, row.fired_at = ("fired", now) if caught else ("cancelled", None)
    if caught:
        audit.record(session, "scheduler", "timer_fired", instance_id=instance.id,
                     detail={"element_id": row.element_id, "due_at": row.due_at.isoformat()})


_CANCEL_PENDING = update(Timer.__table__).where(Timer.__table__.c.instance_id == bindparam("b_instance_id"),
                                                Timer.__table__.c.status == "pending").values(status="cancelled")


def _cancelling_as_ctes(prefix: str) -> list:
    """The cancelling as a query of another statement (engine.store.write_behind)."""
    timers = Timer.__table__
    return [update(timers).where(timers.c.instance_id == bindparam(prefix + "instance_id"),
                                 timers.c.status == bindparam(prefix + "pending"))
            .values(status=bindparam(prefix + "cancelled")).cte(prefix + "cancelled_timers")]


write_behind.register("cancel_timers", _cancelling_as_ctes)


def cancel_all(session: Session, instance_id: int) -> None:
    if any(isinstance(held, Timer) for held in session.identity_map.values()):
        # Rows this command loaded (and may have changed): the ORM's UPDATE keeps them in step.
        session.execute(update(Timer).where(Timer.instance_id == instance_id, Timer.status == "pending")
                        .values(status="cancelled"))
        return
    # every instance's end: a statement built once (the ORM's UPDATE costs ~250 µs to build); on
    # PostgreSQL it goes with the instance's last UPDATE
    connection = session.connection()
    cancelling = {"instance_id": instance_id, "pending": "pending", "cancelled": "cancelled"}
    if not write_behind.defer(connection, "cancel_timers", cancelling, frozenset({("timers", instance_id)})):
        connection.execute(_CANCEL_PENDING, {"b_instance_id": instance_id})


BATCH = 100  # timers claimed at once: a second or so of firing, well inside the lease


def _due(now):
    return Timer.status == "pending", Timer.due_at <= now


def any_due(session: Session) -> bool:
    """Whether a timer is due that no scheduler holds: the idle scheduler's cheap check (an
    index range scan of ix_timers_due), so it need not take the write lock to find out."""
    now = clock.now()
    query = select(Timer.id).where(*_due(now), leases.unheld(Timer, now)).limit(1)
    return session.scalar(query) is not None


def claim_due(session: Session, owner: str, limit: int | None = None) -> list[int]:
    """Take the lease on up to `limit` (default BATCH) due timers nobody holds, soonest due first."""
    return leases.claim_batch(session, Timer, owner, limit or BATCH, Timer.due_at, *_due(clock.now()))


def hold(session: Session, timer_id: int, owner: str) -> bool:
    """In the transaction that fires it: whether the timer is still pending and leased by
    `owner` (not fired meanwhile, nor taken over by another scheduler after the lease
    expired); if so the lease is renewed. On PostgreSQL this UPDATE also locks the row
    until the firing commits, so a scheduler trying to take the lease over skips the row
    meanwhile, and afterwards finds the timer fired."""
    now = clock.now()
    result = session.execute(
        update(Timer).where(Timer.id == timer_id, Timer.status == "pending", Timer.lease_owner == owner)
        .values(lease_until=now + leases.LEASE)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release(session: Session, timer_ids: list[int], owner: str, retry_after=None) -> None:
    """Give up `owner`'s leases: for another scheduler, or this one, to fire them later."""
    leases.release(session, Timer, timer_ids, owner, retry_after)


def mark_failed(session: Session, timer_id: int) -> None:
    """Stop retrying a timer whose firing failed (the reason goes to the audit trail)."""
    session.execute(update(Timer).where(Timer.id == timer_id)
                    .values(status="failed", lease_owner=None, lease_until=None)
                    .execution_options(synchronize_session=False))


class TimerRowsProjection:
    """The runtime's hook: rows for the timers an instance now waits on, none once it ends."""

    def on_load(self, loaded) -> None:
        """Whether a timer was waiting before the command: if none was and none is after it,
        the save need not read the instance's timer rows (half the commands of the shipped
        stories: a step with no deadline timer attached, before or after)."""
        if loaded.specs.may_have_timers():
            loaded.noted[TimerRowsProjection] = any_waiting_timer(loaded.workflow)

    def project(self, session: Session, loaded, new: bool) -> None:
        # A new instance too: the specs it has reached (its own, embedded, called) say whether
        # it can wait on a timer at all; most models cannot, and the walk is skipped.
        if loaded.specs.may_have_timers():
            none_pending = loaded.noted.get(TimerRowsProjection) is False
            project(session, loaded.instance, loaded.workflow, new, none_pending)
        if loaded.completed and loaded.instance.status == "running":
            cancel_all(session, loaded.instance.id)
