"""A SQLite file's WAL is checkpointed beside the commands (engine.store.wal_checkpoints): the
command connections never checkpoint inside a commit, and yet the WAL stays bounded."""
from __future__ import annotations

import os

from engine.bench.hot_path import MODEL
from engine.service import Engine
from engine.store import wal_checkpoints
from engine.store.migrate import upgrade

COMMANDS = 300  # ~23 pages each: ~28 MB of WAL if nothing were ever checkpointed


def _engine(tmp_path) -> tuple[Engine, str]:
    path = tmp_path / "wal.db"
    engine = Engine(f"sqlite:///{path}", forms_dir=tmp_path / "no-forms")
    upgrade(engine.db)
    engine.add_user("designer", roles=("designer",))
    engine.add_user("bench")
    engine.deploy([MODEL], "designer")
    return engine, f"{path}-wal"


def test_a_stream_of_commands_leaves_the_wal_bounded(tmp_path):
    engine, wal = _engine(tmp_path)
    largest = 0
    for _ in range(COMMANDS):
        engine.start("Process_three_user_tasks", "bench")
        largest = max(largest, os.path.getsize(wal))
    checkpoints = wal_checkpoints.of(engine.db)
    assert checkpoints.completed > 0
    assert largest < 8 * 1024 * 1024, largest  # SQLite's own default keeps it near 4 MB
    engine.db.dispose()


def test_command_connections_leave_checkpoints_to_the_thread(tmp_path):
    engine, _wal = _engine(tmp_path)
    with engine.db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    engine.db.dispose()


def test_the_wal_is_bounded_without_the_thread_too(tmp_path, monkeypatch):
    """If the thread never runs (or died), a connection going back to the pool checkpoints."""
    monkeypatch.setattr(wal_checkpoints.WalCheckpoints, "_start_thread", lambda self: None)
    engine, wal = _engine(tmp_path)
    for _ in range(COMMANDS):
        engine.start("Process_three_user_tasks", "bench")
    assert wal_checkpoints.of(engine.db).completed > 0
    assert os.path.getsize(wal) < 2 * wal_checkpoints.FALLBACK_AFTER * 32 * 4096
    engine.db.dispose()


def test_memory_and_postgres_databases_are_left_alone():
    from sqlalchemy import create_engine
    assert wal_checkpoints.sqlite_file(create_engine("sqlite://")) is None
    assert wal_checkpoints.sqlite_file(create_engine("sqlite:///:memory:")) is None
    assert wal_checkpoints.sqlite_file(create_engine("postgresql+psycopg://u:p@h/db")) is None
