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

from sqlalchemy import and_, bindparam, exists, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from engine import access, clock
from engine.calendar.store import work_calendar
from engine.inbox import task_rows
from engine.inbox.filters import InboxFilter, conditions
from engine.org.lanes import candidate_keys
from engine.store.collab_tables import TaskCopy
from engine.store.names import display_names
from engine.store.org_tables import Enterprise
from engine.store.tables import HumanTask, ProcessDefinition, TaskCandidate

VIEWS = ("todo", "claimable", "done", "started", "copied")
TASK_VIEWS = VIEWS[:4]
COUNT_CAP = 99
# 科室待认领 by due date for a busy queue: the first page is looked for among this many
# unclaimed tasks in due order (an index range) before sorting all of the user's matches.
CLAIM_WINDOW = 2000


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
    clauses = [(TaskCandidate.kind == kind) & TaskCandidate.name.in_(bindparam(f"keys_{kind}", expanding=True))
               for kind in kinds]
    keys = or_(*clauses) if clauses else None
    open_ = HumanTask.status == "open"
    return {
        "todo": [mine, open_],
        "claimable": None if keys is None else [
            HumanTask.assignee.is_(None), open_,
            HumanTask.id.in_(select(TaskCandidate.task_id).where(keys))],
        "done": [HumanTask.completed_by == bindparam("actor"), HumanTask.status == "completed"],
        "started": [HumanTask.started_by == bindparam("actor"), open_],
        "_claim_keys": keys,
    }


def task_conditions(session: Session, actor: str) -> dict[str, list | None]:
    """Each task view's WHERE clauses, written to match an index prefix; None: the view is
    empty for this user (no candidate keys). `_claim_keys` is the candidate-row clause;
    `_params` the values of their bound parameters (pass them with every execution)."""
    acting = access.acting_users(session, actor)
    keys = {kind: sorted(names) for kind, names in candidate_keys(session, acting).items() if names}
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
    return select(func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())


def _copied_rows_query(actor: str, filters: list):
    query = select(TaskCopy, HumanTask).join(HumanTask, HumanTask.id == TaskCopy.task_id) \
        .where(TaskCopy.recipient == actor, *filters)
    return query.order_by(TaskCopy.created_at.desc(), TaskCopy.id.desc())


def _unread_copies(actor: str, filters: list):
    query = select(literal(1)).select_from(TaskCopy).where(TaskCopy.recipient == actor, TaskCopy.read_at.is_(None))
    if filters:  # the join only when a filter needs the task's columns
        query = query.join(HumanTask, HumanTask.id == TaskCopy.task_id).where(*filters)
    return query


def _claimable_count(keys, filters: list, dialect: str):
    """Unclaimed open tasks one of whose candidate rows matches the user's keys, each once,
    stopping at the cap. Written per database, as each plans it best (bench-inbox, 100k):
    SQLite walks the user's candidate rows into the tasks (JOIN + DISTINCT: 1 ms; the IN
    form built the whole list first: 6 ms); PostgreSQL takes the IN form as a semi-join
    (2.5 ms; JOIN + DISTINCT made it walk every candidate row in key order: 25 ms)."""
    if dialect == "postgresql":
        return select(literal(1)).select_from(HumanTask).where(
            HumanTask.id.in_(select(TaskCandidate.task_id).where(keys)), HumanTask.assignee.is_(None),
            HumanTask.status == "open", *filters)
    # `+column` keeps SQLite off human_tasks' indexes here, so the walk starts from the
    # user's candidate rows: otherwise a user whose keys match few tasks (a city's 督办 staff)
    # walked every unclaimed open task of the province (bench-inbox, 20k: 58 ms, now 0.1 ms).
    open_unclaimed = (_unindexed(HumanTask.assignee).is_(None), _unindexed(HumanTask.status) == "open")
    return select(HumanTask.id).distinct().select_from(TaskCandidate) \
        .join(HumanTask, HumanTask.id == TaskCandidate.task_id).where(keys, *open_unclaimed, *filters)


