"""Whether a pooled PostgreSQL connection is still alive, checked without a round trip.

SQLAlchemy's `pool_pre_ping` sends an empty statement to the server at every checkout: one round
trip of the ten in an API request, on every request (two per authenticated API call). A server
that went away (restarted, stopped, the backend killed) has closed its end of the socket — with
a 57P01 message, or by the kernel's FIN when the process died — so the idle connection's socket
turns readable. A healthy idle connection has nothing to read. The check polls the socket
without waiting: silence means alive; anything to read means ask the server for real (the
ping), and a failed ping drops every pooled connection older than now, as pre-ping does.

What neither check can see is a server that dies between the check and the first statement; the
command then fails whole and the user hears 数据库暂时不可用 (uow.Unavailable), as before.
"""
from __future__ import annotations

import select
import weakref

from sqlalchemy import Engine, event
from sqlalchemy.exc import InvalidatePoolError

_pings_sent: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def install(engine: Engine) -> Engine:
    """Check each pooled connection at checkout; a fresh connection needs no check."""
    dialect, pool = engine.dialect, engine.pool
    _pings_sent[pool] = 0

    @event.listens_for(pool, "connect")
    def _fresh(_dbapi_conn, record):
        record.info["sanfu_fresh"] = True

    @event.listens_for(pool, "checkout")
    def _check(dbapi_conn, record, _proxy):
        if record.info.pop("sanfu_fresh", False) or not _has_news(dbapi_conn):
            return
        _pings_sent[pool] += 1
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as err:  # the driver's own error for a dead link, whichever it is
            raise InvalidatePoolError(f"pooled connection is gone: {err}") from err
        if not alive:
            raise InvalidatePoolError("pooled connection is gone")

    return engine


def pings_sent(engine: Engine) -> int:
    """How many checkouts found news on the socket and asked the server (sanfu bench counts them)."""
    return _pings_sent.get(engine.pool, 0)


def _has_news(dbapi_conn) -> bool:
    """The connection is closed, or its socket has something to read (a goodbye, EOF, or a
    notice): an idle, healthy connection has neither."""
    if dbapi_conn.closed:
        return True
    try:
        readable, _, failed = select.select([dbapi_conn.fileno()], [], [dbapi_conn.fileno()], 0)
    except Exception:  # the driver could not even name its socket: treat as gone, the ping decides
        return True
    return bool(readable or failed)
