"""Leases: how several scheduler processes share the due jobs without firing one twice.

A job row (a timer, a timer start event) is claimed with one conditional UPDATE that sets
`lease_owner` and `lease_until` only if the row is due and its lease is free or expired —
atomic on SQLite and PostgreSQL alike. A scheduler that dies holding a lease loses it when
it expires; another then takes the row over."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import clock

LEASE = timedelta(minutes=5)


def claim(session: Session, table, row_id: int, owner: str, *due) -> bool:
    """Take the lease on row `row_id` of `table` where the `due` conditions hold; False if
    another scheduler holds it or the row is no longer due."""
    now = clock.now()
    result = session.execute(
        update(table).where(table.id == row_id, *due)
        .where((table.lease_until.is_(None)) | (table.lease_until < now))
        .values(lease_owner=owner, lease_until=now + LEASE)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1
