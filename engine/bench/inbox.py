"""`sanfu bench-inbox`: the inbox views (待办 / 科室待认领 / 已办 / 我发起的) at volume.

Builds the demo province on a fresh database (a SQLite file in a temporary folder, or the
given URL; on PostgreSQL in a schema of its own, dropped afterwards), then fills the
engine's own tables directly with bulk INSERTs: `instances` of the deployed 台账事项 and
结对服务 spread over the four counties, their enterprises and liaisons, and
`human_tasks` (about 10% open: one open task per instance at 10 tasks per instance),
the open ones queued for a section of their county (`task_candidates`) or assigned to one
of its people, due from 30 days ago to 30 days ahead; the rest completed by the county's
people; each task carries its instance's starter (`started_by`, as inbox.open_task sets
it). About 5% of instances copy their last task (抄送, `task_copies`) to someone of the
county, half of the copies unread. Then times `Engine.inbox(user, view)` (first page,
which also computes every tab's capped count) for a sample of users across roles and
units, then a busy 科室待认领 queue's deep and newest-first pages (DEEP_PAGES, their own lines),
and explains the count and first-page queries of the busiest user. Reads only: the
engine's query code is measured as it is.
"""
from __future__ import annotations

import random
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from engine import clock
from engine.bench.hot_path import _ms, _percentile
from engine.bench.scratch import analyze, connect, own_schema
from engine.demo import data
from engine.errors import InvalidInput
from engine.inbox.views import COUNT_CAP, VIEWS
from engine.store.collab_tables import TaskCopy
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from engine.store.org_tables import Enterprise, Section, Unit, UserRole, UserSection
from engine.store.tables import HumanTask, Instance, ProcessDefinition, TaskCandidate, User

PG_SCHEMA = "sanfu_bench_inbox"
BATCH = 10_000
STATE = '{"bench": true}'
# (process key, share of instances, its user tasks' element ids in order)
PROCESSES = [("ledger_matter", 0.4, ["rectify", "verify", "hand_over"]),
             ("enterprise_service", 0.6, ["record_visit", "health_check", "follow_up"])]
# the sample: per county, then the cities' and the province's people
COUNTY_SAMPLE = ("water", "water_head", "liaison", "leader")
OTHER_SAMPLE = ("hz_liaison", "hz_super", "huz_leader", "zj_super")
COPY_SHARE = 0.05
TARGET_P95_MS = 10  # issue 11: every view, tab counts included, on SQLite and PostgreSQL


