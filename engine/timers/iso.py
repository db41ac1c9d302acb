"""Timer values read as designers write them: ISO 8601 dates, durations, repeating
intervals and Quartz crons, resolved against the engine clock (engine.clock).

Shared by deploy-time validation and run time (engine.timers.event_definitions). Naive date-times are
Shanghai time and months/years count on the Shanghai calendar; every moment returned is
aware UTC. A cycle is Spiff's state dict (`cycles`, `next`, `duration`, `period`) or, for a
cron, engine.timers.cron's. `classify_timer_text`, `string_literal` and `looks_like_iso` are the
tests `normalize_timer_text` uses to decide how a text is written.
"""
from __future__ import annotations

import ast
import math
from datetime import UTC, date, datetime, time, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.calendar import days
from engine.clock import SHANGHAI, now
from engine.errors import ScriptError
from engine.timers.cron import advance_cron, cached_quartz, cron_state

CRON_PREFIX = "cron:"
# kind -> (BPMN element, zh name, en name, example)
KINDS = {
    "date": ("timeDate", "日期时间", "date-time", "2025-03-01T10:00:00"),
    "duration": ("timeDuration", "时长", "duration", "PT1H, P3D"),
    "cycle": ("timeCycle", "循环", "repeating cycle", "R3/PT10H, 0 0 9 ? * MON-FRI"),
    "cron": ("timeCycle", "cron 表达式", "cron expression", "0 0 9 ? * MON-FRI"),
}
ISO_ALPHABET = set("0123456789PYMWDTHSR/:-+.,Z")


def _parse_iso_datetime(text: str) -> datetime:
    """ISO date/date-time/week date → aware UTC; without an offset it is Shanghai time."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def parse_iso_duration(text: str) -> dict:
    """Spiff's duration parser, plus the checks it lacks (bare `P`, stray `P`s)."""
    upper = text.strip().upper()
    if len(upper) < 2 or not upper.startswith("P") or "P" in upper[1:]:
        raise ValueError("expected P followed by components, e.g. PT1H")
    parsed = TimerEventDefinition.parse_iso_duration(upper)
    if not parsed:
        raise ValueError("no duration components")
    return parsed


def add_duration(start: datetime, parsed: dict) -> datetime:
    """start + an ISO duration, months/years counted on the Shanghai calendar."""
    local = start.astimezone(SHANGHAI)
    delta = TimerEventDefinition.get_timedelta_from_start(dict(parsed), local)
    return (local + delta).astimezone(UTC)


def add_working_duration(start: datetime, parsed: dict, calendar) -> datetime:
    """start + an ISO duration whose days and weeks are working days on `calendar` (P3D =
    3 个工作日, P1W = 5); months and years are calendar months, hours and less elapsed time."""
    parts = dict(parsed)
    days = parts.pop("days", 0) + 5 * parts.pop("weeks", 0)
    months = {key: parts.pop(key) for key in ("years", "months") if key in parts}
    moment = add_duration(start, months) if months else start
    whole = int(days)
    try:
        moment = calendar.add_working_days(moment, whole)
    except ValueError:
        raise ScriptError(f"期限过长：{days} 个工作日 (too many working days)") from None
    # A fraction of a day (P0.5D) is that share of 24 hours, as elapsed time.
    return moment + timedelta(days=days - whole, **parts)


def _parse_iso_cycle(text: str, moment: datetime) -> dict:
    """`R[n]/duration`, `R[n]/start/duration` or `R[n]/duration/end` → cycle state dict."""
    upper = text.strip().upper()
    if not upper.startswith("R"):
        raise ValueError("a repeating interval starts with R, e.g. R3/PT10H")
    parts = upper[1:].replace("--", "/").split("/")
    if len(parts) not in (2, 3) or (parts[0] and not parts[0].isdigit()):
        raise ValueError("expected R[n]/duration or R[n]/start/duration")
    cycles = int(parts[0]) if parts[0] else -1
    if cycles == 0:
        raise ValueError("R0 never fires; repeat at least once")
    if len(parts) == 2:
        period = parts[1]
        first_fire = add_duration(moment, parse_iso_duration(period))
    elif parts[1].startswith("P"):
        period, end = parts[1], _parse_iso_datetime(parts[2])
        delta = TimerEventDefinition.get_timedelta_from_end(
            parse_iso_duration(period), end.astimezone(SHANGHAI))
        first_fire = end - delta
    else:
        first_fire, period = _parse_iso_datetime(parts[1]), parts[2]
    seconds = (add_duration(first_fire, parse_iso_duration(period)) - first_fire).total_seconds()
    if seconds <= 0:
        raise ValueError("the interval must be longer than zero")
    return {"cycles": cycles, "next": first_fire.isoformat(), "duration": seconds,
            "period": period}


