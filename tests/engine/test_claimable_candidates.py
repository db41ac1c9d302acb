"""task_candidates.claimable says whether the row's task is open and held by nobody, whoever
writes (migration 0021's triggers): 科室待认领's pages read only those rows. A water
rectification queued for its section: claimed, released, assigned, transferred to the air
section, claimed there and completed — after each step the flag is what the task row says,
and the air section's deep page lists the task exactly while it may be claimed. Rows written
with plain SQL (a bulk fill, an administrator) get it too. On SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, select, update

from engine import clock
from engine.inbox import pages, views
from engine.store.tables import HumanTask, TaskCandidate
from tests.engine.test_acting_keys import water_matter  # noqa: F401 (a fixture)
from tests.helpers.forms import RECTIFIED

_TASKS, _CANDIDATES = HumanTask.__table__, TaskCandidate.__table__


def flags(engine, task_id: str) -> dict[tuple[str, str], bool]:
    with engine.uow(write=False) as uow:
        return {(kind, name): flag for kind, name, flag in uow.session.execute(
            select(_CANDIDATES.c.kind, _CANDIDATES.c.name, _CANDIDATES.c.claimable)
            .where(_CANDIDATES.c.task_id == task_id))}


def claimable_now(engine, task_id: str) -> bool:
    with engine.uow(write=False) as uow:
        row = uow.session.execute(select(_TASKS.c.assignee, _TASKS.c.status).where(_TASKS.c.id == task_id)).one()
    return row.assignee is None and row.status == "open"


def assert_flags_follow_the_task(engine, task_id: str, expected: bool) -> None:
    assert claimable_now(engine, task_id) is expected
    found = flags(engine, task_id)
    assert found and set(found.values()) == {expected}, found


def deep_page_ids(engine, user: str) -> list[str]:
    """Every task of `user`'s 科室待认领 as its deep pages list them (statements.claimable_ids_page)."""
    with engine.uow(write=False) as uow:
        where = views.task_conditions(uow.session, user)
        rows = pages.claimable_deep(uow.session, where["_kinds"], [], "due", 0, 50, where["_params"])
    return [row.id for row in rows]


def test_the_flag_follows_a_rectification_through_claim_release_assign_transfer_and_completion(
        engine, water_matter):  # noqa: F811
    task_id = water_matter["id"]
    assert_flags_follow_the_task(engine, task_id, True)            # opened queued for the water section
    engine.claim(task_id, "xh_water1")
    assert_flags_follow_the_task(engine, task_id, False)
    assert task_id not in deep_page_ids(engine, "xh_water2")
    engine.release(task_id, "xh_water1", "出差一周，退回科室")
    assert_flags_follow_the_task(engine, task_id, True)
    assert task_id in deep_page_ids(engine, "xh_water2")
    engine.assign(task_id, "xh_water2", "root")
    assert_flags_follow_the_task(engine, task_id, False)
    engine.transfer(task_id, "xh_water2", reason="属大气问题", to_section="air")
    assert set(flags(engine, task_id)) == {("section", next(iter(flags(engine, task_id)))[1])}
    assert_flags_follow_the_task(engine, task_id, True)            # the air section's new row
    assert task_id in deep_page_ids(engine, "xh_air1") and task_id not in deep_page_ids(engine, "xh_water2")
    engine.claim(task_id, "xh_air1")
    assert_flags_follow_the_task(engine, task_id, False)
    engine.complete(task_id, "xh_air1", RECTIFIED)
    assert flags(engine, task_id) == {}                             # a closed task's rows go


@pytest.fixture
def open_row(engine, water_matter):  # noqa: F811
    """A task row of the same instance, written with plain SQL (as `sanfu bench-inbox` fills)."""
    with engine.uow() as uow:
        instance_id = uow.session.scalar(select(_TASKS.c.instance_id).where(_TASKS.c.id == water_matter["id"]))
    task_id = str(uuid.uuid4())
    with engine.db.begin() as conn:
        conn.execute(insert(_TASKS), [{
            "id": task_id, "instance_id": instance_id, "process_key": "ledger_matter", "version": 1,
            "element_id": "rectify", "name": "整改", "status": "open", "assignee": None,
            "candidate_groups": [], "candidate_users": [], "unrouted": False, "created_at": clock.now()}])
    return task_id


def test_rows_written_with_plain_sql_get_the_flag(engine, open_row):
    with engine.db.begin() as conn:
        conn.execute(insert(_CANDIDATES), [{"task_id": open_row, "kind": "section", "name": "1"},
                                           {"task_id": open_row, "kind": "user", "name": "xh_water1"}])
    assert flags(engine, open_row) == {("section", "1"): True, ("user", "xh_water1"): True}
    with engine.db.begin() as conn:
        conn.execute(update(_TASKS).where(_TASKS.c.id == open_row).values(assignee="xh_water1"))
    assert set(flags(engine, open_row).values()) == {False}
    with engine.db.begin() as conn:
        conn.execute(update(_TASKS).where(_TASKS.c.id == open_row).values(assignee=None))
    assert set(flags(engine, open_row).values()) == {True}
    with engine.db.begin() as conn:                                 # closed while queued (cancelled)
        conn.execute(update(_TASKS).where(_TASKS.c.id == open_row).values(status="cancelled"))
    assert set(flags(engine, open_row).values()) == {False}


def test_a_candidate_row_of_a_held_task_is_written_unclaimable(engine, open_row):
    with engine.db.begin() as conn:
        conn.execute(update(_TASKS).where(_TASKS.c.id == open_row).values(assignee="xh_water2"))
        conn.execute(insert(_CANDIDATES), [{"task_id": open_row, "kind": "section", "name": "1", "claimable": True}])
    assert flags(engine, open_row) == {("section", "1"): False}     # the task's state, not what the writer said
