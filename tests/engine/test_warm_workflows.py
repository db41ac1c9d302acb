"""Workflows kept warm between commands (engine.runtime.warm): a command takes the workflow
the previous one saved instead of rebuilding it from the stored text, and behaves exactly
as if it had rebuilt it — whichever worker wrote last, whatever failed in between.

Each test follows one instance: a 整改 round (fill → check → again?) that loops until done.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import ScriptError
from engine.runtime.core import ready_human_tasks
from engine.runtime.state_text import READ_TASKS, parse
from engine.runtime.warm import WarmWorkflows, json_exact
from engine.service import Engine
from engine.store.tables import Instance
from tests.helpers.models import process, write

ROUNDS = process("rounds", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="fill" name="整改" camunda:candidateGroups="water"/>
<bpmn:scriptTask id="check" scriptFormat="python"><bpmn:script>ratio = 10 / divisor</bpmn:script></bpmn:scriptTask>
<bpmn:exclusiveGateway id="again" default="back"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="check"/>
<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="fill"/>
<bpmn:sequenceFlow id="done" sourceRef="again" targetRef="end">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">done == True</bpmn:conditionExpression>
</bpmn:sequenceFlow>""")

# A script leaves a tuple in the data: stored as a JSON list, it reads back as a list.
TUPLE = process("pairs", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="first" name="初查" camunda:candidateGroups="water"/>
<bpmn:scriptTask id="make" scriptFormat="python"><bpmn:script>pair = (1, 2)</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="look" name="复查" camunda:candidateGroups="water"/>
<bpmn:exclusiveGateway id="kind" default="to_tuple"/>
<bpmn:userTask id="as_list" name="列表" camunda:candidateGroups="water"/>
<bpmn:userTask id="as_tuple" name="元组" camunda:candidateGroups="water"/>
<bpmn:endEvent id="end1"/><bpmn:endEvent id="end2"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
<bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="make"/>
<bpmn:sequenceFlow id="f3" sourceRef="make" targetRef="look"/>
<bpmn:sequenceFlow id="f4" sourceRef="look" targetRef="kind"/>
<bpmn:sequenceFlow id="to_list" sourceRef="kind" targetRef="as_list">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">pair == [1, 2]</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="to_tuple" sourceRef="kind" targetRef="as_tuple"/>
<bpmn:sequenceFlow id="f5" sourceRef="as_list" targetRef="end1"/>
<bpmn:sequenceFlow id="f6" sourceRef="as_tuple" targetRef="end2"/>""")

# The round's 整改 has a deadline: a boundary timer waits beside it, round after round.
TIMED = process("timed", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="fill" name="限期整改" camunda:candidateGroups="water"/>
<bpmn:boundaryEvent id="late" attachedToRef="fill" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>P30D</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:userTask id="urge" name="督办" camunda:candidateGroups="water"/>
<bpmn:exclusiveGateway id="again" default="back"/>
<bpmn:endEvent id="end"/><bpmn:endEvent id="urged"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="fill"/>
<bpmn:sequenceFlow id="done" sourceRef="again" targetRef="end">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">done == True</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="urge"/>
<bpmn:sequenceFlow id="f4" sourceRef="urge" targetRef="urged"/>""")

# Two branches wait for the same signal: B's catch from the start, A's once 初查 is done.
SIGNALS = process("signals", """
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="a1" name="初查" camunda:candidateGroups="water"/>
<bpmn:intermediateCatchEvent id="sig_a"><bpmn:signalEventDefinition signalRef="go_signal"/></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="sig_b"><bpmn:signalEventDefinition signalRef="go_signal"/></bpmn:intermediateCatchEvent>
<bpmn:userTask id="after" name="复查" camunda:candidateGroups="water"/>
<bpmn:endEvent id="end_a"/><bpmn:endEvent id="end_b"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="a1"/>
<bpmn:sequenceFlow id="f3" sourceRef="a1" targetRef="sig_a"/>
<bpmn:sequenceFlow id="f4" sourceRef="sig_a" targetRef="end_a"/>
<bpmn:sequenceFlow id="f5" sourceRef="split" targetRef="sig_b"/>
<bpmn:sequenceFlow id="f6" sourceRef="sig_b" targetRef="after"/>
<bpmn:sequenceFlow id="f7" sourceRef="after" targetRef="end_b"/>""").replace(
    '<bpmn:process id="signals"', '<bpmn:signal id="go_signal" name="go"/>\n<bpmn:process id="signals"')

