"""Bulk actions on inbox rows: claim, 转办 transfer (with a reason), and complete tasks whose
form is only an acknowledgement (engine.definitions.forms.is_acknowledgement).

Each task is its own Engine command — its own transaction: one failure does not undo the
others, and a failed task is left exactly as it was. The outcome of every task (done, or
the reason it failed) is returned in the order asked.
"""
from __future__ import annotations

from sqlalchemy import select

from engine import access
from engine.definitions.forms import is_acknowledgement
from engine.errors import InvalidInput, SanfuError
from engine.runtime.facade import EngineParts
from engine.store.org_tables import Enterprise
from engine.store.tables import HumanTask, Instance

MAX_TASKS = 100


def _task_ids(task_ids) -> list[str]:
    unique = list(dict.fromkeys(str(t).strip() for t in task_ids or () if str(t).strip()))
    if not unique:
        raise InvalidInput("请先勾选要处理的任务 (select at least one task)")
    if len(unique) > MAX_TASKS:
        raise InvalidInput(f"一次最多处理 {MAX_TASKS} 项任务 (at most {MAX_TASKS} tasks at once)")
    if any(len(t) > 64 for t in unique):
        raise InvalidInput("任务编号无效 (bad task id)")
    return unique


def describe(engine, task_ids: list[str], actor: str) -> dict[str, dict]:
    """Name and enterprise of the tasks `actor` may see (for the outcome list)."""
    with engine.uow(write=False) as uow:
        session = uow.session
        user = access.actor(session, actor)
        rows = session.scalars(select(HumanTask).where(HumanTask.id.in_(task_ids))).all()
        names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(
            Enterprise.id.in_({r.enterprise_id for r in rows if r.enterprise_id}))).all())
        return {r.id: {"name": r.name, "enterprise_name": names.get(r.enterprise_id, "")} for r in rows
                if access.may_view_task(session, actor, r, session.get(Instance, r.instance_id), user.is_admin)}


def _run(engine, task_ids, actor: str, action) -> list[dict]:
    ids = _task_ids(task_ids)
    known = describe(engine, ids, actor)
    outcomes = []
    for task_id in ids:
        outcome = {"task_id": task_id, "name": "", "enterprise_name": "", **known.get(task_id, {})}
        try:
            action(task_id)
        except SanfuError as err:
            outcomes.append({**outcome, "ok": False, "message": str(err)})
        else:
            outcomes.append({**outcome, "ok": True, "message": ""})
    return outcomes


def claim_tasks(engine, task_ids, actor: str) -> list[dict]:
    return _run(engine, task_ids, actor, lambda task_id: engine.claim(task_id, actor))


def transfer_tasks(engine, task_ids, actor: str, *, reason: str | None, to_user: str | None = None,
                   to_section: str | None = None) -> list[dict]:
    """转办 each task to the same person or section of its unit, for the same reason."""
    if not (reason or "").strip():
        raise InvalidInput("请填写转办理由 (a reason is required)")
    to_user, to_section = (to_user or "").strip() or None, (to_section or "").strip() or None
    if not (to_user or to_section):
        raise InvalidInput("请指定转办给谁：人员或科室 (transfer to whom?)")
    return _run(engine, task_ids, actor, lambda task_id: engine.transfer(
        task_id, actor, reason=reason, to_user=to_user, to_section=to_section))


def acknowledgement_data(schema: dict) -> dict:
    """The submission of an acknowledgement form: every required boolean set to true."""
    return {name: True for name in schema.get("required") or []}


def acknowledgement_form(engine, task_id: str, actor: str) -> dict:
    """The task's form if it is an acknowledgement; otherwise InvalidInput (open the task)."""
    with engine.uow(write=False) as uow:
        session = uow.session
        row, _user = access.visible_task(session, actor, task_id)
        form = engine.runtime.form_of(session, row)
        if not is_acknowledgement(form):
            raise InvalidInput("该任务需要填写表单，请打开任务逐项办理 (the form needs input: open the task)")
        return form


def complete_acknowledgements(engine, task_ids, actor: str) -> list[dict]:
    def complete(task_id: str):
        form = acknowledgement_form(engine, task_id, actor)
        engine.complete(task_id, actor, acknowledgement_data(form))
    return _run(engine, task_ids, actor, complete)


class BulkCommands(EngineParts):
    """Mixed into engine.service.Engine: each selected task is its own command."""

    def bulk_claim(self, task_ids, actor: str) -> list[dict]:
        return claim_tasks(self, task_ids, actor)

    def bulk_transfer(self, task_ids, actor: str, *, reason: str | None, to_user: str | None = None,
                      to_section: str | None = None) -> list[dict]:
        return transfer_tasks(self, task_ids, actor, reason=reason, to_user=to_user, to_section=to_section)

    def bulk_complete_acknowledgements(self, task_ids, actor: str) -> list[dict]:
        return complete_acknowledgements(self, task_ids, actor)
