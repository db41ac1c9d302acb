"""Timers at scale: one call drains every due timer, a batch of leases at a time; one
instance's failure stops none of the others; scheduler processes share a backlog and never
fire a timer twice; an idle scheduler fires a timer within a second of its falling due."""
import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from engine import clock
from engine.bench.timers import fill
from engine.cli.main import main
from engine.jobs import firing, stopping, timer_rows
from engine.service import Engine
from engine.store.tables import AuditEvent, HumanTask, Timer
from tests.helpers.models import process, write
from tests.helpers.paths import FORMS, ROOT

T0 = clock.parse_moment("2026-11-20T10:00:00")
WAIT_THEN_DIVIDE = """<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:scriptTask id="divide" scriptFormat="python"><bpmn:script>share = 100 / parts</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="after" name="计时后"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="divide"/>
<bpmn:sequenceFlow id="f3" sourceRef="divide" targetRef="after"/><bpmn:sequenceFlow id="f4" sourceRef="after" targetRef="e"/>"""


def start_waiting(engine, tmp_path, parts: list[int]) -> list[int]:
    """One instance per entry of `parts`, each waiting an hour from T0; 0 makes its firing fail."""
    engine.deploy([write(tmp_path, "divide.bpmn", process("shares", WAIT_THEN_DIVIDE))], "designer")
    with clock.frozen_at(T0):
        return [engine.start("shares", "liaison1", {"parts": n})["id"] for n in parts]


def count(engine, model, *where) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def leases(engine) -> dict[int, str | None]:
    with engine.uow(write=False) as uow:
        return dict(uow.session.execute(select(Timer.instance_id, Timer.lease_owner)).all())


def test_one_call_drains_more_than_a_batch_and_reports_the_true_count(people, tmp_path, monkeypatch):
    monkeypatch.setattr(timer_rows, "BATCH", 4)
    ids = start_waiting(people, tmp_path, [2] * 11)
    with clock.frozen_at(T0 + timedelta(minutes=59)):
        assert people.fire_due_timers() == {"due": 0, "fired": 0, "failed": 0, "started": 0}
    with clock.frozen_at(T0 + timedelta(hours=2)):
        assert people.fire_due_timers() == {"due": 11, "fired": 11, "failed": 0, "started": 0}
        assert people.fire_due_timers()["due"] == 0  # fired once, never again
    assert count(people, AuditEvent, AuditEvent.action == "timer_fired") == 11
    assert count(people, Timer, Timer.status == "fired") == 11
    assert {people.show(i)["data"]["share"] for i in ids} == {50}


def test_a_failing_instance_stops_none_of_the_others(people, tmp_path, monkeypatch):
    monkeypatch.setattr(timer_rows, "BATCH", 3)
    ids = start_waiting(people, tmp_path, [4, 0, 5, 2, 0, 1])
    with clock.frozen_at(T0 + timedelta(hours=1)):
        assert people.fire_due_timers() == {"due": 6, "fired": 4, "failed": 2, "started": 0}
    assert [people.show(i)["data"].get("share") for i in ids] == [25, None, 20, 50, None, 100]
    with people.uow(write=False) as uow:
        failures = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "timer_failed")))
        failed = set(uow.session.scalars(select(Timer.instance_id).where(Timer.status == "failed")))
    assert failed == {ids[1], ids[4]} and len(failures) == 2
    assert all("divide" in f.detail["error"] for f in failures)


def test_a_conflicting_firing_is_retried_after_a_pause(people, tmp_path, monkeypatch):
    [instance] = start_waiting(people, tmp_path, [2])
    original, calls = Engine._fire_one, []

    def conflict_first(self, timer_id, owner):
        calls.append(timer_id)
        return "conflict" if len(calls) == 1 else original(self, timer_id, owner)

    monkeypatch.setattr(Engine, "_fire_one", conflict_first)
    due = T0 + timedelta(hours=1)
    with clock.frozen_at(due):
        assert people.fire_due_timers()["fired"] == 0
        assert leases(people) == {instance: None}  # released, but not claimable at once
        assert people.fire_due_timers()["due"] == 0
    with clock.frozen_at(due + firing.RETRY_AFTER + timedelta(seconds=1)):
        assert people.fire_due_timers() == {"due": 1, "fired": 1, "failed": 0, "started": 0}


def firing_with(instance_id: int, before):
    """Engine._fire_one, but calling `before()` first on the timer of `instance_id`."""
    original = Engine._fire_one

    def fire_one(self, timer_id, owner):
        with self.uow(write=False) as uow:
            if uow.session.get(Timer, timer_id).instance_id == instance_id:
                before()
        return original(self, timer_id, owner)

    return fire_one


