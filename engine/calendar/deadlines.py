"""Three colours for a deadline, never the only signal (the text says it too):

- blue   (临近): a share of the working time from creation to the deadline is used (75%);
- yellow (预警): at most one working day is left;
- red    (超期): the deadline has passed.

The moments a task turns blue and yellow are worked out once, when it opens or its deadline
moves, and stored on its row (`blue_at`, `yellow_at`), so lists and the dashboard count the
colours with index ranges instead of a calendar walk per row. A process or a task may set its
own thresholds (`sanfu:blueShare`, `sanfu:yellowDays` in its 扩展属性)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.calendar.days import WORKING_DAY_SECONDS, WorkCalendar

BLUE_SHARE, YELLOW_DAYS = 0.75, 1.0
RED, YELLOW, BLUE = "red", "yellow", "blue"
COLOUR_WORDS = {RED: "超期", YELLOW: "预警", BLUE: "临近"}


@dataclass(frozen=True)
class Thresholds:
    blue_share: float = BLUE_SHARE
    yellow_days: float = YELLOW_DAYS

    @classmethod
    def of(cls, warnings: dict | None) -> Thresholds:
        """From a task's meta (deploy has checked the values: threshold_error)."""
        warnings = warnings or {}
        return cls(float(warnings.get("blue_share", BLUE_SHARE)), float(warnings.get("yellow_days", YELLOW_DAYS)))


def threshold_error(warnings: dict) -> str | None:
    """Why a model's thresholds cannot be used, or None."""
    checks = {"blue_share": (lambda v: 0 < v <= 1, "sanfu:blueShare 应为 0 到 1 之间的比例，如 0.75"),
              "yellow_days": (lambda v: 0 <= v <= 30, "sanfu:yellowDays 应为 0 到 30 之间的工作日数，如 1")}
    for key, (ok, message) in checks.items():
        if key not in warnings:
            continue
        try:
            if ok(float(warnings[key])):
                continue
        except ValueError:
            pass
        return f"{message}，实际为 {warnings[key]!r}"
    return None


def warning_moments(calendar: WorkCalendar, created_at: datetime, due_at: datetime | None,
                    thresholds: Thresholds = Thresholds()) -> tuple[datetime | None, datetime | None]:
    """(blue_at, yellow_at) of a task created at `created_at` and due at `due_at`."""
    if due_at is None:
        return None, None
    span = max(calendar.working_seconds(created_at, due_at), 0.0)
    blue_at = calendar.shift_working_seconds(created_at, span * thresholds.blue_share) if span else due_at
    return min(blue_at, due_at), yellow_moment(calendar, due_at, thresholds)


def yellow_moment(calendar: WorkCalendar, due_at: datetime, thresholds: Thresholds = Thresholds()) -> datetime:
    """When a deadline turns yellow: `yellow_days` working days before it."""
    return min(calendar.shift_working_seconds(due_at, -thresholds.yellow_days * WORKING_DAY_SECONDS), due_at)


def colour(now: datetime, due_at: datetime | None, blue_at: datetime | None,
           yellow_at: datetime | None) -> str | None:
    if due_at is None:
        return None
    if now > due_at:
        return RED
    if yellow_at is not None and now >= yellow_at:
        return YELLOW
    if blue_at is not None and now >= blue_at:
        return BLUE
    return None
