"""The open user tasks as the runtime finds them (engine.runtime.core.ready_human_tasks, a
direct walk of the tree) are SpiffWorkflow's own answer, in its order: parallel branches, a
multi-instance step, subprocesses, loops — at every step of each."""
from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions.bundle import SourceDoc, compile_docs, process_spec
from engine.runtime.core import ready_human_tasks
from engine.sandbox.expressions import script_engine
from tests.engine.test_long_history import PARALLEL_LOOP, SUBPROCESS_LOOP
from tests.engine.test_task_codec import MODEL as MULTI_INSTANCE
from tests.helpers.models import process

# A parallel split whose one branch runs an embedded subprocess with its own parallel pair.
BRANCHES = process("branches", """
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="left" name="左"/>
<bpmn:subProcess id="sub" name="子流程">
  <bpmn:startEvent id="s_start"/>
  <bpmn:parallelGateway id="s_split"/>
  <bpmn:userTask id="inner_a" name="甲"/>
  <bpmn:userTask id="inner_b" name="乙"/>
  <bpmn:parallelGateway id="s_join"/>
  <bpmn:endEvent id="s_end"/>
  <bpmn:sequenceFlow id="s1" sourceRef="s_start" targetRef="s_split"/>
  <bpmn:sequenceFlow id="s2" sourceRef="s_split" targetRef="inner_a"/>
  <bpmn:sequenceFlow id="s3" sourceRef="s_split" targetRef="inner_b"/>
  <bpmn:sequenceFlow id="s4" sourceRef="inner_a" targetRef="s_join"/>
  <bpmn:sequenceFlow id="s5" sourceRef="inner_b" targetRef="s_join"/>
  <bpmn:sequenceFlow id="s6" sourceRef="s_join" targetRef="s_end"/>
</bpmn:subProcess>
<bpmn:userTask id="right" name="右"/>
<bpmn:parallelGateway id="join"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="left"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="sub"/>
<bpmn:sequenceFlow id="f4" sourceRef="split" targetRef="right"/>
<bpmn:sequenceFlow id="f5" sourceRef="left" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="sub" targetRef="join"/>
<bpmn:sequenceFlow id="f7" sourceRef="right" targetRef="join"/>
<bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end"/>""")


def _spiffs_answer(workflow) -> list[str]:
    return [str(task.id) for task in workflow.get_tasks(state=TaskState.READY, manual=True)]


def _walk(xml: str, key: str, rounds: int, data: dict) -> int:
    spec, embedded = process_spec(compile_docs([SourceDoc(f"{key}.bpmn", "bpmn", xml)]), key)
    workflow = BpmnWorkflow(spec, dict(embedded), script_engine=script_engine())
    workflow.do_engine_steps()
    seen = 0
    for round_no in range(rounds):
        ready = ready_human_tasks(workflow)
        assert list(ready) == _spiffs_answer(workflow)
        if not ready:
            break
        seen = max(seen, len(ready))
        task = list(ready.values())[round_no % len(ready)]  # not always the first: branches finish out of order
        task.data.update({**data, "done": round_no >= rounds - 3})
        task.run()
        workflow.do_engine_steps()
    return seen


def test_parallel_branches_and_a_subprocess_with_its_own_branches():
    assert _walk(BRANCHES, "branches", 10, {}) == 4  # left, 甲, 乙, right open at once


def test_a_multi_instance_step():
    assert _walk(MULTI_INSTANCE, "codec", 10, {}) == 3


def test_loops_round_a_parallel_pair_and_round_a_subprocess():
    assert _walk(PARALLEL_LOOP, "parallel_loop", 30, {}) == 2
    assert _walk(SUBPROCESS_LOOP, "sub_loop", 30, {}) == 1
