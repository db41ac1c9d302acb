"""Human-task rows and the queries behind the inbox."""
from __future__ import annotations

from sqlalchemy import String, bindparam, delete, func, insert, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import clock
from engine.calendar import deadlines
from engine.calendar.deadlines import Thresholds, warning_moments
from engine.calendar.store import work_calendar
from engine.inbox.statements import OPEN, indexed_by
from engine.org.routing import Routing
from engine.store import write_behind
from engine.store.tables import HumanTask, ProcessDefinition, TaskCandidate

TASK_FIELDS = ("id", "instance_id", "process_key", "version", "element_id", "name", "lane",
               "assignee", "candidate_groups", "candidate_users", "due_at", "created_at",
               "status", "form_key", "unrouted", "unit_id", "enterprise_id", "completed_at", "completed_by",
               "started_by", "owner", "delegation", "subject", "blue_at", "yellow_at")


def task_dict(row: HumanTask) -> dict:
    out = {name: getattr(row, name) for name in TASK_FIELDS}
    for name in ("due_at", "created_at", "completed_at", "blue_at", "yellow_at"):
        out[name] = out[name].isoformat() if out[name] else None
    out["due_at_local"] = clock.to_local(row.due_at).isoformat() if row.due_at else None
    out["urge_count"] = row.urge_count or 0  # 催办 ×N in every list
    return out


def with_deadline(out: dict, row: HumanTask, calendar, now) -> dict:
    """A task dict with its colour (red/yellow/blue or None) and the working time left
    (negative: how long overdue), for people reading lists; only for open tasks."""
    if row.status != "open" or row.due_at is None:
        return {**out, "colour": None, "working_seconds_left": None}
    return {**out, "colour": deadlines.colour(now, row.due_at, row.blue_at, row.yellow_at),
            "working_seconds_left": round(calendar.working_seconds(now, row.due_at))}


def shown(session: Session, row: HumanTask) -> dict:
    """task_dict with the deadline's colour and working time left, as of now."""
    return with_deadline(task_dict(row), row, work_calendar(session), clock.now())


_TASKS, _CANDIDATES = HumanTask.__table__, TaskCandidate.__table__
_INSERT_TASK = insert(HumanTask)
_INSERT_CANDIDATE = insert(TaskCandidate)
_OPENED = ("id", "instance_id", "process_key", "version", "element_id", "name", "lane", "form_key", "assignee",
           "candidate_groups", "candidate_users", "unrouted", "status", "due_at", "blue_at", "yellow_at",
           "created_at", "ladder_next_at", "completed_at", "completed_by", "unit_id", "enterprise_id",
           "started_by", "owner", "delegation", "subject", "ladder_step", "urge_count")


def _opening_as_ctes(prefix: str) -> list:
    """The row and its candidate rows as queries of another statement (engine.store.write_behind)."""
    task = insert(_TASKS).values({key: bindparam(f"{prefix}{key}", type_=_TASKS.c[key].type) for key in _OPENED}) \
        .returning(_TASKS.c.id).cte(prefix + "task")
    arrays = (bindparam(prefix + "kinds", type_=ARRAY(String)), bindparam(prefix + "names", type_=ARRAY(String)))
    keys = func.unnest(*arrays).table_valued("kind", "name").render_derived(name=prefix + "key")
    candidates = insert(_CANDIDATES).from_select(
        ["task_id", "kind", "name"], select(task.c.id, keys.c.kind, keys.c.name).select_from(task).join(keys, true()))
    return [task, candidates.cte(prefix + "candidates")]


def _closing_as_ctes(prefix: str, drop: bool) -> list:
    values = {name: bindparam(prefix + name) for name in ("status", "completed_at", "completed_by", "assignee")}
    close = update(_TASKS).where(_TASKS.c.id == bindparam(prefix + "task_id")).values(values)
    dropped = delete(_CANDIDATES).where(_CANDIDATES.c.task_id == bindparam(prefix + "task_id"))
    return ([dropped.cte(prefix + "dropped")] if drop else []) + [close.cte(prefix + "closed")]


_SET_HOLDER = update(_TASKS).where(_TASKS.c.id == bindparam("task_id")).values(assignee=bindparam("assignee"))


def set_holder(session: Session, row: HumanTask, assignee: str | None) -> None:
    """The task's new holder, with a plain UPDATE (on PostgreSQL it goes with the command's next
    statement: a claim's instance revision bump), keeping the loaded object in step."""
    connection, values = session.connection(), {"task_id": row.id, "assignee": assignee}
    if not write_behind.defer(connection, "set_holder", values, frozenset({row.id})):
        connection.execute(_SET_HOLDER, values)
    set_committed_value(row, "assignee", assignee)


def _holding_as_ctes(prefix: str) -> list:
    return [update(_TASKS).where(_TASKS.c.id == bindparam(prefix + "task_id"))
            .values(assignee=bindparam(prefix + "assignee")).cte(prefix + "held")]


write_behind.register("set_holder", _holding_as_ctes)
write_behind.register("open_task", _opening_as_ctes)
write_behind.register("close_task", lambda prefix: _closing_as_ctes(prefix, False))
write_behind.register("close_task_and_candidates", lambda prefix: _closing_as_ctes(prefix, True))


def _postgresql(connection) -> bool:
    return connection.dialect.name == "postgresql"


