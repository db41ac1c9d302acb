"""The inbox views behind the task list: 待办 (assigned to me or those I deputise for),
科室待认领 (unclaimed tasks I may claim), 已办 (completed by me), 我发起的 (open tasks of
instances I started), 抄送我的 (tasks copied to me, newest first) — with a count per tab,
filters (engine.inbox.filters) and paging.

Counts never rescan a user's whole history: each tab counts at most COUNT_CAP + 1 rows
(`SELECT count(*) FROM (SELECT 1 … LIMIT 100)`, an index range that stops early) and
shows "99+" beyond. The current tab fetches per_page + 1 rows to know whether a next page
exists; its exact total is known only below the cap. With exact counts bench-inbox
measured p95 44–75 ms per view at 100k instances on SQLite; now each capped count takes
≤ 2 ms and each first page ≤ 2 ms there (bench-inbox's count_plans / page_plans).
"""
from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from engine import clock
from engine.calendar.store import work_calendar
from engine.inbox import pages, task_rows
from engine.inbox.filters import InboxFilter, conditions
from engine.inbox.statements import (
    COMPLETED,
    OPEN,
    claimable_candidates,
    copied_rows,
    inline,
    key_match,
    page_rows,
)
from engine.org.lanes import acting_and_candidate_keys
from engine.store.collab_tables import TaskCopy
from engine.store.tables import HumanTask, ProcessDefinition, TaskCandidate

VIEWS = ("todo", "claimable", "done", "started", "copied")
TASK_VIEWS = VIEWS[:4]
COUNT_CAP = 99


@functools.lru_cache(maxsize=64)
def _shaped_conditions(deputising: bool, kinds: tuple[str, ...]) -> dict:
    """The views' clauses for users of one shape (deputising or not, which candidate-key
    kinds they hold), with bound parameters for the names: built once per shape, so each
    inbox page reuses the same statement objects and SQLAlchemy's compiled forms of them
    (building them anew cost more than the database's work). Structure only, no data:
    nothing in here goes stale."""
    # One name (no deputy duty): an equality, so the index also yields the due-date order.
    mine = HumanTask.assignee.in_(bindparam("acting", expanding=True)) if deputising \
        else HumanTask.assignee == bindparam("actor")
    keys = key_match(kinds)
    open_ = OPEN
    return {
        "todo": [mine, open_],
        "claimable": None if keys is None else [
            HumanTask.assignee.is_(None), open_,
            HumanTask.id.in_(select(TaskCandidate.task_id).where(keys))],
        "done": [HumanTask.completed_by == bindparam("actor"), COMPLETED],
        "started": [HumanTask.started_by == bindparam("actor"), open_],
        "_claim_keys": keys, "_kinds": kinds,
    }


def task_conditions(session: Session, actor: str, acting_keys: tuple | None = None) -> dict[str, list | None]:
    """Each task view's WHERE clauses, written to match an index prefix; None: the view is
    empty for this user (no candidate keys). `_claim_keys` is the candidate-row clause;
    `_params` the values of their bound parameters (pass them with every execution).
    `acting_keys`: acting_and_candidate_keys's answer, when the caller asked it already."""
    acting, all_keys = acting_keys or acting_and_candidate_keys(session, actor)
    keys = {kind: sorted(names) for kind, names in all_keys.items() if names}
    params = {"actor": actor, "acting": list(acting), **{f"keys_{kind}": names for kind, names in keys.items()}}
    shape = (len(acting) != 1, tuple(keys))
    return {**_shaped_conditions(*shape), "_params": params, "_shape": shape}


def open_tasks(session: Session, actor: str, limit: int = 200, offset: int = 0) -> list[HumanTask]:
    """The 待办 and 科室待认领 views as one list, soonest due first (`sanfu tasks`, the
    Engine's `tasks`): the same conditions as the inbox, not a second query of its own."""
    views = task_conditions(session, actor)
    visible = and_(*views["todo"])
    if views["claimable"] is not None:
        visible = or_(visible, and_(*views["claimable"]))
    query = (select(HumanTask).where(visible)
             .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
             .offset(offset).limit(limit))
    return list(session.scalars(query, views["_params"]))


def capped(stmt):
    """The count of `stmt`'s rows, stopping at COUNT_CAP + 1 of them."""
    return select(func.count()).select_from(stmt.limit(inline(COUNT_CAP + 1)).subquery())


def _unread_copies(actor: str, filters: list):
    query = select(literal(1)).select_from(TaskCopy).where(TaskCopy.recipient == actor, TaskCopy.read_at.is_(None))
    if filters:  # the join only when a filter needs the task's columns
        query = query.join(HumanTask, HumanTask.id == TaskCopy.task_id).where(*filters)
    return query


