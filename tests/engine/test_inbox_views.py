"""The inbox views at the engine: capped tab counts, paging past the cap, the due-date
sort with undated tasks last, filters (Asia/Shanghai days), 我发起的 from started_by,
抄送我的, the busy 科室待认领 queue — on SQLite and PostgreSQL — and the query plans."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from engine import clock
from engine.errors import InvalidInput
from engine.inbox.views import COUNT_CAP, explained_statements
from engine.org.directory import section_of, unit_by_code
from engine.store.collab_tables import TaskCopy
from engine.store.tables import HumanTask, TaskCandidate
from tests.helpers.province import INBOX_MODELS, INBOX_NOW, province_with_a_service

NOW, MODELS = INBOX_NOW, INBOX_MODELS


@pytest.fixture
def province(engine):
    ids = province_with_a_service(engine)
    with engine.uow(write=False) as uow:
        unit = unit_by_code(uow.session, "xh")
        ids["unit_id"], ids["water"] = unit.id, section_of(uow.session, unit.id, "water").id
        ids["air"] = section_of(uow.session, unit.id, "air").id
    return ids


def add_tasks(engine, ids, specs: list[dict]) -> list[str]:
    """Open inbox rows on the province's instance (the views read only these rows)."""
    made = []
    with engine.uow() as uow:
        for spec in specs:
            task_id = str(uuid.uuid4())
            section = spec.pop("section", None)
            row = {"id": task_id, "instance_id": ids["instance_id"], "process_key": "ledger_matter", "version": 1,
                   "element_id": "rectify", "name": "整改", "status": "open", "unit_id": ids["unit_id"],
                   "enterprise_id": ids["enterprise_id"], "created_at": NOW - timedelta(days=1),
                   "candidate_groups": [], "candidate_users": [], "unrouted": False, **spec}
            uow.session.add(HumanTask(**row))
            uow.session.flush()
            if section:
                uow.session.add(TaskCandidate(task_id=task_id, kind="section", name=str(section)))
            made.append(task_id)
    return made


def inbox(engine, actor, view="todo", **kwargs):
    with clock.frozen_at(NOW):
        return engine.inbox(actor, view, **kwargs)


def ids_of(page) -> list[str]:
    return [row["id"] for row in page["rows"]]


def test_counts_stop_at_the_cap_and_pages_go_on_by_next(engine, province):
    add_tasks(engine, province, [{"assignee": "xh_water1", "due_at": NOW + timedelta(hours=i)} for i in range(130)])
    first = inbox(engine, "xh_water1", per_page=20)
    assert first["counts"]["todo"] == COUNT_CAP + 1 and first["counts_capped"]["todo"]
    assert first["total"] is None and first["has_next"] and len(first["rows"]) == 20
    last = inbox(engine, "xh_water1", page=7, per_page=20)
    assert len(last["rows"]) == 10 and not last["has_next"]
    seen = {t for page in range(1, 8) for t in ids_of(inbox(engine, "xh_water1", page=page, per_page=20))}
    assert len(seen) == 130
    few = inbox(engine, "xh_liaison", per_page=20)  # one visit task: exact counts, exact total
    assert few["counts"]["todo"] == 1 and few["total"] == 1 and not few["has_next"]
    assert not few["counts_capped"]["todo"]


def test_due_sort_puts_undated_tasks_last_across_pages(engine, province):
    d3, d1, d2 = add_tasks(engine, province, [{"assignee": "xh_water1", "due_at": NOW + timedelta(days=d)}
                                              for d in (3, 1, 2)])
    old, new = add_tasks(engine, province, [{"assignee": "xh_water1", "due_at": None,
                                             "created_at": NOW - timedelta(days=d)} for d in (5, 2)])
    pages = [ids_of(inbox(engine, "xh_water1", page=p, per_page=2)) for p in (1, 2, 3)]
    assert pages == [[d1, d2], [d3, new], [old]]
    assert ids_of(inbox(engine, "xh_water1", per_page=10, sort="-due")) == [d3, d2, d1, new, old]
    assert ids_of(inbox(engine, "xh_water1", per_page=10, sort="-created"))[-2:] == [new, old]  # dated: -1 day
    assert ids_of(inbox(engine, "xh_water1", per_page=10, sort="created"))[0] == old


def test_filters_by_process_step_due_days_in_shanghai_and_overdue(engine, province):
    late_evening, past_midnight, overdue, service = add_tasks(engine, province, [
        {"assignee": "xh_water1", "due_at": datetime(2026, 3, 12, 15, 30, tzinfo=UTC)},  # 3-12 23:30
        {"assignee": "xh_water1", "due_at": datetime(2026, 3, 12, 16, 10, tzinfo=UTC)},  # 3-13 00:10
        {"assignee": "xh_water1", "due_at": NOW - timedelta(hours=1), "name": "核查", "element_id": "verify"},
        {"assignee": "xh_water1", "due_at": NOW + timedelta(days=9), "process_key": "enterprise_service",
         "name": "记录走访", "element_id": "record_visit"}])
    assert set(ids_of(inbox(engine, "xh_water1", due_from="2026-03-12", due_to="2026-03-12"))) == {late_evening}
    assert set(ids_of(inbox(engine, "xh_water1", due_from="2026-03-13"))) == {past_midnight, service}
    assert ids_of(inbox(engine, "xh_water1", overdue=True)) == [overdue]
    assert ids_of(inbox(engine, "xh_water1", process="enterprise_service")) == [service]
    assert ids_of(inbox(engine, "xh_water1", task_name="核查")) == [overdue]
    filtered = inbox(engine, "xh_water1", process="ledger_matter", overdue=True)
    assert filtered["counts"]["todo"] == 1 and filtered["filters"]["overdue"] is True
    assert ids_of(inbox(engine, "xh_water1", q="没有这家企业")) == []
    assert len(ids_of(inbox(engine, "xh_water1", q=province["credit_code"][:6]))) == 4


