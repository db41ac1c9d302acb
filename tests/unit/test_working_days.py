"""Counting working days by arithmetic gives what walking the calendar day by day gives, for
any span and any list of 休/班 dates (the inbox asks it for every row's time left)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings, strategies as st

from engine.calendar.days import REST, WORK, WorkCalendar
from engine.clock import SHANGHAI

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2031, 12, 31))
LISTED = st.dictionaries(DAYS, st.sampled_from([REST, WORK]), max_size=60)


def walked(calendar: WorkCalendar, first: date, end: date) -> int:
    count, day = 0, first
    while day < end:
        count += calendar.is_working(day)
        day += timedelta(days=1)
    return count


@settings(max_examples=300, deadline=None)
@given(LISTED, DAYS, st.integers(min_value=-10, max_value=800))
def test_working_days_by_arithmetic_equal_the_walk(overrides, first, span):
    calendar = WorkCalendar(overrides, frozenset(d.year for d in overrides))
    end = first + timedelta(days=span)
    assert calendar.working_days(first, end) == walked(calendar, first, end)


def test_the_2026_national_day_week_and_its_swapped_saturday():
    october = {date(2026, 10, d): REST for d in range(1, 8)} | {date(2026, 10, 10): WORK}
    calendar = WorkCalendar(october, frozenset({2026}))
    # 9-28…9-30 (Mon–Wed), 国庆 10-1…10-7 off, 10-8 and 10-9 (Thu, Fri), Saturday 10-10 on, Sunday off
    assert calendar.working_days(date(2026, 9, 28), date(2026, 10, 12)) == 3 + 2 + 1
    start = datetime(2026, 9, 30, 9, 0, tzinfo=SHANGHAI)   # 15 h of 9-30, all of 10-8, 9 h of 10-9
    assert calendar.working_seconds(start, datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)) == 15 * 3600 + 86400 + 9 * 3600
