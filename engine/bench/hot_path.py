"""`sanfu bench`: the reference workload (shared/bench) through the service API.

One command per instance start and per completion, as users cause them (no batching), on a
fresh SQLite file with the shipped default settings, or (`--database URL`) in a PostgreSQL
schema of its own that it creates empty and drops afterwards. Also the same lifecycle with a
1-, 10-, 50- and 200-item parallel multi-instance task: `mi_200_vs_1_ratio` is what one
completion costs in a 200-item step against a 1-item step (issue 11: at most 2). And the
shipped processes' own stories, command by command (`story_*`: engine/bench/stories.py).

Runs against another checkout too, for side-by-side figures with a previous release:
tools/bench_hot_path.py loads this module over that checkout's engine (it imports only what
every release since the benchmark began has).
"""
from __future__ import annotations

import importlib.util
import statistics
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, select

from engine.bench.scratch import connect, own_schema
from engine.demo.loader import PROCESSES
from engine.store.db import make_engine, sqlite_settings
from engine.store.migrate import upgrade
from engine.store.tables import HumanTask

try:
    from engine.store import liveness
except ImportError:  # a release before it (tools/bench_hot_path.py): its pool pinged at every checkout
    liveness = None

PG_SCHEMA = "sanfu_bench_hot_path"
MI_SIZES = (1, 10, 50, 200)
STORY_ROUNDS = 5  # engine/bench/stories.py: the shipped scenarios, replayed after a round of warming up

MODEL = PROCESSES / "bench_three_user_tasks.bpmn"
MI_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D_mi" targetNamespace="http://sanfu.local/bench">
  <bpmn:process id="bench_mi_{n}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="visit" name="Visit"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="items" name="Check item">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>{n}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:userTask id="close" name="Close"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="visit" />
    <bpmn:sequenceFlow id="f1" sourceRef="visit" targetRef="items" />
    <bpmn:sequenceFlow id="f2" sourceRef="items" targetRef="close" />
    <bpmn:sequenceFlow id="f3" sourceRef="close" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


class Counter:
    """Statements and commits; on PostgreSQL also the round trips to the server: each statement,
    the BEGIN the driver sends before a transaction's first statement, the COMMIT, and the pool's
    liveness pings (engine.store.liveness: only when a pooled connection's socket has news). A
    query's AUTOCOMMIT connection sends neither BEGIN nor COMMIT.

    And the time spent inside the DB-API's execute and commit calls (`database_seconds`): SQLite's
    own work; on PostgreSQL the driver, the round trips and the server's. What a command costs
    beyond it is Python: SQLAlchemy's, SpiffWorkflow's and the engine's."""

    def __init__(self, db):
        self.statements = self.commits = self.begins = self._checkout_pings = 0
        self.database_seconds = 0.0
        self._db, self._pings_at_start = db, self._pings_sent(db)
        event.listen(db, "before_cursor_execute", self._statement)
        event.listen(db, "commit", self._commit)
        event.listen(db, "begin", self._begin)
        if liveness is None and getattr(db.pool, "_pre_ping", False):
            event.listen(db.pool, "checkout", self._checkout_ping)
        for name in ("do_execute", "do_execute_no_params", "do_commit"):  # this engine's dialect only
            setattr(db.dialect, name, self._timed(getattr(db.dialect, name)))

    def _timed(self, call):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.database_seconds += time.perf_counter() - started
        return timed

    @staticmethod
    def _pings_sent(db) -> int:
        return liveness.pings_sent(db) if liveness is not None else 0

    @property
    def pings(self) -> int:
        return self._pings_sent(self._db) - self._pings_at_start + self._checkout_pings

    def _checkout_ping(self, *args):
        self._checkout_pings += 1

    def _statement(self, *args):
        self.statements += 1

    def _commit(self, conn):
        self.commits += not _autocommit(conn)

    def _begin(self, conn):
        self.begins += not _autocommit(conn)

    def round_trips(self) -> int:
        return self.statements + self.begins + self.commits + self.pings


def _autocommit(conn) -> bool:
    return conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@contextmanager
