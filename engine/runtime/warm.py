"""Workflows kept warm in this process between the commands on an instance.

Every command used to rebuild the instance's SpiffWorkflow object from its stored state; in a
200-item parallel step that rebuild (~210 task objects) was over a third of a completion, and a
quarter of a plain one's Python. A command that saved a workflow now keeps the object, once its
transaction has committed, with the exact text it wrote; the next command on that instance
takes it instead of rebuilding it when the instance's stored state is still that very text
(compared whole: a revision alone would not do, since claims bump it without touching the state,
and any writer that changes the state changes the text). Nothing can go stale across workers
or processes: another worker's write changes the text, and this one rebuilds.

Kept only when the object is exactly what rebuilding from its text would give:

- every task written anew by this save holds JSON values only (str keys, lists, dicts,
  scalars: a tuple, a date or an int key would read back as something else), and so do the
  workflow's own data, its message correlations and its steps done; the tasks written as they
  were read are unchanged since a load from text (engine.runtime.state_text), so they hold
  what that text holds;
- the same holds for every subprocess (a call activity's run, an embedded subprocess): its
  data, its correlations and all its tasks' data hold JSON values only; and its subprocesses
  are listed in the order a load restores them (the top workflow's tasks in order, each
  subprocess followed by its own), which is also the order their waiting events are caught in;
- no pending event (written through SpiffWorkflow's generic converters);
- and the object's read state is moved onto the new text (`rebase`), so that the next save
  still writes unchanged tasks as they were read.

Taken out whole (nobody else holds it while a command uses it), put back only after a commit;
a command that fails, or a read-only unit of work, leaves nothing behind. Bounded by the total
number of tasks held.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState

from engine.runtime.compaction import done_steps
from engine.runtime.state_text import READ_TASKS, parse
from engine.runtime.task_codec import TAKEN, Taken, text_of
from engine.store.uow import after_commit

# Tasks held at most, over all kept workflows (a 200-item step's workflow holds ~210).
MAX_TASKS = 20_000

_SCALARS = frozenset((str, int, float, bool, type(None)))


def json_exact(value) -> bool:
    """Whether `value` reads back from its JSON text as an equal value of the same types."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is dict:
        return all(type(key) is str and json_exact(item) for key, item in value.items())
    if kind is list:
        return all(map(json_exact, value))
    return False


def rebase(workflow, saved) -> bool:
    """Make `workflow` as if just loaded from the text it was saved as (`saved`: the
    serializer's Encoded). False (and `workflow` not to be kept) when loading that text could
    give anything else than `workflow`. A state encoded whole (a start's) is read back only if
    a command takes it (`read_back`): a start stays as cheap as before."""
    read, encoded = saved.read_back, saved.encoded
    if not saved.plain or not all(map(json_exact, (
            workflow.data, getattr(workflow, "correlations", {}), done_steps(workflow)))):
        return False
    if workflow.subprocesses and not _subprocesses_as_read(workflow):
        return False
    tasks = workflow.tasks
    if not all(json_exact(task.data) and json_exact(task.internal_data)
               for task in (tasks.values() if encoded is None else encoded)):
        return False
    if read is not None:
        for task in encoded:  # the others' Taken stands: written as read, their dict is the one read
            _take_as(task, read.dicts[text_of(task.id)], tasks)
        setattr(workflow, READ_TASKS, read)
    elif encoded is not None:
        return False
    _wait_as_read(workflow)
    return True


def _subprocesses_as_read(top) -> bool:
    """Put `top`'s subprocesses in the order a load restores them (BpmnWorkflowConverter.
    subprocesses_from_dict: the tasks of each workflow in order, a subprocess followed by its
    own); False when a load would not give them all, or one of them holds a value that would
    read back otherwise."""
    ordered = {}

    def visit(workflow) -> None:
        for task_id, task in workflow.tasks.items():
            sub = top.subprocesses.get(task_id)
            if sub is not None and task_id not in ordered and isinstance(task.task_spec, SubWorkflowTask):
                ordered[task_id] = sub
                visit(sub)
    visit(top)
    if len(ordered) != len(top.subprocesses) or not all(map(_exact_run, ordered.values())):
        return False
    top.subprocesses.clear()
    top.subprocesses.update(ordered)
    return True


