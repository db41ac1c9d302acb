"""Who answers for a task: its section, the section's head and 分管领导, a unit's supervisors.
The ladder, 退单, 延期 and 效能告诫 ask these questions."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.org_tables import LeaderSection, Section, Unit, UserRole, UserSection
from engine.store.tables import HumanTask, TaskCandidate, User


def task_section(session: Session, row: HumanTask) -> int | None:
    """The section a task belongs to: the section queue it was claimable in, else the section
    its holder works in within the task's unit (a 科长审核, a liaison's or an expert's step is
    held by a person, not queued)."""
    name = session.scalar(select(TaskCandidate.name).where(TaskCandidate.task_id == row.id,
                                                           TaskCandidate.kind == "section"))
    if name:
        return int(name)
    holder = step_holder(row)
    if holder is None:
        return None
    query = (select(UserSection.section_id).join(User, User.id == UserSection.user_id)
             .join(Section, Section.id == UserSection.section_id).where(User.name == holder))
    if row.unit_id is not None:
        query = query.where(Section.unit_id == row.unit_id)
    return session.scalar(query.order_by(UserSection.section_id).limit(1))


def step_holder(row: HumanTask) -> str | None:
    """Whose step it is: the assignee, except while a 委派 or 加签 hands the row to someone else
    for a while (row.owner keeps the holder): the step stays in the holder's section."""
    return row.owner if row.delegation in ("pending", "cosign") and row.owner else row.assignee


def waiting_on(row: HumanTask) -> list[str]:
    """Who hears that a held step is late (催办, the ladder's holder): its assignee — while a co-sign
    is open that is the co-signer the step waits for — and, then, its holder as well."""
    names = [row.assignee, row.owner if row.delegation == "cosign" else None]
    return list(dict.fromkeys(name for name in names if name))


def section_heads(session: Session, section_id: int | None) -> list[str]:
    """The heads (科长) of a section: its members with the section_head role."""
    if section_id is None:
        return []
    return list(session.scalars(
        select(User.name).join(UserSection, UserSection.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserSection.section_id == section_id, UserRole.role == "section_head", User.active.is_(True))
        .order_by(User.name)))


def section_leaders(session: Session, section_id: int | None) -> list[str]:
    """The leaders in charge of a section (分管领导)."""
    if section_id is None:
        return []
    return list(session.scalars(
        select(User.name).join(LeaderSection, LeaderSection.user_id == User.id)
        .where(LeaderSection.section_id == section_id, User.active.is_(True)).order_by(User.name)))


def section_members(session: Session, section_id: int | None) -> list[str]:
    if section_id is None:
        return []
    return list(session.scalars(
        select(User.name).join(UserSection, UserSection.user_id == User.id)
        .where(UserSection.section_id == section_id, User.active.is_(True)).order_by(User.name)))


def unit_role_holders(session: Session, unit_id: int | None, role: str, *, upward: bool = True) -> list[str]:
    """The active holders of `role` in a unit; with `upward`, if it has none, in the nearest
    unit above that has some (a county without a 督查 is supervised by its city)."""
    while unit_id is not None:
        names = list(session.scalars(
            select(User.name).join(UserRole, UserRole.user_id == User.id)
            .where(User.unit_id == unit_id, UserRole.role == role, User.active.is_(True)).order_by(User.name)))
        if names or not upward:
            return names
        unit_id = session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))
    return []


def units_above(session: Session, unit_id: int | None) -> list[int]:
    """The unit and every unit above it, nearest first."""
    found = []
    while unit_id is not None:
        found.append(unit_id)
        unit_id = session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))
    return found
