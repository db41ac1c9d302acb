"""Who a new user task goes to (minimal routing: users and groups).

Candidates come from the task's assignee, candidate users and candidate groups, or, when
none are drawn, its lane name taken as a group. Expressions in those attributes are
evaluated against the task's data in the sandbox. A single resolved candidate becomes the
assignee at once; a task with no lane and no candidates goes to whoever started the
instance; a task whose candidates resolve to nobody is "unrouted" and waits for an admin.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .dialects import juel
from .errors import ScriptError
from .expressions import sandbox
from .store.tables import Group, User, UserGroup


@dataclass
class Routing:
    assignee: str | None
    candidate_groups: list[str] = field(default_factory=list)
    candidate_users: list[str] = field(default_factory=list)
    unrouted: bool = False


def route(session: Session, meta: dict, data: dict, starter: str) -> Routing:
    assignee = _evaluate_one(meta.get("assignee"), data)
    groups = _evaluate_many(meta.get("candidate_groups", []), data)
    users = _evaluate_many(meta.get("candidate_users", []), data)
    if not (assignee or groups or users) and meta.get("lane"):
        groups = [meta["lane"]]
    if assignee:
        return Routing(assignee, groups, users)
    if not groups and not users:
        return Routing(starter)
    resolved = _resolve_users(session, groups, users)
    if len(resolved) == 1:
        return Routing(resolved.pop(), groups, users)
    return Routing(None, groups, users, unrouted=not resolved)


def _evaluate_one(value: str | None, data: dict) -> str | None:
    if not value:
        return None
    if not juel.is_juel(value):
        return value.strip()
    result = sandbox().evaluate(juel.to_python(value), data)
    if result is None or result == "":
        return None
    if not isinstance(result, str):
        raise ScriptError(f"表达式 {value!r} 的结果应为用户名，实际为 {result!r}")
    return result


def _evaluate_many(values: list[str], data: dict) -> list[str]:
    names: list[str] = []
    for value in values:
        if not juel.is_juel(value):
            names.append(value)
            continue
        result = sandbox().evaluate(juel.to_python(value), data)
        if isinstance(result, str):
            names.extend(part.strip() for part in result.split(",") if part.strip())
        elif isinstance(result, (list, tuple)):
            names.extend(str(item) for item in result)
    return list(dict.fromkeys(names))


def _resolve_users(session: Session, groups: list[str], users: list[str]) -> set[str]:
    names = set(session.scalars(select(User.name).where(User.name.in_(users), User.active.is_(True)))) \
        if users else set()
    if groups:
        names |= set(session.scalars(
            select(User.name).join(UserGroup, UserGroup.user_id == User.id)
            .join(Group, Group.id == UserGroup.group_id)
            .where(Group.name.in_(groups), User.active.is_(True))))
    return names


def user_groups(session: Session, user_name: str) -> list[str]:
    return list(session.scalars(
        select(Group.name).join(UserGroup, UserGroup.group_id == Group.id)
        .join(User, User.id == UserGroup.user_id).where(User.name == user_name)))
