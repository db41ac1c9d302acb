"""`sanfu bench-auth`: what checking who is asking costs an authenticated request.

The workload (web/bench_auth.py) drives the web application through Flask's test client:
N API GETs of a small resource with a bearer token and N page GETs with a signed-in session,
on a fresh database (SQLite in a temporary folder, or a PostgreSQL URL: a schema of its own,
dropped afterwards). It reports per request the median and p95 time, the time spent checking
the token or session, and the statements sent — all, those of the check, INSERT/UPDATE/DELETE,
and those sent inside a write transaction (SQLite's write lock).

It runs in a child process, so the engine never imports the web application; with
`--previous DIR` (a checkout of the previous release) the same workload runs under both
code bases, interleaved `runs` times, and the medians are reported side by side with the
spread (min–max) of each figure, the machine being shared and noisy.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from engine.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent.parent
WORKLOAD = ROOT / "web" / "bench_auth.py"
FIGURES = ("median_ms", "p95_ms", "auth_median_ms", "statements_per_request", "auth_statements_per_request",
           "writes_per_request", "statements_in_write_transactions_per_request")
KINDS = ("api_get", "page_get")


def run_once(code_root: Path, requests: int, url: str | None) -> dict:
    """One run of the workload against the code in `code_root` (this checkout or another)."""
    code = ("import runpy, sys; sys.argv = ['bench_auth'] + sys.argv[1:]; "
            f"runpy.run_path({str(WORKLOAD)!r}, run_name='__main__')")
    argv = [sys.executable, "-c", code, str(requests)] + ([url] if url else [])
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    done = subprocess.run(argv, cwd=code_root, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise InvalidInput(f"压测进程失败 (the benchmark run failed): {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_bench_auth(requests: int = 300, url: str | None = None, previous: Path | None = None,
                   runs: int = 5) -> dict:
    """This code's figures; with `previous`, both code bases' medians of interleaved runs."""
    if requests < 1 or runs < 1:
        raise InvalidInput("--requests 与 --runs 须为正数 (must be positive)")
    if previous is None:
        return {"runs": 1, "current": run_once(ROOT, requests, url)}
    if not (Path(previous) / "web" / "__init__.py").is_file():
        raise InvalidInput(f"{previous} 不是 sanfu 的检出目录 (not a sanfu checkout)")
    results: dict[str, list[dict]] = {"previous": [], "current": []}
    for _ in range(runs):
        results["previous"].append(run_once(Path(previous).resolve(), requests, url))
        results["current"].append(run_once(ROOT, requests, url))
    return {"runs": runs, "requests": requests, "database": results["current"][0]["database"],
            **{name: _medians(found) for name, found in results.items()}}


def _medians(found: list[dict]) -> dict:
    return {kind: {figure: {"median": statistics.median(r[kind][figure] for r in found),
                            "min": min(r[kind][figure] for r in found),
                            "max": max(r[kind][figure] for r in found)} for figure in FIGURES}
            for kind in KINDS}


def describe(report: dict) -> list[str]:
    """The report as lines for a terminal."""
    if "previous" not in report:
        current = report["current"]
        lines = [f"{current['requests']} requests each on {current['database']}:"]
        for kind in KINDS:
            f = current[kind]
            lines.append(f"  {kind}: {f['median_ms']} ms (p95 {f['p95_ms']}), auth {f['auth_median_ms']} ms, "
                         f"{f['statements_per_request']:g} statements ({f['auth_statements_per_request']:g} "
                         f"to authenticate), {f['writes_per_request']:g} writes")
        return lines
    lines = [f"{report['requests']} requests each on {report['database']}, "
             f"median of {report['runs']} interleaved runs (min–max):"]
    for kind in KINDS:
        for name in ("previous", "current"):
            f = report[name][kind]
            lines.append(f"  {kind:>8} {name:>8}: {_span(f['median_ms'])} ms, p95 {_span(f['p95_ms'])} ms, "
                         f"auth {_span(f['auth_median_ms'])} ms; statements {f['statements_per_request']['median']:g} "
                         f"(auth {f['auth_statements_per_request']['median']:g}), writes "
                         f"{f['writes_per_request']['median']:g}, in write transactions "
                         f"{f['statements_in_write_transactions_per_request']['median']:g}")
    return lines


def _span(figure: dict) -> str:
    return f"{figure['median']} ({figure['min']}–{figure['max']})"
