"""Two commands racing on one instance: one commits, the other is refused whole."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import clock
from engine.errors import Conflict
from engine.jobs import timer_rows
from engine.runtime.core import Runtime
from engine.service import Engine
from engine.store.tables import AuditEvent, HumanTask, Timer
from tests.helpers.models import parallel_two_tasks, process, write
from tests.helpers.paths import FORMS


def test_two_completions_racing_on_one_instance_never_lose_an_update(people, tmp_path, monkeypatch):
    """PostgreSQL (many workers): both commands read revision r; the rival commits r+1
    first, so the slower one is refused whole with a conflict and nothing of it is saved.
    SQLite (one writer at a time): the rival waits for the write lock and then applies
    its completion to the new state — serialized, so there is nothing to refuse."""
    people.deploy([write(tmp_path, "p.bpmn", parallel_two_tasks())], "designer")
    instance = people.start("parallel", "liaison1")["id"]
    task_a, task_b = sorted(people.tasks("liaison1"), key=lambda t: t["name"])
    rival = Engine(db_engine=people.db, forms_dir=FORMS)  # another worker, its own session
    postgres = people.db.dialect.name == "postgresql"
    original, rival_result = Runtime.advance, []

    def rival_completes_b():
        try:
            rival.complete(task_b["id"], "liaison1", {"b": 1})
            rival_result.append("ok")
        except Conflict:
            rival_result.append("conflict")

    thread = threading.Thread(target=rival_completes_b)

    def advance_while_rival_runs(self, loaded):
        if not thread.is_alive() and not rival_result:
            thread.start()
            if postgres:
                thread.join(timeout=30)
        return original(self, loaded)

    monkeypatch.setattr(Runtime, "advance", advance_while_rival_runs)
    if postgres:
        with pytest.raises(Conflict, match="同时修改"):
            people.complete(task_a["id"], "liaison1", {"a": 1})
    else:
        people.complete(task_a["id"], "liaison1", {"a": 1})
    thread.join(timeout=30)
    monkeypatch.setattr(Runtime, "advance", original)
    assert rival_result == ["ok"]

    shown = people.show(instance)
    completed = [e for e in shown["history"] if e["action"] == "task_completed"]
    if postgres:
        assert [t["name"] for t in shown["open_tasks"]] == ["A"] and len(completed) == 1
        assert "a" not in shown["data"]
        people.complete(task_a["id"], "liaison1", {"a": 1})  # the retry succeeds
    assert people.show(instance)["status"] == "completed"
    assert len([e for e in people.show(instance)["history"] if e["action"] == "task_completed"]) == 2


def test_two_claims_race_and_only_one_wins(people, tmp_path):
    body = '<bpmn:startEvent id="s"/><bpmn:userTask id="t" camunda:candidateGroups="water"/><bpmn:endEvent id="e"/>' \
           '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    people.deploy([write(tmp_path, "c.bpmn", process("claimable", body))], "designer")
    people.start("claimable", "liaison1")
    task_id = people.tasks("water1")[0]["id"]
    results = []

    def claim(user):
        try:
            people.claim(task_id, user)
            results.append(user)
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=claim, args=(u,)) for u in ("water1", "water2")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    winners = [r for r in results if r != "conflict"]
    assert len(winners) == 1 and results.count("conflict") == 1
    with people.uow() as uow:
        assert uow.session.get(HumanTask, task_id).assignee == winners[0]


def test_two_schedulers_never_fire_one_timer_twice(people, tmp_path):
    body = """<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:userTask id="after"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>"""
    people.deploy([write(tmp_path, "t.bpmn", process("timed", body))], "designer")
    for _ in range(5):
        people.start("timed", "liaison1")
    import time
    time.sleep(1.1)
    schedulers = [Engine(db_engine=people.db, forms_dir=FORMS) for _ in range(3)]
    barrier = threading.Barrier(3)
    outcomes = []

    def run(engine, n):
        barrier.wait()
        outcomes.append(engine.fire_due_timers(owner=f"scheduler-{n}"))

    threads = [threading.Thread(target=run, args=(e, n)) for n, e in enumerate(schedulers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    leftovers = people.fire_due_timers()  # what a contended tick skipped, the next one fires
    outcomes.append(leftovers)
    with people.uow() as uow:
        fired = uow.session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "timer_fired"))
        pending = uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending"))
    assert fired == 5 and pending == 0
    assert sum(o["fired"] for o in outcomes) == 5
    assert len([t for t in people.tasks("liaison1") if t["element_id"] == "after"]) == 5


def test_a_timer_lease_is_taken_once(people, tmp_path):
    body = """<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>"""
    people.deploy([write(tmp_path, "t1h.bpmn", process("hour", body))], "designer")
    people.start("hour", "liaison1")
    with clock.frozen_at(clock.now() + timedelta(hours=2)):
        with people.uow() as uow:
            first = timer_rows.claim_due(uow.session, "a")
        with people.uow() as uow:
            second = timer_rows.claim_due(uow.session, "b")
    assert len(first) == 1 and second == []
