"""`sanfu bench-history`: the cost of a looping instance as its history grows (engine.bench.history)."""
from __future__ import annotations

import json
from pathlib import Path


def add_history_commands(sub) -> None:
    bench = sub.add_parser("bench-history", help="benchmark an instance that loops through a user task "
                                                 "(cost per completion and stored state as rounds add up)")
    bench.add_argument("--rounds", type=int, default=600)
    bench.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="a database URL (PostgreSQL: uses and drops a schema of its own); "
                            "default: SQLite in a temporary folder")
    bench.add_argument("--previous", type=Path, default=None, metavar="DIR",
                       help="a checkout of the previous release: run both, interleaved, side by side")
    bench.add_argument("--runs", type=int, default=5, help="with --previous: runs of each (medians reported)")
    bench.add_argument("--json", action="store_true")


def cmd_bench_history(args) -> int:
    from engine.bench.history import compare, describe, run_bench_history
    if args.previous is not None:
        report = compare(args.previous, args.rounds, args.runs, args.bench_database)
        print(json.dumps(report, ensure_ascii=False) if args.json else _side_by_side(report))
        return 0
    report = run_bench_history(args.rounds, args.bench_database)
    print(json.dumps(report, ensure_ascii=False) if args.json else "\n".join(describe(report)))
    return 0


def _side_by_side(report: dict) -> str:
    lines = [f"{report['rounds']} rounds, median of {report['runs']} interleaved runs (min–max):"]
    for name in ("previous", "current"):
        r = report[name]
        first, last, ratio = r["first_mean_ms"], r["last_mean_ms"], r["last_vs_first"]
        sizes = ", ".join(f"round {k}: {v:.0f} B" for k, v in r["state_bytes_at_round"].items())
        lines.append(f"{name:>8}: rounds 1–20 {first['median']} ms ({first['min']}–{first['max']}), "
                     f"rounds 481–500 {last['median']} ms ({last['min']}–{last['max']}), {ratio['median']}×; "
                     f"state {sizes}; " + _verdict(r))
        view, view_last, view_ratio = r["view_first_mean_ms"], r["view_last_mean_ms"], r["view_last_vs_first"]
        lines.append(f"{'':>8}  task page: rounds 1–20 {view['median']} ms ({view['min']}–{view['max']}), "
                     f"rounds 481–500 {view_last['median']} ms ({view_last['min']}–{view_last['max']}), "
                     f"{view_ratio['median']}×")
    return "\n".join(lines)


def _verdict(figures: dict) -> str:
    return "correct" if figures["correct"] else f"WRONG: open task lost at round {figures['lost_open_task_at_round']}"


HISTORY_HANDLERS = {"bench-history": cmd_bench_history}