def raising_on(instance_id: int, error: BaseException):
    """Engine._fire_one, but raising `error` on the timer of `instance_id`."""
    def fail():
        raise error
    return firing_with(instance_id, fail)


def test_an_unexpected_error_releases_the_rest_of_the_batch(people, tmp_path, monkeypatch):
    ids = start_waiting(people, tmp_path, [1, 2, 4, 5])
    original = Engine._fire_one
    monkeypatch.setattr(Engine, "_fire_one", raising_on(ids[1], RuntimeError("a bug")))
    due = T0 + timedelta(hours=1)
    with clock.frozen_at(due), pytest.raises(RuntimeError):
        people.fire_due_timers(owner="a")
    # the first fired; the one that raised keeps its lease (retried when it expires, not
    # in a loop); the rest are free for the next tick at once
    assert leases(people) == {ids[0]: "a", ids[1]: "a", ids[2]: None, ids[3]: None}
    assert count(people, Timer, Timer.status == "fired") == 1
    with clock.frozen_at(due):
        assert people.fire_due_timers(owner="b") == {"due": 2, "fired": 2, "failed": 0, "started": 0}
    monkeypatch.setattr(Engine, "_fire_one", original)
    with clock.frozen_at(due + timedelta(minutes=6)):  # the lease expired
        assert people.fire_due_timers(owner="b") == {"due": 1, "fired": 1, "failed": 0, "started": 0}
    assert count(people, AuditEvent, AuditEvent.action == "timer_fired") == 4


def test_a_stopped_scheduler_gives_back_what_it_did_not_fire(people, tmp_path, monkeypatch):
    ids = start_waiting(people, tmp_path, [1, 2, 4])
    original = Engine._fire_one
    monkeypatch.setattr(Engine, "_fire_one", raising_on(ids[1], KeyboardInterrupt()))
    with clock.frozen_at(T0 + timedelta(hours=1)):
        with pytest.raises(KeyboardInterrupt):
            people.fire_due_timers(owner="a")
        assert leases(people) == {ids[0]: "a", ids[1]: None, ids[2]: None}
        monkeypatch.setattr(Engine, "_fire_one", original)
        assert people.fire_due_timers(owner="b") == {"due": 2, "fired": 2, "failed": 0, "started": 0}


def test_a_stop_asked_mid_drain_finishes_the_firing_under_way_and_gives_back_the_rest(people, tmp_path, monkeypatch):
    """SIGTERM to the scheduler while it fires the second timer of a batch: that firing
    completes and is saved, the drain ends without an exception, the others go back at once."""
    ids = start_waiting(people, tmp_path, [1, 2, 4, 5])
    # as the signal handler does, in the middle of the second firing
    monkeypatch.setattr(Engine, "_fire_one", firing_with(ids[1], stopping.ask))
    try:
        with clock.frozen_at(T0 + timedelta(hours=1)):
            assert people.fire_due_timers(owner="a") == {"due": 4, "fired": 2, "failed": 0, "started": 0}
    finally:
        stopping.reset()
    assert leases(people) == {ids[0]: "a", ids[1]: "a", ids[2]: None, ids[3]: None}
    assert count(people, HumanTask, HumanTask.element_id == "after") == 2
    with clock.frozen_at(T0 + timedelta(hours=1)):
        assert people.fire_due_timers(owner="b") == {"due": 2, "fired": 2, "failed": 0, "started": 0}


def test_a_lease_taken_over_after_expiry_fires_once(people, tmp_path):
    [instance] = start_waiting(people, tmp_path, [2])
    due = T0 + timedelta(hours=1)
    with clock.frozen_at(due), people.uow() as uow:
        [timer_id] = timer_rows.claim_due(uow.session, "a")
    with clock.frozen_at(due + timedelta(minutes=6)):  # "a" seems to have died
        assert people.fire_due_timers(owner="b")["fired"] == 1
        assert people._fire_one(timer_id, "a") == "skipped"  # "a" wakes up: too late
    assert count(people, AuditEvent, AuditEvent.action == "timer_fired") == 1
    assert people.show(instance)["data"]["share"] == 50


def test_concurrent_claims_take_disjoint_batches(engine, people, tmp_path):
    """On PostgreSQL a claim skips the rows another open claim has locked instead of
    waiting for it; on SQLite claims follow one another. Either way no timer is in two."""
    start_waiting(people, tmp_path, [1] * 12)
    due = T0 + timedelta(hours=1)
    first = Engine(db_engine=engine.db, forms_dir=FORMS)
    with clock.frozen_at(due):
        if engine.db.dialect.name == "postgresql":
            with first.uow() as a, engine.uow() as b:
                batch_a = timer_rows.claim_due(a.session, "a", limit=5)
                batch_b = timer_rows.claim_due(b.session, "b", limit=5)
        else:
            with first.uow() as a:
                batch_a = timer_rows.claim_due(a.session, "a", limit=5)
            with engine.uow() as b:
                batch_b = timer_rows.claim_due(b.session, "b", limit=5)
        with engine.uow() as c:
            batch_c = timer_rows.claim_due(c.session, "c")
    assert len(batch_a) == len(batch_b) == 5 and len(batch_c) == 2
    assert len(set(batch_a) | set(batch_b) | set(batch_c)) == 12


