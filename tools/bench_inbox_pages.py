#!/usr/bin/env python
# The inbox's first pages and a busy 科室待认领 queue's deep pages on one kept, filled
# database (tools/inbox_equivalence.py fill URL), under two releases, interleaved:
#   for i in 1 2 3 4 5; do
#     (cd /tmp/prev && PYTHONPATH=/tmp/prev python /work/main/tools/bench_inbox_pages.py URL prev)
#     (cd /work/main && PYTHONPATH=/work/main python tools/bench_inbox_pages.py URL now)
#   done > runs.jsonl
#   python tools/bench_inbox_pages.py --medians runs.jsonl
"""Times Engine.inbox as bench-inbox does (its 20 sample users; first page of each view,
which also counts every tab) and the pages bench-inbox's DEEP_PAGES lines time (科室待认领
page 26 and 60 by due date, page 26 latest due first, newest first) for the users whose queue
is busy, at a frozen moment; prints one JSON line of p50/p95 per kind. Reads only, so two
releases can take turns on the same database (its schema must be one both understand)."""
import json
import statistics
import sys
import time
from datetime import UTC, datetime

MOMENT = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
VIEWS = ("todo", "claimable", "done", "started", "copied")
DEEP = {"claimable_page_26": {"page": 26}, "claimable_page_60": {"page": 60},
        "claimable_latest_due_page_26": {"sort": "-due", "page": 26},
        "claimable_newest_first": {"sort": "-created"}}
REPEAT = 10


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _figures(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50_ms": _ms(times[len(times) // 2]), "p95_ms": _ms(times[min(len(times) - 1, int(len(times) * 0.95))])}


def _timed(engine, user: str, view: str, kwargs: dict) -> list[float]:
    engine.inbox(user, view, **kwargs)  # warm-up: compiles, prepares
    out = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        engine.inbox(user, view, **kwargs)
        out.append(time.perf_counter() - t0)
    return out


def run(url: str, label: str) -> dict:
    from engine import clock
    from engine.bench.inbox import _sample_users
    from engine.service import Engine
    from engine.store.db import make_engine
    engine = Engine(db_engine=make_engine(url))
    report = {"label": label, "database": url.split(":")[0]}
    with clock.frozen_at(MOMENT):
        users = _sample_users()
        busy = [u for u in users if engine.inbox(u, "claimable")["counts"]["claimable"] > 99]
        for view in VIEWS:
            report[view] = _figures([t for user in users for t in _timed(engine, user, view, {})])
        for name, kwargs in DEEP.items():
            report[name] = _figures([t for user in busy for t in _timed(engine, user, "claimable", kwargs)])
    return report


def medians(path: str) -> None:
    """Per label and kind, the median over the runs of each run's p50 and p95 (and their range)."""
    runs = [json.loads(line) for line in open(path, encoding="utf-8") if line.startswith("{")]
    labels = list(dict.fromkeys(r["label"] for r in runs))
    kinds = [k for k in runs[0] if k not in ("label", "database")]
    for kind in kinds:
        cells = []
        for label in labels:
            p50 = [r[kind]["p50_ms"] for r in runs if r["label"] == label]
            p95 = [r[kind]["p95_ms"] for r in runs if r["label"] == label]
            cells.append(f"{label}: p50 {statistics.median(p50):.2f} p95 {statistics.median(p95):.2f} "
                         f"({min(p95):.1f}–{max(p95):.1f})")
        print(f"{kind:30} " + " | ".join(cells))


if __name__ == "__main__":
    if sys.argv[1] == "--medians":
        medians(sys.argv[2])
    else:
        print(json.dumps(run(sys.argv[1], sys.argv[2])))
