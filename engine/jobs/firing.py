"""Draining the due timers: what `sanfu fire-timers` and each tick of `sanfu scheduler` do.

A batch of due timers is claimed with one conditional UPDATE (engine.jobs.leases), then
each timer is fired in a transaction of its own, so one instance's failure rolls back none
of the others; batch follows batch until none is left, so one call drains a backlog of
any size. Several schedulers share a backlog batch by batch: a timer is fired only by the
holder of its lease. Timer start events (engine.jobs.start_events) follow, each due one
fired once per call. A stop asked of the process (engine.jobs.stopping) ends a drain after
the timer under way, the rest of the batch given back.

The Engine is passed in, with the function that fires one claimed timer (it loads and
advances an instance: engine.service, a layer above this one).
"""
from __future__ import annotations

import fcntl
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from engine.errors import Conflict, Unavailable
from engine.jobs import start_events, stopping, timer_rows

# A timer whose instance changed while it fired (another command saved first) is retried
# after this pause, not in a tight loop against the same contention.
RETRY_AFTER = timedelta(seconds=2)

FireTimer = Callable[[int, str], str]  # (timer id, owner) → 'fired'|'failed'|'skipped'|'conflict'

# Claims a scheduler could not give back because the database went away in the middle of a
# batch, per owner: given back first thing when it drains again, instead of waiting out their
# lease (five minutes) after an outage of a few seconds.
_UNRETURNED: dict[str, set[int]] = {}


def fire_due(engine, owner: str, fire_timer: FireTimer) -> dict:
    """Fire everything due as of now; the true counts: due (claimed timers and due start
    events), fired, failed, started (instances started by timer start events)."""
    counts = {"due": 0, "fired": 0, "failed": 0, "started": 0}
    _release(engine, sorted(_UNRETURNED.pop(owner, ())), owner)
    while not stopping.requested() and (batch := _claim(engine, owner)):
        counts["due"] += len(batch)
        _fire_batch(engine, batch, owner, fire_timer, counts)
    _fire_start_events(engine, owner, counts)
    return counts


def anything_due(engine) -> bool:
    """Whether a timer or timer start event is due that no scheduler holds (a read: an idle
    scheduler asks this often without taking SQLite's write lock)."""
    if _UNRETURNED:
        return True  # claims this process could not give back during an outage: give them back now
    with engine.uow(write=False) as uow:
        return timer_rows.any_due(uow.session) or bool(start_events.due_ids(uow.session, limit=1))


def _claim(engine, owner: str) -> list[int]:
    try:
        with writer_turn(engine.db), engine.uow() as uow:
            return timer_rows.claim_due(uow.session, owner)
    except Conflict:
        return []  # SQLite stayed locked past the busy timeout: the next tick drains on


def _fire_batch(engine, batch: list[int], owner: str, fire_timer: FireTimer, counts: dict) -> None:
    for done, timer_id in enumerate(batch):
        if stopping.requested():
            _release(engine, batch[done:], owner)
            return
        try:
            outcome = fire_timer(timer_id, owner)
        except BaseException as err:
            # Stopped at once (a second Ctrl-C or SIGTERM) or the database gone: whatever is not
            # fired goes back at once. An unexpected error: the rest goes back, but the timer
            # that raised keeps its lease, retried when it expires, not in a loop that would
            # hold up the backlog.
            unexpected = isinstance(err, Exception) and not isinstance(err, Unavailable)
            _release(engine, batch[done + 1:] if unexpected else batch[done:], owner)
            raise
        if outcome == "conflict":
            _release(engine, [timer_id], owner, RETRY_AFTER)
        elif outcome in counts:
            counts[outcome] += 1


def _release(engine, timer_ids: list[int], owner: str, retry_after: timedelta | None = None) -> None:
    if not timer_ids:
        return
    try:
        with writer_turn(engine.db), engine.uow() as uow:
            timer_rows.release(uow.session, timer_ids, owner, retry_after)
    except Conflict:
        pass  # the leases expire by themselves
    except Unavailable:
        _UNRETURNED.setdefault(owner, set()).update(timer_ids)  # given back when the database is back


def _fire_start_events(engine, owner: str, counts: dict) -> None:
    """One firing of each due timer start event: a bounded cycle that missed several
    repetitions catches up one per call (engine.jobs.start_events)."""
    with engine.uow(write=False) as uow:
        due = start_events.due_ids(uow.session, limit=None)
    counts["due"] += len(due)
    for row_id in due:
        if stopping.requested():
            return
        outcome = start_events.fire_one(engine, row_id, owner)
        counts["started"] += outcome == "started"
        counts["failed"] += outcome == "failed"


@contextmanager
def writer_turn(db):
    """On a SQLite file, schedulers take turns at the write lock through a file lock beside
    the database: a waiting scheduler wakes the moment the other lets go, where SQLite's
    busy handler polls with growing sleeps (1, 2, 5, 10 … ms) and so mostly sleeps through
    the gaps between another scheduler's firings. Then two schedulers fire side by side,
    one saving while the other loads and advances its next instance. A no-op elsewhere
    (PostgreSQL has row locks and no single writer)."""
    path = db.url.database if db.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}-timers.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
