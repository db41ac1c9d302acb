"""`sanfu bench-history`: an instance that loops through a user task, round after round.

Real processes loop (退回 and 整改 rounds, repeated reminders, a 督办 that goes round until
verified). Each round is one completion through the Engine, as a user causes it; the report
gives the per-completion cost of the first rounds against the last ones and the size of the
stored state as the history grows. SpiffWorkflow keeps every finished task in its tree;
sanfu compacts the finished part (engine.runtime.compaction), so both should stay flat.

The workload uses only the Engine's public commands (deploy, start, complete) and the
tables, so this same file also drives the previous release: `--previous DIR` runs it with a
checkout of that release first on PYTHONPATH, interleaved with the current code, and
reports both side by side (medians of the runs, with their spread).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select, text

KEY = "bench_loop"
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="D_loop" targetNamespace="http://sanfu.local/bench">
  <bpmn:process id="bench_loop" name="整改循环" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="rectify" name="整改"/>
    <bpmn:exclusiveGateway id="verified" default="again"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rectify"/>
    <bpmn:sequenceFlow id="f2" sourceRef="rectify" targetRef="verified"/>
    <bpmn:sequenceFlow id="again" sourceRef="verified" targetRef="rectify"/>
    <bpmn:sequenceFlow id="done" sourceRef="verified" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${done == true}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
"""
FIRST, LAST = (1, 20), (481, 500)  # the rounds compared (inclusive)
SIZES_AT = (1, 100, 500)
PG_SCHEMA = "sanfu_bench_history"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


@contextmanager
def _fresh_engine(database: str | None):
    """An Engine on a migrated, empty database: a SQLite file in a temporary folder, or on
    PostgreSQL a schema of its own (never public), dropped afterwards."""
    from engine.service import Engine
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    with tempfile.TemporaryDirectory() as tmp:
        url, options = database or f"sqlite:///{Path(tmp) / 'bench_history.db'}", {}
        if url.startswith("postgresql"):
            _pg_schema(url, create=True)
            options = {"connect_args": {"options": f"-csearch_path={PG_SCHEMA}"}}
        db = make_engine(url, **options)
        try:
            upgrade(db)
            engine = Engine(db_engine=db, forms_dir=Path(tmp) / "no-forms")
            engine.add_user("designer", roles=("designer",))
            engine.add_user("bench")
            path = Path(tmp) / f"{KEY}.bpmn"
            path.write_text(MODEL, encoding="utf-8")
            engine.deploy([path], "designer")
            yield engine
        finally:
            db.dispose()
            if url.startswith("postgresql"):
                _pg_schema(url, create=False)


def _pg_schema(url: str, create: bool) -> None:
    from engine.store.db import make_engine
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            if create:
                conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    finally:
        admin.dispose()


