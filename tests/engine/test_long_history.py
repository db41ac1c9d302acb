"""Long histories: an instance that loops (退回, 整改 rounds, a 督办 that goes round until
verified) stays correct and its stored state stays bounded (engine.runtime.compaction).

SpiffWorkflow 3.2 keeps every task it ran and its task iterator stops at depth 1000: an
uncompacted loop of ~500 rounds hid its open task and the instance was marked completed.
The guard (engine.runtime.core.really_completed) refuses that lie; compaction prevents it.
"""
from __future__ import annotations

import json

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskIterator, TaskState
from sqlalchemy import select

from engine.bench.history import KEY, MODEL
from engine.definitions.bundle import SourceDoc, compile_docs, process_spec
from engine.errors import WorkflowInconsistent
from engine.runtime import compaction
from engine.runtime.core import instance_data, ready_human_tasks, really_completed
from engine.runtime.serializer import StateSerializer
from engine.sandbox.expressions import script_engine
from engine.store.tables import HumanTask, Instance
from tests.helpers.models import process, write

# The loop with a parallel split inside each round: 整改 and 复核 side by side, joined.
PARALLEL_LOOP = process("parallel_loop", """
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="rectify" name="整改"/>
<bpmn:userTask id="review" name="复核"/>
<bpmn:parallelGateway id="join"/>
<bpmn:exclusiveGateway id="verified" default="again"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="rectify"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="review"/>
<bpmn:sequenceFlow id="f4" sourceRef="rectify" targetRef="join"/>
<bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="verified"/>
<bpmn:sequenceFlow id="again" sourceRef="verified" targetRef="split"/>
<bpmn:sequenceFlow id="done" sourceRef="verified" targetRef="end">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${done == true}</bpmn:conditionExpression>
</bpmn:sequenceFlow>""")

# The loop round an embedded subprocess (each round's 整改 is its own sub-run).
SUBPROCESS_LOOP = process("sub_loop", """
<bpmn:startEvent id="start"/>
<bpmn:subProcess id="round" name="一轮整改">
  <bpmn:startEvent id="sub_start"/>
  <bpmn:userTask id="rectify" name="整改"/>
  <bpmn:endEvent id="sub_end"/>
  <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="rectify"/>
  <bpmn:sequenceFlow id="s2" sourceRef="rectify" targetRef="sub_end"/>
</bpmn:subProcess>
<bpmn:exclusiveGateway id="verified" default="again"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="round"/>
<bpmn:sequenceFlow id="f2" sourceRef="round" targetRef="verified"/>
<bpmn:sequenceFlow id="again" sourceRef="verified" targetRef="round"/>
<bpmn:sequenceFlow id="done" sourceRef="verified" targetRef="end">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${done == true}</bpmn:conditionExpression>
</bpmn:sequenceFlow>""")

