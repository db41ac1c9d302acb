"""What every `sanfu` subcommand shares: the Engine for the chosen database, JSON output,
and parsing of --data and --now."""
from __future__ import annotations

import json
import sys

from engine import clock
from engine.calendar.deadlines import COLOUR_WORDS
from engine.errors import InvalidInput


def engine_for(args, **kwargs):
    from engine.service import Engine  # the facade loads the whole engine: only when a command runs
    return Engine(args.database, **kwargs)


def say_there_is_more(page: int, shown: int) -> None:
    """Never cut a list silently: the next page's option, on stderr so that --json stays parseable."""
    print(f"第 {page} 页，共 {shown} 条；还有更多，用 --page {page + 1} 查看 "
          f"(page {page}: more with --page {page + 1})", file=sys.stderr)


def page_window(page: int, limit: int, most: int = 1000) -> tuple[int, int]:
    """(limit, offset) of --page/--limit, refused when out of range."""
    if page < 1 or not 1 <= limit <= most:
        raise InvalidInput(f"--page 须 ≥ 1，--limit 须在 1–{most} 之间 (page ≥ 1, limit 1–{most})")
    return limit, (page - 1) * limit


def print_json(value) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def parse_json_object(text: str | None) -> dict:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"--data 不是合法 JSON：{err.msg} (位置 {err.pos})") from None
    if not isinstance(value, dict):
        raise InvalidInput("--data 必须是 JSON 对象 (must be a JSON object)")
    return value


def parse_now(text: str | None):
    if text is None:
        return clock.now()
    try:
        return clock.parse_moment(text)
    except ValueError:
        raise InvalidInput(f"--now {text!r} 不是合法的 ISO 8601 日期时间") from None


def deadline_text(row: dict) -> str:
    """The time left in working days and hours, led by the colour's word: "【预警】剩 5 小时 0 分",
    or how long overdue: "【超期 2 个工作日 3 小时】"."""
    left = row.get("working_seconds_left")
    if left is None:
        return ""
    days, rest = divmod(abs(int(left)) // 60, 24 * 60)
    span = f"{days} 个工作日 {rest // 60} 小时" if days else f"{rest // 60} 小时 {rest % 60} 分"
    if left < 0:
        return f"【超期 {span}】"
    word = COLOUR_WORDS.get(row.get("colour"), "")
    return (f"【{word}】" if word else "") + "剩 " + span

