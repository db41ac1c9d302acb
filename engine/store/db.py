"""Database connections: which database, with which settings.

`SANFU_DATABASE_URL` chooses the database; the default is a SQLite file in the instance
folder. SQLite runs in WAL mode with synchronous=NORMAL: a committed transaction survives
the process being killed (only an OS crash or power loss can lose the last commits), and
readers never block the writer.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import sessionmaker

from engine import config
from engine.store import liveness, write_behind
from engine.store.limits import install as install_limits  # each value checked against its column before a flush
from engine.store.uow import install as install_read_only_guard

# A command that waits this long for SQLite's write lock is logged (issue 11's bound at 16 clients).
WRITE_LOCK_WARN_SECONDS = 0.25
SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "synchronous": "NORMAL",
    "foreign_keys": "ON",
    "busy_timeout": "10000",
}


def instance_path() -> Path:
    return config.from_environ().instance_path


def default_url() -> str:
    return config.from_environ().database


def make_engine(url: str | None = None, **kwargs) -> Engine:
    url = url or default_url()
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if kwargs.get("pool_pre_ping"):
        return write_behind.install(create_engine(url, **kwargs))
    # pre-ping's guarantee without its round trip
    return write_behind.install(liveness.install(create_engine(url, **kwargs)))


def _sqlite_engine(url: str, **kwargs) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for name, value in SQLITE_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}={value}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Commands take the write lock up front (BEGIN IMMEDIATE): SQLite has one writer at
        # a time, and a deferred transaction that read first could not upgrade to a write
        # once another writer committed. Queries stay deferred and never block writers.
        if not conn.get_execution_options().get("sanfu_write", False):
            conn.exec_driver_sql("BEGIN")
            return
        asked = time.perf_counter()
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        note_write_lock_wait(time.perf_counter() - asked)

    return engine


def note_write_lock_wait(seconds: float) -> None:
    """One log line for a command that waited long for SQLite's single write lock: the sign
    that a site has outgrown SQLite (the README's answer is PostgreSQL). `sanfu bench-http`
    counts these lines."""
    if seconds >= WRITE_LOCK_WARN_SECONDS:
        logging.getLogger("sanfu.store").warning("SQLite write lock waited %d ms", round(seconds * 1000))


def sqlite_settings() -> dict[str, str]:
    return dict(SQLITE_PRAGMAS)


def session_factory(engine: Engine) -> sessionmaker:
    sessions = sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
    return install_read_only_guard(install_limits(sessions))
