"""催办: a leader, a supervisor or a section head presses on an open task in their 督办 scope
with a message. Each urge is kept (Urge), counted on the task (human_tasks.urge_count: the
lists show 催办 ×N), audited, and notified to whoever must act: the holder; an unclaimed task's
section heads (they make someone claim it), or — a section without a head — its members."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine import access, clock
from engine.errors import checked_text
from engine.notifications.centre import notify
from engine.org.people import section_heads, section_members, task_section, waiting_on
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.supervision_tables import Urge
from engine.store.tables import HumanTask

MAX_MESSAGE = 500


def urge_message(message: str | None) -> str:
    return checked_text(message, "催办内容", MAX_MESSAGE, code="urge_message", english="the urging message")


def urge_recipients(session: Session, row: HumanTask) -> list[str]:
    """Who hears of an urge: the holder (and a co-signer the step waits for); for an unclaimed task its
    section's heads, else its members."""
    if row.assignee:
        return waiting_on(row)
    section_id = task_section(session, row)
    return section_heads(session, section_id) or section_members(session, section_id)


class UrgeCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    def urge(self, task_id: str, actor: str, message: str | None) -> dict:
        """催办 an open task: returns the urge with the task's new count and who was told."""
        text = urge_message(message)
        with self.uow() as uow:
            session = uow.session
            user = access.actor(session, actor)
            row = access.open_task(session, task_id)
            access.require_urge(session, row, user)
            recipients = urge_recipients(session, row)
            urge = Urge(task_id=row.id, instance_id=row.instance_id, unit_id=row.unit_id, sender=actor,
                        recipient=recipients[0] if recipients else None, message=text, created_at=clock.now())
            session.add(urge)
            row.urge_count = (row.urge_count or 0) + 1
            uow.flush()
            audit.record(session, actor, "task_urged", instance_id=row.instance_id, task_id=row.id,
                         detail={"message": text, "to_users": recipients, "count": row.urge_count})
            for recipient in recipients:
                notify(session, recipient, "urged", actor, f"催办（第 {row.urge_count} 次）：{row.name}——{text}",
                       task_id=row.id, instance_id=row.instance_id)
            return {"id": urge.id, "task_id": row.id, "message": text, "urge_count": row.urge_count,
                    "recipients": recipients, "created_at": urge.created_at.isoformat()}
