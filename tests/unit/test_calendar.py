"""Working days: weekends, 法定节假日 and 调休 working weekends, as the shipped 2026 calendar has them."""
import importlib.util
from datetime import date, datetime

import pytest

from engine.calendar.days import REST, WORK, CalendarDay, WorkCalendar
from engine.calendar.files import parse_calendar, to_csv
from engine.clock import SHANGHAI
from engine.errors import InvalidInput
from engine.store.migrate import MIGRATIONS
from engine.timers.due_dates import parse_due_date
from tests.helpers.paths import ROOT

CALENDARS = ROOT / "processes" / "calendars"


def shipped(year: int) -> list[CalendarDay]:
    return parse_calendar((CALENDARS / f"cn-{year}.csv").read_text(encoding="utf-8"), f"cn-{year}.csv")


CN = WorkCalendar.of(shipped(2026) + shipped(2027))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def test_the_2026_arrangement_rests_on_holidays_and_works_on_the_swapped_weekends():
    assert not CN.is_working(date(2026, 10, 1)) and not CN.is_working(date(2026, 2, 16))
    assert CN.is_working(date(2026, 2, 14)) and CN.is_working(date(2026, 10, 10))   # Saturdays, 调休上班
    assert CN.is_working(date(2026, 3, 6)) and not CN.is_working(date(2026, 3, 7))   # an ordinary week
    assert not CN.is_working(date(2027, 2, 9))                                        # 2027 春节补假


@pytest.mark.parametrize("start, days, due", [
    ("2026-03-06 15:00", 3, "2026-03-11 15:00"),   # Friday + 3 working days: the weekend does not count
    ("2026-09-30 10:00", 1, "2026-10-08 10:00"),   # the 国庆 week does not count
    ("2026-10-09 10:00", 1, "2026-10-10 10:00"),   # the Saturday after is a 调休 working day
    ("2026-03-07 10:00", 1, "2026-03-09 10:00"),   # started on a Saturday: Monday is the first
    ("2026-03-06 15:00", 0, "2026-03-06 15:00"),
])
def test_adding_working_days(start, days, due):
    assert local(CN.add_working_days(at(start), days)) == due


def test_time_left_counts_only_working_days():
    assert CN.working_seconds(at("2026-03-06 16:00"), at("2026-03-09 16:00")) == 86400    # Fri → Mon
    assert CN.working_seconds(at("2026-03-09 16:00"), at("2026-03-06 16:00")) == -86400
    assert CN.working_seconds(at("2026-03-07 09:00"), at("2026-03-08 18:00")) == 0        # a weekend
    assert CN.working_seconds(at("2026-09-30 12:00"), at("2026-10-08 12:00")) == 86400    # across 国庆


def test_a_due_date_duration_counts_working_days_and_elapsed_hours():
    created = at("2026-09-30 10:00")
    assert local(parse_due_date("P1D", created, CN)) == "2026-10-08 10:00"
    assert local(parse_due_date("P1W", at("2026-03-06 15:00"), CN)) == "2026-03-13 15:00"
    assert local(parse_due_date("PT4H", created, CN)) == "2026-09-30 14:00"               # hours are hours
    assert local(parse_due_date("P1DT2H", created, CN)) == "2026-10-08 12:00"
    assert local(parse_due_date("P1M", created, CN)) == "2026-10-30 10:00"                # months are months
    assert local(parse_due_date("2026-10-05T17:00:00", created, CN)) == "2026-10-05 17:00"


def test_a_calendar_file_is_refused_whole_naming_each_bad_line():
    text = "日期,类型,名称\n2026-10-01,休,国庆节\n2026-13-01,休,坏日期\n2026-10-10,加班,调休\n2026-10-01,班,重复\n"
    with pytest.raises(InvalidInput) as err:
        parse_calendar(text, "bad.csv")
    message = str(err.value)
    assert message.startswith("bad.csv：") and "第 3 行" in message and "第 4 行" in message and "第 5 行" in message
    with pytest.raises(InvalidInput, match="表头"):
        parse_calendar("day;kind\n2026-10-01;休\n", "x.csv")


def test_a_calendar_file_reads_back_what_it_wrote():
    days = [CalendarDay(date(2026, 10, 10), WORK, "国庆节调休上班"), CalendarDay(date(2026, 10, 1), REST, "国庆节")]
    assert parse_calendar(to_csv(days)) == sorted(days, key=lambda d: d.day)


def test_the_migration_ships_the_same_days_as_the_calendar_files():
    spec = importlib.util.spec_from_file_location("m0012", MIGRATIONS / "versions" / "0012_calendar.py")
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    in_migration = [CalendarDay(date.fromisoformat(d), k, n) for d, k, n in migration.SHIPPED]
    assert in_migration == shipped(2026) + shipped(2027)


@pytest.mark.parametrize("start, seconds, expected", [
    ("2026-03-06 16:00", 86400, "2026-03-09 16:00"),      # a working day after Friday 16:00 is Monday
    ("2026-03-09 16:00", -86400, "2026-03-06 16:00"),     # and back
    ("2026-03-09 00:00", -3600, "2026-03-06 23:00"),      # Monday 00:00 minus an hour skips the weekend
    ("2026-10-08 10:00", -86400, "2026-09-30 10:00"),     # across 国庆
    ("2026-03-07 10:00", 3600, "2026-03-09 01:00"),       # from a Saturday
])
def test_shifting_by_working_time_is_the_inverse_of_measuring_it(start, seconds, expected):
    moved = CN.shift_working_seconds(at(start), seconds)
    assert local(moved) == expected
    if CN.is_working(at(start).date()):
        assert CN.working_seconds(at(start), moved) == seconds


def test_a_task_turns_blue_then_yellow_then_red():
    from engine.calendar.deadlines import colour, warning_moments
    created, due = at("2026-03-02 09:00"), CN.add_working_days(at("2026-03-02 09:00"), 5)   # Mon → next Mon
    blue, yellow = warning_moments(CN, created, due)
    assert (local(blue), local(yellow)) == ("2026-03-06 03:00", "2026-03-06 09:00")   # 75% of 5 days; a day left
    assert [colour(at(t), due, blue, yellow) for t in ("2026-03-06 02:59", "2026-03-06 03:00",
                                                       "2026-03-07 12:00", "2026-03-09 09:01")] \
        == [None, "blue", "yellow", "red"]
