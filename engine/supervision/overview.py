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
from engine.store.org_tables import UserRole
from engine.store.tables import HumanTask, User


def overview(session: Session, actor: str, limit: int = 500) -> list[dict]:
    access.actor(session, actor)
    user = session.execute(select(User.id, User.unit_id, User.is_admin).where(User.name == actor)).first()
    roles = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    query = select(HumanTask).where(HumanTask.status == "open")
    if not user.is_admin:
        query = query.where(access.supervision_scope(session, user, roles))
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at).limit(limit)
    now = clock.now()
    return [{**task_rows.shown(session, row), "overdue": bool(row.due_at and row.due_at < now)}
            for row in session.scalars(query)]


class SupervisionQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def overview(self, actor: str) -> list[dict]:
        """督办 view: the open tasks in the actor's scope, soonest due first, overdue flagged."""
        with self.uow(write=False) as uow:
            return overview(uow.session, actor)
