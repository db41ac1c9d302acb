"""`sanfu bench-inbox` on a tiny size: it builds, fills, measures and reports."""
import json

from engine.bench.inbox import VIEWS
from engine.cli.main import main


def test_bench_inbox_tiny_json(capsys):
    code = main(["bench-inbox", "--instances", "200", "--tasks-per-instance", "3", "--repeat", "2", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert {"database", "rows", "inserted", "build_s", "views", "counts_example", "slowest_view",
            "meets_target", "count_plans"} <= set(report)
    assert report["database"] == "sqlite"
    assert report["inserted"]["instances"] == 200 and report["inserted"]["human_tasks"] == 600
    assert report["rows"]["human_tasks"] >= 600
    assert report["inserted"]["task_candidates"] == report["inserted"]["open_tasks"] > 0
    assert set(report["views"]) == set(VIEWS)
    for figures in report["views"].values():
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]
    assert set(report["counts_example"]["counts"]) == set(VIEWS)
    assert all(report["count_plans"][view]["plan"] for view in VIEWS)
    for figures in report["deep_pages"].values():  # only users with a busy (capped) 科室待认领 queue
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"] and figures["users"] > 0
    assert report["deep_pages_meet_target"] in (True, False)


def test_bench_inbox_refuses_a_database_in_use(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'used.db'}"
    assert main(["--database", url, "init"]) == 0
    assert main(["--database", url, "demo"]) == 0
    capsys.readouterr()
    code = main(["bench-inbox", "--instances", "10", "--database", url])
    assert code == 1
    assert "空数据库" in capsys.readouterr().err