# A 5-item parallel multi-instance step: its tasks' text is reused across commands.
ITEMS = process("items", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="item" name="逐项整改" camunda:candidateGroups="water">
  <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>5</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
</bpmn:userTask>
<bpmn:userTask id="close" name="销号" camunda:candidateGroups="water"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="item"/>
<bpmn:sequenceFlow id="f2" sourceRef="item" targetRef="close"/>
<bpmn:sequenceFlow id="f3" sourceRef="close" targetRef="end"/>""")

# A 体检 calls a 台账事项 (its own process, a round of 整改 with a deadline), inside an
# embedded subprocess: three workflows in one instance, a timer waiting in the deepest.
SERVICE = process("service", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="visit" name="走访" camunda:candidateGroups="water"/>
<bpmn:subProcess id="handle" name="问题处理">
  <bpmn:startEvent id="h_start"/>
  <bpmn:callActivity id="call_matter" name="台账事项" calledElement="matter"/>
  <bpmn:endEvent id="h_end"/>
  <bpmn:sequenceFlow id="h1" sourceRef="h_start" targetRef="call_matter"/>
  <bpmn:sequenceFlow id="h2" sourceRef="call_matter" targetRef="h_end"/>
</bpmn:subProcess>
<bpmn:userTask id="follow_up" name="回访" camunda:candidateGroups="water"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit"/>
<bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="handle"/>
<bpmn:sequenceFlow id="f3" sourceRef="handle" targetRef="follow_up"/>
<bpmn:sequenceFlow id="f4" sourceRef="follow_up" targetRef="end"/>""")
MATTER = TIMED.replace('id="timed"', 'id="matter"').replace('name="timed"', 'name="matter"')


@pytest.fixture
def county(people, tmp_path):
    people.deploy([write(tmp_path, name + ".bpmn", xml) for name, xml in
                   (("rounds", ROUNDS), ("pairs", TUPLE), ("items", ITEMS), ("timed", TIMED),
                    ("signals", SIGNALS), ("matter", MATTER))], "designer")
    people.deploy([write(tmp_path, "service.bpmn", SERVICE)], "designer")  # (calls matter, deployed)
    return people


class Rebuilds:
    """Counts the workflows an engine rebuilt from their stored text."""

    def __init__(self, engine: Engine, monkeypatch):
        self.count, serializer = 0, engine.runtime.serializer
        loads = serializer.loads

        def counted(*args, **kwargs):
            self.count += 1
            return loads(*args, **kwargs)
        monkeypatch.setattr(serializer, "loads", counted)


def open_task(engine: Engine, instance_id: int, user: str = "water1") -> dict:
    [task] = [t for t in engine.tasks(user) if t["instance_id"] == instance_id]
    return task


def round_of(engine: Engine, instance_id: int, user: str = "water1", **data) -> None:
    engine.complete(open_task(engine, instance_id, user)["id"], user, {"divisor": 1, "done": False, **data})


def stored(engine: Engine, instance_id: int) -> str:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(Instance.state).where(Instance.id == instance_id))


def assert_kept_is_what_the_text_gives(engine: Engine, instance_id: int, open_tasks: bool = True) -> None:
    """The kept workflow, converted whole, equals the workflow rebuilt from the stored text."""
    runtime = engine.runtime
    kept = runtime.warm._kept[instance_id]
    assert kept.text == stored(engine, instance_id)
    with engine.uow(write=False) as uow:  # a query's unit of work rebuilds (it never takes the kept one)
        rebuilt = runtime.load(uow.session, uow.session.get(Instance, instance_id)).workflow
    converter = runtime.serializer._converter
    assert converter.to_dict(kept.workflow) == converter.to_dict(rebuilt)
    # and its tasks as read: where each lies in the text and the dict it reads back as (a
    # start's, saved whole, are read when a command takes it)
    _, parsed = parse(kept.text)
    read = getattr(kept.workflow, READ_TASKS, None)
    if read is not None:
        assert (read.text, read.spans, read.dicts) == (kept.text, parsed.spans, parsed.dicts)
    assert kept.open_tasks == frozenset(ready_human_tasks(rebuilt))
    assert bool(kept.open_tasks) is open_tasks
    assert list(kept.workflow.event_manager.tasks) == list(rebuilt.event_manager.tasks)


def test_the_next_command_takes_the_workflow_the_last_one_saved(county, monkeypatch):
    rebuilds = Rebuilds(county, monkeypatch)
    instance = county.start("rounds", "liaison1")["id"]
    for n in range(3):
        assert_kept_is_what_the_text_gives(county, instance)   # (rebuilds one to compare)
        before = rebuilds.count
        round_of(county, instance, note=f"第{n + 1}轮")
        assert rebuilds.count == before
    assert county.show(instance)["data"]["note"] == "第3轮"


