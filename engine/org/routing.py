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

from engine.dialects import juel
from engine.errors import ScriptError
from engine.org.lanes import Context, resolve
from engine.sandbox.expressions import sandbox
from engine.store.tables import User


@dataclass
class Routing:
    assignee: str | None
    candidate_groups: list[str] = field(default_factory=list)
    candidate_users: list[str] = field(default_factory=list)
    unrouted: bool = False
    keys: list[tuple[str, str]] = field(default_factory=list)  # candidate rows (kind, name)


def route(session: Session, meta: dict, data: dict, starter: str, ctx: Context | None = None) -> Routing:
    ctx = ctx or Context(None, None)
    assignee = _evaluate_one(meta.get("assignee"), data)
    groups = _evaluate_many(meta.get("candidate_groups", []), data)
    users = _evaluate_many(meta.get("candidate_users", []), data)
    if not (assignee or groups or users) and meta.get("lane"):
        groups = [meta["lane"]]
    if assignee:
        return Routing(assignee, groups, users)
    if not groups and not users:
        return Routing(starter)
    keys = [("user", u) for u in users]
    resolved = _active(session, users)
    for group in groups:
        found = resolve(session, group, ctx, data)
        keys += found.keys
        resolved |= found.users
    keys = list(dict.fromkeys(keys))
    if len(resolved) == 1:
        return Routing(resolved.pop(), groups, users, keys=keys)
    return Routing(None, groups, users, unrouted=not resolved, keys=keys)


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


def _active(session: Session, users: list[str]) -> set[str]:
    if not users:
        return set()
    return set(session.scalars(select(User.name).where(User.name.in_(users), User.active.is_(True))))
