"""Load → act → project → save, for one instance inside one unit of work.

`Runtime.load` rebuilds the SpiffWorkflow object from the instance's state and the cached
spec (or takes the one this process kept after saving that very state: engine.runtime.warm);
`Runtime.advance` runs engine steps; `Runtime.save` writes the state, the call-activity
bindings and the message/signal subscriptions, and runs the injected projections (inbox
rows, timer rows, ledger matters) in the same transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from engine import clock
from engine.calendar.days import activate
from engine.calendar.store import work_calendar
from engine.definitions.deploy import BuiltSpec, SpecCache, find_definition
from engine.errors import Conflict, InvalidInput, NotFound, SanfuError, ScriptError, WorkflowInconsistent
from engine.jobs import start_events
from engine.runtime import compaction, events
from engine.runtime.serializer import Encoded, StateSerializer
from engine.runtime.task_codec import text_of
from engine.runtime.warm import WarmWorkflows, keep_when_committed, rebind
from engine.sandbox.expressions import script_engine
from engine.store import audit, write_behind
from engine.store.tables import Instance, ProcessDefinition
from engine.store.uow import CONFLICT_MESSAGE, READ_ONLY

MAX_ENGINE_ROUNDS = 100


class BoundSpecs(dict):
    """Subprocess specs of one instance. Embedded subprocesses are known up front; a call
    activity binds to the latest deployed version of the called process when it is first
    reached (as Camunda does) and keeps that binding for the instance's life."""

    def __init__(self, runtime: Runtime, session: Session, instance: Instance, root: BuiltSpec):
        super().__init__(root.embedded)
        self._runtime, self._session, self._instance = runtime, session, instance
        self.owner = {name: root for name in root.embedded}
        self.owner[root.spec.name] = root
        self.new_bindings: dict[str, int] = {}

    def __missing__(self, name):
        bindings = self._instance.bindings or {}
        if name in bindings:
            built = self._runtime.specs.get_by_id(self._session, bindings[name])
        else:
            built = self._runtime.specs.get(self._session, find_definition(self._session, name))
            self.new_bindings[name] = built.definition_id
        for sub_name, sub_spec in built.embedded.items():
            dict.__setitem__(self, sub_name, sub_spec)
            self.owner[sub_name] = built
        self.owner[name] = built
        dict.__setitem__(self, name, built.spec)
        return built.spec

    def __bool__(self) -> bool:
        # BpmnWorkflow replaces a falsy subprocess_specs with a plain dict: stay truthy.
        return True

    def may_have_timers(self) -> bool:
        return any(built.has_timers for built in self.owner.values())

    def may_catch_events(self) -> bool:
        return any(built.catches_events for built in self.owner.values())

    def get(self, name, default=None):
        try:
            return self[name]
        except NotFound:
            return default

    def __contains__(self, name):
        return self.get(name) is not None


@dataclass
class Loaded:
    instance: Instance
    workflow: BpmnWorkflow
    specs: BoundSpecs
    # Human tasks open when loaded: the inbox rows are a projection of exactly these, so
    # comparing before/after tells which rows to open and close without querying them.
    open_before: frozenset[str] = frozenset()
    # Human tasks ready when saved, by id (set by save, before the projections read it).
    ready: dict = field(default_factory=dict)
    # Messages/signals the workflow threw that nothing inside it caught (set by save).
    thrown: list = field(default_factory=list)
    bindings_changed: bool = False
    # A new instance's state as encoded before its INSERT (encode_new), kept warm by its save.
    saved: Encoded | None = None
    # Whether the workflow has ended, asked once per save (SpiffWorkflow walks the task tree
    # to answer) and read by the projections.
    completed: bool = False
    noted: dict = field(default_factory=dict)  # by projection: what its on_load saw

    def built_for(self, spiff_task) -> BuiltSpec:
        return self.specs.owner[spiff_task.workflow.spec.name]


class Projection(Protocol):
    """A table kept in step with the workflow state (inbox rows, timer rows, ledger matters),
    written in the transaction that saves the instance. Optionally `on_load(loaded)`: called as
    a stored instance is loaded, before the command changes it, to note in loaded.noted what
    its save will compare with."""

    def project(self, session: Session, loaded: Loaded, new: bool) -> None: ...


