"""`sanfu service contact|coverage|remind`: the liaisons' monthly service (每月至少服务一次) —
record a phone, video or visit contact; the month's coverage by unit; send the reminders that
are due now (what the scheduler's monthly_service job does every few minutes)."""
from __future__ import annotations

import re

from engine import clock
from engine.cli.common import engine_for, print_json
from engine.errors import InvalidInput

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
PHASE_WORDS = {"future": "未开始", "open": "进行中", "warning": "预警期（25 日起）", "ended": "已结束"}


def add_service_commands(sub, as_user) -> None:
    service = sub.add_parser("service", help="联络员每月服务：记录服务、月度覆盖率、发送提醒")
    actions = service.add_subparsers(dest="service_command", required=True)
    contact = actions.add_parser("contact", help="record a contact with a paired enterprise")
    contact.add_argument("enterprise_id", type=int)
    contact.add_argument("--mode", choices=("电话", "视频", "走访"), default="电话")
    contact.add_argument("--date", default=None, help="YYYY-MM-DD (default: today)")
    contact.add_argument("--summary", required=True, help="what was discussed")
    as_user(contact)
    coverage = actions.add_parser("coverage", help="a month's coverage by unit, within your scope")
    coverage.add_argument("--month", default=None, help="YYYY-MM (default: this month)")
    coverage.add_argument("--unit", default=None, help="a unit's code (and the units below it)")
    coverage.add_argument("--json", action="store_true")
    as_user(coverage)
    actions.add_parser("remind", help="send the reminders due now (the scheduler does it every 5 minutes)")


def _month(text: str | None) -> tuple[int, int]:
    if text is None:
        today = clock.to_local(clock.now()).date()
        return today.year, today.month
    found = MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise InvalidInput(f"月份 {text!r} 应为 YYYY-MM (month must be YYYY-MM)")
    return int(found.group(1)), int(found.group(2))


def _rate(figures: dict) -> str:
    return "—" if figures["rate"] is None else f"{figures['rate'] * 100:.1f}%"


def cmd_service(args) -> int:
    engine = engine_for(args)
    if args.service_command == "contact":
        day = args.date or clock.to_local(clock.now()).date().isoformat()
        row = engine.record_contact(args.enterprise_id, args.actor, args.mode, day, args.summary)
        print(f"已记录：企业 {row['enterprise_id']} {row['contacted_on']} {row['mode']}（联络员 {row['liaison']}）")
        return 0
    if args.service_command == "remind":
        sent = engine.monthly_service_reminders(owner="cli")
        print(f"已发送预警 {sent['yellow']} 条、逾期提醒 {sent['red']} 条（上月逾期未服务企业 {sent['missed']} 家）")
        return 0
    year, month = _month(args.month)
    found = engine.monthly_service_coverage(args.actor, year, month, unit=args.unit)
    if args.json:
        print_json(found)
        return 0
    print(f"{year} 年 {month} 月 联络员服务（{PHASE_WORDS[found['phase']]}）")
    print("单位\t应服务\t已服务\t未服务\t覆盖率")
    for figures in found["units"].values():
        print(f"{figures['unit']['name']}\t{figures['required']}\t{figures['served']}\t{figures['unserved']}\t"
              f"{_rate(figures)}")
    total = found["total"]
    print(f"合计\t{total['required']}\t{total['served']}\t{total['unserved']}\t{_rate(total)}")
    return 0


SERVICE_HANDLERS = {"service": cmd_service}
