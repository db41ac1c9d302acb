"""The SLA table: how many working days a step gets when its model does not say.

A step's deadline comes from the model (`camunda:dueDate`), else from the deployed decision
`sla` (processes/sla.dmn, edited in dmn-js or Camunda Modeler like routing.dmn), else from the
process's default (the process's 扩展属性 `sanfu:dueDate`, e.g. P5D). The table's inputs are
`process` (the process key), `step` (the element id), and the step's `category` and `severity`
where its data has them; its outputs: `days` (working days), and optionally `blue_share` and
`yellow_days` (engine.calendar.deadlines). No matching row: the process default applies."""
from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.deadlines import threshold_error
from engine.definitions.xmlsafe import parse_xml
from engine.dmn.evaluate import DecisionSet
from engine.dmn.model import parse_dmn
from engine.errors import ScriptError
from engine.store.cached import PerDatabase
from engine.store.tables import DecisionDefinition, SourceFile

DECISION = "sla"
_tables: dict[int, DecisionSet] = {}   # source file id -> its decisions, parsed once per process
_lock = threading.Lock()


def sla_terms(session: Session, spiff_task, process_key: str, element_id: str) -> dict:
    """The SLA row's outputs for this step ({} when no table is deployed or no row matches)."""
    file_id = _latest.get(session)
    if file_id is None:
        return {}
    decisions = _decisions(session, file_id)
    data = spiff_task.data
    context = {"process": process_key, "step": element_id,
               "category": data.get("category"), "severity": data.get("severity")}
    result = decisions.evaluate_with(DECISION, spiff_task, context)
    days = result.get("days")
    if days is None:
        return {}
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 <= days <= 3660:
        raise ScriptError(f"SLA 决策表给出的工作日数无效：{days!r} (sla days must be a number 0–3660)")
    terms = {key: result[key] for key in ("days", "blue_share", "yellow_days") if result.get(key) is not None}
    problem = threshold_error(terms)
    if problem:
        raise ScriptError(f"SLA 决策表：{problem}")
    return terms


def _query_latest_file_id(session: Session) -> int | None:
    return session.scalar(select(DecisionDefinition.file_id).where(DecisionDefinition.key == DECISION)
                          .order_by(DecisionDefinition.version.desc()).limit(1))


# Every step without a dueDate asks which table is deployed: looked up once a minute per
# database; a deploy of `sla` in this process is seen at once (`forget`), in others within a minute.
_latest = PerDatabase(_query_latest_file_id)


def forget(session: Session) -> None:
    _latest.forget(session)


def _decisions(session: Session, file_id: int) -> DecisionSet:
    with _lock:
        cached = _tables.get(file_id)
    if cached is not None:
        return cached
    source = session.get(SourceFile, file_id)
    decisions = DecisionSet()
    decisions.add(parse_dmn(parse_xml(source.content, source.name), source.name), source.name)
    with _lock:
        _tables[file_id] = decisions
    return decisions
