"""PostgreSQL: the writes a command never reads back (audit rows, the inbox rows it closes and
opens) go with its next statement (engine.store.write_behind): a completion is one lock, one
read and one write. Every statement still sees what was written before it; a rollback drops
what waits; two writes to one row never share a statement; SQLite writes at once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.exc import DBAPIError

from engine import clock
from engine.bench.hot_path import MODEL
from engine.errors import Conflict, InvalidInput
from engine.store import audit, write_behind
from engine.store.tables import AuditEvent, HumanTask, Instance, User
from tests.helpers.models import process, write
from tests.helpers.statements import statements_of


def _started(engine) -> tuple[int, str]:
    engine.add_user("designer", roles=("designer",))
    engine.add_user("clerk")
    engine.deploy([MODEL], "designer")
    instance_id = engine.start("Process_three_user_tasks", "clerk")["id"]
    [task] = engine.tasks("clerk")
    return instance_id, task["id"]


def _postgresql(engine) -> bool:
    return engine.db.dialect.name == "postgresql"


def _audit_count(engine, action: str) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_a_completion_is_a_lock_a_read_and_one_write_that_carries_the_rest(engine):
    instance_id, task_id = _started(engine)
    sent = statements_of(engine.db, lambda: engine.complete(task_id, "clerk", {"ok": True}))
    writes = [s for s in sent if not s.startswith(("SELECT", "BEGIN"))]
    if _postgresql(engine):
        [write] = writes
        assert write.startswith("WITH") and re.search(r"\)\s*UPDATE instances SET state=", write)
        for part in ("UPDATE human_tasks", "INSERT INTO audit_events", "INSERT INTO human_tasks"):
            assert part in write
    else:
        assert len(writes) == 4  # close, audit, the next task, the instance: each at once
    [next_task] = engine.tasks("clerk")
    assert next_task["name"] == "Check" and next_task["id"] != task_id
    with engine.uow(write=False) as uow:
        assert uow.session.get(HumanTask, task_id).status == "completed"
        assert uow.session.get(Instance, instance_id).revision == 2
    assert _audit_count(engine, "task_completed") == 1


def test_a_statement_sees_the_writes_made_before_it_in_order(engine):
    _started(engine)
    with engine.uow() as uow:
        audit.record(uow.session, "clerk", "first_note")
        audit.record(uow.session, "clerk", "second_note")
        waiting = write_behind.QUEUE in uow.session.connection().info
        seen = list(uow.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%_note"))
                                        .order_by(AuditEvent.id)))
        assert write_behind.QUEUE not in uow.session.connection().info  # sent before the read
    assert waiting == _postgresql(engine)
    assert seen == ["first_note", "second_note"]


def test_a_rollback_drops_what_waits(engine):
    _started(engine)
    with pytest.raises(Conflict), engine.uow() as uow:
        audit.record(uow.session, "clerk", "never_saved")
        raise Conflict("on purpose")
    engine.complete(engine.tasks("clerk")[0]["id"], "clerk", {})  # the next command, maybe the same connection
    assert _audit_count(engine, "never_saved") == 0 and _audit_count(engine, "task_completed") == 1


def test_writes_to_one_row_never_share_a_statement_and_the_waiting_are_bounded(engine):
    if not _postgresql(engine):
        pytest.skip("SQLite writes at once")
    _instance_id, task_id = _started(engine)
    with engine.uow() as uow:
        connection = uow.session.connection()
        hold = lambda row, who: write_behind.defer(  # noqa: E731
            connection, "set_holder", {"task_id": row, "assignee": who}, frozenset({row}))
        sent = statements_of(engine.db, lambda: [hold(task_id, "first"), hold(task_id, "second")])
        assert len(sent) == 1 and "UPDATE human_tasks SET assignee" in sent[0]  # the first went before the second
        sent = statements_of(engine.db, lambda: [hold(f"no-such-task-{i}", "x") for i in range(8)])
        assert len(sent) == 1  # the ninth write waiting: the eight before it went together
        values = {"at": clock.now(), "actor": "clerk", "action": "probe", "instance_id": None, "task_id": None,
                  "detail": {"n": "一"}}
        sent = statements_of(engine.db, lambda: [write_behind.defer(connection, "audit", values)
                                                 for _ in range(write_behind.MAX_APPENDED + 1)])
        assert len(sent) == 1 and "INSERT INTO audit_events" in sent[0]
    assert [t["assignee"] for t in engine.tasks("clerk")] == []  # held by "second" now, not the clerk
    with engine.uow(write=False) as uow:
        assert uow.session.get(HumanTask, task_id).assignee == "second"
    assert _audit_count(engine, "probe") == write_behind.MAX_APPENDED + 1


def test_sqlite_never_waits(engine):
    if _postgresql(engine):
        pytest.skip("PostgreSQL waits")
    _started(engine)
    with engine.uow() as uow:
        assert not write_behind.defer(uow.session.connection(), "audit", {})


def test_a_conflict_saves_none_of_what_waited(engine, monkeypatch):
    """Another command saves the instance while this one works: its UPDATE finds another
    revision, and the writes it carried go back with it."""
    if not _postgresql(engine):
        pytest.skip("SQLite: the command holds the write lock, nobody saves meanwhile")
    instance_id, task_id = _started(engine)
    advance = engine.runtime.advance

    def another_command_saves_meanwhile(loaded):
        advance(loaded)
        with engine.db.begin() as other:
            other.execute(update(Instance).where(Instance.id == instance_id).values(revision=Instance.revision + 1))

    monkeypatch.setattr(engine.runtime, "advance", another_command_saves_meanwhile)
    with pytest.raises(Conflict):
        engine.complete(task_id, "clerk", {"ok": True})
    with engine.uow(write=False) as uow:
        assert uow.session.get(HumanTask, task_id).status == "open"
        assert uow.session.scalar(select(func.count()).select_from(HumanTask)) == 1
    assert _audit_count(engine, "task_completed") == 0


GROUP_MODEL = process("group_step", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="handle" name="办理" camunda:candidateGroups="water"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle"/>
<bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="end"/>
""")