# The loop round a step with a non-interrupting boundary timer (a 督办 raised if 整改 is late):
# SpiffWorkflow wraps the step in a split/join pair and the join looks its split up among its ancestors.
BOUNDARY_LOOP = process("boundary_loop", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="rectify" name="整改"/>
<bpmn:boundaryEvent id="late" attachedToRef="rectify" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>PT24H</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:userTask id="urge" name="督办"/>
<bpmn:endEvent id="urged"/>
<bpmn:exclusiveGateway id="verified" default="again"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rectify"/>
<bpmn:sequenceFlow id="f2" sourceRef="rectify" targetRef="verified"/>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="urge"/>
<bpmn:sequenceFlow id="f4" sourceRef="urge" targetRef="urged"/>
<bpmn:sequenceFlow id="again" sourceRef="verified" targetRef="rectify"/>
<bpmn:sequenceFlow id="done" sourceRef="verified" targetRef="end">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${done == true}</bpmn:conditionExpression>
</bpmn:sequenceFlow>""")

# 填报 goes round until it is done, a script checks it, then 审核 — who may 退回 to the last 填报.
# The gateway that led into that 填报 runs again after it: the spine must keep it as its parent.
RETURN_LOOP = process("return_loop", """
<bpmn:startEvent id="start"/>
<bpmn:exclusiveGateway id="route" default="again"/>
<bpmn:userTask id="fill" name="填报"/>
<bpmn:scriptTask id="check" scriptFormat="python"><bpmn:script>checked = n * 10</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="review" name="审核"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="route"/>
<bpmn:sequenceFlow id="again" sourceRef="route" targetRef="fill"/>
<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="route"/>
<bpmn:sequenceFlow id="done" sourceRef="route" targetRef="check">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${done == true}</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="review"/>
<bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="end"/>""")


class Run:
    """One instance driven as the engine drives it, command by command: load the stored
    state, complete the open task, run the engine steps, decide completion, compact, store."""

    def __init__(self, xml: str, key: str, compact: bool = True, data: dict | None = None):
        spec, self.embedded = process_spec(compile_docs([SourceDoc(f"{key}.bpmn", "bpmn", xml)]), key)
        self.spec, self.compact, self.serializer = spec, compact, StateSerializer()
        workflow = BpmnWorkflow(spec, dict(self.embedded), script_engine=script_engine())
        workflow.data.update(data or {})
        workflow.task_tree.data.update(data or {})
        workflow.do_engine_steps()
        self.state = self._store(workflow)

    def load(self) -> BpmnWorkflow:
        return self.serializer.loads(self.state, self.spec, dict(self.embedded), script_engine())

    def complete(self, element: str, data: dict) -> BpmnWorkflow:
        workflow = self.load()
        [task] = [t for t in ready_human_tasks(workflow).values() if t.task_spec.bpmn_id == element]
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
        self.completed = really_completed(workflow)
        self.state = self._store(workflow)
        return workflow

    def return_from(self, element: str) -> BpmnWorkflow:
        """退回 as engine.tasks.actions.return_task does it: back to the nearest completed user step."""
        from engine.tasks.actions import _previous_user_task
        workflow = self.load()
        [task] = [t for t in ready_human_tasks(workflow).values() if t.task_spec.bpmn_id == element]
        workflow.reset_from_task_id(_previous_user_task(task).id)
        workflow.do_engine_steps()
        self.state = self._store(workflow)
        return workflow

    def _store(self, workflow) -> str:
        if self.compact:
            compaction.compact(workflow)
        return self.serializer.dumps(workflow)

    def open_steps(self) -> list[str]:
        return sorted(t.task_spec.bpmn_id for t in ready_human_tasks(self.load()).values())


def loop_xml() -> str:
    return MODEL


@pytest.mark.slow
def test_a_loop_of_ten_thousand_rounds_keeps_exactly_one_open_task_and_ends_when_verified():
    run = Run(loop_xml(), KEY, data={"enterprise": "某化工厂"})
    sizes = {}
    for round_no in range(1, 10_001):
        assert run.open_steps() == ["rectify"], f"round {round_no}"
        last = round_no == 10_000
        run.complete("rectify", {"round": round_no, "done": last, "说明": f"第 {round_no} 轮整改"})
        assert run.completed is last, f"round {round_no}"
        if round_no in (10, 10_000):
            sizes[round_no] = len(run.state)
    assert run.open_steps() == []
    assert instance_data(run.load()) == {"enterprise": "某化工厂", "round": 10_000, "done": True,
                                         "说明": "第 10000 轮整改"}
    # The stored state is what one round needs, not the whole history.
    assert sizes[10_000] <= sizes[10] + 100, sizes


def test_uncompacted_the_depth_limit_hides_the_open_task_and_the_guard_refuses_to_call_it_completed():
    run = Run(loop_xml(), KEY, compact=False)
    workflow = run.load()
    refused_at = None
    for round_no in range(1, 700):
        [task] = [t for t in workflow.tasks.values() if t.state == TaskState.READY and t.task_spec.manual]
        task.data.update({"round": round_no, "done": False})
        task.run()
        workflow.do_engine_steps()
        try:
            assert really_completed(workflow) is False
        except WorkflowInconsistent:
            refused_at = round_no
            break
    # SpiffWorkflow's own answer is the lie the guard catches: "completed", with a step open.
    assert refused_at is not None and refused_at > 300
    assert workflow.is_completed() is True
    # The gateway after 整改 is ready but too deep for the engine steps to see and run it.
    assert [t.task_spec.bpmn_id for t in compaction.unfinished_tasks(workflow) if t.state == TaskState.READY] \
        == ["verified"]
    assert ready_human_tasks(workflow) == {}
    # Compacting that very tree brings the loop back into sight: the next round opens.
    compaction.compact(workflow)
    workflow.completed = False
    workflow.do_engine_steps()
    assert really_completed(workflow) is False
    assert [t.task_spec.bpmn_id for t in ready_human_tasks(workflow).values()] == ["rectify"]


def _task_data_by_element(workflow) -> dict:
    unfinished = [t for t in workflow.tasks.values() if t.state & TaskState.NOT_FINISHED_MASK]
    return {(t.task_spec.bpmn_id or t.task_spec.name, t.state): t.data for t in unfinished}


@pytest.mark.parametrize("xml,key,steps", [
    (MODEL, KEY, ["rectify"]),
    (PARALLEL_LOOP, "parallel_loop", ["rectify", "review"]),
    (SUBPROCESS_LOOP, "sub_loop", ["rectify"]),
    (BOUNDARY_LOOP, "boundary_loop", ["rectify"]),
], ids=["loop", "parallel-in-loop", "subprocess-in-loop", "boundary-timer-in-loop"])
def test_compaction_changes_no_data_and_no_open_step(xml, key, steps):
    """Side by side, compacted and not: the same open steps, the same data on every task
    still to run, the same instance data, round after round; and a bounded state."""
    compacted, full = Run(xml, key, data={"unit": "江宁分局"}), Run(xml, key, compact=False, data={"unit": "江宁分局"})
    for round_no in range(1, 41):
        for element in steps:
            data = {"round": round_no, "by": element, f"{element}_{round_no % 3}": round_no,
                    "done": round_no == 40}
            kept, reference = compacted.complete(element, data), full.complete(element, data)
            assert compacted.open_steps() == full.open_steps()
            assert _task_data_by_element(kept) == _task_data_by_element(reference)
            assert instance_data(kept) == instance_data(reference)
            assert kept.data == reference.data
        if round_no == 5:
            size_at_5 = len(compacted.state)
    assert compacted.completed and full.completed
    assert len(compacted.state) < len(full.state) / 5
    assert size_at_5 > 0 and len(json.loads(compacted.state)["tasks"]) < 20


def test_the_subprocesses_of_dropped_rounds_go_with_them():
    run = Run(SUBPROCESS_LOOP, "sub_loop")
    for round_no in range(1, 30):
        workflow = run.complete("rectify", {"done": False, "round": round_no})
        # The running round's sub-run and at most the two of the spine (engine.runtime.compaction), never all.
        assert len(workflow.subprocesses) <= 3
        assert len(list(TaskIterator(workflow.task_tree))) < 20


# Through the Engine, on SQLite and PostgreSQL -------------------------------------------

@pytest.fixture
def looping(engine, tmp_path):
    engine.add_user("designer", roles=("designer",))
    engine.add_user("rectifier")
    engine.deploy([write(tmp_path, f"{KEY}.bpmn", MODEL)], "designer")
    return engine, engine.start(KEY, "rectifier", {"enterprise": "某化工厂"})["id"]


def _open_rows(engine, instance_id: int) -> list[str]:
    with engine.db.connect() as conn:
        return list(conn.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")))


def _instance_row(engine, instance_id: int):
    with engine.db.connect() as conn:
        return conn.execute(select(Instance.status, Instance.state).where(Instance.id == instance_id)).one()


@pytest.mark.slow
def test_through_the_engine_a_loop_past_the_depth_limit_stays_running_with_one_open_task(looping):
    engine, instance_id = looping
    rounds = 1_100  # SpiffWorkflow's iterator lost the open task at round 501 of this loop
    for round_no in range(1, rounds + 1):
        [task_id] = _open_rows(engine, instance_id)
        result = engine.complete(task_id, "rectifier", {"done": round_no == rounds})
        status, state = _instance_row(engine, instance_id)
        if round_no < rounds:
            assert result["status"] == status == "running", round_no
        if round_no == 3:
            early_size = len(state)
    assert (status, _open_rows(engine, instance_id)) == ("completed", [])
    assert len(state) <= early_size + 200
    # The history stays whole: the audit keeps every completion, the instance page pages through
    # it 50 at a time (the newest first), the diagram still shows the steps as done.
    whole = engine.show(instance_id)["history"]
    assert sum(1 for event in whole if event["action"] == "task_completed") == rounds
    page = engine.instance_view(instance_id, "rectifier")
    assert page["history_page"] == {"page": 1, "pages": -(-len(whole) // 50), "per_page": 50, "total": len(whole)}
    assert page["history"] == whole[-50:]
    last = engine.instance_view(instance_id, "rectifier", history_page=page["history_page"]["pages"])
    assert last["history"] == whole[:len(whole) % 50 or 50]
    assert [s["id"] for s in page["steps"]] == ["start", "rectify", "verified", "end"]
    diagram = engine.instance_diagram(instance_id, "rectifier")
    assert diagram["completed"] == ["start", "rectify", "verified", "end"] and diagram["active"] == []


def test_the_diagram_keeps_showing_steps_whose_tasks_were_compacted(looping):
    engine, instance_id = looping
    for _ in range(3):
        [task_id] = _open_rows(engine, instance_id)
        engine.complete(task_id, "rectifier", {"done": False})
    state = json.loads(_instance_row(engine, instance_id).state)
    assert state["done_steps"][:2] == [[KEY, "start", ""], [KEY, "rectify", "整改"]]
    diagram = engine.instance_diagram(instance_id, "rectifier")
    assert diagram["completed"] == ["start", "verified"] and diagram["active"] == ["rectify"]
    assert [s["name"] for s in diagram["steps"] if s["id"] == "rectify"] == ["整改"]


def test_through_the_engine_the_guard_refuses_and_saves_nothing_when_the_tree_outgrows_the_iterator(
        looping, monkeypatch):
    """The depth-1000 case, made small: without compaction and with SpiffWorkflow's iterator
    bounded at 30 levels, the open task falls out of its sight after a dozen rounds. The
    command is refused loudly; the instance keeps running with its open task."""
    engine, instance_id = looping
    monkeypatch.setattr(compaction, "compact", lambda workflow: 0)
    _bound_iterator_depth(monkeypatch, 30)
    with pytest.raises(WorkflowInconsistent):
        for _ in range(40):
            [task_id] = _open_rows(engine, instance_id)
            engine.complete(task_id, "rectifier", {"done": False})
    assert _instance_row(engine, instance_id).status == "running"
    assert _open_rows(engine, instance_id) == [task_id]


def test_with_compaction_the_same_small_iterator_never_loses_the_open_task(looping, monkeypatch):
    engine, instance_id = looping
    _bound_iterator_depth(monkeypatch, 30)
    for round_no in range(1, 61):
        [task_id] = _open_rows(engine, instance_id)
        assert engine.complete(task_id, "rectifier", {"done": round_no == 60})["status"] \
            == ("completed" if round_no == 60 else "running")
    assert _open_rows(engine, instance_id) == []


def _bound_iterator_depth(monkeypatch, depth: int) -> None:
    from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
    for cls in (TaskIterator, BpmnTaskIterator):
        defaults = list(cls.__init__.__defaults__)
        defaults[1] = depth  # (end_at_spec, max_depth, …)
        monkeypatch.setattr(cls.__init__, "__defaults__", tuple(defaults))


def test_bench_history_reports_cost_per_round_and_state_size(capsys):
    from engine.cli.main import main
    assert main(["bench-history", "--rounds", "30", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["correct"] and report["completed_rounds"] == 30 and report["final_status"] == "completed"
    assert report["first_rounds"] == "1-20" and report["last_rounds"] == "11-30"
    assert report["first_mean_ms"] > 0 and report["last_mean_ms"] > 0
    assert set(report["state_bytes_at_round"]) == {"1"}


def test_a_boundary_timer_of_a_late_round_still_fires_once_after_many_compacted_rounds(engine, tmp_path):
    """Round 30's 整改 is late: its 督办 opens once beside it, and the loop goes on to the end."""
    from engine import clock
    engine.add_user("designer", roles=("designer",))
    engine.add_user("rectifier")
    engine.deploy([write(tmp_path, "boundary_loop.bpmn", BOUNDARY_LOOP)], "designer")
    with clock.frozen_at(clock.parse_moment("2026-03-02T09:00:00")):
        instance_id = engine.start("boundary_loop", "rectifier")["id"]
        for _ in range(29):
            [task_id] = _open_rows(engine, instance_id)
            engine.complete(task_id, "rectifier", {"done": False})
    with clock.frozen_at(clock.parse_moment("2026-03-04T09:00:00")):
        assert engine.fire_due_timers()["fired"] == 1
        assert sorted(t["element_id"] for t in engine.tasks("rectifier")) == ["rectify", "urge"]
        assert engine.fire_due_timers()["fired"] == 0
        for task in sorted(engine.tasks("rectifier"), key=lambda t: t["element_id"] != "urge"):
            engine.complete(task["id"], "rectifier", {"done": True})
    assert (_instance_row(engine, instance_id).status, _open_rows(engine, instance_id)) == ("completed", [])


def test_a_return_after_compaction_reopens_the_same_step_with_the_same_data():
    """退回 resets the nearest completed user step, which takes its parent's data: after many
    compacted rounds that is the same step with the same data as in the whole tree."""
    START = {"unit": "江宁分局", "n": 0, "done": False}  # noqa: N806 - a constant of this test
    compacted, full = Run(RETURN_LOOP, "return_loop", data=START), \
        Run(RETURN_LOOP, "return_loop", compact=False, data=START)
    for n in range(1, 13):
        for run in (compacted, full):
            run.complete("fill", {"n": n, "done": n == 12, f"note_{n % 4}": n})
    assert compacted.open_steps() == full.open_steps() == ["review"]
    for _ in range(2):  # returned, filled in again, and returned once more
        kept, reference = compacted.return_from("review"), full.return_from("review")
        assert compacted.open_steps() == full.open_steps() == ["fill"]
        assert _task_data_by_element(kept) == _task_data_by_element(reference)
        assert kept.last_task.task_spec.name == reference.last_task.task_spec.name == "route"
        assert instance_data(kept) == instance_data(reference)
        kept, reference = (run.complete("fill", {"n": 99, "done": True}) for run in (compacted, full))
        assert instance_data(kept) == instance_data(reference) and instance_data(kept)["checked"] == 990
    assert len(compacted.state) < len(full.state) / 2


def test_a_completed_step_compacted_out_of_the_tree_still_shows_its_form_and_data(looping):
    """已办: the clerk opens a 整改 they finished rounds ago — its step is no longer in the stored
    tree, so the page reads its data as the audit recorded it and names the process."""
    engine, instance_id = looping
    [first] = _open_rows(engine, instance_id)
    engine.complete(first, "rectifier", {"done": False, "measures": "第一轮整改"})
    for _ in range(5):
        [task_id] = _open_rows(engine, instance_id)
        engine.complete(task_id, "rectifier", {"done": False})
    shown = engine.task_view(first, "rectifier")
    assert shown["task"]["status"] == "completed"
    assert shown["data"]["measures"] == "第一轮整改"
    assert shown["task"]["process_name"] not in ("", KEY)


def test_the_task_page_of_a_long_loop_reads_one_page_of_its_history(looping):
    """Opening the task at round 63 costs what it cost at round 3: no more statements, and
    only the newest 50 events of the history (the soak's latency drift was this page reading
    every round's events)."""
    from tests.helpers.statements import recording
    engine, instance_id = looping

    def go_round(times: int) -> None:
        for _ in range(times):
            [task_id] = _open_rows(engine, instance_id)
            engine.complete(task_id, "rectifier", {"done": False})

    def open_task_page() -> tuple[dict, int]:
        [task_id] = _open_rows(engine, instance_id)
        with recording(engine.db) as sent:
            view = engine.task_view(task_id, "rectifier")
        return view, len(sent.statements)

    go_round(3)
    early, early_statements = open_task_page()
    go_round(60)
    late, late_statements = open_task_page()
    whole = engine.show(instance_id)["history"]
    assert late_statements <= early_statements  # (the first page also names the process started)
    assert early["history_page"]["pages"] == 1 and len(early["history"]) == early["history_page"]["total"]
    assert late["history_page"] == {"page": 1, "pages": -(-len(whole) // 50), "per_page": 50, "total": len(whole)}
    assert [e["id"] for e in late["history"]] == [e["id"] for e in whole[-50:]]  # the newest, oldest first
