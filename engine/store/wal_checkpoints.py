"""SQLite's WAL checkpoints taken off the command path.

In WAL mode every commit appends the pages it changed to the `-wal` file (a completion writes
~23 pages: the task row and its 14 indexes, the audit row and its 3, the instance); a checkpoint
copies them back into the database file so the WAL can start over. By default SQLite runs that
checkpoint inside the commit that takes the WAL past 1,000 pages (`wal_autocheckpoint`): every
~45th command paid ~4 MB of copying, ~0.15 ms on the mean completion of `sanfu bench`.

Here the command connections do not checkpoint (`wal_autocheckpoint=0`). Each process that
writes runs one daemon thread with a connection of its own that takes a PASSIVE checkpoint
(it never waits for readers or writers, and never blocks them) after every WAKE_EVERY commands
and on a short timer. The sqlite3 module releases the GIL while SQLite works, so the copying
runs beside the next command. The WAL only starts over when a writer begins while every frame
is copied, which a stream of commands rarely leaves room for: so the first connection to come
back to the pool after the thread's checkpoint copies the few frames committed meanwhile itself
(PASSIVE again, ~1 command's pages), and the next command starts the WAL over.
Several processes (gunicorn workers, the scheduler) each have a
checkpointer; SQLite lets one checkpoint run at a time and a PASSIVE one that finds another
running just returns.

The WAL stays bounded even if that thread falls behind or dies: a connection that finds
FALLBACK_AFTER commands since the last complete checkpoint takes one itself as it goes back to
the pool, as SQLite's own autocheckpoint would have. A checkpoint can only complete when no
reader still needs the old pages, with or without this module.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import weakref

from sqlalchemy import Engine, event

WAKE_EVERY = 16  # commands (~1.5 MB of WAL at a completion's ~23 pages)
TIMER_SECONDS = 1.0  # and whatever a quiet process committed since, within a second
FALLBACK_AFTER = 256  # commands without a complete checkpoint: the committing connection takes one

log = logging.getLogger("sanfu.store")
_installed: weakref.WeakKeyDictionary[Engine, WalCheckpoints] = weakref.WeakKeyDictionary()


def install(engine: Engine) -> None:
    """Checkpoint `engine`'s SQLite file off the command path; anything else is left as it is
    (PostgreSQL, an in-memory SQLite database)."""
    path = sqlite_file(engine)
    if path is None or engine in _installed:
        return
    checkpoints = _installed[engine] = WalCheckpoints(path)
    event.listen(engine.pool, "checkout", checkpoints.on_checkout)
    event.listen(engine.pool, "checkin", checkpoints.on_checkin)


def sqlite_file(engine: Engine) -> str | None:
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return url.database


def of(engine: Engine) -> WalCheckpoints | None:
    return _installed.get(engine)


class WalCheckpoints:
    """One per database file and process; `thread` is (re)started in the process that uses it
    (a forked gunicorn worker does not inherit its parent's thread)."""

    def __init__(self, path: str):
        self.path = path
        self.pending = 0  # commands returned to the pool since the last complete checkpoint
        self.completed = 0  # complete checkpoints taken
        self._finish = False  # the thread copied the bulk: the next connection back copies the rest
        self._wake = threading.Event()
        self._pid: int | None = None
        self._lock = threading.Lock()

    # the command path: a few attribute reads per command ---------------------------------
    def on_checkout(self, dbapi_conn, record, _proxy) -> None:
        if not record.info.get("sanfu_no_autocheckpoint"):
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")
            record.info["sanfu_no_autocheckpoint"] = True
        if self._pid != os.getpid():
            self._start_thread()

    def on_checkin(self, dbapi_conn, _record) -> None:
        if dbapi_conn is None:  # invalidated connection
            return
        self.pending += 1  # not exact across threads (no lock on the hot path); it only paces
        if self._finish or self.pending >= FALLBACK_AFTER:
            self._finish = False
            self._finish_here(dbapi_conn)
        elif self.pending % WAKE_EVERY == 0:
            self._wake.set()

    def _finish_here(self, dbapi_conn) -> None:
        try:
            self._note(dbapi_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
        except sqlite3.Error as err:  # the pool must get its connection back regardless
            log.warning("WAL checkpoint failed: %s", err)

    # the checkpointer thread -----------------------------------------------------------
    def _start_thread(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._wake = threading.Event()
            threading.Thread(target=self._run, name="sanfu-wal-checkpoints", daemon=True).start()

    def _run(self) -> None:
        pid = os.getpid()
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while self._pid == pid:
                self._wake.wait(TIMER_SECONDS)
                self._wake.clear()
                if self.pending:
                    self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            busy, _frames, _copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as err:  # a locked or vanished file: try again at the next wake
            log.warning("WAL checkpoint failed: %s", err)
            return
        self._finish = not busy

    def _note(self, result: tuple[int, int, int]) -> None:
        busy, wal_frames, copied = result
        if not busy and copied == wal_frames:  # all copied: the next writer starts the WAL over
            self.pending = 0
            self.completed += 1
