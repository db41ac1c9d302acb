"""The shipped processes' own stories as a workload (part of `sanfu bench`).

`sanfu bench`'s main workload is a three-step process with no lanes, ledger, timers or call
activities. What people run is processes/*.scenario.yaml's processes: routing to sections,
一事一单 ledger matters, deadlines, a call activity per finding. Here every shipped scenario is
replayed round after round on one engine per organisation, so definitions are parsed and
statements compiled once, as in a serving worker; the first round warms up and is not counted.
Each person's command (start, complete, claim, transfer, return, message) is timed, wall and
this thread's CPU, and its statements counted.

Loaded by file path from engine/bench/hot_path.py, so that tools/bench_hot_path.py runs it over
an older checkout's engine too (see `_replay` for a release without runner.replay).
"""
from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext

from sqlalchemy import event

from engine.demo.loader import PROCESSES
from engine.scenarios import runner
from engine.scenarios.format import load_scenario
from engine.service import Engine
from engine.store.migrate import upgrade

COMMANDS = {"start": "start", "complete": "complete", "claim": "claim", "transfer": "transfer",
            "return": "return_task", "message": "send_message"}


class _Timings:
    """Wall and CPU time and statements of each command, by kind, while `counting`."""

    def __init__(self):
        self.wall, self.cpu, self.sql = defaultdict(list), defaultdict(list), defaultdict(list)
        self.counting, self._statements = False, 0

    def listen(self, db) -> None:
        event.listen(db, "before_cursor_execute", self._statement)

    def _statement(self, *args):
        self._statements += 1

    def wrap(self, engine: Engine) -> None:
        """Time the engine's command methods (the instance's own attributes: the class stays)."""
        for kind, method in COMMANDS.items():
            setattr(engine, method, self._timed(kind, getattr(engine, method)))

    def _timed(self, kind: str, command):
        def timed(*args, **kwargs):
            statements, t0, cpu0 = self._statements, time.perf_counter(), time.thread_time()
            try:
                return command(*args, **kwargs)
            finally:
                if self.counting:
                    self.wall[kind].append(time.perf_counter() - t0)
                    self.cpu[kind].append(time.thread_time() - cpu0)
                    self.sql[kind].append(self._statements - statements)
        return timed

    def report(self) -> dict:
        out = {}
        for kind in COMMANDS:
            if self.wall[kind]:
                out[f"story_{kind}_ms"] = round(statistics.median(self.wall[kind]) * 1000, 3)
                out[f"story_{kind}_cpu_ms"] = round(statistics.mean(self.cpu[kind]) * 1000, 3)
                out[f"story_{kind}_sql"] = round(statistics.mean(self.sql[kind]), 2)
                out[f"story_{kind}_count"] = len(self.wall[kind])
        return out


def run_stories(fresh_database, rounds: int = 5) -> dict:
    """`fresh_database()`: a context manager giving an empty database (a SQLAlchemy engine)
    and its SQLite path (None on PostgreSQL), one per organisation the scenarios name."""
    by_org = defaultdict(list)
    for path in sorted(PROCESSES.glob("*.scenario.yaml")):
        scenario = load_scenario(path)
        by_org[json.dumps(scenario.org, sort_keys=True, default=str)].append(scenario)
    timings, stories = _Timings(), 0
    for scenarios in by_org.values():
        with fresh_database() as (db, _path):
            upgrade(db)
            timings.listen(db)
            engine = Engine(db_engine=db, forms_dir=scenarios[0].forms)
            timings.wrap(engine)
            for round_no in range(rounds + 1):
                timings.counting = round_no > 0  # the first round parses and compiles
                for scenario in scenarios:
                    _replay(engine, scenario, org_built=round_no > 0 or scenario is not scenarios[0])
                    stories += round_no > 0
    return {**timings.report(), "story_replays": stories}


def _replay(engine: Engine, scenario, org_built: bool) -> None:
    replay = getattr(runner, "replay", None)
    with _older_runner(org_built) if replay is None else nullcontext():
        result = (replay(engine, scenario, org_built=org_built) if replay is not None
                  else _replay_older(engine, scenario))
    if not result.passed:
        failed = [(step.index, step.differences) for step in result.steps if not step.passed]
        raise RuntimeError(f"scenario {scenario.path.name} failed while benchmarked: {failed}")


def _replay_older(engine: Engine, scenario):
    """A release before runner.replay: its private runner, on the caller's engine."""
    result = runner.ScenarioResult(scenario.name, str(scenario.path))
    runner._Run(engine, scenario, result, time.monotonic(), None).all_steps()
    return result


@contextmanager
def _older_runner(org_built: bool):
    built = runner.build_org
    if org_built:
        runner.build_org = lambda engine, org: None
    try:
        yield
    finally:
        runner.build_org = built

