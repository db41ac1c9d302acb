"""A saved state reuses the text of the tasks that did not change (engine.runtime.state_text):
a completion in a 20-item parallel step encodes a handful of tasks, not all of them, and
whatever changed — a state, data written in place, a value's type, a parent's data the
delta is taken against — is still written.

(SpiffWorkflow stores a task's data as a delta to its parent's, and a parallel step's outer
task takes each finished item's data: when an item's answer changes the outer task's data,
every item's delta changes and is encoded again. Items that answer alike, as most checklists
do, cost a handful of tasks.)"""
from __future__ import annotations

import json

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.definitions.bundle import SourceDoc, compile_docs, process_spec
from engine.runtime.core import ready_human_tasks
from engine.runtime.serializer import StateSerializer
from engine.runtime.state_text import READ_TASKS, parse
from engine.sandbox.expressions import script_engine
from tests.helpers.models import process

ITEMS = 20
MODEL = process("many", f"""
<bpmn:startEvent id="start"/>
<bpmn:userTask id="visit" name="Visit"/>
<bpmn:userTask id="items" name="Item">
  <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{ITEMS}</bpmn:loopCardinality>
  </bpmn:multiInstanceLoopCharacteristics>
</bpmn:userTask>
<bpmn:userTask id="close" name="Close"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit"/>
<bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="items"/>
<bpmn:sequenceFlow id="f3" sourceRef="items" targetRef="close"/>
<bpmn:sequenceFlow id="f4" sourceRef="close" targetRef="end"/>""")


@pytest.fixture(scope="module")
def spec():
    return process_spec(compile_docs([SourceDoc("many.bpmn", "bpmn", MODEL)]), "many")


def _load(serializer, state, spec):
    return serializer.loads(state, spec[0], dict(spec[1]), script_engine())


def _complete_one(workflow, data=None):
    task = next(iter(ready_human_tasks(workflow).values()))
    task.data.update(data or {"ok": True})
    task.run()
    workflow.do_engine_steps()
    return task


def _whole(serializer, workflow) -> str:
    """The state encoded task by task, as a new instance is."""
    read = getattr(workflow, READ_TASKS)
    setattr(workflow, READ_TASKS, None)
    try:
        return serializer.dumps(workflow)
    finally:
        setattr(workflow, READ_TASKS, read)


def _state_in_the_step(spec, serializer) -> str:
    workflow = BpmnWorkflow(spec[0], dict(spec[1]), script_engine=script_engine())
    workflow.data.update({"unit": "市局", "score": 1})
    workflow.do_engine_steps()
    _complete_one(workflow)  # Visit: the step's 20 items are ready
    return serializer.dumps(workflow)


def _count_encoded(monkeypatch, serializer) -> list:
    encoded = []
    task_dict = serializer._converter.task_dict
    monkeypatch.setattr(serializer._converter, "task_dict", lambda task: encoded.append(task) or task_dict(task))
    return encoded


def test_a_completion_in_a_parallel_step_encodes_only_the_tasks_it_changed(spec, monkeypatch):
    serializer = StateSerializer()
    state = _state_in_the_step(spec, serializer)
    assert len(json.loads(state)["tasks"]) > ITEMS
    encoded = _count_encoded(monkeypatch, serializer)
    for _round in range(ITEMS):
        workflow = _load(serializer, state, spec)
        done = _complete_one(workflow, {"ok": True, "result": "合格"})
        encoded.clear()
        state = serializer.dumps(workflow)
        assert state == _whole(serializer, workflow)  # the same text as encoding it all
        if _round > 0:  # (the first answer changes the outer task's data: every item's delta)
            assert done in encoded and len(encoded) <= 4  # the item, and what finishing the step changed
    workflow = _load(serializer, state, spec)
    assert [t.task_spec.bpmn_name for t in ready_human_tasks(workflow).values()] == ["Close"]