def _fresh_engine(workdir: Path | None, database: str | None = None):
    """An Engine on an empty, migrated database, and the SQLite file's path (None on PostgreSQL)."""
    from engine.service import Engine
    with tempfile.TemporaryDirectory(dir=workdir) as tmp, _fresh_database(Path(tmp), database) as (db, path):
        upgrade(db)
        engine = Engine(db_engine=db, forms_dir=Path(tmp) / "no-forms")
        engine.add_user("designer", roles=("designer",))
        engine.add_user("bench")
        _settle_as_served()
        yield engine, path


def _settle_as_served() -> None:
    """What this release's web workers do once started (engine.runtime.heap); a release without
    it does nothing here either, so each is measured as it serves."""
    try:
        from engine.runtime.heap import settle
    except ImportError:
        return
    settle()


@contextmanager
def _fresh_database(folder: Path, database: str | None):
    if database is None:
        path = folder / "bench.db"
        db = make_engine(f"sqlite:///{path}")
    elif database.startswith("postgresql"):
        path, db = None, None
    else:
        from engine.errors import InvalidInput
        raise InvalidInput("--database 须是 PostgreSQL 地址；默认用临时 SQLite 文件 "
                           "(--database takes a PostgreSQL URL; SQLite is the default)")
    if db is not None:
        try:
            yield db, path
        finally:
            db.dispose()
        return
    with own_schema(database, PG_SCHEMA):  # emptied before, dropped after: never the public schema
        db = connect(database, PG_SCHEMA)
        try:
            yield db, None
        finally:
            db.dispose()


def _open_task(engine, instance_id: int) -> str:
    with engine.uow() as uow:
        return uow.session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open").limit(1))


def _workload(engine, instances: int) -> dict:
    engine.deploy([MODEL], "designer")
    start_times, ids = [], []
    counter = Counter(engine.db)  # counts the starts' statements too (sql_per_start)
    cpu0 = time.thread_time()
    for _ in range(instances):
        t0 = time.perf_counter()
        ids.append(engine.start("Process_three_user_tasks", "bench")["id"])
        start_times.append(time.perf_counter() - t0)
    start_cpu = time.thread_time() - cpu0
    start_statements, start_round_trips = counter.statements, counter.round_trips()
    start_database = counter.database_seconds
    inbox_times = []
    for _ in range(5):  # the first query also compiles its statement: report both
        t0 = time.perf_counter()
        open_tasks = engine.tasks("bench")
        inbox_times.append(time.perf_counter() - t0)
    completion_times, statements, commits, round_trips, complete_cpu, database = [], 0, 0, 0, 0.0, 0.0
    for round_no in range(3):
        for instance_id in ids:
            task_id = _open_task(engine, instance_id)
            data = {f"field_{round_no + 1}": f"value {round_no + 1} for {instance_id}", "notes": "x" * 200}
            before_s, before_c, before_r = counter.statements, counter.commits, counter.round_trips()
            before_database = counter.database_seconds
            t0, cpu0 = time.perf_counter(), time.thread_time()
            engine.complete(task_id, "bench", data)
            completion_times.append(time.perf_counter() - t0)
            database += counter.database_seconds - before_database
            complete_cpu += time.thread_time() - cpu0
            statements += counter.statements - before_s
            commits += counter.commits - before_c
            round_trips += counter.round_trips() - before_r
    total = len(completion_times)
    postgres = engine.db.dialect.name == "postgresql"
    return {
        "instances": instances,
        "create_start_per_s": round(instances / sum(start_times), 1),
        "create_start_mean_ms": _ms(statistics.mean(start_times)),
        "create_start_p95_ms": _ms(_percentile(start_times, 95)),
        # this process's CPU time per command: steadier than the wall clock on a shared machine
        # (on PostgreSQL it leaves out the server's share)
        "create_start_cpu_mean_ms": _ms(start_cpu / instances),
        "create_start_database_mean_ms": _ms(start_database / instances),
        "complete_mean_ms": _ms(statistics.mean(completion_times)),
        "complete_p50_ms": _ms(_percentile(completion_times, 50)),
        "complete_p95_ms": _ms(_percentile(completion_times, 95)),
        "complete_cpu_mean_ms": _ms(complete_cpu / total),
        # inside the DB-API's execute and commit calls (Counter): the rest of a completion is Python
        "complete_database_mean_ms": _ms(database / total),
        "completions_per_s": round(total / sum(completion_times), 1),
        "inbox_ms": _ms(statistics.median(inbox_times[1:])),
        "inbox_cold_ms": _ms(inbox_times[0]),
        "inbox_rows": len(open_tasks),
        "sql_per_start": round(start_statements / instances, 2),
        **({"round_trips_per_start": round(start_round_trips / instances, 2)} if postgres else {}),
        "sql_per_completion": round(statements / total, 2),
        "commits_per_completion": round(commits / total, 2),
        # SQLite runs in the process: no round trips to count
        **({"round_trips_per_completion": round(round_trips / total, 2)} if postgres else {}),
    }


