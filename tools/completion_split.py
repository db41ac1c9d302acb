"""Where a completion's time goes, measured with timers, not a profiler (which inflates the many
small calls of SQLAlchemy several times over):

- the DB-API's calls (execute and commit, timed by engine.bench.hot_path.Counter): SQLite's own
  work, or PostgreSQL's driver, round trips and server;
- SQLAlchemy: Core's execution of each statement (Connection.execute minus its DB-API call), the
  unit of work (engine.store.uow: session, checkout, flush checks, commit, close, minus BEGIN and
  COMMIT) and making the task and instance rows ORM objects (engine.store.by_id.adopt);
- the rest: the engine's own code, SpiffWorkflow, json.

    PYTHONPATH=<checkout> .venv/bin/python tools/completion_split.py [--database URL] [--instances N]

The timers patch SQLAlchemy's classes in this process only; their own cost (a few µs a
completion) is in the total, which is why it reads a little above `sanfu bench`'s."""
from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

from sqlalchemy.engine import base

import engine.store.by_id as by_id
import engine.store.uow as uow


def _this_checkouts_workload():
    """engine/bench/hot_path.py of THIS checkout over the engine on PYTHONPATH (as
    tools/bench_hot_path.py does): an older release's has no DB-API timer in its Counter."""
    path = Path(__file__).resolve().parents[1] / "engine" / "bench" / "hot_path.py"
    spec = importlib.util.spec_from_file_location("sanfu_bench_hot_path", path)
    workload = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(workload)
    return workload


hot_path = _this_checkouts_workload()

SPENT = dict(execute=0.0, uow=0.0, adopt=0.0)
_DATABASE: list = []  # the bench engine's Counter: its DB-API time (database_seconds)


def _database_seconds() -> float:
    return _DATABASE[0].database_seconds if _DATABASE else 0.0


def _less_dbapi(call, key: str):
    """`call` timed into SPENT[key], minus the DB-API time spent inside it."""
    def timed(*args, **kwargs):
        started, dbapi = time.perf_counter(), _database_seconds()
        try:
            return call(*args, **kwargs)
        finally:
            SPENT[key] += time.perf_counter() - started - (_database_seconds() - dbapi)
    return timed


def _outermost(call):
    """Only the outermost call counts: on PostgreSQL a statement may send the writes waiting
    before it (engine.store.write_behind) through Connection.execute too."""
    depth = [0]

    def once(*args, **kwargs):
        depth[0] += 1
        try:
            return (timed if depth[0] == 1 else call)(*args, **kwargs)
        finally:
            depth[0] -= 1
    timed = _less_dbapi(call, "execute")
    return once


def install() -> None:
    base.Connection.execute = _outermost(base.Connection.execute)
    uow.UnitOfWork.__enter__ = _less_dbapi(uow.UnitOfWork.__enter__, "uow")
    uow.UnitOfWork.__exit__ = _less_dbapi(uow.UnitOfWork.__exit__, "uow")
    by_id.adopt = _less_dbapi(by_id.adopt, "adopt")


def measure(instances: int, database: str | None) -> dict:
    with hot_path._fresh_engine(None, database) as (engine, _path):
        engine.deploy([hot_path.MODEL], "designer")
        ids = [engine.start("Process_three_user_tasks", "bench")["id"] for _ in range(instances)]
        tasks = [hot_path._open_task(engine, instance_id) for instance_id in ids]
        _DATABASE[:] = [hot_path.Counter(engine.db)]  # times this engine's DB-API calls from here on
        for key in SPENT:
            SPENT[key] = 0.0
        started = time.perf_counter()
        for task_id in tasks:
            engine.complete(task_id, "bench", {"a": 1, "notes": "x" * 200})
        total = time.perf_counter() - started
    per = {key: value / len(tasks) * 1e3 for key, value in {**SPENT, "dbapi": _database_seconds()}.items()}
    completion, sqlalchemy = total / len(tasks) * 1e3, per["execute"] + per["uow"] + per["adopt"]
    return {"completion_ms": completion, "dbapi_ms": per["dbapi"], "sqlalchemy_ms": sqlalchemy,
            "sqlalchemy_execute_ms": per["execute"], "sqlalchemy_unit_of_work_ms": per["uow"],
            "sqlalchemy_adopt_ms": per["adopt"], "rest_ms": completion - per["dbapi"] - sqlalchemy}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=None, metavar="URL")
    parser.add_argument("--instances", type=int, default=600)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    install()
    split = measure(args.instances, args.database)
    if args.json:
        print(json.dumps(split))
        return
    for key, value in split.items():
        print(f"{key:28} {value:7.3f}")


if __name__ == "__main__":
    main()
