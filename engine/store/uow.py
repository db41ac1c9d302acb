"""Unit of work: one command, one transaction.

A service function runs inside `with uow:`; everything it changed is committed once at
the end, or nothing is. Database-level races are translated into the engine's `Conflict`, and
a database that cannot be reached (down, restarting, a dropped connection) into `Unavailable`.
"""
from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict, InvalidInput, Unavailable

READ_ONLY = "sanfu_read_only"   # session.info: a query's unit of work, which must not write
AFTER_COMMIT = "sanfu_after_commit"  # session.info: what to run once the transaction has committed
CONFLICT_MESSAGE = ("该流程实例已被其他人同时修改，本次操作未保存，请刷新后重试 "
                    "(conflict: the instance was changed by someone else; nothing was saved)")


class UnitOfWork:
    def __init__(self, sessions: sessionmaker, write: bool = True):
        self._sessions = sessions
        self._write = write
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        if self._write:
            self._open({"sanfu_write": True})
            return self
        self.session.info[READ_ONLY] = True
        if self.session.get_bind().dialect.name == "postgresql":
            self._open({"isolation_level": "AUTOCOMMIT"})
        return self

    def _open(self, options: dict) -> None:
        """Check out the connection now, so that a busy or unreachable database is told apart.

        A query on PostgreSQL runs without BEGIN and COMMIT: under READ COMMITTED each statement
        of a transaction sees its own snapshot anyway, so the transaction would only add two
        round trips to every page. It must not write (checked at each flush: `forbid_writes`)."""
        try:
            self.session.connection(execution_options=options)
        except DBAPIError as err:
            _close_quietly(self.session)
            if isinstance(err, OperationalError) and _is_lock_error(err):
                raise Conflict(CONFLICT_MESSAGE) from err
            if is_unavailable(err):
                raise Unavailable() from err
            raise

    def __exit__(self, exc_type, exc, tb):
        session, self.session = self.session, None
        try:
            if exc_type is None:
                self._commit(session)
            else:
                _rollback_quietly(session, exc)
        finally:
            _close_quietly(session)
        if isinstance(exc, DBAPIError) and is_unavailable(exc):
            raise Unavailable() from exc
        refused = refused_value(exc)
        if refused is not None:
            raise refused from exc
        if isinstance(exc, OperationalError) and _is_lock_error(exc):
            # A deadlock or lock timeout inside the command (PostgreSQL picked it as the victim):
            # nothing was saved; the user may retry.
            raise Conflict(CONFLICT_MESSAGE) from exc
        return False

    def _commit(self, session: Session) -> None:
        try:
            session.commit()
            for callback in session.info.pop(AFTER_COMMIT, ()):
                callback()
        except StaleDataError as err:
            session.rollback()
            raise Conflict(CONFLICT_MESSAGE) from err
        except DBAPIError as err:
            _rollback_quietly(session, err)
            if isinstance(err, OperationalError) and _is_lock_error(err):
                raise Conflict(CONFLICT_MESSAGE) from err
            if is_unavailable(err):  # the commit's outcome is unknown only if the link died mid-COMMIT
                raise Unavailable() from err
            refused = refused_value(err)
            if refused is not None:
                raise refused from err
            raise

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as err:
            raise Conflict(CONFLICT_MESSAGE) from err
        except IntegrityError as err:
            raise Conflict(f"{CONFLICT_MESSAGE}: {err.orig}") from err
        except (DataError, OverflowError) as err:
            raise refused_value(err) from err
        except OperationalError as err:
            if _is_lock_error(err):
                raise Conflict(CONFLICT_MESSAGE) from err
            raise


