"""Human-task rows and the queries behind the inbox."""
from __future__ import annotations

from sqlalchemy import delete, exists, insert, or_, select
from sqlalchemy.orm import Session

from . import clock
from .routing import Routing, user_groups
from .store.tables import HumanTask, TaskCandidate

TASK_FIELDS = ("id", "instance_id", "process_key", "version", "element_id", "name", "lane",
               "assignee", "candidate_groups", "candidate_users", "due_at", "created_at",
               "status", "form_key", "unrouted")


def task_dict(row: HumanTask) -> dict:
    out = {name: getattr(row, name) for name in TASK_FIELDS}
    for name in ("due_at", "created_at"):
        out[name] = out[name].isoformat() if out[name] else None
    out["due_at_local"] = clock.to_local(row.due_at).isoformat() if row.due_at else None
    return out


_INSERT_TASK = insert(HumanTask)
_INSERT_CANDIDATE = insert(TaskCandidate)


def open_task(session: Session, instance, spiff_task, meta: dict, routing: Routing, due_at) -> str:
    """Insert the inbox row of a new user task (and its candidate rows); returns its id.
    Plain INSERTs: the command never reads the new row back."""
    task_id = str(spiff_task.id)
    spec = spiff_task.task_spec
    connection = session.connection()
    connection.execute(_INSERT_TASK, {
        "id": task_id, "instance_id": instance.id, "process_key": instance.process_key,
        "version": instance.version, "element_id": spec.bpmn_id or spec.name,
        "name": meta.get("name") or spec.bpmn_name or spec.name,
        "lane": meta.get("lane") or getattr(spec, "lane", None), "form_key": meta.get("form_key"),
        "assignee": routing.assignee, "candidate_groups": routing.candidate_groups,
        "candidate_users": routing.candidate_users, "unrouted": routing.unrouted, "status": "open",
        "due_at": due_at, "created_at": clock.now(), "completed_at": None, "completed_by": None,
        "unit_id": instance.unit_id, "enterprise_id": instance.enterprise_id})
    candidates = [{"task_id": task_id, "kind": "group", "name": g} for g in routing.candidate_groups] + \
                 [{"task_id": task_id, "kind": "user", "name": u} for u in routing.candidate_users]
    if routing.assignee is None and candidates:
        connection.execute(_INSERT_CANDIDATE, candidates)
    return task_id


def close_task(session: Session, row: HumanTask, status: str, actor: str | None) -> None:
    row.status = status
    row.completed_at = clock.now()
    row.completed_by = actor
    if row.assignee is None or row.candidate_groups or row.candidate_users:
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))


def is_candidate(session: Session, row: HumanTask, user: str) -> bool:
    if user in (row.candidate_users or []):
        return True
    return bool(set(row.candidate_groups or []) & set(user_groups(session, user)))


def tasks_for(session: Session, user: str, limit: int = 200) -> list[HumanTask]:
    """Open tasks assigned to `user`, then unclaimed tasks `user` may claim."""
    groups = user_groups(session, user)
    candidate = exists().where(
        TaskCandidate.task_id == HumanTask.id,
        or_((TaskCandidate.kind == "user") & (TaskCandidate.name == user),
            (TaskCandidate.kind == "group") & TaskCandidate.name.in_(groups) if groups else False))
    query = (select(HumanTask).where(HumanTask.status == "open")
             .where(or_(HumanTask.assignee == user, HumanTask.assignee.is_(None) & candidate))
             .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
             .limit(limit))
    return list(session.scalars(query))


def unrouted_tasks(session: Session, limit: int = 500) -> list[HumanTask]:
    query = (select(HumanTask).where(HumanTask.status == "open", HumanTask.unrouted.is_(True),
                                     HumanTask.assignee.is_(None))
             .order_by(HumanTask.created_at).limit(limit))
    return list(session.scalars(query))


def open_tasks_of(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == "open").order_by(HumanTask.created_at)))
