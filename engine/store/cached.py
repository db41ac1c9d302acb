"""A value read from the database and kept per database for a while: what every command
asks but rarely changes (the working-day calendar, which SLA table is deployed).

Kept per database engine (tests and tools open several), for `seconds`; a change made
through this process calls `forget`, so it is seen at once here and within `seconds` by
the other processes (web workers, schedulers)."""
from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class PerDatabase(Generic[T]):
    def __init__(self, load: Callable[[Session], T], seconds: float = 60.0):
        self._load, self._seconds = load, seconds
        self._values: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (read at, value)
        self._lock = threading.Lock()

    def get(self, session: Session) -> T:
        key, now = _database(session), time.monotonic()
        with self._lock:
            cached = self._values.get(key)
        if cached is not None and now - cached[0] < self._seconds:
            return cached[1]
        value = self._load(session)
        with self._lock:
            self._values[key] = (now, value)
        return value

    def forget(self, session: Session) -> None:
        with self._lock:
            self._values.pop(_database(session), None)


def _database(session: Session):
    bind = session.get_bind()
    return getattr(bind, "engine", bind)
