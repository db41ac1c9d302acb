"""`sanfu scheduler` really runs: it fires due timers, and stops when asked."""
import os
import subprocess
import sys
import time

import pytest

from engine.jobs import stopping
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


def test_a_stop_ends_the_loop_after_the_tick_under_way(monkeypatch):
    """SIGTERM's handler only asks: the tick under way runs to its end (no exception raised
    wherever the main thread was, a garbage collector's finalizer included), then the loop ends
    without sleeping out its interval, and the flag is down again for the rest of the process."""
    from engine.jobs import scheduler
    monkeypatch.setattr(stopping.signal, "signal", lambda *args: None)  # (leave pytest's handlers be)
    ticks = []

    def tick(_engine, _owner):
        ticks.append("tick")
        if len(ticks) == 2:
            stopping.ask(15, None)
            ticks.append("went on")
        if len(ticks) > 6:
            raise AssertionError("the scheduler ran on after SIGTERM")
        return len(ticks) == 1  # the first was busy (no pause), the second idle: a pause is due
    monkeypatch.setattr(scheduler, "tick", tick)
    started = time.monotonic()
    scheduler.run_scheduler(None, 600, "s1")
    assert ticks == ["tick", "tick", "went on"]
    assert time.monotonic() - started < 60  # the stop cut the idle pause short
    assert not stopping.requested()


def test_a_second_stop_stops_at_once():
    try:
        stopping.ask(15, None)
        with pytest.raises(SystemExit):
            stopping.ask(15, None)
    finally:
        stopping.reset()


def test_an_ignored_ctrl_c_stays_ignored_and_the_handlers_are_given_back():
    """`make run` starts the scheduler as a shell's background job, which ignores Ctrl-C (the
    shell's trap sends SIGTERM): the scheduler takes SIGTERM only, and leaves both as it found them."""
    import signal
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    term_before = signal.getsignal(signal.SIGTERM)
    try:
        with stopping.on_signals():
            assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) == stopping.ask
        assert signal.getsignal(signal.SIGTERM) == term_before
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