class Runtime:
    """Load, advance and save instances. What else a save writes is injected: the Engine
    composes the projections (engine.service), this module knows none of them."""

    def __init__(self, specs: SpecCache | None = None, projections: Sequence[Projection] = ()):
        self.specs = specs or SpecCache()
        self.serializer = StateSerializer()
        self.projections = tuple(projections)
        self._on_load = tuple(p.on_load for p in self.projections if hasattr(p, "on_load"))
        self.warm = WarmWorkflows()  # engine.runtime.warm: the workflows this process saved last

    def new(self, session: Session, instance: Instance, data: dict,
            start_event: str | None = None) -> Loaded:
        root = self.specs.get_by_id(session, instance.definition_id)
        specs = BoundSpecs(self, session, instance, root)
        activate(work_calendar(session))  # timer durations count its working days
        workflow = BpmnWorkflow(root.spec, specs, script_engine=script_engine())
        workflow.data.update(data)
        workflow.task_tree.data.update(data)
        with engine_errors(start_event):  # timer start events: see engine.jobs.start_events
            start_events.choose_start(workflow, start_event)
        return Loaded(instance, workflow, specs)

    def load(self, session: Session, instance: Instance) -> Loaded:
        root = self.specs.get_by_id(session, instance.definition_id)
        specs = BoundSpecs(self, session, instance, root)
        activate(work_calendar(session))
        # a query's unit of work reads its own copy: it may not save, so it could not keep one
        kept = None if session.info.get(READ_ONLY) else self.warm.take(instance)
        if kept is not None:
            workflow, open_now = kept
            rebind(workflow, specs, script_engine())
        else:
            with engine_errors():
                workflow = self.serializer.loads(instance.state, root.spec, specs, script_engine())
            open_now = frozenset(ready_human_tasks(workflow))
        loaded = Loaded(instance, workflow, specs, open_now)
        for on_load in self._on_load:
            on_load(loaded)
        return loaded

    def form_of(self, session: Session, row) -> dict | None:
        """The JSON Schema form of a human task row, from its definition's cached spec."""
        if not row.form_key:
            return None
        definition_id = session.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.key == row.process_key, ProcessDefinition.version == row.version))
        return self.specs.get_by_id(session, definition_id).forms.get(row.form_key) if definition_id else None

    def advance(self, loaded: Loaded) -> None:
        """Run the engine's steps until only people's steps and waiting events are left.

        Spiff's do_engine_steps ends by refreshing the timers: one already due is caught
        there (its event READY) but not run, and would wait for the next command while its
        timer row counts as fired — a 督办 lost. So run again while an engine step is ready
        (bounded: a long-overdue cycle timer catches once per round)."""
        workflow = loaded.workflow
        with engine_errors():
            for _round in range(MAX_ENGINE_ROUNDS):
                do_engine_steps(workflow)
                if next(ready_tasks(workflow, manual=False), None) is None:
                    return

    def save(self, session: Session, loaded: Loaded, actor: str, *, new: bool = False) -> None:
        instance, workflow = loaded.instance, loaded.workflow
        now = clock.now()
        self._record_bindings(session, loaded, actor)
        loaded.completed = really_completed(workflow)
        loaded.ready = ready_human_tasks(workflow)
        for projection in self.projections:
            projection.project(session, loaded, new)
        loaded.thrown = events.thrown(workflow)
        if loaded.specs.may_catch_events():
            events.project(session, instance, workflow, new)
        values, saved = {}, loaded.saved
        if not new:  # a new instance was serialized (and stamped) before its INSERT: encode_new
            compaction.compact(workflow)  # after the projections: they read what just finished
            saved = self.serializer.encode(workflow)
            values = {"state": saved.text, "updated_at": now}
        if loaded.bindings_changed:
            values["bindings"] = instance.bindings
        if loaded.completed and instance.status == "running":
            values.update(status="completed", ended_at=now)
            audit.record(session, actor, "instance_completed", instance_id=instance.id)
        if values:
            write_instance(session, instance, values)
        if saved is not None:
            keep_when_committed(session, self.warm, instance, workflow, saved, loaded.ready)

    def encode_new(self, loaded: Loaded) -> str:
        """The state text of a new instance, for its INSERT; its save keeps the workflow warm."""
        loaded.saved = self.serializer.encode(loaded.workflow)
        return loaded.saved.text

    def _record_bindings(self, session, loaded: Loaded, actor: str) -> None:
        if not loaded.specs.new_bindings:
            return
        bindings = dict(loaded.instance.bindings or {})
        for name, definition_id in loaded.specs.new_bindings.items():
            bindings[name] = definition_id
            built = self.specs.get_by_id(session, definition_id)
            audit.record(session, actor, "call_activity_bound", instance_id=loaded.instance.id,
                         detail={"process_key": name, "version": built.version})
        set_committed_value(loaded.instance, "bindings", bindings)
        loaded.bindings_changed = True
        loaded.specs.new_bindings = {}


