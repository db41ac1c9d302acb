"""避免重复走访: a visit to an enterprise that another visit (another service run, another
group) already made within 30 days is recorded with a warning, so bureaus can coordinate
instead of crowding the enterprise (扎堆服务)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.store.tables import HumanTask, User

VISIT_FORMS = ("service_visit", "visit_record")
WINDOW = timedelta(days=30)


def duplicate_visit_warnings(session: Session, row: HumanTask) -> list[str]:
    if row.form_key not in VISIT_FORMS or row.enterprise_id is None:
        return []
    since = clock.now() - WINDOW
    earlier = session.execute(
        select(HumanTask.completed_at, HumanTask.instance_id, User.display_name, HumanTask.completed_by)
        .outerjoin(User, User.name == HumanTask.completed_by)
        .where(HumanTask.enterprise_id == row.enterprise_id, HumanTask.form_key.in_(VISIT_FORMS),
               HumanTask.status == "completed", HumanTask.completed_at >= since,
               HumanTask.instance_id != row.instance_id, HumanTask.id != row.id)
        .order_by(HumanTask.completed_at.desc()).limit(3)).all()
    return [f"该企业已于 {clock.to_local(at):%Y-%m-%d} 由 {name or login} 走访（实例 {instance}），"
            "30 天内重复走访，请注意避免扎堆服务 (visited by another group within 30 days)"
            for at, instance, name, login in earlier]
