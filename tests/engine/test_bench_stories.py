"""`sanfu bench`'s stories: every shipped scenario replayed on one engine, each person's
command timed and its statements counted, by kind; the warm-up round left out."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml

from engine.bench import hot_path
from engine.bench.stories import run_stories
from engine.demo.loader import PROCESSES
from engine.scenarios import runner

SCENARIOS = sorted(PROCESSES.glob("*.scenario.yaml"))


def _steps(kind: str) -> int:
    """How many steps of this kind the shipped scenarios have (refused ones too: they ran)."""
    return sum(kind in step for path in SCENARIOS
               for step in yaml.safe_load(path.read_text(encoding="utf-8"))["steps"])


def _sqlite_databases(tmp_path: Path):
    return lambda: hot_path._fresh_database(Path(tempfile.mkdtemp(dir=tmp_path)), None)


def _check_counts(report: dict, rounds: int) -> None:
    assert report["story_replays"] == rounds * len(SCENARIOS)
    assert report["story_start_count"] == rounds * len(SCENARIOS)
    for kind in ("complete", "claim", "transfer", "return"):
        assert report[f"story_{kind}_count"] == rounds * _steps(kind), kind
    assert report["story_complete_ms"] > 0 and report["story_complete_cpu_ms"] > 0
    # a completion reads its task and writes it, the state, an audit row; routing and ledger add more
    assert 5 <= report["story_complete_sql"] <= 40


def test_every_command_of_every_shipped_story_is_timed_after_the_warm_up(tmp_path):
    assert len(SCENARIOS) >= 3 and _steps("complete") >= 10
    _check_counts(run_stories(_sqlite_databases(tmp_path), rounds=2), rounds=2)


def test_a_release_without_runner_replay_is_measured_the_same_way(tmp_path, monkeypatch):
    """tools/bench_hot_path.py runs this workload over an older checkout: its private runner."""
    monkeypatch.delattr(runner, "replay")
    _check_counts(run_stories(_sqlite_databases(tmp_path), rounds=1), rounds=1)
    assert runner.build_org is not None and runner.build_org.__name__ == "build_org"  # put back


def test_a_story_that_fails_stops_the_benchmark_and_names_its_file(tmp_path, monkeypatch):
    real = runner.replay

    def broken(engine, scenario, **kwargs):
        result = real(engine, scenario, **kwargs)
        result.steps[-1].status, result.steps[-1].differences = "failed", ["changed on purpose"]
        return result

    monkeypatch.setattr(runner, "replay", broken)
    with pytest.raises(RuntimeError, match=r"scenario .+\.scenario\.yaml failed .*changed on purpose"):
        run_stories(_sqlite_databases(tmp_path), rounds=1)


def test_sanfu_bench_reports_the_stories(monkeypatch):
    report = hot_path.run_bench(instances=2, mi_sizes=(1,), story_rounds=1)
    _check_counts(report, rounds=1)
    assert hot_path.STORY_ROUNDS >= 3  # medians over more than a round or two
