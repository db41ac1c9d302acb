"""Timer start events (Camunda semantics): the timer belongs to the deployed definition,
and every firing starts one new instance of the latest version."""
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.clock import SHANGHAI, frozen_at
from engine.errors import DefinitionError, InvalidInput
from engine.jobs import leases, start_events
from engine.service import Engine
from engine.store.tables import AuditEvent, Instance, StartTimer, Timer
from tests.helpers.models import process, write
from tests.helpers.paths import FORMS

DEPLOYED_AT = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a Friday, Shanghai time
TAGS = {"date": "timeDate", "duration": "timeDuration", "cycle": "timeCycle"}


def timer_start(kind: str, text: str, element_id: str = "tick") -> str:
    tag = TAGS[kind]
    return (f'<bpmn:startEvent id="{element_id}" name="定时"><bpmn:timerEventDefinition>'
            f'<bpmn:{tag}>{text}</bpmn:{tag}></bpmn:timerEventDefinition></bpmn:startEvent>')


def timed(key: str, kind: str, text: str, task: str = "report", plain: bool = False) -> str:
    """timer start → user task `task` (water) → end; with `plain`, also a none start
    event leading to its own task `by_hand`."""
    body = timer_start(kind, text) + f"""
<bpmn:userTask id="{task}" name="{task}" camunda:candidateGroups="water"/><bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="{task}"/>
<bpmn:sequenceFlow id="f2" sourceRef="{task}" targetRef="end"/>"""
    if plain:
        body += """<bpmn:startEvent id="plain"/>
<bpmn:userTask id="by_hand" name="by_hand" camunda:candidateGroups="water"/><bpmn:endEvent id="end2"/>
<bpmn:sequenceFlow id="f3" sourceRef="plain" targetRef="by_hand"/>
<bpmn:sequenceFlow id="f4" sourceRef="by_hand" targetRef="end2"/>"""
    return process(key, body)


def deploy(engine, tmp_path, xml: str, at: datetime = DEPLOYED_AT, name: str = "timed.bpmn"):
    with frozen_at(at):
        return engine.deploy([write(tmp_path, name, xml)], "designer")


def tick(engine, moment: datetime, owner: str = "sanfu") -> dict:
    with frozen_at(moment):
        return engine.fire_due_timers(owner=owner)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def instances(engine, key: str) -> list[Instance]:
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(Instance).where(Instance.process_key == key)
                                        .order_by(Instance.id)))


def schedule(engine, key: str) -> list[StartTimer]:
    with engine.uow(write=False) as uow:
        return list(uow.session.scalars(select(StartTimer).where(StartTimer.process_key == key)
                                        .order_by(StartTimer.id)))


def count(engine, model, *where) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def test_cron_start_fires_at_shanghai_wall_clock_times(people, tmp_path):
    deploy(people, tmp_path, timed("daily", "cycle", "0 30 9 ? * MON-FRI"))
    [row] = schedule(people, "daily")
    assert row.status == "active" and row.remaining == -1 and row.text == "cron:0 30 9 ? * MON-FRI"
    assert row.next_due_at == local(2026, 11, 23, 9, 30)  # Monday 09:30 Shanghai = 01:30 UTC
    assert tick(people, local(2026, 11, 23, 9, 29, 59))["started"] == 0
    assert tick(people, local(2026, 11, 23, 9, 30)) == {"due": 1, "fired": 0, "failed": 0, "started": 1}
    assert tick(people, local(2026, 11, 23, 9, 31))["started"] == 0
    assert tick(people, local(2026, 11, 24, 9, 30))["started"] == 1
    assert schedule(people, "daily")[0].next_due_at == local(2026, 11, 25, 9, 30)
    rows = instances(people, "daily")
    assert [(r.started_by, r.status, r.version) for r in rows] == [("scheduler", "running", 1)] * 2
    # each instance is past its start event at once: one open task, no timer waiting
    assert [t["element_id"] for t in people.tasks("water1")] == ["report", "report"]
    assert count(people, Timer) == 0
    started = people.show(rows[0].id)["history"][0]
    assert started["action"] == "instance_started" and started["actor"] == "scheduler"
    assert started["detail"]["trigger"] == "timer" and started["detail"]["element_id"] == "tick"


def test_camunda_order_handling_cron_fires_every_five_seconds(people, tmp_path):
    deploy(people, tmp_path, timed("orders", "cycle", "0/5 0/1 * 1/1 * ?"))
    assert tick(people, DEPLOYED_AT + timedelta(seconds=4))["started"] == 0
    assert tick(people, DEPLOYED_AT + timedelta(seconds=5))["started"] == 1
    assert tick(people, DEPLOYED_AT + timedelta(seconds=10))["started"] == 1
    assert len(instances(people, "orders")) == 2


