"""The designer's workbench in the engine: validating an upload runs deploy's own checks and saves
nothing; deploying it makes version N+1 (audited); the catalog lists versions with who, when, what
changed and their instances; the semantic diff names what a designer changed; designers and admins
only — Engine.deploy included."""
import pytest
from sqlalchemy import func, select

from engine.definitions.diff import diff_versions
from engine.errors import DefinitionError, NotAllowed
from engine.store.tables import AuditEvent, ProcessDefinition
from tests.helpers.models import GHOST_MODEL
from tests.helpers.paths import PROCESSES

LEDGER = (PROCESSES / "ledger_matter.bpmn").read_bytes()
ROUTING = ("routing.dmn", (PROCESSES / "routing.dmn").read_bytes())
BROKEN = LEDGER.replace('${decision == "退回"}'.encode(), b"${decision == }")


def changed_ledger() -> bytes:
    """v2 as a designer would make it: 整改 moves to the 科长 lane with a candidate group and a
    shorter timer, and 交办 gets another condition."""
    text = LEDGER.decode()
    text = text.replace("        <bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>\n", "", 1)
    text = text.replace("        <bpmn:flowNodeRef>verify</bpmn:flowNodeRef>\n",
                        "        <bpmn:flowNodeRef>verify</bpmn:flowNodeRef>\n        <bpmn:flowNodeRef>rectify</bpmn:flowNodeRef>\n")
    text = text.replace('<bpmn:userTask id="rectify" name="整改"', '<bpmn:userTask id="rectify" name="整改" '
                        'camunda:candidateGroups="water"')
    text = text.replace(">P15D</bpmn:timeDuration>", ">P10D</bpmn:timeDuration>")
    text = text.replace('${decision == "交办"}', '${decision == "转办"}')
    return text.encode()


def rows(engine, table) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(table))


def test_validate_runs_the_deploy_checks_and_saves_nothing(engine, people):
    engine.deploy_upload([ROUTING], "designer")
    before = rows(engine, ProcessDefinition)
    report = engine.validate_upload([("ledger_matter.bpmn", BROKEN)], "designer")
    assert report["ok"] is False and report["errors"][0]["element_id"] == "flow_rework"
    with pytest.raises(DefinitionError) as refused:   # the very words deploy says
        engine.deploy_upload([("ledger_matter.bpmn", BROKEN)], "designer")
    assert report["errors"][0]["message"] == str(refused.value)
    good = engine.validate_upload([("ledger_matter.bpmn", LEDGER)], "designer")
    assert good["ok"] is True and good["errors"] == []
    assert {w["element_id"] for w in good["warnings"]} >= {"verify"}   # 科长 has no members here
    assert rows(engine, ProcessDefinition) == before


def test_deploying_an_upload_makes_a_new_version_audited_and_the_catalog_says_what_changed(engine, people):
    engine.deploy_upload([ROUTING, ("ledger_matter.bpmn", LEDGER)], "designer")
    engine.deploy_upload([("ledger_matter.bpmn", changed_ledger())], "admin")
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "deploy")) == 2
    [ledger] = [p for p in engine.definition_catalog("designer")["processes"] if p["key"] == "ledger_matter"]
    v2, v1 = ledger["versions"]
    assert (v2["version"], v2["deployed_by"], v1["deployed_by"]) == (2, "admin", "designer")
    assert v1["summary"] == "首个版本" and v2["summary"].startswith("修改 3 个")
    assert (v1["running"], v1["finished"]) == (0, 0)
    [routing] = engine.definition_catalog("designer")["decisions"]
    assert routing["key"] == "routing" and routing["versions"][0]["version"] == 1
    detail = engine.definition_detail("ledger_matter", 2, "designer")
    [rectify] = [t for t in detail["tasks"] if t["id"] == "rectify"]
    assert rectify["lane"] == "科长" and rectify["candidate_groups"] == ["water"]
    assert "matter_rectification" in detail["forms"]
    table = engine.decision_detail("routing", 1, "designer")
    assert table["inputs"] and table["rules"] and all(len(r) == len(table["inputs"]) + len(table["outputs"])
                                                      for r in table["rules"])


def test_the_diff_names_lane_candidates_timer_and_condition(engine, people):
    engine.deploy_upload([ROUTING, ("ledger_matter.bpmn", LEDGER)], "designer")
    engine.deploy_upload([("ledger_matter.bpmn", changed_ledger())], "designer")
    changes = {c["element_id"]: c for c in engine.definition_diff("ledger_matter", 1, 2, "designer")["changes"]}
    assert set(changes) == {"rectify", "rectification_overdue", "flow_hand_over"}
    assert changes["rectify"]["details"] == ["泳道：责任科室 → 科长", "候选组：（无） → water"]
    assert changes["rectification_overdue"]["details"] == ["定时（时长）：P15D → P10D"]
    assert changes["flow_hand_over"]["details"] == ['条件：${decision == "交办"} → ${decision == "转办"}']
    assert changes["flow_hand_over"]["kind_label"] == "顺序流"
    assert engine.definition_diff("ledger_matter", 2, 2, "designer")["changes"] == []


def test_the_diff_names_added_and_removed_elements_and_call_targets():
    grown = GHOST_MODEL.replace('<bpmn:endEvent id="e"/>', '<bpmn:endEvent id="e"/><bpmn:manualTask id="m" name="电话回访"/>')
    assert [(c["change"], c["element_id"], c["name"]) for c in diff_versions([GHOST_MODEL], [grown], {}, {})] \
        == [("added", "m", "电话回访")]
    assert [c["change"] for c in diff_versions([grown], [GHOST_MODEL], {}, {})] == ["removed"]
    service = (PROCESSES / "enterprise_service.bpmn").read_text(encoding="utf-8")
    retargeted = service.replace('calledElement="ledger_matter"', 'calledElement="ledger_matter_v2"')
    [change] = diff_versions([service], [retargeted], {}, {})
    assert change["element_id"] == "ledger_matters" and change["details"] == ["调用流程：ledger_matter → ledger_matter_v2"]


@pytest.mark.parametrize("call", [
    lambda e: e.deploy([PROCESSES / "routing.dmn"], "water1"),
    lambda e: e.validate_upload([ROUTING], "water1"),
    lambda e: e.deploy_upload([ROUTING], "water1"),
    lambda e: e.definition_catalog("water1"),
    lambda e: e.definition_diff("ledger_matter", 1, 1, "water1"),
    lambda e: e.definition_detail("ledger_matter", 1, "water1"),
])
def test_only_designers_and_admins(engine, people, call):
    with pytest.raises(NotAllowed) as refused:
        call(engine)
    assert refused.value.code == "designers_only"


def test_a_form_deployed_from_the_browser_stays_when_its_process_is_uploaded_again(engine, people):
    """The running form is the truth for the workbench: redeploying the BPMN alone keeps the form a
    designer deployed earlier instead of falling back to the shipped file."""
    shipped = (engine.forms_dir / "matter_rectification.json").read_text(encoding="utf-8")
    edited = shipped.replace('"title": "', '"title": "（新）', 1)
    engine.deploy_upload([ROUTING, ("ledger_matter.bpmn", LEDGER),
                          ("matter_rectification.json", edited.encode())], "designer")
    engine.deploy_upload([("ledger_matter.bpmn", changed_ledger())], "designer")
    latest = engine.definition_detail("ledger_matter", 2, "designer")
    assert latest["forms"]["matter_rectification"]["title"].startswith("（新）")
