"""每月至少服务一次 (seed 003): every paired enterprise with a liaison needs at least one
service record a month — a visit, a phone call or a video call (service_contacts rows,
engine.enterprises.service_contacts). A month without one is 未服务 until the 25th, 预警
(yellow) from the 25th (a calendar day, as the campaign's rule says, not a working day) and
逾期未服务 (red) once the month has ended.

Which enterprises need service in a month: those still in the pairing list (paired, added
or served: not unpaired) that have a liaison and were paired before that month's 25th. One
paired from the 25th on is paired too late to be warned that month; it starts the next.

Months are calendar months in local time (Asia/Shanghai), as contacted_on is a local date.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time

from sqlalchemy import and_, case, exists, false, func, not_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.store.org_tables import Enterprise, Unit
from engine.store.supervision_tables import ServiceContact
from engine.store.tables import User

IN_PAIRING = ("paired", "added", "served")
WARNING_DAY = 25
SERVED, PENDING, WARNING, MISSED, NOT_REQUIRED = "served", "pending", "warning", "missed", "not_required"
TEXT = {SERVED: "已服务", PENDING: "未服务", WARNING: "预警", MISSED: "逾期未服务", NOT_REQUIRED: "无需服务"}
# The deadline colours' words (engine.calendar.deadlines): yellow and red; served and pending have none.
COLOUR = {WARNING: "yellow", MISSED: "red"}
FILTERS = ("served", "unserved", "warning", "missed")  # the enterprise list's 本月服务 filter


# --------------------------------------------------------------------------- months
def today() -> date:
    return clock.to_local(clock.now()).date()


def month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


def shift(year: int, month: int, by: int) -> tuple[int, int]:
    """The month `by` months after (before, if negative) year-month."""
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def first_day(year: int, month: int) -> date:
    return date(year, month, 1)


def last_day(year: int, month: int) -> date:
    return date.fromordinal(first_day(*shift(year, month, 1)).toordinal() - 1)


def _local_start(day: date) -> datetime:
    """The moment a local day begins, as the UTC the columns hold."""
    return datetime.combine(day, time(0), tzinfo=clock.SHANGHAI)


def phase(year: int, month: int, on: date) -> str:
    """Where the month stands on day `on`: 'future', 'open' (before the 25th), 'warning'
    (from the 25th) or 'ended'."""
    if on < first_day(year, month):
        return "future"
    if on > last_day(year, month):
        return "ended"
    return "warning" if on.day >= WARNING_DAY else "open"


def status(required: bool, served: bool, year: int, month: int, on: date) -> str:
    """An enterprise's service status for the month, as of day `on`."""
    if not required:
        return NOT_REQUIRED
    if served:
        return SERVED
    return {"ended": MISSED, "warning": WARNING}.get(phase(year, month, on), PENDING)


# --------------------------------------------------------------------------- the rule, in SQL and in Python
def required_clause(year: int, month: int):
    """The enterprises that need service in year-month (see the module's docstring)."""
    return and_(Enterprise.status.in_(IN_PAIRING), Enterprise.liaison_id.is_not(None),
                Enterprise.created_at < _local_start(date(year, month, WARNING_DAY)))


def needs_service(enterprise: Enterprise, year: int, month: int) -> bool:
    """required_clause for one loaded enterprise."""
    return (enterprise.status in IN_PAIRING and enterprise.liaison_id is not None
            and enterprise.created_at < _local_start(date(year, month, WARNING_DAY)))


def served_clause(year: int, month: int):
    """The enterprise (the outer query's) has a service contact dated in year-month."""
    return exists().where(ServiceContact.enterprise_id == Enterprise.id,
                          ServiceContact.contacted_on >= first_day(year, month),
                          ServiceContact.contacted_on <= last_day(year, month))


def list_filter(choice: str | None, on: date):
    """The enterprise list's 本月服务 filter: served / unserved (this month, so far) /
    warning (unserved from the 25th) / missed (last month ended without service); None if
    `choice` is none of them."""
    year, month = month_of(on)
    if choice in ("served", "unserved", "warning"):
        if choice == "warning" and phase(year, month, on) != "warning":
            return false()
        served = served_clause(year, month)
        return and_(required_clause(year, month), served if choice == "served" else not_(served))
    if choice == "missed":
        previous = shift(year, month, -1)
        return and_(required_clause(*previous), not_(served_clause(*previous)))
    return None


