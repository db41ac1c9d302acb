"""`sanfu bench` on a tiny size: every command is measured, one commit each, on SQLite and in
a PostgreSQL schema of its own that it leaves behind empty (dropped), never touching public."""
from __future__ import annotations

import json

from sqlalchemy import inspect, text

from engine.bench.hot_path import PG_SCHEMA, run_bench
from engine.cli.main import main
from engine.store.db import make_engine
from tests.conftest import _postgres_or_skip


def _check(report: dict, instances: int, postgres: bool = False) -> None:
    assert report["instances"] == instances
    assert report["commits_per_completion"] == 1.0  # one command, one transaction
    if postgres:
        # the task locked, the instance read, one write carrying the rest (engine.store.write_behind)
        assert report["sql_per_completion"] == 3.0
        # who starts with which version, the instance (RETURNING its id), its audit and inbox rows together;
        # the first start also reads the deployed model into the spec cache (a few statements, once)
        assert 3 <= report["sql_per_start"] < 4.5
    else:
        assert 5 <= report["sql_per_completion"] <= 12
        # a start: who starts with which version, the instance, its audit row, its inbox row, BEGIN
        assert 4 <= report["sql_per_start"] < 6
    assert report["inbox_rows"] == instances
    assert 0 < report["complete_p50_ms"] <= report["complete_p95_ms"]
    assert report["create_start_cpu_mean_ms"] > 0 and report["complete_cpu_mean_ms"] > 0
    # the time inside the DB-API's calls: measured, and a part of the command's own time
    assert 0 < report["complete_database_mean_ms"] < report["complete_mean_ms"]
    assert 0 < report["create_start_database_mean_ms"] < report["create_start_mean_ms"]
    for n in (1, 10):
        assert report[f"mi_{n}_complete_mean_ms"] > 0 and report[f"mi_{n}_complete_cpu_mean_ms"] > 0
    assert report["mi_10_vs_1_ratio"] == round(report["mi_10_complete_mean_ms"] / report["mi_1_complete_mean_ms"], 2)


def test_bench_on_sqlite_reports_every_figure():
    report = run_bench(instances=6, mi_sizes=(1, 10), story_rounds=1)
    _check(report, 6)
    assert report["settings"]["journal_mode"] == "WAL" and report["db_bytes"] > 0
    assert "round_trips_per_completion" not in report  # SQLite runs in the process


def test_the_cli_reports_the_200_item_step_against_the_1_item_step(capsys, monkeypatch):
    import engine.bench.hot_path as hot_path
    assert hot_path.MI_SIZES == (1, 10, 50, 200)
    monkeypatch.setattr(hot_path, "MI_SIZES", (1, 200))  # the 10- and 50-item steps left out to keep it short
    monkeypatch.setattr(hot_path, "STORY_ROUNDS", 1)
    assert main(["bench", "--instances", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mi_200_vs_1_ratio"] == round(report["mi_200_complete_mean_ms"] / report["mi_1_complete_mean_ms"], 2)
    assert report["mi_200_vs_1_cpu_ratio"] > 0


def test_bench_refuses_a_database_that_is_not_postgresql(tmp_path, capsys):
    assert main(["bench", "--instances", "2", "--database", f"sqlite:///{tmp_path / 'x.db'}"]) == 1
    assert "PostgreSQL" in capsys.readouterr().err


def test_bench_on_postgresql_uses_a_schema_of_its_own_and_drops_it():
    url = _postgres_or_skip()
    db = make_engine(url)
    try:
        with db.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS bench_keeps_me (id int)"))
        report = run_bench(instances=4, database=url, mi_sizes=(1, 10), story_rounds=1)
        _check(report, 4, postgres=True)
        assert report["settings"] == {"database": "postgresql", "schema": PG_SCHEMA}
        assert report["story_complete_count"] > 0 and report["story_complete_sql"] >= 5  # the stories too
        # each statement, plus the driver's BEGIN and the COMMIT: 5 (the pool's liveness check asks the
        # server only when a connection's socket has news; 8.33 at 1ac5a92, 9.33 at 98d2281, 10.33 at a675f03)
        assert report["round_trips_per_completion"] == round(report["sql_per_completion"] + 2, 2)
        assert report["round_trips_per_completion"] <= 5
        with db.connect() as conn:
            assert PG_SCHEMA not in inspect(conn).get_schema_names()
            assert "bench_keeps_me" in inspect(conn).get_table_names(schema="public")
    finally:
        with db.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_keeps_me"))
        db.dispose()
