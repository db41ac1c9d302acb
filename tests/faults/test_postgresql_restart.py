"""PostgreSQL really restarted under load — not a proxy cut: a cluster of the test's own (initdb on a
free port) behind `sanfu serve` (gunicorn, two workers) with eight API clients completing tasks, a
signed-in browser reading its inbox page, and `sanfu scheduler` firing timers that fall due all
through the run. The cluster goes through `pg_ctl restart -m fast`, then `pg_ctl stop`, five
seconds down, `pg_ctl start`. Meanwhile pages and the API answer 503 with Retry-After and
数据库暂时不可用，请稍后重试, never a 500; the server log says each outage in a line per worker,
without a traceback; afterwards every request succeeds again with the same gunicorn workers (the
pool drops dead connections: engine.store.liveness); every acknowledged completion is saved once, every
instance's inbox rows equal its workflow; the scheduler lives through both and fires each timer
exactly once."""
from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from engine import clock
from engine.bench.signed_in import SignedIn
from engine.bench.timers import fill
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from engine.store.tables import AuditEvent, HumanTask, Timer
from tests.helpers.gunicorn_world import CUT, Clients, Outcome, assert_nothing_half_written, build_world, call, serve
from tests.helpers.paths import FORMS, ROOT
from tests.helpers.pg_cluster import throwaway_cluster

CLERKS, PER_CLERK, TIMERS = 8, 24, 120
DOWN_S, RECOVERY_S = 5.0, 5.0
TIMERS_OVER_S = 20.0   # timers fall due one after another over this span, across both outages
PASSWORD = "Restart2026pass"
MESSAGE = "数据库暂时不可用，请稍后重试"
OUTAGE_LINE, RECOVERY_LINE = "database unavailable", "database reachable again"


@pytest.fixture
def cluster():
    with throwaway_cluster() as running:
        yield running


@pytest.fixture
def engine(cluster):
    db = make_engine(cluster.url())
    upgrade(db)
    yield Engine(db_engine=db, forms_dir=FORMS)
    db.dispose()


def test_postgresql_restarted_and_stopped_under_load(cluster, engine, tmp_path):
    world = build_world(engine, tmp_path, CLERKS, PER_CLERK)
    engine.set_password("clerk0", PASSWORD, actor="root")
    fill(engine.db, TIMERS)
    run = _restart_twice_under_load(cluster, engine, world, tmp_path)
    outcomes = run.clients.outcomes + run.pages.outcomes
    print("\nrequests by (kind, status):", dict(Counter((o.kind, o.status) for o in outcomes)))
    _assert_503s_only_while_down(run, outcomes)
    _assert_recovered(run, outcomes)
    _assert_each_outage_logged_once(run, outcomes)
    counts = assert_nothing_half_written(engine, run.clients.acknowledged("complete"))
    assert counts["finished_instances"] == CLERKS * PER_CLERK, counts
    _assert_the_scheduler_fired_each_timer_once(engine, run)
    print("after both outages:", counts, "; the scheduler's log:",
          [line for line in run.scheduler_log.splitlines() if "database" in line])


@dataclass
class _Run:
    clients: _Clients
    pages: _Pages
    first: _Outage
    second: _Outage
    workers: set[int]                 # gunicorn's workers as the load began
    workers_after: set[int]
    log: str                          # gunicorn's
    scheduler_log: str
    scheduler_alive: bool


def _restart_twice_under_load(cluster, engine, world, tmp_path) -> _Run:
    """`pg_ctl restart -m fast`, then `pg_ctl stop` + 5 s + `pg_ctl start`, under the load."""
    try:
        with serve(cluster.url(), tmp_path, workers=2, step_delay=0.02) as server:
            _spread_due_times(engine.db)   # from now on: however long the set-up took, they span the outages
            with _scheduler(cluster.url(), tmp_path) as scheduler:
                workers = set(server.workers())
                clients, pages = _Clients(server.port, world.tokens).start(), _Pages(server.port).start()
                _wait_for(lambda: _answered(clients, pages) >= 40, "the server did not answer")
                first, second = _outages(cluster, server, clients, pages)
                clients.join(timeout=120)
                _wait_for(lambda: _answered(clients, pages, since=second.up_at + RECOVERY_S) >= 10, "pages stopped")
                pages.stop()
                _wait_for(lambda: _fired(engine) == TIMERS, "timers left waiting after the outages", timeout=60)
                alive, log, workers_after = scheduler.poll() is None, server.output(), set(server.workers())
    finally:
        scheduler_log = (tmp_path / "scheduler.log").read_text(encoding="utf-8", errors="replace")
    return _Run(clients, pages, first, second, workers, workers_after, log, scheduler_log, alive)


