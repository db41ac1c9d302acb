"""A busy 科室待认领 queue past the window's pages, and newest first: the page's task ids are
found first (SQLite: down ix_human_tasks_claimable; PostgreSQL: `id = ANY(ARRAY(the user's
candidate rows))` through ix_human_tasks_claimable_ids), then their rows — in the order the
earlier pages cut: tasks with a due date by due date (ties by id), then those without one,
newest first; each claimable task once, claimed and other queues' tasks never."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import inspect

from engine import clock
from engine.inbox import pages, views
from engine.inbox.filters import InboxFilter, conditions
from engine.inbox.views import COUNT_CAP
from engine.store.tables import HumanTask, TaskCandidate
from tests.engine.test_inbox_plans import NOW, inbox, section_key
from tests.engine.test_inbox_statements import recorded
from tests.helpers.province import province_with_a_service

USER = "xh_water1"


@pytest.fixture
def province(engine):
    return province_with_a_service(engine)


def _task(uow, ids, n: int, candidates, due, assignee=None, name="整改") -> dict:
    """An open task created n minutes ago (every fifth at the same minute as another: ties)."""
    task = {"id": str(uuid.uuid4()), "created_at": NOW - timedelta(minutes=n - n % 5), "due_at": due}
    uow.session.add(HumanTask(
        id=task["id"], instance_id=ids["instance_id"], process_key="ledger_matter", version=1, element_id="rectify",
        name=name, status="open", assignee=assignee, unit_id=None, enterprise_id=ids["enterprise_id"],
        created_at=task["created_at"], due_at=due, candidate_groups=[], candidate_users=[], unrouted=False))
    uow.session.flush()
    uow.session.add_all([TaskCandidate(task_id=task["id"], kind=kind, name=key) for kind, key in candidates])
    return task


@pytest.fixture
def queue(engine, province) -> list[dict]:
    """A busy queue for USER's section: dated tasks (some due at the same moment), undated
    ones, one matched by two of USER's keys, 核查 tasks for the filter; and tasks USER may not
    claim (claimed, or another section's)."""
    mine = [("section", section_key(engine, USER))]
    claimable = []
    with engine.uow() as uow:
        for n in range(COUNT_CAP + 30):
            due = None if n % 7 in (3, 4) else NOW + timedelta(hours=n // 3)
            claimable.append(_task(uow, province, n, mine if n != 10 else [*mine, ("user", USER)], due,
                                   name="核查" if n % 4 == 0 else "整改"))
        _task(uow, province, 1, mine, NOW, assignee="xh_water2")
        _task(uow, province, 2, [("section", "no-such-section")], NOW)
    return claimable


def _in_order(tasks: list[dict], sort: str) -> list[str]:
    if sort in ("created", "-created"):
        return [t["id"] for t in sorted(tasks, key=lambda t: (t["created_at"], t["id"]), reverse=sort == "-created")]
    dated = sorted((t for t in tasks if t["due_at"]), key=lambda t: (t["due_at"], t["id"]), reverse=sort == "-due")
    undated = sorted((t for t in tasks if not t["due_at"]), key=lambda t: (t["created_at"], t["id"]), reverse=True)
    return [t["id"] for t in dated + undated]


def _deep_pages(engine, f: InboxFilter, per_page: int) -> list[str]:
    listed = []
    with clock.frozen_at(NOW), engine.uow(write=False) as uow:
        where = views.task_conditions(uow.session, USER)
        for offset in range(0, COUNT_CAP + 40, per_page):
            rows = pages.claimable_deep(uow.session, where["_kinds"], conditions(f), f.sort, offset, per_page,
                                        where["_params"])
            listed += [row.id for row in rows]
    return listed


@pytest.mark.parametrize("sort", ["due", "-due", "created", "-created"])
def test_deep_pages_together_list_every_claimable_task_once_in_the_views_order(engine, queue, sort):
    assert _deep_pages(engine, InboxFilter(sort=sort), per_page=9) == _in_order(queue, sort)


@pytest.mark.parametrize("sort", ["due", "-created"])
def test_filtered_deep_pages_list_only_the_matching_tasks(engine, queue, sort):
    matching = [t for t in queue if t["id"] in {task.id for task in _named(engine, "核查")}]
    assert _deep_pages(engine, InboxFilter(task_name="核查", sort=sort), per_page=8) == _in_order(matching, sort)


def _named(engine, name):
    with engine.uow(write=False) as uow:
        return list(uow.session.query(HumanTask).filter(HumanTask.name == name))


def test_the_inbox_pages_a_busy_queue_newest_first_by_task_ids_then_rows(engine, db_engine, queue):
    with recorded(db_engine) as seen:
        page = inbox(engine, USER, "claimable", per_page=20, sort="-created")
    assert page["counts"]["claimable"] == COUNT_CAP + 1 and page["has_next"]
    assert [row["id"] for row in page["rows"]] == _in_order(queue, "-created")[:20]
    ids_sql = [s for s, _ in seen if s.lstrip().startswith("SELECT human_tasks.id \nFROM")]
    assert len(ids_sql) == 1, ids_sql
    if db_engine.dialect.name == "postgresql":  # one index lookup per candidate id, by its shape also generic
        assert "= ANY (array((SELECT task_candidates.task_id" in ids_sql[0]
    else:
        assert "INDEXED BY ix_human_tasks_claimable_ids" in ids_sql[0]


def test_the_claimable_ids_index_holds_the_unclaimed_open_tasks_with_their_dates(db_engine):
    found = {ix["name"]: ix for ix in inspect(db_engine).get_indexes("human_tasks")}
    index = found["ix_human_tasks_claimable_ids"]
    options = index.get("dialect_options", {})
    assert index["column_names"] == ["id", "due_at", "created_at"]
    if db_engine.dialect.name == "postgresql":
        assert "assignee IS NULL" in options["postgresql_where"]
    else:
        with db_engine.connect() as conn:
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'ix_human_tasks_claimable_ids'")
            assert "WHERE assignee IS NULL AND status = 'open'" in sql.scalar()