def _claimable_count(views: dict, filters: list, dialect: str):
    """Unclaimed open tasks one of whose candidate rows matches the user's keys, each once,
    stopping at the cap. Written per database, as each plans it best (bench-inbox, 100k):
    SQLite walks the user's candidate rows into the tasks (JOIN + DISTINCT: 1 ms; the IN
    form built the whole list first: 6 ms); PostgreSQL the same walk, one primary-key probe
    per candidate row (statements.claimable_candidates: the IN form became a hash of every
    open task under a generic plan, 25 ms)."""
    keys = views["_claim_keys"]
    if dialect == "postgresql":
        return claimable_candidates(views["_kinds"], filters)
    # `+column` keeps SQLite off human_tasks' indexes here, so the walk starts from the
    # user's candidate rows: otherwise a user whose keys match few tasks (a city's 督办 staff)
    # walked every unclaimed open task of the province (bench-inbox, 20k: 58 ms, now 0.1 ms).
    open_unclaimed = (_unindexed(HumanTask.assignee).is_(None), _unindexed(HumanTask.status) == OPEN.right)
    return select(HumanTask.id).distinct().select_from(TaskCandidate) \
        .join(HumanTask, HumanTask.id == TaskCandidate.task_id).where(keys, *open_unclaimed, *filters)


def _unindexed(column):
    """SQLite's unary `+column`: the same value, but no index is used for the term."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _counts_statement(views: dict, filters: list, dialect: str):
    statements = {name: select(literal(1)).select_from(HumanTask).where(*views[name], *filters)
                  for name in ("todo", "done", "started")}
    if views["_claim_keys"] is not None:
        statements["claimable"] = _claimable_count(views, filters, dialect)
    statements["copied"] = _unread_copies(bindparam("actor"), filters)
    return select(*(capped(stmt).scalar_subquery().label(name) for name, stmt in statements.items()))


@functools.lru_cache(maxsize=64)
def _unfiltered_counts_statement(shape: tuple, dialect: str):
    """The unfiltered counts' statement of one shape of user, built once (see _shaped_conditions)."""
    return _counts_statement(_shaped_conditions(*shape), [], dialect)


def _counts(session: Session, views: dict, filters: list) -> dict[str, int]:
    """Every tab's capped count in one statement (one round trip, one cached compile)."""
    dialect = session.bind.dialect.name
    stmt = _counts_statement(views, filters, dialect) if filters \
        else _unfiltered_counts_statement(views["_shape"], dialect)
    row = session.connection().execute(stmt, views["_params"]).one()
    counts = row._asdict()
    return {name: counts.get(name, 0) for name in VIEWS}


def _row_dict(row, now, calendar, copied: bool) -> dict:
    """A page row (statements.page_rows: the task's columns, enterprise_name, assignee_name)."""
    out = {**task_rows.with_deadline(task_rows.task_dict(row), row, calendar, now),
           "enterprise_name": row.enterprise_name, "assignee_name": row.assignee_name,
           "overdue": bool(row.status == "open" and row.due_at and row.due_at < now)}
    if copied:
        out["copy_info"] = {"id": row.copy_id, "sender": row.copy_sender, "note": row.copy_note,
                            "created_at": row.copy_created_at.isoformat(), "read": row.copy_read_at is not None}
    return out


def _claimable_found(kinds: tuple, filters: list, cap: int):
    return claimable_candidates(kinds, filters).limit(inline(cap))


@functools.lru_cache(maxsize=64)
def _found_claimable(kinds: tuple, cap: int):
    """_claimable_found unfiltered, built once per shape (building it was ~1 ms of a view)."""
    return _claimable_found(kinds, [], cap)


def _claimable_by_ids(session: Session, views: dict, f: InboxFilter, filters: list, offset: int,
                      limit: int) -> list:
    """PostgreSQL: a quiet 科室待认领 (at most COUNT_CAP tasks) paged among the user's claimable
    tasks found from their candidate rows (as the count walks them), by id: the IN form's
    generic plan read every open task of the province."""
    cap = COUNT_CAP + 1
    found = _found_claimable(views["_kinds"], cap) if not filters else _claimable_found(views["_kinds"], filters, cap)
    ids = list(session.scalars(found, views["_params"]))
    stmts = pages.shaped_statements(pages.CLAIMABLE_IDS, "claimable", f.sort)
    return pages.task_rows(session, stmts, f.needs_due, offset, limit, {"claimable_ids": ids}) if ids else []


