"""Load one mapped row by its primary key with a statement built once.

`session.get` builds a new SELECT (and its cache key) on every call: about 100 µs of Python
per load on the completion path, more than SQLite takes to answer. These statements are built
at import and bind the key as a parameter, so every call is a compiled-cache hit. They run as
Core statements on the session's connection, and the rows become mapped objects in the session
(`adopt`): the same objects, in the same identity map, as `session.get` gives, without the ORM's
per-execution compile state and loading machinery (another ~40 µs a command)."""
from __future__ import annotations

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.util import identity_key

from engine.store.tables import HumanTask, Instance, User


def _attributes(model) -> tuple[str, ...]:
    """The mapped attribute of each table column, in the table's column order."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in model.__table__.c)


_ATTRIBUTES = {model: _attributes(model) for model in (HumanTask, Instance)}


def adopt(session: Session, model, values):
    """The mapped object of a row read with Core (`values`: the table's columns in order), made
    persistent in `session` as if the ORM had loaded it: every attribute loaded, nothing pending.
    None when the session already holds an object of that identity (the caller then lets the ORM
    load it, by its own rules for an object it holds)."""
    obj = inspect(model).class_manager.new_instance()
    state = instance_state(obj)
    state.dict.update(zip(_ATTRIBUTES[model], values))
    if identity_key(model, state.dict[_ATTRIBUTES[model][0]]) in session.identity_map:
        return None
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _by_id(model, lock: bool):
    table = model.__table__
    statement = select(*table.c).where(table.primary_key.columns[0] == bindparam("pk"))
    return statement.with_for_update() if lock else statement


def _orm_by_id(model, lock: bool):
    key = inspect(model).primary_key[0]
    statement = select(model).where(key == bindparam("pk"))
    return statement.with_for_update() if lock else statement


_STATEMENTS = {(model, lock): _by_id(model, lock) for model in (HumanTask, Instance) for lock in (False, True)}
_ORM_STATEMENTS = {(model, lock): _orm_by_id(model, lock) for model in (HumanTask, Instance) for lock in (False, True)}


def get(session: Session, model, pk, *, lock: bool = False):
    """`session.get(model, pk, with_for_update=lock)`, for HumanTask and Instance. An object the
    session already holds is returned from its identity map without SQL, as `session.get` does
    (a locking read always asks the database, as `session.get` does)."""
    held = (model, (pk,), None) in session.identity_map
    if not lock and held:
        return session.get(model, pk)  # the ORM's own rules for an object it holds (expired, deleted)
    if not held:
        row = session.connection().execute(_STATEMENTS[(model, lock)], {"pk": pk}).first()
        if row is None:
            return None
        found = adopt(session, model, row)
        if found is not None:
            return found
    return session.execute(_ORM_STATEMENTS[(model, lock)], {"pk": pk}).scalar_one_or_none()


_HELD = "sanfu_by_id_held"
_TASKS, _INSTANCES = HumanTask.__table__, Instance.__table__
_TASK_WIDTH = len(_TASKS.c)


def _task_and_instance(session: Session, row, start: int):
    """The task and (when the row has one) its instance, as mapped objects in `session`, from the
    columns of a Core row that begin at `start`: the task's, then the instance's."""
    task_values, instance_values = row[start:start + _TASK_WIDTH], row[start + _TASK_WIDTH:]
    task = adopt(session, HumanTask, task_values) or session.get(HumanTask, task_values[0])
    if instance_values and instance_values[0] is not None:
        instance = adopt(session, Instance, instance_values) or session.get(Instance, instance_values[0])
        # The identity map holds objects weakly: the session keeps the instance until the command ends.
        session.info.setdefault(_HELD, []).append(instance)
    return task


_TASK_WITH_INSTANCE = select(*_TASKS.c, *_INSTANCES.c).select_from(
    _TASKS.outerjoin(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id)).where(_TASKS.c.id == bindparam("pk"))


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def task_for_command(session: Session, task_id: str, *, with_instance: bool = False):
    """The task row a write command acts on, locked (`get(..., lock=True)`). With `with_instance`
    on SQLite its instance comes in the same statement, into the session's identity map, where
    the command's `access.instance` then finds it: the command has held SQLite's write lock since
    BEGIN IMMEDIATE, so nothing can change between two reads and one saves a statement. On
    PostgreSQL the task is locked first and the instance read after: a command that waited for
    the lock reads the instance as the other one left it (a join would return the version from
    before the wait)."""
    if with_instance and _sqlite(session) and not _holds_task(session, task_id):
        found = session.connection().execute(_TASK_WITH_INSTANCE, {"pk": task_id}).first()
        return None if found is None else _task_and_instance(session, found, 0)
    return get(session, HumanTask, task_id, lock=True)


def _holds_task(session: Session, task_id: str) -> bool:
    return (HumanTask, (task_id,), None) in session.identity_map


# Who acts, with the task: the actor's row is joined to the task's (ON users.name = :name), so
# the check every command makes first costs no statement (SQLite) or round trip (PostgreSQL) of
# its own. The lock stays on the task row alone (FOR UPDATE OF human_tasks).
_ACTOR = (User.name.label("actor_name"), User.is_admin.label("actor_is_admin"),
          User.active.label("actor_active"), User.unit_id.label("actor_unit_id"))
_ACTOR_TASK_INSTANCE = select(*_ACTOR, *_TASKS.c, *_INSTANCES.c).select_from(
    _TASKS.join(User.__table__, User.name == bindparam("name"))
    .outerjoin(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id)).where(_TASKS.c.id == bindparam("pk"))
_ACTOR_TASK_LOCKED = select(*_ACTOR, *_TASKS.c) \
    .select_from(_TASKS.join(User.__table__, User.name == bindparam("name"))) \
    .where(_TASKS.c.id == bindparam("pk")).with_for_update(of=_TASKS)


def actor_and_task_for_command(session: Session, name: str, task_id: str):
    """(the actor's row: actor_name, actor_is_admin, actor_active, actor_unit_id; the task, as
    `task_for_command(..., with_instance=True)` gives it) in one statement, or None when the
    user or the task does not exist (the caller then asks each on its own, for its error).
    On SQLite the instance comes in the same statement too; on PostgreSQL it is read after the
    lock, as in `task_for_command`. A task the session already holds is read the ORM's way."""
    if _holds_task(session, task_id):
        return None
    statement = _ACTOR_TASK_INSTANCE if _sqlite(session) else _ACTOR_TASK_LOCKED
    found = session.connection().execute(statement, {"pk": task_id, "name": name}).first()
    return None if found is None else (found, _task_and_instance(session, found, len(_ACTOR)))


def task_and_instance(session: Session, task_id: str):
    """(the task, its instance) for a read, in one statement (no lock): what deciding who may
    see a task needs, on every task page and each of its panels. (None, None) when there is no
    such task. Objects the session already holds are taken from it, as `get` does."""
    if _holds_task(session, task_id):
        task = get(session, HumanTask, task_id)
    else:
        row = session.connection().execute(_TASK_WITH_INSTANCE, {"pk": task_id}).first()
        task = _task_and_instance(session, row, 0) if row is not None else None
    if task is None:
        return None, None
    return task, get(session, Instance, task.instance_id)   # held by the session (_task_and_instance)
