"""`sanfu bench-http`, run tiny: gunicorn starts on a fresh database, the clients complete work
over the API without a single error, the JSON says so, and no gunicorn process outlives the run."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from engine.bench.http import run_bench_http
from engine.cli.main import main
from engine.errors import InvalidInput


def _processes_on(port: int) -> list[str]:
    """Command lines of live processes bound (by argument) to the bench's port."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f"127.0.0.1:{port}" in cmdline:
                found.append(cmdline)
    return found


def _bench(capsys, *extra: str) -> dict:
    assert main(["bench-http", "--workers", "1", "--clients", "2", "--seconds", "2", "--per-client", "30",
                 "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _assert_a_clean_run(report: dict) -> None:
    assert report["completions"] > 0 and report["completions_per_s"] > 0
    assert report["errors"] == 0 and report["conflicts"] == 0  # clients never race: nothing to refuse
    assert report["requests"] >= report["completions"] + report["kinds"]["inbox"]["count"]
    for kind in ("inbox", "claim", "complete"):
        figures = report["kinds"][kind]
        assert figures["count"] > 0
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert report["workers"] == 1 and report["clients"] == 2
    cpu = report["cpu"]   # where the window's CPU went: the server's share is never nothing
    assert 0 < cpu["machine_busy_pct"] <= 100 and cpu["server_cpu_s"] > 0 and cpu["cores"] >= 1
    unit = report["cpu_per_completion"]   # what one completion cost, and what the cores allow at that cost
    rest = "database" if report["database"] == "postgresql" else "other"   # PostgreSQL's backends apart
    assert (rest + "_cpu_s" in cpu) and (rest + "_ms" in unit)
    spent_ms = 1000 * (cpu["server_cpu_s"] + cpu["client_cpu_s"] + cpu[rest + "_cpu_s"])
    assert unit["server_ms"] + unit["client_ms"] + unit[rest + "_ms"] == pytest.approx(
        spent_ms / report["completions"], abs=0.05)
    assert unit["ceiling_per_s"] == pytest.approx(1000 * cpu["cores"] * report["completions"] / spent_ms, rel=0.01)
    assert unit["ceiling_per_s"] < unit["ceiling_without_server_per_s"]
    if rest == "database":
        assert cpu["database_cpu_s"] > 0   # the backends serving the run's database did the queries
    assert _processes_on(report["port"]) == []


def test_a_tiny_run_on_sqlite_completes_work_without_errors_and_leaves_nothing_running(capsys):
    report = _bench(capsys)
    assert report["database"] == "sqlite"
    _assert_a_clean_run(report)
    assert report["write_lock_waits_over_250ms"] == []  # two clients, one worker: never a long wait


@pytest.mark.skipif(not os.environ.get("SANFU_TEST_POSTGRES_URL"), reason="SANFU_TEST_POSTGRES_URL not set")
def test_a_tiny_run_on_postgresql_empties_its_database_before_and_after(capsys):
    url = os.environ["SANFU_TEST_POSTGRES_URL"]
    db = create_engine(url)
    try:
        with db.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text("CREATE TABLE someone_elses (id int)"))
        with pytest.raises(InvalidInput, match="--force"):
            run_bench_http(1, 2, 2, database=url)    # a database holding tables is not wiped unasked
        with db.connect() as conn:
            assert inspect(conn).get_table_names() == ["someone_elses"]
        report = _bench(capsys, "--database", url, "--force")
        assert report["database"] == "postgresql"
        _assert_a_clean_run(report)
        with db.connect() as conn:
            assert inspect(conn).get_table_names() == []
    finally:
        db.dispose()


def test_nonsense_settings_are_refused_before_anything_starts():
    with pytest.raises(InvalidInput, match="workers"):
        run_bench_http(workers=0, clients=2, seconds=1)
    with pytest.raises(InvalidInput, match="PostgreSQL"):
        run_bench_http(1, 2, 1, database="mysql://nowhere/x")


def test_side_by_side_runs_both_checkouts_interleaved_and_reports_medians(capsys, tmp_path):
    from engine.bench.http import ROOT
    assert main(["bench-http", "--workers", "1", "--clients", "2", "--seconds", "2", "--previous", str(ROOT),
                 "--runs", "1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["database"] == "sqlite" and result["runs"] == 1
    for release in ("previous", "current"):   # here both are this checkout: each ran and completed work
        figures = result["by_workers"]["1"][release]
        assert figures["completions_per_s"] > 0 and figures["errors"] == 0
        assert 0 < figures["kinds"]["complete"]["p50_ms"] <= figures["kinds"]["complete"]["p95_ms"]
    assert main(["bench-http", "--previous", str(tmp_path), "--seconds", "1"]) != 0
    assert "不是 sanfu 的检出目录" in capsys.readouterr().err
    assert main(["bench-http", "--workers", "two", "--seconds", "1"]) == 2
    assert "整数，多个用逗号分隔" in capsys.readouterr().err
