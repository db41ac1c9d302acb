"""`sanfu bench-auth`: the cost of checking who is asking (engine/bench/auth.py)."""
from __future__ import annotations

import json
from pathlib import Path


def add_bench_auth_commands(sub) -> None:
    bench = sub.add_parser("bench-auth", help="benchmark authenticated requests: the token and session "
                                              "checks' time and statements (fresh database)")
    bench.add_argument("--requests", type=int, default=300, help="timed requests of each kind per run")
    bench.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="a database URL (PostgreSQL: uses and drops a schema of its own); "
                            "default: SQLite in a temporary folder")
    bench.add_argument("--previous", type=Path, default=None, metavar="DIR",
                       help="a checkout of the previous release: run both, interleaved, side by side")
    bench.add_argument("--runs", type=int, default=5, help="with --previous: runs of each (medians reported)")
    bench.add_argument("--json", action="store_true")


def cmd_bench_auth(args) -> int:
    from engine.bench.auth import describe, run_bench_auth
    report = run_bench_auth(args.requests, args.bench_database, args.previous, args.runs)
    print(json.dumps(report, ensure_ascii=False) if args.json else "\n".join(describe(report)))
    return 0


BENCH_AUTH_HANDLERS = {"bench-auth": cmd_bench_auth}
