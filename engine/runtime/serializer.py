"""Workflow state as JSON, with the spec stored by reference.

SpiffWorkflow's serializer embeds the whole process spec in every instance; sanfu stores
the spec once per deployed version and rebuilds it from a cache, so an instance row holds
only its own state (task tree, data, events).
"""
from __future__ import annotations

from json import encoder as encoder_module
from typing import NamedTuple
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.runtime import state_text
from engine.runtime.compaction import DONE_STEPS, done_steps
from engine.runtime.state_text import READ_TASKS, ReadTasks
from engine.runtime.task_codec import FastTaskConverter, text_of, uuid_of

STATE_FORMAT = "sanfu-1"


class _TasksLater:
    """Stands for the top workflow's task mapping in the dict `to_dict` gives: its text is
    made by engine.runtime.state_text (unchanged tasks as they were read)."""

    def __init__(self, tasks: dict):
        self.tasks = tasks


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def __init__(self, target_class, registry, tasks: FastTaskConverter | None = None):
        super().__init__(target_class, registry)
        self._tasks = tasks  # the top workflow's tasks straight to and from it, past the registry's dispatch
        self._later = None  # the top workflow's task mapping while `to_dict(..., tasks_later=True)` runs

    def mapping_to_dict(self, mapping, **kwargs):
        if mapping is self._later:
            return _TasksLater(mapping)
        if self._tasks is None:
            return super().mapping_to_dict(mapping, **kwargs)
        tasks = self._tasks
        # what the registry writes for a task: the converter's dict, then its typename
        return {(text_of(key) if type(key) is UUID else str(key)):
                ({**tasks.to_dict(value), "typename": tasks.typename} if type(value) is Task
                 else self.registry.convert(value, **kwargs))
                for key, value in mapping.items()}

    def mapping_from_dict(self, mapping, key_class=None, **kwargs):
        workflow = kwargs.get("workflow")
        if self._tasks is None or key_class is not UUID or workflow is None:
            return super().mapping_from_dict(mapping, key_class, **kwargs)
        tasks = self._tasks
        return {uuid_of(key): (tasks.from_dict(value, workflow) if value.get("typename") == tasks.typename
                               else self.registry.restore(value, **kwargs))
                for key, value in mapping.items()}

    def task_dict(self, task) -> dict:
        """What the registry writes for a task: the converter's dict, then its typename."""
        if self._tasks is None:
            return self.registry.convert(task)
        return {**self._tasks.to_dict(task), "typename": self._tasks.typename}

    def to_dict(self, workflow, tasks_later: bool = False):
        self._later = workflow.tasks if tasks_later else None
        try:
            dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        finally:
            self._later = None
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        if done_steps(workflow):  # the steps whose tasks compaction dropped (engine.runtime.compaction)
            dct["done_steps"] = done_steps(workflow)
        return dct

    def restore_with_spec(self, dct, spec, subprocess_specs, script_engine):
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine,
                                deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID,
                                                workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        setattr(workflow, DONE_STEPS, dct.pop("done_steps", []))
        return workflow


_COMPACT = {"ensure_ascii": False, "separators": (",", ":")}


def _plain(dct: dict) -> bool:
    return not dct.get("bpmn_events")


class _OneEncoder:
    """`json_encoder.encode` with its C encoder made once per save: JSONEncoder.encode makes one
    per call, and a save encodes each task it writes anew on its own (what that cost was most
    of encoding a small task). Same text: the same C encoder with the same settings."""

    def __init__(self, json_encoder):
        make = encoder_module.c_make_encoder
        self._one = None if make is None else make(
            {}, json_encoder.default, encoder_module.encode_basestring, None, ":", ",", False, False, True)
        self._fallback = json_encoder.encode

    def encode(self, value) -> str:
        if self._one is None:
            return self._fallback(value)
        return "".join(self._one(value, 0))


class Encoded(NamedTuple):
    text: str
    read_back: ReadTasks | None  # the top workflow's tasks as `text` would read back (state_text)
    encoded: list | None  # the tasks encoded anew (not written as they were read); None: all
    plain: bool = False  # no pending event in the text (written through SpiffWorkflow's generic converters)


class StateSerializer:
    def __init__(self):
        registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, Task: FastTaskConverter})
        tasks = FastTaskConverter(Task, registry)  # (registered again: the same converter, this instance)
        self._converter = StateOnlyWorkflowConverter(BpmnWorkflow, registry, tasks)
        self._serializer = BpmnWorkflowSerializer(registry)
        self._registry = registry

    @property
    def registry(self):
        """The spec converters: SpiffWorkflow's diff tools compare specs through them (migration)."""
        return self._registry

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """The state's JSON. A workflow read by `loads` writes its unchanged tasks as the text
        they were read from (engine.runtime.state_text); a new one is encoded whole."""
        return self.encode(workflow).text

    def encode(self, workflow: BpmnWorkflow) -> Encoded:
        """dumps(), with what reading that text back would give the top workflow's tasks (their
        spans and dicts) and the tasks encoded anew; both None when the state was encoded whole
        (a workflow not read by `loads`)."""
        read = getattr(workflow, READ_TASKS, None)
        encoder = _OneEncoder(self._serializer._encoder_cls(**_COMPACT))
        self._registry._encoder_mode = True
        try:
            dct = self._converter.to_dict(workflow, tasks_later=read is not None)
            dct["format"] = STATE_FORMAT
            if read is None:
                return Encoded(encoder.encode(dct), None, None, _plain(dct))
            parts, encoded, tasks = [], [], None
            for key, value in dct.items():
                head = f"{encoder.encode(key)}:"
                if type(value) is _TasksLater:
                    tasks = state_text.tasks_text(value.tasks, read, self._task_encoder(encoder, encoded))
                    offset = 1 + sum(len(part) + 1 for part in parts) + len(head)
                    parts.append(head + tasks.text)
                else:
                    parts.append(head + encoder.encode(value))
            text = "{" + ",".join(parts) + "}"
            return Encoded(text, tasks.moved(text, offset) if tasks is not None else None, encoded, _plain(dct))
        finally:
            self._registry._encoder_mode = False

    def _task_encoder(self, encoder, encoded: list):
        def encode_task(task) -> tuple[str, dict]:
            encoded.append(task)
            dct = self._converter.task_dict(task)
            return encoder.encode(dct), dct
        return encode_task

    def loads(self, text: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
        dct, read = state_text.parse(text)
        dct.pop("format", None)
        workflow = self._converter.restore_with_spec(dct, spec, subprocess_specs, script_engine)
        setattr(workflow, READ_TASKS, read)
        return workflow
