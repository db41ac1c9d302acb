"""The database goes away for three seconds while `sanfu scheduler` drains a backlog of due
timers (a proxy in front of PostgreSQL is cut mid-drain and restored), with the production
claim lease: the scheduler says the outage once, waits, carries on by itself, and every timer
fires exactly once — including the batch it had claimed when the database went away, which
it must not leave waiting for its own lease to run out."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from engine.bench.timers import fill
from engine.store.tables import AuditEvent, HumanTask, Timer
from tests.helpers.paths import ROOT
from tests.helpers.tcp_proxy import TcpProxy

TIMERS, CUT_AFTER, OUTAGE_S = 300, 30, 3.0


def test_a_database_outage_mid_drain_fires_every_timer_once_soon_after(pg_engine, pg_url, tmp_path):
    fill(pg_engine.db, TIMERS)
    parts = urlsplit(make_url(pg_url).render_as_string(hide_password=False))
    proxy = TcpProxy(parts.hostname, parts.port or 5432)
    via_proxy = make_url(pg_url).set(host="127.0.0.1", port=proxy.start()).render_as_string(hide_password=False)
    log_path = tmp_path / "scheduler.log"
    with open(log_path, "w", encoding="utf-8") as log:
        scheduler = subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler", "--interval", "0.2"],
                                     cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONPATH": str(ROOT), "SANFU_DATABASE_URL": via_proxy})
    try:
        _wait(lambda: _fired(pg_engine) >= CUT_AFTER, "the scheduler fired nothing", scheduler)
        proxy.cut()
        fired_before = _fired(pg_engine)
        time.sleep(OUTAGE_S)
        proxy.restore()
        restored = time.monotonic()
        # the scheduler pauses 5 s after an outage error; well within a minute, not the 5-minute lease
        _wait(lambda: _fired(pg_engine) == TIMERS, "timers left waiting after the outage", scheduler, timeout=60)
        caught_up = time.monotonic() - restored
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
        proxy.stop()
    assert fired_before < TIMERS, "the backlog drained before the cut: make it bigger"
    with pg_engine.uow(write=False) as uow:
        audits = Counter(uow.session.scalars(select(AuditEvent.instance_id)
                                             .where(AuditEvent.action == "timer_fired")))
        after = Counter(uow.session.scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "after")))
    assert len(audits) == TIMERS and set(audits.values()) == {1}
    assert len(after) == TIMERS and set(after.values()) == {1}
    output = log_path.read_text(encoding="utf-8")
    assert "Traceback" not in output, output[-3000:]
    assert output.count("database unavailable") == 1 and output.count("database reachable again") == 1, output
    print(f"\nfired before the cut: {fired_before}; the rest fired {caught_up:.1f} s after the restore")


def _fired(engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired"))


def _wait(ready, message: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"{message}: the scheduler exited with {proc.returncode}"
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
