"""Counting the SQL a piece of code sends: every statement with whether it ran in a write
transaction (the unit of work's `sanfu_write` connection; on SQLite that is BEGIN IMMEDIATE,
the database's one write lock)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")


@dataclass
class Statement:
    sql: str
    write_transaction: bool
    phase: str

    @property
    def verb(self) -> str:
        return self.sql.lstrip().split(None, 1)[0].upper() if self.sql.strip() else ""

    @property
    def writes(self) -> bool:
        return self.write_transaction or self.sql.lstrip().upper().startswith(WRITES) or " FOR UPDATE" in self.sql


@dataclass
class Recorder:
    statements: list[Statement] = field(default_factory=list)
    phase: str = "other"

    def during(self, phase: str) -> list[Statement]:
        return [s for s in self.statements if s.phase == phase]

    def writes(self) -> list[str]:
        return [s.sql for s in self.statements if s.writes]

    def clear(self) -> None:
        self.statements.clear()

    def wrap(self, function, phase: str):
        """`function`, with what it sends recorded under `phase`."""
        def wrapped(*args, **kwargs):
            before, self.phase = self.phase, phase
            try:
                return function(*args, **kwargs)
            finally:
                self.phase = before
        return wrapped


@contextmanager
def recording(db_engine):
    """Record every statement sent through `db_engine` within the block."""
    recorder = Recorder()

    def _record(conn, _cursor, statement, _parameters, _context, _many):
        write = bool(conn.get_execution_options().get("sanfu_write", False))
        recorder.statements.append(Statement(" ".join(statement.split()), write, recorder.phase))

    event.listen(db_engine, "before_cursor_execute", _record)
    try:
        yield recorder
    finally:
        event.remove(db_engine, "before_cursor_execute", _record)


def statements_of(db_engine, command) -> list[str]:
    """The SQL `command()` sends through `db_engine`, whitespace folded."""
    with recording(db_engine) as sent:
        command()
    return [statement.sql for statement in sent.statements]
