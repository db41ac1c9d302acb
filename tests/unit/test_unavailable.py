"""Which database errors mean "the database cannot be reached" (503, retry) and which are bugs or
races: a refused connection or an admin shutdown is unavailable; SQLite's "no such table" is a bug
(500, logged with its traceback); "database is locked" stays a conflict."""
import sqlite3

import pytest
from sqlalchemy.exc import OperationalError, PendingRollbackError, ProgrammingError

from engine.store.uow import UnitOfWork, _is_lock_error, is_unavailable


class PgError(Exception):
    def __init__(self, message: str, sqlstate: str | None):
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("orig", [
    PgError('connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused', None),
    PgError("terminating connection due to administrator command", "57P01"),
    PgError("the database system is starting up", "57P03"),
    PgError("sorry, too many clients already", "53300"),
    PgError("server closed the connection unexpectedly", "08006"),
    sqlite3.OperationalError("unable to open database file"),
])
def test_unreachable_databases_are_unavailable(orig):
    assert is_unavailable(OperationalError("SELECT 1", {}, orig))


@pytest.mark.parametrize("error", [
    OperationalError("SELECT * FROM nope", {}, sqlite3.OperationalError("no such table: nope")),
    OperationalError("UPDATE t", {}, sqlite3.OperationalError("database is locked")),
    ProgrammingError("SELEC", {}, PgError('syntax error at or near "SELEC"', "42601")),
])
def test_bugs_and_races_are_not(error):
    assert not is_unavailable(error)


def test_a_lock_stays_a_conflict():
    assert _is_lock_error(OperationalError("UPDATE t", {}, sqlite3.OperationalError("database is locked")))


def test_an_invalidated_connection_is_unavailable():
    error = OperationalError("SELECT 1", {}, PgError("SSL SYSCALL error: EOF detected", None),
                             connection_invalidated=True)
    assert is_unavailable(error)


class _DeadSession:
    """A session whose connection SQLAlchemy invalidated: its rollback fails."""

    def connection(self, execution_options=None):
        return None

    def rollback(self):
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back")

    def close(self):
        pass


@pytest.mark.parametrize("stop", [SystemExit(0), KeyboardInterrupt()])
def test_a_stop_stays_a_stop_when_the_rollback_fails(stop):
    """SIGTERM's SystemExit raised while the command waited on the database: the failed rollback
    does not replace it with an error that a scheduler's `except Exception` would catch."""
    uow = UnitOfWork(lambda: _DeadSession())
    with pytest.raises(type(stop)):
        with uow:
            raise stop


def test_a_failed_rollback_after_a_bug_is_not_hidden():
    uow = UnitOfWork(lambda: _DeadSession())
    with pytest.raises(PendingRollbackError):
        with uow:
            raise ValueError("a bug in the command")
