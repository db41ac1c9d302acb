"""What the task page shows: the task, its form, the current data, what the viewer may do,
and the instance's history — for those who may see it (holder, candidates, deputies, the
starter, those who worked on it, supervising roles in scope, admins)."""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.enterprises import visits
from engine.inbox import task_rows
from engine.org import privacy
from engine.org.lanes import Context
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import Enterprise
from engine.store.tables import HumanTask, ProcessDefinition
from engine.tasks import collab_queries
from engine.tasks.actions import previous_step
from engine.tasks.cosign import cosign_view
from engine.tasks.deadline_view import deadline_actions


class TaskViewQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def task_form(self, task_id: str, actor: str) -> dict:
        """What a form submission needs, without loading the workflow: the task, its form
        and what `actor` may do with it. The completion itself then loads the workflow once,
        in its one write transaction."""
        with self.uow(write=False) as uow:
            session = uow.session
            row, user = access.visible_task(session, actor, task_id)
            return {"task": task_rows.task_dict(row), "form": self.runtime.form_of(session, row),
                    **access.task_permissions(session, row, user)}

    def task_view(self, task_id: str, actor: str) -> dict:
        with self.uow(write=False) as uow:
            return task_view(self, uow.session, task_id, access.actor(uow.session, actor))


def task_view(engine, session: Session, task_id: str, actor) -> dict:
    row, instance = access.task_and_instance_seen_by(session, actor, task_id)
    loaded = engine.runtime.load(session, instance)
    spiff_task = _in_tree(loaded.workflow, task_id)
    built = loaded.built_for(spiff_task) if spiff_task is not None else None
    history, where = audit.history_page(session, instance.id)  # the newest page: a long history is paged
    if built is not None:
        data, forms = dict(spiff_task.data), built.forms
    else:  # a finished step compacted out of the tree: its form as deployed, its data as the audit kept it
        data = _completed_with(session, row)
        forms = {row.form_key: engine.runtime.form_of(session, row)} if row.form_key else {}
    draft = collab_queries.draft_of(session, row)
    fields, lanes = privacy.sensitive_fields(forms)
    ctx = Context(instance.unit_id, instance.enterprise_id)
    if fields and not privacy.may_see(session, actor.name, lanes, ctx, data):
        data, history = privacy.masked(data, fields), privacy.masked(history, fields)
        draft = {**draft, "data": privacy.masked(draft["data"], fields)} if draft else None
    enterprise = session.scalar(select(Enterprise.name).where(Enterprise.id == row.enterprise_id)) \
        if row.enterprise_id else None
    task = {**task_rows.shown(session, row), "enterprise_name": enterprise or "",
            "process_name": (built.spec.description if built is not None else _process_name(session, row))
            or row.process_key}
    flags = _flags(session, row, actor, spiff_task)
    form = forms.get(row.form_key) if row.form_key else None
    return {"task": task, "form": forms.get(row.form_key) if row.form_key else None,
            "data": {k: v for k, v in data.items() if not k.startswith("_")}, **flags,
            "history": history, "history_page": where,
            "draft": draft if flags["can_save_draft"] else None,
            "delegation": collab_queries.delegation_of(session, row),
            **dict(zip(("comments", "comments_older"), collab_queries.comments_of(session, row.instance_id))),
            "copies": (copies := collab_queries.copies_of(session, row.id)),
            "my_copy": next((c for c in copies if c["recipient"] == actor.name), None),
            "choices": collab_queries.choices(session, row, actor.name, holder=flags["can_transfer"]),
            # 避免扎堆服务: said before the visit is recorded, to whoever may record it.
            "visit_warnings": visits.duplicate_visit_warnings(session, row, row.assignee or actor.name)
            if flags["can_complete"] else [],
            **deadline_actions(session, row, actor, spiff_task),  # 催办, 延期, 退单, 告诫
            **cosign_view(session, row, actor, form, flags)}  # 加签


def _in_tree(workflow, task_id: str):
    """The step in the loaded workflow, or None: finished rounds are compacted out of the stored
    tree (engine/runtime/compaction.py), so a completed task may no longer be there."""
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        return None


def _process_name(session: Session, row: HumanTask) -> str:
    return session.scalar(select(ProcessDefinition.name).where(ProcessDefinition.key == row.process_key,
                                                               ProcessDefinition.version == row.version)) or ""


def _completed_with(session: Session, row: HumanTask) -> dict:
    """The data a task was completed with, as its `task_completed` audit event recorded it."""
    done = audit.last_event(session, row.instance_id, row.id, "task_completed")
    return dict((done["detail"] or {}).get("data") or {}) if done else {}


def _flags(session: Session, row: HumanTask, actor, spiff_task) -> dict:
    flags = access.task_permissions(session, row, actor)
    acts = flags["can_transfer"]  # holds it, and it is not delegated
    return {**flags, "can_return": acts and previous_step(session, spiff_task)[0] is not None}
