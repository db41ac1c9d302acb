"""每日汇总: people who chose the daily digest get one mail a day (from the configured Beijing
hour on) listing their notifications still unread since their previous digest; nothing when
there is nothing new. The outbox's dedupe key `digest:<user>:<date>` makes it one mail
whatever number of schedulers run the job at the same moment."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.config import MailSettings
from engine.notifications.mail_text import DIGEST_MOST, digest_mail
from engine.notifications.outbox import queue
from engine.store.collab_tables import Notification
from engine.store.supervision_tables import OutboxEmail
from engine.store.tables import User


def digest_key(name: str, day: date) -> str:
    return f"digest:{name}:{day.isoformat()}"


def queue_digests(session: Session, mail: MailSettings, now: datetime) -> dict:
    """Queue today's digest for each person who chose it and has something unread; counts."""
    local = clock.to_local(now)
    if local.hour < mail.digest_hour:
        return {"queued": 0, "waiting_for_hour": mail.digest_hour}
    day, queued = local.date(), 0
    people = session.execute(select(User.name, User.email, User.display_name)
                             .where(User.email_mode == "digest", User.email != "", User.active.is_(True))
                             .order_by(User.name)).all()
    for person in people:
        key = digest_key(person.name, day)
        if session.scalar(select(OutboxEmail.id).where(OutboxEmail.dedupe_key == key)) is not None:
            continue
        items, total = _unread_since(session, person.name, _previous_digest(session, person.name))
        if not total:
            continue
        subject, body = digest_mail(mail.base_url, person.display_name or person.name, day, items, total)
        queued += queue(session, person.name, person.email, subject, body, dedupe_key=key)
    return {"queued": queued, "people": len(people)}


def _previous_digest(session: Session, name: str) -> datetime | None:
    return session.scalar(select(func.max(OutboxEmail.created_at)).where(
        OutboxEmail.recipient == name,
        OutboxEmail.dedupe_key.startswith(f"digest:{name}:", autoescape=True)))


def _unread_since(session: Session, name: str, since: datetime | None) -> tuple[list[dict], int]:
    """The newest DIGEST_MOST unread notifications made after `since`, and how many in all."""
    where = [Notification.recipient == name, Notification.read_at.is_(None)]
    if since is not None:
        where.append(Notification.created_at > since)
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    if not total:
        return [], 0
    rows = session.scalars(select(Notification).where(*where).order_by(Notification.id.desc()).limit(DIGEST_MOST))
    return [{"kind": r.kind, "text": r.text, "created_at": r.created_at, "task_id": r.task_id} for r in rows], total
