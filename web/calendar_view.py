"""The year view of the working-day calendar (web.admin_calendar): twelve month grids, Monday
first, each day a working day or a rest day, and each month's listed days as named spans
("10-01 至 10-07 休 国庆节"). Pure presentation over what `Engine.calendar` returns."""
from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import date, timedelta

from engine.calendar.days import REST, WORK, CalendarDay

#: A cell's kind: a listed rest day (法定节假日), a listed working day (调休上班), or by weekday.
HOLIDAY, SHIFTED, WEEKEND, WORKDAY = "holiday", "work", "weekend", "workday"
FIRST_YEAR, LAST_YEAR = 1970, 2199
_WEEKS = stdlib_calendar.Calendar(firstweekday=0)


@dataclass(frozen=True)
class Cell:
    day: date
    kind: str
    name: str = ""

    @property
    def working(self) -> bool:
        return self.kind in (SHIFTED, WORKDAY)

    @property
    def listed_kind(self) -> str:
        """What the table says of the day: rest, work, or "" (the weekday rule)."""
        return {HOLIDAY: REST, SHIFTED: WORK}.get(self.kind, "")


@dataclass(frozen=True)
class Span:
    first: date
    last: date
    kind: str  # REST | WORK
    name: str


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Cell | None]]
    spans: list[Span]


def days_of(result: dict) -> list[CalendarDay]:
    """The CalendarDay list of an `Engine.calendar` answer."""
    return [CalendarDay(date.fromisoformat(d["day"]), d["kind"], d.get("name") or "") for d in result["days"]]


def cell(day: date, listed: dict[date, CalendarDay]) -> Cell:
    entry = listed.get(day)
    if entry is not None:
        return Cell(day, HOLIDAY if entry.kind == REST else SHIFTED, entry.name)
    return Cell(day, WEEKEND if day.weekday() >= 5 else WORKDAY)


def year_view(year: int, days: list[CalendarDay]) -> list[Month]:
    listed = {d.day: d for d in days}
    months = []
    for month in range(1, 13):
        weeks = [[cell(day, listed) if day.month == month else None for day in week]
                 for week in _WEEKS.monthdatescalendar(year, month)]
        months.append(Month(date(year, month, 1), weeks,
                            spans([d for d in days if d.day.year == year and d.day.month == month])))
    return months


def spans(days: list[CalendarDay]) -> list[Span]:
    """Consecutive days of the same kind and name, joined."""
    out: list[Span] = []
    for day in sorted(days, key=lambda d: d.day):
        last = out[-1] if out else None
        if last and last.kind == day.kind and last.name == day.name and last.last + timedelta(days=1) == day.day:
            out[-1] = Span(last.first, day.day, last.kind, last.name)
        else:
            out.append(Span(day.day, day.day, day.kind, day.name))
    return out


def year_links(year: int, years: list[int]) -> list[int]:
    """The years to offer beside ‹ previous and next ›: those on file and the one shown."""
    return sorted({y for y in (*years, year) if FIRST_YEAR <= y <= LAST_YEAR})


def provisional(days: list[CalendarDay]) -> bool:
    """Holidays without any 调休 working weekend: the statutory days only, before the
    State Council's notice (预排)."""
    return bool(days) and not any(d.kind == WORK for d in days)
