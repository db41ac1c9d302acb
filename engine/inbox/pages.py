"""One page of an inbox view's rows: which statements fetch it, built once per shape of
user, view and sort order (engine.inbox.views decides the view's conditions and counts).

A page's statements take their OFFSET and LIMIT as parameters rendered at execution
(page_offset, page_limit, …): an unfiltered page reuses the same statement objects, and so
their cached compiled forms and cache keys — building and keying them anew on every page
cost more than the database's work on SQLite (bench-inbox). Filtered pages build theirs.
"""
from __future__ import annotations

import functools

from sqlalchemy import ARRAY, Integer, bindparam, exists, func, literal, select
from sqlalchemy.orm import Session

from engine.inbox.statements import (
    OPEN,
    claimable_ids_page,
    copied_rows,
    fenced_window,
    indexed_by,
    inline,
    page_rows,
)
from engine.store.tables import HumanTask, TaskCandidate

# 科室待认领 by due date for a busy queue: the first page is looked for among this many
# unclaimed tasks in due order (an index range) before sorting all of the user's matches.
CLAIM_WINDOW = 2000


def ids_in(name: str, dialect: str):
    """`HumanTask.id` among the ids bound as `name`. PostgreSQL takes them as one array
    parameter, `id IN (SELECT unnest(:ids))`: one statement text whatever their number, so one
    prepared statement and plan (an IN list is a new text for each length, planned anew on
    every page: 0.25 ms of the server's time a page, bench-http). Its generic plan probes the
    primary key per id, or hashes the ids against a small table; `id = ANY(:ids)`'s compared
    every row with every id (a hashed lookup is only planned for a constant array): 0.9 ms a
    page of a quiet queue, against 0.2. SQLite has no arrays: an IN list, expanded at execution."""
    if dialect == "postgresql":
        return HumanTask.id.in_(select(func.unnest(bindparam(name, type_=ARRAY(HumanTask.id.type)))))
    return HumanTask.id.in_(bindparam(name, expanding=True))


# the few claimable tasks of a user found from their candidate rows (PostgreSQL), by id
CLAIMABLE_IDS = (ids_in("claimable_ids", "postgresql"),)


def _at_execution(name: str):
    return bindparam(name, type_=Integer, literal_execute=True)


def _paged(stmt, prefix: str = "page"):
    return stmt.offset(_at_execution(f"{prefix}_offset")).limit(_at_execution(f"{prefix}_limit"))


def _dated_order(stmt, sort: str):
    due = HumanTask.due_at.desc() if sort == "-due" else HumanTask.due_at.asc()
    return stmt.where(HumanTask.due_at.is_not(None)).order_by(due)


def dated(where, sort: str):
    """The rows of `where` with a due date, in due order (an index range on the view's index)."""
    return _dated_order(page_rows(*where), sort)


def statements(where: tuple, view: str, sort: str) -> dict:
    """The statements of a page of `view` over `where`, in `sort` order."""
    if view == "done" or sort in ("created", "-created"):
        # ties on the creation time by id: each page of a sort cuts the same order (no index
        # holds created_at, so the sort was there already)
        order = (HumanTask.completed_at.desc(),) if view == "done" else \
            (HumanTask.created_at.desc(), HumanTask.id.desc()) if sort == "-created" else \
            (HumanTask.created_at.asc(), HumanTask.id.asc())
        return {"ordered": _paged(page_rows(*where).order_by(*order))}
    below = _dated_order(select(literal(1)).select_from(HumanTask).where(*where), sort).order_by(None)
    return {"dated": _paged(dated(where, sort)),
            "below": select(func.count()).select_from(below.limit(_at_execution("below_limit")).subquery()),
            "undated": _paged(page_rows(*where, HumanTask.due_at.is_(None)).order_by(HumanTask.created_at.desc()),
                              "undated")}


@functools.lru_cache(maxsize=256)
def shaped_statements(where: tuple, view: str, sort: str) -> dict:
    """statements() of an unfiltered view, built once: `where` is a shape's own tuple of
    clauses (views._shaped_conditions), the same object for every user of that shape."""
    return statements(where, view, sort)


def _fetch(session: Session, stmt, params: dict) -> list:
    return session.connection().execute(stmt, params).all()


def _by_due(session: Session, stmts: dict, needs_due: bool, offset: int, limit: int, params: dict) -> list:
    """Tasks with a due date in due order (no sort of the user's whole list), then those
    without one, newest first."""
    rows = _fetch(session, stmts["dated"], {**params, "page_offset": offset, "page_limit": limit})
    if len(rows) == limit or needs_due:
        return rows
    skip = 0 if rows or not offset else offset - session.scalar(stmts["below"], {**params, "below_limit": offset})
    return rows + _fetch(session, stmts["undated"], {**params, "undated_offset": skip,
                                                     "undated_limit": limit - len(rows)})


