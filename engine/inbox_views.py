"""The inbox views behind the task list: 待办 (assigned to me or those I deputise for),
科室待认领 (unclaimed tasks I may claim), 已办 (completed by me), 我发起的 (instances I
started) — with counts per view, search by enterprise name or credit code, and paging."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from . import clock, inbox
from .org_routing import candidate_keys
from .store.org_tables import Enterprise
from .store.tables import HumanTask, Instance

VIEWS = ("todo", "claimable", "done", "started")


def _conditions(session: Session, actor: str) -> dict:
    acting = inbox.acting_users(session, actor)
    candidate = inbox.candidate_match(candidate_keys(session, acting))
    open_ = HumanTask.status == "open"
    started = HumanTask.instance_id.in_(select(Instance.id).where(Instance.started_by == actor))
    return {
        "todo": [open_, HumanTask.assignee.in_(acting)],
        "claimable": [open_, HumanTask.assignee.is_(None), candidate if candidate is not None else False],
        "done": [HumanTask.status == "completed", HumanTask.completed_by == actor],
        "started": [open_, started],
    }


def _search(q: str | None):
    if not q:
        return []
    like = f"%{q.strip()}%"
    matching = select(Enterprise.id).where(or_(Enterprise.name.like(like), Enterprise.credit_code.like(like)))
    return [HumanTask.enterprise_id.in_(matching)]


def inbox_page(session: Session, actor: str, view: str, page: int, per_page: int, q: str | None) -> dict:
    if view not in VIEWS:
        view = "todo"
    conditions = _conditions(session, actor)
    search = _search(q)
    counts = {name: session.scalar(select(func.count()).select_from(HumanTask).where(*conds, *search))
              for name, conds in conditions.items()}
    order = (HumanTask.completed_at.desc(),) if view == "done" else \
        (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
    page = max(1, page)
    query = (select(HumanTask).where(*conditions[view], *search).order_by(*order)
             .offset((page - 1) * per_page).limit(per_page))
    rows = list(session.scalars(query))
    names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(
        Enterprise.id.in_({r.enterprise_id for r in rows if r.enterprise_id}))).all())
    now = clock.now()
    return {"view": view, "rows": [{**inbox.task_dict(r), "enterprise_name": names.get(r.enterprise_id, ""),
                                    "overdue": bool(r.status == "open" and r.due_at and r.due_at < now)}
                                   for r in rows],
            "counts": counts, "total": counts[view], "page": page, "per_page": per_page}
