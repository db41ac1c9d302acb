"""What the task page shows about people acting on its deadline — the 催办 received, the
延期申请 and their decisions, the 效能告诫 issued — and which of those acts the viewer may
take (the buttons; the commands check the same rules in engine.access)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import access, clock
from engine.store.names import display_names
from engine.store.supervision_tables import EfficiencyWarning, Urge
from engine.store.tables import HumanTask
from engine.tasks.extensions import extensions_of
from engine.tasks.send_back import dispatching_step, was_transferred


def urges_of(session: Session, task_id: str) -> list[dict]:
    rows = list(session.scalars(select(Urge).where(Urge.task_id == task_id).order_by(Urge.id)))
    names = display_names(session, {r.sender for r in rows})
    return [{"id": r.id, "sender": r.sender, "sender_name": names.get(r.sender) or r.sender,
             "recipient": r.recipient, "message": r.message, "created_at": r.created_at.isoformat()}
            for r in rows]


def warnings_on(session: Session, task_id: str) -> list[dict]:
    rows = list(session.scalars(select(EfficiencyWarning).where(EfficiencyWarning.task_id == task_id)
                                .order_by(EfficiencyWarning.id)))
    names = display_names(session, {w.person for w in rows} | {w.issued_by for w in rows})
    return [{"id": w.id, "person": w.person, "person_name": names.get(w.person) or w.person,
             "issued_by": w.issued_by, "issued_by_name": names.get(w.issued_by) or w.issued_by,
             "reason": w.reason, "created_at": w.created_at.isoformat()} for w in rows]


def deadline_actions(session: Session, row: HumanTask, user: access.Actor, spiff_task) -> dict:
    """The task view's part on deadlines (`spiff_task`: the task in its loaded workflow, None
    once it is gone: a 退单 needs a dispatcher, a transfer's or the step before)."""
    extensions = extensions_of(session, row.id)
    pending = next((e for e in extensions if e["status"] == "pending"), None) if row.status == "open" else None
    holder = access.may_act_as_holder(session, row, user)
    overdue = row.status == "open" and row.due_at is not None and row.due_at < clock.now()
    acting = access.acting_users(session, user.name) if holder else []
    urges = urges_of(session, row.id) if row.urge_count else []  # the count is kept with each urge
    return {"urges": urges, "extensions": extensions, "pending_extension": pending,
            "warnings": warnings_on(session, row.id),
            "original_due_at": row.original_due_at.isoformat() if row.original_due_at else None,
            "can_urge": access.may_urge(session, row, user),
            "can_request_extension": holder and pending is None,
            "can_decide_extension": pending is not None and access.may_decide_extension(
                session, pending["section_id"], pending["requested_by"], user),
            "can_send_back": holder and (was_transferred(session, row, acting)
                                         or dispatching_step(session, spiff_task) is not None),
            "can_warn": overdue and access.may_warn(session, row, user)}

