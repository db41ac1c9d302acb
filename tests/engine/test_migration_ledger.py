"""The shipped ledger_matter moved to a new version: a designer deploys a copy whose 科长审核
conditions for 销号 and 解释说明 are swapped as v2 (a change nobody would ship, but one whose
effect shows), migrates the running matters (one at 整改 with its 整改超期 timer armed, one at
科长审核), and they carry on to the end on v2's conditions; the timer keeps its due date.
SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.store.tables import HumanTask, Instance, Timer
from tests.helpers.cosign_world import MATTER
from tests.helpers.forms import RECTIFIED
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")
CLOSE, EXPLAIN = '${decision == "销号"}', '${decision == "解释说明"}'


@pytest.fixture
def matters(engine, tmp_path):
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    data = {**MATTER, "enterprise_id": ids["enterprise_id"]}
    at_rectify = engine.start("ledger_matter", "xh_water1", data)["id"]
    at_verify = engine.start("ledger_matter", "xh_water1", data)["id"]
    [rectify] = [t for t in engine.tasks("xh_water1") if t["instance_id"] == at_verify]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    text = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
    assert CLOSE in text and EXPLAIN in text
    copy = tmp_path / "ledger_matter.bpmn"
    copy.write_text(text.replace(CLOSE, "@@").replace(EXPLAIN, CLOSE).replace("@@", EXPLAIN), encoding="utf-8")
    assert engine.deploy([copy], "root")
    return engine, at_rectify, at_verify


def open_row(engine, instance_id: int) -> HumanTask:
    with engine.uow(write=False) as uow:
        [row] = uow.session.query(HumanTask).filter_by(instance_id=instance_id, status="open").all()
        uow.session.expunge(row)
        return row


def pending_timers(engine, instance_id: int) -> list[tuple]:
    with engine.uow(write=False) as uow:
        return [(t.element_id, t.due_at) for t in uow.session.query(Timer).filter_by(
            instance_id=instance_id, status="pending")]


def test_running_matters_move_to_the_new_condition_and_finish_on_it(matters):
    engine, at_rectify, at_verify = matters
    timers_before = pending_timers(engine, at_rectify)
    assert [element for element, _due in timers_before] == ["rectification_overdue"]
    plan = engine.plan_migration("ledger_matter", 1, 2, None, "root")
    assert plan["movable"] == 2 and plan["blocked"] == 0, plan
    result = engine.migrate("ledger_matter", 1, 2, None, "root")
    assert result["migrated"] == 2
    with engine.uow(write=False) as uow:
        assert {uow.session.get(Instance, i).version for i in (at_rectify, at_verify)} == {2}
    assert pending_timers(engine, at_rectify) == timers_before  # the 整改超期 deadline did not move

    verify = open_row(engine, at_verify)
    assert (verify.element_id, verify.version) == ("verify", 2)
    if verify.assignee is None:
        engine.claim(verify.id, "xh_water_head")
    engine.complete(verify.id, "xh_water_head", {"decision": "解释说明", "opinion": "企业已说明", "explanation": "属历史遗留，已报备"})
    shown = engine.show(at_verify)
    assert shown["status"] == "completed" and shown["data"]["status"] == "closed"  # v2's branch

    rectify = open_row(engine, at_rectify)
    assert (rectify.element_id, rectify.version) == ("rectify", 2)
    engine.claim(rectify.id, "xh_water1")
    engine.complete(rectify.id, "xh_water1", RECTIFIED)
    verify = open_row(engine, at_rectify)
    if verify.assignee is None:
        engine.claim(verify.id, "xh_water_head")
    engine.complete(verify.id, "xh_water_head", {"decision": "销号", "opinion": "整改到位"})
    shown = engine.show(at_rectify)
    assert shown["status"] == "completed" and shown["data"]["status"] == "explained"
    assert pending_timers(engine, at_rectify) == []
