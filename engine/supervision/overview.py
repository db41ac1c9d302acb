"""督办: what supervising roles see — every open task in their scope, soonest due first,
with what is overdue. Seeing is not acting: completing still needs the assignee (or a
deputy, or an admin); a supervisor acts only where a lane routes a task to them.

Scope by role: admins everything; leaders and supervisors their unit and every unit
below it; section heads the work of their sections (claimable by the section, or held by
one of its people).
"""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import NotAllowed
from engine.inbox import task_rows
from engine.org import directory
from engine.store.org_tables import UserRole, UserSection
from engine.store.tables import HumanTask, TaskCandidate, User

SUPERVISING = ("leader", "supervisor")


def overview(session: Session, actor: str, limit: int = 500) -> list[dict]:
    user = session.execute(select(User.id, User.unit_id, User.is_admin).where(User.name == actor)).first()
    if user is None:
        raise NotAllowed(f"用户 '{actor}' 不存在 (unknown user)")
    roles = set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))
    query = select(HumanTask).where(HumanTask.status == "open")
    if not user.is_admin:
        query = query.where(scope_clause(session, user, roles))
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at).limit(limit)
    now = clock.now()
    return [{**task_rows.task_dict(row), "overdue": bool(row.due_at and row.due_at < now)}
            for row in session.scalars(query)]


def scope_clause(session: Session, user, roles: set[str]):
    clauses = []
    if roles & set(SUPERVISING) and user.unit_id is not None:
        clauses.append(HumanTask.unit_id.in_(directory.units_below(session, user.unit_id)))
    if "section_head" in roles:
        sections = list(session.scalars(select(UserSection.section_id).where(UserSection.user_id == user.id)))
        members = select(User.name).join(UserSection, UserSection.user_id == User.id) \
            .where(UserSection.section_id.in_(sections))
        claimable = exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "section",
                                   TaskCandidate.name.in_([str(s) for s in sections]))
        clauses += [claimable, HumanTask.assignee.in_(members)]
    if not clauses:
        raise NotAllowed("只有领导、督查人员和科长可以查看督办视图 (supervising roles only)")
    return or_(*clauses)
