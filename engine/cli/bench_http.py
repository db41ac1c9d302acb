"""`sanfu bench-http`: the HTTP path under gunicorn (engine.bench.http)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_bench_http_commands(sub) -> None:
    bench = sub.add_parser("bench-http", help="benchmark API completions and inbox reads under gunicorn "
                                              "(fresh database, many users with API tokens)")
    bench.add_argument("--workers", type=_worker_counts, default=[2],
                       help="gunicorn sync workers (default 2); several, comma-separated, run each: 2,4")
    bench.add_argument("--clients", type=int, default=16, help="concurrent API clients, one user each (default 16)")
    bench.add_argument("--seconds", type=float, default=20, help="how long the clients run (default 20)")
    bench.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="a throwaway PostgreSQL database (emptied before and after); default: SQLite in a "
                            "temporary folder")
    bench.add_argument("--force", action="store_true", help="empty --database even if it holds tables")
    bench.add_argument("--per-client", type=int, default=None, help=argparse.SUPPRESS)
    bench.add_argument("--app-path", type=Path, default=None, help=argparse.SUPPRESS)  # another checkout
    bench.add_argument("--previous", type=Path, default=None, metavar="DIR",
                       help="a checkout of the previous release: the same runs under both, interleaved, "
                            "medians side by side")
    bench.add_argument("--runs", type=int, default=3, help="with --previous: runs of each (default 3)")
    bench.add_argument("--json", action="store_true")


def _worker_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("--workers: 整数，多个用逗号分隔 (integers, comma-separated)") from None
    if not counts:
        raise argparse.ArgumentTypeError("--workers: 至少一个 (at least one)")
    return counts


def cmd_bench_http(args) -> int:
    from engine.bench.http import describe, run_bench_http
    from engine.bench.http_compare import describe_side_by_side, run_side_by_side
    if args.previous is not None:
        result = run_side_by_side(args.previous, args.workers, args.clients, args.seconds, args.bench_database,
                                  args.force, args.runs)
        print(json.dumps(result, ensure_ascii=False) if args.json else "\n".join(describe_side_by_side(result)))
        return 0
    reports = [run_bench_http(n, args.clients, args.seconds, args.bench_database, args.force or i > 0,
                              args.app_path, args.per_client) for i, n in enumerate(args.workers)]
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else reports, ensure_ascii=False))
    else:
        print("\n".join(line for report in reports for line in describe(report)))
    return 0


BENCH_HTTP_HANDLERS = {"bench-http": cmd_bench_http}
