"""一事一单: ledger matters as queryable records, projected from the ledger_matter process.

Each run of `ledger_matter` — an instance of its own, or a call from the service process
(one per finding) — has one `ledger_matters` row. It is rewritten from the workflow's data
and open step whenever the instance is saved, inside the same transaction, so the ledger
never disagrees with the process.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.definitions.forms import referenced_id
from engine.store.collab_tables import Attachment
from engine.store.org_tables import LedgerMatter
from engine.store.tables import HumanTask

PROCESS = "ledger_matter"
# The open step of the shipped model → the matter's status (unknown steps read "open").
STEP_STATUS = {"rectify": "rectifying", "verify": "verifying", "hand_over": "handing_over",
               "await_answer": "awaiting_answer"}
RECTIFY_STEP = "rectify"
END_STATUS = {"销号": "closed", "解释说明": "explained"}
SOURCES = {"enterprise_service": "体检", "complaint_12369": "12369"}


def workflows_of(workflow) -> list[tuple[str, object]]:
    """(scope, workflow) for every run of ledger_matter in this instance."""
    found = [("", workflow)] if workflow.spec.name == PROCESS else []
    found += [(str(task_id), sub) for task_id, sub in workflow.subprocesses.items() if sub.spec.name == PROCESS]
    return found


def project(session: Session, instance, workflow) -> None:
    runs = workflows_of(workflow)
    if not runs:
        return
    existing = {row.scope: row for row in session.scalars(
        select(LedgerMatter).where(LedgerMatter.instance_id == instance.id))}
    rectifying, changed = [], []
    for scope, run in runs:
        row = existing.get(scope)
        if row is None:
            row = LedgerMatter(instance_id=instance.id, scope=scope, status="open")
            session.add(row)
        open_ids, moved = _fill(session, row, instance, run)
        if open_ids:
            rectifying.append((row, open_ids))
        if moved or row.id is None:
            changed.append(row)
    if rectifying:  # every matter's 整改期限 in one statement (a finding each: several matters)
        due = _due_dates(session, [task_id for _row, ids in rectifying for task_id in ids])
        for row, ids in rectifying:
            deadline = min((due[i] for i in ids if due.get(i) is not None), default=None)
            if _assign(row, {"deadline": deadline}) and row not in changed:
                changed.append(row)
    # A matter the save left as it was is not written (most saves move one matter of several,
    # or none: a step of the service process itself); its updated_at says when it last changed.
    for row in changed:
        row.updated_at = clock.now()


def _data(run) -> dict:
    last = run.last_task or run.task_tree
    return last.data if last is not None else {}


def _fill(session: Session, row: LedgerMatter, instance, run) -> tuple[list[str], bool]:
    """Fill the row from the run: the ids of its open 整改 steps, whose deadline is the
    matter's, and whether anything of the row changed."""
    data = _data(run)
    finding = data.get("finding") if isinstance(data.get("finding"), dict) else {}
    pick = lambda key: str(finding.get(key) or data.get(key) or "")  # noqa: E731 - tiny accessor
    status, open_ids = _status(run, data)
    changed = _assign(row, {
        "enterprise_id": instance.enterprise_id, "unit_id": instance.unit_id,
        "source": str(data.get("source") or SOURCES.get(instance.process_key, "")),
        "category": pick("category"), "description": pick("description"), "severity": pick("severity"),
        "section": str(data.get("section") or ""), "responsible_person": str(data.get("responsible_person") or ""),
        "measures": str(data.get("measures") or ""), "explanation": str(data.get("explanation") or ""),
        "evidence": _evidence(session, data.get("evidence")),
        "department": str(data.get("department") or ""), "answer": str(data.get("answer_content") or ""),
        "status": status})
    if status in END_STATUS.values() and row.closed_at is None:
        row.closed_at, changed = clock.now(), True
    return open_ids, changed


def _assign(row: LedgerMatter, values: dict) -> bool:
    """Set the attributes whose value differs; whether any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _evidence(session: Session, items) -> list[str]:
    """佐证材料 as the ledger shows it: an attachment reference reads as its filename."""
    items = [item for item in (items if isinstance(items, list) else []) if item not in (None, "")]
    ids = {found for found in map(referenced_id, items) if found}
    query = select(Attachment.id, Attachment.filename).where(Attachment.id.in_(ids))
    names = {row.id: row.filename for row in session.execute(query)} if ids else {}
    shown = []
    for item in items:
        found = referenced_id(item)
        shown.append(str(item) if found is None else names.get(found, "（附件已不存在）"))
    return shown


def _status(run, data: dict) -> tuple[str, list[str]]:
    ready = [t for t in run.get_tasks(state=TaskState.READY, manual=True)]
    if run.is_completed() or not ready:
        return END_STATUS.get(str(data.get("decision") or ""), "closed" if run.is_completed() else "open"), []
    steps = [STEP_STATUS.get(t.task_spec.bpmn_id, "open") for t in ready]
    main = next((s for s in steps if s != "open"), "open")
    # 整改期限 is the rectification step's deadline; it stays when the matter moves on.
    return main, [str(t.id) for t in ready if t.task_spec.bpmn_id == RECTIFY_STEP]


def _due_dates(session: Session, task_ids: list[str]) -> dict:
    return dict(session.execute(select(HumanTask.id, HumanTask.due_at).where(HumanTask.id.in_(task_ids))).all())


def ledger_of(session: Session, enterprise_id: int) -> list[dict]:
    """一企一账: every matter of an enterprise, newest first."""
    rows = session.scalars(select(LedgerMatter).where(LedgerMatter.enterprise_id == enterprise_id)
                           .order_by(LedgerMatter.id.desc()))
    return [matter_dict(r) for r in rows]


def matter_dict(row: LedgerMatter) -> dict:
    out = {c.name: getattr(row, c.name) for c in LedgerMatter.__table__.columns}
    for key in ("deadline", "closed_at", "updated_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


class LedgerProjection:
    """The runtime's hook: instances of the 台账事项 process (and those calling it) keep
    their ledger matter rows in step."""

    def project(self, session: Session, loaded, new: bool) -> None:
        if PROCESS in loaded.specs.owner:
            project(session, loaded.instance, loaded.workflow)
