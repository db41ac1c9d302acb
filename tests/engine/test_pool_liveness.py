"""PostgreSQL round trips every request used to pay, and the guarantees kept without them.

The pool asks the server whether a pooled connection lives only when its socket has news (a
killed backend, a restarted server); a query runs without BEGIN and COMMIT, and a query that
tried to write would be refused whole. The restart under load is tests/faults/test_postgresql_restart.py.
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text, update

from engine.service import Engine
from engine.store import liveness
from engine.store.tables import User
from engine.store.uow import read_one
from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.paths import FORMS


@pytest.fixture
def pg():
    from engine.store.migrate import upgrade
    db = _fresh_postgres(_postgres_or_skip())
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    engine.add_user("clerk", ["water"])
    yield engine
    db.dispose()


def _backend(engine: Engine) -> int:
    return read_one(engine.db, text("SELECT pg_backend_pid()"), {})[0]


@pytest.fixture
def pings(pg, monkeypatch):
    """Every ping the dialect sends (pool_pre_ping's and the liveness check's alike)."""
    sent, ping = [], pg.db.dialect.do_ping
    monkeypatch.setattr(pg.db.dialect, "do_ping", lambda conn: sent.append(conn) or ping(conn))
    return sent


def test_a_pooled_connection_is_reused_without_asking_the_server(pg, pings):
    first = _backend(pg)
    pg.add_user("another", ["water"])
    pg.inbox("clerk", "todo")
    assert _backend(pg) == first
    assert pings == [] and liveness.pings_sent(pg.db) == 0


def test_a_killed_backend_is_noticed_and_the_next_command_succeeds(pg, pings):
    killed = _backend(pg)
    admin = create_engine(pg.db.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed}).scalar()
            conn.execute(text("SELECT pg_sleep(0.2)"))   # the backend's goodbye reaches the socket
    finally:
        admin.dispose()
    pg.add_user("after", ["water"])          # a command on a fresh connection: no error for the user
    assert len(pings) == liveness.pings_sent(pg.db) == 1   # the dead socket had news: the server was asked
    assert _backend(pg) != killed
    assert pg.inbox("after", "todo")["counts"]["todo"] == 0


def test_a_query_sends_no_begin_and_a_command_keeps_its_transaction(pg):
    # now() is the transaction's start: a statement after a BEGIN of its own starts later than that
    same = text("SELECT now() = statement_timestamp()")
    with pg.uow(write=False) as uow:
        assert uow.session.execute(same).scalar() is True
    with pg.uow() as uow:
        assert uow.session.execute(same).scalar() is False


def test_a_query_that_tries_to_write_is_refused_and_saves_nothing(engine):
    """On both databases: the same code must not work on SQLite and half-write on PostgreSQL."""
    engine.add_user("clerk", ["water"])
    with pytest.raises(RuntimeError, match="read-only unit of work"):
        with engine.uow(write=False) as uow:
            uow.session.add(User(name="ghost", display_name="ghost"))
    with pytest.raises(RuntimeError, match="read-only unit of work"):
        with engine.uow(write=False) as uow:
            uow.session.execute(update(User).where(User.name == "clerk").values(display_name="改了"))
    with pytest.raises(RuntimeError, match="read-only unit of work"):
        with engine.uow(write=False) as uow:
            uow.session.scalar(select(User).where(User.name == "clerk")).display_name = "改了"
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(User).where(User.name == "ghost")) == 0
        assert uow.session.scalar(select(User.display_name).where(User.name == "clerk")) != "改了"