@pytest.mark.parametrize("bad", [{"due_from": "2026-13-01"}, {"due_to": "明天"},
                                 {"due_from": "2026-03-12", "due_to": "2026-03-01"}, {"sort": "random"}])
def test_a_bad_filter_is_a_clear_message(engine, province, bad):
    with pytest.raises(InvalidInput) as err:
        inbox(engine, "xh_water1", **bad)
    assert any(word in str(err.value) for word in ("日期", "排序"))


def test_started_reads_started_by_on_the_task_rows(engine, province):
    started = inbox(engine, "xh_liaison", "started")
    assert [row["name"] for row in started["rows"]] == ["记录走访"]  # set by inbox.open_task
    assert started["rows"][0]["started_by"] == "xh_liaison"
    # A row whose started_by names someone else is theirs, whoever started the instance.
    [other] = add_tasks(engine, province, [{"assignee": "xh_water1", "started_by": "xh_water_head"}])
    assert ids_of(inbox(engine, "xh_water_head", "started")) == [other]
    assert other not in ids_of(inbox(engine, "xh_liaison", "started"))


def test_copied_lists_copies_newest_first_and_counts_the_unread(engine, province):
    first, second = add_tasks(engine, province, [{"assignee": "xh_water1"}, {"assignee": None}])
    with engine.uow() as uow:
        uow.session.add_all([
            TaskCopy(task_id=first, instance_id=province["instance_id"], recipient="xh_leader",
                     sender="xh_water1", note="请阅", created_at=NOW - timedelta(hours=3), read_at=NOW),
            TaskCopy(task_id=second, instance_id=province["instance_id"], recipient="xh_leader",
                     sender="xh_water_head", note="请关注进度", created_at=NOW - timedelta(hours=1))])
    page = inbox(engine, "xh_leader", "copied")
    assert ids_of(page) == [second, first] and page["counts"]["copied"] == 1
    assert page["rows"][0]["copy_info"] == {**page["rows"][0]["copy_info"], "sender": "xh_water_head",
                                            "note": "请关注进度", "read": False}
    assert page["rows"][1]["copy_info"]["read"] is True
    assert inbox(engine, "xh_water1", "copied")["rows"] == []


def test_a_busy_section_queue_pages_in_due_order(engine, province):
    water = add_tasks(engine, province, [{"section": province["water"], "due_at": NOW + timedelta(hours=2 * i)}
                                         for i in range(120)])
    add_tasks(engine, province, [{"section": province["air"], "due_at": NOW + timedelta(hours=2 * i + 1)}
                                 for i in range(120)])
    add_tasks(engine, province, [{"section": province["water"], "assignee": "xh_water2",
                                  "due_at": NOW - timedelta(days=1)}])
    first = inbox(engine, "xh_water1", "claimable", per_page=20)
    assert first["counts"]["claimable"] == COUNT_CAP + 1 and first["has_next"]
    assert ids_of(first) == water[:20]
    assert ids_of(inbox(engine, "xh_water1", "claimable", page=6, per_page=20)) == water[100:120]
    assert ids_of(inbox(engine, "xh_water1", "claimable", per_page=5, sort="-due")) == water[::-1][:5]
    assert inbox(engine, "xh_air1", "claimable")["counts"]["claimable"] == COUNT_CAP + 1


def test_every_view_query_uses_an_index(engine, province):
    add_tasks(engine, province, [{"section": province["water"], "due_at": NOW + timedelta(hours=i)}
                                 for i in range(30)])
    with engine.uow(write=False) as uow:
        session = uow.session
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":  # tiny tables: make the planner show which index it can use
            session.execute(text("SET LOCAL enable_seqscan = off"))
        for view, statements in explained_statements(session, "xh_water1").items():
            for part, stmt in statements.items():
                sql = str(stmt.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
                prefix = "EXPLAIN " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
                plan = " | ".join(str(r[0] if dialect == "postgresql" else r[-1])
                                  for r in session.execute(text(prefix + sql)))
                where = f"{view}.{part}: {plan}"
                assert "SCAN human_tasks" not in plan and "Seq Scan on human_tasks" not in plan, where
                assert "SCAN task_copies" not in plan and "Seq Scan on task_copies" not in plan, where
                if dialect == "sqlite" and part == "first_page" and view != "claimable":
                    assert "TEMP B-TREE FOR ORDER BY" not in plan, where  # the index gives the order


def test_the_filter_options_list_deployed_processes_and_their_steps(engine, province):
    options = inbox(engine, "xh_water1", options=True)["processes"]
    by_key = {p["key"]: p for p in options}
    assert {"enterprise_service", "ledger_matter"} <= set(by_key)
    assert "记录走访" in by_key["enterprise_service"]["task_names"]
    assert "processes" not in inbox(engine, "xh_water1")
