"""The working-day calendar on the Engine facade: everyone reads it, the system admin
(系统管理员) imports a year or marks a day; each change is audited."""
from __future__ import annotations

from datetime import date

from engine import access
from engine.calendar import store
from engine.calendar.days import REST, WORK, CalendarDay
from engine.calendar.files import parse_calendar
from engine.errors import InvalidInput
from engine.runtime.facade import EngineParts
from engine.store import audit


class CalendarCommands(EngineParts):
    def calendar(self, actor: str, year: int) -> dict:
        """A year's listed days (holidays and 调休 working weekends) and the years on file."""
        with self.uow(write=False) as uow:
            access.actor(uow.session, actor)
            days = store.entries(uow.session, year)
            return {"year": year, "years": store.years(uow.session),
                    "days": [{"day": d.day.isoformat(), "kind": d.kind, "name": d.name} for d in days]}

    def import_calendar(self, text: str, actor: str, file_name: str = "calendar.csv") -> dict:
        """Replace the years a calendar file covers with what it lists (whole, or nothing)."""
        days = parse_calendar(text, file_name)
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            years = store.replace_years(uow.session, days)
            audit.record(uow.session, actor, "calendar_imported",
                         detail={"file": file_name, "years": years, "days": len(days)})
            return {"years": years, "days": len(days)}

    def set_calendar_day(self, day: date, kind: str | None, actor: str, name: str = "") -> None:
        """Mark `day` a rest day or a working day, or (kind None) back to the weekday rule."""
        if kind not in (REST, WORK, None):
            raise InvalidInput("类型应为 休 或 班 (kind must be rest or work)", code="calendar_kind")
        name = (name or "").strip()
        if len(name) > 64:
            raise InvalidInput("名称最多 64 个字符 (name too long)")
        with self.uow() as uow:
            access.require_admin(uow.session, actor)
            before = store.set_day(uow.session, day, kind, name)
            audit.record(uow.session, actor, "calendar_day_set", detail={
                "day": day.isoformat(), "kind": kind, "name": name,
                "before": _described(before)})


def _described(day: CalendarDay | None) -> str | None:
    return f"{day.kind} {day.name}".strip() if day else None
