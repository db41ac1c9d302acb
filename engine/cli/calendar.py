"""`sanfu calendar show|import|set`: the working-day calendar (法定节假日, 调休上班)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from engine import clock
from engine.cli.common import engine_for, print_json
from engine.errors import InvalidInput

KIND_WORDS = {"休": "rest", "rest": "rest", "班": "work", "work": "work", "默认": None, "clear": None}


def add_calendar_commands(sub, as_user) -> None:
    calendar = sub.add_parser("calendar", help="工作日历：法定节假日与调休上班")
    actions = calendar.add_subparsers(dest="calendar_command", required=True)
    show = actions.add_parser("show", help="list a year's holidays and working weekends")
    show.add_argument("--year", type=int, default=None, help="default: this year")
    show.add_argument("--json", action="store_true")
    as_user(show)
    do_import = actions.add_parser("import", help="replace the years a CSV file covers (日期,类型,名称)")
    do_import.add_argument("file", type=Path)
    as_user(do_import)
    one = actions.add_parser("set", help="mark one day 休 (rest) or 班 (work), or 默认 (the weekday rule)")
    one.add_argument("day", help="YYYY-MM-DD")
    one.add_argument("kind", choices=sorted(KIND_WORDS))
    one.add_argument("--name", default="")
    as_user(one)


def cmd_calendar(args) -> int:
    engine = engine_for(args)
    if args.calendar_command == "import":
        try:
            text = args.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidInput(f"无法读取 {args.file}：{err} (cannot read the file)") from None
        result = engine.import_calendar(text, args.actor, file_name=args.file.name)
        years = "、".join(str(y) for y in result["years"]) or "无"
        print(f"已导入 {result['days']} 天，替换了 {years} 年的工作日历")
        return 0
    if args.calendar_command == "set":
        try:
            day = date.fromisoformat(args.day)
        except ValueError:
            raise InvalidInput(f"日期 {args.day!r} 应为 YYYY-MM-DD (date must be YYYY-MM-DD)") from None
        engine.set_calendar_day(day, KIND_WORDS[args.kind], args.actor, name=args.name)
        print(f"已设置 {day.isoformat()}：{args.kind}")
        return 0
    year = args.year or clock.to_local(clock.now()).year
    result = engine.calendar(args.actor, year)
    if args.json:
        print_json(result)
        return 0
    if year not in result["years"]:
        print(f"{year} 年没有节假日安排：按周一至周五上班计算 (no holidays on file for {year})")
    for day in result["days"]:
        print(f"{day['day']}  {'休' if day['kind'] == 'rest' else '班'}  {day['name']}")
    return 0


CALENDAR_HANDLERS = {"calendar": cmd_calendar}
