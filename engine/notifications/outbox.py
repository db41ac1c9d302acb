"""The email outbox: a command only adds a row (in its own unit of work, so a mail exists
exactly when what it reports happened); the scheduler delivers it later (engine.notifications.
email), retrying with backoff, so sending never blocks or fails a command.

Whether email is on (an SMTP host is configured) travels with the Engine's sessions
(`attach`), so `notify()` needs no settings passed down to it: off, nothing is queued."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import clock
from engine.config import MailSettings
from engine.jobs.leases import unheld
from engine.notifications.mail_text import notification_mail
from engine.notifications.mailer import Outgoing
from engine.store.collab_tables import Notification
from engine.store.supervision_tables import OutboxEmail
from engine.store.tables import User

MAIL_KEY = "sanfu_mail"
PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 … minutes
LONGEST_WAIT = timedelta(hours=1)


def attach(sessions: sessionmaker, mail: MailSettings) -> None:
    """Every session of `sessions` knows the mail settings (Session.info)."""
    info = dict(sessions.kw.get("info") or {})
    info[MAIL_KEY] = mail
    sessions.configure(info=info)


def mail_settings(session: Session) -> MailSettings | None:
    """The settings when email is on, else None."""
    mail = session.info.get(MAIL_KEY)
    return mail if mail is not None and mail.enabled else None


def queue(session: Session, recipient: str, address: str, subject: str, body: str, *,
          dedupe_key: str | None = None, notification_id: int | None = None) -> bool:
    """Add a mail to the outbox, due now; with a `dedupe_key`, only if none exists under it
    (two schedulers making the same digest: one row). Whether it was added."""
    now = clock.now()
    row = OutboxEmail(recipient=recipient, address=address, subject=subject[:200], body=body,
                      notification_id=notification_id, dedupe_key=dedupe_key, status=PENDING, attempts=0,
                      next_attempt_at=now, last_error="", created_at=now)
    if dedupe_key is None:
        session.add(row)
        return True
    if session.scalar(select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another scheduler queued it a moment ago
        return False
    return True


def queue_notification(session: Session, row: Notification) -> None:
    """The mail for a notification just made, if its recipient asked for mail at once."""
    mail = mail_settings(session)
    if mail is None:
        return
    user = session.execute(select(User.email, User.email_mode, User.display_name)
                           .where(User.name == row.recipient, User.active.is_(True))).first()
    if user is None or user.email_mode != "immediate" or not user.email:
        return
    subject, body = notification_mail(mail.base_url, user.display_name or row.recipient, row.kind, row.text,
                                      row.created_at, row.task_id)
    queue(session, row.recipient, user.email, subject, body)


# --------------------------------------------------------------------------- delivery
def due_condition(now):
    return (OutboxEmail.status == PENDING, OutboxEmail.next_attempt_at <= now)


def snapshot(session: Session, ids: list[int]) -> list[Outgoing]:
    rows = session.execute(select(OutboxEmail.id, OutboxEmail.address, OutboxEmail.subject, OutboxEmail.body)
                           .where(OutboxEmail.id.in_(ids)).order_by(OutboxEmail.id)).all()
    return [Outgoing(*row) for row in rows]


def backoff(attempts: int) -> timedelta:
    """The wait before attempt `attempts` + 1: 1, 2, 4, 8 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def record_outcome(session: Session, owner: str, outcome: dict[int, str | None]) -> dict[str, int]:
    """Mark what was sent, and schedule a retry (or give up) for what was not; counts.
    Only rows this scheduler still holds the lease of are touched."""
    now, counts = clock.now(), {SENT: 0, "retrying": 0, FAILED: 0}
    rows = session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(list(outcome)),
                                                     OutboxEmail.lease_owner == owner))
    for row in rows:
        error = outcome[row.id]
        row.attempts += 1
        row.lease_owner, row.lease_until = None, None
        if error is None:
            row.status, row.sent_at = SENT, now
            counts[SENT] += 1
        elif row.attempts >= MAX_ATTEMPTS:
            row.status, row.last_error = FAILED, error
            counts[FAILED] += 1
        else:
            row.last_error, row.next_attempt_at = error, now + backoff(row.attempts)
            counts["retrying"] += 1
    return counts


def retry(session: Session, row: OutboxEmail) -> bool:
    """A failed (or waiting) mail goes again at once, with its attempts counted afresh; False
    when a scheduler is sending it right now (taking its lease away could send it twice)."""
    now = clock.now()
    free = or_(OutboxEmail.status == FAILED, and_(OutboxEmail.status == PENDING, unheld(OutboxEmail, now)))
    result = session.execute(update(OutboxEmail).where(OutboxEmail.id == row.id, free)
                             .values(status=PENDING, attempts=0, next_attempt_at=now, lease_owner=None,
                                     lease_until=None).execution_options(synchronize_session=False))
    return result.rowcount == 1


def row_dict(row: OutboxEmail) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None
    return {"id": row.id, "recipient": row.recipient, "address": row.address, "subject": row.subject,
            "body": row.body, "status": row.status, "attempts": row.attempts, "last_error": row.last_error,
            "next_attempt_at": iso(row.next_attempt_at), "created_at": iso(row.created_at),
            "sent_at": iso(row.sent_at), "dedupe_key": row.dedupe_key}
