"""Workflow state as JSON, with the spec stored by reference.

SpiffWorkflow's serializer embeds the whole process spec in every instance; sanfu stores
the spec once per deployed version and rebuilds it from a cache, so an instance row holds
only its own state (task tree, data, events).
"""
from __future__ import annotations

import json
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.runtime.compaction import DONE_STEPS, done_steps
from engine.runtime.task_codec import FastTaskConverter, text_of, uuid_of

STATE_FORMAT = "sanfu-1"


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def __init__(self, target_class, registry, tasks: FastTaskConverter | None = None):
        super().__init__(target_class, registry)
        self._tasks = tasks  # the top workflow's tasks straight to and from it, past the registry's dispatch

    def mapping_to_dict(self, mapping, **kwargs):
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

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
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
        self._registry._encoder_mode = True
        try:
            dct = self._converter.to_dict(workflow)
        finally:
            self._registry._encoder_mode = False
        dct["format"] = STATE_FORMAT
        return json.dumps(dct, cls=self._serializer._encoder_cls, ensure_ascii=False,
                          separators=(",", ":"))

    def loads(self, text: str, spec, subprocess_specs, script_engine) -> BpmnWorkflow:
        dct = json.loads(text)
        dct.pop("format", None)
        return self._converter.restore_with_spec(dct, spec, subprocess_specs, script_engine)
