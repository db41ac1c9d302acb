"""`sanfu soak`, tiny: gunicorn on a fresh database, clerks whose instances loop, a mix of inbox
reads, task views, claims, uploads and completions, a supervisor reloading the 督办看板 — no errors,
every kind measured, memory sampled (and on PostgreSQL the connections), nothing left running."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli.main import main
from tests.conftest import _postgres_or_skip


def gunicorns() -> int:
    count = 0
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and b"sanfu-soak" in (proc / "environ").read_bytes():
                count += 1
        except OSError:
            continue
    return count


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_short_soak_measures_every_kind_and_leaves_nothing_running(kind, capsys):
    args = ["soak", "--minutes", "0.2", "--clients", "2", "--workers", "1", "--json"]
    if kind == "postgres":
        args += ["--database", _postgres_or_skip(), "--force"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 0 and report["completions"] > 0
    assert all(report["kinds"][k]["count"] > 0 for k in ("inbox", "task", "claim", "complete", "dashboard"))
    assert report["supervisors"] == 1 and sum(report["dashboards_per_minute"]) == report["kinds"]["dashboard"]["count"]
    assert report["samples"] and report["samples"][0]["rss_mb"]
    assert (report["db_connections"]["max"] is not None) == (kind == "postgres")
    assert gunicorns() == 0
