"""A state's task fragments: each task's JSON text as it was read, reused when it is written
again unchanged.

A completion in a 200-item parallel step changes a handful of tasks (the item, its outer
task, what the engine ran next) but the state holds all ~210; encoding the whole tree on
every save made a completion cost O(items). The state's text is read once into its top
level and, for the top workflow's tasks, each task's parsed dict and the span of its text;
a task's text seen before (by this process: unchanged since an earlier command) is not
decoded again but shares the dict decoded then (`fragment_dict`, keyed by the text itself).
As each task is restored its data and internal data are copied (one level, in C: the
Taken that engine.runtime.task_codec keeps on the task). On save
a task is written as the text it was read from when nothing its text says can have moved:
the same state, last state change, triggered flag, spec, parent and children, and its data,
its internal data and its parent's data holding the very same scalar objects under the same
keys as at the load (identity, not equality: 1, 1.0 and True are equal in Python but not in
JSON, and a list changed in place is the same object). Only the other tasks are converted
and encoded; checking one costs a fraction of encoding it. The stored format is unchanged.
(A reused task keeps the delta it was read with; encoding it again could give a smaller
delta against a parent whose data has grown since, that reads back to the same data.)

Anything unusual falls back to the whole path: a state that is not compact JSON (spans
unknown), data that is not all JSON scalars (typed values, nested lists and dicts: always
encoded again).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from operator import is_

from engine.runtime.task_codec import TAKEN, Taken, text_of

# The attribute of a loaded top BpmnWorkflow that keeps its tasks as read (a ReadTasks).
READ_TASKS = "sanfu_read_tasks"

_SCALARS = frozenset((str, int, float, bool, type(None)))
_scan = json.JSONDecoder().scan_once  # the C scanner: (text, index) -> (value, end)


@dataclass
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
    """The top workflow's task mapping at `i`: each task's dict and the span of its text.

    A task's text usually ends where the next task's key begins (the next `":{"id":"` in the
    text, found by a C string search); that slice is decoded through `fragment_dict`, which
    remembers the fragments it decoded, so a task unchanged since an earlier command is not
    decoded again. A slice that decodes is exactly one JSON value, and a value has one end:
    the guess cannot cut a task wrong. When it is not the task's text (the last task, data
    that holds the pattern) the task is scanned from its start as before."""
    tasks, spans = {}, {}
    i += 1
    if text[i] == "}":
        return tasks, spans, i + 1
    find, next_key = text.find, text.find(_TASK_START, i)
    while True:
        key, i = _scan(text, i)
        if text[i] != ":":
            raise ValueError("not compact")
        start = i + 1
        next_key = find(_TASK_START, start) if next_key <= start else next_key
        end = next_key - len(key) - 2  # the comma before the next task's '"key":'
        value = fragment_dict(text[start:end]) if next_key > 0 and text[end] == "," else None
        if value is None:
            value, end = _scan(text, start)
        tasks[key], spans[key], i = value, (start, end), end
        if text[i] == "}":
            return tasks, spans, i + 1
        if text[i] != ",":
            raise ValueError("not compact")
        i += 1


_TASK_START = '":{"id":"'
_loads = json.loads


@lru_cache(maxsize=4096)  # ~8 MB at most: a 200-item step's state is ~210 fragments of ~400 bytes
def _fragment_dict(fragment: str) -> dict:
    return _loads(fragment)


def fragment_dict(fragment: str) -> dict | None:
    """The dict a task's JSON text decodes to, or None when the text is not one whole JSON object.

    Decoded once per text and shared (the text is the key: nothing can go stale); everything
    that reads a task's dict only reads it (see `parse`)."""
    try:
        value = _fragment_dict(fragment)
    except ValueError:
        return None
    return value if type(value) is dict else None


@dataclass
class TasksText:
    """A task mapping's JSON text, and where each task's value lies in it with the dict that
    value stands for (read back as the same: a reused task's dict as read, an encoded one's as
    encoded) — what the next save needs to reuse them again (`moved`)."""
    text: str
    spans: dict[str, tuple[int, int]]
    dicts: dict[str, dict]

    def moved(self, whole: str, offset: int) -> ReadTasks:
        """The tasks as read from `whole`, which holds this text at `offset`."""
        return ReadTasks(whole, {key: (start + offset, end + offset) for key, (start, end) in self.spans.items()},
                         self.dicts)


