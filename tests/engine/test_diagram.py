"""The instance page's content and diagram (engine/diagram.py), on SQLite and PostgreSQL:
the elements done and current follow the workflow state, the XML is the deployed source
of the instance's own version, strangers are refused, sensitive history stays masked."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import NotAllowed, NotFound
from engine.store.org_tables import Unit
from tests.helpers.forms import CHECK, INTAKE, VISIT
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

SERVICE = PROCESSES / "enterprise_service.bpmn"


@pytest.fixture
def province(engine):
    ids = build_province(engine)
    engine.deploy([SERVICE, PROCESSES / "ledger_matter.bpmn", PROCESSES / "routing.dmn"], "root")
    return engine, ids


@pytest.fixture
def service(province):
    engine, ids = province
    return engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]


def only_task(engine, user: str, element: str) -> dict:
    found = [t for t in engine.tasks(user) if t["element_id"] == element]
    assert len(found) == 1, (user, element, [t["element_id"] for t in engine.tasks(user)])
    return found[0]


def test_done_and_current_elements_follow_the_steps(province, service):
    engine, _ = province
    diagram = engine.instance_diagram(service, "xh_liaison")
    assert diagram["process_id"] == "enterprise_service"
    assert diagram["completed"] == ["start_service"] and diagram["active"] == ["record_visit"]

    engine.complete(only_task(engine, "xh_liaison", "record_visit")["id"], "xh_liaison", VISIT)
    diagram = engine.instance_diagram(service, "xh_liaison")
    assert diagram["completed"] == ["start_service", "record_visit"] and diagram["active"] == ["health_check"]

    engine.complete(only_task(engine, "xh_expert", "health_check")["id"], "xh_expert", CHECK)
    diagram = engine.instance_diagram(service, "xh_liaison")
    # Two findings: the call activity runs one matter per finding; the called process's own
    # elements (rectify, its boundary timer) are not elements of this diagram.
    assert diagram["completed"] == ["start_service", "record_visit", "health_check", "gw_findings"]
    assert diagram["active"] == ["ledger_matters"]
    steps = {s["id"]: s for s in diagram["steps"]}
    assert steps["ledger_matters"] == {"id": "ledger_matters", "name": "一事一单：逐项整改", "state": "active"}
    assert steps["record_visit"]["name"] == "记录走访" and steps["record_visit"]["state"] == "done"
    assert set(diagram) == {"instance_id", "process_id", "xml", "completed", "active", "steps"}
    assert "希望指导" not in str({k: v for k, v in diagram.items() if k != "xml"})  # no instance data


def test_a_waiting_timer_is_current_and_a_returned_step_is_current_not_done(province, service):
    engine, _ = province
    engine.complete(only_task(engine, "xh_liaison", "record_visit")["id"], "xh_liaison", VISIT)
    check = only_task(engine, "xh_expert", "health_check")
    engine.return_task(check["id"], "xh_expert", "走访记录缺少企业诉求")
    diagram = engine.instance_diagram(service, "xh_liaison")
    assert diagram["active"] == ["record_visit"] and "record_visit" not in diagram["completed"]

    engine.complete(only_task(engine, "xh_liaison", "record_visit")["id"], "xh_liaison", VISIT)
    no_findings = {**CHECK, "summary": "企业环境管理规范，未发现问题", "findings": []}
    engine.complete(only_task(engine, "xh_expert", "health_check")["id"], "xh_expert", no_findings)
    diagram = engine.instance_diagram(service, "xh_liaison")
    assert diagram["active"] == ["wait_followup"]                   # the 30-day timer waits
    assert {"health_check", "gw_findings", "gw_join"} <= set(diagram["completed"])
    assert "ledger_matters" not in diagram["completed"] + diagram["active"]


def test_an_armed_boundary_timer_is_not_a_current_step(province):
    engine, ids = province
    matter = engine.start("ledger_matter", "root", {"category": "水", "description": "雨污混接", "severity": "较重",
                                                     "enterprise_id": ids["enterprise_id"]})["id"]
    diagram = engine.instance_diagram(matter, "root")
    assert diagram["active"] == ["rectify"]          # not its rectification_overdue timer
    assert {"register_matter", "route_section"} <= set(diagram["completed"])


def test_the_xml_is_the_deployed_source_of_the_instances_version(province, service, tmp_path):
    engine, ids = province
    source = SERVICE.read_text(encoding="utf-8")
    assert engine.instance_diagram(service, "xh_liaison")["xml"] == source
    changed = tmp_path / "enterprise_service.bpmn"
    changed.write_text(source.replace('name="回访等待期（一个月）"', 'name="回访等待期（满一个月）"'), encoding="utf-8")
    engine.deploy([changed], "root")
    newer = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    assert engine.instance_view(newer, "xh_liaison")["version"] == 2
    assert "回访等待期（满一个月）" in engine.instance_diagram(newer, "xh_liaison")["xml"]
    assert engine.instance_diagram(service, "xh_liaison")["xml"] == source   # still its own version


def test_the_instance_view_for_the_starter_and_a_worker(province, service):
    engine, _ = province
    engine.complete(only_task(engine, "xh_liaison", "record_visit")["id"], "xh_liaison", VISIT)
    engine.complete(only_task(engine, "xh_expert", "health_check")["id"], "xh_expert", CHECK)
    view = engine.instance_view(service, "xh_liaison")
    assert view["process_name"] == "结对服务（五个一）" and view["status"] == "running"
    assert view["enterprise_name"] == "西湖印染有限公司" and view["unit_name"] == "西湖区分局"
    assert view["started_by"] == "xh_liaison" and view["started_by_name"] == "西湖 联络员"
    assert view["started_at"] and view["ended_at"] is None
    assert sorted(t["name"] for t in view["open_tasks"]) == ["整改", "整改"]
    assert [e["action"] for e in view["history"]][:3] == ["instance_started", "task_completed", "task_completed"]
    assert [s["id"] for s in view["steps"] if s["state"] == "active"] == ["ledger_matters"]

    water = next(t for t in engine.tasks("xh_water1") if t["instance_id"] == service)
    engine.claim(water["id"], "xh_water1")
    worker_view = engine.instance_view(service, "xh_water1")   # a candidate, now the holder
    held = [t for t in worker_view["open_tasks"] if t["assignee"] == "xh_water1"]
    assert len(held) == 1 and held[0]["assignee_name"] == "西湖 水 科员1" and held[0]["due_at"]
    assert engine.instance_view(service, "root")["id"] == service          # admins see everything


def test_strangers_are_refused_and_unknown_instances_are_not_found(province, service):
    engine, _ = province
    for stranger in ("bj_water1", "xh_water1"):   # another county; a section with no task here yet
        with pytest.raises(NotAllowed, match="无权查看此流程实例"):
            engine.instance_view(service, stranger)
        with pytest.raises(NotAllowed):
            engine.instance_diagram(service, stranger)
    with pytest.raises(NotFound):
        engine.instance_diagram(service + 999, "root")
    with pytest.raises(NotAllowed):
        engine.instance_view(service, "nobody")


def test_sensitive_fields_in_the_history_stay_masked(engine):
    build_province(engine)
    engine.deploy([PROCESSES / "complaint_12369.bpmn", PROCESSES / "routing.dmn"], "root")
    with engine.uow(write=False) as uow:
        unit_id = uow.session.scalar(select(Unit.id).where(Unit.code == "xh"))
    instance = engine.start("complaint_12369", "xh_liaison", {"unit_id": unit_id})["id"]
    engine.complete(only_task(engine, "xh_liaison", "intake")["id"], "xh_liaison", INTAKE)
    assert "陈女士" in str(engine.instance_view(instance, "xh_liaison")["history"])  # the office
    masked = engine.instance_view(instance, "hz_super")          # the city's supervisor, in scope
    assert "陈女士" not in str(masked) and "13800000000" not in str(masked)
    assert INTAKE["description"] in str(masked["history"])      # the rest stays readable