# --------------------------------------------------------------------------- figures
def _figures(required: int, served: int, month_phase: str) -> dict:
    unserved = required - served
    return {"required": required, "served": served, "unserved": unserved,
            "missed": unserved if month_phase == "ended" else 0,
            "rate": round(served / required, 4) if required else None}


def monthly_coverage(session: Session, unit_ids: list[int] | None, year: int, month: int) -> dict:
    """The liaisons' monthly coverage of year-month for the enterprises paired by exactly the
    units `unit_ids` (None: every unit; pass engine.org.directory.units_below for a subtree):

        {"year": 2026, "month": 11,
         "phase": "future" | "open" | "warning" | "ended",   # as of today (see phase())
         "units": {unit_id: figures, ...},                   # only units with enterprises that need service
         "total": figures}
        figures = {"required": enterprises that need service that month,
                   "served": of them, those with at least one contact dated in the month,
                   "unserved": required - served,
                   "missed": unserved once the month has ended, else 0,
                   "rate": served / required rounded to 4 places, None when required is 0}

    Two grouped queries' worth of work: one over the unit's enterprises, the contacts by
    their (enterprise_id, contacted_on) index."""
    query = (select(Enterprise.unit_id, func.count(),
                    func.sum(case((served_clause(year, month), 1), else_=0)))
             .where(required_clause(year, month)).group_by(Enterprise.unit_id))
    if unit_ids is not None:
        query = query.where(Enterprise.unit_id.in_(sorted(set(unit_ids))))
    month_phase = phase(year, month, today())
    units = {unit_id: _figures(int(required), int(served or 0), month_phase)
             for unit_id, required, served in session.execute(query)}
    total = _figures(sum(f["required"] for f in units.values()), sum(f["served"] for f in units.values()),
                     month_phase)
    return {"year": year, "month": month, "phase": month_phase, "units": units, "total": total}


def unserved_enterprises(session: Session, unit_ids: list[int] | None, year: int, month: int) -> list[dict]:
    """The enterprises behind monthly_coverage's `unserved` (a drill-down, the reminders):
    id, name, unit_id, liaison and contact leader (logins), the liaison's display name, by unit then id."""
    liaison, leader = User.__table__.alias("liaison"), User.__table__.alias("leader")
    query = (select(Enterprise.id, Enterprise.name, Enterprise.unit_id, liaison.c.name, leader.c.name,
                    liaison.c.display_name)
             .join(liaison, liaison.c.id == Enterprise.liaison_id)
             .outerjoin(leader, leader.c.id == Enterprise.contact_leader_id)
             .where(required_clause(year, month), not_(served_clause(year, month)))
             .order_by(Enterprise.unit_id, Enterprise.id))
    if unit_ids is not None:
        query = query.where(Enterprise.unit_id.in_(sorted(set(unit_ids))))
    return [{"id": r[0], "name": r[1], "unit_id": r[2], "liaison": r[3], "contact_leader": r[4],
             "liaison_name": r[5] or r[3]} for r in session.execute(query)]


def enterprise_month_status(session: Session, enterprise_id: int, year: int, month: int,
                            on: date | None = None) -> dict:
    """One enterprise's status for year-month as of day `on` (default today): status (see
    TEXT), its text, its colour (None, yellow or red) and how many contacts the month has."""
    enterprise = session.get(Enterprise, enterprise_id)
    contacts = session.scalar(select(func.count()).select_from(ServiceContact).where(
        ServiceContact.enterprise_id == enterprise_id, ServiceContact.contacted_on >= first_day(year, month),
        ServiceContact.contacted_on <= last_day(year, month))) or 0
    required = enterprise is not None and needs_service(enterprise, year, month)
    found = status(required, contacts > 0, year, month, on or today())
    return {"status": found, "text": TEXT[found], "colour": COLOUR.get(found), "contacts": contacts}


