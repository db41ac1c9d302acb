"""Writing notifications (in the command's own unit of work, so a notification exists
exactly when what it reports happened) and reading them (the Engine facade's mixin)."""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import access, clock
from engine.notifications.outbox import queue_notification
from engine.runtime.facade import EngineParts
from engine.store.collab_tables import Notification
from engine.store.names import display_names

KINDS = ("assigned", "transferred", "returned", "delegated", "copied", "cosign",  # task collaboration, 加签
         "escalated", "listed", "record",  # the ladder and 督办单
         "urged", "extension", "sent_back", "warning",  # people acting on deadlines
         "monthly_service")  # the liaison's monthly service
PAGE_MOST = 200


def notify(session: Session, recipient: str | None, kind: str, sender: str, text: str, *,
           task_id: str | None = None, instance_id: int | None = None,
           dedupe_key: str | None = None) -> Notification | None:
    """Tell `recipient` (nobody if None, or if it is the sender: you need not hear of your own act).
    With a `dedupe_key`, a notification that already exists under that key is not sent again
    (the ladder and the monthly reminders: once, whatever number of schedulers run)."""
    if not recipient or recipient == sender:
        return None
    row = Notification(recipient=recipient, kind=kind, sender=sender, text=text[:500], task_id=task_id,
                       instance_id=instance_id, dedupe_key=dedupe_key, created_at=clock.now())
    if dedupe_key is None:
        session.add(row)
        queue_notification(session, row)  # its mail, if the recipient asked for one at once
        return row
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)) is not None:
        return None
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another scheduler sent it a moment ago
        return None
    queue_notification(session, row)
    return row


def _dict(row: Notification, names: dict) -> dict:
    return {"id": row.id, "kind": row.kind, "sender": row.sender, "sender_name": names.get(row.sender) or row.sender,
            "text": row.text, "task_id": row.task_id, "instance_id": row.instance_id,
            "created_at": row.created_at.isoformat(), "read": row.read_at is not None}


class NotificationQueries(EngineParts):
    """Mixed into engine.service.Engine."""

    def notifications(self, actor: str, *, unread_only: bool = False, limit: int = 50, offset: int = 0) -> dict:
        """The actor's notifications, newest first, and how many are unread."""
        limit = max(1, min(limit, PAGE_MOST))
        with self.uow(write=False) as uow:
            session = uow.session
            access.actor(session, actor)
            query = select(Notification).where(Notification.recipient == actor)
            if unread_only:
                query = query.where(Notification.read_at.is_(None))
            rows = list(session.scalars(query.order_by(Notification.id.desc()).offset(offset).limit(limit + 1)))
            names = display_names(session, (r.sender for r in rows))
            return {"rows": [_dict(r, names) for r in rows[:limit]], "has_next": len(rows) > limit,
                    "unread": _unread(session, actor)}

    def unread_notifications(self, actor: str) -> int:
        with self.uow(write=False) as uow:
            return _unread(uow.session, actor)

    def mark_notifications_read(self, actor: str, ids: list[int] | None = None) -> int:
        """Mark the actor's notifications read (those of `ids`, or all); how many changed.
        Someone else's ids change nothing."""
        with self.uow() as uow:
            access.actor(uow.session, actor)
            query = update(Notification).where(Notification.recipient == actor, Notification.read_at.is_(None))
            if ids is not None:
                query = query.where(Notification.id.in_([int(i) for i in ids][:PAGE_MOST]))
            result = uow.session.execute(query.values(read_at=clock.now()).execution_options(synchronize_session=False))
            return result.rowcount


def _unread(session: Session, actor: str) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient == actor, Notification.read_at.is_(None))) or 0


def unread_about_task(session: Session, recipient: str, task_id: str) -> bool:
    return session.scalar(select(Notification.id).where(
        Notification.recipient == recipient, Notification.task_id == task_id, Notification.read_at.is_(None))
        .limit(1)) is not None


def mark_task_read(session: Session, recipient: str, task_id: str) -> None:
    """Opening a task reads what the recipient was told about it."""
    session.execute(update(Notification).where(
        Notification.recipient == recipient, Notification.task_id == task_id, Notification.read_at.is_(None))
        .values(read_at=clock.now()).execution_options(synchronize_session=False))
