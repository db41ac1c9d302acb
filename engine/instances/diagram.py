"""The instance page's content and its diagram: the deployed BPMN of the instance's version
with the steps done and the steps current, derived from the SpiffWorkflow state.

Who may look: admins, the starter, and anyone who may see one of the instance's tasks (the
task page's rule, engine.tasks.view.may_view). The diagram carries element ids and names
only, never instance data; the summary's history is masked as the task page masks it.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access
from engine.inbox import task_rows
from engine.org import privacy
from engine.org.lanes import Context
from engine.runtime.compaction import done_steps
from engine.runtime.core import instance_data
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.names import display_names
from engine.store.org_tables import Enterprise, Unit
from engine.store.tables import Instance, ProcessDefinition, SourceFile, User

# Current: ready (a user task in someone's inbox), waiting (a timer or message catch
# event), started (a call activity or subprocess running). A waiting boundary event is
# only armed on the step it is attached to: that step is what is current.
_ACTIVE_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class DiagramQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def instance_view(self, instance_id: int, actor: str, history_page: int = 1) -> dict:
        """The instance page: what it is, who started it, its open tasks, the steps done and
        current, and one page of its history, newest first (engine.store.audit.history_page;
        sensitive fields masked for those not allowed them)."""
        with self.uow(write=False) as uow:
            session = uow.session
            loaded = self.runtime.load(session, access.visible_instance(session, actor, instance_id))
            instance = loaded.instance
            return {**_summary(session, instance, _root(loaded)),
                    "open_tasks": _open_tasks(session, instance.id),
                    "steps": diagram_steps(loaded),
                    **_masked_history(session, loaded, instance, actor, history_page)}

    def instance_diagram(self, instance_id: int, actor: str) -> dict:
        """{"xml": the deployed BPMN file of the instance's version, "process_id",
        "completed": [element ids], "active": [element ids], "steps": [...]}."""
        with self.uow(write=False) as uow:
            session = uow.session
            loaded = self.runtime.load(session, access.visible_instance(session, actor, instance_id))
            instance, steps = loaded.instance, diagram_steps(loaded)
            return {"instance_id": instance.id, "process_id": instance.process_key,
                    "xml": _deployed_source(session, instance.definition_id),
                    "completed": [s["id"] for s in steps if s["state"] == "done"],
                    "active": [s["id"] for s in steps if s["state"] == "active"], "steps": steps}


def _root(loaded):
    """The BuiltSpec of the instance's own version (the one its diagram draws)."""
    return loaded.specs.owner[loaded.workflow.spec.name]


def diagram_steps(loaded) -> list[dict]:
    """The elements of the instance's own process (not of processes it calls), each once:
    done (completed and not current now) in the order they ran, then current ones."""
    root = _root(loaded)
    done: dict[str, str] = {}
    active: dict[str, str] = {}
    # Steps that ran in the part of the tree compaction dropped (engine.runtime.compaction) ran first.
    for process, element, name in done_steps(loaded.workflow):
        if loaded.specs.owner.get(process) is root and done.get(element, element) == element:
            done[element] = name or element
    for task in loaded.workflow.get_tasks():
        spec = task.task_spec
        if not spec.bpmn_id or loaded.specs.owner.get(task.workflow.spec.name) is not root:
            continue  # engine-internal tasks, and the called processes' own elements
        if task.state == TaskState.COMPLETED:
            _remember(done, spec)
        elif task.state & _ACTIVE_STATES and not isinstance(spec, BoundaryEvent):
            _remember(active, spec)
    # A step done before and current again (returned, looped) shows as current.
    return ([{"id": i, "name": n, "state": "done"} for i, n in done.items() if i not in active]
            + [{"id": i, "name": n, "state": "active"} for i, n in active.items()])


def _remember(steps: dict[str, str], spec) -> None:
    # A multi-instance activity's outer task has no name; its per-item tasks carry it.
    if steps.get(spec.bpmn_id, spec.bpmn_id) == spec.bpmn_id:
        steps[spec.bpmn_id] = spec.bpmn_name or spec.bpmn_id


def _deployed_source(session: Session, definition_id: int) -> str:
    # A version's bundle holds exactly the BPMN file that defines its process
    # (engine.definitions.deploy._docs_for); called processes are versions of their own.
    definition = session.get(ProcessDefinition, definition_id)
    return session.scalar(select(SourceFile.content).where(SourceFile.id == definition.bundle["bpmn"][0]))


def _summary(session: Session, instance: Instance, root) -> dict:
    enterprise = session.scalar(select(Enterprise.name).where(Enterprise.id == instance.enterprise_id)) \
        if instance.enterprise_id else None
    unit = session.scalar(select(Unit.name).where(Unit.id == instance.unit_id)) if instance.unit_id else None
    starter = session.scalar(select(User.display_name).where(User.name == instance.started_by))
    return {"id": instance.id, "process_key": instance.process_key, "version": instance.version,
            "process_name": root.spec.description or instance.process_key, "status": instance.status,
            "business_key": instance.business_key,
            "enterprise_id": instance.enterprise_id, "enterprise_name": enterprise or "",
            "unit_id": instance.unit_id, "unit_name": unit or "",
            "started_by": instance.started_by, "started_by_name": starter or instance.started_by,
            "started_at": instance.created_at.isoformat(),
            "ended_at": instance.ended_at.isoformat() if instance.ended_at else None}


def _open_tasks(session: Session, instance_id: int) -> list[dict]:
    rows = task_rows.open_tasks_of(session, instance_id)
    names = display_names(session, (row.assignee for row in rows))
    return [{**task_rows.shown(session, row), "assignee_name": names.get(row.assignee) or row.assignee}
            for row in rows]


def _masked_history(session: Session, loaded, instance: Instance, actor: str, page: int) -> dict:
    """A page of the audit history, with the fields any of the instance's forms (its own and
    those of the processes it called) mark sensitive masked unless `actor` may see them."""
    history, where = audit.history_page(session, instance.id, page)
    forms = {key: form for built in {id(b): b for b in loaded.specs.owner.values()}.values()
             for key, form in built.forms.items()}
    fields, lanes = privacy.sensitive_fields(forms)
    context = Context(instance.unit_id, instance.enterprise_id)
    if fields and not privacy.may_see(session, actor, lanes, context, instance_data(loaded.workflow)):
        history = privacy.masked(history, fields)
    return {"history": history, "history_page": where}
