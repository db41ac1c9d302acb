"""What lets each database plan the inbox well also as a prepared statement's generic plan
(psycopg prepares after five executions; PostgreSQL then plans once, without the values):
the statuses, candidate kinds and LIMITs are spelled into the SQL, never bound — with
`status = $1` the partial indexes cannot serve, and the 科室待认领 count and page hashed every
open task of the province (bench-inbox, 100k: 25 ms and 165 ms). And the 科室待认领 walk
from a user's candidate rows still counts and lists a task once when two of their keys match it."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event

from engine import clock
from engine.inbox.views import COUNT_CAP, VIEWS
from engine.store.tables import HumanTask, TaskCandidate
from tests.helpers.province import INBOX_MODELS, INBOX_NOW, province_with_a_service

NOW, MODELS = INBOX_NOW, INBOX_MODELS


@pytest.fixture
def province(engine):
    return province_with_a_service(engine)


def open_task(engine, ids, candidates: list[tuple[str, str]], due_in: timedelta, assignee=None) -> str:
    task_id = str(uuid.uuid4())
    with engine.uow() as uow:
        uow.session.add(HumanTask(
            id=task_id, instance_id=ids["instance_id"], process_key="ledger_matter", version=1, element_id="rectify",
            name="整改", status="open", assignee=assignee, unit_id=None, enterprise_id=ids["enterprise_id"],
            created_at=NOW - timedelta(days=1), due_at=NOW + due_in, candidate_groups=[], candidate_users=[],
            unrouted=False))
        uow.session.flush()
        uow.session.add_all([TaskCandidate(task_id=task_id, kind=kind, name=name) for kind, name in candidates])
    return task_id


def section_key(engine, user: str) -> str:
    with engine.uow(write=False) as uow:
        from engine.org.lanes import acting_and_candidate_keys
        return sorted(acting_and_candidate_keys(uow.session, user)[1]["section"])[0]


def inbox(engine, actor, view="todo", **kwargs):
    with clock.frozen_at(NOW):
        return engine.inbox(actor, view, **kwargs)


@pytest.mark.parametrize("view", VIEWS)
def test_statuses_kinds_and_limits_are_spelled_into_the_sql(engine, db_engine, province, view):
    section = section_key(engine, "xh_water1")
    for i in range(COUNT_CAP + 5):  # a busy queue: its page walks the window
        open_task(engine, province, [("section", section)], timedelta(hours=i))
    seen: list[str] = []

    def listen(conn, cursor, statement, params, context, executemany):
        seen.append(statement)
    event.listen(db_engine, "before_cursor_execute", listen)
    try:
        inbox(engine, "xh_water1", view)
        inbox(engine, "xh_water1", view, page=2)
    finally:
        event.remove(db_engine, "before_cursor_execute", listen)

    inbox_sql = [s for s in seen if "human_tasks" in s or "task_copies" in s]
    assert inbox_sql
    for sql in inbox_sql:
        assert not re.search(r"\.status = (\?|%\()", sql), sql
        assert not re.search(r"\.kind = (\?|%\()", sql), sql
        assert not re.search(r"LIMIT (\?|%\()", sql), sql  # (SQLite adds OFFSET ? = 0 to a bare LIMIT)
        assert not re.search(r"OFFSET %\(", sql), sql
    if view in ("todo", "claimable", "started"):
        assert any(".status = 'open'" in sql for sql in inbox_sql)


@pytest.mark.parametrize("busy", [False, True])
def test_a_task_two_of_my_keys_match_is_counted_and_listed_once(engine, province, busy):
    section = section_key(engine, "xh_water1")
    both = open_task(engine, province, [("section", section), ("user", "xh_water1")], timedelta(hours=1))
    others = [open_task(engine, province, [("section", section)], timedelta(hours=2 + i))
              for i in range(COUNT_CAP + 5 if busy else 3)]
    open_task(engine, province, [("section", section)], timedelta(hours=1), assignee="xh_water2")  # claimed

    page = inbox(engine, "xh_water1", "claimable", per_page=10)
    listed = [row["id"] for row in page["rows"]]
    assert listed == [both, *others[:9]]
    assert page["counts"]["claimable"] == (COUNT_CAP + 1 if busy else 4)
    if not busy:
        assert page["total"] == 4 and not page["has_next"]
    newest_first = [row["id"] for page in (1, 2) for row in inbox(engine, "xh_water1", "claimable", per_page=100,
                                                                  sort="-created", page=page)["rows"]]
    assert newest_first.count(both) == 1  # once over both pages, though every task was created at the same time
    assert len(newest_first) == len(set(newest_first)) == 1 + len(others)


def test_a_quiet_queues_page_is_one_statement_text_whatever_its_number_of_tasks(engine, db_engine, province):
    """PostgreSQL pages a quiet 科室待认领 by the ids of the user's claimable tasks: bound as one
    array, the statement's text is the same for 3 tasks as for 7 (one prepared statement, one
    plan), where an IN list made a new text, planned anew, for every length."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: SQLite pages a quiet queue by its conditions (no ids)")
    section = section_key(engine, "xh_water1")
    tasks = [open_task(engine, province, [("section", section)], timedelta(hours=i)) for i in range(7)]

    def page_sql() -> tuple[list[str], list[str]]:
        seen: list[str] = []
        listen = lambda conn, cursor, statement, *rest: seen.append(statement)  # noqa: E731
        event.listen(db_engine, "before_cursor_execute", listen)
        try:
            rows = [row["id"] for row in inbox(engine, "xh_water1", "claimable", per_page=10)["rows"]]
        finally:
            event.remove(db_engine, "before_cursor_execute", listen)
        return rows, [s for s in seen if "unnest" in s and "due_at IS NOT NULL" in s]  # (the dated tasks')

    with engine.uow() as uow:  # four of them claimed by someone else: 3 left
        uow.session.query(HumanTask).filter(HumanTask.id.in_(tasks[3:])).update({"assignee": "xh_water2"})
    three, few = page_sql()
    with engine.uow() as uow:
        uow.session.query(HumanTask).filter(HumanTask.id.in_(tasks[3:])).update({"assignee": None})
    seven, many = page_sql()
    assert three == tasks[:3] and seven == tasks
    assert len(few) == len(many) == 1 and few == many
