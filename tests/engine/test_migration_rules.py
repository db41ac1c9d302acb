"""What blocks a migration and what does not, on the shipped enterprise_service: v2 waits two
months before the 回访 instead of one. A service inside its 一事一单 call activity moves (the
called matters keep their own version) and, once its matters are closed, waits v2's two
months; a service already waiting its month does not move (its timer changed). A changed form
on the current step blocks too. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from engine import clock
from engine.store.tables import HumanTask, Timer
from tests.helpers.forms import CHECK, NO_FINDINGS, RECTIFIED, VISIT
from tests.helpers.migration_world import open_task, version_of
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")
ONE_MONTH = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P1M</bpmn:timeDuration>'


def start_service(engine, enterprise_id: int, check: dict) -> int:
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})["id"]
    [visit] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
    engine.complete(visit["id"], "xh_liaison", VISIT)
    [check_task] = [t for t in engine.tasks("xh_expert") if t["instance_id"] == instance]
    engine.complete(check_task["id"], "xh_expert", check)
    return instance


def pending_timers(engine, instance_id: int) -> list[Timer]:
    with engine.uow(write=False) as uow:
        rows = uow.session.query(Timer).filter_by(instance_id=instance_id, status="pending").all()
        uow.session.expunge_all()
        return rows


def test_a_service_in_its_matters_moves_and_one_waiting_on_a_changed_timer_does_not(engine, tmp_path):
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    in_matters = start_service(engine, ids["enterprise_id"], CHECK)
    waiting = start_service(engine, ids["enterprise_id"], NO_FINDINGS)
    assert [t.element_id for t in pending_timers(engine, waiting)] == ["wait_followup"]
    text = (PROCESSES / "enterprise_service.bpmn").read_text(encoding="utf-8")
    assert ONE_MONTH in text
    copy = tmp_path / "enterprise_service.bpmn"
    copy.write_text(text.replace(ONE_MONTH, ONE_MONTH.replace("P1M", "P2M")), encoding="utf-8")
    engine.deploy([copy], "root")

    result = engine.migrate("enterprise_service", 1, 2, None, "root")
    rows = {row["instance_id"]: row for row in result["instances"]}
    assert rows[in_matters]["migrated"] and rows[in_matters]["current"] == ["ledger_matters"]
    assert not rows[waiting]["movable"] and "wait_followup" in rows[waiting]["reasons"][0]
    assert version_of(engine, in_matters) == 2 and version_of(engine, waiting) == 1

    with engine.uow(write=False) as uow:  # the called matters' steps stay on ledger_matter v1
        matters = uow.session.query(HumanTask).filter_by(instance_id=in_matters, status="open").all()
        assert {(m.process_key, m.version, m.element_id) for m in matters} == {("ledger_matter", 1, "rectify")}
        assert len(matters) == 2
    for staff, head in (("xh_water1", "xh_water_head"), ("xh_air1", "xh_air_head")):
        [rectify] = [t for t in engine.tasks(staff) if t["instance_id"] == in_matters]
        engine.claim(rectify["id"], staff)
        engine.complete(rectify["id"], staff, RECTIFIED)
        [verify] = [t for t in engine.tasks(head) if t["instance_id"] == in_matters]
        if verify["assignee"] is None:
            engine.claim(verify["id"], head)
        engine.complete(verify["id"], head, {"decision": "销号", "opinion": "整改到位"})
    [timer] = pending_timers(engine, in_matters)
    assert timer.element_id == "wait_followup"
    assert timedelta(days=58) <= timer.due_at - clock.now() <= timedelta(days=62)  # v2's two months


FORM_V1 = process("formed", chain(user_task("A", "甲", candidateGroups="water", formKey="service_visit")))
FORM_V2 = process("formed", chain(user_task("A", "甲", candidateGroups="water", formKey="service_followup")))


def test_a_changed_form_on_the_current_step_blocks(people, tmp_path):
    people.deploy([write(tmp_path, "formed.bpmn", FORM_V1)], "designer")
    instance = people.start("formed", "water1")["id"]
    (tmp_path / "v2").mkdir()
    people.deploy([write(tmp_path / "v2", "formed.bpmn", FORM_V2)], "designer")
    plan = people.plan_migration("formed", 1, 2, None, "designer")
    [row] = plan["instances"]
    assert not row["movable"] and "service_visit" in row["reasons"][0] and "service_followup" in row["reasons"][0]
    result = people.migrate("formed", 1, 2, None, "designer")
    assert result["migrated"] == 0 and version_of(people, instance) == 1
    assert open_task(people, instance).form_key == "service_visit"
