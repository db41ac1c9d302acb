"""The completion's reads (engine.store.by_id): the task locked, its instance read after the
lock — in one statement on SQLite, where the command holds the write lock from its BEGIN, and
lock first, instance after on PostgreSQL, so that a completion that waited for the task's lock
reads the instance as the command it waited for left it — and the same objects `session.get`
would give."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import update

from engine import access
from engine.bench.hot_path import MODEL
from engine.errors import Conflict, NotAllowed, NotFound
from engine.store import by_id
from engine.store.tables import HumanTask, Instance, User
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.statements import statements_of


def _statements_of(engine, command) -> list[str]:
    return statements_of(engine.db, command)


def _started(engine) -> tuple[int, str]:
    engine.add_user("designer", roles=("designer",))
    engine.add_user("clerk")
    engine.deploy([MODEL], "designer")
    instance_id = engine.start("Process_three_user_tasks", "clerk")["id"]
    [task] = engine.tasks("clerk")
    return instance_id, task["id"]


def test_a_completion_reads_its_actor_and_task_then_its_instance_once(engine):
    instance_id, task_id = _started(engine)
    statements = _statements_of(engine, lambda: engine.complete(task_id, "clerk", {"ok": True}))
    reads = [s for s in statements if s.startswith("SELECT")]
    # who acts comes with the task: no statement of its own
    assert "JOIN users ON users.name =" in reads[0] and "FROM human_tasks" in reads[0]
    if engine.db.dialect.name == "sqlite":
        assert len(reads) == 1 and "LEFT OUTER JOIN instances" in reads[0]
    else:  # the lock first (the task row's alone); the instance read after it sees what a command it waited for left
        assert len(reads) == 2
        assert reads[0].endswith("FOR UPDATE OF human_tasks")
        assert "FROM instances" in reads[1] and "FOR UPDATE" not in reads[1]
    assert engine.show(instance_id, "clerk")["status"] == "running"
    [next_task] = engine.tasks("clerk")
    assert next_task["name"] == "Check"


def test_the_same_objects_as_session_get(engine):
    instance_id, task_id = _started(engine)
    with engine.uow() as uow:
        session = uow.session
        row = by_id.task_for_command(session, task_id, with_instance=True)
        assert row is session.get(HumanTask, task_id)
        held = by_id.get(session, Instance, instance_id)
        assert held is session.get(Instance, instance_id) and held.id == instance_id
        statements = _statements_of(engine, lambda: by_id.get(session, Instance, instance_id))
        assert statements == []  # held by the session: no SQL, as session.get
        assert by_id.get(session, Instance, 10**9) is None
        assert by_id.task_for_command(session, "no-such-task", with_instance=True) is None



def test_the_actor_and_the_task_each_missing_say_which(engine):
    """Asked in one statement, the answers stay those of asking one by one: an unknown or
    disabled user before a missing or closed task."""
    _instance_id, task_id = _started(engine)
    engine.add_user("gone")
    with engine.uow() as uow:
        uow.session.execute(update(User).where(User.name == "gone").values(active=False))
    cases = [("nobody", task_id, NotAllowed), ("gone", task_id, NotAllowed), ("nobody", "no-such-task", NotAllowed),
             ("clerk", "no-such-task", NotFound)]
    for name, task, error in cases:
        with engine.uow(write=False) as uow, pytest.raises(error) as raised:
            access.actor_and_open_task(uow.session, name, task)
        assert raised.value.code == ("no_such_task" if error is NotFound else "unknown_user")
    with engine.uow(write=False) as uow:
        user, row = access.actor_and_open_task(uow.session, "clerk", task_id)
        assert (user.name, user.is_admin, row.id) == ("clerk", False, task_id)
        assert row is uow.session.get(HumanTask, task_id)
    engine.complete(task_id, "clerk", {"ok": True})
    with engine.uow(write=False) as uow, pytest.raises(Conflict) as raised:
        access.actor_and_open_task(uow.session, "clerk", task_id)
    assert raised.value.code == "task_closed"


def test_a_claim_reads_its_actor_and_task_in_one_statement(engine):
    _instance_id, task_id = _started(engine)
    statements = _statements_of(engine, lambda: engine.claim(task_id, "clerk"))  # the holder claims: no change
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1 and "JOIN users ON users.name =" in reads[0] and "FROM human_tasks" in reads[0]
    with pytest.raises(NotAllowed):
        engine.claim(task_id, "nobody")
    with pytest.raises(NotFound):
        engine.claim("no-such-task", "clerk")


GROUP_MODEL = process("group_task", chain(user_task("take", "认领办理", candidateGroups="water")))


def test_a_candidates_claim_reads_twice_and_never_the_instance(engine, tmp_path):
    """A group's task claimed: the actor with the task, then whom the claimant stands in for with
    the task's candidate rows (one statement); the instance's revision is bumped without reading
    its workflow state. A non-candidate is refused after the same two reads."""
    for name, groups in (("clerk", ["water"]), ("other", ["water"]), ("outsider", ["air"])):
        engine.add_user(name, groups)
    engine.add_user("designer", roles=("designer",))
    engine.deploy([write(tmp_path, "group_task.bpmn", GROUP_MODEL)], "designer")
    engine.start("group_task", "clerk")
    [task_id] = [row["id"] for row in engine.inbox("clerk", "claimable")["rows"]]
    with pytest.raises(NotAllowed):
        engine.claim(task_id, "outsider")
    statements = _statements_of(engine, lambda: engine.claim(task_id, "clerk"))
    # (on PostgreSQL the audit row goes last, in a WITH whose query writes: engine.store.write_behind)
    reads = [s for s in statements if s.startswith("SELECT")
             or s.startswith("WITH") and not re.match(r"WITH \w+ AS \((INSERT|UPDATE|DELETE)", s)]
    assert len(reads) == 2, reads
    assert "FROM human_tasks" in reads[0] and "task_candidates.task_id =" in reads[1]
    assert not any("FROM instances" in s for s in statements)
    assert [row["id"] for row in engine.inbox("clerk", "todo")["rows"]] == [task_id]
    assert engine.inbox("other", "claimable")["rows"] == []


def _columns(obj) -> dict:
    return {column.key: getattr(obj, column.key) for column in type(obj).__table__.c}


def test_rows_read_with_core_are_the_objects_the_orm_loads(engine):
    """by_id reads with Core and adopts the rows as mapped objects: every column loaded (reading
    them asks no SQL), the values the ORM's own load gives, and a change to one is saved at the
    commit with the instance's revision checked and bumped, as for an object the ORM loaded."""
    instance_id, task_id = _started(engine)
    with engine.uow(write=False) as uow:
        expected_task = _columns(uow.session.get(HumanTask, task_id))
        expected_instance = _columns(uow.session.get(Instance, instance_id))
    with engine.uow() as uow:
        session = uow.session
        user, row = access.actor_and_open_task(session, "clerk", task_id)
        instance = access.instance(session, instance_id)
        read = {}
        assert _statements_of(engine, lambda: read.update(task=_columns(row), instance=_columns(instance))) == []
        assert read == {"task": expected_task, "instance": expected_instance}
        assert not session.dirty and not session.new
        instance.subject = "改过的标题"
    with engine.uow(write=False) as uow:
        saved = uow.session.get(Instance, instance_id)
        assert (saved.subject, saved.revision) == ("改过的标题", expected_instance["revision"] + 1)
    with pytest.raises(Conflict), engine.uow() as uow:  # a stale revision: a conflict, nothing saved
        stale = by_id.get(uow.session, Instance, instance_id)
        uow.session.execute(update(Instance).where(Instance.id == instance_id)
                            .values(revision=Instance.revision + 1).execution_options(synchronize_session=False))
        stale.subject = "不该保存"
    with engine.uow(write=False) as uow:
        assert uow.session.get(Instance, instance_id).subject == "改过的标题"


