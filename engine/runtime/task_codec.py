"""SpiffWorkflow's task converter with the same output, at a fraction of the Python per task.

Every command reads and writes an instance's whole task tree, so the per-task cost of
SpiffWorkflow's TaskConverter is paid (tasks × 2) times per command: a 200-item parallel step
pays it 400 times. The profile showed where it goes: parsing and printing the same UUIDs
again and again (a task's id also appears as its parent's child and its children's parent),
and walking task data through the registry's generic converters although it is almost always
plain JSON. This converter writes and reads exactly the dictionaries TaskConverter does (the
stored state is unchanged, and either converter reads the other's), but:

- UUIDs are parsed and printed once per text and kept (they are immutable values: a bounded
  memo cannot go stale);
- data and internal data made only of JSON scalars are copied as they are; anything else
  (dates, nested objects, typed values) goes through the registry as before.
"""
from __future__ import annotations

from copy import copy
from functools import lru_cache
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

_SCALARS = frozenset((str, int, float, bool, type(None)))
_MUTABLE = (dict, list, set)
_new_task = Task.__new__


@lru_cache(maxsize=8192)  # a few MB: a 200-item step needs ~210 ids per command
def uuid_of(text: str) -> UUID:
    return UUID(text)


@lru_cache(maxsize=8192)  # a few MB: a 200-item step needs ~210 ids per command
def text_of(value: UUID) -> str:
    return str(value)


# The attribute of each restored task: what it held when it was read (a Taken), so that a save
# can tell it unchanged and write its text as read (engine.runtime.state_text). On the task
# itself: checking it then needs no lookup by id (a UUID hashes in Python).
TAKEN = "sanfu_taken"


class Taken:
    __slots__ = ("dct", "data", "internal", "parent_id", "children", "parent")

    def __init__(self, dct: dict, task, parent):
        self.dct, self.data, self.internal = dct, dict(task.data), dict(task.internal_data)
        self.parent_id, self.children, self.parent = task._parent, list(task._children), parent


def _plain(mapping) -> bool:
    """A dict of JSON scalars: nothing in it the registry would convert, restore or clean."""
    return type(mapping) is dict and _SCALARS.issuperset(map(type, mapping.values()))


class FastTaskConverter(TaskConverter):
    def _restore(self, value):
        if not value and type(value) is dict:
            return {}
        if _plain(value) and "typename" not in value:
            return dict(value)
        return self.registry.restore(value)

    def _convert(self, value):
        if _plain(value):
            return dict(value)
        return self.registry.convert(value)

    def to_dict(self, task):
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {"updates": DeepMerge.get_updated_keys(parent.data, task.data),
                     "deletions": DeepMerge.get_deleted_keys(parent.data, task.data)}
        return {
            "id": text_of(task.id),
            "parent": text_of(task._parent) if parent is not None else None,
            "children": [text_of(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self._convert(task.internal_data),
            "data": data,
            "delta": delta,
        }

    def from_dict(self, dct, workflow):
        tasks, task_spec, task_id = workflow.tasks, workflow.spec.task_specs.get(dct["task_spec"]), uuid_of(dct["id"])
        if task_spec is None or self.target_class is not Task:  # (Task.__init__ would make up a StartTask)
            task = self.target_class(workflow, task_spec, state=dct["state"], id=task_id)
            task_spec, thread_id = task.task_spec, task.thread_id
        else:  # the constructor's own work (a uuid4, time.time(), empty dicts) would all be overwritten below
            task, thread_id = _new_task(Task), Task.thread_id_pool
            tasks[task_id] = task
        parent_text = dct["parent"]
        parent_id = uuid_of(parent_text) if parent_text is not None else None
        delta = dct.get("delta")
        parent = tasks.get(parent_id) if delta and parent_id is not None else None
        if parent is not None:
            # DeepMerge.merge({}, parent.data): a copy whose lists and dicts are copied one level
            data = {key: copy(value) if isinstance(value, _MUTABLE) else value
                    for key, value in parent.data.items()}
            data.update(self._restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = self._restore(dct["data"])
        # What Task.__init__ sets, in its order, with what TaskConverter.from_dict sets over it.
        task.__dict__.update({
            "id": task_id, "workflow": workflow, "_parent": parent_id,
            "_children": [uuid_of(child) for child in dct["children"]], "_state": dct["state"],
            "triggered": dct["triggered"], "task_spec": task_spec, "thread_id": thread_id, "data": data,
            "internal_data": self._restore(dct["internal_data"]), "last_state_change": dct["last_state_change"]})
        if isinstance(task_spec, CatchingEvent) and task._state & TaskState.WAITING:
            workflow.top_workflow.event_manager.add_task(task)
        if parent is not None or parent_id is None:
            setattr(task, TAKEN, Taken(dct, task, parent))
        return task
