"""Timer start events: the timer belongs to the deployed definition, not to an instance.

As in Camunda, a process whose top-level start event has a timer is started by the
scheduler: each firing starts one new instance of the (latest) deployed version, which
runs past that start event at once. A date fires once; a duration fires once, counted
from deployment; an ISO cycle `R3/PT1H` fires three times (`R/...` and crons forever);
a cron fires at every matching Asia/Shanghai wall-clock time. Firings missed while no
scheduler ran collapse into one for crons and unbounded cycles (bounded cycles count each
repetition), exactly as for intermediate timers (engine.timers.iso.advance_cycle).

Deploying a new version of a process replaces the previous version's schedule. The
schedule is one `StartTimer` row per timer start event; several schedulers may run at
once: a firing is claimed with a lease (as in engine.timers) and the row is advanced by a
conditional UPDATE in the same transaction that starts the instance, so one firing never
starts two instances.

`choose_start` is the SpiffWorkflow side: with several start events Spiff's process start
waits on all of them; a manual start drops the timer start events (and is refused when
there is no other start event), a timer firing passes its own start event and drops all
the others.
"""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.control import BpmnStartTask, StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import Conflict, DefinitionError, InvalidInput, NotFound, ScriptError
from engine.jobs import leases
from engine.sandbox.expressions import sandbox
from engine.store import audit
from engine.store.tables import ProcessDefinition, StartTimer
from engine.timers.event_definitions import (
    EngineCycleTimerEventDefinition,
    EngineDurationTimerEventDefinition,
    EngineTimeDateEventDefinition,
)
from engine.timers.iso import advance_cycle, resolve_cycle, resolve_date, resolve_duration, string_literal

SCHEDULER = "scheduler"
KIND_OF = {EngineTimeDateEventDefinition: "date", EngineDurationTimerEventDefinition: "duration",
           EngineCycleTimerEventDefinition: "cycle"}


def timer_start_events(spec) -> list:
    """The process's own (top-level) start events that wait on a timer."""
    return [s for s in spec.bpmn_start_events if isinstance(s.event_definition, TimerEventDefinition)]


# --- deploy: the schedule ---------------------------------------------------------------

def schedule(session: Session, definition: ProcessDefinition, spec) -> list[StartTimer]:
    """Replace the schedule of `definition.key` by the timer start events of this version."""
    now = clock.now()
    session.execute(update(StartTimer)
                    .where(StartTimer.process_key == definition.key, StartTimer.status == "active")
                    .values(status="replaced", lease_owner=None, lease_until=None)
                    .execution_options(synchronize_session=False))
    rows = []
    for task_spec in timer_start_events(spec):
        kind = KIND_OF.get(type(task_spec.event_definition), "cycle")
        value = _value_at_deploy(task_spec, spec)
        with _located(task_spec, spec):
            due, remaining = first_due(kind, value, now)
        row = StartTimer(definition_id=definition.id, process_key=definition.key,
                         element_id=task_spec.bpmn_id, kind=kind,
                         text=value if isinstance(value, str) else str(value),
                         next_due_at=due, remaining=remaining, fired_count=0,
                         status="active" if remaining else "done", created_at=now)
        session.add(row)
        rows.append(row)
    return rows


def first_due(kind: str, value, moment: datetime) -> tuple[datetime, int]:
    """(first firing, firings allowed; -1 unbounded) for a timer deployed at `moment`."""
    if kind == "date":
        return resolve_date(value), 1
    if kind == "duration":
        return resolve_duration(value, moment), 1
    state = resolve_cycle(value, moment)
    return datetime.fromisoformat(state["next"]), state["cycles"]


def _value_at_deploy(task_spec, spec):
    """The timer's value: a literal, or an expression evaluated with no instance data (a
    timer start event has no instance to read variables from)."""
    expression = task_spec.event_definition.expression
    value = string_literal(expression)
    if value is not None:
        return value
    with _located(task_spec, spec, "定时器启动事件的表达式须在部署时即可求值（此时没有流程变量）："):
        return sandbox().evaluate(expression, {})


class _located:
    """ScriptError → DefinitionError naming the file and the start event."""

    def __init__(self, task_spec, spec, prefix: str = ""):
        self.task_spec, self.spec, self.prefix = task_spec, spec, prefix

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, ScriptError):
            raise DefinitionError(self.prefix + str(exc), file=getattr(self.spec, "file", None),
                                  element_id=self.task_spec.bpmn_id) from None
        return False


# --- run time: which start event an instance starts at -----------------------------------