def test_whatever_changed_without_a_state_change_is_still_written(spec):
    serializer = StateSerializer()
    workflow = _load(serializer, _state_in_the_step(spec, serializer), spec)
    waiting = list(ready_human_tasks(workflow).values())
    waiting[0].data["note"] = "现场核查"  # written in place, no state change
    waiting[1].data["score"] = True  # 1 == True in Python, not in JSON
    waiting[2].internal_data["mark"] = 1
    waiting[3].parent.data["unit"] = "区局"  # the parent's data: every sibling's delta changes
    state = serializer.dumps(workflow)
    assert state == _whole(serializer, workflow)
    again = {str(t.id): t for t in _load(serializer, state, spec).get_tasks()}
    assert again[str(waiting[0].id)].data["note"] == "现场核查"
    assert again[str(waiting[1].id)].data["score"] is True
    assert again[str(waiting[2].id)].internal_data["mark"] == 1
    assert again[str(waiting[4].id)].parent.data["unit"] == "区局"


def test_items_that_answer_differently_are_written_as_encoding_them_all_would(spec):
    serializer = StateSerializer()
    state = _state_in_the_step(spec, serializer)
    for _round in range(ITEMS):
        workflow = _load(serializer, state, spec)
        _complete_one(workflow, {"ok": _round % 2 == 0, "count": _round})
        state = serializer.dumps(workflow)
        assert state == _whole(serializer, workflow)
    assert _load(serializer, state, spec).last_task.data["count"] == ITEMS - 1


def test_a_state_that_is_not_compact_json_is_read_and_written_whole(spec):
    serializer = StateSerializer()
    compact = _state_in_the_step(spec, serializer)
    spaced = json.dumps(json.loads(compact), indent=1, ensure_ascii=False)
    top, read = parse(spaced)
    assert read is None and top == json.loads(compact)
    workflow = _load(serializer, spaced, spec)
    _complete_one(workflow)
    assert json.loads(serializer.dumps(workflow)) == json.loads(_whole(serializer, workflow))
    top, read = parse(compact)
    assert top == json.loads(compact) and len(read.spans) == len(top["tasks"])
    assert all(json.loads(read.fragment(key)) == task for key, task in top["tasks"].items())


def test_a_task_whose_data_holds_what_a_task_text_starts_with_is_still_read_whole(spec):
    """The guess at where a task's text ends (the next `"<id>":{"id":"`) can land inside a task
    whose data holds that very text: the task is then read from its start, nothing is cut."""
    serializer = StateSerializer()
    workflow = _load(serializer, _state_in_the_step(spec, serializer), spec)
    task_ids = [str(task_id) for task_id in workflow.tasks]
    waiting = list(ready_human_tasks(workflow).values())
    lookalike = {task_ids[-1]: {"id": task_ids[-1], "parent": None}, "x" * 36: {"id": "y"}}
    waiting[0].data["copy"] = lookalike
    waiting[1].internal_data["copy"] = lookalike
    state = serializer.dumps(workflow)
    assert state.count('":{"id":"') > len(workflow.tasks)
    top, read = parse(state)
    assert top == json.loads(state) and len(read.spans) == len(top["tasks"])
    assert all(json.loads(read.fragment(key)) == task for key, task in top["tasks"].items())
    again = _load(serializer, state, spec)
    assert again.get_task_from_id(waiting[0].id).data["copy"] == lookalike
    assert serializer.dumps(again) == state


def test_the_task_dicts_shared_between_loads_are_never_changed(spec):
    """A task's dict is decoded once per text and shared by every later load of that text
    (engine.runtime.state_text.fragment_dict): a load, a completion and a save leave it as decoded."""
    serializer = StateSerializer()
    state = _state_in_the_step(spec, serializer)
    first, _read = parse(state)
    again, read = parse(state)
    shared = [key for key, task in again["tasks"].items() if task is first["tasks"][key]]
    assert len(shared) >= len(again["tasks"]) - 1  # all but the last (its end is found by scanning)
    for _round in range(3):
        workflow = _load(serializer, state, spec)
        _complete_one(workflow, {"ok": True, "list": [1, 2]})
        workflow.last_task.data["list"].append(3)
        state = serializer.dumps(workflow)
    assert all(first["tasks"][key] == json.loads(read.fragment(key)) for key in shared)
