"""Working days: weekends and 法定节假日 are rest days, 调休 weekends are working days.

The calendar is data (table `calendar_days`, engine.calendar.store): each listed date is a
rest day (休) or a working day (班) whatever its weekday; an unlisted date is a working day
from Monday to Friday. Deadlines count working days in Asia/Shanghai: "3 个工作日" from a
Friday 15:00 ends on Wednesday 15:00, and a weekend or a 国庆 week in between does not count.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from engine.clock import SHANGHAI

REST, WORK = "rest", "work"
DAY = timedelta(days=1)
WORKING_DAY_SECONDS = 86400
MAX_WORKING_DAYS = 3660  # a deadline ten years of working days out is a typing error, not a plan


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: str   # REST | WORK
    name: str   # 国庆节, 春节调休上班 …


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days; `overrides` holds the dates that differ from Mon–Fri."""
    overrides: Mapping[date, str] = field(default_factory=dict)
    years: frozenset[int] = frozenset()  # the years whose holidays are known

    @classmethod
    def of(cls, days: Iterable[CalendarDay]) -> WorkCalendar:
        days = list(days)
        return cls({d.day: d.kind for d in days}, frozenset(d.day.year for d in days))

    def is_working(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == WORK
        return day.weekday() < 5

    def add_working_days(self, moment: datetime, count: int) -> datetime:
        """The same local time of day on the `count`th working day after `moment`'s date."""
        if count < 0 or count > MAX_WORKING_DAYS:
            raise ValueError(f"working days out of range: {count}")
        local = moment.astimezone(SHANGHAI)
        day = local.date()
        while count:
            day += DAY
            count -= self.is_working(day)
        return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI).astimezone(UTC)

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """The time from `start` to `end` that falls on working days (negative if `end` is
        earlier): what "剩 1 个工作日 3 小时" and "超期 2 个工作日" count."""
        if end < start:
            return -self.working_seconds(end, start)
        first, last = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        if first.date() == last.date():
            return (last - first).total_seconds() if self.is_working(first.date()) else 0.0
        total = 0.0
        if self.is_working(first.date()):
            total += (_midnight_after(first) - first).total_seconds()
        total += WORKING_DAY_SECONDS * self.working_days(first.date() + DAY, last.date())
        if self.is_working(last.date()):
            total += (last - datetime.combine(last.date(), time(), tzinfo=SHANGHAI)).total_seconds()
        return total

    def working_days(self, first: date, end: date) -> int:
        """How many working days there are from `first` up to, not including, `end`: the
        weekdays counted by arithmetic, then each listed date in between that differs from its
        weekday (a 国庆 Monday off, a 调休 Sunday on) — not a walk day by day, as every inbox row's
        "剩 N 个工作日" asks it."""
        if end <= first:
            return 0
        full_weeks, rest = divmod((end - first).days, 7)
        weekdays = full_weeks * 5 + sum((first.weekday() + i) % 7 < 5 for i in range(rest))
        dates, running = self._exceptions
        return weekdays + running[bisect_left(dates, end)] - running[bisect_left(dates, first)]

    @cached_property
    def _exceptions(self) -> tuple[list[date], list[int]]:
        """The listed dates that differ from their weekday, in order, and the running sum of how
        each changes the count (+1 a working weekend day, -1 a weekday off); running[i] sums the
        first i."""
        changes = sorted((day, 1 if kind == WORK else -1) for day, kind in self.overrides.items()
                         if (kind == WORK) != (day.weekday() < 5))
        running = [0]
        for _day, change in changes:
            running.append(running[-1] + change)
        return [day for day, _change in changes], running

    def shift_working_seconds(self, moment: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `moment` (before it, if negative):
        the inverse of `working_seconds`, so "one working day before the deadline" skips a
        weekend in between."""
        if abs(seconds) > MAX_WORKING_DAYS * WORKING_DAY_SECONDS:
            raise ValueError(f"working time out of range: {seconds}")
        current, left = moment.astimezone(SHANGHAI), abs(seconds)
        while True:
            day, edge = _day_ahead(current) if seconds >= 0 else _day_behind(current)
            span = abs((edge - current).total_seconds())
            if self.is_working(day):
                if left <= span:
                    step = timedelta(seconds=left if seconds >= 0 else -left)
                    return (current + step).astimezone(UTC)
                left -= span
            current = edge

    def next_working_day(self, day: date) -> date:
        day += DAY
        while not self.is_working(day):
            day += DAY
        return day


def _day_ahead(moment: datetime) -> tuple[date, datetime]:
    """The day time runs through going forward from `moment`, and where that day ends."""
    return moment.date(), _midnight_after(moment)


def _day_behind(moment: datetime) -> tuple[date, datetime]:
    """The day time runs through going back from `moment` (at 00:00, the day before), and its start."""
    midnight = datetime.combine(moment.date(), time(), tzinfo=SHANGHAI)
    if moment == midnight:
        midnight -= DAY
    return midnight.date(), midnight


def _midnight_after(moment: datetime) -> datetime:
    return datetime.combine(moment.date() + DAY, time(), tzinfo=SHANGHAI)


WEEKDAYS_ONLY = WorkCalendar()

# The calendar of the database the current command works on. Timer events evaluate their
# durations deep inside SpiffWorkflow, where no session reaches; the runtime sets this when
# it loads or creates an instance (as engine.clock lets a command run "as of" a moment).
_active: ContextVar[WorkCalendar] = ContextVar("sanfu_work_calendar", default=WEEKDAYS_ONLY)


def active() -> WorkCalendar:
    return _active.get()


def activate(calendar: WorkCalendar) -> None:
    _active.set(calendar)
