"""`sanfu` subcommands for the organisation and for handing tasks on:
org/pairing import and export, deputies, handover, transfer (转办) and return (退回)."""
from __future__ import annotations

from pathlib import Path

from engine import clock
from engine.cli.common import deadline_text, engine_for, page_window, parse_now, print_json, say_there_is_more


def add_org_commands(sub, as_user) -> None:
    for area in ("org", "pairing"):
        group = sub.add_parser(area, help="组织机构与人员" if area == "org" else "结对服务企业名单")
        actions = group.add_subparsers(dest=f"{area}_command", required=True)
        do_import = actions.add_parser("import", help="import an xlsx/csv file")
        do_import.add_argument("file", type=Path)
        do_import.add_argument("--good-rows-only", action="store_true")
        as_user(do_import)
        do_export = actions.add_parser("export", help="export to an xlsx/csv file")
        do_export.add_argument("file", type=Path)
        if area == "pairing":
            do_export.add_argument("--unit", default=None, help="a unit code (and the units below it)")
            actions.add_parser("duplicates", help="enterprises paired by more than one unit")
    deputy = sub.add_parser("deputy", help="name a deputy for a period of leave")
    deputy.add_argument("user")
    deputy.add_argument("deputy")
    deputy.add_argument("--from", dest="starts", required=True)
    deputy.add_argument("--to", dest="ends", required=True)
    as_user(deputy)
    handover = sub.add_parser("handover", help="move a departing user's enterprises and tasks")
    handover.add_argument("from_user")
    handover.add_argument("to_user")
    as_user(handover)
    transfer = sub.add_parser("transfer", help="转办 a task to a person, section or unit")
    transfer.add_argument("task")
    transfer.add_argument("--to-user")
    transfer.add_argument("--to-section")
    transfer.add_argument("--to-unit")
    transfer.add_argument("--reason", required=True)
    as_user(transfer)
    overview = sub.add_parser("overview", help="督办: open tasks in a supervisor's or head's scope")
    overview.add_argument("--json", action="store_true")
    overview.add_argument("--page", type=int, default=1, help="page number (default 1)")
    overview.add_argument("--limit", type=int, default=100, help="rows per page (1–1000, default 100)")
    as_user(overview)
    ledger = sub.add_parser("ledger", help="一企一账: an enterprise's matters")
    ledger.add_argument("enterprise", type=int)
    ledger.add_argument("--json", action="store_true")
    as_user(ledger)
    back = sub.add_parser("return", help="退回 a task to the previous step")
    back.add_argument("task")
    back.add_argument("--reason", required=True)
    as_user(back)


def _report(report) -> int:
    print(f"已导入 {report.imported} 行")
    for warning in report.warnings:
        print(f"警告：{warning}")
    for error in report.errors:
        print(f"跳过：{error}")
    return 0


def cmd_org(args) -> int:
    engine = engine_for(args)
    if args.org_command == "import":
        return _report(engine.import_org(args.file, actor=args.actor, good_rows_only=args.good_rows_only))
    engine.export_org(args.file)
    print(f"已导出到 {args.file}")
    return 0


def cmd_pairing(args) -> int:
    engine = engine_for(args)
    if args.pairing_command == "import":
        return _report(engine.import_pairing(args.file, actor=args.actor, good_rows_only=args.good_rows_only))
    if args.pairing_command == "duplicates":
        for item in engine.duplicate_pairings():
            print(f"{item['credit_code']} {item['name']}：{'、'.join(item['units'])}")
        return 0
    print(f"已导出 {engine.export_pairing(args.file, args.unit)} 家企业到 {args.file}")
    return 0


def cmd_deputy(args) -> int:
    starts, ends = parse_now(args.starts), parse_now(args.ends)
    engine_for(args).set_deputy(args.user, args.deputy, starts, ends, actor=args.actor)
    print(f"{args.deputy} 在 {clock.to_local(starts):%Y-%m-%d %H:%M} 至 {clock.to_local(ends):%Y-%m-%d %H:%M} "
          f"代理 {args.user}")
    return 0


def cmd_handover(args) -> int:
    moved = engine_for(args).handover(args.from_user, args.to_user, actor=args.actor)
    print(f"已移交给 {args.to_user}：联络企业 {moved['liaison_of']}，联系企业 {moved['contact_leader_of']}，"
          f"待办 {moved['tasks']}，候选任务 {moved['candidate_tasks']}")
    return 0


def cmd_transfer(args) -> int:
    task = engine_for(args).transfer(args.task, args.actor, reason=args.reason, to_user=args.to_user,
                                  to_section=args.to_section, to_unit=args.to_unit)
    print(f"已转办：{task['name']} → {task['assignee'] or '、'.join(task['candidate_groups'])}")
    return 0


def cmd_return(args) -> int:
    task = engine_for(args).return_task(args.task, args.actor, args.reason)
    print(f"已退回到上一步：{task['name']}（{task['assignee']}）")
    return 0


def cmd_overview(args) -> int:
    limit, offset = page_window(args.page, args.limit)
    rows = engine_for(args).overview(args.actor, limit=limit + 1, offset=offset)  # one more: a next page?
    if len(rows) > limit:
        rows = rows[:limit]
        say_there_is_more(args.page, len(rows))
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        due = clock.to_local(clock.parse_moment(row["due_at"])).strftime("%m-%d %H:%M") if row["due_at"] else "-"
        print(f"{due} {deadline_text(row)} #{row['instance_id']} {row['process_key']} {row['name']} "
              f"[{row['assignee'] or '待认领'}]")
    return 0


def cmd_ledger(args) -> int:
    rows = engine_for(args).ledger_for(args.enterprise, args.actor)
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        print(f"{row['category']} {row['status']} {row['section']} {row['description'][:40]}")
    return 0


ORG_HANDLERS = {"overview": cmd_overview, "ledger": cmd_ledger, "org": cmd_org, "pairing": cmd_pairing,
                "deputy": cmd_deputy, "handover": cmd_handover, "transfer": cmd_transfer, "return": cmd_return}
