"""What an inbox page costs in statements: every tab's count in one statement, a handful
per page, and — from the second page on — every statement a hit in SQLAlchemy's compiled
cache, also for another user of the same shape (the names are bound parameters, not
literals baked into the SQL). On SQLite the 科室待认领 count starts from the user's
candidate rows, not from every unclaimed task of the province."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text

from engine import clock
from engine.inbox import views
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")
# SQLite's BEGIN (a PostgreSQL query has none), the account check with whom the user stands in for
# and every candidate key (one statement), the counts, a page in two parts (enterprise and holder
# names joined in); on PostgreSQL a short 科室待认领 list first finds its ids from the candidate rows
MAX_STATEMENTS = 5


@pytest.fixture
def province(engine):
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    with clock.frozen_at(NOW):
        for _ in range(3):
            engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    return ids


@contextmanager
def recorded(db_engine):
    """The statements executed in the block, with their compiled-cache outcome."""
    seen: list[tuple[str, str]] = []

    def listen(conn, cursor, statement, params, context, executemany):
        seen.append((statement, str(getattr(context, "cache_hit", ""))))
    event.listen(db_engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(db_engine, "before_cursor_execute", listen)


@pytest.mark.parametrize("view", views.VIEWS)
def test_a_view_runs_few_statements_and_reuses_their_compiled_forms(engine, db_engine, province, view):
    with clock.frozen_at(NOW):
        engine.inbox("xh_water1", view)
        first = engine.inbox("xh_liaison", view)
        with recorded(db_engine) as again:
            assert engine.inbox("xh_liaison", view) == first
        with recorded(db_engine) as other:
            engine.inbox("xh_water2", view)  # another user of the same shape as xh_water1

    for seen in (again, other):
        assert 0 < len(seen) <= MAX_STATEMENTS, [s for s, _ in seen]
        counts = [s for s, _ in seen if "count(*)" in s]
        assert len(counts) == 1, counts  # every tab's count in one statement
        missed = [s for s, hit in seen if "CACHE_MISS" in hit or "CACHE_KEY_MISS" in hit]
        assert missed == [], missed
    # the user's name is a bound parameter: never spelled into the SQL
    assert not any("xh_water2" in s for s, _ in other)


def test_the_counts_statement_is_built_once_per_shape_of_user(engine, province):
    views._unfiltered_counts_statement.cache_clear()
    with clock.frozen_at(NOW):
        for user in ("xh_water1", "xh_liaison", "xh_water2"):
            engine.inbox(user, "todo")
        engine.inbox("xh_water1", "todo", process="enterprise_service")  # filtered: built for it
    info = views._unfiltered_counts_statement.cache_info()
    assert info.hits >= 1 and info.misses <= 2


def test_claimable_count_on_sqlite_walks_the_users_candidate_rows(engine, db_engine, province):
    if db_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: engine.inbox.statements.claimable_candidates (tests/engine/test_inbox_plans.py)")
    with engine.uow(write=False) as uow:
        statements = views.explained_statements(uow.session, "xh_water1")
        sql = str(statements["claimable"]["count"].compile(dialect=db_engine.dialect,
                                                         compile_kwargs={"literal_binds": True}))
        plan = [row[-1] for row in uow.session.execute(text("EXPLAIN QUERY PLAN " + sql))]
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert "task_candidates" in searches[0], plan
    assert not any("human_tasks" in step and "assignee" in step for step in plan), plan


def test_a_disabled_account_is_refused_by_the_first_statement(engine, db_engine, province):
    """The account check rides in the keys statement: a disabled (or unknown) user learns so from
    it, and nothing of any inbox is read for them."""
    from engine.errors import NotAllowed
    engine.set_active("xh_water2", False, actor="root")
    for name in ("xh_water2", "nobody"):
        with recorded(db_engine) as seen, pytest.raises(NotAllowed) as refused:
            engine.inbox(name, "claimable")
        assert refused.value.code == "unknown_user"
        assert [s for s, _ in seen if s.strip() != "BEGIN"] == [seen[-1][0]]
        assert "count(*)" not in seen[-1][0] and "acting" in seen[-1][0]
    engine.set_active("xh_water2", True, actor="root")
    assert engine.inbox("xh_water2", "claimable")["counts"]["claimable"] == \
        engine.inbox("xh_water1", "claimable")["counts"]["claimable"]
