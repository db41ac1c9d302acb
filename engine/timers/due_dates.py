"""Task due dates: an ISO 8601 date-time, or an ISO 8601 duration counted from the task's
creation (Camunda's `camunda:dueDate`). Stored in UTC; a date-time without an offset is
Asia/Shanghai local time, as the bureaus read it."""
from __future__ import annotations

from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.clock import SHANGHAI
from engine.errors import ScriptError


def parse_due_date(text: str, created_at: datetime) -> datetime:
    value = text.strip()
    if value.upper().startswith("P"):
        try:
            parts = TimerEventDefinition.parse_iso_duration(value)
        except Exception:
            raise ScriptError(f"不是合法的 ISO 8601 时长 {value!r} (invalid ISO 8601 duration)") from None
        start = created_at.astimezone(UTC)
        return start + TimerEventDefinition.get_timedelta_from_start(parts, start)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ScriptError(f"不是合法的 ISO 8601 日期时间或时长 {value!r} "
                          "(expected an ISO 8601 date-time or duration)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)