def _mi_lifecycle(engine, items: int, instances: int, workdir: Path) -> tuple[float, float]:
    """Mean completion time, wall and CPU, over whole lifecycles (visit, every item, close) of
    `instances` instances whose parallel multi-instance step has `items` items."""
    path = workdir / f"bench_mi_{items}.bpmn"
    path.write_text(MI_TEMPLATE.format(n=items), encoding="utf-8")
    engine.deploy([path], "designer")
    times, cpu = [], 0.0
    for _ in range(instances):
        instance_id = engine.start(f"bench_mi_{items}", "bench")["id"]
        while True:
            task_id = _open_task(engine, instance_id)
            if task_id is None:
                break
            t0, cpu0 = time.perf_counter(), time.thread_time()
            engine.complete(task_id, "bench", {"ok": True})
            times.append(time.perf_counter() - t0)
            cpu += time.thread_time() - cpu0
    return _ms(statistics.mean(times)), _ms(cpu / len(times))


def _stories(workdir: Path | None, database: str | None, rounds: int) -> dict:
    """engine/bench/stories.py, loaded by its path beside this file, so that this workload runs
    over an older checkout's engine (tools/bench_hot_path.py) with these stories' figures too."""
    spec = importlib.util.spec_from_file_location("sanfu_bench_stories", Path(__file__).with_name("stories.py"))
    stories = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stories)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        return stories.run_stories(lambda: _fresh_database(Path(tempfile.mkdtemp(dir=tmp)), database), rounds)


def run_bench(instances: int = 200, workdir: Path | None = None, database: str | None = None,
              mi_sizes: tuple[int, ...] | None = None, story_rounds: int | None = None) -> dict:
    mi_sizes = mi_sizes or MI_SIZES
    story_rounds = STORY_ROUNDS if story_rounds is None else story_rounds
    with _fresh_engine(workdir, database) as (engine, path):
        report = _workload(engine, instances)
        engine.db.dispose()
        if path is not None:
            report["db_bytes"] = sum(p.stat().st_size for p in path.parent.glob("bench.db*"))
    with tempfile.TemporaryDirectory(dir=workdir) as models, _fresh_engine(workdir, database) as (engine, _path):
        mi = {n: _mi_lifecycle(engine, n, max(2, 20 // n), Path(models)) for n in mi_sizes}
    for n, (wall, cpu) in mi.items():
        report[f"mi_{n}_complete_mean_ms"], report[f"mi_{n}_complete_cpu_mean_ms"] = wall, cpu
    for n in (n for n in mi_sizes if n > 1):
        report[f"mi_{n}_vs_1_ratio"] = round(mi[n][0] / mi[1][0], 2)
        report[f"mi_{n}_vs_1_cpu_ratio"] = round(mi[n][1] / mi[1][1], 2)
    if story_rounds:
        report.update(_stories(workdir, database, story_rounds))
    report["settings"] = ({"database": "sqlite file", **sqlite_settings()} if database is None
                          else {"database": "postgresql", "schema": PG_SCHEMA})
    return report

