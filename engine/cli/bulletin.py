"""`sanfu bulletin`: the 周/月通报 as an xlsx file; `sanfu bench-dashboard`: the 督办看板 at volume."""
from __future__ import annotations

import json
from pathlib import Path

from engine.cli.common import engine_for
from engine.errors import InvalidInput


def add_bulletin_commands(sub, as_user) -> None:
    bulletin = sub.add_parser("bulletin", help="周/月通报：督办统计的 xlsx（汇总、超期事项、挂牌督办、联络员服务）")
    bulletin.add_argument("--unit", default=None, help="unit code (default: your own unit)")
    bulletin.add_argument("--period", default=None, help="month 2026-11 (default: this month)")
    bulletin.add_argument("--week", default=None, help="ISO week 2026-W48 (a weekly bulletin; overrides --period)")
    bulletin.add_argument("--xlsx", type=Path, required=True, metavar="FILE")
    as_user(bulletin)
    bench = sub.add_parser("bench-dashboard", help="benchmark the 督办看板 at volume (fresh database)")
    bench.add_argument("--instances", type=int, default=100_000)
    bench.add_argument("--tasks-per-instance", type=int, default=10)
    bench.add_argument("--repeat", type=int, default=20, help="timed calls per viewer")
    bench.add_argument("--database", dest="bench_database", default=None, metavar="URL",
                       help="an empty database URL (PostgreSQL: uses and drops its own schema); "
                            "default: SQLite in a temporary folder")
    bench.add_argument("--json", action="store_true")


def cmd_bulletin(args) -> int:
    name, content = engine_for(args).bulletin_xlsx(args.actor, args.unit, args.week or args.period)
    try:
        args.xlsx.write_bytes(content)
    except OSError as err:
        raise InvalidInput(f"无法写入 {args.xlsx}：{err} (cannot write the file)") from None
    print(f"已生成 {name[:-5]}：{args.xlsx}")
    return 0


def cmd_bench_dashboard(args) -> int:
    from engine.bench.dashboard import run_bench_dashboard
    report = run_bench_dashboard(instances=args.instances, tasks_per_instance=args.tasks_per_instance,
                                 database=args.bench_database, repeat=args.repeat)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    for user, figures in report["dashboards"].items():
        print(f"{user}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, max {figures['max_ms']} ms "
              f"— {figures['total']}")
    print(f"target p95 ≤ {report['target_p95_ms']} ms: {'met' if report['meets_target'] else 'NOT met'}")
    for name, plan in report["plans"].items():
        print(f"plan {name}:")
        for line in plan:
            print(f"  {line}")
    return 0


BULLETIN_HANDLERS = {"bulletin": cmd_bulletin, "bench-dashboard": cmd_bench_dashboard}
