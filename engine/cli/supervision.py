"""`sanfu ladder` (run the escalation ladder once, as of now or --now) and `sanfu records`
(the 督办单 of a year, 跨年 ones marked)."""
from __future__ import annotations

from engine import clock
from engine.cli.common import engine_for, page_window, parse_now, print_json
from engine.supervision.record_commands import PAGE_MOST


def add_supervision_commands(sub, as_user) -> None:
    ladder = sub.add_parser("ladder", help="逐级督办：take every ladder step due now (or as of --now)")
    ladder.add_argument("--now", default=None, help="ISO date-time; without offset: Asia/Shanghai")
    records = sub.add_parser("records", help="挂牌督办：list a year's supervision records (督办单)")
    records.add_argument("--year", type=int, default=None, help="default: this year")
    records.add_argument("--status", choices=("open", "verifying", "closed"), default=None)
    records.add_argument("--unit", default=None, help="a unit code: that unit and the units below it")
    records.add_argument("--page", type=int, default=1)
    records.add_argument("--limit", type=int, default=50, help="rows per page (1–200, default 50)")
    records.add_argument("--json", action="store_true")
    as_user(records)


def cmd_ladder(args) -> int:
    moment = parse_now(args.now)
    with clock.frozen_at(moment):
        taken = engine_for(args).run_ladder(owner="cli")
    print(f"提醒科室负责人 {taken['section_head']}，报分管领导 {taken['leader']}，挂牌督办 {taken['listed']} "
          f"(as of {clock.to_local(moment):%Y-%m-%d %H:%M:%S})")
    return 0


def cmd_records(args) -> int:
    limit, offset = page_window(args.page, args.limit, most=PAGE_MOST)  # out of range: refused, not clamped
    result = engine_for(args).supervision_records(args.actor, year=args.year, status=args.status, unit=args.unit,
                                                  limit=limit, offset=offset)
    if args.json:
        print_json(result)
        return 0
    counts = result["counts"]
    print(f"{result['year']} 年督办单：督办中 {counts['open']}，待复核 {counts['verifying']}，"
          f"已销号 {counts['closed']}")
    for r in result["rows"]:
        deadline = clock.to_local(clock.parse_moment(r["deadline"])).strftime("%Y-%m-%d") if r["deadline"] else "未限期"
        carried = "【跨年】" if r["carried_over"] else ""
        print(f"{r['number']}{carried}  {r['status_text']}  {r['unit_name']} {r['section_name']}  "
              f"期限 {deadline}  {r['title']}")
    if result["has_next"]:
        print(f"（还有更多：--page {args.page + 1}）")
    return 0


SUPERVISION_HANDLERS = {"ladder": cmd_ladder, "records": cmd_records}