def _exact_run(sub) -> bool:
    return json_exact(sub.data) and json_exact(sub.correlations) and all(
        json_exact(task.data) and json_exact(task.internal_data) for task in sub.tasks.values())


def _wait_as_read(workflow) -> None:
    """The workflow's waiting catch events registered as a load registers them (each waiting
    catching task, in the order of the tasks, then of each subprocess's tasks): SpiffWorkflow
    keeps the live list as tasks start and stop waiting, which could differ from it in order or
    in a task compaction dropped."""
    workflow.event_manager.tasks = {
        task_id: task for run in (workflow, *workflow.subprocesses.values()) for task_id, task in run.tasks.items()
        if task._state & TaskState.WAITING and isinstance(task.task_spec, CatchingEvent)}


def keep_when_committed(session, warm: WarmWorkflows, instance, workflow, saved, ready: dict) -> None:
    """Keep `workflow`, just saved as `saved` (the serializer's Encoded) with these human tasks
    `ready`, for the instance's next command once this unit of work has committed, when
    rebuilding it from the text would give the same object."""
    if not rebase(workflow, saved):
        return
    # (read now: the commit expires the instance's attributes; compaction keeps unfinished tasks)
    key = (instance.id, instance.definition_id, dict(instance.bindings or {}))
    text, open_tasks = saved.text, frozenset(ready)
    after_commit(session, lambda: warm.keep(*key, text, workflow, open_tasks))


def rebind(workflow, specs, script_engine) -> None:
    """Give a kept workflow this command's specs and script engine, and look each subprocess's
    spec up in them as a load does (which tells the command whose spec a task is: BoundSpecs.owner)."""
    workflow.subprocess_specs, workflow.script_engine = specs, script_engine
    for sub in workflow.subprocesses.values():
        specs.get(sub.spec.name)


def read_back(workflow, text: str) -> None:
    """Give a workflow saved whole its tasks as read from `text`, as `loads` would have."""
    _, read = parse(text)
    if read is None:
        return
    tasks = workflow.tasks
    for task_id, task in tasks.items():
        dct = read.dicts.get(text_of(task_id))
        if dct is None:
            return
        _take_as(task, dct, tasks)
    setattr(workflow, READ_TASKS, read)


def _take_as(task, dct: dict, tasks: dict) -> None:
    parent = tasks.get(task._parent) if task._parent is not None else None
    if parent is not None or task._parent is None:  # as FastTaskConverter.from_dict keeps it
        setattr(task, TAKEN, Taken(dct, task, parent))


@dataclass
class _Kept:
    definition_id: int
    bindings: dict
    text: str
    workflow: object
    open_tasks: frozenset  # the ids of its ready human tasks (what a load would find)
    size: int


class WarmWorkflows:
    """Instance id -> the workflow last saved for it by this process (see the module's doc)."""

    def __init__(self, max_tasks: int = MAX_TASKS):
        self.max_tasks = max_tasks
        self._kept: OrderedDict[int, _Kept] = OrderedDict()
        self._tasks = 0
        self._lock = threading.Lock()

    def take(self, instance) -> tuple | None:
        """(workflow, ids of its ready human tasks) kept for `instance` if its stored state is
        still the text it was saved as, else None; either way nothing is kept for it any more."""
        with self._lock:
            kept = self._kept.pop(instance.id, None)
            if kept is not None:
                self._tasks -= kept.size
        if kept is None or kept.definition_id != instance.definition_id \
                or kept.text != instance.state or kept.bindings != (instance.bindings or {}):
            return None
        if getattr(kept.workflow, READ_TASKS, None) is None:
            read_back(kept.workflow, kept.text)
        return kept.workflow, kept.open_tasks

    def keep(self, instance_id: int, definition_id: int, bindings: dict, text: str, workflow,
             open_tasks: frozenset = frozenset()) -> None:
        size = len(workflow.tasks)
        if size > self.max_tasks:
            return
        with self._lock:
            old = self._kept.pop(instance_id, None)
            if old is not None:
                self._tasks -= old.size
            self._kept[instance_id] = _Kept(definition_id, dict(bindings or {}), text, workflow, open_tasks, size)
            self._tasks += size
            while self._tasks > self.max_tasks:
                _, dropped = self._kept.popitem(last=False)
                self._tasks -= dropped.size

    def __len__(self) -> int:
        return len(self._kept)
