"""`sanfu bench-dashboard` on a tiny size: it fills, times three viewers' dashboards, and shows
that the colour and completion counts are index ranges, not scans of every task."""
import json

from engine.cli.main import main


def test_bench_dashboard_tiny_json(capsys):
    code = main(["bench-dashboard", "--instances", "200", "--tasks-per-instance", "3", "--repeat", "2", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["database"] == "sqlite" and report["inserted"]["human_tasks"] == 600
    assert set(report["dashboards"]) == {"zj_super", "hz_super", "xh_leader"}
    province, county = report["dashboards"]["zj_super"], report["dashboards"]["xh_leader"]
    assert province["total"]["open"] >= report["inserted"]["open_tasks"] > county["total"]["open"] > 0  # + the demo's
    assert province["total"]["red"] > 0 and 0 < province["p50_ms"] <= province["p95_ms"] <= province["max_ms"]
    assert "ix_human_tasks_open_unit" in " ".join(report["plans"]["colours"])
    assert "ix_human_tasks_done_unit" in " ".join(report["plans"]["completions"])