def test_missed_cron_firings_collapse_into_one(people, tmp_path):
    deploy(people, tmp_path, timed("quarterly", "cycle", "0 0/15 * * * ?"))
    assert tick(people, local(2026, 11, 20, 13, 7))["started"] == 1  # 12 firings missed
    assert schedule(people, "quarterly")[0].next_due_at == local(2026, 11, 20, 13, 15)
    assert tick(people, local(2026, 11, 20, 13, 7))["started"] == 0
    assert tick(people, local(2026, 11, 20, 13, 15))["started"] == 1
    assert len(instances(people, "quarterly")) == 2


def test_bounded_cycle_r2_starts_exactly_two_instances(people, tmp_path):
    deploy(people, tmp_path, timed("twice", "cycle", "R2/PT1H"))
    assert tick(people, DEPLOYED_AT + timedelta(minutes=59))["started"] == 0
    assert tick(people, DEPLOYED_AT + timedelta(hours=1))["started"] == 1
    assert tick(people, DEPLOYED_AT + timedelta(hours=2))["started"] == 1
    for hours in (3, 10, 100):
        assert tick(people, DEPLOYED_AT + timedelta(hours=hours))["due"] == 0
    [row] = schedule(people, "twice")
    assert (row.status, row.remaining, row.fired_count) == ("done", 0, 2)
    assert len(instances(people, "twice")) == 2


@pytest.mark.parametrize("kind, text, due", [
    ("date", "2026-11-21T08:00:00", local(2026, 11, 21, 8, 0)),
    ("duration", "PT2H", DEPLOYED_AT + timedelta(hours=2)),  # counted from deployment
])
def test_date_and_duration_starts_fire_once(people, tmp_path, kind, text, due):
    deploy(people, tmp_path, timed("once", kind, text))
    assert schedule(people, "once")[0].next_due_at == due
    assert tick(people, due - timedelta(seconds=1))["started"] == 0
    assert tick(people, due)["started"] == 1
    assert tick(people, due + timedelta(days=30))["due"] == 0
    assert schedule(people, "once")[0].status == "done"
    assert len(instances(people, "once")) == 1


def test_redeploying_a_changed_version_replaces_the_schedule(people, tmp_path):
    deploy(people, tmp_path, timed("rounds", "cycle", "0 0/15 * * * ?"))
    assert tick(people, local(2026, 11, 20, 10, 15))["started"] == 1
    v2 = timed("rounds", "cycle", "0 0 * * * ?", task="report_v2")  # hourly, other task
    assert deploy(people, tmp_path, v2, at=local(2026, 11, 20, 10, 20)).processes[0]["version"] == 2
    assert [r.status for r in schedule(people, "rounds")] == ["replaced", "active"]
    assert tick(people, local(2026, 11, 20, 10, 30))["due"] == 0  # v1's schedule is gone
    assert tick(people, local(2026, 11, 20, 11, 0))["started"] == 1
    deploy(people, tmp_path, v2, at=local(2026, 11, 20, 11, 5))  # unchanged: schedule kept
    assert tick(people, local(2026, 11, 20, 12, 0))["started"] == 1
    assert [r.version for r in instances(people, "rounds")] == [1, 2, 2]
    v3 = process("rounds", '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
                           '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e"/>')
    deploy(people, tmp_path, v3, at=local(2026, 11, 20, 12, 5))  # no timer start any more
    assert tick(people, local(2026, 11, 20, 13, 0))["due"] == 0
    assert [r.status for r in schedule(people, "rounds")] == ["replaced", "replaced"]


