"""`sanfu scheduler` kill -9'd in the middle of draining a backlog of due timers, holding the
claims of a batch it had not fired yet: a second scheduler fires the rest at once, takes the dead
one's claims over when their lease runs out (not before), and every timer fires exactly once —
one timer_fired audit row and one next task per instance, none left pending. SIGTERM instead
stops it cleanly, holding nothing."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from sqlalchemy import func, select

from engine import clock
from engine.bench.timers import fill
from engine.store.tables import AuditEvent, HumanTask, Timer
from tests.helpers.paths import ROOT

TIMERS, KILL_AFTER, LEASE_S = 300, 10, 10.0
# `sanfu scheduler` with a short claim lease (five minutes in production), so that the test need
# not wait five minutes for the dead scheduler's claims to expire.
SCHEDULER = """
import sys
from datetime import timedelta
from engine.jobs import leases
leases.LEASE = timedelta(seconds=float(sys.argv[1]))
from engine.cli.main import main
sys.exit(main(["scheduler", "--interval", "0.2"]))
"""


def test_a_scheduler_killed_mid_drain_leaves_every_timer_to_fire_once(pg_engine, pg_url, tmp_path):
    fill(pg_engine.db, TIMERS)
    _first_scheduler_fires_some_then(signal.SIGKILL, pg_engine, pg_url, tmp_path)
    fired_by_first = _fired(pg_engine)
    held = _held_claims(pg_engine)
    assert fired_by_first < TIMERS and held, "killed too late: nothing was left claimed"
    second_log = _a_second_scheduler_fires_the_rest(pg_engine, pg_url, tmp_path)
    with pg_engine.uow(write=False) as uow:
        session = uow.session
        audits = Counter(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")))
        statuses = Counter(session.scalars(select(Timer.status)))
        after = Counter(session.scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "after")))
        taken_over = {row.id: row.fired_at for row in session.scalars(select(Timer).where(Timer.id.in_(held)))}
    assert statuses == {"fired": TIMERS}
    assert len(audits) == TIMERS and set(audits.values()) == {1}     # each timer fired once
    assert len(after) == TIMERS and set(after.values()) == {1}       # and its instance moved on once
    assert all(taken_over[timer_id] >= lease_until for timer_id, lease_until in held.items()), \
        "a claim of the dead scheduler was taken before its lease ran out"
    assert "Traceback" not in second_log, second_log
    print(f"\nfired before the kill: {fired_by_first}; claims left held by the dead scheduler: {len(held)}; "
          f"the second fired the rest ({TIMERS - fired_by_first}) once each")


def test_a_scheduler_stopped_by_sigterm_mid_drain_exits_cleanly_and_holds_nothing(pg_engine, pg_url, tmp_path):
    """SIGTERM in the middle of a backlog: the firing under way completes, what the scheduler
    had claimed goes back at once (not after its lease), it exits 0 with no traceback, and the
    next scheduler fires the rest once each."""
    fill(pg_engine.db, TIMERS)
    assert _first_scheduler_fires_some_then(signal.SIGTERM, pg_engine, pg_url, tmp_path) == 0
    log = (tmp_path / "first.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and "Exception ignored" not in log, log
    assert _fired(pg_engine) < TIMERS, "stopped too late: the backlog was drained"
    assert _held_claims(pg_engine) == {}, "a stopped scheduler kept claims"
    _a_second_scheduler_fires_the_rest(pg_engine, pg_url, tmp_path)
    with pg_engine.uow(write=False) as uow:
        audits = Counter(uow.session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")))
    assert len(audits) == TIMERS and set(audits.values()) == {1}


def _first_scheduler_fires_some_then(stop: int, engine, url: str, tmp_path) -> int:
    """A scheduler starts on the backlog and gets `stop` once it has fired a few; its exit code."""
    first = _scheduler(url, tmp_path / "first.log")
    try:
        _wait(lambda: _fired(engine) >= KILL_AFTER, "the first scheduler fired nothing", first)
        first.send_signal(stop)
        return first.wait(timeout=20)
    finally:
        first.kill()


def _a_second_scheduler_fires_the_rest(engine, url: str, tmp_path) -> str:
    """A second scheduler drains what is left, then is stopped with SIGTERM; its log."""
    second = _scheduler(url, tmp_path / "second.log")
    try:
        _wait(lambda: _fired(engine) == TIMERS, "the second scheduler did not finish the backlog", second)
    finally:
        second.terminate()
        second.wait(timeout=30)
    return (tmp_path / "second.log").read_text(encoding="utf-8")


def _scheduler(url: str, log_path) -> subprocess.Popen:
    with open(log_path, "w", encoding="utf-8") as log:
        return subprocess.Popen([sys.executable, "-c", SCHEDULER, str(LEASE_S)], cwd=ROOT, stdout=log,
                                stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "SANFU_DATABASE_URL": url})


def _fired(engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired"))


def _held_claims(engine) -> dict[int, object]:
    """Timer id → lease end, of the due timers a (now dead) scheduler still holds."""
    with engine.uow(write=False) as uow:
        rows = uow.session.execute(select(Timer.id, Timer.lease_until).where(
            Timer.status == "pending", Timer.lease_until > clock.now())).all()
    return dict(rows)


def _wait(ready, message: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"{message}: the scheduler exited with {proc.returncode}"
        assert time.monotonic() < deadline, message
        time.sleep(0.02)
