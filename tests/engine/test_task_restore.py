"""A restored task is the task SpiffWorkflow's own converter restores: sanfu builds Task objects
without running Task.__init__ (engine.runtime.task_codec: its uuid4, clock read and parent
lookup were all overwritten), so every attribute of every task is compared here against
SpiffWorkflow 3.2's TaskConverter — ids, parent and children links, state, last state change,
thread id, data, internal data, the workflow's task dict in its order, and the waiting events
the workflow's event manager knows."""
from __future__ import annotations

from datetime import datetime

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task

from engine.definitions.bundle import SourceDoc, compile_docs, process_spec
from engine.runtime.core import ready_human_tasks
from engine.runtime.serializer import StateSerializer
from engine.runtime.task_codec import TAKEN
from engine.sandbox.expressions import script_engine
from tests.engine.test_task_codec import SpiffsOwn  # the state restored by SpiffWorkflow's own converter
from tests.helpers.models import HEADER

# A parallel multi-instance step, then a user task beside a signal it waits for (a catching
# event in WAITING: the event manager must know it), joined before the end.
MODEL = (HEADER.format(key="restore") + '<bpmn:signal id="sig" name="go"/>\n'
         + """<bpmn:process id="restore" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:userTask id="visit" name="Visit"/>
<bpmn:userTask id="items" name="Item">
  <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>
  </bpmn:multiInstanceLoopCharacteristics>
</bpmn:userTask>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="close" name="Close"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateCatchEvent>
<bpmn:parallelGateway id="join"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit"/>
<bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="items"/>
<bpmn:sequenceFlow id="f3" sourceRef="items" targetRef="split"/>
<bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="close"/>
<bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="wait"/>
<bpmn:sequenceFlow id="f6" sourceRef="close" targetRef="join"/>
<bpmn:sequenceFlow id="f7" sourceRef="wait" targetRef="join"/>
<bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
""")


@pytest.fixture(scope="module")
def spec():
    return process_spec(compile_docs([SourceDoc("restore.bpmn", "bpmn", MODEL)]), "restore")


def _states(spec) -> list[str]:
    """The stored state after each completion, with typed and nested data beside plain values."""
    workflow = BpmnWorkflow(spec[0], dict(spec[1]), script_engine=script_engine())
    workflow.data.update({"unit": "市局"})
    workflow.do_engine_steps()
    writer, states = SpiffsOwn(), [SpiffsOwn().dumps(workflow)]
    rounds = [{"visited": datetime(2026, 3, 1, 9, 30), "notes": {"a": [1, 2]}}, {"ok": True},
              {"ok": False, "list": ["x"]}, {"ok": True, "score": 1.5}]
    for data in rounds:
        task = next(iter(ready_human_tasks(workflow).values()))
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
        states.append(writer.dumps(workflow))
    return states


def _attributes(task: Task) -> dict:
    """Every attribute of the task as SpiffWorkflow sees it (sanfu's own mark left out), with the
    workflow by name: each side has its own workflow object."""
    found = {name: value for name, value in vars(task).items() if name != TAKEN}
    found["workflow"] = task.workflow.spec.name
    return found


def test_every_attribute_of_every_restored_task_is_what_spiffworkflows_converter_gives(spec):
    states = _states(spec)
    waiting_seen = False
    for state in states:
        ours = StateSerializer().loads(state, spec[0], dict(spec[1]), script_engine())
        theirs = SpiffsOwn().loads(state, spec[0], dict(spec[1]), script_engine())
        assert list(ours.tasks) == list(theirs.tasks)  # the same ids, in the same order
        for task_id, task in ours.tasks.items():
            other = theirs.tasks[task_id]
            assert type(task) is type(other) is Task
            assert list(_attributes(task)) == list(_attributes(other))  # set in the same order
            assert _attributes(task) == _attributes(other)
            assert task.workflow is ours and task.task_spec is other.task_spec  # the one cached spec
            assert (task.parent.id if task.parent else None) == (other.parent.id if other.parent else None)
            assert [child.id for child in task.children] == [child.id for child in other.children]
        assert list(ours.event_manager.tasks) == list(theirs.event_manager.tasks)
        waiting_seen |= bool(ours.event_manager.tasks)
        assert ours.task_tree.id == theirs.task_tree.id and ours.last_task.id == theirs.last_task.id
    assert waiting_seen  # the signal's catch was restored WAITING at least once


def test_a_restored_workflow_runs_on_like_spiffworkflows(spec):
    """Restored either way, the same next step gives the same state."""
    state = _states(spec)[-1]
    results = []
    for serializer in (StateSerializer(), SpiffsOwn()):
        workflow = serializer.loads(state, spec[0], dict(spec[1]), script_engine())
        task = next(iter(ready_human_tasks(workflow).values()))
        task.data.update({"closed": "是"})
        task.run()
        workflow.do_engine_steps()
        results.append(({str(t.id): (t.state, t.data) for t in workflow.get_tasks()}, workflow.is_completed()))
    assert results[0] == results[1]
