"""Batch migration of running instances between versions: v1 runs A → B → C; v2 renames B to B2
and adds D after C. The dry run tells which instances can move and why not; the mapping B=B2
moves them all; a migrated instance carries on to the end on v2; an instance changed after the
plan stays on v1. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput, NotAllowed
from tests.helpers.migration_world import build_world, open_task, version_of


@pytest.fixture
def world(people, tmp_path):
    """Three instances on v1 waiting at A, B and C; then v2 deployed."""
    return people, build_world(people, tmp_path)


def by_instance(plan: dict) -> dict[int, dict]:
    return {row["instance_id"]: row for row in plan["instances"]}


def test_dry_run_says_which_instances_can_move_and_why_not(world):
    engine, ids = world
    plan = engine.plan_migration("chain", 1, 2, None, "designer")
    rows = by_instance(plan)
    assert rows[ids["A"]]["movable"] and rows[ids["C"]]["movable"]
    assert not rows[ids["B"]]["movable"]
    assert "(B)" in rows[ids["B"]]["reasons"][0] and "B=B2" in rows[ids["B"]]["reasons"][0]  # the hint
    assert any("重新分派" in note for note in rows[ids["C"]]["notes"])  # C's lane changed: re-routed
    assert (plan["total"], plan["movable"], plan["blocked"], plan["migrated"]) == (3, 2, 1, 0)
    assert all(version_of(engine, i) == 1 for i in ids.values())  # a dry run writes nothing
    dry = engine.migrate("chain", 1, 2, None, "designer", dry_run=True)
    assert dry["migrated"] == 0 and all(version_of(engine, i) == 1 for i in ids.values())


def test_with_the_mapping_all_move_and_carry_on_to_the_end_on_v2(world):
    engine, ids = world
    result = engine.migrate("chain", 1, 2, {"B": "B2"}, "designer")
    assert (result["migrated"], result["blocked"]) == (3, 0)
    assert all(version_of(engine, i) == 2 for i in ids.values())
    at_b = open_task(engine, ids["B"])
    assert (at_b.element_id, at_b.version, at_b.name) == ("B2", 2, "乙二")
    at_c = open_task(engine, ids["C"])
    assert at_c.candidate_groups == ["head_lane"]  # re-routed by the new lane
    engine.complete(at_b.id, "water1", {})
    assert open_task(engine, ids["B"]).element_id == "C"
    engine.add_user("head9", ["head_lane"])
    engine.complete(at_c.id, "head9", {})
    at_d = open_task(engine, ids["C"])
    assert (at_d.element_id, at_d.version) == ("D", 2)  # the step only v2 has
    engine.complete(at_d.id, "water1", {})
    assert engine.show(ids["C"])["status"] == "completed"
    history = [e["action"] for e in engine.show(ids["A"])["history"]]
    assert "instance_migrated" in history


def test_without_the_mapping_the_movable_ones_move_and_the_rest_stay(world):
    engine, ids = world
    result = engine.migrate("chain", 1, 2, {}, "designer")
    assert (result["migrated"], result["blocked"]) == (2, 1)
    assert version_of(engine, ids["B"]) == 1 and open_task(engine, ids["B"]).element_id == "B"
    engine.complete(open_task(engine, ids["B"]).id, "water1", {})  # still runs on v1
    assert open_task(engine, ids["B"]).version == 1


def test_an_instance_changed_after_the_plan_is_refused_and_stays_on_v1(world, monkeypatch):
    engine, ids = world
    plan = type(engine).plan_migration

    def plan_then_someone_acts(self, *args, **kwargs):
        result = plan(self, *args, **kwargs)
        engine.complete(open_task(engine, ids["A"]).id, "water1", {})  # between the plan and the move
        return result
    monkeypatch.setattr(type(engine), "plan_migration", plan_then_someone_acts)
    result = engine.migrate("chain", 1, 2, {"B": "B2"}, "designer")
    rows = by_instance(result)
    assert not rows[ids["A"]]["migrated"] and "预演之后已有变化" in rows[ids["A"]]["reasons"][-1]
    assert version_of(engine, ids["A"]) == 1 and open_task(engine, ids["A"]).element_id == "B"
    assert rows[ids["C"]]["migrated"] and result["migrated"] == 2


def test_designers_only_and_a_mapping_must_name_real_elements(world):
    engine, _ids = world
    with pytest.raises(NotAllowed):
        engine.plan_migration("chain", 1, 2, None, "water1")
    with pytest.raises(InvalidInput) as bad:
        engine.plan_migration("chain", 1, 2, {"B": "Nope"}, "designer")
    assert "Nope" in str(bad.value)
    with pytest.raises(InvalidInput):
        engine.migrate("chain", 2, 2, None, "admin")