def test_a_kept_workflow_waits_for_the_same_events_as_a_rebuilt_one(county, monkeypatch):
    instance = county.start("timed", "liaison1")["id"]
    rebuilds = Rebuilds(county, monkeypatch)
    for _ in range(3):
        assert_kept_is_what_the_text_gives(county, instance)   # the boundary timer waiting, once
        before = rebuilds.count
        county.complete(open_task(county, instance)["id"], "water1", {"done": False})
        assert rebuilds.count == before
    county.complete(open_task(county, instance)["id"], "water1", {"done": True})
    assert county.show(instance)["status"] == "completed"


def test_events_waited_for_are_listed_as_a_rebuilt_workflow_lists_them(county):
    """The same waiting tasks in the same order (a signal caught by both reaches them in that
    order): whichever worker holds the instance, it behaves alike."""
    instance = county.start("signals", "liaison1")["id"]
    county.complete(open_task(county, instance)["id"], "water1", {})   # now A's catch waits too
    assert_kept_is_what_the_text_gives(county, instance, open_tasks=False)
    assert len(county.runtime.warm._kept[instance].workflow.event_manager.tasks) == 2
    county.broadcast_signal("go", "admin")
    county.complete(open_task(county, instance)["id"], "water1", {})
    assert county.show(instance)["status"] == "completed"


def test_a_workflow_with_subprocesses_is_kept_as_a_rebuilt_one_would_be(county, monkeypatch):
    """体检 → 问题处理 (embedded) → 台账事项 (called), its 整改 round by round with a timer
    waiting beside it: every command takes the workflow the last one saved, and that workflow
    is the one the stored text gives — its subprocesses in the same order, the same events
    waited for — until the 回访 after both subprocesses end."""
    instance = county.start("service", "liaison1")["id"]
    rebuilds = Rebuilds(county, monkeypatch)
    county.complete(open_task(county, instance)["id"], "water1", {"visited": True})
    kept = county.runtime.warm._kept[instance].workflow
    assert len(kept.subprocesses) == 2 and len(kept.event_manager.tasks) == 1
    for n in range(3):
        assert_kept_is_what_the_text_gives(county, instance)   # (rebuilds one to compare)
        before = rebuilds.count
        county.complete(open_task(county, instance)["id"], "water1", {"done": n == 2, "note": f"第{n + 1}轮"})
        assert rebuilds.count == before
    assert_kept_is_what_the_text_gives(county, instance)
    assert open_task(county, instance)["name"] == "回访"
    before = rebuilds.count
    county.complete(open_task(county, instance)["id"], "water1", {})
    assert rebuilds.count == before
    shown = county.show(instance)
    assert shown["status"] == "completed" and shown["data"]["note"] == "第3轮"


def test_a_subprocess_holding_a_value_that_reads_back_otherwise_is_not_kept(county):
    instance = county.start("service", "liaison1")["id"]
    county.complete(open_task(county, instance)["id"], "water1", {"visited": True})
    assert instance in county.runtime.warm._kept
    with county.uow() as uow:  # a save whose called run holds a tuple (a script there could leave one)
        loaded = county.runtime.load(uow.session, uow.session.get(Instance, instance))
        [matter] = [sub for sub in loaded.workflow.subprocesses.values() if sub.spec.name == "matter"]
        matter.data["pair"] = (1, 2)
        county.runtime.save(uow.session, loaded, "water1")
    assert instance not in county.runtime.warm._kept


def test_a_claim_bumps_the_revision_but_keeps_the_state_and_the_workflow(county, monkeypatch):
    instance = county.start("rounds", "liaison1")["id"]
    round_of(county, instance)
    rebuilds = Rebuilds(county, monkeypatch)
    task = open_task(county, instance)
    county.claim(task["id"], "water1")
    county.complete(task["id"], "water1", {"divisor": 2, "done": False})
    assert rebuilds.count == 0 and county.show(instance)["data"]["ratio"] == 5


def test_a_query_reads_its_own_copy_and_leaves_the_kept_one(county, monkeypatch):
    instance = county.start("rounds", "liaison1")["id"]
    round_of(county, instance)
    county.task_view(open_task(county, instance)["id"], "water1")
    county.show(instance)
    rebuilds = Rebuilds(county, monkeypatch)
    round_of(county, instance)
    assert rebuilds.count == 0


