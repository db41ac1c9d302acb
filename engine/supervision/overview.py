"""督办: what supervising roles see — every open task in their scope, soonest due first,
with what is overdue. Seeing is not acting: completing still needs the assignee (or a
deputy, or an admin); a supervisor acts only where a lane routes a task to them.

Scope by role: admins everything; leaders and supervisors their unit and every unit
below it; section heads the work of their sections (claimable by the section, or held by
one of its people).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.inbox import task_rows
from engine.runtime.facade import EngineParts
from engine.store.tables import HumanTask
from engine.supervision import statistics as stats


def overview(session: Session, actor: str, limit: int = 500, offset: int = 0) -> list[dict]:
    """A page of the open tasks in the dashboard's scope (access.dashboard_scope), soonest due
    first (then by id, so pages neither repeat nor skip a task): for units an index range of
    ix_human_tasks_open_unit per unit, not a scan of every task."""
    user, units, sections = access.dashboard_scope(session, actor)
    query = select(HumanTask).where(HumanTask.status == stats.OPEN)
    if sections is not None:
        query = query.where(HumanTask.unit_id == user.unit_id, stats.section_of_task().in_(sections))
    elif units is not None:
        query = query.where(HumanTask.unit_id.in_(units))
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id).limit(limit).offset(offset)
    now = clock.now()
    return [{**task_rows.shown(session, row), "overdue": bool(row.due_at and row.due_at < now)}
            for row in session.scalars(query)]


class SupervisionQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def overview(self, actor: str, limit: int = 500, offset: int = 0) -> list[dict]:
        """督办 view: a page of the open tasks in the actor's scope, soonest due first, overdue flagged."""
        with self.uow(write=False) as uow:
            return overview(uow.session, actor, limit, offset)
