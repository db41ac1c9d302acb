"""避免重复走访 (seeds 001, 003): an in-person visit (走访) to an enterprise that another
group already visited in person within 30 days is recorded with a warning, so bureaus can
coordinate instead of crowding the enterprise (扎堆服务). Phone and video contacts crowd
nobody, and a liaison's own earlier visits are their follow-up, not another group's: neither
counts. The warning is given when the visit is recorded and, on the visit's task page,
before it is."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.store.tables import AuditEvent, HumanTask, User

VISIT_FORMS = ("service_visit", "visit_record")
IN_PERSON = "走访"
WINDOW = timedelta(days=30)


def duplicate_visit_warnings(session: Session, row: HumanTask, visitor: str | None,
                             data: dict | None = None) -> list[str]:
    """Warnings for `visitor`'s visit on task `row` (`data`: what is submitted; None while the
    visit is only planned, taken as in person)."""
    if row.form_key not in VISIT_FORMS or row.enterprise_id is None:
        return []
    if (data or {}).get("mode", IN_PERSON) != IN_PERSON:
        return []
    earlier = session.execute(
        select(HumanTask.id, HumanTask.completed_at, HumanTask.instance_id, User.display_name,
               HumanTask.completed_by)
        .outerjoin(User, User.name == HumanTask.completed_by)
        .where(HumanTask.enterprise_id == row.enterprise_id, HumanTask.form_key.in_(VISIT_FORMS),
               HumanTask.status == "completed", HumanTask.completed_at >= clock.now() - WINDOW,
               HumanTask.instance_id != row.instance_id, HumanTask.id != row.id,
               HumanTask.completed_by != visitor)
        .order_by(HumanTask.completed_at.desc()).limit(20)).all()
    modes = _modes(session, {e.instance_id for e in earlier}, {e.id for e in earlier})
    in_person = [e for e in earlier if modes.get(e.id, IN_PERSON) == IN_PERSON][:3]
    return [f"该企业已于 {clock.to_local(e.completed_at):%Y-%m-%d} 由 {e.display_name or e.completed_by} 走访"
            f"（实例 {e.instance_id}），30 天内重复走访，请注意避免扎堆服务 (visited by another group within 30 days)"
            for e in in_person]


def _modes(session: Session, instance_ids: set[int], task_ids: set[str]) -> dict[str, str]:
    """How each completed visit was made, as its completion recorded it (走访, 电话, 视频);
    read by instance (the audit table's index), never by scanning it."""
    if not task_ids:
        return {}
    rows = session.execute(select(AuditEvent.task_id, AuditEvent.detail).where(
        AuditEvent.instance_id.in_(sorted(instance_ids)), AuditEvent.action == "task_completed",
        AuditEvent.task_id.in_(sorted(task_ids))))
    return {task_id: ((detail or {}).get("data") or {}).get("mode", IN_PERSON) for task_id, detail in rows}
