"""`sanfu scheduler` really runs: APScheduler wakes up and fires due timers."""
import os
import subprocess
import sys
import time

from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.models import process, write
from tests.helpers.paths import ROOT

MODEL = """<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:userTask id="after" name="计时后"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>"""


def test_scheduler_process_fires_a_due_timer(tmp_path):
    url = f"sqlite:///{tmp_path / 'sched.db'}"
    db = make_engine(url)
    upgrade(db)
    engine = Engine(db_engine=db)
    engine.add_user("alice", roles=("designer",))
    engine.deploy([write(tmp_path, "t.bpmn", process("timed", MODEL))], "alice")
    engine.start("timed", "alice")
    assert engine.tasks("alice") == []
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler", "--interval", "0.2"],
                            cwd=ROOT, env={**os.environ, "SANFU_DATABASE_URL": url, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not engine.tasks("alice"):
            time.sleep(0.2)
        assert [t["name"] for t in engine.tasks("alice")] == ["计时后"]
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "调度器已启动" in output and "Traceback" not in output


def test_a_stop_whose_exit_was_swallowed_still_stops_the_loop(monkeypatch):
    """SIGTERM's handler raises SystemExit wherever the main thread is; raised inside a weakref
    callback or a __del__ it is printed and dropped. The scheduler stops after that tick anyway."""
    from engine.jobs import scheduler
    monkeypatch.setattr(scheduler.signal, "signal", lambda *args: None)  # (leave pytest's handlers be)
    ticks = []

    def tick(_engine, _owner):
        ticks.append(1)
        if len(ticks) == 2:
            try:  # as in a weakref callback: the exit is swallowed
                scheduler._stop(15, None)
            except SystemExit:
                pass
        if len(ticks) > 5:
            raise AssertionError("the scheduler ran on after SIGTERM")
        return False
    monkeypatch.setattr(scheduler, "tick", tick)
    scheduler.run_scheduler(None, 0.01, "s1")
    assert len(ticks) == 2
