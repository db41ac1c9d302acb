"""Deploying bundles as versioned process definitions, and rebuilding their specs.

A deploy is all-or-nothing: every file is checked first; only then are new versions
written. A process whose XML, decisions and forms are unchanged keeps its version.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import NamedTuple

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import clock
from engine.definitions import drafts, sla, validation
from engine.definitions.bundle import (
    Compiled,
    SourceDoc,
    compile_docs,
    content_hash,
    element_lines,
    process_spec,
    read_source,
)
from engine.dialects import namespaces
from engine.dialects.starters import START_KEY, start_meta_in
from engine.errors import DefinitionError, NotFound
from engine.jobs import start_events
from engine.org.lanes import reachable_somewhere
from engine.store import audit
from engine.store.ids import storable_id
from engine.store.tables import DecisionDefinition, Deployment, ProcessDefinition, SourceFile


@dataclass
class DeployResult:
    deployment_id: int | None
    processes: list[dict] = field(default_factory=list)
    decisions: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_bundle(paths: list[Path], forms_dir: Path) -> tuple[list[SourceDoc], dict[str, SourceDoc]]:
    docs = [read_source(Path(p)) for p in paths]
    forms = {}
    if forms_dir.is_dir():
        for path in sorted(forms_dir.glob("*.json")):
            doc = read_source(path)
            forms[path.stem] = doc
    return docs, forms


def deploy(session: Session, docs: list[SourceDoc], forms: dict[str, SourceDoc], actor: str) -> DeployResult:
    checked = check_bundle(session, docs, forms)
    return _store_versions(session, checked.compiled, checked.docs, forms, checked.schemas, actor,
                           checked.warnings)


class CheckedBundle(NamedTuple):
    compiled: Compiled
    docs: list[SourceDoc]  # with the deployed DMN files the bundle's processes reference
    schemas: dict
    warnings: list[str]


def check_bundle(session: Session, docs: list[SourceDoc], forms: dict[str, SourceDoc]) -> CheckedBundle:
    """Every check a deploy makes, saving nothing: `sanfu deploy` and the designer's 校验 both
    come here, so a bundle that validates deploys. Raises DefinitionErrors listing every
    problem, one per element (file, then document order). Hostile or malformed XML is refused
    at once; a file that breaks the BPMN schema or cannot be compiled is left out of the later
    checks (compile_docs), which would only report what follows from it; the others go on."""
    if not docs:
        raise DefinitionError("没有要部署的文件 (nothing to deploy)")
    compiled = compile_docs(docs, keep_going=True)
    extra = _deployed_decision_docs(session, compiled)
    if extra:
        docs_with_decisions = docs + extra
        compiled = compile_docs(docs_with_decisions, keep_going=True)
    else:
        docs_with_decisions = docs
    if not compiled.stopped:  # else the processes of a stopped file are just not compiled
        _require_executable(compiled, docs)
    warnings = list(compiled.warnings)
    deployed_keys = set(session.scalars(select(ProcessDefinition.key).distinct()))
    problems = compiled.refused  # what compiling refused element by element, and then every check's
    validation.check_models(compiled, problems)
    validation.check_task_meta(compiled, problems)
    validation.check_references(compiled, deployed_keys, problems)
    warnings.extend(validation.check_decisions(compiled, problems))
    schemas = validation.load_forms(compiled, forms, warnings, problems)
    refused_files = {err.file for err in problems.errors}
    for key, info in compiled.processes.items():
        if info.file not in refused_files:  # SpiffWorkflow would only echo those errors, in its words
            with problems.each():
                process_spec(compiled, key)
    problems.raise_any([d.name for d in docs_with_decisions], element_lines(compiled))
    warnings.extend(_unrouted_warnings(session, compiled))
    return CheckedBundle(compiled, docs_with_decisions, schemas, warnings)


def _deployed_decision_docs(session: Session, compiled: Compiled) -> list[SourceDoc]:
    """DMN files of already deployed decisions that this bundle's processes reference but
    do not bring along (the latest version of each is bound at deploy time)."""
    in_bundle = set().union(*compiled.decisions_by_file.values()) if compiled.decisions_by_file else set()
    wanted = set().union(*(p.decision_refs for p in compiled.processes.values())) - in_bundle \
        if compiled.processes else set()
    docs: dict[int, SourceDoc] = {}
    for key in sorted(wanted):
        row = session.scalar(select(DecisionDefinition).where(DecisionDefinition.key == key)
                             .order_by(DecisionDefinition.version.desc()).limit(1))
        if row is not None and row.file_id not in docs:
            source = session.get(SourceFile, row.file_id)
            docs[row.file_id] = SourceDoc(source.name, "dmn", source.content)
    return list(docs.values())


def _require_executable(compiled: Compiled, docs: list[SourceDoc]) -> None:
    if compiled.processes or (compiled.decisions_by_file and not compiled.roots):
        return
    for name, root in compiled.roots.items():
        for process in root.iter(namespaces.bpmn("process")):
            raise DefinitionError(
                "流程未标记为可执行 (isExecutable=\"false\")：在 Camunda Modeler 属性面板中勾选 "
                "“Executable”，或把 isExecutable 改为 true 后重新部署 (process is not executable)",
                file=name, element_id=process.get("id"), element_name=process.get("name"))
    raise DefinitionError("文件中没有流程 (no process in the files)", file=docs[0].name)


def _unrouted_warnings(session: Session, compiled: Compiled) -> list[str]:
    """A warning for each lane or candidate group that reaches nobody in any unit (lanes
    such as 科长 or 责任科室 route through the organisation at run time)."""
    reachable: dict[str, bool] = {}
    warnings = []
    for info in compiled.processes.values():
        for element_id, meta in info.task_meta.items():
            groups = list(meta["candidate_groups"])
            if meta["lane"] and not (meta["candidate_groups"] or meta["candidate_users"] or meta["assignee"]):
                groups.append(meta["lane"])
            for group in groups:
                if "${" in group:
                    continue
                if group not in reachable:
                    reachable[group] = reachable_somewhere(session, group)
                if not reachable[group]:
                    warnings.append(f"{info.file}: element '{element_id}' ({meta['name']}): 组 '{group}' "
                                    "没有成员，任务将进入未分派队列 (unrouted: group has no members)")
    return warnings


def _docs_for(compiled: Compiled, key: str, docs: list[SourceDoc], forms: dict[str, SourceDoc]):
    info = compiled.processes[key]
    bpmn = [d for d in docs if d.name == info.file]
    dmn = [d for d in docs if d.kind == "dmn"
           and compiled.decisions_by_file.get(d.name, set()) & info.decision_refs]
    form_docs = {k: forms[k] for k in sorted(info.form_keys) if k in forms}
    return bpmn, dmn, form_docs


def _store_versions(session, compiled, docs, forms, schemas, actor, warnings) -> DeployResult:
    deployment = Deployment(deployed_by=actor, deployed_at=clock.now(), summary={})
    session.add(deployment)
    session.flush()
    result = DeployResult(deployment.id, warnings=warnings)
    for key, info in compiled.processes.items():
        bpmn, dmn, form_docs = _docs_for(compiled, key, docs, forms)
        digest = content_hash(bpmn + dmn + list(form_docs.values()))
        latest = _latest(session, key)
        if latest is not None and latest.content_hash == digest:
            result.processes.append({"key": key, "version": latest.version, "status": "unchanged",
                                     "definition_id": latest.id})
            continue
        bundle = {"bpmn": [_store_file(session, d) for d in bpmn],
                  "dmn": [_store_file(session, d) for d in dmn],
                  "forms": {k: _store_file(session, d) for k, d in form_docs.items()},
                  START_KEY: start_meta_in(compiled.roots[info.file], key)}  # who starts it: engine.dialects.starters
        definition = ProcessDefinition(
            key=key, version=(latest.version + 1 if latest else 1), name=info.name,
            content_hash=digest, deployment_id=deployment.id, bundle=bundle,
            task_meta=info.task_meta, created_at=clock.now())
        session.add(definition)
        session.flush()
        start_events.schedule(session, definition, process_spec(compiled, key)[0])
        drafts.clear_draft(session, "process", key)  # the editor's draft is now obsolete
        result.processes.append({"key": key, "version": definition.version, "status": "deployed",
                                 "definition_id": definition.id})
    _store_decisions(session, compiled, docs, deployment.id, result)
    deployment.summary = {"files": [d.name for d in docs], "processes": result.processes,
                          "decisions": result.decisions, "warnings": warnings}
    audit.record(session, actor, "deploy", detail=deployment.summary)
    return result


def _store_decisions(session, compiled: Compiled, docs, deployment_id: int, result: DeployResult) -> None:
    by_name = {d.name: d for d in docs}
    for file_name, decision_ids in compiled.decisions_by_file.items():
        doc = by_name[file_name]
        for key in sorted(decision_ids):
            latest = session.scalar(select(DecisionDefinition).where(DecisionDefinition.key == key)
                                    .order_by(DecisionDefinition.version.desc()).limit(1))
            if latest is not None and latest.content_hash == doc.sha256:
                result.decisions.append({"key": key, "version": latest.version, "status": "unchanged"})
                continue
            row = DecisionDefinition(key=key, version=(latest.version + 1 if latest else 1), name=key,
                                     content_hash=doc.sha256, file_id=_store_file(session, doc),
                                     deployment_id=deployment_id, created_at=clock.now())
            session.add(row)
            drafts.clear_draft(session, "decision", key)  # the editor's draft is now obsolete
            if key == sla.DECISION:
                sla.forget(session)  # the next step without a dueDate reads the new table
            result.decisions.append({"key": key, "version": row.version, "status": "deployed"})


def _store_file(session: Session, doc: SourceDoc) -> int:
    existing = session.scalar(select(SourceFile.id).where(SourceFile.sha256 == doc.sha256))
    if existing is not None:
        return existing
    row = SourceFile(sha256=doc.sha256, kind=doc.kind, name=doc.name, content=doc.content)
    session.add(row)
    session.flush()
    return row.id


def _latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))


_REF = select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version) \
    .where(ProcessDefinition.key == bindparam("key"))
_LATEST = _REF.order_by(ProcessDefinition.version.desc()).limit(1)
_VERSION = _REF.where(ProcessDefinition.version == bindparam("version"))


class DefinitionRef(NamedTuple):
    id: int
    key: str
    version: int


def find_definition(session: Session, key: str, version: int | None = None) -> DefinitionRef:
    """The latest (or the given) version of `key`: just its identity — the spec itself comes
    from the SpecCache, so the bundle's JSON is not loaded on every start."""
    if version is None:
        row = session.connection().execute(_LATEST, {"key": key}).first()
    elif storable_id(version):
        row = session.connection().execute(_VERSION, {"key": key, "version": version}).first()
    else:
        row = None  # a version no database could hold
    definition = DefinitionRef(*row) if row is not None else None
    if definition is None:
        suffix = f" 版本 {version}" if version is not None else ""
        raise NotFound(f"流程 '{key}'{suffix} 未部署 (process not deployed)")
    return definition


