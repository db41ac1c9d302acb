"""human_tasks' per-person indexes hold only the tasks their views show (migration 0019):
待办 and 我发起的 the open tasks, 已办 the completed ones, the admin's unrouted list the open
unrouted ones. A completion then moves no entry inside them. This holds only while each
database still matches its views' statements to those partial indexes: here every inbox
statement on human_tasks is planned through an index, each of the three per-person indexes
serves, and the unrouted list lists what it should down its own index."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event

from engine.store.tables import HumanTask
from tests.helpers.province import INBOX_NOW, province_with_a_service

NOW = INBOX_NOW
USER = "xh_water1"


@pytest.fixture
def province(engine):
    return province_with_a_service(engine)


def task_row(engine, ids, *, status="open", assignee=None, completed_by=None, started_by=None,
             unrouted=False) -> str:
    task_id = str(uuid.uuid4())
    with engine.uow() as uow:
        uow.session.add(HumanTask(
            id=task_id, instance_id=ids["instance_id"], process_key="ledger_matter", version=1,
            element_id="rectify", name="整改", status=status, assignee=assignee, completed_by=completed_by,
            completed_at=NOW if status == "completed" else None, started_by=started_by, unit_id=None,
            enterprise_id=ids["enterprise_id"], created_at=NOW - timedelta(days=1), due_at=NOW + timedelta(days=3),
            candidate_groups=[], candidate_users=[], unrouted=unrouted))
    return task_id


def planned(db_engine, statements: list[tuple[str, object]]) -> list[str]:
    """Each statement's plan as one text (PostgreSQL told to avoid sequential scans, since a
    test's few rows would make one the cheapest)."""
    plans = []
    with db_engine.begin() as conn:  # SET LOCAL: the setting ends with this transaction
        if db_engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for sql, params in statements:
            rows = conn.exec_driver_sql(explain + sql, params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in rows))
    return plans


def statements_of(db_engine, action) -> list[tuple[str, object]]:
    seen = []

    def listen(conn, cursor, statement, params, context, executemany):
        if "FROM human_tasks" in statement:
            seen.append((statement, params))
    event.listen(db_engine, "before_cursor_execute", listen)
    try:
        action()
    finally:
        event.remove(db_engine, "before_cursor_execute", listen)
    return seen


def full_scan(plan: str) -> bool:
    return "Seq Scan on human_tasks" in plan or "SCAN human_tasks" in plan and "USING" not in plan


def test_each_person_view_reads_its_partial_index(engine, db_engine, province):
    for _ in range(3):
        task_row(engine, province, assignee=USER, started_by=USER)
        task_row(engine, province, status="completed", assignee=USER, completed_by=USER, started_by=USER)
    seen = []
    for view in ("todo", "started", "done"):
        seen += statements_of(db_engine, lambda view=view: engine.inbox(USER, view))
    plans = planned(db_engine, seen)

    assert plans and not [plan for plan in plans if full_scan(plan)], plans
    if db_engine.dialect.name == "sqlite":  # the tabs' capped counts read these indexes alone
        counted = [step for (sql, _), plan in zip(seen, plans) if "count(" in sql for step in plan.split(" | ")
                   if "ix_human_tasks_" in step and "claimable" not in step]
        assert counted and all("COVERING INDEX" in step for step in counted), counted


def test_the_unrouted_list_shows_open_unrouted_tasks_down_its_own_index(engine, db_engine, province):
    waiting = task_row(engine, province, unrouted=True)
    task_row(engine, province, status="completed", unrouted=True, completed_by="root")  # closed: not listed
    task_row(engine, province)  # routed to a queue: not listed
    task_row(engine, province, unrouted=True, assignee=USER)  # already given to someone: not listed

    seen = statements_of(db_engine, lambda: engine.unrouted("root"))
    assert [task["id"] for task in engine.unrouted("root")] == [waiting]
    listing = [(sql, params) for sql, params in seen if "ORDER BY" in sql]
    assert listing and all("ix_human_tasks_unrouted" in plan for plan in planned(db_engine, listing))


@pytest.mark.parametrize("index, holds", [("ix_human_tasks_assignee_open", "status = 'open'"),
                                          ("ix_human_tasks_started_by", "status = 'open'"),
                                          ("ix_human_tasks_completed_by", "status = 'completed'"),
                                          ("ix_human_tasks_unrouted", "status = 'open'")])
def test_a_closed_or_open_task_is_no_entry_in_the_other_views_indexes(db_engine, index, holds):
    """As the database holds them (its catalogue), not as the models declare them: without
    the condition every task is an entry, and a completion moves one in each index."""
    with db_engine.connect() as conn:
        if db_engine.dialect.name == "postgresql":
            definition = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = %(name)s",
                                              {"name": index}).scalar_one()
        else:
            definition = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).scalar_one()
    where = definition.partition(" WHERE ")[2]
    assert holds in where.replace("(", "").replace(")", "").replace("::text", ""), definition