def test_another_workers_write_is_seen_and_nothing_conflicts(county, db_engine):
    other = Engine(db_engine=db_engine, forms_dir=county.forms_dir)  # a second gunicorn worker
    instance = county.start("rounds", "liaison1")["id"]
    round_of(county, instance, note="一")
    round_of(county, instance, note="二")     # this worker keeps its workflow
    round_of(other, instance, note="三")      # the other worker writes a newer state
    round_of(county, instance, note="四")     # this worker's kept one is not that state: rebuilt
    assert county.show(instance)["data"]["note"] == "四"
    history = [e for e in county.show(instance)["history"] if e["action"] == "task_completed"]
    assert len(history) == 4


def test_a_command_that_fails_after_changing_the_workflow_leaves_nothing_behind(county):
    instance = county.start("rounds", "liaison1")["id"]
    round_of(county, instance)
    round_of(county, instance)
    task = open_task(county, instance)
    with pytest.raises(ScriptError):       # the data went in, the script failed: rolled back
        county.complete(task["id"], "water1", {"divisor": 0, "done": False, "leak": "失败的那次"})
    assert instance not in county.runtime.warm._kept
    county.complete(task["id"], "water1", {"divisor": 5, "done": True})
    shown = county.show(instance)
    assert shown["status"] == "completed" and shown["data"]["ratio"] == 2
    assert "leak" not in shown["data"]


def test_values_that_read_back_otherwise_are_not_kept(county):
    instance = county.start("pairs", "liaison1")["id"]
    county.complete(open_task(county, instance)["id"], "water1", {})   # the script leaves a tuple
    assert instance not in county.runtime.warm._kept
    county.complete(open_task(county, instance)["id"], "water1", {})
    # as after any rebuild from the stored text: a list
    assert open_task(county, instance)["name"] == "列表"


def test_a_multi_instance_step_keeps_its_workflow_item_after_item(county, monkeypatch):
    instance = county.start("items", "liaison1")["id"]
    county.complete(open_task_named(county, instance, "逐项整改")["id"], "water1", {"item_note": "1"})
    rebuilds = Rebuilds(county, monkeypatch)
    for n in range(4):
        assert_kept_is_what_the_text_gives(county, instance)   # (rebuilds one to compare)
        before = rebuilds.count
        county.complete(open_task_named(county, instance, "逐项整改")["id"], "water1", {"item_note": str(n + 2)})
        assert rebuilds.count == before
    before = rebuilds.count
    county.complete(open_task_named(county, instance, "销号")["id"], "water1", {})
    assert rebuilds.count == before
    assert county.show(instance)["status"] == "completed"


def open_task_named(engine: Engine, instance_id: int, name: str) -> dict:
    return next(t for t in engine.tasks("water1") if t["instance_id"] == instance_id and t["name"] == name)


@pytest.mark.parametrize("value, exact", [
    ({"a": [1, 2.5, "x", None, True, {"b": []}]}, True),
    ((1, 2), False),
    ({1: "one"}, False),
    ({"when": __import__("datetime").date(2026, 12, 5)}, False),
    ([{"deep": {"set": {1}}}], False),
])
def test_json_exact_tells_values_that_read_back_the_same(value, exact):
    assert json_exact(value) is exact


class _Workflow:
    def __init__(self, size: int):
        self.tasks = dict.fromkeys(range(size))


class _Instance:
    def __init__(self, instance_id: int, state: str = "{}", definition_id: int = 1, bindings=None):
        self.id, self.state, self.definition_id, self.bindings = instance_id, state, definition_id, bindings


def test_the_kept_workflows_are_bounded_by_their_tasks_oldest_out_first():
    warm = WarmWorkflows(max_tasks=10)
    first, second, third = _Workflow(4), _Workflow(4), _Workflow(4)
    warm.keep(1, 1, {}, "{}", first)
    warm.keep(2, 1, {}, "{}", second)
    warm.keep(3, 1, {}, "{}", third)   # 12 tasks: the oldest goes
    assert len(warm) == 2 and warm.take(_Instance(1)) is None
    assert warm.take(_Instance(3))[0] is third and warm.take(_Instance(3)) is None   # taken out whole
    warm.keep(4, 1, {}, "{}", _Workflow(11))  # larger than the bound: never kept
    assert warm.take(_Instance(4)) is None


@pytest.mark.parametrize("changed", [{"state": '{"t":1}'}, {"definition_id": 2}, {"bindings": {"sub": 7}}])
def test_a_kept_workflow_serves_only_the_state_it_was_saved_as(changed):
    warm, workflow = WarmWorkflows(), _Workflow(3)
    warm.keep(1, 1, {}, "{}", workflow)
    assert warm.take(_Instance(1, **changed)) is None
    warm.keep(1, 1, {}, "{}", workflow, frozenset({"task"}))
    assert warm.take(_Instance(1)) == (workflow, frozenset({"task"}))