def _deep(f: InboxFilter, offset: int, limit: int) -> bool:
    """A busy queue's page past the window's pages, or newest first: paged by its task ids
    alone (pages.claimable_deep). Its first pages by due date keep the IN form, which stops
    early (bench-http's undated queues)."""
    return f.sort not in ("due", "-due") or offset + limit > pages.CLAIM_WINDOW // 4


def _rows(session: Session, view: str, views: dict, actor: str, f: InboxFilter, offset: int, limit: int,
          count: int) -> list:
    filters, busy = conditions(f), count > COUNT_CAP
    if view == "copied":
        return pages.copied(session, actor, filters, offset, limit)
    if views[view] is None or (not busy and offset >= count):
        return []  # its exact count, under the same conditions, ends before this page: no statement for it
    params = views["_params"]
    if view == "claimable" and busy:
        rows = pages.claimable_window(session, views["_claim_keys"], views["_kinds"], filters, f.sort, offset, limit,
                                      params)
        if rows is not None:
            return rows
    if view == "claimable" and busy and _deep(f, offset, limit):
        return pages.claimable_deep(session, views["_kinds"], filters, f.sort, offset, limit, params)
    if view == "claimable" and session.bind.dialect.name == "postgresql" and not busy:
        return _claimable_by_ids(session, views, f, filters, offset, limit)
    stmts = pages.statements((*views[view], *filters), view, f.sort) if filters \
        else pages.shaped_statements(tuple(views[view]), view, f.sort)
    return pages.task_rows(session, stmts, f.needs_due, offset, limit, params)


def explained_statements(session: Session, actor: str, per_page: int = 20) -> dict[str, dict]:
    """Each view's count and first-page statements, unfiltered (bench-inbox and the tests
    EXPLAIN them: each must be an index range, not a scan)."""
    f, out = InboxFilter(), {}
    views = task_conditions(session, actor)
    dialect = session.bind.dialect.name
    for name in TASK_VIEWS:
        where = views[name]
        if where is None:
            continue
        first = page_rows(*where).order_by(HumanTask.completed_at.desc()) if name == "done" \
            else pages.dated(where, f.sort)
        out[name] = {"count": capped(select(literal(1)).select_from(HumanTask).where(*where)),
                     "first_page": first.limit(per_page + 1)}
    if views["_claim_keys"] is not None:
        out["claimable"]["count"] = capped(_claimable_count(views, [], dialect))
        window = pages.window_statement(views["_claim_keys"], views["_kinds"], [], f.sort, dialect, bounded=False)
        out["claimable_window"] = {"count": out["claimable"]["count"], "first_page": window}
    out["copied"] = {"count": capped(_unread_copies(actor, [])),
                     "first_page": copied_rows([]).limit(per_page + 1)}
    params = {**views["_params"], "page_offset": 0, "page_limit": per_page + 1}
    # with their values bound, so they compile with literal values too
    return {name: {kind: stmt.params(**params) for kind, stmt in statements.items()}
            for name, statements in out.items()}


def process_options(session: Session) -> list[dict]:
    """Deployed processes (latest name per key) and their user tasks' names, for the filters."""
    found: dict[str, dict] = {}
    query = select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.task_meta) \
        .order_by(ProcessDefinition.key, ProcessDefinition.version)
    for key, name, meta in session.execute(query):
        entry = found.setdefault(key, {"key": key, "name": key, "task_names": set()})
        entry["name"] = name or key
        entry["task_names"] |= {m.get("name") for m in (meta or {}).values() if isinstance(m, dict) and m.get("name")}
    return [{**e, "task_names": sorted(e["task_names"])} for e in found.values()]


def inbox_page(session: Session, actor: str, view: str, page: int, per_page: int, f: InboxFilter,
               acting_keys: tuple | None = None) -> dict:
    view = view if view in VIEWS else "todo"
    page = max(1, page)
    views = task_conditions(session, actor, acting_keys)
    counts = _counts(session, views, conditions(f))
    offset = (page - 1) * per_page
    rows = _rows(session, view, views, actor, f, offset, per_page + 1, counts[view])
    has_next = len(rows) > per_page
    now, calendar = clock.now(), work_calendar(session)
    dicts = [_row_dict(r, now, calendar, view == "copied") for r in rows[:per_page]]
    # The copied tab counts unread copies, so its total is not a row count: pages go by 下一页.
    exact = view != "copied" and counts[view] <= COUNT_CAP
    return {"view": view, "rows": dicts, "counts": counts, "count_cap": COUNT_CAP,
            "counts_capped": {name: n > COUNT_CAP for name, n in counts.items()},
            "total": counts[view] if exact else None, "has_next": has_next, "page": page,
            "per_page": per_page, "filters": f.as_dict()}