def _outages(cluster, server, clients, pages) -> tuple[_Outage, _Outage]:
    first = _Outage("restart -m fast", time.monotonic(), len(server.output()), clock.now())
    cluster.restart()
    first.up_at, first.up_wall = time.monotonic(), clock.now()
    _wait_for(lambda: _answered(clients, pages, since=first.up_at + 1) >= 20, "no answers after the restart")
    second = _Outage("stop, 5 s, start", time.monotonic(), len(server.output()), clock.now())
    cluster.stop()
    time.sleep(DOWN_S)
    second.starting_at = time.monotonic()   # it may answer before pg_ctl start returns
    cluster.start()
    second.up_at, second.up_wall = time.monotonic(), clock.now()
    assert clients.busy(), "the clients finished before the second outage: make the workload bigger"
    return first, second


def _assert_503s_only_while_down(run: _Run, outcomes: list[_Answer]) -> None:
    """While it was down: 503 with Retry-After and the Chinese message, pages and API both; never
    a 500, never a 200; no failure before the first outage."""
    assert not [o for o in outcomes if o.status != CUT and o.status >= 500 and o.status != 503]
    second = run.second
    refused = [o for o in outcomes if o.status == 503]
    assert {o.kind for o in refused if second.began <= o.at <= second.up_at} >= {"page", "inbox"}, \
        "the 5-second stop was not seen as 503s on both pages and the API"
    assert all(o.retry_after and MESSAGE in o.message for o in refused), \
        {(o.kind, o.retry_after, o.message[:80]) for o in refused}
    answered = [o for o in outcomes if o.status == 200 and second.began + 0.5 < o.at < second.starting_at]
    assert not answered, f"answered without a database: {answered[:3]}"
    assert all(run.first.began <= o.at for o in outcomes if o.status in (503, CUT)), "a failure before the outage"


def _assert_recovered(run: _Run, outcomes: list[_Answer]) -> None:
    """Within seconds of each return everything answers again, with the same gunicorn workers
    (the pool replaced its dead connections) and the same signed-in session."""
    first, second = run.first, run.second
    late = [o for o in outcomes if o.status in (503, CUT)
            and (o.at > second.up_at + RECOVERY_S or first.up_at + RECOVERY_S < o.at < second.began)]
    assert not late, f"still failing more than {RECOVERY_S} s after the database came back: {late[:5]}"
    assert run.workers_after == run.workers, "a gunicorn worker was replaced: the workers must recover by themselves"
    assert run.pages.outcomes[-1].status == 200, "the signed-in page did not come back (a lost session?)"


def _assert_each_outage_logged_once(run: _Run, outcomes: list[_Answer]) -> None:
    """Each outage: a line as it began and one as it ended, per worker that saw it; no traceback."""
    log, first, second = run.log, run.first, run.second
    assert "Traceback" not in log, log[-4000:]
    windows = ((first, log[first.log_at:second.log_at], second.began), (second, log[second.log_at:], float("inf")))
    for outage, text, until in windows:
        downs = [line for line in text.splitlines() if OUTAGE_LINE in line]
        ups = [line for line in text.splitlines() if RECOVERY_LINE in line]
        assert len(downs) == len(ups) <= len(run.workers), (outage.name, downs, ups)
        print(f"{outage.name}: {sum(o.status == 503 and outage.began <= o.at < until for o in outcomes)} 503s;",
              downs + ups)
    assert OUTAGE_LINE in log[second.log_at:], "the stop was not logged"