def test_three_schedulers_start_exactly_one_instance_per_firing(people, tmp_path):
    for n in range(4):
        deploy(people, tmp_path, timed(f"race{n}", "cycle", "0 0/15 * * * ?"), name=f"r{n}.bpmn")
    schedulers = [Engine(db_engine=people.db, forms_dir=FORMS) for _ in range(3)]
    outcomes = []
    for moment in (local(2026, 11, 20, 10, 15), local(2026, 11, 20, 10, 30)):
        barrier = threading.Barrier(3)

        def run(engine, n, moment=moment, barrier=barrier):
            barrier.wait()
            outcomes.append(tick(engine, moment, owner=f"scheduler-{n}"))

        threads = [threading.Thread(target=run, args=(e, n)) for n, e in enumerate(schedulers)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        outcomes.append(tick(people, moment))  # what a contended tick skipped, the next one fires
    assert sum(o["started"] for o in outcomes) == 8
    assert count(people, Instance) == 8
    assert count(people, AuditEvent, AuditEvent.action == "instance_started") == 8
    for n in range(4):
        assert schedule(people, f"race{n}")[0].fired_count == 2


def test_a_lease_keeps_other_schedulers_off_and_expiry_never_fires_twice(people, tmp_path):
    deploy(people, tmp_path, timed("leased", "cycle", "0 0/15 * * * ?"))
    [row] = schedule(people, "leased")
    due = local(2026, 11, 20, 10, 15)
    with frozen_at(due), people.uow() as uow:
        assert start_events.claim(uow.session, row.id, "a")
        assert not start_events.claim(uow.session, row.id, "b")
    later = due + leases.LEASE + timedelta(seconds=1)  # "a" seems to have died
    with frozen_at(later), people.uow() as uow:
        assert start_events.claim(uow.session, row.id, "b")
    with frozen_at(later), people.uow() as uow:
        assert start_events.take(uow.session, row.id, "a") is None  # too late for "a"
    with frozen_at(later):
        assert start_events.fire_one(people, row.id, "c") == "skipped"  # "b" holds the lease
    with frozen_at(later + leases.LEASE + timedelta(seconds=1)):
        assert start_events.fire_one(people, row.id, "c") == "started"  # "b" died too
        with people.uow() as uow:
            assert start_events.take(uow.session, row.id, "b") is None
    assert len(instances(people, "leased")) == 1
    assert schedule(people, "leased")[0].next_due_at == local(2026, 11, 20, 10, 30)


def test_manual_start_of_a_timer_only_process_is_refused(people, tmp_path):
    deploy(people, tmp_path, timed("auto", "cycle", "R/PT1H"))
    with pytest.raises(InvalidInput, match="该流程由定时器启动"):
        people.start("auto", "liaison1")
    assert instances(people, "auto") == []


def test_plain_start_event_is_used_by_hand_and_the_timer_one_by_the_scheduler(people, tmp_path):
    deploy(people, tmp_path, timed("both", "cycle", "R/PT1H", plain=True))
    with frozen_at(DEPLOYED_AT):
        by_hand = people.start("both", "liaison1")["id"]
    assert [t["element_id"] for t in people.show(by_hand)["open_tasks"]] == ["by_hand"]
    assert count(people, Timer) == 0  # the manual instance does not wait on the timer start
    assert tick(people, DEPLOYED_AT + timedelta(hours=1))["started"] == 1
    by_timer = instances(people, "both")[-1].id
    assert [t["element_id"] for t in people.show(by_timer)["open_tasks"]] == ["report"]
    assert count(people, Timer) == 0


def test_an_instance_started_by_the_timer_completes_normally(people, tmp_path):
    deploy(people, tmp_path, timed("done", "date", "2026-11-21T08:00:00"))
    tick(people, local(2026, 11, 21, 8, 0))
    [task] = people.tasks("water1")
    with frozen_at(local(2026, 11, 21, 9, 0)):
        people.complete(task["id"], "water1", {"ok": True})
    [row] = instances(people, "done")
    assert row.status == "completed"
    actions = [e["action"] for e in people.show(row.id)["history"]]
    assert actions[0] == "instance_started" and actions[-1] == "instance_completed"


def test_a_failing_start_is_recorded_and_the_schedule_moves_on(people, tmp_path):
    body = timer_start("cycle", "R/PT1H") + """
<bpmn:scriptTask id="broken" scriptFormat="python"><bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end"/><bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="broken"/>
<bpmn:sequenceFlow id="f2" sourceRef="broken" targetRef="end"/>"""
    deploy(people, tmp_path, process("fragile", body))
    assert tick(people, DEPLOYED_AT + timedelta(hours=1)) == {"due": 1, "fired": 0, "failed": 1,
                                                            "started": 0}
    assert instances(people, "fragile") == []
    [row] = schedule(people, "fragile")
    assert row.next_due_at == DEPLOYED_AT + timedelta(hours=2) and row.lease_owner is None
    with people.uow(write=False) as uow:
        failure = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "timer_failed"))
    assert failure.detail["element_id"] == "tick" and "broken" in failure.detail["error"]


def test_a_timer_start_expression_needing_instance_data_is_refused_at_deploy(people, tmp_path):
    with pytest.raises(DefinitionError, match="部署时") as caught:
        deploy(people, tmp_path, timed("dynamic", "date", "${startDate}"))
    assert caught.value.element_id == "tick"
