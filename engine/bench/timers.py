"""`sanfu bench-timers`: how fast scheduler processes drain a backlog of due timers.

Each run fills a fresh database (a SQLite file in a temporary folder, or the given URL; on
PostgreSQL a schema of its own, dropped afterwards) with `timers` instances of a small
process, each waiting on a timer that fell due an hour ago: one instance is started through
the engine, the others are copies of its rows (instance and timer row) written by bulk
INSERTs. Then `schedulers` worker processes — each an Engine calling `fire_due_timers`, as
`sanfu scheduler` does, until it finds nothing left — drain the backlog together, timed
from the moment all of them are ready (their start-up is not the engine's speed). After
the drain every timer must have fired exactly once: no timer pending, one `timer_fired`
audit row and one open task per instance.

The workers run the engine of the source tree this module is in (python -m
engine.bench.timers worker …), so the same file dropped into an older checkout times that
checkout's code on the same workload.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from engine import clock
from engine.bench.scratch import analyze, connect, own_schema
from engine.errors import InvalidInput
from engine.store.migrate import upgrade
from engine.store.tables import AuditEvent, HumanTask, Instance, Timer

SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent
PG_SCHEMA = "sanfu_bench_timers"
BATCH = 1000
KEY = "bench_timer"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D_timer"
    targetNamespace="http://sanfu.local/bench">
  <bpmn:process id="{KEY}" name="定时器基准" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait" name="等一小时">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="after" name="计时后"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@contextmanager
def _fresh_database(url: str | None):
    """(URL, schema or None) of a migrated, empty database: SQLite in a temporary folder by
    default; on PostgreSQL a schema of its own (never public), dropped afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench_timers.db'}"
            _migrate(url, None)
            yield url, None
        return
    if not url.startswith("postgresql"):
        _migrate(url, None, must_be_empty=True)
        yield url, None
        return
    with own_schema(url, PG_SCHEMA):
        _migrate(url, PG_SCHEMA)
        yield url, PG_SCHEMA


def _migrate(url: str, schema: str | None, must_be_empty: bool = False) -> None:
    db = connect(url, schema)
    try:
        upgrade(db)
        with db.connect() as conn:
            if must_be_empty and conn.scalar(select(func.count()).select_from(Instance)):
                raise InvalidInput("bench-timers 需要一个空数据库 (the database must be empty; "
                                   "it would be filled with instances waiting on timers)")
    finally:
        db.dispose()


def fill(db, timers: int) -> None:
    """`timers` instances in the database `db`, each waiting on a timer that fell due an
    hour ago (also what the timer tests drain)."""
    from engine.service import Engine
    engine = Engine(db_engine=db)
    engine.add_user("designer", roles=("designer",))
    engine.add_user("bench")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{KEY}.bpmn"
        path.write_text(MODEL, encoding="utf-8")
        engine.deploy([path], "designer")
    with clock.frozen_at(clock.now() - timedelta(hours=2)):
        first = engine.start(KEY, "bench")["id"]
    _copy_instance(db, first, timers - 1)
    analyze(db)


def _copy_instance(db, instance_id: int, copies: int) -> None:
    """`copies` more instances in the same state, each with its own timer row. Spiff's task
    ids are unique across instances (the open task's id is its inbox row's key), so every
    copy gets fresh ones."""
    instances, timer_rows = Instance.__table__, Timer.__table__
    with db.begin() as conn:
        instance = dict(conn.execute(select(instances).where(instances.c.id == instance_id)).mappings().one())
        timer = dict(conn.execute(select(timer_rows).where(timer_rows.c.instance_id == instance_id))
                     .mappings().one())
        del instance["id"], timer["id"]
        for done in range(0, copies, BATCH):
            copied = [_renamed(instance, timer) for _ in range(min(BATCH, copies - done))]
            ids = conn.execute(insert(instances).returning(instances.c.id, sort_by_parameter_order=True),
                               [row for row, _timer in copied]).scalars().all()
            conn.execute(insert(timer_rows), [{**row, "instance_id": new_id}
                                              for new_id, (_row, row) in zip(ids, copied, strict=True)])


