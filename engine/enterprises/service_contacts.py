"""服务记录: a liaison's service of a paired enterprise, one service_contacts row each — a
phone or video call recorded in a small form (记录服务), or a visit (走访), recorded the same
way or written when a visit task completes (VisitContactProjection). Monthly coverage
(engine.enterprises.monthly_service) counts this one table.

Who records: the enterprise's liaison (or a deputy standing in for them), its contact
leader (a leader's own call serves the enterprise too), and admins (access.may_record_contact).
"""
from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.enterprises import monthly_service
from engine.enterprises.queries import header
from engine.enterprises.visits import IN_PERSON, VISIT_FORMS
from engine.errors import InvalidInput, NotAllowed
from engine.org import directory
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.org_tables import Enterprise, Unit
from engine.store.supervision_tables import ServiceContact
from engine.store.tables import HumanTask, User

MODES = ("电话", "视频", IN_PERSON)
SUMMARY_MAX = 1000
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Field names the web form shows next to a refused value (the error's params["field"]).
FIELDS = {"mode": "联系方式", "contacted_on": "服务日期", "summary": "服务内容"}
FIELDS_EN = {"mode": "how", "contacted_on": "date", "summary": "what was discussed"}


def _refuse(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"{FIELDS[field]}：{zh} ({FIELDS_EN[field]}: {en})", params={"field": field})


def clean_contact(mode, contacted_on, summary, on: date) -> tuple[str, date, str]:
    """The form's values checked: a known mode, a date neither in the future nor before the
    first of last month (a late record may still save last month, not rewrite older ones),
    and a summary of what was discussed."""
    if mode not in MODES:
        raise _refuse("mode", "请选择 电话、视频 或 走访", "choose phone, video or visit")
    day = _date(contacted_on)
    if day > on:
        raise _refuse("contacted_on", "不能晚于今天", "cannot be in the future")
    if day < monthly_service.first_day(*monthly_service.shift(on.year, on.month, -1)):
        raise _refuse("contacted_on", "不能早于上月 1 日", "cannot be before the first of last month")
    text = summary.strip() if isinstance(summary, str) else ""
    if not text:
        raise _refuse("summary", "请填写本次服务的内容", "say what the contact was about")
    if len(text) > SUMMARY_MAX:
        raise _refuse("summary", f"不能超过 {SUMMARY_MAX} 字，当前 {len(text)} 字", f"at most {SUMMARY_MAX} characters")
    return mode, day, text


def _date(value) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        if not DATE.fullmatch(text):  # fromisoformat would take 20261120 too
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _refuse("contacted_on", "请填写日期，格式 YYYY-MM-DD", "a date as YYYY-MM-DD") from None


def _login(session: Session, user_id: int | None) -> str | None:
    return session.scalar(select(User.name).where(User.id == user_id)) if user_id is not None else None


def add_contact(session: Session, enterprise: Enterprise, *, mode: str, day: date, summary: str,
                recorded_by: str, task_id: str | None = None, instance_id: int | None = None) -> ServiceContact:
    """Write the row, counted for the enterprise's liaison (the recorder if it has none)."""
    row = ServiceContact(enterprise_id=enterprise.id, unit_id=enterprise.unit_id,
                         liaison=_login(session, enterprise.liaison_id) or recorded_by, mode=mode,
                         contacted_on=day, summary=summary[:2000], task_id=task_id, instance_id=instance_id,
                         recorded_by=recorded_by, created_at=clock.now())
    session.add(row)
    session.flush()
    return row


class ContactCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def record_contact(self, enterprise_id: int, actor: str, mode: str, contacted_on, summary: str) -> dict:
        """记录服务: a phone, video or in-person contact with the enterprise, by its liaison,
        their deputy, its contact leader or an admin; audited. Returns the contact."""
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            header(session, user, enterprise_id)  # none, or outside the actor's scope: refused as the page is
            enterprise = session.get(Enterprise, enterprise_id)
            if not access.may_record_contact(session, user, enterprise.liaison_id, enterprise.contact_leader_id):
                raise NotAllowed("只有该企业的联络员、联系领导或管理员可以记录服务 "
                                 "(only the enterprise's liaison, contact leader or an admin)",
                                 code="not_liaison")
            mode, day, text = clean_contact(mode, contacted_on, summary, monthly_service.today())
            row = add_contact(session, enterprise, mode=mode, day=day, summary=text, recorded_by=actor)
            audit.record(session, actor, "service_contact_recorded",
                         detail={"enterprise_id": enterprise_id, "contact_id": row.id, "mode": mode,
                                 "contacted_on": day.isoformat()})
            return {"id": row.id, "enterprise_id": enterprise_id, "mode": mode, "contacted_on": day.isoformat(),
                    "summary": text, "liaison": row.liaison}

    def may_record_contact(self, enterprise_id: int, actor: str) -> bool:
        """Whether the enterprise page offers `actor` the 记录服务 form."""
        with self.uow(write=False) as uow:
            session = uow.session
            enterprise = session.get(Enterprise, enterprise_id)
            return enterprise is not None and access.may_record_contact(
                session, access.actor(session, actor), enterprise.liaison_id, enterprise.contact_leader_id)

    def monthly_service_worklist(self, actor: str) -> dict:
        """本月服务: the actor's own paired enterprises (as liaison or contact leader) with this
        month's service, unserved and last month's misses first."""
        with self.uow(write=False) as uow:
            session = uow.session
            access.actor(session, actor)
            user_id = session.scalar(select(User.id).where(User.name == actor))
            on = monthly_service.today()
            year, month = monthly_service.month_of(on)
            return {"year": year, "month": month, "phase": monthly_service.phase(year, month, on),
                    "warning_day": monthly_service.WARNING_DAY, "rows": monthly_service.worklist(session, user_id, on)}


    def monthly_service_coverage(self, actor: str, year: int, month: int, unit: str | None = None) -> dict:
        """monthly_coverage over the units the actor sees (admins: all; leaders and supervisors:
        their unit and below; others: their own), or over `unit` and the units below it; each
        unit's figures carry its code and name under "unit"."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            if not 1 <= month <= 12:
                raise InvalidInput(f"月份 {month} 无效 (month must be 1-12)")
            units = _coverage_units(session, user, unit)
            found = monthly_service.monthly_coverage(session, units, year, month)
            names = {r.id: (r.code, r.name) for r in session.execute(select(Unit.id, Unit.code, Unit.name))}
            for unit_id, figures in found["units"].items():
                figures["unit"] = {"code": names[unit_id][0], "name": names[unit_id][1]}
            return found

class VisitContactProjection:
    """The runtime's hook: a visit task (走访 form) completed in this save is a service
    contact too, dated on the visit's date, in the mode its form says.

    On the completion's hot path, so no query unless a visit was completed: the task rows a
    command completed are the ones it loaded (engine.service.Engine.complete), so they are
    looked up in the session, not in the database."""

    def project(self, session: Session, loaded, new: bool) -> None:
        instance = loaded.instance
        if new or instance.enterprise_id is None or not loaded.open_before:
            return
        for row in list(session.identity_map.values()):
            if (isinstance(row, HumanTask) and row.id in loaded.open_before and row.status == "completed"
                    and row.form_key in VISIT_FORMS):
                self._record(session, loaded, instance, row)

    @staticmethod
    def _record(session: Session, loaded, instance, row: HumanTask) -> None:
        if session.scalar(select(ServiceContact.id).where(ServiceContact.task_id == row.id)) is not None:
            return
        enterprise = session.get(Enterprise, instance.enterprise_id)
        if enterprise is None:
            return
        spiff_task = loaded.workflow.get_task_from_id(UUID(row.id))
        data = spiff_task.data if spiff_task is not None else {}
        done = clock.to_local(row.completed_at or clock.now()).date()
        add_contact(session, enterprise, mode=_mode(data.get("mode")), day=_visit_day(data.get("visit_date"), done),
                    summary=str(data.get("needs") or data.get("notes") or ""), recorded_by=row.completed_by or "",
                    task_id=row.id, instance_id=instance.id)


def _mode(value) -> str:
    return value if value in MODES else IN_PERSON


def _visit_day(value, done: date) -> date:
    """The day the form says the visit happened, if it is a date up to the completion day and
    not before last month (what a liaison may record by hand); else the completion day."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return done
    earliest = monthly_service.first_day(*monthly_service.shift(done.year, done.month, -1))
    return day if earliest <= day <= done else done


def _coverage_units(session: Session, user, unit: str | None) -> list[int] | None:
    visible = access.visible_units(session, user)
    if unit is None:
        return visible
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
    if unit_id is None:
        raise InvalidInput(f"单位 '{unit}' 不存在 (no such unit)")
    if visible is not None and unit_id not in visible:
        raise NotAllowed("无权查看该单位 (unit outside your scope)")
    return directory.units_below(session, unit_id)