def test_fire_timers_command_is_not_capped(sqlite_engine, capsys):
    fill(sqlite_engine, 230)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    assert main(["--database", url, "fire-timers"]) == 0
    assert "到期 230，已触发 230，新启动实例 0，失败 0" in capsys.readouterr().out


def test_bench_timers_tiny_json(capsys):
    code = main(["bench-timers", "--timers", "60", "--schedulers", "2", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["database"] == "sqlite" and report["timers"] == 60 and report["schedulers"] == 2
    assert report["exactly_once"] and report["timers_per_s"] > 0
    workers = report["last_run"]["workers"]
    assert len(workers) == 2 and sum(w["fired"] for w in workers) == 60
    assert report["last_run"]["check"] == {"pending": 0, "failed": 0, "fired_audits": 60, "fired_instances": 60,
                                           "open_tasks": 60}


# --- scheduler processes -------------------------------------------------------------------

class Scheduler:
    """A `sanfu scheduler` process; its output goes to a file (a pipe nobody reads while it
    runs could fill up and stall it)."""

    def __init__(self, url: str, log_path):
        self.log_path = log_path
        with open(log_path, "w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "scheduler"], cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT, env={**os.environ, "SANFU_DATABASE_URL": url, "PYTHONPATH": str(ROOT)})

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def wait_started(self) -> None:
        _wait_for(lambda: "调度器已启动" in self.output() or self.proc.poll() is not None, seconds=60)
        assert "调度器已启动" in self.output(), self.output()

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        return self.output()


def _wait_for(predicate, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.1)


def _fired_in(output: str) -> int:
    return sum(int(n) for n in re.findall(r"fired (\d+)", output))


def _url(db_engine) -> str:
    return db_engine.url.render_as_string(hide_password=False)


def test_two_scheduler_processes_drain_a_backlog_each_timer_once(db_engine, tmp_path):
    timers = 800
    fill(db_engine, timers)
    engine = Engine(db_engine=db_engine)
    with db_engine.begin() as conn:  # not due until both schedulers run
        conn.execute(update(Timer).values(due_at=clock.now() + timedelta(days=1)))
    schedulers = [Scheduler(_url(db_engine), tmp_path / f"scheduler{n}.log") for n in range(2)]
    try:
        for scheduler in schedulers:
            scheduler.wait_started()
        with db_engine.begin() as conn:
            conn.execute(update(Timer).values(due_at=clock.now() - timedelta(minutes=1)))
        _wait_for(lambda: count(engine, Timer, Timer.status == "pending") == 0)
        # A scheduler logs its count when its drain ends, a moment after its last commit.
        _wait_for(lambda: sum(_fired_in(s.output()) for s in schedulers) >= timers, seconds=30)
    finally:
        outputs = [scheduler.stop() for scheduler in schedulers]
    fired_by = [_fired_in(output) for output in outputs]
    assert all("Traceback" not in output for output in outputs), outputs
    assert sum(fired_by) == timers and all(fired_by), fired_by  # both took part, none twice
    fired = AuditEvent.action == "timer_fired"
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent).where(fired)) == timers
        assert uow.session.scalar(select(func.count(AuditEvent.instance_id.distinct())).where(fired)) == timers
    assert count(engine, HumanTask, HumanTask.status == "open") == timers


def test_an_idle_scheduler_fires_a_timer_within_a_second(sqlite_engine, tmp_path):
    engine = Engine(db_engine=sqlite_engine, forms_dir=FORMS)
    engine.add_user("alice", roles=("designer",))
    body = WAIT_THEN_DIVIDE.replace("PT1H", "PT2S")
    engine.deploy([write(tmp_path, "soon.bpmn", process("soon", body))], "alice")
    scheduler = Scheduler(_url(sqlite_engine), tmp_path / "scheduler.log")
    try:
        scheduler.wait_started()
        time.sleep(1)  # idle for a while: it polls, finds nothing
        engine.start("soon", "alice", {"parts": 4})
        _wait_for(lambda: count(engine, Timer, Timer.status == "fired") == 1, seconds=30)
    finally:
        output = scheduler.stop()
    assert "Traceback" not in output, output
    with engine.uow(write=False) as uow:
        timer = uow.session.scalar(select(Timer))
    assert timer.status == "fired"
    assert timedelta(0) <= timer.fired_at - timer.due_at < timedelta(seconds=1)
