"""PostgreSQL: writes a command never reads back go to the server with its next statement.

On PostgreSQL every statement is a round trip, and a completion's round trips were most of
its time. Some of its writes are never read back by the command that makes them: its audit
rows, the inbox row it closes, the one it opens (with their candidate rows). Such a write
waits here, in the connection's queue, and goes with the next statement the command sends,
as data-modifying WITH queries of it: the instance's UPDATE that ends a command carries
them all (`execute`), any other statement that could see them first sends them on their own
(`_send_first`, one statement for the lot), and so does the commit. So every statement still
sees what the command wrote before it, in the order it wrote it, and a rollback drops what waits.
A plain SELECT of other tables only (engine.store.reads.tables_read: a lane's section and its
people, the ledger's matters, the timer rows) cannot see them, and lets them wait on: the close
of a task and the opening of the next still ride with the instance's UPDATE when the save reads
in between.

Two writes to one inbox row never wait together: the queries of one statement all see the
same snapshot, so the second would not see the first (`defer` sends the queue first).
SQLite runs in the process: no round trip to save, so nothing waits there (`defer` says no).
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

from sqlalchemy import Connection, Engine, String, bindparam, event, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from engine.store.reads import tables_read, tables_written

QUEUE = "sanfu_write_behind"
MAX_WAITING = 8          # writes in one statement at most (and so a bounded number of statement shapes)
MAX_APPENDED = 100       # rows appended (audit) in one statement at most
MAX_SHAPES = 256
_SHAPES: dict[tuple, object] = {}
# Engines whose statements send what waits first (install): only on those does a write wait.
_INSTALLED: weakref.WeakSet = weakref.WeakSet()


class _Waiting:
    def __init__(self):
        self.kinds: list[str] = []
        self.params: dict = {}
        self.rows: set = set()
        self.appended: dict[str, list[dict]] = {}  # row kind → its rows, in the order written
        self.tables: frozenset[str] = frozenset()  # what the waiting writes change (and cascades reach)

    def full(self) -> bool:
        return len(self.kinds) >= MAX_WAITING or sum(map(len, self.appended.values())) >= MAX_APPENDED

    def shape(self, key) -> tuple:
        return key, tuple(self.kinds), tuple(sorted(self.appended))

    def add(self, kind: str, params: dict, rows: frozenset) -> None:
        self.tables |= _written_by(kind)
        if kind in _ROWS:
            self.appended.setdefault(kind, []).append(params)
            return
        prefix = f"q{len(self.kinds)}_"
        self.kinds.append(kind)
        self.params.update({prefix + name: value for name, value in params.items()})
        self.rows |= rows

    def all_params(self) -> dict:
        params = dict(self.params)
        for kind, rows in self.appended.items():
            params.update({f"{kind}_{name}": [row[name] for row in rows] for name in _ROWS[kind][1]})
        return params


# kind → builds the write's data-modifying queries as CTEs, bind parameters prefixed (see defer)
_BUILDERS: dict[str, Callable[[str], list]] = {}
# kind → (table, columns): rows appended, all those waiting in one INSERT, in the order written
_ROWS: dict[str, tuple] = {}


def register(kind: str, build: Callable[[str], list]) -> None:
    """`build(prefix)`: the write's CTEs, in order, each bind parameter named prefix + its name."""
    _BUILDERS[kind] = build


def register_rows(kind: str, table, columns: tuple[str, ...]) -> None:
    """A row appended to `table`. The queries of one statement run in no set order, so the rows
    waiting go in one INSERT, from arrays of their values unnested in the order they were written:
    their ids follow it (the audit trail is read in id order). One statement shape for any number
    of rows, so SQLAlchemy compiles it once (a multi-row VALUES is compiled at every execution)."""
    _ROWS[kind] = (table, columns)


_WRITTEN: dict[str, frozenset] = {}


def _written_by(kind: str) -> frozenset[str]:
    tables = _WRITTEN.get(kind)
    if tables is None:
        queries = [_ROWS[kind][0]] if kind in _ROWS else [cte.element for cte in _BUILDERS[kind]("w_")]
        tables = _WRITTEN[kind] = tables_written(queries)
    return tables


def install(db: Engine) -> Engine:
    if db.dialect.name == "postgresql":
        event.listen(db, "before_execute", _send_first)
        event.listen(db, "before_cursor_execute", _refuse_raw_sql)
        event.listen(db, "commit", _send_before_commit)
        event.listen(db, "rollback", _drop)
        event.listen(db.pool, "checkin", _forget)
        event.listen(db.pool, "invalidate", _forget_invalidated)
        _INSTALLED.add(db)
    return db


