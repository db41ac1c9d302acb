"""Email on the Engine facade: each person's settings, the admin's view of the outbox (and
its 重新发送), and the two scheduler jobs — deliver what is due, queue the daily digests.

Delivery claims due rows in batches under a lease (engine.jobs.leases), so several
schedulers never send one row twice at once; it talks SMTP outside any transaction and
records the outcome afterwards. A scheduler that dies between sending and recording sends
that batch again once its lease expires: at least once, never lost."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine import access, clock
from engine.errors import Conflict, NotFound
from engine.jobs.leases import claim_batch
from engine.jobs.periodic import PeriodicJob
from engine.notifications import digest, mailer, outbox, preferences
from engine.runtime.facade import EngineParts
from engine.store import audit
from engine.store.supervision_tables import OutboxEmail
from engine.store.tables import User

BATCH = 20
OUTBOX_EVERY = 5  # seconds between deliveries
DIGEST_EVERY = 300  # seconds between looks for digests due (the first after the hour makes them)
PAGE_MOST = 200


class EmailCommands(EngineParts):
    """Mixed into engine.service.Engine."""

    # each person's settings ---------------------------------------------------------
    def email_settings(self, actor: str) -> dict:
        with self.uow(write=False) as uow:
            access.actor(uow.session, actor)
            email, mode = uow.session.execute(select(User.email, User.email_mode).where(User.name == actor)).one()
            mail = self.settings.mail
            return {"email": email, "mode": mode, "enabled": mail.enabled, "digest_hour": mail.digest_hour}

    def set_email_settings(self, actor: str, email: str | None, mode: str | None) -> dict:
        """Set the actor's own address and mode (only their own: there is no other user here)."""
        address, mode = preferences.clean_settings(email, mode)
        with self.uow() as uow:
            session = uow.session
            access.actor(session, actor)
            user = session.scalar(select(User).where(User.name == actor))
            changed = user.email != address
            user.email, user.email_mode = address, mode
            audit.record(session, actor, "email_settings_changed", detail={"mode": mode, "address_changed": changed})
            return {"email": address, "mode": mode}

    # the admin's outbox -------------------------------------------------------------
    def outbox(self, actor: str, *, status: str | None = None, limit: int = 50, offset: int = 0) -> dict:
        """Mails waiting or failed (or of one `status`), newest first, with the counts by status."""
        limit = max(1, min(limit, PAGE_MOST))
        shown = (status,) if status in outbox.STATUSES else (outbox.PENDING, outbox.FAILED)
        with self.uow(write=False) as uow:
            session = uow.session
            access.require_admin(session, actor)
            rows = list(session.scalars(select(OutboxEmail).where(OutboxEmail.status.in_(shown))
                                        .order_by(OutboxEmail.id.desc()).offset(offset).limit(limit + 1)))
            counts = dict(session.execute(select(OutboxEmail.status, func.count())
                                          .group_by(OutboxEmail.status)).all())
            return {"rows": [outbox.row_dict(r) for r in rows[:limit]], "has_next": len(rows) > limit,
                    "counts": {s: counts.get(s, 0) for s in outbox.STATUSES}, "enabled": self.settings.mail.enabled}

    def retry_email(self, actor: str, email_id: int) -> dict:
        """重新发送: a failed or waiting mail goes with the next delivery, attempts afresh."""
        with self.uow() as uow:
            session = uow.session
            access.require_admin(session, actor)
            row = session.get(OutboxEmail, email_id)
            if row is None:
                raise NotFound(f"邮件 {email_id} 不存在 (no such mail)", code="email_not_found")
            if row.status == outbox.SENT:
                raise Conflict(f"邮件 {email_id} 已发送 (the mail was sent)", code="email_sent")
            if not outbox.retry(session, row):
                raise Conflict(f"邮件 {email_id} 正在发送，请稍后再看 (the mail is being sent right now)",
                               code="email_sending")
            audit.record(session, actor, "email_retried",
                         detail={"email_id": row.id, "recipient": row.recipient, "status": row.status,
                                 "last_error": row.last_error})
            return {"id": row.id, "recipient": row.recipient, "status": outbox.PENDING}

    # scheduler jobs -----------------------------------------------------------------
    def email_jobs(self) -> list[PeriodicJob]:
        """The outbox's and the digest's scheduler jobs; none while email is off (no host)."""
        if not self.settings.mail.enabled:
            return []
        return [PeriodicJob("outbox", timedelta(seconds=OUTBOX_EVERY), self.deliver_outbox),
                PeriodicJob("email_digest", timedelta(seconds=DIGEST_EVERY), self.queue_digests)]

    def deliver_outbox(self, owner: str = "cli", *, batch: int = BATCH) -> dict:
        """Send every mail due now, a batch at a time; counts (sent, retrying, failed)."""
        mail = self.settings.mail
        counts = {outbox.SENT: 0, "retrying": 0, outbox.FAILED: 0}
        if not mail.enabled:
            return {**counts, "disabled": True}
        while True:
            with self.uow() as uow:
                ids = claim_batch(uow.session, OutboxEmail, owner, batch, OutboxEmail.next_attempt_at,
                                  *outbox.due_condition(clock.now()))
                items = outbox.snapshot(uow.session, ids)
            if not items:
                return counts
            result = mailer.send_batch(mail, items)  # no transaction open while SMTP talks
            with self.uow() as uow:
                for key, value in outbox.record_outcome(uow.session, owner, result).items():
                    counts[key] += value
            if len(items) < batch:
                return counts

    def queue_digests(self, owner: str = "cli") -> dict:
        """Today's digests, for whoever chose them and has unread notifications (once a day)."""
        mail = self.settings.mail
        if not mail.enabled:
            return {"queued": 0, "disabled": True}
        with self.uow() as uow:
            return digest.queue_digests(uow.session, mail, clock.now())