def open_task(session: Session, instance, spiff_task, meta: dict, routing: Routing, due: tuple, built) -> str:
    """Insert the inbox row of a new user task (and its candidate rows); returns its id.
    Plain INSERTs: the command never reads the new row back (one statement on PostgreSQL, a
    round trip less). `due` is (created_at, due_at, blue_at, yellow_at)."""
    task_id = str(spiff_task.id)
    values = _opened_values(task_id, instance, spiff_task, meta, routing, due, built)
    connection = session.connection()
    if _postgresql(connection):
        kinds, names = [kind for kind, _name in routing.keys], [name for _kind, name in routing.keys]
        opened = {**{key: values[key] for key in _OPENED}, "kinds": kinds, "names": names}
        write_behind.write(connection, "open_task", opened, frozenset({task_id}))  # with its candidates
        return task_id
    connection.execute(_INSERT_TASK, values)
    claimable = routing.assignee is None  # as the database would set it (migration 0021): its trigger writes nothing
    candidates = [{"task_id": task_id, "kind": kind, "name": name, "claimable": claimable}
                  for kind, name in routing.keys]
    if candidates:  # kept while assigned too, so a release or transfer can fall back on them
        connection.execute(_INSERT_CANDIDATE, candidates)
    return task_id


def _opened_values(task_id: str, instance, spiff_task, meta: dict, routing: Routing, due: tuple, built) -> dict:
    created_at, due_at, blue_at, yellow_at = due
    spec = spiff_task.task_spec
    return {
        # The process the task belongs to: a called process's tasks say so (ledger_matter),
        # while instance_id keeps them with the instance that called it.
        "id": task_id, "instance_id": instance.id, "process_key": built.key, "version": built.version,
        "element_id": spec.bpmn_id or spec.name,
        "name": meta.get("name") or spec.bpmn_name or spec.name,
        "lane": meta.get("lane") or getattr(spec, "lane", None), "form_key": meta.get("form_key"),
        "assignee": routing.assignee, "candidate_groups": routing.candidate_groups,
        "candidate_users": routing.candidate_users, "unrouted": routing.unrouted, "status": "open",
        "due_at": due_at, "blue_at": blue_at, "yellow_at": yellow_at, "created_at": created_at,
        "ladder_next_at": due_at,
        "completed_at": None, "completed_by": None,
        "unit_id": instance.unit_id, "enterprise_id": instance.enterprise_id,
        "started_by": instance.started_by, "owner": None, "delegation": None, "subject": instance.subject,
        "ladder_step": 0, "urge_count": 0}


_CLOSE_TASK = update(HumanTask.__table__).where(HumanTask.__table__.c.id == bindparam("task_id")) \
    .values(status=bindparam("status"), completed_at=bindparam("completed_at"),
            completed_by=bindparam("completed_by"), assignee=bindparam("assignee"))


_DELETE_CANDIDATES = delete(_CANDIDATES).where(_CANDIDATES.c.task_id == bindparam("b_task_id"))


def close_task(session: Session, row: HumanTask, status: str, actor: str | None) -> None:
    """Close an inbox row with a plain UPDATE (hot path), keeping the loaded object in step,
    and drop its candidate rows (on PostgreSQL in the same statement)."""
    values = {"status": status, "completed_at": clock.now(), "completed_by": actor, "assignee": row.assignee}
    connection = session.connection()
    drop = row.assignee is None or row.candidate_groups or row.candidate_users
    # Candidate rows this command loaded (and may have changed): the ORM's DELETE keeps them in step.
    held = drop and any(isinstance(one, TaskCandidate) for one in session.identity_map.values())
    if not held and _postgresql(connection):
        kind = "close_task_and_candidates" if drop else "close_task"  # the candidates in the same statement
        write_behind.write(connection, kind, {"task_id": row.id, **values}, frozenset({row.id}))
        drop = False
    else:
        connection.execute(_CLOSE_TASK, {"task_id": row.id, **values})
    for key, value in values.items():
        set_committed_value(row, key, value)
    if drop and held:
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == row.id))
    elif drop:  # the usual case on SQLite: a statement built once
        connection.execute(_DELETE_CANDIDATES, {"b_task_id": row.id})


def set_deadline(session: Session, row: HumanTask, due_at) -> None:
    """Move an open task's deadline (延期, a 督办's 新的办理期限), and with it the moments it
    turns blue and yellow, by the thresholds its model sets."""
    meta = session.scalar(select(ProcessDefinition.task_meta).where(
        ProcessDefinition.key == row.process_key, ProcessDefinition.version == row.version)) or {}
    thresholds = Thresholds.of((meta.get(row.element_id) or {}).get("warnings"))
    row.due_at = due_at
    if due_at is None or due_at > clock.now():
        # a new deadline not yet missed: the ladder starts again if it is
        row.ladder_step, row.ladder_next_at = 0, due_at
    row.blue_at, row.yellow_at = warning_moments(work_calendar(session), row.created_at, due_at, thresholds)


def retitle_open_tasks(session: Session, instance_id: int, subject: str) -> None:
    """Give an instance's open task rows its new subject (the inbox shows it)."""
    session.execute(update(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
                    .values(subject=subject).execution_options(synchronize_session=False))


def unrouted_tasks(session: Session, limit: int = 500, offset: int = 0) -> list[HumanTask]:
    """Open tasks no rule could route, oldest first (the admin assigns them). Down
    ix_human_tasks_unrouted, which holds only those: `'open'` is written into the SQL so that
    the partial index matches, and SQLite is told to take it (without statistics it walked
    every unclaimed task of ix_human_tasks_assignee_open, `assignee IS NULL` being an equality)."""
    query = (select(HumanTask).where(OPEN, HumanTask.unrouted.is_(True), HumanTask.assignee.is_(None))
             .order_by(HumanTask.created_at, HumanTask.id).offset(offset).limit(limit))
    return list(session.scalars(indexed_by(query, "ix_human_tasks_unrouted")))


def open_tasks_of(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == "open").order_by(HumanTask.created_at)))
