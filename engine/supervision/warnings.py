"""效能告诫: a supervisor (or leader) warns the person responsible for an overdue open task in
their scope — its holder, or for an unclaimed task the head of its section. The warning is
recorded against that person (EfficiencyWarning, by unit and section for the statistics and
the assessment), notified to them, audited, and shown on the task page."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.errors import Conflict, InvalidInput, checked_text
from engine.notifications.centre import notify
from engine.org.people import section_heads, task_section
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.names import display_names
from engine.store.supervision_tables import EfficiencyWarning
from engine.store.tables import HumanTask

MAX_TEXT = 2000


def _reason(reason: str | None) -> str:
    return checked_text(reason, "告诫事由", MAX_TEXT, code="warning_reason", english="a reason")


def responsible_person(session: Session, row: HumanTask) -> tuple[str | None, int | None]:
    """(who answers for the task, its section): the holder, else the section's head."""
    section_id = task_section(session, row)
    if row.assignee:
        return row.assignee, section_id
    heads = section_heads(session, section_id)
    return (heads[0] if heads else None), section_id


def warning_dict(w: EfficiencyWarning, names: dict) -> dict:
    return {"id": w.id, "task_id": w.task_id, "instance_id": w.instance_id, "person": w.person,
            "person_name": names.get(w.person) or w.person, "issued_by": w.issued_by,
            "issued_by_name": names.get(w.issued_by) or w.issued_by, "reason": w.reason,
            "unit_id": w.unit_id, "section_id": w.section_id, "created_at": w.created_at.isoformat()}


def warning_counts(session: Session, units: list[int] | None, since: datetime | None = None,
                   until: datetime | None = None) -> dict[int | None, int]:
    """效能告诫 counted by unit for a period (the statistics): {unit_id: count}."""
    query = select(EfficiencyWarning.unit_id, func.count()).group_by(EfficiencyWarning.unit_id)
    if units is not None:
        query = query.where(EfficiencyWarning.unit_id.in_(units))
    if since is not None:
        query = query.where(EfficiencyWarning.created_at >= since)
    if until is not None:
        query = query.where(EfficiencyWarning.created_at < until)
    return dict(session.execute(query).all())


class WarningCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def issue_warning(self, task_id: str, actor: str, reason: str | None) -> dict:
        text = _reason(reason)
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            row = access.open_task(session, task_id)
            access.require_warn(session, row, user)
            if row.due_at is None or row.due_at >= clock.now():
                raise Conflict("只能对已超期的任务发出效能告诫 (only an overdue task earns a warning)",
                               code="not_overdue", params={"task_id": row.id})
            person, section_id = responsible_person(session, row)
            if person is None:
                raise InvalidInput("找不到此任务的责任人：无办理人，科室也没有科长 (nobody answers for this task)",
                                   code="nobody_responsible")
            warning = EfficiencyWarning(task_id=row.id, instance_id=row.instance_id, person=person,
                                        unit_id=row.unit_id, section_id=section_id, issued_by=actor, reason=text,
                                        created_at=clock.now())
            session.add(warning)
            uow.flush()
            audit.record(session, actor, "efficiency_warning", instance_id=row.instance_id, task_id=row.id,
                         detail={"to": person, "reason": text, "warning_id": warning.id})
            notify(session, person, "warning", actor, f"效能告诫：{row.name} 已超期（{text}）",
                   task_id=row.id, instance_id=row.instance_id)
            return warning_dict(warning, display_names(session, [person, actor]))

    def warnings_of(self, person: str, actor: str) -> list[dict]:
        """The warnings recorded against `person`, newest first: for the person themselves,
        admins, and supervising roles (leaders, supervisors) of their unit or above."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            access.require_warnings_reader(session, user, person)
            rows = list(session.scalars(select(EfficiencyWarning).where(EfficiencyWarning.person == person)
                                        .order_by(EfficiencyWarning.id.desc())))
            names = display_names(session, {person} | {w.issued_by for w in rows})
            return [warning_dict(w, names) for w in rows]

    def warning_counts(self, actor: str, since: datetime | None = None, until: datetime | None = None) -> dict:
        """效能告诫 by unit in `actor`'s scope for a period: {unit_id: count}."""
        with self.uow(write=False) as uow:
            session = uow.session
            user = access.actor(session, actor)
            return warning_counts(session, access.visible_units(session, user), since, until)
