"""Load one mapped row by its primary key with a statement built once.

`session.get` builds a new SELECT (and its cache key) on every call: about 100 µs of Python
per load on the completion path, more than SQLite takes to answer. These statements are built
at import and bind the key as a parameter, so every call is a compiled-cache hit; the rows come
back through the ORM exactly as `session.get` gives them (same identity map, same objects)."""
from __future__ import annotations

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from engine.store.tables import HumanTask, Instance, User


def _by_id(model, lock: bool):
    key = inspect(model).primary_key[0]
    statement = select(model).where(key == bindparam("pk"))
    return statement.with_for_update() if lock else statement


_STATEMENTS = {(model, lock): _by_id(model, lock) for model in (HumanTask, Instance) for lock in (False, True)}


def get(session: Session, model, pk, *, lock: bool = False):
    """`session.get(model, pk, with_for_update=lock)`, for HumanTask and Instance. An object the
    session already holds is returned from its identity map without SQL, as `session.get` does
    (a locking read always asks the database, as `session.get` does)."""
    if not lock and (model, (pk,), None) in session.identity_map:
        return session.get(model, pk)  # the ORM's own rules for an object it holds (expired, deleted)
    return session.execute(_STATEMENTS[(model, lock)], {"pk": pk}).scalar_one_or_none()


_HELD = "sanfu_by_id_held"
_TASK_WITH_INSTANCE = select(HumanTask, Instance).outerjoin(Instance, Instance.id == HumanTask.instance_id) \
    .where(HumanTask.id == bindparam("pk"))


def task_for_command(session: Session, task_id: str, *, with_instance: bool = False):
    """The task row a write command acts on, locked (`get(..., lock=True)`). With `with_instance`
    on SQLite its instance comes in the same statement, into the session's identity map, where
    the command's `access.instance` then finds it: the command has held SQLite's write lock since
    BEGIN IMMEDIATE, so nothing can change between two reads and one saves a statement. On
    PostgreSQL the task is locked first and the instance read after: a command that waited for
    the lock reads the instance as the other one left it (a join would return the version from
    before the wait)."""
    if with_instance and session.get_bind().dialect.name == "sqlite":
        found = session.execute(_TASK_WITH_INSTANCE, {"pk": task_id}).first()
        if found is None:
            return None
        # The identity map holds objects weakly: the session keeps the instance until the command ends.
        session.info.setdefault(_HELD, []).append(found[1])
        return found[0]
    return get(session, HumanTask, task_id, lock=True)


# Who acts, with the task: the actor's row is joined to the task's (ON users.name = :name), so
# the check every command makes first costs no statement (SQLite) or round trip (PostgreSQL) of
# its own. The lock stays on the task row alone (FOR UPDATE OF human_tasks).
_ACTOR = (User.name.label("actor_name"), User.is_admin.label("actor_is_admin"),
          User.active.label("actor_active"), User.unit_id.label("actor_unit_id"))
_ACTOR_TASK_INSTANCE = select(*_ACTOR, HumanTask, Instance).select_from(HumanTask) \
    .join(User, User.name == bindparam("name")).outerjoin(Instance, Instance.id == HumanTask.instance_id) \
    .where(HumanTask.id == bindparam("pk"))
_ACTOR_TASK_LOCKED = select(*_ACTOR, HumanTask).select_from(HumanTask) \
    .join(User, User.name == bindparam("name")).where(HumanTask.id == bindparam("pk")) \
    .with_for_update(of=HumanTask.__table__)


def actor_and_task_for_command(session: Session, name: str, task_id: str):
    """(the actor's row: actor_name, actor_is_admin, actor_active, actor_unit_id; the task, as
    `task_for_command(..., with_instance=True)` gives it) in one statement, or None when the
    user or the task does not exist (the caller then asks each on its own, for its error).
    On SQLite the instance comes in the same statement too; on PostgreSQL it is read after the
    lock, as in `task_for_command`."""
    if session.get_bind().dialect.name == "sqlite":
        found = session.execute(_ACTOR_TASK_INSTANCE, {"pk": task_id, "name": name}).first()
        if found is None:
            return None
        session.info.setdefault(_HELD, []).append(found[-1])
        return found, found[-2]
    found = session.execute(_ACTOR_TASK_LOCKED, {"pk": task_id, "name": name}).first()
    return None if found is None else (found, found[-1])