@contextmanager
def _fresh_database(url: str | None):
    """A migrated, empty database: SQLite in a temporary folder by default; on PostgreSQL
    a schema of its own (never public), dropped afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            db = make_engine(f"sqlite:///{Path(tmp) / 'bench_inbox.db'}")
            try:
                upgrade(db)
                yield db
            finally:
                db.dispose()
        return
    if url.startswith("postgresql"):
        with own_schema(url, PG_SCHEMA):
            db = connect(url, PG_SCHEMA)
            try:
                upgrade(db)
                yield db
            finally:
                db.dispose()
        return
    db = make_engine(url)
    try:
        upgrade(db)
        with db.connect() as conn:
            if conn.scalar(select(func.count()).select_from(Unit)):
                raise InvalidInput("bench-inbox 需要一个空数据库 (the database must be empty; "
                                   "it would be filled with a million rows)")
        yield db
    finally:
        db.dispose()


def _org(db) -> dict:
    """What the demo built that the bulk rows refer to."""
    with db.connect() as conn:
        units = dict(conn.execute(select(Unit.code, Unit.id)).all())
        counties = {code: units[code] for code in data.COUNTIES}
        enterprises = {uid: list(conn.scalars(select(Enterprise.id).where(Enterprise.unit_id == uid)
                                              .order_by(Enterprise.id)))
                       for uid in counties.values()}
        users = conn.execute(select(User.name, User.unit_id)).all()
        liaisons = set(conn.scalars(select(User.name).join(UserRole, UserRole.user_id == User.id)
                                    .where(UserRole.role == "liaison")))
        sections = conn.execute(select(Section.id, Section.unit_id, Section.code)).all()
        members = conn.execute(select(UserSection.section_id, User.name)
                               .join(User, User.id == UserSection.user_id)).all()
        definitions = {key: conn.execute(select(ProcessDefinition.id, ProcessDefinition.version)
                                         .where(ProcessDefinition.key == key)
                                         .order_by(ProcessDefinition.version.desc()).limit(1)).one()
                       for key, _share, _steps in PROCESSES}
    by_section: dict[int, list[str]] = {}
    for section_id, name in members:
        by_section.setdefault(section_id, []).append(name)
    per_unit = {}
    for uid in counties.values():
        unit_sections = [(sid, by_section.get(sid, [])) for sid, u, _c in sections if u == uid]
        per_unit[uid] = {
            "enterprises": enterprises[uid],
            "liaisons": sorted(n for n, u in users if u == uid and n in liaisons),
            "people": sorted(n for n, u in users if u == uid),
            "sections": [(sid, people) for sid, people in unit_sections if people],
        }
    return {"counties": counties, "units": per_unit, "definitions": definitions}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Rows:
    """Rows waiting for the next batch INSERT, parents first."""

    def __init__(self):
        self.tables = ((insert(Instance), "instances"), (insert(HumanTask), "human_tasks"),
                       (insert(TaskCandidate), "task_candidates"), (insert(TaskCopy), "task_copies"))
        self.pending: dict[str, list] = {name: [] for _stmt, name in self.tables}
        self.counts = {name: 0 for _stmt, name in self.tables} | {"open_tasks": 0}

    def flush(self, conn, force: bool = False) -> None:
        if not force and len(self.pending["human_tasks"]) < BATCH and len(self.pending["instances"]) < BATCH:
            return
        for stmt, name in self.tables:
            rows = self.pending[name]
            if rows:
                conn.execute(stmt, rows)
                self.counts[name] += len(rows)
                rows.clear()


def _instance_tasks(rows: _Rows, rng, now, inst: dict, steps: list, unit: dict, tasks_per_instance: int,
                    has_open: bool) -> None:
    """The human_tasks rows of one instance: completed ones, then (maybe) one open task,
    queued for a section or assigned to one of its people; sometimes copied (抄送)."""
    created = inst["created_at"]
    for j in range(tasks_per_instance):
        is_open = has_open and j == tasks_per_instance - 1
        task_id = _uuid(rng)
        section_id, section_people = rng.choice(unit["sections"])
        row = {"id": task_id, "instance_id": inst["id"], "process_key": inst["process_key"],
               "version": inst["version"], "element_id": steps[j % len(steps)], "name": steps[j % len(steps)],
               "lane": None, "form_key": None, "assignee": None, "candidate_groups": [], "candidate_users": [],
               "unrouted": False, "unit_id": inst["unit_id"], "enterprise_id": inst["enterprise_id"],
               "created_at": created + timedelta(hours=j), "started_by": inst["started_by"], "owner": None,
               "delegation": None}
        if is_open:
            assigned = rng.random() < 0.5
            row.update(status="open", assignee=rng.choice(section_people) if assigned else None,
                       due_at=now + timedelta(days=rng.uniform(-30, 30)), completed_at=None, completed_by=None)
            rows.pending["task_candidates"].append({"task_id": task_id, "kind": "section", "name": str(section_id)})
            rows.counts["open_tasks"] += 1
        else:
            done_at = created + timedelta(hours=j, minutes=rng.randint(5, 600))
            row.update(status="completed", assignee=None, due_at=created + timedelta(days=15),
                       completed_at=done_at, completed_by=rng.choice(section_people))
        rows.pending["human_tasks"].append(row)
    if rng.random() < COPY_SHARE:
        copied_at = row["created_at"] + timedelta(minutes=30)
        rows.pending["task_copies"].append({
            "task_id": row["id"], "instance_id": inst["id"], "recipient": rng.choice(unit["people"]),
            "sender": inst["started_by"], "note": "请知悉", "created_at": copied_at,
            "read_at": copied_at + timedelta(hours=2) if rng.random() < 0.5 else None})


def _advance_sequences(conn, statements) -> None:
    """On PostgreSQL, move every serial/identity sequence of the filled tables past the
    largest id the bulk rows gave (instances carry explicit ids): a later start or copy in
    that database then takes a fresh id instead of failing on a duplicate key."""
    if conn.dialect.name != "postgresql":
        return
    for stmt in statements:
        table = stmt.table
        for column in table.columns:
            sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name})
            if sequence:
                top = conn.scalar(select(func.max(column)))
                conn.execute(text("SELECT setval(:s, :v, :called)"),
                             {"s": sequence, "v": top or 1, "called": top is not None})


def _fill(db, org: dict, instances: int, tasks_per_instance: int, seed: int = 4) -> dict:
    """Bulk INSERTs in batches of BATCH rows, straight into the engine's tables."""
    rng = random.Random(seed)
    now = clock.now()
    unit_ids = list(org["counties"].values())
    with db.connect() as conn:
        first_id = (conn.scalar(select(func.max(Instance.id))) or 0) + 1
    open_share = min(1.0, 0.1 * tasks_per_instance)  # ~10% of all tasks open
    rows = _Rows()
    with db.begin() as conn:
        for n in range(instances):
            uid = unit_ids[n % len(unit_ids)]
            unit = org["units"][uid]
            key, _share, steps = PROCESSES[0] if rng.random() < PROCESSES[0][1] else PROCESSES[1]
            def_id, version = org["definitions"][key]
            created = now - timedelta(days=rng.uniform(0, 365))
            has_open = rng.random() < open_share
            inst = {"id": first_id + n, "definition_id": def_id, "process_key": key, "version": version,
                    "status": "running" if has_open else "completed", "state": STATE, "revision": 1,
                    "started_by": rng.choice(unit["liaisons"]), "business_key": None, "unit_id": uid,
                    "enterprise_id": rng.choice(unit["enterprises"]) if unit["enterprises"] else None,
                    "bindings": {}, "error": None, "created_at": created, "updated_at": created,
                    "ended_at": None if has_open else created + timedelta(days=20)}
            rows.pending["instances"].append(inst)
            _instance_tasks(rows, rng, now, inst, steps, unit, tasks_per_instance, has_open)
            rows.flush(conn)
        rows.flush(conn, force=True)
        _advance_sequences(conn, [stmt for stmt, _name in rows.tables])
    analyze(db)
    return rows.counts