def month_statuses(session: Session, enterprises: list[Enterprise], on: date | None = None) -> dict[int, dict]:
    """For the enterprise list: each enterprise's status this month, and whether last month
    was missed ({"status", "text", "colour", "last_missed"}); one query for the contacts."""
    on = on or today()
    this, previous = month_of(on), shift(*month_of(on), -1)
    ids = [e.id for e in enterprises]
    served = defaultdict(set)
    if ids:
        rows = session.execute(select(ServiceContact.enterprise_id, ServiceContact.contacted_on).where(
            ServiceContact.enterprise_id.in_(ids), ServiceContact.contacted_on >= first_day(*previous),
            ServiceContact.contacted_on <= last_day(*this)))
        for enterprise_id, day in rows:
            served[enterprise_id].add(month_of(day))
    out = {}
    for e in enterprises:
        now_status = status(needs_service(e, *this), this in served[e.id], *this, on)
        last = status(needs_service(e, *previous), previous in served[e.id], *previous, on)
        out[e.id] = {"status": now_status, "text": TEXT[now_status], "colour": COLOUR.get(now_status),
                     "last_missed": last == MISSED, "last_month": previous[1]}
    return out


def service_history(session: Session, enterprise: Enterprise, months: int = 6, on: date | None = None) -> list[dict]:
    """The enterprise's last `months` months, newest first: status (with text and colour) and
    the contacts of each (date, mode, summary, who recorded it)."""
    on = on or today()
    newest = month_of(on)
    oldest = shift(*newest, -(months - 1))
    rows = session.execute(
        select(ServiceContact, User.display_name).outerjoin(User, User.name == ServiceContact.recorded_by)
        .where(ServiceContact.enterprise_id == enterprise.id, ServiceContact.contacted_on >= first_day(*oldest))
        .order_by(ServiceContact.contacted_on.desc(), ServiceContact.id.desc()))
    by_month = defaultdict(list)
    for contact, name in rows:
        by_month[month_of(contact.contacted_on)].append(
            {"id": contact.id, "date": contact.contacted_on.isoformat(), "mode": contact.mode,
             "summary": contact.summary, "recorded_by": name or contact.recorded_by,
             "instance_id": contact.instance_id, "from_visit_task": contact.task_id is not None})
    history = []
    for back in range(months):
        year, month = shift(*newest, -back)
        contacts = by_month[(year, month)]
        found = status(needs_service(enterprise, year, month), bool(contacts), year, month, on)
        history.append({"year": year, "month": month, "label": f"{year}-{month:02d}", "status": found,
                        "text": TEXT[found], "colour": COLOUR.get(found), "contacts": contacts})
    return history


def worklist(session: Session, user_id: int, on: date | None = None) -> list[dict]:
    """A liaison's (or contact leader's) own paired enterprises with this month's service,
    whether last month was missed and the last contact's date; unserved first."""
    on = on or today()
    query = (select(Enterprise, Unit.name).join(Unit, Unit.id == Enterprise.unit_id)
             .where(Enterprise.status.in_(IN_PAIRING),
                    (Enterprise.liaison_id == user_id) | (Enterprise.contact_leader_id == user_id))
             .order_by(Enterprise.unit_id, Enterprise.id))
    found = list(session.execute(query))
    enterprises = [e for e, _unit in found]
    statuses = month_statuses(session, enterprises, on)
    last = {eid: day for eid, day in session.execute(
        select(ServiceContact.enterprise_id, func.max(ServiceContact.contacted_on))
        .where(ServiceContact.enterprise_id.in_([e.id for e in enterprises]))
        .group_by(ServiceContact.enterprise_id))} if enterprises else {}
    rows = [{"id": e.id, "name": e.name, "unit": unit, "role": "liaison" if e.liaison_id == user_id else "leader",
             "service": statuses[e.id], "last_contact": last[e.id].isoformat() if last.get(e.id) else None}
            for e, unit in found]
    order = {MISSED: 0, WARNING: 1, PENDING: 2, NOT_REQUIRED: 3, SERVED: 4}
    return sorted(rows, key=lambda r: (not r["service"]["last_missed"], order[r["service"]["status"]]))