def task_rows(session: Session, stmts: dict, needs_due: bool, offset: int, limit: int, params: dict) -> list:
    """Rows `offset` to `offset + limit` of a view (statements() or shaped_statements())."""
    if "ordered" in stmts:
        return _fetch(session, stmts["ordered"], {**params, "page_offset": offset, "page_limit": limit})
    return _by_due(session, stmts, needs_due, offset, limit, params)


def copied(session: Session, actor: str, filters: list, offset: int, limit: int) -> list:
    stmt = _copied_unfiltered() if not filters else _paged(copied_rows(filters))
    return _fetch(session, stmt, {"actor": actor, "page_offset": offset, "page_limit": limit})


@functools.lru_cache(maxsize=1)
def _copied_unfiltered():
    return _paged(copied_rows([]))


def window_statement(keys, kinds: tuple, filters: list, sort: str, dialect: str, bounded: bool = True):
    """Unclaimed tasks in due order whose candidate row matches the user's keys, among the
    first CLAIM_WINDOW unclaimed tasks (PostgreSQL: a fenced walk, statements.claimable_window;
    SQLite: down ix_human_tasks_claimable up to `window_bound`, the due date of the window's
    last task, when `bounded`)."""
    if dialect == "postgresql":
        return _paged(fenced_window(kinds, filters, sort == "-due", CLAIM_WINDOW))
    where = [HumanTask.assignee.is_(None), OPEN, *filters, exists().where(TaskCandidate.task_id == HumanTask.id, keys)]
    if bounded:
        bound = bindparam("window_bound", type_=HumanTask.due_at.type)
        where.append(HumanTask.due_at >= bound if sort == "-due" else HumanTask.due_at <= bound)
    # Down ix_human_tasks_claimable (due_at, id), ties on due_at by id as it holds them: the
    # ids come from the index and a task's row is read only when its candidate row matches.
    # Left to choose (without ANALYZE's statistics) SQLite walked ix_human_tasks_assignee_open
    # and read the row of every unclaimed task it passed (bench-inbox, 100k: 2–5 ms a page; now 0.8 ms).
    tie = HumanTask.id.desc() if sort == "-due" else HumanTask.id.asc()
    return _paged(indexed_by(dated(where, sort).order_by(tie), "ix_human_tasks_claimable"))


@functools.lru_cache(maxsize=64)
def _shaped_window(keys, kinds: tuple, sort: str, dialect: str, bounded: bool):
    return window_statement(keys, kinds, [], sort, dialect, bounded)


@functools.lru_cache(maxsize=4)
def _window_edge(sort: str):
    """The due date of the CLAIM_WINDOW-th unclaimed task in due order (SQLite's bound)."""
    edge = select(HumanTask.due_at).where(HumanTask.assignee.is_(None), OPEN)
    return _dated_order(edge, sort).offset(inline(CLAIM_WINDOW)).limit(inline(1))


def claimable_window(session: Session, keys, kinds: tuple, filters: list, sort: str, offset: int, limit: int,
                     params: dict):
    """A busy queue's page by due date, looked for among the first CLAIM_WINDOW unclaimed
    tasks in due order (whoever may claim them): a busy user's page is there, and the walk
    stays bounded however large the province. None: not found there (sort the matches)."""
    if sort not in ("due", "-due") or offset + limit > CLAIM_WINDOW // 4:
        return None
    dialect = session.bind.dialect.name
    params = {**params, "page_offset": offset, "page_limit": limit}
    bound = None
    if dialect != "postgresql":
        bound = params["window_bound"] = session.scalar(_window_edge(sort))
    bounded = bound is not None  # else fewer unclaimed tasks than the window: all of them
    stmt = _shaped_window(keys, kinds, sort, dialect, bounded) if not filters \
        else window_statement(keys, kinds, filters, sort, dialect, bounded)
    rows = _fetch(session, stmt, params)
    return rows if len(rows) == limit else None  # short: undated tasks may follow


@functools.lru_cache(maxsize=2)
def _rows_of_ids(dialect: str):
    return page_rows(ids_in("page_ids", dialect))


@functools.lru_cache(maxsize=64)
def _shaped_ids_page(kinds: tuple, sort: str, dialect: str):
    return _paged(claimable_ids_page(kinds, [], sort, dialect))


def claimable_deep(session: Session, kinds: tuple, filters: list, sort: str, offset: int, limit: int,
                   params: dict) -> list:
    """A busy 科室待认领 queue's page past the window, or newest first: the page's task ids
    (statements.claimable_ids_page), then their rows. By OFFSET over the page rows it read and
    joined every row before the page (bench-inbox, 100k: page 26 48 ms on PostgreSQL, 29 ms
    on SQLite; newest first 87 / 25 ms)."""
    dialect = session.bind.dialect.name
    stmt = _paged(claimable_ids_page(kinds, filters, sort, dialect)) if filters \
        else _shaped_ids_page(kinds, sort, dialect)
    ids = list(session.scalars(stmt, {**params, "page_offset": offset, "page_limit": limit}))
    if not ids:
        return []
    found = {row.id: row for row in _fetch(session, _rows_of_ids(dialect), {"page_ids": ids})}
    return [found[task_id] for task_id in ids if task_id in found]