def _renamed(instance: dict, timer: dict) -> tuple[dict, dict]:
    """The instance and timer rows with every UUID in them replaced by a fresh one."""
    fresh: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        return fresh.setdefault(match.group(0), str(uuid.uuid4()))

    return ({**instance, "state": UUID.sub(rename, instance["state"])},
            {**timer, "task_id": UUID.sub(rename, timer["task_id"])})


def _drain(url: str, schema: str | None, schedulers: int) -> tuple[float, list[dict]]:
    """(seconds, each worker's totals): the workers start, say they are ready, and are told
    to go at once; the time runs until the last one has reported."""
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}
    workers = [subprocess.Popen([sys.executable, "-m", "engine.bench.timers", "worker", url, schema or "",
                                 f"bench-{n}"], cwd=SOURCE_ROOT, env=env, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
               for n in range(schedulers)]
    try:
        for worker in workers:
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError("a bench-timers worker failed to start (see its output above)")
        started = time.perf_counter()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = [worker.stdout.readline() for worker in workers]
        seconds = time.perf_counter() - started
        if not all(results):
            raise RuntimeError("a bench-timers worker failed (see its output above)")
        return seconds, [json.loads(line) for line in results]
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    finally:
        for worker in workers:
            worker.wait(timeout=60)


def _check(url: str, schema: str | None) -> dict:
    """What the drain left: nothing pending, and each instance's timer fired once."""
    db = connect(url, schema)
    fired = AuditEvent.action == "timer_fired"
    try:
        with db.connect() as conn:
            return {
                "pending": conn.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending")),
                "failed": conn.scalar(select(func.count()).select_from(Timer).where(Timer.status == "failed")),
                "fired_audits": conn.scalar(select(func.count()).select_from(AuditEvent).where(fired)),
                "fired_instances": conn.scalar(select(func.count(AuditEvent.instance_id.distinct())).where(fired)),
                "open_tasks": conn.scalar(select(func.count()).select_from(HumanTask)
                                          .where(HumanTask.status == "open")),
            }
    finally:
        db.dispose()


def _run(database: str | None, timers: int, schedulers: int) -> dict:
    with _fresh_database(database) as (url, schema):
        started = time.perf_counter()
        db = connect(url, schema)
        try:
            fill(db, timers)
        finally:
            db.dispose()
        build_s = time.perf_counter() - started
        seconds, workers = _drain(url, schema, schedulers)
        check = _check(url, schema)
    exactly_once = (check["pending"] == 0 and check["fired_audits"] == check["fired_instances"] == timers
                    and check["open_tasks"] == timers)
    return {"build_s": round(build_s, 2), "drain_s": round(seconds, 3),
            "timers_per_s": round(timers / seconds, 1), "workers": workers, "check": check,
            "exactly_once": exactly_once}


def run_bench_timers(timers: int = 10_000, schedulers: int = 1, database: str | None = None,
                     runs: int = 1) -> dict:
    if timers < 1 or schedulers < 1 or runs < 1:
        raise InvalidInput("--timers, --schedulers 和 --runs 必须大于 0 (must be positive)")
    results = [_run(database, timers, schedulers) for _ in range(runs)]
    rates = [r["timers_per_s"] for r in results]
    return {
        "database": "postgresql" if database and database.startswith("postgresql") else "sqlite",
        "timers": timers, "schedulers": schedulers, "runs": runs,
        "timers_per_s": statistics.median(rates), "timers_per_s_runs": rates,
        "drain_s": statistics.median(r["drain_s"] for r in results),
        "exactly_once": all(r["exactly_once"] for r in results),
        "last_run": results[-1],
    }


def _work(url: str, schema: str, owner: str) -> None:
    """One worker: fire due timers until a call finds none left for it, then report."""
    from engine.service import Engine
    engine = Engine(db_engine=connect(url, schema or None))
    print("ready", flush=True)
    sys.stdin.readline()
    totals, calls = {"due": 0, "fired": 0, "failed": 0, "started": 0}, 0
    while True:
        result = engine.fire_due_timers(owner=owner)
        calls += 1
        for key in totals:
            totals[key] += result.get(key, 0)
        if not result["due"]:
            break
    print(json.dumps({"owner": owner, "calls": calls, **totals}), flush=True)


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _work(*sys.argv[2:5])
