"""`sanfu bench-http --previous DIR`: the same HTTP workload (engine.bench.http) under this
release and another checkout, interleaved run by run — previous, current, for each worker
count — and the medians side by side. A shared machine's noise lands on both alike; each run's
CPU account (engine.bench.cpu) says how noisy it was."""
from __future__ import annotations

import statistics
from pathlib import Path

from engine.bench.http import KINDS, ROOT, run_bench_http
from engine.errors import InvalidInput

RELEASES = ("previous", "current")


def run_side_by_side(previous: Path, workers: list[int], clients: int, seconds: float, database: str | None,
                     force: bool, runs: int) -> dict:
    """{workers: {release: medians}} over `runs` interleaved runs of each release and worker count."""
    previous = Path(previous).resolve()
    if not (previous / "web" / "__init__.py").is_file():
        raise InvalidInput(f"{previous} 不是 sanfu 的检出目录 (not a sanfu checkout)")
    if not 1 <= runs <= 20:
        raise InvalidInput("--runs 须在 1–20 之间 (runs 1–20)")
    paths = {"previous": previous, "current": ROOT}
    reports: dict[int, dict[str, list[dict]]] = {n: {r: [] for r in RELEASES} for n in workers}
    for _ in range(runs):
        for n in workers:
            for release in RELEASES:
                reports[n][release].append(run_bench_http(n, clients, seconds, database, force, paths[release]))
                force = True  # the run before emptied the database it used
    return {"runs": runs, "clients": clients, "seconds": seconds, "previous": str(previous),
            "database": next(iter(reports.values()))["current"][0]["database"],
            "by_workers": {n: {r: _medians(reports[n][r]) for r in RELEASES} for n in workers}}


def _medians(reports: list[dict]) -> dict:
    def median(values):
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 2) if values else None

    kinds = {kind: {p: median([r["kinds"][kind].get(p) for r in reports]) for p in ("p50_ms", "p95_ms", "p99_ms")}
             for kind in KINDS}
    return {"completions_per_s": median([r["completions_per_s"] for r in reports]),
            "requests_per_s": median([r["requests_per_s"] for r in reports]),
            "errors": sum(r["errors"] for r in reports), "conflicts": sum(r["conflicts"] for r in reports),
            "machine_busy_pct": median([r.get("cpu", {}).get("machine_busy_pct") for r in reports]),
            "load_at_start": median([r.get("cpu", {}).get("load_avg_1m_at_start") for r in reports]),
            "ceiling_per_s": median([r.get("cpu_per_completion", {}).get("ceiling_per_s") for r in reports]),
            "kinds": kinds}


def describe_side_by_side(result: dict) -> list[str]:
    lines = [f"bench-http side by side: {result['database']}, {result['clients']} clients, {result['seconds']} s, "
             f"medians of {result['runs']} interleaved runs (previous = {result['previous']})",
             f"  {'workers':<8}{'release':<10}{'compl/s':>9}{'req/s':>8}{'complete p95':>14}{'inbox p95':>11}"
             f"{'claim p95':>11}{'errors':>8}{'busy %':>8}{'load':>7}{'ceiling':>9}"]
    for workers, releases in result["by_workers"].items():
        for release, m in releases.items():
            k = m["kinds"]
            lines.append(f"  {workers:<8}{release:<10}{_num(m['completions_per_s']):>9}{_num(m['requests_per_s']):>8}"
                         f"{_num(k['complete']['p95_ms']):>14}{_num(k['inbox']['p95_ms']):>11}"
                         f"{_num(k['claim']['p95_ms']):>11}{m['errors']:>8}{_num(m['machine_busy_pct']):>8}"
                         f"{_num(m['load_at_start']):>7}{_num(m.get('ceiling_per_s')):>9}")
    lines.append("  ceiling: completions/s these cores could sustain at the run's CPU per completion "
                 "(server, clients and database together)")
    return lines


def _num(value) -> str:
    return "—" if value is None else f"{value:g}"
