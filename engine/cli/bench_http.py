"""`sanfu bench-http`: the HTTP path under gunicorn (engine.bench.http)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_bench_http_commands(sub) -> None:
    bench = sub.add_parser("bench-http", help="benchmark API completions and inbox reads under gunicorn "
                                              "(fresh database, many users with API tokens)")
    bench.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    bench.add_argument("--clients", type=int, default=16, help="concurrent API clients, one user each (default 16)")
    bench.add_argument("--seconds", type=float, default=20, help="how long the clients run (default 20)")
    bench.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="a throwaway PostgreSQL database (emptied before and after); default: SQLite in a "
                            "temporary folder")
    bench.add_argument("--force", action="store_true", help="empty --database even if it holds tables")
    bench.add_argument("--per-client", type=int, default=None, help=argparse.SUPPRESS)
    bench.add_argument("--app-path", type=Path, default=None, help=argparse.SUPPRESS)  # another checkout
    bench.add_argument("--json", action="store_true")


def cmd_bench_http(args) -> int:
    from engine.bench.http import describe, run_bench_http
    report = run_bench_http(args.workers, args.clients, args.seconds, args.bench_database, args.force,
                            args.app_path, args.per_client)
    print(json.dumps(report, ensure_ascii=False) if args.json else "\n".join(describe(report)))
    return 0


BENCH_HTTP_HANDLERS = {"bench-http": cmd_bench_http}