def classify_timer_text(text: str) -> str | None:
    """Which kind of timer text this parses as, if any (for kind-mismatch messages)."""
    stripped = text.strip().removeprefix(CRON_PREFIX)
    attempts = (("date", _parse_iso_datetime), ("duration", parse_iso_duration),
                ("cycle", lambda t: _parse_iso_cycle(t, now())), ("cron", cached_quartz))
    for kind, attempt in attempts:
        try:
            attempt(stripped)
            return kind
        except Exception:  # noqa: BLE001 - any failure just means "not this kind"
            continue
    return None


def _invalid(kind: str, text: str, exc: Exception) -> ScriptError:
    """The clearest reason a value is not a valid timer of `kind`."""
    element, zh, en, example = KINDS[kind]
    other, text = classify_timer_text(text), text.removeprefix(CRON_PREFIX)
    if other is not None and KINDS[other][0] != element:
        o_element, o_zh, o_en, _ = KINDS[other]
        return ScriptError(f"{element} 中不能使用{o_zh} '{text}'，请改用 {o_element} / "
                           f"a {o_en} ('{text}') is not allowed in {element}; use {o_element}")
    if isinstance(exc, ScriptError):
        return exc
    return ScriptError(f"无效的定时器{zh} '{text}'，示例：{example} / "
                       f"invalid timer {en} '{text}' ({exc}); e.g. {example}")


def _expect_text(kind: str, value) -> str:
    if isinstance(value, str):
        return value.strip()
    _, zh, en, _ = KINDS[kind]
    name = type(value).__name__
    raise ScriptError(f"定时器{zh}须为字符串，实际为 {name} / "
                      f"the timer {en} must be a string, got {name}")


def resolve_date(value) -> datetime:
    """A timeDate value (ISO text, date or datetime) → aware UTC."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
        return aware.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), SHANGHAI).astimezone(UTC)
    text = _expect_text("date", value)
    try:
        return _parse_iso_datetime(text)
    except ValueError as exc:
        raise _invalid("date", text, exc) from None


def resolve_duration(value, moment: datetime) -> datetime:
    """A timeDuration value (ISO text or timedelta) started at `moment` → due time."""
    if isinstance(value, timedelta):
        return moment + value
    text = _expect_text("duration", value)
    try:
        parsed = parse_iso_duration(text)
    except Exception as exc:  # noqa: BLE001 - Spiff's parser raises bare Exception
        raise _invalid("duration", text, exc) from None
    return add_working_duration(moment, parsed, days.active())


def resolve_cycle(value, moment: datetime) -> dict:
    """A timeCycle value (ISO repeating interval or cron) → initial cycle state."""
    text = _expect_text("cycle", value)
    try:
        if text.startswith(CRON_PREFIX):
            return cron_state(text[len(CRON_PREFIX):], moment)
        if text.upper().startswith("R"):
            return _parse_iso_cycle(text, moment)
        return cron_state(text, moment)  # Spiff-style quoted cron without the marker
    except Exception as exc:  # noqa: BLE001
        raise _invalid("cycle", text, exc) from None


def advance_cycle(state: dict, fired: datetime, moment: datetime) -> dict:
    """State after the firing due at `fired`, as of `moment`.

    Bounded ISO cycles count every repetition (R3 fires three times, even late). Unbounded
    cycles and crons skip firings missed while the engine was down, so waking after an
    outage fires once instead of replaying every missed tick.
    """
    if "cron" in state:
        return advance_cron(state, fired, moment)
    state = dict(state)
    parsed = parse_iso_duration(state["period"])
    if state["cycles"] > 0:
        state["cycles"] -= 1
        fire = add_duration(fired, parsed) if state["cycles"] else fired
    else:
        fire = _skip_missed(add_duration(fired, parsed), parsed, moment)
    state["next"] = fire.isoformat()
    return state


def _skip_missed(fire: datetime, parsed: dict, moment: datetime) -> datetime:
    if fire > moment:
        return fire
    if not parsed.get("years") and not parsed.get("months"):
        step = add_duration(fire, parsed) - fire
        return fire + step * (math.floor((moment - fire) / step) + 1)
    while fire <= moment:
        fire = add_duration(fire, parsed)
    return fire


# --- how a timer text is written ------------------------------------------------------

def string_literal(text: str) -> str | None:
    """The value if `text` is exactly a Python string literal, else None."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def looks_like_iso(text: str) -> bool:
    """Made only of ISO 8601 lexemes: a (possibly malformed) literal such as `PT` or `R3/`."""
    upper = text.upper()
    return (upper[0] in "PR" or upper[0].isdigit()) and set(upper) <= ISO_ALPHABET
