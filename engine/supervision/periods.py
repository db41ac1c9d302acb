"""The period a dashboard or a bulletin (周/月通报) covers: a month `2026-11`, an ISO week
`2026-W48`, or a date range `2026-11-01..2026-11-15` (both days included). Days are
Asia/Shanghai days; `start`/`end` are the UTC moments bounding them (end exclusive)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from engine import clock
from engine.errors import InvalidInput

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_WEEK = re.compile(r"(\d{4})-W(\d{1,2})", re.IGNORECASE)
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|~|至|/)\s*(\d{4}-\d{2}-\d{2})")
MAX_RANGE_DAYS = 400
BAD_PERIOD = ("统计周期应为月份（如 2026-11）、周（如 2026-W48）或日期范围（如 2026-11-01..2026-11-15） "
              "(period: a month, an ISO week or a date range)")


@dataclass(frozen=True)
class Period:
    kind: str  # month | week | range
    key: str  # as given back in links: 2026-11, 2026-W48, 2026-11-01..2026-11-15
    first_day: date
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), clock.SHANGHAI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(), clock.SHANGHAI).astimezone(UTC)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day.year}年{self.first_day.month}月"
        if self.kind == "week":
            year, week, _ = self.first_day.isocalendar()
            return f"{year}年第{week}周"
        return f"{self.first_day.isoformat()} 至 {self.last_day.isoformat()}"

    @property
    def coverage_month(self) -> tuple[int, int]:
        """The month whose liaison service is shown: the month the period ends in (today's month
        if the period runs on past today)."""
        day = min(self.last_day, clock.to_local(clock.now()).date())
        day = max(day, self.first_day)
        return day.year, day.month

    def as_dict(self) -> dict:
        return {"kind": self.kind, "key": self.key, "label": self.label, "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(), "start": self.start.isoformat(), "end": self.end.isoformat()}


def month(year: int, number: int) -> Period:
    if not (2000 <= year <= 2100 and 1 <= number <= 12):
        raise InvalidInput(BAD_PERIOD, code="bad_period")
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period("month", f"{year}-{number:02d}", first, following - timedelta(days=1))


def week(year: int, number: int) -> Period:
    try:
        first = date.fromisocalendar(year, number, 1)
    except ValueError:
        raise InvalidInput(BAD_PERIOD, code="bad_period") from None
    return Period("week", f"{year}-W{number:02d}", first, first + timedelta(days=6))


def parse_period(text: str | None) -> Period:
    """A Period from its text; None or "" → this month (Asia/Shanghai)."""
    text = (text or "").strip()
    if not text:
        today = clock.to_local(clock.now()).date()
        return month(today.year, today.month)
    if found := _WEEK.fullmatch(text):
        return week(int(found[1]), int(found[2]))
    if found := _MONTH.fullmatch(text):
        return month(int(found[1]), int(found[2]))
    if found := _RANGE.fullmatch(text):
        try:
            first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
        except ValueError:
            raise InvalidInput(BAD_PERIOD, code="bad_period") from None
        if last < first or (last - first).days > MAX_RANGE_DAYS:
            raise InvalidInput("日期范围的结束日不能早于开始日，且不超过 400 天 (range: end before start or too long)",
                               code="bad_period")
        return Period("range", f"{first.isoformat()}..{last.isoformat()}", first, last)
    raise InvalidInput(BAD_PERIOD, code="bad_period")