def choose_start(workflow, element_id: str | None = None) -> None:
    """Before the first engine steps of a new instance: start at the timer start event
    `element_id` (a timer firing), or for a manual start (None) at the other start events.
    A no-op for processes without timer start events."""
    spec = workflow.spec
    timed = {s.name for s in timer_start_events(spec)}
    if not timed:
        return
    if element_id is None and len(timed) == len(spec.bpmn_start_events):
        raise InvalidInput(f"该流程由定时器启动，不能手动启动：部署后由调度器按定时器创建实例 "
                           f"(process '{spec.name}' is started by its timer start event only; "
                           f"it cannot be started by hand)")
    _run_to_start_events(workflow)
    starts = {s.name for s in spec.bpmn_start_events}
    chosen = None
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if task.workflow is not workflow or task.task_spec.name not in starts:
            continue
        if element_id is not None and task.task_spec.bpmn_id == element_id:
            chosen = task
        elif element_id is not None or task.task_spec.name in timed:
            task.cancel()
    if element_id is not None:
        if chosen is None:
            raise InvalidInput(f"流程 '{spec.name}' 没有定时器启动事件 '{element_id}' "
                               f"(no such timer start event)")
        _pass(chosen)


def _run_to_start_events(workflow) -> None:
    """Run Spiff's process start (and the split over several start events), so that the
    start event tasks exist and wait; nothing after them runs."""
    while True:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.workflow is workflow
                 and isinstance(t.task_spec, (BpmnStartTask, StartEventSplit))]
        if not ready:
            return
        for task in ready:
            task.run()


def _pass(task) -> None:
    """Mark the timer start event fired so the next engine steps run past it once."""
    task._set_internal_data(event_fired=True)
    if not task.children:  # a cycle timer predicts no children: it adds one per firing
        task._sync_children(task.task_spec.outputs, TaskState.FUTURE)
        for child in task.children:
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
    task.task_spec._update(task)


# --- the scheduler: claim, advance, start ----------------------------------------------

def due_ids(session: Session, limit: int | None = 100) -> list[int]:
    now = clock.now()
    query = (select(StartTimer.id).where(StartTimer.status == "active", StartTimer.next_due_at <= now)
             .where((StartTimer.lease_until.is_(None)) | (StartTimer.lease_until < now))
             .order_by(StartTimer.next_due_at).limit(limit))
    return list(session.scalars(query))


def claim(session: Session, row_id: int, owner: str) -> bool:
    """Take the lease on a due start timer; False if another scheduler has it or it is gone."""
    return leases.claim(session, StartTimer, row_id, owner, StartTimer.status == "active",
                        StartTimer.next_due_at <= clock.now())


def take(session: Session, row_id: int, owner: str) -> StartTimer | None:
    """Use up the claimed firing: advance the schedule and release the lease, only if the
    row is still as claimed (so an expired lease taken over by another scheduler, or a
    redeploy in between, cannot fire it twice). Returns the row as it was, or None."""
    row = session.get(StartTimer, row_id)
    if row is None or row.status != "active" or row.lease_owner != owner:
        return None
    now, due = clock.now(), row.next_due_at
    result = session.execute(
        update(StartTimer).where(StartTimer.id == row_id, StartTimer.status == "active",
                                 StartTimer.lease_owner == owner, StartTimer.next_due_at == due)
        .values(**_advanced(row, now), lease_owner=None, lease_until=None, last_fired_at=now,
                fired_count=StartTimer.fired_count + 1)
        .execution_options(synchronize_session=False))
    return row if result.rowcount == 1 else None


def _advanced(row: StartTimer, now: datetime) -> dict:
    """The schedule after the firing due at row.next_due_at, as of `now`."""
    if row.kind != "cycle":
        return {"remaining": 0, "status": "done"}
    state = resolve_cycle(row.text, row.next_due_at)
    state.update(cycles=row.remaining, next=row.next_due_at.isoformat())
    state = advance_cycle(state, row.next_due_at, now)
    if state["cycles"] == 0:
        return {"remaining": 0, "status": "done"}
    return {"remaining": state["cycles"], "next_due_at": datetime.fromisoformat(state["next"])}


def fire_one(engine, row_id: int, owner: str) -> str:
    """One firing of one start timer: 'started', 'failed', 'skipped' or 'conflict'."""
    try:
        with engine.uow() as uow:
            if not claim(uow.session, row_id, owner):
                return "skipped"
    except Conflict:
        return "skipped"  # another scheduler holds the database; it or the next tick fires it
    try:
        with engine.uow() as uow:
            row = take(uow.session, row_id, owner)
            if row is None:
                return "skipped"
            definition = uow.session.get(ProcessDefinition, row.definition_id)
            engine.start_in(uow, definition, SCHEDULER, {},
                                   trigger={"trigger": "timer", "element_id": row.element_id})
        return "started"
    except (InvalidInput, NotFound) as err:
        _record_failure(engine, row_id, owner, err)
        return "failed"
    except Conflict:
        return "conflict"


def _record_failure(engine, row_id: int, owner: str, err: Exception) -> None:
    """The instance could not start: the firing is used up (the schedule moves on) and the
    reason is in the audit trail."""
    with engine.uow() as uow:
        row = take(uow.session, row_id, owner)
        if row is not None:
            audit.record(uow.session, SCHEDULER, "timer_failed",
                         detail={"start_timer_id": row_id, "process_key": row.process_key,
                                 "element_id": row.element_id, "error": str(err)})
