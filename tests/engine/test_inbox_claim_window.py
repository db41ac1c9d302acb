"""A busy 科室待认领 queue's page and the tabs with nothing (more) to show, as the inbox reads
them: on SQLite the page walks ix_human_tasks_claimable (due date, then id: the order only
that index holds), reading a task's row only when one of its candidate rows matches — down
ix_human_tasks_assignee_open it had read the row of every unclaimed task it passed
(bench-inbox, 100k: 2–5 ms a page, then 0.8 ms); and a tab whose exact count ends before
the page asks no page statement."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from engine.inbox import pages, views
from engine.inbox.views import COUNT_CAP
from tests.engine.test_inbox_plans import inbox, open_task, section_key
from tests.engine.test_inbox_statements import recorded
from tests.helpers.province import province_with_a_service

PAGE_SQL = "LEFT OUTER JOIN enterprises"  # only a page's statements join the enterprise's name in


@pytest.fixture
def province(engine):
    return province_with_a_service(engine)


def busy_queue(engine, ids, user="xh_water1", extra=5) -> list[str]:
    section = section_key(engine, user)
    return [open_task(engine, ids, [("section", section)], timedelta(hours=i)) for i in range(COUNT_CAP + extra)]


def test_sqlite_walks_the_claimable_index_for_a_busy_queues_page(engine, db_engine, province):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL: statements.fenced_window, tests/engine/test_inbox_plans.py)")
    with engine.uow(write=False) as uow:
        keys = views.task_conditions(uow.session, "xh_water1")
        for bounded in (False, True):
            stmt = pages.window_statement(keys["_claim_keys"], keys["_kinds"], [], "due", "sqlite", bounded)
            params = {**keys["_params"], "page_offset": 0, "page_limit": 21, "window_bound": datetime(2099, 1, 1, tzinfo=UTC)}
            sql = str(stmt.params(**params).compile(dialect=db_engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = [row[-1] for row in uow.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
            assert any("human_tasks USING INDEX ix_human_tasks_claimable" in step for step in plan), plan
            assert not any("TEMP B-TREE" in step for step in plan), plan  # no sort: the index's order


def test_a_busy_queue_lists_tasks_due_together_in_id_order_page_after_page(engine, db_engine, province):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("ties by id: the SQLite window's order")
    section = section_key(engine, "xh_water1")
    same_due = [open_task(engine, province, [("section", section)], timedelta(hours=1)) for _ in range(COUNT_CAP + 5)]
    first, second = (inbox(engine, "xh_water1", "claimable", per_page=10, page=n)["rows"] for n in (1, 2))
    listed = [row["id"] for row in first + second]
    assert listed == sorted(same_due)[:20]


def test_a_busy_queue_pages_by_due_date_as_before(engine, province):
    queued = busy_queue(engine, province)
    soonest, latest = (inbox(engine, "xh_water1", "claimable", per_page=20, sort=sort) for sort in ("due", "-due"))
    assert soonest["counts"]["claimable"] == COUNT_CAP + 1 and soonest["total"] is None
    assert [row["id"] for row in soonest["rows"]] == queued[:20]
    assert [row["id"] for row in latest["rows"]] == queued[::-1][:20]
    assert soonest["has_next"] and latest["has_next"]


@pytest.mark.parametrize("view", ["todo", "claimable", "done", "started"])
def test_an_empty_tab_asks_no_page_statement(engine, db_engine, province, view):
    inbox(engine, "xh_leader", view)
    with recorded(db_engine) as seen:
        page = inbox(engine, "xh_leader", view)
    assert page["counts"][view] == 0 and page["rows"] == [] and page["total"] == 0 and not page["has_next"]
    assert not [s for s, _ in seen if PAGE_SQL in s]


def test_a_page_past_an_exact_count_asks_no_page_statement_but_a_busy_tab_still_pages(engine, db_engine, province):
    section = section_key(engine, "xh_water1")
    few = [open_task(engine, province, [("section", section)], timedelta(hours=i)) for i in range(3)]
    with recorded(db_engine) as seen:
        past = inbox(engine, "xh_water1", "claimable", per_page=2, page=3)
    assert past["rows"] == [] and past["total"] == 3 and not past["has_next"]
    assert not [s for s, _ in seen if PAGE_SQL in s]
    last = inbox(engine, "xh_water1", "claimable", per_page=2, page=2)
    assert [row["id"] for row in last["rows"]] == few[2:] and not last["has_next"]

    busy_queue(engine, province)
    with recorded(db_engine) as seen:
        far = inbox(engine, "xh_water1", "claimable", per_page=20, page=6)  # beyond the capped count
    assert len(far["rows"]) == 3 + COUNT_CAP + 5 - 100 and not far["has_next"]
    assert [s for s, _ in seen if PAGE_SQL in s]


@pytest.mark.parametrize("sort", ["due", "-created"])
def test_every_page_of_a_busy_queue_together_lists_each_task_once_in_order(engine, province, sort):
    """Past the window's pages (and by creation date) the user's claimable tasks are found
    from their candidate rows and sorted (PostgreSQL: by id, statements.claimable_candidates)."""
    queued = busy_queue(engine, province)  # due an hour apart, all created at the same time
    listed = [row["id"] for page in range(1, 13)
              for row in inbox(engine, "xh_water1", "claimable", per_page=10, page=page, sort=sort)["rows"]]
    assert listed == (queued if sort == "due" else sorted(queued, reverse=True))
