"""Quartz-style cron cycles (as Camunda Modeler writes them) evaluated with APScheduler.

Designers copy cron texts from Camunda docs: `0 0 9 ? * MON-FRI`, `0/5 0/1 * 1/1 * ?`.
Those are *Quartz* crons (seconds first, `?`, 1=SUN..7=SAT, optional year), which differ
from both unix crontab and APScheduler's `CronTrigger` field syntax. Rather than hoping the
syntaxes coincide, every ordinary field is expanded to the explicit set of values Quartz
means and handed to `CronTrigger` as a compact list, so steps, wrap-around ranges and
weekday numbering mean exactly what Quartz says. Special tokens with an APScheduler
equivalent (`L` → `last`, `6L` → `last fri`, `6#3` → `3rd fri`) are translated; the rest
(`W`, `LW`, `L-3`) are refused with a message naming the token.

Wall-clock fields are read in Asia/Shanghai (the engine's local zone), not the machine's.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger

from engine.clock import SHANGHAI
from engine.errors import ScriptError

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
QUARTZ_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]  # Quartz 1..7
POSITIONS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}


@dataclass(frozen=True)
class _Field:
    index: int
    zh: str
    en: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 1  # numeric value of names[0]


FIELDS = (
    _Field(1, "秒", "seconds", 0, 59),
    _Field(2, "分", "minutes", 0, 59),
    _Field(3, "时", "hours", 0, 23),
    _Field(4, "日", "day-of-month", 1, 31),
    _Field(5, "月", "month", 1, 12, tuple(MONTHS)),
    _Field(6, "星期", "day-of-week", 1, 7, tuple(QUARTZ_DAYS)),
    _Field(7, "年", "year", 1970, 2099),
)
SEC, MIN, HOUR, DOM, MON, DOW, YEAR = FIELDS


def _fail(field: _Field | None, zh: str, en: str, expr: str) -> ScriptError:
    """Build the bilingual error a designer sees at deploy time."""
    if field is not None:
        zh = f"第{field.index}个字段（{field.zh}）{zh}"
        en = f"field {field.index} ({field.en}): {en}"
    return ScriptError(f"cron 表达式 '{expr}' 无效：{zh} / invalid cron '{expr}': {en}")


class QuartzCron:
    """A parsed Quartz cron: the APScheduler field values plus the original text."""

    def __init__(self, expression: str):
        self.expression = " ".join(expression.split())
        self.fields = _convert(self.expression)
        try:
            self.trigger = CronTrigger(timezone=SHANGHAI, **self.fields)
        except ValueError as exc:  # pragma: no cover - our expansion should pre-empt these
            raise _fail(None, f"APScheduler 拒绝：{exc}", f"rejected by APScheduler: {exc}",
                        self.expression) from None

    def next_after(self, moment: datetime) -> datetime | None:
        """First fire time strictly after `moment` (UTC), or None when the cron has ended."""
        start = moment.astimezone(SHANGHAI) + timedelta(microseconds=1)
        fire = self.trigger.get_next_fire_time(None, start)
        return fire.astimezone(UTC) if fire is not None else None


def parse_quartz(expression: str) -> QuartzCron:
    """Parse (and thereby validate) a Quartz cron; raises ScriptError naming the problem."""
    return QuartzCron(expression)


@lru_cache(maxsize=256)
def cached_quartz(expression: str) -> QuartzCron:
    """Parsed crons are immutable; timers re-read theirs on every firing."""
    return QuartzCron(expression)


def cron_state(expression: str, moment: datetime) -> dict:
    """Spiff-shaped cycle state for a cron timer: unbounded (-1) until the year field ends it.

    `next` is the first firing after `moment`; `duration` is kept for Spiff's sake only.
    """
    cron = cached_quartz(" ".join(expression.split()))
    fire = cron.next_after(moment)
    return {"cycles": -1 if fire else 0, "next": (fire or moment).isoformat(),
            "duration": 0, "cron": cron.expression}


def advance_cron(state: dict, fired: datetime, moment: datetime) -> dict:
    """State after the firing due at `fired`, as of `moment`: the next firing after both,
    so firings missed while the engine was down collapse into the one just made."""
    fire = cached_quartz(state["cron"]).next_after(max(fired, moment))
    return {**state, "cycles": -1 if fire else 0, "next": (fire or fired).isoformat()}


CRON_ALPHABET = set("0123456789*?/,-#ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def looks_like_cron(text: str) -> bool:
    """Not Python, but whitespace-separated cron-alphabet fields: an attempted (maybe
    malformed) cron, which deploy-time validation should explain rather than call a syntax
    error."""
    tokens = text.upper().split()
    if len(tokens) < 2 or not all(set(token) <= CRON_ALPHABET for token in tokens):
        return False
    if not any(ch in "0123456789*?" for ch in text):
        return False
    try:
        ast.parse(text, mode="eval")
        return False
    except (SyntaxError, ValueError):
        return True


def _convert(expr: str) -> dict[str, str]:
    """Quartz fields → CronTrigger keyword arguments."""
    parts = expr.split(" ") if expr else []
    if len(parts) not in (6, 7):
        raise _fail(None, f"需要 6 或 7 个字段（秒 分 时 日 月 星期 [年]），实际 {len(parts)} 个",
                    f"expected 6 or 7 fields (sec min hour day month weekday [year]), "
                    f"got {len(parts)}", expr)
    out = {
        "second": _compact(_values(SEC, parts[0], expr)),
        "minute": _compact(_values(MIN, parts[1], expr)),
        "hour": _compact(_values(HOUR, parts[2], expr)),
        "month": _compact(_values(MON, parts[4], expr)),
    }
    if len(parts) == 7:
        out["year"] = _compact(_values(YEAR, parts[6], expr))
    day, weekday = _days(parts[3], parts[5], expr)
    out["day"], out["day_of_week"] = day, weekday
    return out


def _days(dom_text: str, dow_text: str, expr: str) -> tuple[str, str]:
    """Combine the two day fields; Quartz allows constraining only one of them."""
    dom = "last" if dom_text.upper() == "L" else _values(DOM, dom_text, expr)
    dow = _weekday_position(dow_text, expr)
    if dow is None:
        dow = _values(DOW, dow_text, expr)
    if dom is not None and dow is not None:
        raise _fail(None, "不能同时限定“日”和“星期”，其中一个须为 ?",
                    "day-of-month and day-of-week cannot both be constrained; "
                    "use '?' in one of them", expr)
    if isinstance(dow, str):  # "3rd fri" / "last fri" live in APScheduler's day field
        return dow, "*"
    day = dom if isinstance(dom, str) else _compact(dom)
    if dow is None:
        return day, "*"
    names = [QUARTZ_DAYS[v - 1].lower() for v in sorted(dow)]
    return day, ",".join(names)


def _weekday_position(text: str, expr: str) -> str | None:
    """`6L` → 'last fri', `6#3` → '3rd fri'; None when the field is not positional."""
    upper = text.upper()
    if "#" in upper:
        day_text, _, nth_text = upper.partition("#")
        day = _number(DOW, day_text, expr)
        if not nth_text.isdigit() or int(nth_text) not in POSITIONS:
            raise _fail(DOW, f"'{text}' 中 # 后须为 1-5", f"'{text}': the number after # must be 1-5",
                        expr)
        return f"{POSITIONS[int(nth_text)]} {QUARTZ_DAYS[day - 1].lower()}"
    if upper.endswith("L") and len(upper) > 1:
        day = _number(DOW, upper[:-1], expr)
        return f"last {QUARTZ_DAYS[day - 1].lower()}"
    return None


def _values(field: _Field, text: str, expr: str) -> set[int] | None:
    """Expand one Quartz field into the set of values it allows; None means unconstrained."""
    if text in ("*", "?"):
        if text == "?" and field not in (DOM, DOW):
            raise _fail(field, "只有“日”和“星期”字段可用 ?", "'?' is only allowed in the day fields",
                        expr)
        return None
    if field is DOW and text.upper() == "L":
        return {7}  # Quartz: a bare L in day-of-week means Saturday
    values: set[int] = set()
    for item in text.split(","):
        values |= _item(field, item, expr)
    return values


def _item(field: _Field, item: str, expr: str) -> set[int]:
    """One list item: `v`, `a-b`, `*`, each optionally `/step` (Quartz `x/y` = from x every y)."""
    if not item:
        raise _fail(field, "列表中有空项", "empty item in list", expr)
    _refuse_special(field, item, expr)
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or not 1 <= int(step_text) <= field.high - field.low + 1:
            raise _fail(field, f"'{item}' 的步长须为 1-{field.high - field.low + 1}",
                        f"'{item}': step must be 1-{field.high - field.low + 1}", expr)
        step = int(step_text)
    if base in ("*", ""):
        first, last = field.low, field.high
    elif "-" in base:
        first_text, _, last_text = base.partition("-")
        first, last = _number(field, first_text, expr), _number(field, last_text, expr)
    else:
        first = _number(field, base, expr)
        last = field.high if slash else first
    if first <= last:
        sequence = list(range(first, last + 1))
    else:  # Quartz wraps around: 22-2 in hours means 22,23,0,1,2
        sequence = list(range(first, field.high + 1)) + list(range(field.low, last + 1))
    return set(sequence[::step])


def _refuse_special(field: _Field, item: str, expr: str) -> None:
    """Name Quartz tokens APScheduler has no equivalent for, instead of a generic error."""
    upper = item.upper()
    if field is DOM and (upper.endswith("W") or upper.startswith("L")):
        raise _fail(field, f"不支持 '{item}'（W 最近工作日 / L-n 偏移）",
                    f"'{item}' is not supported (W nearest-weekday and L-n offsets have no "
                    f"APScheduler equivalent)", expr)
    if "#" in upper or (upper.endswith("L") and field is not DOW):
        raise _fail(field, f"'{item}' 在此字段无效", f"'{item}' is not valid in this field", expr)


def _number(field: _Field, text: str, expr: str) -> int:
    """A field value given as digits or (month/weekday) name, range-checked."""
    upper = text.upper()
    if upper in field.names:
        return field.names.index(upper) + field.name_base
    if not upper.isdigit():
        raise _fail(field, f"无法识别 '{text}'", f"unrecognised value '{text}'", expr)
    value = int(upper)
    if not field.low <= value <= field.high:
        raise _fail(field, f"值 {value} 超出范围 {field.low}-{field.high}",
                    f"value {value} out of range {field.low}-{field.high}", expr)
    return value


def _compact(values: set[int] | None) -> str:
    """Render a value set as APScheduler list syntax, folding consecutive runs into ranges."""
    if values is None:
        return "*"
    ordered, runs = sorted(values), []
    start = prev = ordered[0]
    for value in ordered[1:] + [None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return ",".join(runs)
