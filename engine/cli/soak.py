"""`sanfu soak`: minutes of a realistic loopback load under gunicorn (engine.bench.soak)."""
from __future__ import annotations

import json


def add_soak_commands(sub) -> None:
    soak = sub.add_parser("soak", help="a bounded loopback load for minutes: throughput, latency per kind, "
                                       "errors, worker memory and database connections over time")
    soak.add_argument("--minutes", type=float, default=10)
    soak.add_argument("--clients", type=int, default=20)
    soak.add_argument("--workers", type=int, default=2)
    soak.add_argument("--supervisors", type=int, default=None,
                      help="督查 reloading the 督办看板 alongside the clerks (default: one per ten clients)")
    soak.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                      help="a throwaway PostgreSQL database (emptied before and after); default: SQLite")
    soak.add_argument("--force", action="store_true", help="empty --database even if it holds tables")
    soak.add_argument("--json", action="store_true")


def cmd_soak(args) -> int:
    from engine.bench.soak import describe, run_soak
    report = run_soak(args.minutes, args.clients, args.workers, args.bench_database, args.force, args.supervisors)
    print(json.dumps(report, ensure_ascii=False) if args.json else "\n".join(describe(report)))
    return 1 if report["errors"] else 0


SOAK_HANDLERS = {"soak": cmd_soak}
