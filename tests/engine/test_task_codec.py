"""The stored state is the same whichever task converter writes it: sanfu's faster one
(engine.runtime.task_codec) and SpiffWorkflow's own write identical JSON, and each reads the
other's — instances saved before the change load after it, and the other way round."""
from __future__ import annotations

import json
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.definitions.bundle import SourceDoc, compile_docs, process_spec
from engine.runtime.core import ready_human_tasks
from engine.runtime.serializer import StateOnlyWorkflowConverter, StateSerializer
from engine.runtime.state_text import READ_TASKS
from engine.sandbox.expressions import script_engine
from tests.helpers.models import process

# A parallel multi-instance step between two user tasks, and a loop back: children, siblings,
# data deltas and deletions all appear in the stored tree.
MODEL = process("codec", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="visit" name="Visit"/>
<bpmn:userTask id="items" name="Item">
  <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>
  </bpmn:multiInstanceLoopCharacteristics>
</bpmn:userTask>
<bpmn:userTask id="close" name="Close"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit"/>
<bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="items"/>
<bpmn:sequenceFlow id="f3" sourceRef="items" targetRef="close"/>
<bpmn:sequenceFlow id="f4" sourceRef="close" targetRef="end"/>""")


class SpiffsOwn(StateSerializer):
    """The same state format with SpiffWorkflow's own TaskConverter (as before the change)."""

    def __init__(self):
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self._converter = StateOnlyWorkflowConverter(BpmnWorkflow, registry)
        self._serializer = BpmnWorkflowSerializer(registry)
        self._registry = registry


def _spec():
    spec, embedded = process_spec(compile_docs([SourceDoc("codec.bpmn", "bpmn", MODEL)]), "codec")
    return spec, dict(embedded)


def _states_along_the_way() -> list[str]:
    """The stored state after each step, with data the registry must convert (a date, nested
    dicts and lists) next to plain values, and a key deleted on the way."""
    spec, embedded = _spec()
    workflow = BpmnWorkflow(spec, embedded, script_engine=script_engine())
    workflow.data.update({"unit": "市局"})
    workflow.do_engine_steps()
    writer, states = SpiffsOwn(), []
    rounds = [{"visited": datetime(2026, 3, 1, 9, 30), "notes": {"a": [1, 2, {"b": None}]}, "tmp": 1},
              {"ok": True, "score": 1.5}, {"ok": False, "list": ["x", "y"]}, {"ok": True}, {"closed": "是"}]
    for data in rounds:
        task = next(iter(ready_human_tasks(workflow).values()))
        task.data.update(data)
        task.data.pop("tmp", None) if "ok" in data else None
        task.run()
        workflow.do_engine_steps()
        states.append(writer.dumps(workflow))
    assert workflow.is_completed()
    return states


def test_the_fast_converter_writes_what_spiffworkflow_writes_and_each_reads_the_other():
    spec, embedded = _spec()
    ours, theirs = StateSerializer(), SpiffsOwn()
    for state in _states_along_the_way():
        from_theirs = ours.loads(state, spec, dict(embedded), script_engine())
        assert ours.dumps(from_theirs) == state
        assert theirs.dumps(from_theirs) == state
        from_ours = theirs.loads(ours.dumps(from_theirs), spec, dict(embedded), script_engine())
        assert theirs.dumps(from_ours) == state
        restored = {str(t.id): t.data for t in from_theirs.get_tasks()}
        expected = {str(t.id): t.data for t in theirs.loads(state, spec, dict(embedded), script_engine()).get_tasks()}
        assert restored == expected  # the dates come back as dates, the nested values as they were


def test_typed_data_still_goes_through_the_registry():
    state = _states_along_the_way()[0]
    spec, embedded = _spec()
    workflow = StateSerializer().loads(state, spec, dict(embedded), script_engine())
    visited = {t.data.get("visited") for t in workflow.get_tasks()} - {None}
    assert visited == {datetime(2026, 3, 1, 9, 30)}
    assert '"typename":"datetime"' in state and json.loads(state)["format"] == "sanfu-1"


def test_the_serializer_uses_the_fast_converter(monkeypatch):
    from engine.runtime import task_codec
    printed = []
    monkeypatch.setattr(task_codec, "text_of", lambda value: printed.append(value) or str(value))
    state = _states_along_the_way()[-1]
    spec, embedded = _spec()
    workflow = StateSerializer().loads(state, spec, dict(embedded), script_engine())
    setattr(workflow, READ_TASKS, None)  # encoded whole, as a new instance is (not from the text it was read from)
    StateSerializer().dumps(workflow)
    assert len(printed) >= len(json.loads(state)["tasks"])
