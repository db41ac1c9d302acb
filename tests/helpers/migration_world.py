"""A process to migrate: v1 runs A → B → C; v2 renames B to B2 (乙二), moves C to the head_lane
group and adds D after C. Three instances of v1 wait at A, B and C."""
from __future__ import annotations

from engine.store.tables import HumanTask, Instance
from tests.helpers.models import chain, process, user_task, write

V1 = process("chain", chain(user_task("A", "甲", candidateGroups="water"), user_task("B", "乙", candidateGroups="water"),
                            user_task("C", "丙", candidateGroups="water")))
V2 = process("chain", chain(user_task("A", "甲", candidateGroups="water"), user_task("B2", "乙二", candidateGroups="water"),
                            user_task("C", "丙", candidateGroups="head_lane"), user_task("D", "丁", candidateGroups="water")))


def open_task(engine, instance_id: int) -> HumanTask:
    with engine.uow(write=False) as uow:
        [row] = uow.session.query(HumanTask).filter_by(instance_id=instance_id, status="open").all()
        uow.session.expunge(row)
        return row


def advance_to(engine, instance_id: int, element: str) -> None:
    while (row := open_task(engine, instance_id)).element_id != element:
        engine.complete(row.id, "water1", {})


def version_of(engine, instance_id: int) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.get(Instance, instance_id).version


def build_world(engine, tmp_path) -> dict[str, int]:
    """Deploy v1 (as `designer`, a user of tests/conftest.py's people), start one instance
    per waiting step, deploy v2; returns {step: instance id}."""
    engine.deploy([write(tmp_path, "chain.bpmn", V1)], "designer")
    ids = {}
    for element in ("A", "B", "C"):
        ids[element] = engine.start("chain", "water1")["id"]
        advance_to(engine, ids[element], element)
    (tmp_path / "v2").mkdir()
    engine.deploy([write(tmp_path / "v2", "chain.bpmn", V2)], "designer")
    return ids