def _open_tasks(engine, instance_id: int) -> list[str]:
    from engine.store.tables import HumanTask
    with engine.db.connect() as conn:
        return list(conn.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")))


def _instance(engine, instance_id: int) -> tuple[str, int]:
    from engine.store.tables import Instance
    with engine.db.connect() as conn:
        status, state = conn.execute(select(Instance.status, Instance.state).where(
            Instance.id == instance_id)).one()
    return status, len(state.encode("utf-8"))


def loop(engine, rounds: int) -> dict:
    """Drive one instance `rounds` times round the loop; the last round ends it."""
    instance_id = engine.start(KEY, "bench", {"round": 0})["id"]
    times, views, sizes, wrong_at = [], [], {}, None
    for round_no in range(1, rounds + 1):
        open_now = _open_tasks(engine, instance_id)
        if len(open_now) != 1:
            wrong_at = round_no  # the instance lost its open task: it cannot go on
            break
        data = {"round": round_no, "done": round_no == rounds, "notes": f"第 {round_no} 轮整改情况说明"}
        t0 = time.perf_counter()
        engine.task_view(open_now[0], "bench")  # the task page the rectifier opens first
        views.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.complete(open_now[0], "bench", data)
        times.append(time.perf_counter() - t0)
        if round_no in SIZES_AT:
            sizes[str(round_no)] = _instance(engine, instance_id)[1]
    status = _instance(engine, instance_id)[0]
    return {"times": times, "views": views, "sizes": sizes, "lost_open_task_at_round": wrong_at, "final_status": status}


def _window_mean(times: list[float], window: tuple[int, int]) -> float | None:
    chosen = times[window[0] - 1:window[1]]
    return _ms(statistics.mean(chosen)) if len(chosen) == window[1] - window[0] + 1 else None


def run_bench_history(rounds: int = 600, database: str | None = None) -> dict:
    with _fresh_engine(database) as engine:
        result = loop(engine, rounds)
        dialect = engine.db.dialect.name
    times, views = result.pop("times"), result.pop("views")
    last = (rounds - 19, rounds) if rounds < LAST[1] else LAST
    first_ms, last_ms = _window_mean(times, FIRST), _window_mean(times, last)
    view_first, view_last = _window_mean(views, FIRST), _window_mean(views, last)
    return {
        "rounds": rounds, "database": dialect, "completed_rounds": len(times),
        "first_rounds": f"{FIRST[0]}-{FIRST[1]}", "first_mean_ms": first_ms,
        "last_rounds": f"{last[0]}-{last[1]}", "last_mean_ms": last_ms,
        "last_vs_first": round(last_ms / first_ms, 2) if first_ms and last_ms else None,
        "view_first_mean_ms": view_first, "view_last_mean_ms": view_last,
        "view_last_vs_first": round(view_last / view_first, 2) if view_first and view_last else None,
        "state_bytes_at_round": result["sizes"],
        "lost_open_task_at_round": result["lost_open_task_at_round"],
        "final_status": result["final_status"],
        "correct": result["lost_open_task_at_round"] is None and result["final_status"] == "completed",
    }


def describe(report: dict) -> list[str]:
    sizes = ", ".join(f"round {k}: {v} B" for k, v in report["state_bytes_at_round"].items())
    lines = [f"{report['rounds']} rounds on {report['database']}: "
             f"rounds {report['first_rounds']} {report['first_mean_ms']} ms per completion, "
             f"rounds {report['last_rounds']} {report['last_mean_ms']} ms ({report['last_vs_first']}×, target ≤ 2×)",
             f"task page (Engine.task_view) before each: {report['view_first_mean_ms']} ms, then "
             f"{report['view_last_mean_ms']} ms ({report['view_last_vs_first']}×)",
             f"state stored: {sizes}"]
    if not report["correct"]:
        lines.append(f"WRONG: open task lost at round {report['lost_open_task_at_round']}, "
                     f"instance {report['final_status']}")
    return lines


def compare(previous: Path, rounds: int = 600, runs: int = 5, database: str | None = None) -> dict:
    """`runs` × (previous release, this code), interleaved, each in a fresh process on a
    fresh database; the medians side by side, with the spread of the runs (a noisy machine)."""
    here = Path(__file__).resolve().parents[2]
    reports: dict[str, list[dict]] = {"previous": [], "current": []}
    for _ in range(runs):
        for name, checkout in (("previous", previous.resolve()), ("current", here)):
            reports[name].append(_run_in(checkout, rounds, database))
    return {"rounds": rounds, "runs": runs, "previous_checkout": str(previous),
            **{name: _medians(found) for name, found in reports.items()}}


def _run_in(checkout: Path, rounds: int, database: str | None) -> dict:
    argv = ["--rounds", str(rounds)] + (["--database", database] if database else [])
    code = ("import runpy, sys; sys.argv = ['history'] + sys.argv[1:]; "
            f"runpy.run_path({str(Path(__file__).resolve())!r}, run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=checkout, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(checkout)}, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _medians(reports: list[dict]) -> dict:
    def spread(key):
        values = [r[key] for r in reports if r[key] is not None]
        return {"median": round(statistics.median(values), 3), "min": min(values), "max": max(values)} \
            if values else None
    sizes = {at: statistics.median(r["state_bytes_at_round"][at] for r in reports)
             for at in reports[0]["state_bytes_at_round"]}
    return {"first_mean_ms": spread("first_mean_ms"), "last_mean_ms": spread("last_mean_ms"),
            "last_vs_first": spread("last_vs_first"), "state_bytes_at_round": sizes,
            **{key: spread(key) for key in ("view_first_mean_ms", "view_last_mean_ms", "view_last_vs_first")},
            "completed_rounds": reports[0]["completed_rounds"],
            "lost_open_task_at_round": reports[0]["lost_open_task_at_round"],
            "correct": all(r["correct"] for r in reports)}


def main(argv: list[str]) -> int:
    """Run without the sanfu CLI (for the previous release, which lacks the command)."""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=600)
    parser.add_argument("--database", default=None)
    args = parser.parse_args(argv)
    print(json.dumps(run_bench_history(args.rounds, args.database), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
