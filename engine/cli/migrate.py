"""`sanfu migrate KEY --from N --to M [--map OLD=NEW ...] [--dry-run] --as USER`: move the running
instances of one version of a process to another (a designer's or admin's command)."""
from __future__ import annotations

from engine.cli.common import engine_for, print_json
from engine.instances.migration import parse_mapping


def add_migrate_commands(sub, as_user) -> None:
    migrate = sub.add_parser("migrate", help="迁移运行中的实例到另一版本 (move running instances)")
    migrate.add_argument("key", help="process key")
    migrate.add_argument("--from", dest="from_version", type=int, required=True, metavar="N")
    migrate.add_argument("--to", dest="to_version", type=int, required=True, metavar="M")
    migrate.add_argument("--map", dest="mapping", action="append", default=[], metavar="OLD=NEW",
                         help="an element of version N that is called differently in M (repeatable)")
    migrate.add_argument("--dry-run", action="store_true", help="预演：只列出能否迁移，不做改动")
    migrate.add_argument("--json", action="store_true")
    as_user(migrate)


def cmd_migrate(args) -> int:
    engine = engine_for(args)
    result = engine.migrate(args.key, args.from_version, args.to_version, parse_mapping(args.mapping),
                            args.actor, dry_run=args.dry_run)
    if args.json:
        print_json(result)
    else:
        for row in result["instances"]:
            print(_line(row, result["dry_run"]))
        print(_totals(result))
    return 1 if result["blocked"] else 0


def _line(row: dict, dry_run: bool) -> str:
    at = "、".join(row["current"]) or "-"
    if not row["movable"]:
        return f"实例 {row['instance_id']}（当前 {at}）不可迁移：{'；'.join(row['reasons'])}"
    verdict = "可迁移" if dry_run else "已迁移"
    notes = f"（{'；'.join(row['notes'])}）" if row["notes"] else ""
    return f"实例 {row['instance_id']}（当前 {at}）{verdict}{notes}"


def _totals(result: dict) -> str:
    head = f"{result['key']} 版本 {result['from_version']} → {result['to_version']}"
    total, blocked = result["total"], result["blocked"]
    if result["dry_run"]:
        return f"{head}（预演）：共 {total} 个，可迁移 {result['movable']} 个，不可迁移 {blocked} 个"
    return f"{head}：共 {total} 个，已迁移 {result['migrated']} 个，未迁移 {blocked} 个"


MIGRATE_HANDLERS = {"migrate": cmd_migrate}
