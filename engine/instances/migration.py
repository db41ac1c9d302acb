"""Batch migration of running instances from one version of a process to another.

`plan_migration` is the dry run: per running instance of the old version, whether it can move
and why not (the rules are in engine.instances.migration_plan). `migrate` moves the movable
ones, each in its own transaction with the revision the plan saw (an instance that changed
meanwhile is refused and stays), audited per instance and once for the batch. After a move the
instance, its open inbox rows and its timer rows all name the new version.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.util.diff import migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import access
from engine.definitions.deploy import BuiltSpec, find_definition
from engine.dialects import juel
from engine.errors import Conflict, InvalidInput, SanfuError
from engine.instances.migration_plan import ROUTING_KEYS, assess, element_of
from engine.org.lanes import Context
from engine.org.routing import route
from engine.runtime.core import BoundSpecs, engine_errors, ready_human_tasks
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.tables import HumanTask, Instance, ProcessDefinition, TaskCandidate, Timer

CHANGED_MESSAGE = "实例在预演之后已有变化，未迁移，请重新预演 (the instance changed since the plan)"


class MigrationCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def migration_choices(self, actor: str) -> list[dict]:
        """Each deployed process key with its versions and how many instances run on each."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            running = dict(session.execute(select(Instance.definition_id, func.count()).where(
                Instance.status == "running").group_by(Instance.definition_id)).all())
            choices: dict[str, dict] = {}
            for definition in session.execute(select(
                    ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name)
                    .order_by(ProcessDefinition.key, ProcessDefinition.version)):
                entry = choices.setdefault(definition.key, {"key": definition.key, "versions": []})
                entry["name"] = definition.name or definition.key
                entry["versions"].append({"version": definition.version, "running": running.get(definition.id, 0)})
        return list(choices.values())

    def plan_migration(self, key: str, from_version: int, to_version: int,
                       mapping: dict[str, str] | None, actor: str) -> dict:
        """The dry run: nothing is written."""
        mapping = dict(mapping or {})
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_designer(session, actor)
            old, new = self._migration_versions(session, key, from_version, to_version, mapping)
            rows = [self._assess_row(session, instance, old, new, mapping)
                    for instance in session.scalars(select(Instance).where(
                        Instance.definition_id == old.definition_id, Instance.status == "running")
                        .order_by(Instance.id))]
        return {"key": key, "from_version": from_version, "to_version": to_version, "mapping": mapping,
                "dry_run": True, "instances": rows, **_totals(rows)}

    def migrate(self, key: str, from_version: int, to_version: int, mapping: dict[str, str] | None,
                actor: str, dry_run: bool = False) -> dict:
        plan = self.plan_migration(key, from_version, to_version, mapping, actor)
        if dry_run:
            return plan
        mapping = plan["mapping"]
        for row in plan["instances"]:
            if row["movable"]:
                self._migrate_row(row, key, from_version, to_version, mapping, actor)
        plan.update(dry_run=False, **_totals(plan["instances"]))
        with self.uow() as uow:
            audit.record(uow.session, actor, "instances_migrated", detail={  # "from"/"to" name people in the log
                "process_key": key, "from_version": from_version, "to_version": to_version, "mapping": mapping,
                "migrated": plan["migrated"], "failed": plan["blocked"]})
        return plan

    # one instance -----------------------------------------------------------------
    def _migrate_row(self, row: dict, key: str, from_version: int, to_version: int, mapping, actor: str) -> None:
        try:
            with self.uow() as uow:
                session = uow.session
                access.require_designer(session, actor)
                old, new = self._migration_versions(session, key, from_version, to_version, mapping)
                self._move(session, row, old, new, mapping, actor)
            row["migrated"] = True
        except SanfuError as err:
            row.update(movable=False, migrated=False, reasons=row["reasons"] + [str(err)])

    def _move(self, session: Session, row: dict, old: BuiltSpec, new: BuiltSpec, mapping, actor: str) -> None:
        instance = session.get(Instance, row["instance_id"])
        if instance is None or instance.revision != row["revision"] or instance.status != "running" \
                or instance.definition_id != old.definition_id:
            raise Conflict(CHANGED_MESSAGE, code="migration_stale")
        loaded = self.runtime.load(session, instance)
        verdict = assess(self.runtime.serializer.registry, loaded.workflow, old, new, mapping)
        if not verdict.movable:
            raise Conflict("；".join(verdict.reasons), code="migration_blocked")
        with engine_errors():
            _swap_specs(loaded.workflow, verdict.diffs)
        loaded.specs = BoundSpecs(self.runtime, session, instance, new)
        loaded.workflow.subprocess_specs = loaded.specs
        _retarget_instance(session, instance, new)
        self.runtime.advance(loaded)
        self.runtime.save(session, loaded, actor)
        _retarget_rows(session, loaded, old, new)
        audit.record(session, actor, "instance_migrated", instance_id=instance.id, detail={
            "process_key": new.key, "from_version": old.version, "to_version": new.version, "mapping": mapping})

    # helpers ----------------------------------------------------------------------
    def _migration_versions(self, session: Session, key: str, from_version: int, to_version: int,
                            mapping: dict[str, str]) -> tuple[BuiltSpec, BuiltSpec]:
        if from_version == to_version:
            raise InvalidInput("源版本与目标版本相同 (from and to are the same version)", code="same_version")
        old = self.runtime.specs.get(session, find_definition(session, key, from_version))
        new = self.runtime.specs.get(session, find_definition(session, key, to_version))
        _check_mapping(mapping, old, new)
        return old, new

    def _assess_row(self, session: Session, instance: Instance, old: BuiltSpec, new: BuiltSpec, mapping) -> dict:
        row = {"instance_id": instance.id, "revision": instance.revision, "subject": instance.subject,
               "business_key": instance.business_key, "current": [], "notes": [], "migrated": False}
        try:
            loaded = self.runtime.load(session, instance)
            verdict = assess(self.runtime.serializer.registry, loaded.workflow, old, new, mapping)
        except SanfuError as err:
            return {**row, "movable": False, "reasons": [str(err)]}
        return {**row, "movable": verdict.movable, "reasons": verdict.reasons, "notes": verdict.notes,
                "current": verdict.current}


