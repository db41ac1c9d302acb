"""The inbox rows as a projection of the workflow: a ready user task opens a row (routed to
its people, with its due date and its name evaluated), a task that is no longer ready
closes its row. The runtime calls this in the transaction that saves the workflow."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine import clock
from engine.calendar.deadlines import Thresholds, warning_moments
from engine.calendar.store import work_calendar
from engine.definitions.sla import sla_terms
from engine.dialects import juel
from engine.dialects.multi_instance import loop_variables
from engine.errors import ScriptError
from engine.inbox import task_rows
from engine.org.lanes import Context
from engine.org.routing import route
from engine.runtime.core import Loaded, engine_errors
from engine.sandbox.expressions import sandbox
from engine.store.tables import HumanTask
from engine.timers.due_dates import parse_due_date
from engine.timers.iso import add_working_duration


class TaskRowsProjection:
    def project(self, session: Session, loaded: Loaded, new: bool) -> None:
        ready = loaded.ready
        for task_id in loaded.open_before - ready.keys():
            row = session.get(HumanTask, task_id)
            if row is not None and row.status == "open":
                task_rows.close_task(session, row, "cancelled", None)
        for task_id, spiff_task in ready.items():
            if task_id not in loaded.open_before:
                _open(session, loaded, spiff_task)


def _open(session: Session, loaded: Loaded, spiff_task) -> None:
    built = loaded.built_for(spiff_task)
    element_id = spiff_task.task_spec.bpmn_id or spiff_task.task_spec.name
    meta = dict(built.task_meta.get(element_id, {}))
    data = {**loop_variables(spiff_task), **spiff_task.data}
    with engine_errors(element_id):
        routing = route(session, meta, data, loaded.instance.started_by,
                        Context(loaded.instance.unit_id, loaded.instance.enterprise_id))
        due = _deadline(session, meta, data, spiff_task, built.key, element_id)
        if meta.get("name") and juel.is_juel(meta["name"]):
            meta["name"] = str(sandbox().evaluate(juel.to_python(meta["name"]), data))[:255]
    task_rows.open_task(session, loaded.instance, spiff_task, meta, routing, due, built)


def _deadline(session: Session, meta: dict, data: dict, spiff_task, process_key: str, element_id: str) -> tuple:
    """(created_at, due_at, blue_at, yellow_at) of a task opening now, on the working-day
    calendar: the model's dueDate, else the SLA table's days, else the process default."""
    calendar, now = work_calendar(session), clock.now()
    if meta.get("due_date"):
        terms, due_at = {}, _due_at(calendar, meta["due_date"], data)
    else:
        terms = sla_terms(session, spiff_task, process_key, element_id)
        due_at = add_working_duration(now, {"days": terms["days"]}, calendar) if terms \
            else _due_at(calendar, meta.get("default_due"), data)
    thresholds = Thresholds.of({**{k: v for k, v in terms.items() if k != "days"}, **(meta.get("warnings") or {})})
    return (now, due_at, *warning_moments(calendar, now, due_at, thresholds))


def _due_at(calendar, text: str | None, data: dict):
    if not text:
        return None
    if juel.is_juel(text):
        text = sandbox().evaluate(juel.to_python(text), data)
        if not text:
            return None
        if not isinstance(text, str):
            raise ScriptError(f"dueDate 表达式的结果应为 ISO 8601 文本，实际为 {text!r}")
    return parse_due_date(text, clock.now(), calendar)
