"""The calendar in the database: read (cached), replaced a year at a time, edited a day at a time.

Every task that opens asks the calendar for its due date, so it is read once and kept per
database for a minute; an edit made through this module is seen at once by this process and
within a minute by the others (web workers, schedulers)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, extract, insert, select
from sqlalchemy.orm import Session

from engine.calendar.days import CalendarDay, WorkCalendar
from engine.store.cached import PerDatabase
from engine.store.tables import CalendarEntry

_calendars = PerDatabase(lambda session: WorkCalendar.of(entries(session)))


def work_calendar(session: Session) -> WorkCalendar:
    """The calendar of the session's database (engine.store.cached: kept for a minute)."""
    return _calendars.get(session)


def forget(session: Session) -> None:
    _calendars.forget(session)


def entries(session: Session, year: int | None = None) -> list[CalendarDay]:
    query = select(CalendarEntry).order_by(CalendarEntry.day)
    if year is not None:
        query = query.where(extract("year", CalendarEntry.day) == year)
    return [CalendarDay(row.day, row.kind, row.name) for row in session.scalars(query)]


def years(session: Session) -> list[int]:
    return sorted({day.year for day in session.scalars(select(CalendarEntry.day))})


def replace_years(session: Session, days: list[CalendarDay]) -> list[int]:
    """The file is the truth for each year it covers: that year's entries are replaced whole."""
    covered = sorted({d.day.year for d in days})
    for year in covered:
        session.execute(delete(CalendarEntry).where(extract("year", CalendarEntry.day) == year)
                        .execution_options(synchronize_session=False))
    if days:
        session.execute(insert(CalendarEntry), [{"day": d.day, "kind": d.kind, "name": d.name} for d in days])
    forget(session)
    return covered


def set_day(session: Session, day: date, kind: str | None, name: str = "") -> CalendarDay | None:
    """Mark one date rest or work (kind None: back to the ordinary weekday rule)."""
    row = session.get(CalendarEntry, day)
    before = CalendarDay(row.day, row.kind, row.name) if row else None
    if kind is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CalendarEntry(day=day, kind=kind, name=name))
    else:
        row.kind, row.name = kind, name
    session.flush()
    forget(session)
    return before
