"""What `/healthz` reports to a reverse proxy or a monitor: the database answers, its schema is the
one this code expects (`sanfu init` upgrades it), and how long ago a scheduler last ran a periodic
job (the ladder runs every 30 s, so a quiet scheduler shows within a minute). Reads only; no login:
it says nothing about people or cases."""
from __future__ import annotations

from sqlalchemy import func, select, text

from engine import clock
from engine.runtime.facade import EngineParts
from engine.store.migrate import current_revision, head_revision
from engine.store.supervision_tables import ScheduledJobRun

SCHEDULER_STALE_SECONDS = 120


class HealthQueries(EngineParts):
    def health(self) -> dict:
        """{"database", "migrations": {current, head, ok}, "scheduler": {last_seen, age_seconds, ok}};
        raises Unavailable when the database cannot be reached."""
        with self.uow(write=False) as uow:
            session = uow.session
            session.execute(text("SELECT 1"))
            current, head = current_revision(session.connection()), head_revision()
            last = session.scalar(select(func.max(ScheduledJobRun.last_run_at))) if current == head else None
        age = (clock.now() - last).total_seconds() if last else None
        return {"database": True,
                "migrations": {"current": current, "head": head, "ok": current == head},
                "scheduler": {"last_seen": last.isoformat() if last else None,
                              "age_seconds": round(age) if age is not None else None,
                              "ok": age is not None and age <= SCHEDULER_STALE_SECONDS}}