_INSTANCES = Instance.__table__
_WRITE_COLUMNS = ("state", "updated_at", "status", "ended_at", "bindings")
_UPDATES: dict[tuple[str, ...], object] = {}


def _update_instance(columns: tuple[str, ...]):
    """The UPDATE of these columns with the revision check, built once per set of columns (a
    handful: a completion writes state and updated_at; the end of an instance, its status too)."""
    statement = _UPDATES.get(columns)
    if statement is None:
        statement = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("b_id"),
                                             _INSTANCES.c.revision == bindparam("b_revision")) \
            .values({**{name: bindparam(name) for name in columns}, "revision": _INSTANCES.c.revision + 1})
        statement = _UPDATES.setdefault(columns, statement)
    return statement


_INSERT_INSTANCE = insert(_INSTANCES).returning(_INSTANCES.c.id)
_INSERT_COLUMNS = tuple(column.key for column in _INSTANCES.c if column.key != "id")


_NEW_INSTANCE = inspect(Instance).class_manager.new_instance


def new_instance(**values) -> Instance:
    """An instance not yet saved, its values put in place without the ORM's attribute events
    (`Instance(**values)` fires one per value); insert_instance saves it."""
    instance = _NEW_INSTANCE()
    instance_state(instance).dict.update(values)
    return instance


def insert_instance(session: Session, instance: Instance) -> None:
    """INSERT a new instance with one plain statement (RETURNING its id) and keep the object in
    the session as if it had just been loaded: the ORM's unit-of-work flush of one new row costs
    more than half a millisecond of Python on every start. The revision starts at 1, where the
    ORM's version counter would; every later write checks and bumps it (write_instance).
    Every column is put in the object's loaded values (none left expired: no lazy SELECT later)
    directly, not through the attribute events: make_transient_to_detached commits them all anyway."""
    loaded = instance_state(instance).dict
    loaded["revision"] = 1
    if loaded.get("bindings") is None:
        loaded["bindings"] = {}
    values = {name: loaded.get(name) for name in _INSERT_COLUMNS}
    loaded.update(values)
    loaded["id"] = session.connection().execute(_INSERT_INSTANCE, values).scalar_one()
    make_transient_to_detached(instance)
    session.add(instance)


def write_instance(session: Session, instance: Instance, values: dict) -> None:
    """Save the instance's new state with the optimistic revision check, as one plain
    UPDATE; a concurrent command that saved first makes this one a Conflict. The columns set
    are those given, those changed on the object, and status and ended_at once the instance is
    no longer running (a 撤回 puts them on the object for this save): SQLite rewrites the index
    entry of every indexed column a SET names, changed or not, and a running instance's status
    would cost every completion's commit one page more."""
    pending = instance_state(instance).committed_state
    ended = instance.status != "running" or instance.ended_at is not None
    columns = tuple(name for name in _WRITE_COLUMNS
                    if name in values or name in pending or ended and name in ("status", "ended_at"))
    row = {name: values.get(name, getattr(instance, name)) for name in columns}
    result = write_behind.execute(session.connection(), columns, _update_instance(columns),  # + all that waits
                                  {**row, "b_id": instance.id, "b_revision": instance.revision})
    if result.rowcount != 1:
        raise Conflict(CONFLICT_MESSAGE)
    for name, value in row.items():
        set_committed_value(instance, name, value)
    set_committed_value(instance, "revision", instance.revision + 1)