def tasks_text(tasks: dict, read: ReadTasks | None, encode_task) -> TasksText:
    """The JSON text of a top workflow's task mapping: unchanged tasks as they were read,
    the others through `encode_task(task) -> (text, dict)`."""
    call, read_dicts = object(), read.dicts if read is not None else {}
    taken_of = []
    for task in tasks.values():  # first each task's own data, which its children's text depends on too
        taken = getattr(task, TAKEN, None)
        if taken is not None and read_dicts.get(taken.dct["id"]) is not taken.dct:
            taken = None  # read from another text (or restored by another path)
        taken_of.append(taken)
        # `call` marks "same data as at the load" for this call only: a task no longer in the
        # mapping keeps an older mark, so its former children do not count it as unchanged.
        task.sanfu_same_data = call if taken is not None and identical(task.data, taken.data) else None
    spans = read.spans if read is not None else {}
    out = _Out(read.text if read is not None else "")
    for (task_id, task), taken in zip(tasks.items(), taken_of):
        if taken is not None and unchanged(task, taken, call):
            out.reuse(taken.dct, spans[taken.dct["id"]])
        else:
            out.encode(text_of(task_id), *encode_task(task))
    return out.done()


class _Out:
    """tasks_text's output: parts joined by commas, a run of unchanged tasks that lie one after
    another in the text read copied as one slice, each task's span in the output tracked."""

    def __init__(self, read: str):
        self.read, self.parts, self.spans, self.dicts = read, [], {}, {}
        self.at = 1  # where the next part starts in "{" + ",".join(parts) + "}"
        self.run_from = self.run_to = self.run_at = -1

    def reuse(self, dct: dict, span: tuple[int, int]) -> None:
        key, (start, end) = dct["id"], span
        key_start = start - len(key) - 3  # '"key":'
        if not (key_start == self.run_to + 1 and self.read[self.run_to] == ","):
            self.flush()
            self.run_from, self.run_at = key_start, self.at
        self.run_to = end
        shift = self.run_at - self.run_from
        self.spans[key], self.dicts[key] = (start + shift, end + shift), dct

    def encode(self, key: str, task_text: str, dct: dict) -> None:
        self.flush()
        part = f'"{key}":{task_text}'
        self.spans[key], self.dicts[key] = (self.at + len(key) + 3, self.at + len(part)), dct
        self._add(part)

    def flush(self) -> None:
        if self.run_from >= 0:
            self._add(self.read[self.run_from:self.run_to])
            self.run_from = self.run_to = -1

    def _add(self, part: str) -> None:
        self.parts.append(part)
        self.at += len(part) + 1

    def done(self) -> TasksText:
        self.flush()
        return TasksText("{" + ",".join(self.parts) + "}", self.spans, self.dicts)


def unchanged(task, taken: Taken, call) -> bool:
    """Whether `task` still serializes to its dict as read: see the module's doc."""
    dct = taken.dct
    if (task.sanfu_same_data is not call or task.state != dct["state"]
            or task.last_state_change != dct["last_state_change"] or task.triggered is not dct["triggered"]
            or task.task_spec.name != dct["task_spec"]):
        return False
    if (task._parent is not taken.parent_id or task._children != taken.children
            or not identical(task.internal_data, taken.internal)):
        return False
    parent = taken.parent
    return parent is None or getattr(parent, "sanfu_same_data", None) is call


def identical(current, taken: dict) -> bool:
    """`current` is a dict with the same keys, in the same order, bound to the very same
    JSON scalar objects as `taken` (a copy made at the load)."""
    if type(current) is not dict or len(current) != len(taken):
        return False
    return not taken or (all(map(is_, current, taken)) and all(map(is_, current.values(), taken.values()))
                         and _SCALARS.issuperset(map(type, taken.values())))