def test_a_claim_writes_its_holder_and_audit_row_with_the_revision_bump(people, tmp_path):
    people.deploy([write(tmp_path, "group.bpmn", GROUP_MODEL)], "designer")
    instance_id = people.start("group_step", "water1")["id"]
    [task] = people.inbox("water1", "claimable")["rows"]
    sent = statements_of(people.db, lambda: people.claim(task["id"], "water1"))
    writes = [s for s in sent if s.startswith(("UPDATE", "INSERT", "DELETE"))
              or s.startswith("WITH") and re.match(r"WITH \w+ AS \((INSERT|UPDATE|DELETE)", s)]
    if _postgresql(people):
        [write_] = writes
        assert re.search(r"\)\s*UPDATE instances SET revision=", write_)
        assert "UPDATE human_tasks SET assignee=" in write_ and "INSERT INTO audit_events" in write_
    else:
        assert len(writes) == 3
    assert [t["id"] for t in people.inbox("water1", "todo")["rows"]] == [task["id"]]
    with people.uow(write=False) as uow:
        assert uow.session.get(Instance, instance_id).revision == 2
    assert _audit_count(people, "task_claimed") == 1


def test_a_waiting_value_too_long_for_its_column_is_refused_never_cut(engine):
    """The appended rows travel as arrays of unbounded text: the INSERT refuses an over-long
    value as a plain INSERT does (a cast to VARCHAR(n)[] would have cut it silently)."""
    if not _postgresql(engine):
        pytest.skip("SQLite keeps text of any length")
    _started(engine)
    with pytest.raises((InvalidInput, DBAPIError)), engine.uow() as uow:
        audit.record(uow.session, "x" * 300, "too_long_actor")
    assert _audit_count(engine, "too_long_actor") == 0


def test_an_engine_that_would_not_send_what_waits_never_lets_a_write_wait(engine):
    """A PostgreSQL engine made without store.db.make_engine (no hook to send the queue): its
    writes go at once, so none can be lost."""
    if not _postgresql(engine):
        pytest.skip("SQLite writes at once")
    plain = create_engine(engine.db.url)
    try:
        with plain.begin() as connection:
            assert not write_behind.defer(connection, "set_holder", {"task_id": "x", "assignee": "y"})
    finally:
        plain.dispose()


def test_a_read_of_other_tables_lets_the_writes_wait_and_a_read_of_theirs_sends_them(engine):
    """The save reads between its writes (a lane's section and its people, the ledger's matters):
    a SELECT of other tables cannot see what waits, so it waits on; one that reads a table a
    waiting write changes, or whose tables are not known (raw SQL), sends it first."""
    if not _postgresql(engine):
        pytest.skip("SQLite writes at once")
    _started(engine)
    with engine.uow() as uow:
        connection = uow.session.connection()
        audit.record(uow.session, "clerk", "noted")
        assert uow.session.scalar(select(func.count()).select_from(Instance)) == 1
        assert uow.session.scalar(select(User.name).where(User.name == "clerk")) == "clerk"
        assert write_behind.QUEUE in connection.info                       # still waiting
        with pytest.raises(RuntimeError, match="raw SQL while writes wait"):  # it could not see them
            connection.exec_driver_sql("SELECT count(*) FROM audit_events")
        assert uow.session.scalar(text("SELECT count(*) FROM audit_events WHERE action = 'noted'")) == 1
        assert write_behind.QUEUE not in connection.info                   # SQL text: sent first
        audit.record(uow.session, "clerk", "noted")
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "noted")) == 2  # its table: sent first
