"""Task due dates: an ISO 8601 date-time, or an ISO 8601 duration counted from the task's
creation (Camunda's `camunda:dueDate`). Stored in UTC; a date-time without an offset is
Asia/Shanghai local time, as the bureaus read it.

Days and weeks of a duration are **working days** on the calendar (`P3D` = 3 个工作日,
`P1W` = 5), as the bureaus' 限时办结 rules count them; months and years are calendar
months; hours, minutes and seconds are elapsed time. Timer events' durations count the same
way (engine.timers.iso.resolve_duration), so a boundary timer of P15D on a step due in P15D
fires when the step falls overdue; cycles and crons repeat in elapsed time."""
from __future__ import annotations

from datetime import UTC, datetime

from engine.calendar.days import WEEKDAYS_ONLY, WorkCalendar
from engine.clock import SHANGHAI
from engine.errors import ScriptError
from engine.timers.iso import add_working_duration, parse_iso_duration


def parse_due_date(text: str, created_at: datetime, calendar: WorkCalendar = WEEKDAYS_ONLY) -> datetime:
    value = text.strip()
    if value.upper().startswith("P"):
        try:
            parts = parse_iso_duration(value)
        except Exception:  # noqa: BLE001 - Spiff's parser raises bare Exception
            raise ScriptError(f"不是合法的 ISO 8601 时长 {value!r} (invalid ISO 8601 duration)") from None
        return add_working_duration(created_at.astimezone(UTC), parts, calendar)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ScriptError(f"不是合法的 ISO 8601 日期时间或时长 {value!r} "
                          "(expected an ISO 8601 date-time or duration)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)