def _totals(rows: list[dict]) -> dict:
    return {"total": len(rows), "movable": sum(r["movable"] for r in rows),
            "blocked": sum(not r["movable"] for r in rows), "migrated": sum(r["migrated"] for r in rows)}


def _all_ids(built: BuiltSpec) -> set[str]:
    ids = set(built.spec.task_specs)
    for spec in built.embedded.values():
        ids.update(spec.task_specs)
    return ids


def _check_mapping(mapping: dict[str, str], old: BuiltSpec, new: BuiltSpec) -> None:
    old_ids, new_ids = _all_ids(old), _all_ids(new)
    for source, target in mapping.items():
        if source not in old_ids:
            raise InvalidInput(f"映射 {source}={target}：版本 {old.version} 中没有环节 {source} "
                               "(no such element in the old version)", code="bad_mapping")
        if target not in new_ids:
            raise InvalidInput(f"映射 {source}={target}：版本 {new.version} 中没有环节 {target} "
                               "(no such element in the new version)", code="bad_mapping")


_KEPT = TaskState.READY | TaskState.WAITING


def _swap_specs(workflow, diffs: list[tuple]) -> None:
    """SpiffWorkflow's migrate_workflow resets what is ready or waiting: a timer would restart
    from now and a step's own data (what a 退回 brought back to it) would be replaced by its
    parent's. Each such step that is still there gets its data and its fire time back (a timer
    whose definition changed never gets here: the plan refuses it)."""
    kept = {task.id: (task.data, task.internal_data) for task in workflow.get_tasks(state=_KEPT)}
    for diff, sub, spec in diffs:
        migrate_workflow(diff, sub, spec)
    for task in workflow.get_tasks(state=_KEPT):
        if task.id in kept:
            task.data, task.internal_data = kept[task.id]


def _retarget_instance(session: Session, instance: Instance, new: BuiltSpec) -> None:
    table = Instance.__table__
    result = session.connection().execute(
        update(table).where(table.c.id == instance.id, table.c.revision == instance.revision)
        .values(definition_id=new.definition_id, version=new.version))
    if result.rowcount != 1:
        raise Conflict(CHANGED_MESSAGE, code="migration_stale")
    set_committed_value(instance, "definition_id", new.definition_id)
    set_committed_value(instance, "version", new.version)


def _retarget_rows(session: Session, loaded, old: BuiltSpec, new: BuiltSpec) -> None:
    """Open inbox rows of the process's own steps (not those of a called process) and pending
    timer rows name the new version's elements; a changed lane re-routes its task."""
    ready = ready_human_tasks(loaded.workflow)
    rows = session.scalars(select(HumanTask).where(HumanTask.instance_id == loaded.instance.id,
                                                   HumanTask.status == "open", HumanTask.process_key == old.key))
    for row in rows:
        spiff_task = ready.get(row.id)
        if spiff_task is not None:
            _retarget_task(session, loaded, row, spiff_task, old, new)
    by_id = {str(task.id): task for task in loaded.workflow.get_tasks(state=TaskState.WAITING)}
    for timer in session.scalars(select(Timer).where(Timer.instance_id == loaded.instance.id,
                                                     Timer.status == "pending")):
        if timer.task_id in by_id:
            timer.element_id = element_of(by_id[timer.task_id].task_spec)


def _retarget_task(session: Session, loaded, row: HumanTask, spiff_task, old: BuiltSpec, new: BuiltSpec) -> None:
    spec = spiff_task.task_spec
    element_id = element_of(spec)
    before, meta = old.task_meta.get(row.element_id, {}), new.task_meta.get(element_id, {})
    name = meta.get("name") or spec.bpmn_name or spec.name
    row.version, row.element_id, row.form_key = new.version, element_id, meta.get("form_key")
    row.lane = meta.get("lane") or getattr(spec, "lane", None)
    if not juel.is_juel(name):  # an evaluated name keeps the value it was given
        row.name = name[:255]
    if all(before.get(key) == meta.get(key) for key in ROUTING_KEYS):
        return
    instance = loaded.instance
    with engine_errors(element_id):
        routing = route(session, meta, dict(spiff_task.data), instance.started_by,
                        Context(instance.unit_id, instance.enterprise_id))
    row.assignee, row.unrouted = routing.assignee, routing.unrouted
    row.candidate_groups, row.candidate_users = routing.candidate_groups, routing.candidate_users
    session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))
    if routing.keys:
        session.execute(insert(TaskCandidate), [{"task_id": row.id, "kind": kind, "name": name}
                                                for kind, name in routing.keys])


def parse_mapping(lines: list[str]) -> dict[str, str]:
    """`OLD=NEW` pairs (the CLI's --map, the web page's lines) as a mapping; blank lines skipped."""
    mapping: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        source, sep, target = (part.strip() for part in line.partition("="))
        if not sep or not source or not target:
            raise InvalidInput(f"映射 {line!r} 应写作 旧环节=新环节 (a mapping is OLD=NEW)", code="bad_mapping")
        if source in mapping and mapping[source] != target:
            raise InvalidInput(f"环节 {source} 映射了两次 (mapped twice)", code="bad_mapping")
        mapping[source] = target
    return mapping
