"""Which tables a statement reads or writes, told from the statement itself (for
engine.store.write_behind: a waiting write must go before any statement that could see it).

`tables_read` answers only for a plain SELECT whose every source is known from its clauses:
anything it cannot be sure of — raw SQL text, a literal column that is more than a literal, a
locking read, ORM loader options or an entity whose loading could join other tables — is None,
"could read anything". The schema has no triggers, and no SQL function of ours reads a table.
"""
from __future__ import annotations

import re

from sqlalchemy import Select, TableClause, TextClause
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import TextualSelect

# A literal column that is only a value: '', 1, NULL … (page rows' coalesce(..., '')), or count(*)'s *
_LITERAL = re.compile(r"^\s*('[^']*'|-?\d+(\.\d+)?|NULL|TRUE|FALSE|\*)\s*$", re.IGNORECASE)
# ORM relationship loading that runs as a statement of its own (seen by the hook itself)
_LAZY = frozenset(("select", "raise", "raise_on_sql", "noload", "write_only", "dynamic"))
# id(statement) → (the statement, its answer): the statement is held, so its id is not reused
# while remembered (no weak references: their callbacks run at any garbage collection, where an
# exception such as a stopping scheduler's SystemExit is dropped). Bounded: cleared when full.
_READS: dict[int, tuple] = {}
MAX_REMEMBERED = 1024


def tables_read(clause) -> frozenset[str] | None:
    """The names of the tables the SELECT `clause` reads; None when that is not known (see the
    module's doc). Remembered per statement object: the hot path's are built once."""
    if not isinstance(clause, Select):  # a write, SQL text, a savepoint …
        return None
    held = _READS.get(id(clause))
    if held is not None and held[0] is clause:
        return held[1]
    found = _tables_read(clause)
    if len(_READS) >= MAX_REMEMBERED:
        _READS.clear()
    _READS[id(clause)] = (clause, found)
    return found


def _tables_read(clause) -> frozenset[str] | None:
    if clause._with_options:
        return None
    names = set()
    for element in visitors.iterate(clause):  # the statement itself first, then all it holds
        if isinstance(element, Select) and element._for_update_arg is not None:
            return None  # a locking read or subquery: taking its locks first would change the lock order
        if isinstance(element, TableClause):
            names.add(element.name)
        elif isinstance(element, (TextClause, TextualSelect)):
            return None
        elif isinstance(element, ColumnClause) and element.is_literal and not _LITERAL.match(element.name):
            return None
        entity = getattr(element, "_annotations", {}).get("parententity")
        if entity is not None and not _loads_alone(entity.mapper):
            return None
    return frozenset(names)


def _loads_alone(mapper) -> bool:
    """An ORM entity whose loading adds no table to its SELECT: no inheritance, no relationship
    loaded eagerly (a joined eager load joins its table in when the ORM compiles the statement)."""
    return mapper.inherits is None and not mapper.polymorphic_map and all(
        relationship.lazy in _LAZY for relationship in mapper.relationships)


def tables_written(queries) -> frozenset[str]:
    """The names of the tables these INSERT, UPDATE and DELETE queries (or tables appended to)
    change, with every table whose rows reference them (a cascade, or a SET NULL, changes it)."""
    targets = [query if isinstance(query, TableClause) else query.table for query in queries]
    written, every = {table.name for table in targets}, list(targets[0].metadata.tables.values())
    while True:
        reached = {table.name for table in every if any(key.column.table.name in written for key in table.foreign_keys)}
        if reached <= written:
            return frozenset(written)
        written |= reached