def test_a_completion_that_waited_for_the_tasks_lock_reads_the_instance_it_left(engine):
    """PostgreSQL, READ COMMITTED: another command holds the task's lock and saves the instance
    (a new revision), and commits while the completion waits for the lock. The completion's read
    of the instance, after the lock, then returns it as that command left it, and it completes
    without a conflict. Read in the lock's statement, the instance would be the version of its snapshot,
    and the save's revision check would refuse it — also with the instance row locked FOR KEY
    SHARE in that statement (tried: a lock that does not conflict with the other command's
    UPDATE takes the old row version, and the statement returns it)."""
    if engine.db.dialect.name != "postgresql":
        pytest.skip("SQLite: a command holds the write lock from its BEGIN, nobody saves meanwhile")
    instance_id, task_id = _started(engine)
    with engine.uow(write=False) as uow:
        before = uow.session.get(Instance, instance_id).revision
    other = engine.db.connect()
    other.execute(update(HumanTask).where(HumanTask.id == task_id).values(urge_count=HumanTask.urge_count + 1))
    other.execute(update(Instance).where(Instance.id == instance_id).values(revision=Instance.revision + 1))
    outcome = {}
    completing = threading.Thread(target=lambda: outcome.update(done=engine.complete(task_id, "clerk", {"ok": 1})))
    completing.start()
    completing.join(0.5)
    assert completing.is_alive()                                 # waiting for the task's lock
    other.commit()
    other.close()
    completing.join(10)
    assert outcome.get("done", {}).get("status") == "running"  # completed, no conflict
    with engine.uow(write=False) as uow:
        assert uow.session.get(Instance, instance_id).revision == before + 2
        assert uow.session.get(HumanTask, task_id).status == "completed"