def _sample_users() -> list[str]:
    return [f"{county}_{who}" for county in data.COUNTIES for who in COUNTY_SAMPLE] + list(OTHER_SAMPLE)


def _explain(engine, actor: str) -> tuple[dict, dict]:
    """The plans of each view's capped count and first-page queries for `actor` (EXPLAIN
    QUERY PLAN on SQLite; on PostgreSQL EXPLAIN ANALYZE of the prepared statement's generic
    plan), with the time of each alone."""
    from engine.inbox.views import explained_statements
    counts, pages = {"user": actor}, {"user": actor}
    with engine.uow(write=False) as uow:
        session = uow.session
        for view, statements in explained_statements(session, actor).items():
            counts[view] = _plan(session, statements["count"], "count_ms")
            pages[view] = _plan(session, statements["first_page"], "page_ms")
    return counts, pages


def _plan(session, stmt, timing: str) -> dict:
    dialect = session.get_bind().dialect
    sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        session.execute(text(sql)).all()
        times.append(time.perf_counter() - t0)
    if dialect.name == "postgresql":
        plan = _generic_plan(session, stmt)
    else:
        plan = [r[-1] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    return {timing: _ms(sorted(times)[len(times) // 2]), "sql": " ".join(sql.split()), "plan": plan}


def _generic_plan(session, stmt) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of `stmt` as the server runs it once psycopg has prepared it
    (after five executions): a generic plan, the values bound, not spelled into the SQL —
    the plan the inbox actually gets (a custom plan of the literal SQL hid a seq scan)."""
    from psycopg import ClientCursor
    from psycopg._queries import PostgresQuery
    from psycopg.adapt import Transformer
    compiled = stmt.compile(dialect=session.get_bind().dialect)
    expanded = compiled.construct_expanded_state(compiled.construct_params())
    raw = session.connection().connection.dbapi_connection
    query = PostgresQuery(Transformer(raw))
    query.convert(expanded.statement, expanded.parameters)
    cursor = ClientCursor(raw)
    cursor.execute(b"PREPARE bench_inbox_plan AS " + query.query)
    try:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        values = [expanded.parameters[name] for name in (query._order or [])]
        marks = ", ".join(["%s"] * len(values))
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_inbox_plan({marks})" if values
                       else "EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_inbox_plan", values or None)
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.execute("DEALLOCATE bench_inbox_plan")
        cursor.execute("RESET plan_cache_mode")


# A busy 科室待认领 queue's pages past the first ones (the window's: CLAIM_WINDOW // 4 rows)
# and newest first, timed on their own lines: the views above time first pages only.
DEEP_PAGES = {"claimable_page_26": {"page": 26}, "claimable_page_60": {"page": 60},
              "claimable_latest_due_page_26": {"sort": "-due", "page": 26},
              "claimable_newest_first": {"sort": "-created"}}


def _deep_pages(engine, per_user_counts: dict, repeat: int) -> dict:
    """p50/p95/max of each DEEP_PAGES page over the sample's users with a busy (capped) queue."""
    busy = [user for user, counts in per_user_counts.items() if counts["claimable"] > COUNT_CAP]
    out = {}
    for name, kwargs in DEEP_PAGES.items():
        times = []
        for user in busy:
            engine.inbox(user, "claimable", **kwargs)  # warm-up
            for _ in range(repeat):
                t0 = time.perf_counter()
                engine.inbox(user, "claimable", **kwargs)
                times.append(time.perf_counter() - t0)
        if times:
            out[name] = {"p50_ms": _ms(_percentile(times, 50)), "p95_ms": _ms(_percentile(times, 95)),
                         "max_ms": _ms(max(times)), "users": len(busy)}
    return out


def run_bench_inbox(instances: int = 100_000, tasks_per_instance: int = 10, database: str | None = None,
                    repeat: int = 30, explain: bool = True) -> dict:
    from engine.demo.loader import load_demo
    from engine.service import Engine
    if instances < 1 or tasks_per_instance < 1 or repeat < 1:
        raise InvalidInput("--instances, --tasks-per-instance 和 --repeat 必须大于 0")
    with _fresh_database(database) as db:
        engine = Engine(db_engine=db)
        t0 = time.perf_counter()
        load_demo(engine)
        demo_s = time.perf_counter() - t0
        org = _org(db)
        t0 = time.perf_counter()
        counts = _fill(db, org, instances, tasks_per_instance)
        fill_s = time.perf_counter() - t0
        with db.connect() as conn:
            rows = {name: conn.scalar(select(func.count()).select_from(table)) for name, table in
                    (("instances", Instance), ("human_tasks", HumanTask), ("task_candidates", TaskCandidate),
                     ("task_copies", TaskCopy))}
            rows["open_tasks"] = conn.scalar(select(func.count()).select_from(HumanTask)
                                             .where(HumanTask.status == "open"))
        users = _sample_users()
        times: dict[str, list[float]] = {view: [] for view in VIEWS}
        per_user_counts = {}
        for user in users:
            for view in VIEWS:
                engine.inbox(user, view)  # warm-up: compiles the statements
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    page = engine.inbox(user, view)
                    times[view].append(time.perf_counter() - t0)
            per_user_counts[user] = page["counts"]
        busiest = max(users, key=lambda u: sum(per_user_counts[u].values()))
        report = {
            "database": db.dialect.name,
            "instances": instances, "tasks_per_instance": tasks_per_instance,
            "rows": rows, "inserted": counts,
            "build_s": {"demo": round(demo_s, 2), "bulk_fill": round(fill_s, 2)},
            "users": len(users), "repeat": repeat,
            "views": {view: {"p50_ms": _ms(_percentile(ts, 50)), "p95_ms": _ms(_percentile(ts, 95)),
                             "max_ms": _ms(max(ts))} for view, ts in times.items()},
            "target_p95_ms": TARGET_P95_MS, "count_cap": COUNT_CAP,
            "counts_example": {"user": busiest, "counts": per_user_counts[busiest]},
            "counts_by_user": per_user_counts,
        }
        report["slowest_view"] = max(VIEWS, key=lambda v: report["views"][v]["p95_ms"])
        report["meets_target"] = all(v["p95_ms"] <= TARGET_P95_MS for v in report["views"].values())
        report["deep_pages"] = _deep_pages(engine, per_user_counts, max(1, repeat // 3))
        report["deep_pages_meet_target"] = all(v["p95_ms"] <= TARGET_P95_MS for v in report["deep_pages"].values())
        if explain:
            report["count_plans"], report["page_plans"] = _explain(engine, busiest)
        return report