@dataclass
class BuiltSpec:
    definition_id: int
    key: str
    version: int
    spec: object
    embedded: dict
    forms: dict[str, dict]
    task_meta: dict
    has_timers: bool = True
    catches_events: bool = True


class SpecCache:
    """Rebuilt specs of deployed versions, by definition id (they never change)."""

    def __init__(self, capacity: int = 256):
        self._items: OrderedDict[int, BuiltSpec] = OrderedDict()
        self._capacity = capacity
        self._lock = Lock()

    def get(self, session: Session, definition) -> BuiltSpec:
        return self.get_by_id(session, definition.id)

    def get_by_id(self, session: Session, definition_id: int) -> BuiltSpec:
        with self._lock:
            built = self._items.get(definition_id)
            if built is not None:
                self._items.move_to_end(definition_id)
                return built
        built = self._build(session, session.get(ProcessDefinition, definition_id))
        with self._lock:
            self._items[definition_id] = built
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return built

    def _build(self, session: Session, definition: ProcessDefinition) -> BuiltSpec:
        ids = list(definition.bundle["bpmn"]) + list(definition.bundle["dmn"])
        rows = {row.id: row for row in session.scalars(select(SourceFile).where(SourceFile.id.in_(ids)))}
        docs = [SourceDoc(rows[i].name, rows[i].kind, rows[i].content) for i in ids]
        compiled = compile_docs(docs)
        spec, embedded = process_spec(compiled, definition.key)
        for each in (spec, *embedded.values()):
            connect_loop_children(each)
        forms = {}
        for key, file_id in definition.bundle.get("forms", {}).items():
            row = session.get(SourceFile, file_id)
            forms[key] = validation.parse_form(SourceDoc(row.name, "form", row.content))
        return BuiltSpec(definition.id, definition.key, definition.version, spec, embedded, forms,
                         definition.task_meta, _has_events([spec, *embedded.values()], TIMER_EVENT_CLASSES),
                         _has_events([spec, *embedded.values()], CATCH_KINDS))


def connect_loop_children(spec) -> None:
    """Wire each loop / multi-instance task to its child's completion, as SpiffWorkflow's own
    spec deserializer does. Without it the wiring only happens when the children are created
    (LoopTask.create_child), so a process that did not create them — another web worker,
    the scheduler, a restart — would complete the children without ever merging them, and
    the multi-instance task would wait for ever."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


TIMER_EVENT_CLASSES = (TimerEventDefinition, MultipleEventDefinition)
CATCH_KINDS = (MessageEventDefinition, SignalEventDefinition, MultipleEventDefinition)


def _has_events(specs, kinds) -> bool:
    """Whether any task of these specs has an event definition of these kinds; lets a
    command skip projecting timer / subscription rows for models that have none."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(getattr(task_spec, "event_definition", None), kinds):
                return True
    return False