def _assert_the_scheduler_fired_each_timer_once(engine: Engine, run: _Run) -> None:
    """It lived through both outages, said each once, and fired every timer exactly once — those
    that fell due while the database was stopped, after it came back."""
    assert run.scheduler_alive, run.scheduler_log[-3000:]
    assert "Traceback" not in run.scheduler_log, run.scheduler_log[-3000:]
    downs, ups = run.scheduler_log.count(OUTAGE_LINE), run.scheduler_log.count(RECOVERY_LINE)
    assert 1 <= downs <= 2 and ups == downs, run.scheduler_log[-3000:]   # two outages close together may be one
    with engine.uow(write=False) as uow:
        session = uow.session
        audits = Counter(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")))
        after = Counter(session.scalars(select(HumanTask.instance_id).where(HumanTask.element_id == "after")))
        due_while_down = session.scalars(select(Timer.fired_at).where(
            Timer.due_at > run.second.down_wall + timedelta(seconds=1), Timer.due_at < run.second.up_wall)).all()
    assert len(audits) == TIMERS and set(audits.values()) == {1}, audits.most_common(3)
    assert len(after) == TIMERS and set(after.values()) == {1}, after.most_common(3)
    assert due_while_down, "no timer fell due while the database was stopped: spread them wider"
    assert all(fired >= run.second.up_wall - timedelta(seconds=1) for fired in due_while_down)


# the load ------------------------------------------------------------------------------------
@dataclass
class _Outage:
    name: str
    began: float
    log_at: int            # where the server log stood when it began
    down_wall: datetime    # when it began, on the engine's clock
    up_at: float = 0.0
    up_wall: datetime | None = None
    starting_at: float = 0.0


@dataclass
class _Answer(Outcome):
    message: str = ""      # what a refusal said


@dataclass
class _Clients(Clients):
    """The fault tests' API clients, also keeping what each refusal said."""

    def _request(self, token, kind, task_id, method, path, body=None):
        sent = time.monotonic()
        try:
            reply = call(self.port, method, path, token, body)
        except (OSError, http.client.HTTPException):
            self.outcomes.append(_Answer(kind, task_id, CUT, time.monotonic(), took=time.monotonic() - sent))
            return None
        message = (reply.body.get("error") or {}).get("message", "") if reply.status >= 400 else ""
        self.outcomes.append(_Answer(kind, task_id, reply.status, time.monotonic(), reply.headers.get("retry-after"),
                                     time.monotonic() - sent, message))
        return reply if reply.status == 200 else None


@dataclass
class _Pages:
    """A signed-in clerk reloading their inbox page (the page's answer, not the API's)."""
    port: int
    outcomes: list[_Answer] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self) -> _Pages:
        self.browser = SignedIn(self.port, "clerk0", PASSWORD).sign_in()
        self.thread = threading.Thread(target=self._reload, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)

    def _reload(self) -> None:
        while not self.stopping.wait(0.05):
            sent = time.monotonic()
            try:
                status, headers, body = self.browser.get("/")
            except (OSError, http.client.HTTPException):
                status, headers, body = CUT, {}, ""
            self.outcomes.append(_Answer("page", None, status, time.monotonic(), headers.get("retry-after"),
                                         time.monotonic() - sent, body if status == 503 else ""))


def _answered(clients: _Clients, pages: _Pages, since: float = 0.0) -> int:
    return sum(o.status == 200 and o.at >= since for o in clients.outcomes + pages.outcomes)


# the scheduler and its timers ----------------------------------------------------------------
def _spread_due_times(db) -> None:
    """The filled timers fall due one by one from now on, instead of all an hour ago."""
    now, step = clock.now(), TIMERS_OVER_S / TIMERS
    with db.begin() as conn:
        ids = conn.scalars(select(Timer.id).order_by(Timer.id)).all()
        for n, timer_id in enumerate(ids):
            conn.execute(update(Timer).where(Timer.id == timer_id).values(due_at=now + timedelta(seconds=n * step)))


@contextmanager
def _scheduler(url: str, folder):
    with open(folder / "scheduler.log", "w", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler", "--interval", "0.2"],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "SANFU_DATABASE_URL": url})
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _fired(engine: Engine) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired"))


def _wait_for(ready, message: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