def _unindexed(column):
    """SQLite's unary `+column`: the same value, but no index is used for the term."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def _counts_statement(views: dict, filters: list, dialect: str):
    statements = {name: select(literal(1)).select_from(HumanTask).where(*views[name], *filters)
                  for name in ("todo", "done", "started")}
    if views["_claim_keys"] is not None:
        statements["claimable"] = _claimable_count(views["_claim_keys"], filters, dialect)
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


def _claimable_window_statement(keys, filters: list, f: InboxFilter, bound=None):
    """Unclaimed tasks in due order whose candidate row matches the user's keys, down the
    index ix_human_tasks_assignee_open (no sort; stops at the LIMIT), up to `bound`."""
    where = [HumanTask.assignee.is_(None), HumanTask.status == "open", *filters,
             exists().where(TaskCandidate.task_id == HumanTask.id, keys)]
    if bound is not None:
        where.append(HumanTask.due_at >= bound if f.sort == "-due" else HumanTask.due_at <= bound)
    return _dated(where, f)


def _claimable_window(session: Session, keys, filters: list, f: InboxFilter, offset: int, limit: int,
                      params: dict):
    """A busy queue's page by due date, looked for among the first CLAIM_WINDOW unclaimed
    tasks in due order (whoever may claim them): a busy user's page is there, and the walk
    stays bounded however large the province. None: not found there (sort the matches)."""
    if f.sort not in ("due", "-due") or offset + limit > CLAIM_WINDOW // 4:
        return None
    edge = select(HumanTask.due_at).where(HumanTask.assignee.is_(None), HumanTask.status == "open")
    bound = session.scalar(_dated_order(edge, f).offset(CLAIM_WINDOW).limit(1))
    window = _claimable_window_statement(keys, filters, f, bound).offset(offset).limit(limit)
    rows = list(session.scalars(window, params))
    return rows if len(rows) == limit else None  # short: undated tasks may follow


def _count_below(session: Session, stmt, limit: int, params: dict) -> int:
    return session.scalar(select(func.count()).select_from(stmt.limit(limit).subquery()), params) if limit else 0


def _dated_order(stmt, f: InboxFilter):
    due = HumanTask.due_at.desc() if f.sort == "-due" else HumanTask.due_at.asc()
    return stmt.where(HumanTask.due_at.is_not(None)).order_by(due)


def _dated(where: list, f: InboxFilter):
    return _dated_order(select(HumanTask).where(*where), f)


def _by_due(session: Session, where: list, f: InboxFilter, offset: int, limit: int, params: dict) -> list[HumanTask]:
    """Tasks with a due date in due order (an index range on the view's index: no sort of
    the user's whole list), then those without one, newest first."""
    dated = _dated(where, f)
    rows = list(session.scalars(dated.offset(offset).limit(limit), params))
    if len(rows) == limit or f.needs_due:
        return rows
    skip = 0 if rows else offset - _count_below(session, dated.with_only_columns(literal(1)).order_by(None), offset,
                                                params)
    undated = select(HumanTask).where(*where, HumanTask.due_at.is_(None)).order_by(HumanTask.created_at.desc())
    return rows + list(session.scalars(undated.offset(skip).limit(limit - len(rows)), params))


def _task_rows(session: Session, view: str, where: list, f: InboxFilter, offset: int, limit: int, params: dict):
    if view == "done":
        order = (HumanTask.completed_at.desc(),)
    elif f.sort in ("created", "-created"):
        order = (HumanTask.created_at.desc() if f.sort == "-created" else HumanTask.created_at.asc(),)
    else:
        return _by_due(session, where, f, offset, limit, params)
    return list(session.scalars(select(HumanTask).where(*where).order_by(*order).offset(offset).limit(limit), params))


def _row_dict(row: HumanTask, names: dict, people: dict, now, calendar, copy: TaskCopy | None = None) -> dict:
    out = {**task_rows.with_deadline(task_rows.task_dict(row), row, calendar, now),
           "enterprise_name": names.get(row.enterprise_id, ""),
           "assignee_name": (people.get(row.assignee) or row.assignee) if row.assignee else None,
           "overdue": bool(row.status == "open" and row.due_at and row.due_at < now)}
    if copy is not None:
        out["copy_info"] = {"id": copy.id, "sender": copy.sender, "note": copy.note,
                            "created_at": copy.created_at.isoformat(), "read": copy.read_at is not None}
    return out


def _rows(session: Session, view: str, views: dict, actor: str, f: InboxFilter, offset: int, limit: int,
          busy: bool):
    filters = conditions(f)
    if view == "copied":
        pairs = session.execute(_copied_rows_query(actor, filters).offset(offset).limit(limit)).all()
        return [task for _copy, task in pairs], [copy for copy, _task in pairs]
    if views[view] is None:
        return [], []
    if view == "claimable" and busy:
        rows = _claimable_window(session, views["_claim_keys"], filters, f, offset, limit, views["_params"])
        if rows is not None:
            return rows, []
    return _task_rows(session, view, [*views[view], *filters], f, offset, limit, views["_params"]), []


def explained_statements(session: Session, actor: str, per_page: int = 20) -> dict[str, dict]:
    """Each view's count and first-page statements, unfiltered (bench-inbox and the tests
    EXPLAIN them: each must be an index range, not a scan)."""
    f, out = InboxFilter(), {}
    views = task_conditions(session, actor)
    for name in TASK_VIEWS:
        where = views[name]
        if where is None:
            continue
        first = select(HumanTask).where(*where).order_by(HumanTask.completed_at.desc()) if name == "done" \
            else _dated(where, f)
        out[name] = {"count": capped(select(literal(1)).select_from(HumanTask).where(*where)),
                     "first_page": first.limit(per_page + 1)}
    if views["_claim_keys"] is not None:
        out["claimable"]["count"] = capped(_claimable_count(views["_claim_keys"], [], session.bind.dialect.name))
        window = _claimable_window_statement(views["_claim_keys"], [], f)
        out["claimable_window"] = {"count": out["claimable"]["count"], "first_page": window.limit(per_page + 1)}
    out["copied"] = {"count": capped(_unread_copies(actor, [])),
                     "first_page": _copied_rows_query(actor, []).limit(per_page + 1)}
    params = views["_params"]  # with their values bound, so they compile with literal values too
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


def inbox_page(session: Session, actor: str, view: str, page: int, per_page: int, f: InboxFilter) -> dict:
    view = view if view in VIEWS else "todo"
    page = max(1, page)
    views = task_conditions(session, actor)
    counts = _counts(session, views, conditions(f))
    offset = (page - 1) * per_page
    rows, copies = _rows(session, view, views, actor, f, offset, per_page + 1, counts[view] > COUNT_CAP)
    has_next = len(rows) > per_page
    rows, copies = rows[:per_page], copies[:per_page]
    names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(
        Enterprise.id.in_({r.enterprise_id for r in rows if r.enterprise_id}))).all()) if rows else {}
    people = display_names(session, (r.assignee for r in rows))
    now = clock.now()
    calendar = work_calendar(session)
    dicts = [_row_dict(r, names, people, now, calendar, copies[i] if copies else None) for i, r in enumerate(rows)]
    # The copied tab counts unread copies, so its total is not a row count: pages go by 下一页.
    exact = view != "copied" and counts[view] <= COUNT_CAP
    return {"view": view, "rows": dicts, "counts": counts, "count_cap": COUNT_CAP,
            "counts_capped": {name: n > COUNT_CAP for name, n in counts.items()},
            "total": counts[view] if exact else None, "has_next": has_next, "page": page,
            "per_page": per_page, "filters": f.as_dict()}