def after_commit(session: Session, callback) -> None:
    """Run `callback()` once this unit of work's transaction has committed; never if it does not."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


def forbid_writes(session: Session, _flush_context, _instances) -> None:
    """A query's unit of work never writes: on PostgreSQL it has no transaction, so a write there
    would be saved statement by statement. Refuse it whole, before anything is sent, on both
    databases alike (a bug, never user input)."""
    if session.info.get(READ_ONLY) and (session.new or session.deleted or _changed(session)):
        raise RuntimeError("a read-only unit of work tried to write: use engine.uow() for a command")


def forbid_write_statements(state) -> None:
    """The same for an INSERT, UPDATE or DELETE sent through the session."""
    if state.session.info.get(READ_ONLY) and (state.is_insert or state.is_update or state.is_delete):
        raise RuntimeError("a read-only unit of work tried to write: use engine.uow() for a command")


def _changed(session: Session) -> bool:
    return any(session.is_modified(obj) for obj in session.dirty)


def install(sessions: sessionmaker) -> sessionmaker:
    """Guard the writes of the sessions `sessions` (a new sessionmaker) makes (see forbid_writes).
    Listened unconditionally, as engine.store.limits.install says why."""
    event.listen(sessions, "before_flush", forbid_writes)
    event.listen(sessions, "do_orm_execute", forbid_write_statements)
    return sessions


def read_one(db: Engine, statement, params: dict):
    """The first row of one read-only statement, outside any transaction on PostgreSQL: a
    single SELECT sees one snapshot anyway, so BEGIN and COMMIT would only add two round trips
    to every authenticated request (the sign-in and API-token checks). SQLite keeps its
    deferred BEGIN (it costs no round trip, and AUTOCOMMIT would reset the driver's own
    transaction handling on the way back to the pool). An unreachable database → Unavailable."""
    try:
        with db.connect() as conn:
            if db.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            return conn.execute(statement, params).first()
    except DBAPIError as err:
        if is_unavailable(err):
            raise Unavailable() from err
        raise


# SQLSTATE class 22 (data exception): a value the column cannot hold. What the command's own
# checks missed, the database refuses; the command saved nothing and the user hears why.
_TOO_LONG, _OUT_OF_RANGE = "22001", "22003"


def refused_value(err: BaseException | None) -> InvalidInput | None:
    """A value the database refused (too long for its column, a number out of range, a malformed
    date or character): InvalidInput — a 422, not a 500. SQLite stores any length, so there only
    an integer past 64 bits is refused (by the driver, as OverflowError)."""
    if isinstance(err, OverflowError):
        state = _OUT_OF_RANGE
    elif isinstance(err, DataError):
        state = getattr(err.orig, "sqlstate", None) or ""
    else:
        return None
    if state == _TOO_LONG:
        return InvalidInput("提交的内容超过允许的长度，未保存 (a value is longer than allowed; nothing was saved)",
                            code="value_too_long")
    if state == _OUT_OF_RANGE:
        return InvalidInput("数值超出允许的范围，未保存 (a number is out of range; nothing was saved)",
                            code="value_out_of_range")
    return InvalidInput("提交的内容格式不正确，未保存 (a value is malformed; nothing was saved)", code="bad_value")


def _is_lock_error(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return any(word in text for word in ("locked", "busy", "could not serialize", "deadlock detected",
                                         "lock timeout"))


# PostgreSQL SQLSTATEs of a server that cannot be reached or is going away: connection exceptions
# (08…), admin/crash shutdown, cannot connect now, too many connections.
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
_UNAVAILABLE_WORDS = ("connection refused", "could not connect", "server closed the connection",
                      "terminating connection", "connection is closed", "the database system is",
                      "unable to open database file", "disk i/o error", "connection timeout expired")


def is_unavailable(err: DBAPIError) -> bool:
    """Whether `err` says the database cannot be reached (not a bug in a statement, not a race)."""
    if getattr(err, "connection_invalidated", False):
        return True
    if not isinstance(err, (OperationalError, InterfaceError)):
        return False
    state = getattr(err.orig, "sqlstate", None) or ""
    if state.startswith(_UNAVAILABLE_STATES):
        return True
    text = str(err.orig).lower()
    return any(word in text for word in _UNAVAILABLE_WORDS)


def _rollback_quietly(session: Session, cause: BaseException | None) -> None:
    """Roll back; on a dead connection the rollback fails too, and the cause is what matters.
    Above all a stop (SystemExit from SIGTERM, KeyboardInterrupt), which SQLAlchemy meets by
    invalidating the connection: the failed rollback must not turn it into an error that a
    caller's `except Exception` would catch and carry on (a scheduler that ran on after SIGTERM)."""
    try:
        session.rollback()
    except Exception as err:
        stopping = cause is not None and not isinstance(cause, Exception)
        if not stopping and not (isinstance(err, DBAPIError) and isinstance(cause, DBAPIError)):
            raise


def _close_quietly(session: Session) -> None:
    try:
        session.close()
    except DBAPIError:
        pass
