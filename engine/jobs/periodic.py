"""Periodic scheduler jobs (the escalation ladder, the liaison's monthly service check, the
email outbox): each runs every so often, by one scheduler at a time.

A job is due when its row in scheduled_job_runs was last run `every` ago or more; the
scheduler that moves `last_run_at` forward with one conditional UPDATE runs it, the others
see a row that is no longer due. This only saves repeated work: each job is itself safe to
run twice at once (its steps are once-only by their own keys), which is what makes every
ladder step, digest and reminder happen exactly once."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import clock
from engine.store.supervision_tables import ScheduledJobRun


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    run: Callable[[str], dict]  # owner -> a result to log (counts)


def is_due(session: Session, name: str, every: timedelta) -> bool:
    """A read without a write lock: whether job `name` may be due (take_turn decides)."""
    last = session.scalar(select(ScheduledJobRun.last_run_at).where(ScheduledJobRun.name == name))
    return last is None or last <= clock.now() - every


def take_turn(session: Session, name: str, every: timedelta, owner: str) -> bool:
    """Whether this scheduler (`owner`) runs job `name` now; if so, its run is recorded."""
    now = clock.now()
    if session.get(ScheduledJobRun, name) is None:
        try:
            with session.begin_nested():
                session.add(ScheduledJobRun(name=name, last_run_at=None, last_result={}))
        except IntegrityError:  # another scheduler added it at the same moment
            pass
    result = session.execute(
        update(ScheduledJobRun)
        .where(ScheduledJobRun.name == name,
               (ScheduledJobRun.last_run_at.is_(None)) | (ScheduledJobRun.last_run_at <= now - every))
        .values(last_run_at=now, lease_owner=owner)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def record_result(session: Session, name: str, result: dict) -> None:
    session.execute(update(ScheduledJobRun).where(ScheduledJobRun.name == name)
                    .values(last_result=result).execution_options(synchronize_session=False))


def last_runs(session: Session) -> list[dict]:
    """Every job's last run, for the admin and the health check."""
    return [{"name": r.name, "last_run_at": r.last_run_at.isoformat() if r.last_run_at else None,
             "owner": r.lease_owner, "result": r.last_result or {}}
            for r in session.scalars(select(ScheduledJobRun).order_by(ScheduledJobRun.name))]
