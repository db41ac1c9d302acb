"""Unit of work: one command, one transaction.

A service function runs inside `with uow:`; everything it changed is committed once at
the end, or nothing is. Database-level races are translated into the engine's `Conflict`.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict

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
            try:
                self.session.connection(execution_options={"sanfu_write": True})
            except OperationalError as err:
                self.session.close()
                if _is_lock_error(err):
                    raise Conflict(CONFLICT_MESSAGE) from err
                raise
        return self

    def __exit__(self, exc_type, exc, tb):
        session, self.session = self.session, None
        try:
            if exc_type is None:
                self._commit(session)
            else:
                session.rollback()
        finally:
            session.close()
        if isinstance(exc, OperationalError) and _is_lock_error(exc):
            # A deadlock or lock timeout inside the command (PostgreSQL picked it as the victim):
            # nothing was saved; the user may retry.
            raise Conflict(CONFLICT_MESSAGE) from exc
        return False

    def _commit(self, session: Session) -> None:
        try:
            session.commit()
        except StaleDataError as err:
            session.rollback()
            raise Conflict(CONFLICT_MESSAGE) from err
        except OperationalError as err:
            session.rollback()
            if _is_lock_error(err):
                raise Conflict(CONFLICT_MESSAGE) from err
            raise

    def flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError as err:
            raise Conflict(CONFLICT_MESSAGE) from err
        except IntegrityError as err:
            raise Conflict(f"{CONFLICT_MESSAGE}: {err.orig}") from err
        except OperationalError as err:
            if _is_lock_error(err):
                raise Conflict(CONFLICT_MESSAGE) from err
            raise


def _is_lock_error(err: OperationalError) -> bool:
    text = str(err.orig).lower()
    return any(word in text for word in ("locked", "busy", "could not serialize", "deadlock detected",
                                         "lock timeout"))
