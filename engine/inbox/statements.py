"""The inbox's SQL, written so that each database plans it from the right end — also as a
prepared statement's generic plan (psycopg prepares a statement after five executions, and
PostgreSQL then plans it once without the values).

So what decides a plan is spelled into the SQL, not bound: the statuses ('open',
'completed') and the candidate kinds are literals, or the partial indexes (WHERE status =
'open', WHERE assignee IS NULL AND status = 'open') could not serve a generic plan —
bench-inbox at 100k on PostgreSQL found the 科室待认领 count seq-scanning human_tasks (25
ms) and a page 165 ms; LIMIT and OFFSET are rendered inline at execution (the cached
compiled form stays one per shape). Names stay bound parameters: one statement per shape
of user, a compiled-cache hit for every user of that shape.
"""
from __future__ import annotations

from sqlalchemy import (
    Integer,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler

from engine.store.collab_tables import TaskCopy
from engine.store.org_tables import Enterprise
from engine.store.tables import HumanTask, TaskCandidate, User

_TASKS = HumanTask.__table__
_CANDIDATES = TaskCandidate.__table__
_COPIES = TaskCopy.__table__
_ENTERPRISES = Enterprise.__table__
_USERS = User.__table__
OPEN = HumanTask.status == literal_column("'open'")
COMPLETED = HumanTask.status == literal_column("'completed'")
# the kinds engine.org.lanes.acting_and_candidate_keys gives: spelled into the SQL, so they must be plain words
KINDS = ("user", "group", "section", "role")


def _sqlite_from_hint(compiler, table, text: str) -> str:
    """A `with_hint(table, text, "sqlite")` rendered after the table's name — where SQLite's
    only table hints go (INDEXED BY name, NOT INDEXED). SQLAlchemy's SQLite compiler drops
    them (its get_from_hint_text returns None); nothing else in sanfu asks for one."""
    return text


SQLiteCompiler.get_from_hint_text = _sqlite_from_hint


def indexed_by(stmt, index: str):
    """`stmt` reading human_tasks through `index` on SQLite (an error there if the WHERE
    cannot use it); other databases ignore the hint."""
    return stmt.with_hint(_TASKS, f"INDEXED BY {index}", "sqlite")


def inline(number: int):
    """A LIMIT or OFFSET rendered into the SQL at execution (not a bound parameter that a
    generic plan guesses at), keeping one compiled form per statement."""
    return literal(number, Integer, literal_execute=True)


def _kind(kind: str):
    if kind not in KINDS:
        raise ValueError(f"unknown candidate kind {kind!r}")
    return literal_column(f"'{kind}'")


def key_match(kinds: tuple[str, ...], table=_CANDIDATES):
    """Candidate rows of `table` matching the user's keys (bound as keys_<kind>); None without keys."""
    clauses = [(table.c.kind == _kind(kind)) & table.c.name.in_(bindparam(f"keys_{kind}", expanding=True))
               for kind in kinds]
    return or_(*clauses) if clauses else None


def _candidate_rows(kinds: tuple[str, ...], *columns):
    """The user's candidate rows of tasks nobody holds, one index range per kind (UNION ALL):
    each an index-only scan of ix_task_candidates_claimable (kind, name, task_id; rows the
    triggers of migration 0021 mark), where OR-ing the kinds made PostgreSQL visit every
    matching row in the table (a bitmap heap scan). The task itself is still checked: the
    flag only spares the lookups of tasks a colleague already holds."""
    branches = [select(*columns).where(_CANDIDATES.c.kind == _kind(kind),
                                       _CANDIDATES.c.name.in_(bindparam(f"keys_{kind}", expanding=True)),
                                       _CANDIDATES.c.claimable.is_(True))
                for kind in kinds]
    return union_all(*branches) if len(branches) > 1 else branches[0]


def claimable_candidates(kinds: tuple[str, ...], filters: list):
    """PostgreSQL: the user's unclaimed open tasks, driven from their candidate rows (one
    index range per kind) into human_tasks by primary key, each task once (a task matched
    by two of the user's keys counts at its first matching row), as `select(1)`.

    The lateral subquery with LIMIT 1 keeps PostgreSQL to that nested loop: planned as a
    join it hashed every open task of the province first (4–25 ms at 100k; this: one probe
    per candidate row, stopping at the cap)."""
    rows = _candidate_rows(kinds, _CANDIDATES.c.task_id, _CANDIDATES.c.kind, _CANDIDATES.c.name).subquery("c")
    other = _CANDIDATES.alias("d")
    matched_before = exists().where(other.c.task_id == rows.c.task_id, key_match(kinds, other),
                                    tuple_(other.c.kind, other.c.name) < tuple_(rows.c.kind, rows.c.name)) \
        .correlate(rows)  # the candidate row of the walk, two levels out
    task = select(_TASKS.c.id).where(_TASKS.c.id == rows.c.task_id, HumanTask.assignee.is_(None), OPEN,
                                     *filters, ~matched_before).limit(inline(1)).lateral("t")
    return select(task.c.id).select_from(rows.join(task, true()))


def claimable_order(sort: str, columns) -> tuple:
    """科室待认领's order over `columns` (.id, .due_at, .created_at) in one ORDER BY: by creation
    (ties by id), or tasks with a due date in due order (ties by id, as the window cuts them)
    and then those without one, newest first — what the due sorts' three statements page."""
    if sort in ("created", "-created"):
        return (columns.created_at.desc(), columns.id.desc()) if sort == "-created" else \
            (columns.created_at.asc(), columns.id.asc())
    undated = columns.due_at.is_(None)
    only_undated = case((undated, columns.created_at))
    dated_id = case((undated, None), else_=columns.id)
    due, tie = (columns.due_at.desc(), dated_id.desc()) if sort == "-due" else (columns.due_at.asc(), dated_id.asc())
    return undated, due, only_undated.desc(), tie, columns.id.desc()


def claimable_ids_page(kinds: tuple[str, ...], filters: list, sort: str, dialect: str):
    """The ids of a page of the user's claimable tasks in `sort` order: the task ids of their
    candidate rows of unclaimed tasks (`_candidate_rows`, migration 0021's flag) looked up in
    ix_human_tasks_claimable_ids (each id once: a task matched by two
    keys is one row; a claimed or closed task no entry), then sorted — a cost that follows the
    user's queue, not the page's depth or the province. PostgreSQL reads it as
    `id = ANY(ARRAY(...))`, one index-only scan, by its shape also as a generic plan (the IN
    form's hashed the candidates against all the province's claimable tasks, or walked
    task_candidates' primary key in parallel); SQLite as an IN list on that index (each kind
    one covering range of ix_task_candidates_claimable, as on PostgreSQL)."""
    candidate_ids = _candidate_rows(kinds, _CANDIDATES.c.task_id)  # OR-ed kinds: SQLite read task_candidates' rows
    found = _TASKS.c.id == any_(func.array(candidate_ids.scalar_subquery())) if dialect == "postgresql" \
        else _TASKS.c.id.in_(candidate_ids)
    stmt = select(_TASKS.c.id).where(found, HumanTask.assignee.is_(None), OPEN, *filters) \
        .order_by(*claimable_order(sort, _TASKS.c))
    return indexed_by(stmt, "ix_human_tasks_claimable_ids")


def fenced_window(kinds: tuple[str, ...], filters: list, descending: bool, window: int):
    """PostgreSQL: a busy queue's page by due date among the first `window` unclaimed tasks
    in due order (whoever may claim them), as a fenced subquery walked down
    ix_human_tasks_claimable (ids read from the index), its tasks kept when one of their
    candidate rows matches the user's keys. The fence keeps the walk bounded however the
    planner weighs the match (it had hashed every open task and sorted them: 165 ms at 100k)."""
    due = _TASKS.c.due_at
    walk = select(_TASKS.c.id, due).where(HumanTask.assignee.is_(None), OPEN, due.is_not(None)) \
        .order_by(due.desc() if descending else due.asc()).limit(inline(window)).subquery("w")
    # OR-ed kinds (a hash of the user's candidate rows): per-kind UNION ALL here made the
    # planner rescan a materialised union for every row of the window (800 ms at 100k)
    matching = select(_CANDIDATES.c.task_id).where(key_match(kinds))
    return page_rows(walk.c.id.in_(matching), *filters, joined=(walk, walk.c.id == _TASKS.c.id)) \
        .order_by(walk.c.due_at.desc() if descending else walk.c.due_at.asc())


# A page's rows come with the enterprise's name and the holder's display name joined in (a
# primary-key and a unique-name probe per row, after the LIMIT): two statements fewer per
# page. Plain rows, not ORM objects: a page only reads them (building objects cost more
# than the database's work on SQLite).
_ROW_FROM = _TASKS.outerjoin(_ENTERPRISES, _ENTERPRISES.c.id == _TASKS.c.enterprise_id) \
    .outerjoin(_USERS, _USERS.c.name == _TASKS.c.assignee)
_ROW_COLUMNS = (*_TASKS.c, func.coalesce(_ENTERPRISES.c.name, literal_column("''")).label("enterprise_name"),
                # engine.store.names.display_names: the display name, else the login
                func.coalesce(func.nullif(_USERS.c.display_name, literal_column("''")), _TASKS.c.assignee)
                .label("assignee_name"))
_COPY_COLUMNS = (_COPIES.c.id.label("copy_id"), _COPIES.c.sender.label("copy_sender"),
                 _COPIES.c.note.label("copy_note"), _COPIES.c.created_at.label("copy_created_at"),
                 _COPIES.c.read_at.label("copy_read_at"))


def page_rows(*where, joined=None):
    """The page rows of the tasks matching `where` (`joined`: (table, onclause) joined in too)."""
    source = _ROW_FROM.join(*joined) if joined is not None else _ROW_FROM
    return select(*_ROW_COLUMNS).select_from(source).where(*where)


def copied_rows(filters: list):
    """抄送我的: the copies to the user (bound as actor) with their tasks' page rows, newest first."""
    source = _COPIES.join(_ROW_FROM, _TASKS.c.id == _COPIES.c.task_id)
    return select(*_ROW_COLUMNS, *_COPY_COLUMNS).select_from(source) \
        .where(_COPIES.c.recipient == bindparam("actor"), *filters) \
        .order_by(_COPIES.c.created_at.desc(), _COPIES.c.id.desc())