def defer(connection: Connection, kind: str, params: dict, rows: frozenset = frozenset()) -> bool:
    """Queue the write `kind` with `params` (its rows: ids no other waiting write may touch);
    False where writes do not wait (SQLite, an engine not made by store.db.make_engine, a
    connection outside a transaction): then the caller sends it itself."""
    if connection.engine not in _INSTALLED or connection.invalidated or not connection.in_transaction() \
            or connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return False
    waiting = connection.info.get(QUEUE)
    if waiting is not None and (rows & waiting.rows or waiting.full()):
        send(connection)
        waiting = None
    if waiting is None:
        waiting = connection.info[QUEUE] = _Waiting()
    waiting.add(kind, params, rows)
    return True


def write(connection: Connection, kind: str, params: dict, rows: frozenset = frozenset()) -> None:
    """PostgreSQL only: the write `kind` waits (`defer`), or where nothing waits goes at once,
    its queries as one statement (a write whose own form is a WITH: a row and its candidates)."""
    if not defer(connection, kind, params, rows):
        alone = _Waiting()
        alone.add(kind, params, rows)
        _send(connection, alone)


def execute(connection: Connection, key, statement, params: dict):
    """Execute `statement` (a write; `key` names its shape), carrying the waiting writes."""
    waiting = None if connection.invalidated else connection.info.pop(QUEUE, None)
    if waiting is None:
        return connection.execute(statement, params)
    combined = _shape(waiting.shape(key), lambda: statement.add_cte(*_ctes(waiting)))
    return connection.execute(combined, {**waiting.all_params(), **params})


def send(connection: Connection) -> None:
    """Send the waiting writes now, in one statement."""
    waiting = connection.info.pop(QUEUE, None)
    if waiting is not None:
        _send(connection, waiting)


def _send(connection: Connection, waiting: _Waiting) -> None:
    alone = _shape(waiting.shape(None), lambda: select(literal(1)).add_cte(*_ctes(waiting)))
    connection.execute(alone, waiting.all_params())


def _ctes(waiting: _Waiting) -> list:
    ctes = [cte for i, kind in enumerate(waiting.kinds) for cte in _BUILDERS[kind](f"q{i}_")]
    return ctes + [_appending(kind) for kind in sorted(waiting.appended)]


def _appending(kind: str):
    table, columns = _ROWS[kind]
    arrays = [bindparam(f"{kind}_{name}", type_=ARRAY(_unbounded(table.c[name].type))) for name in columns]
    rows = func.unnest(*arrays).table_valued(*columns, with_ordinality="n").render_derived(name=f"{kind}_rows")
    return insert(table).from_select(list(columns), select(*(rows.c[name] for name in columns))
                                     .order_by(rows.c.n)).cte(f"{kind}_appended")


def _unbounded(column_type):
    """The arrays' element type without a length: a cast to VARCHAR(n)[] would cut a longer
    value silently; the INSERT's own assignment refuses it, as a plain INSERT would."""
    return String() if isinstance(column_type, String) and column_type.length else column_type


def _shape(key: tuple, build):
    statement = _SHAPES.get(key)
    if statement is None:
        if len(_SHAPES) >= MAX_SHAPES:
            _SHAPES.clear()
        statement = _SHAPES[key] = build()
    return statement


def _waiting_on(connection) -> bool:
    """Whether writes wait on this connection (one whose link died has none to ask about:
    SQLAlchemy refuses to read its info until it is rolled back, and its pool record forgot them)."""
    return not connection.invalidated and QUEUE in connection.info


def _send_first(connection, clause, _multiparams, _params, _options) -> None:
    if _waiting_on(connection):
        read = tables_read(clause)
        if read is None or not read.isdisjoint(connection.info[QUEUE].tables):
            send(connection)


def _refuse_raw_sql(connection, _cursor, statement, _parameters, context, _executemany) -> None:
    """SQL sent as text (`exec_driver_sql`) passes by `_send_first` (SQLAlchemy fires no
    before_execute for it) and could not see what waits: a bug, refused before it reads wrong."""
    if context is not None and context.compiled is None and _waiting_on(connection):
        raise RuntimeError(f"raw SQL while writes wait (engine.store.write_behind): {statement[:80]}")


def _send_before_commit(connection) -> None:
    if _waiting_on(connection):
        send(connection)


def _drop(connection) -> None:
    if not connection.invalidated:
        connection.info.pop(QUEUE, None)


def _forget_invalidated(_dbapi_connection, record, _exception) -> None:
    _forget(_dbapi_connection, record)


def _forget(_dbapi_connection, record) -> None:
    """Back in the pool without a commit or rollback of ours (the pool rolls it back)."""
    if record is not None:
        record.info.pop(QUEUE, None)