def do_engine_steps(workflow) -> None:
    """`BpmnWorkflow.do_engine_steps()` of SpiffWorkflow 3.2, step for step, with its search for
    READY tasks (`get_tasks(state=READY)`, then those not `manual`) done by `ready_tasks`, which
    yields the same tasks in the same order: the iterator's bookkeeping was a third of a start's
    workflow time (it is asked again after every round of steps)."""
    while _engine_round(workflow):
        pass
    workflow.refresh_timers()


def _engine_round(workflow) -> bool:
    """`BpmnWorkflow._do_engine_steps`: the active subprocesses, deepest first, then the workflow."""
    active = workflow.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda sub: sub.depth, reverse=True):
        while _run_ready(subprocess):
            pass
        if subprocess.parent_task_id is not None:
            task = workflow.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)
    return _run_ready(workflow) > 0 or len(workflow.get_active_subprocesses()) > len(active)


def _run_ready(workflow) -> int:
    """Run the engine tasks ready now (listed first, as SpiffWorkflow does, then run); how many."""
    tasks = list(ready_tasks(workflow, manual=False))
    for task in tasks:
        task.run()
    return len(tasks)


def really_completed(workflow) -> bool:
    """Whether the workflow has ended, asked of SpiffWorkflow and checked against its own
    tasks: its answer walks the tree only 1000 levels deep, so a tree grown that deep (an
    uncompacted loop) would say "completed" with a step still open. Never record that."""
    if not workflow.is_completed():
        return False
    if compaction.unfinished_tasks(workflow):
        raise WorkflowInconsistent()
    return True


def instance_data(workflow) -> dict:
    """What the instance knows now: its start data overlaid with the latest task's data."""
    last = workflow.last_task
    data = {**workflow.data, **(last.data if last is not None else {})}
    return {k: v for k, v in data.items() if not k.startswith("_")}


def ready_human_tasks(workflow) -> dict:
    """The ready user tasks of the top `workflow` and its subprocesses, by id, in the order
    SpiffWorkflow's iterator gives them (`get_tasks(state=READY, manual=True)`)."""
    return {text_of(task.id): task for task in ready_tasks(workflow, manual=True)}  # (str, remembered)


def ready_tasks(workflow, *, manual: bool):
    """The READY tasks whose spec's `manual` is `manual`, as SpiffWorkflow's iterator yields them
    (depth first, a subprocess's tree before the children of the task that runs it, nothing below
    a predicted task), walked here directly: asked three times per command, the iterator's
    bookkeeping cost more than the rest of a 200-item step's Python. Unlike the iterator, no
    depth bound (1000)."""
    subprocesses = workflow.top_workflow.subprocesses
    pending = [workflow.task_tree]
    while pending:
        task = pending.pop()
        if task._state == TaskState.READY and task.task_spec.manual == manual:
            yield task
        subprocess = subprocesses.get(task.id) if subprocesses else None  # (a UUID hashes in Python)
        if subprocess is not None:
            following = [subprocess.task_tree, *task.children]
        elif task._children and task._state >= TaskState.FUTURE:
            following = task.children
        else:
            continue
        pending.extend(reversed(following))


class engine_errors:
    """Translate SpiffWorkflow and sandbox failures into one clear ScriptError."""

    def __init__(self, element_id: str | None = None):
        self.element_id = element_id

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, SanfuError) and not isinstance(exc, ScriptError):
            return False
        if isinstance(exc, ScriptError):
            raise ScriptError(_locate(self.element_id, str(exc))) from None
        if isinstance(exc, WorkflowTaskException):
            spec = exc.task.task_spec if getattr(exc, "task", None) else None
            where = (spec.bpmn_id or spec.name) if spec else self.element_id
            inner = exc.exception if getattr(exc, "exception", None) else None
            reason = str(inner) if isinstance(inner, SanfuError) else str(exc)
            raise ScriptError(_locate(where, reason)) from None
        if isinstance(exc, (SpiffWorkflowException, KeyError, TypeError, ValueError, AttributeError)):
            raise InvalidInput(_locate(self.element_id, f"流程运行出错：{exc}")) from None
        return False


def _locate(element_id: str | None, reason: str) -> str:
    return f"element '{element_id}': {reason}" if element_id and element_id not in reason else reason
