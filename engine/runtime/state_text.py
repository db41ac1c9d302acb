"""A state's task fragments: each task's JSON text as it was read, reused when it is written
again unchanged.

A completion in a 200-item parallel step changes a handful of tasks (the item, its outer
task, what the engine ran next) but the state holds all ~210; encoding the whole tree on
every save made a completion cost O(items). The state's text is read once into its top
level and, for the top workflow's tasks, each task's parsed dict and the span of its text.
On save a task whose every serialized field still equals what was read (state, last state
change, triggered, spec, parent, children, internal data and its data delta to its parent,
compared by value and by type) is written as the text it was read from; only the others are
converted and encoded. The stored format is unchanged: the text written is what encoding
the whole dict would give, up to the key order inside a task that was read back unchanged.

Anything unusual falls back to the whole path: a state that is not compact JSON (spans
unknown), data that is not a dict of JSON scalars (typed values, nested lists: compared
only after conversion, so they are always re-encoded).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.runtime.task_codec import text_of, uuid_of

# The attribute of a loaded top BpmnWorkflow that keeps its tasks as read (a ReadTasks).
READ_TASKS = "sanfu_read_tasks"

_SCALARS = frozenset((str, int, float, bool, type(None)))
_scan = json.JSONDecoder().scan_once  # the C scanner: (text, index) -> (value, end)


@dataclass(frozen=True)
class ReadTasks:
    text: str
    spans: dict[str, tuple[int, int]]  # task id text -> span of its value in `text`
    dicts: dict[str, dict]  # task id text -> the dict parsed from that span

    def fragment(self, key: str) -> str:
        start, end = self.spans[key]
        return self.text[start:end]


def parse(text: str) -> tuple[dict, ReadTasks | None]:
    """The state's top-level dict and, when the text is compact JSON, its tasks as read.

    The task dicts are shared with the converters, which only read them (FastTaskConverter
    copies what it keeps; the registry's restore copies a dict before taking its typename)."""
    try:
        top, spans = _parse_top(text)
    except (StopIteration, IndexError, ValueError):
        return json.loads(text), None
    tasks = top.get("tasks")
    if spans is None or not isinstance(tasks, dict):
        return top, None
    return top, ReadTasks(text, spans, tasks)


def _parse_top(text: str) -> tuple[dict, dict | None]:
    if text[0] != "{":
        raise ValueError("not an object")
    top, spans, i = {}, None, 1
    while True:
        key, i = _scan(text, i)
        if text[i] != ":":
            raise ValueError("not compact")
        if key == "tasks" and text[i + 1] == "{":
            value, spans, i = _parse_tasks(text, i + 1)
        else:
            value, i = _scan(text, i + 1)
        top[key] = value
        if text[i] == "}":
            if i + 1 != len(text):
                raise ValueError("trailing text")
            return top, spans
        if text[i] != ",":
            raise ValueError("not compact")
        i += 1


def _parse_tasks(text: str, i: int) -> tuple[dict, dict, int]:
    tasks, spans = {}, {}
    i += 1
    if text[i] == "}":
        return tasks, spans, i + 1
    while True:
        key, i = _scan(text, i)
        if text[i] != ":":
            raise ValueError("not compact")
        start = i + 1
        tasks[key], i = _scan(text, start)
        spans[key] = (start, i)
        if text[i] == "}":
            return tasks, spans, i + 1
        if text[i] != ",":
            raise ValueError("not compact")
        i += 1


def tasks_text(tasks: dict, read: ReadTasks | None, encode_task) -> str:
    """The JSON text of a top workflow's task mapping: unchanged tasks as they were read,
    the others through `encode_task(task) -> str`."""
    parts = []
    for task_id, task in tasks.items():
        key = text_of(task_id)
        dct = read.dicts.get(key) if read is not None else None
        text = read.fragment(key) if dct is not None and unchanged(task, dct) else encode_task(task)
        parts.append(f'"{key}":{text}')
    return "{" + ",".join(parts) + "}"


def unchanged(task, dct: dict) -> bool:
    """Whether `task` serializes to what `dct` (a task dict read from the state) says."""
    if (task.state != dct["state"] or task.last_state_change != dct["last_state_change"]
            or task.triggered is not dct["triggered"] or task.task_spec.name != dct["task_spec"]
            or not same_scalars(task.internal_data, dct["internal_data"])):
        return False
    parent = dct["parent"]
    if parent is None:
        return task._parent is None and same_scalars(task.data, dct["data"]) and _same_children(task, dct)
    if task._parent != uuid_of(parent) or dct["data"]:
        return False
    delta = dct["delta"]
    parent_data = task.parent.data if task.parent is not None else None
    if parent_data is None:
        return False
    return (same_scalars(DeepMerge.get_updated_keys(parent_data, task.data), delta.get("updates", {}))
            and DeepMerge.get_deleted_keys(parent_data, task.data) == delta.get("deletions", [])
            and _same_children(task, dct))


def _same_children(task, dct: dict) -> bool:
    children = dct["children"]
    return len(task._children) == len(children) and all(
        text_of(child) == text for child, text in zip(task._children, children))


def same_scalars(current, read) -> bool:
    """Both dicts of JSON scalars with the same keys and equal values of the same type
    (1, 1.0 and True are equal in Python but not in JSON)."""
    if type(current) is not dict or type(read) is not dict or len(current) != len(read):
        return False
    for key, value in current.items():
        if type(value) not in _SCALARS:
            return False
        other = read.get(key, _MISSING)
        if type(other) is not type(value) or other != value:
            return False
    return True


_MISSING = object()
