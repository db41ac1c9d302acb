"""Leases: how several scheduler processes share the due jobs without firing one twice.

A job row (a timer, a timer start event) is claimed with one conditional UPDATE that sets
`lease_owner` and `lease_until` only if the row is due and its lease is free or expired —
atomic on SQLite and PostgreSQL alike; timers are claimed a batch at a time, with one
UPDATE per batch. A scheduler that dies holding a lease loses it when it expires; another
then takes the row over."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import clock

LEASE = timedelta(minutes=5)


def unheld(table, now):
    """The condition that nobody holds the row's lease (never leased, released, or expired)."""
    return (table.lease_until.is_(None)) | (table.lease_until < now)


def claim(session: Session, table, row_id: int, owner: str, *due) -> bool:
    """Take the lease on row `row_id` of `table` where the `due` conditions hold; False if
    another scheduler holds it or the row is no longer due."""
    now = clock.now()
    result = session.execute(
        update(table).where(table.id == row_id, *due, unheld(table, now))
        .values(lease_owner=owner, lease_until=now + LEASE)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def claim_batch(session: Session, table, owner: str, limit: int, order_by, *due) -> list[int]:
    """Take the lease on up to `limit` rows of `table` where the `due` conditions hold and
    nobody holds a lease, first by `order_by`, with one UPDATE; their ids, in that order.

    On PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so schedulers claiming at the
    same moment take different rows instead of queueing behind each other; a row another
    claim has just leased fails the conditions when re-checked and is left alone. SQLite
    runs one writer at a time, so its plain conditional UPDATE never overlaps another."""
    now = clock.now()
    free_and_due = (*due, unheld(table, now))
    # MATERIALIZED: the batch is picked once. As a plain subquery, PostgreSQL may rescan it
    # for every row of a nested-loop join, locking and leasing far more than `limit` rows.
    batch = (select(table.id).where(*free_and_due).order_by(order_by).limit(limit)
             .with_for_update(skip_locked=True).cte("batch").prefix_with("MATERIALIZED"))
    rows = session.execute(
        update(table).where(table.id.in_(select(batch.c.id)), *free_and_due)
        .values(lease_owner=owner, lease_until=now + LEASE)
        .returning(table.id, order_by)
        .execution_options(synchronize_session=False)).all()
    return [row_id for row_id, _order in sorted(rows, key=lambda row: (row[1], row[0]))]


def release(session: Session, table, row_ids: Sequence[int], owner: str,
            retry_after: timedelta | None = None) -> None:
    """Give up `owner`'s leases on `row_ids`: free at once, or only after `retry_after`
    (a job to retry soon, but not in a tight loop)."""
    until = clock.now() + retry_after if retry_after else None
    session.execute(update(table).where(table.id.in_(row_ids), table.lease_owner == owner)
                    .values(lease_owner=None, lease_until=until)
                    .execution_options(synchronize_session=False))
