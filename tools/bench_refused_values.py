"""What checking every flushed value against its column costs (engine.store.limits): `sanfu bench
--json` run side by side — the previous release, this checkout, and this checkout with the check
switched off — interleaved, each a fresh process, and the medians printed.

    cd /work/main && .venv/bin/python tools/bench_refused_values.py --previous /tmp/prev_x --rounds 5

`--previous` is a checkout of the previous release (git worktree add /tmp/prev_x a675f03): its
`sanfu bench` runs with that folder as cwd and PYTHONPATH. The "with the check" run also counts the
flushes the check saw and the time it spent (µs per flush). Prints one JSON object."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
KEYS = ("complete_mean_ms", "complete_cpu_mean_ms", "create_start_mean_ms", "create_start_cpu_mean_ms")

_BENCH = "import sys; from engine.cli.main import main; sys.exit(main(['bench', '--json']))"
_WITHOUT_CHECK = "import engine.store.db as db; db.install_limits = lambda sessions: sessions; " + _BENCH
# The check, timed: total seconds and calls of check_flush, printed after the bench's own line.
_TIMED_CHECK = """
import atexit, json, time, engine.store.limits as limits
seen = {"flushes": 0, "seconds": 0.0}
checked = limits.check_flush
def timed(*args):
    began = time.perf_counter()
    try:
        return checked(*args)
    finally:
        seen["flushes"] += 1
        seen["seconds"] += time.perf_counter() - began
limits.check_flush = timed
atexit.register(lambda: print(json.dumps({"check": seen})))
""" + _BENCH


def _run(code: str, folder: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(folder)}
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True,
                          check=True)
    out: dict = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            out.update(json.loads(line))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--previous", type=Path, default=None, help="a checkout of the previous release")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kinds = {"current": (_TIMED_CHECK, HERE), "current_without_check": (_WITHOUT_CHECK, HERE)}
    if args.previous:
        kinds = {"previous": (_BENCH, args.previous.resolve()), **kinds}
    runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):
        for kind, (code, folder) in kinds.items():
            runs[kind].append(_run(code, folder))
    report: dict = {"rounds": args.rounds}
    for kind, results in runs.items():
        report[kind] = {key: {"median": statistics.median(r[key] for r in results),
                              "min": min(r[key] for r in results), "max": max(r[key] for r in results)}
                        for key in KEYS}
    checks = [r["check"] for r in runs["current"]]
    report["check_us_per_flush"] = statistics.median(1e6 * c["seconds"] / max(c["flushes"], 1) for c in checks)
    report["check_flushes_per_run"] = statistics.median(c["flushes"] for c in checks)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
