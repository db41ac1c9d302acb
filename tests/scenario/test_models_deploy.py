"""The bureaus' models (processes/enterprise_service, ledger_matter, complaint_12369 and the
routing decision) deploy as one bundle and run to completion on every path.

The org routing (units, sections, liaisons) is not involved here: instances are started
without an enterprise or unit, so every lane is a plain group nobody belongs to, each task
waits in the unrouted queue, and the admin takes it (`assign`) and completes it with data
that satisfies its form. Which section a matter reaches is read from the instance data
(`section`, the routing decision's output).
"""
from __future__ import annotations

import json
import re
from uuid import UUID

import pytest
from lxml import etree
from sqlalchemy import select

from engine import clock
from engine.clock import parse_moment
from engine.errors import FormValidationError
from tests.helpers.forms import (
    AIR,
    ANSWER,
    CALLBACK,
    CHECK,
    FOLLOW_UP,
    HANDOVER,
    INTAKE,
    INVESTIGATED,
    RECTIFIED,
    REPLY,
    URGED,
    VISIT,
    WATER,
)
from tests.helpers.paths import FORMS, PROCESSES

MODELS = [PROCESSES / "enterprise_service.bpmn", PROCESSES / "ledger_matter.bpmn",
          PROCESSES / "complaint_12369.bpmn", PROCESSES / "routing.dmn"]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def bureau(people):
    people.forms_dir = FORMS
    people.deployed = people.deploy(MODELS, "designer")
    return people


def at(moment: str):
    return clock.frozen_at(parse_moment(moment))


def open_tasks(engine, instance_id: int, element_id: str | None = None) -> list[dict]:
    tasks = engine.show(instance_id)["open_tasks"]
    return [t for t in tasks if element_id is None or t["element_id"] == element_id]


def task_data(engine, task: dict) -> dict:
    """The data a task sees (no public query exposes it yet): which matter a task is for."""
    with engine.uow(write=False) as uow:
        from engine.store.tables import Instance
        loaded = engine.runtime.load(uow.session, uow.session.get(Instance, task["instance_id"]))
        return dict(loaded.workflow.get_task_from_id(UUID(task["id"])).data)


def take(engine, task: dict) -> dict:
    """The admin takes an unrouted task (nobody belongs to the lane's group here)."""
    assert task["unrouted"] and task["assignee"] is None, task
    assert task["id"] in {t["id"] for t in engine.unrouted("admin")}
    return engine.assign(task["id"], "admin", "admin")


def finish(engine, instance_id: int, element_id: str, data: dict, where=None) -> dict:
    """Complete the one open task `element_id` of the instance (or the one whose data
    satisfies `where`) as the admin."""
    tasks = open_tasks(engine, instance_id, element_id)
    if where is not None:
        tasks = [t for t in tasks if where(task_data(engine, t))]
    assert len(tasks) == 1, (element_id, [t["element_id"] for t in open_tasks(engine, instance_id)])
    task = tasks[0]
    if task["assignee"] is None:
        take(engine, task)
    return engine.complete(task["id"], "admin", data)


def category_is(category):
    return lambda data: data.get("category") == category


# --------------------------------------------------------------------------- deploy

def test_the_bundle_deploys_with_only_unrouted_group_warnings(bureau):
    result = bureau.deployed
    assert result.deployment_id is not None
    assert {p["key"]: (p["version"], p["status"]) for p in result.processes} == {
        "enterprise_service": (1, "deployed"), "ledger_matter": (1, "deployed"),
        "complaint_12369": (1, "deployed")}
    assert result.decisions == [{"key": "routing", "version": 1, "status": "deployed"}]
    assert result.warnings
    assert [w for w in result.warnings if "unrouted: group has no members" not in w] == []
    lanes = {re.search(r"组 '([^']+)'", w).group(1) for w in result.warnings}
    assert lanes == {"联络员", "专家组", "责任科室", "科长", "督办", "office"}

    again = bureau.deploy(MODELS, "designer")  # identical content: a no-op
    assert {p["status"] for p in again.processes} == {"unchanged"}
    assert again.decisions == [{"key": "routing", "version": 1, "status": "unchanged"}]


def _user_tasks():
    for path in MODELS[:3]:
        root = etree.parse(str(path)).getroot()
        for task in root.iter(f"{{{BPMN}}}userTask"):
            yield path.name, task


def test_every_user_task_has_a_form_in_chinese_and_a_due_date():
    seen = set()
    for file_name, task in _user_tasks():
        where = f"{file_name}:{task.get('id')}"
        key = task.get(f"{{{CAMUNDA}}}formKey")
        assert key and (FORMS / f"{key}.json").is_file(), where
        assert task.get(f"{{{CAMUNDA}}}dueDate"), where
        assert CJK.search(task.get("name") or ""), where
        seen.add(key)
    for key in seen:
        form = json.loads((FORMS / f"{key}.json").read_text(encoding="utf-8"))
        assert form["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert CJK.search(form["title"]) and CJK.search(form["description"]), key
        _assert_titled(form["properties"], key)
        assert set(form["required"]) <= set(form["properties"]), key


FLOW_ELEMENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent", "userTask",
                 "scriptTask", "businessRuleTask", "callActivity", "exclusiveGateway", "sequenceFlow",
                 "lane", "participant"}


@pytest.mark.parametrize("path", MODELS[:3], ids=lambda p: p.name)
def test_every_element_has_a_shape_so_the_models_open_in_the_modeler(path):
    root = etree.parse(str(path)).getroot()
    drawn = {e.get("bpmnElement") for e in root.iter() if e.get("bpmnElement")}
    elements = {e.get("id") for e in root.iter() if isinstance(e.tag, str)
                and etree.QName(e).localname in FLOW_ELEMENTS}
    assert elements and elements <= drawn, elements - drawn
    plane = root.find(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane")
    assert plane.get("bpmnElement") == root.find(f"{{{BPMN}}}collaboration").get("id")


def _assert_titled(properties: dict, where: str):
    for name, field in properties.items():
        assert CJK.search(field.get("title", "")), f"{where}.{name}: title"
        assert CJK.search(field.get("description", "")), f"{where}.{name}: description"
        if field.get("type") == "object":
            _assert_titled(field["properties"], f"{where}.{name}")
        if field.get("type") == "array" and field["items"].get("type") == "object":
            _assert_titled(field["items"]["properties"], f"{where}.{name}[]")


ROUTES = {"水": "water", "气": "air", "固废": "solid_waste", "噪声": "air", "土壤": "solid_waste",
          "辐射": "monitoring", "环评审批": "eia", "监测": "monitoring", "其他": "office"}


def test_the_routing_decision_gives_every_category_its_section(bureau):
    for category, section in ROUTES.items():
        instance = bureau.start("ledger_matter", "admin", {"category": category, "description": "测试事项",
                                                            "severity": "一般"})["id"]
        rectify = open_tasks(bureau, instance, "rectify")[0]
        assert task_data(bureau, rectify)["section"] == section, category


# --------------------------------------------------------------------------- 五个一

def test_service_two_findings_water_closed_out_air_explained_then_follow_up(bureau):
    with at("2026-03-02T09:00:00"):
        instance = bureau.start("enterprise_service", "admin")["id"]
        visit = open_tasks(bureau, instance)[0]
        assert (visit["element_id"], visit["lane"], visit["form_key"]) == ("record_visit", "联络员", "service_visit")
        assert visit["due_at_local"].startswith("2026-03-11T09:00")    # 7 working days
        finish(bureau, instance, "record_visit", VISIT)
    with at("2026-03-03T10:00:00"):
        check = open_tasks(bureau, instance)[0]
        assert (check["element_id"], check["lane"]) == ("health_check", "专家组")
        finish(bureau, instance, "health_check", CHECK)

        rectify = open_tasks(bureau, instance)
        assert [t["element_id"] for t in rectify] == ["rectify", "rectify"]  # one matter per finding
        assert {t["lane"] for t in rectify} == {"责任科室"}
        assert {t["due_at_local"][:16] for t in rectify} == {"2026-03-24T10:00"}
        seen = {task_data(bureau, t)["category"]: task_data(bureau, t) for t in rectify}
        assert {c: d["section"] for c, d in seen.items()} == {"水": "water", "气": "air"}
        assert seen["水"]["finding"] == WATER and seen["水"]["source"] == "环保体检"
        assert seen["水"]["description"] == WATER["description"] and seen["水"]["severity"] == "较重"

    with at("2026-03-12T15:00:00"):
        finish(bureau, instance, "rectify", RECTIFIED, where=category_is("水"))
        finish(bureau, instance, "rectify", dict(RECTIFIED, measures="已加装集气罩"), where=category_is("气"))
        verify = open_tasks(bureau, instance, "verify")
        assert len(verify) == 2 and {t["lane"] for t in verify} == {"科长"}
        finish(bureau, instance, "verify", {"decision": "销号", "opinion": "现场核实整改到位"},
               where=category_is("水"))
        assert [t["element_id"] for t in open_tasks(bureau, instance)] == ["verify"]  # waits for all matters
        with pytest.raises(FormValidationError) as err:
            finish(bureau, instance, "verify", {"decision": "解释说明"}, where=category_is("气"))
        assert "解释说明内容：必填" in str(err.value)
        finish(bureau, instance, "verify", {"decision": "解释说明",
                                            "explanation": "活性炭装置需技改资金，已列入明年计划，先行加强管理"},
               where=category_is("气"))
        assert open_tasks(bureau, instance) == []  # the 回访 waiting period

    with at("2026-04-12T14:59:00"):
        assert bureau.fire_due_timers()["fired"] == 0
        assert open_tasks(bureau, instance) == []
    with at("2026-04-12T15:00:00"):
        assert bureau.fire_due_timers()["fired"] == 1
        follow_up = open_tasks(bureau, instance)[0]
        assert (follow_up["element_id"], follow_up["lane"]) == ("follow_up", "联络员")
        assert follow_up["due_at_local"].startswith("2026-04-21T15:00")
        finish(bureau, instance, "follow_up", FOLLOW_UP)

    shown = bureau.show(instance)
    assert shown["status"] == "completed" and shown["open_tasks"] == []
    matters = shown["data"]["matters"]
    assert [(m["category"], m["section"], m["status"]) for m in matters] == [
        ("水", "water", "closed"), ("气", "air", "explained")]
    assert matters[1]["explanation"].startswith("活性炭装置")
    assert shown["data"]["satisfaction"]["overall"] == 5
    assert "finding" not in shown["data"] and "section" not in shown["data"]  # matters keep their own data


def test_service_without_findings_goes_straight_to_the_follow_up_wait(bureau):
    with at("2026-03-02T09:00:00"):
        instance = bureau.start("enterprise_service", "admin")["id"]
        finish(bureau, instance, "record_visit", dict(VISIT, mode="视频"))
        finish(bureau, instance, "health_check", dict(CHECK, findings=[], summary="未发现问题"))
        assert open_tasks(bureau, instance) == []
    with at("2026-04-02T09:00:00"):                     # a month on
        assert bureau.fire_due_timers()["fired"] == 1
        finish(bureau, instance, "follow_up", FOLLOW_UP)
    shown = bureau.show(instance)
    assert shown["status"] == "completed"
    assert "rectify" not in {e["detail"].get("element_id") for e in shown["history"]}


# --------------------------------------------------------------------------- 一事一单

def start_matter(engine, category="固废"):
    return engine.start("ledger_matter", "admin", {"category": category, "description": "危废暂存间未规范设置标识",
                                                   "severity": "严重", "source": "日常检查"})["id"]


def test_matter_sent_back_once_then_handed_over_answered_and_closed_out(bureau):
    with at("2026-03-20T09:00:00"):
        instance = start_matter(bureau)
        rectify = open_tasks(bureau, instance)[0]
        assert (rectify["element_id"], rectify["lane"], rectify["form_key"]) == \
            ("rectify", "责任科室", "matter_rectification")
        data = task_data(bureau, rectify)
        assert (data["section"], data["source"], data["status"]) == ("solid_waste", "日常检查", "open")
        finish(bureau, instance, "rectify", RECTIFIED)
        with pytest.raises(FormValidationError) as err:  # a return always gives its reason
            finish(bureau, instance, "verify", {"decision": "退回"})
        assert "审核意见：必填" in str(err.value)
        finish(bureau, instance, "verify", {"decision": "退回", "opinion": "缺少整改后照片"})
        again = open_tasks(bureau, instance)
        assert [t["element_id"] for t in again] == ["rectify"] and again[0]["id"] != rectify["id"]
        finish(bureau, instance, "rectify", dict(RECTIFIED, evidence=["标识照片.jpg"]))
        finish(bureau, instance, "verify", {"decision": "交办", "opinion": "涉及用地性质，交自然资源部门"})

    with at("2026-04-01T09:00:00"):
        hand_over = open_tasks(bureau, instance)[0]
        assert (hand_over["element_id"], hand_over["lane"]) == ("hand_over", "责任科室")
        finish(bureau, instance, "hand_over", HANDOVER)
        waiting = open_tasks(bureau, instance)[0]
        assert waiting["element_id"] == "await_answer" and waiting["lane"] == "责任科室"
        assert waiting["due_at_local"].startswith("2026-04-20T00:00")  # the answer due date
    with at("2026-04-19T23:59:00"):
        assert bureau.fire_due_timers()["fired"] == 0
    with at("2026-04-20T00:00:00"):
        assert bureau.fire_due_timers()["fired"] == 1
        tasks = {t["element_id"]: t for t in open_tasks(bureau, instance)}
        assert set(tasks) == {"await_answer", "urge_answer"}  # non-interrupting: still waiting
        assert tasks["urge_answer"]["lane"] == "督办"
        finish(bureau, instance, "urge_answer", URGED)
        receipt = {t["element_id"]: t for t in open_tasks(bureau, instance)}["sign_urge_answer"]
        assert (receipt["lane"], receipt["form_key"]) == ("责任科室", "urge_receipt")  # the section signs for it
        finish(bureau, instance, "sign_urge_answer", {"received": True})
    with at("2026-04-22T10:00:00"):
        finish(bureau, instance, "await_answer", ANSWER)
        verify = open_tasks(bureau, instance)[0]
        assert verify["element_id"] == "verify" and verify["lane"] == "科长"  # the head verifies again
        finish(bureau, instance, "verify", {"decision": "销号", "opinion": "答复落实，整改到位"})

    shown = bureau.show(instance)
    assert shown["status"] == "completed" and shown["open_tasks"] == []
    data = shown["data"]
    assert (data["status"], data["section"], data["department"]) == ("closed", "solid_waste", "县自然资源局")
    assert data["matter"]["status"] == "closed" and data["matter"]["department"] == "县自然资源局"
    done = [e["detail"]["element_id"] for e in shown["history"] if e["action"] == "task_completed"]
    assert done == ["rectify", "verify", "rectify", "verify", "hand_over", "urge_answer", "sign_urge_answer",
                    "await_answer", "verify"]


def test_overdue_rectification_raises_a_supervision_task_withdrawn_at_close_out(bureau):
    with at("2026-03-20T09:00:00"):
        instance = start_matter(bureau, "土壤")
    with at("2026-04-13T08:59:00"):                     # 15 working days, across 清明
        assert bureau.fire_due_timers()["fired"] == 0
    with at("2026-04-13T09:00:00"):
        assert bureau.fire_due_timers()["fired"] == 1
        tasks = {t["element_id"]: t for t in open_tasks(bureau, instance)}
        assert set(tasks) == {"rectify", "urge_rectification"}
        assert (tasks["urge_rectification"]["lane"], tasks["urge_rectification"]["form_key"]) == \
            ("督办", "supervision_urge")
        finish(bureau, instance, "rectify", RECTIFIED)
        finish(bureau, instance, "verify", {"decision": "解释说明", "explanation": "土壤修复周期长，已制定三年修复方案"})
    shown = bureau.show(instance)
    assert shown["status"] == "completed" and shown["open_tasks"] == []  # the pending 督办 is withdrawn
    assert shown["data"]["status"] == "explained"
    assert shown["data"]["matter"]["explanation"].startswith("土壤修复")


def test_the_urge_forms_new_deadline_moves_the_rectification_deadline(bureau):
    """督办超期整改 with 挂牌督办 and a new deadline: the 整改 step is due at the end of that day
    (no longer overdue), the ledger matter's deadline follows, and the history says so."""
    with at("2026-03-20T09:00:00"):
        instance = start_matter(bureau, "土壤")
    with at("2026-04-13T09:00:00"):        # 15 working days on, across the 清明 weekend
        bureau.fire_due_timers()
        before = open_tasks(bureau, instance, "rectify")[0]["due_at_local"]
        finish(bureau, instance, "urge_rectification", {"urge_date": "2026-04-13", "urge_mode": "挂牌督办",
                                                         "urge_opinion": "限期整改到位", "new_deadline": "2026-04-20"})
        rectify = open_tasks(bureau, instance, "rectify")[0]
    assert before.startswith("2026-04-13") and rectify["due_at_local"].startswith("2026-04-20T23:59:59")
    with bureau.uow(write=False) as uow:
        from engine.store.org_tables import LedgerMatter
        deadline = uow.session.scalar(select(LedgerMatter.deadline).where(LedgerMatter.instance_id == instance))
    assert clock.to_local(deadline).isoformat().startswith("2026-04-20T23:59:59")
    [urged] = [e for e in bureau.show(instance)["history"] if e["detail"].get("deadlines_moved")]
    assert urged["detail"]["deadlines_moved"][0]["element_id"] == "rectify"


# --------------------------------------------------------------------------- 12369

def through_investigation(engine, intake: dict) -> int:
    with at("2026-05-06T08:30:00"):
        instance = engine.start("complaint_12369", "admin")["id"]
        first = open_tasks(engine, instance)[0]
        assert (first["element_id"], first["lane"]) == ("intake", "office")
        assert first["due_at_local"].startswith("2026-05-07T08:30")  # P1D
        finish(engine, instance, "intake", intake)
        finish(engine, instance, "remit_check", {"in_remit": True})
        investigate = open_tasks(engine, instance)[0]
        assert (investigate["element_id"], investigate["lane"]) == ("investigate", "责任科室")
        assert task_data(engine, investigate)["section"] == ROUTES[intake["category"]]
        finish(engine, instance, "investigate", INVESTIGATED)
        finish(engine, instance, "reply", REPLY)
    return instance


def test_real_name_complaint_cannot_finish_without_its_callback(bureau):
    instance = through_investigation(bureau, INTAKE)
    shown = bureau.show(instance)
    assert shown["status"] == "running"
    assert [(t["element_id"], t["lane"]) for t in shown["open_tasks"]] == [("callback", "office")]
    with pytest.raises(FormValidationError) as err:
        finish(bureau, instance, "callback", {"callback_date": "2026-05-20", "callback_mode": "电话",
                                              "result": "已整改"})
    assert "投诉人意见：必填" in str(err.value) and "投诉人满意度：必填" in str(err.value)
    finish(bureau, instance, "callback", CALLBACK)
    shown = bureau.show(instance)
    assert shown["status"] == "completed" and shown["data"]["satisfaction"] == "满意"


def test_anonymous_complaint_ends_after_the_reply(bureau):
    anonymous = {k: v for k, v in INTAKE.items() if not k.startswith("complainant_")}
    instance = through_investigation(bureau, dict(anonymous, real_name=False, category="气"))
    shown = bureau.show(instance)
    assert shown["status"] == "completed" and shown["open_tasks"] == []
    done = [e["detail"]["element_id"] for e in shown["history"] if e["action"] == "task_completed"]
    assert done == ["intake", "remit_check", "investigate", "reply"]


def test_out_of_remit_complaint_is_forwarded_and_recorded(bureau):
    instance = bureau.start("complaint_12369", "admin")["id"]
    finish(bureau, instance, "intake", dict(INTAKE, category="其他", description="小区物业垃圾清运不及时"))
    with pytest.raises(FormValidationError) as err:
        finish(bureau, instance, "remit_check", {"in_remit": False})
    assert "审查意见：必填" in str(err.value)
    finish(bureau, instance, "remit_check", {"in_remit": False, "basis": "生活垃圾清运属城市管理部门职责"})
    forward = open_tasks(bureau, instance)[0]
    assert (forward["element_id"], forward["lane"]) == ("forward", "office")
    finish(bureau, instance, "forward", {"department": "县综合行政执法局", "forwarded_date": "2026-05-07",
                                         "complainant_informed": True})
    shown = bureau.show(instance)
    assert shown["status"] == "completed"
    assert shown["data"]["department"] == "县综合行政执法局"
    assert "investigate" not in {e["detail"].get("element_id") for e in shown["history"]}


def test_complainant_details_only_with_a_real_name(bureau):
    instance = bureau.start("complaint_12369", "admin")["id"]
    with pytest.raises(FormValidationError) as err:
        finish(bureau, instance, "intake", dict(INTAKE, complainant_phone=""))
    assert "投诉人电话：至少 5 个字符" in str(err.value)
    missing = {k: v for k, v in INTAKE.items() if k != "complainant_phone"}
    with pytest.raises(FormValidationError) as err:
        finish(bureau, instance, "intake", missing)
    assert "投诉人电话：必填" in str(err.value)
    with pytest.raises(FormValidationError) as err:  # anonymous: no name may be recorded
        finish(bureau, instance, "intake", dict(INTAKE, real_name=False, complainant_phone=""))
    assert "投诉人姓名" in str(err.value)
    assert [t["element_id"] for t in open_tasks(bureau, instance)] == ["intake"]


# --------------------------------------------------------------------------- forms refuse bad data

def test_invalid_form_data_is_refused_naming_the_field_in_chinese(bureau):
    instance = bureau.start("enterprise_service", "admin")["id"]
    visit = open_tasks(bureau, instance)[0]
    take(bureau, visit)
    with pytest.raises(FormValidationError) as err:
        bureau.complete(visit["id"], "admin", dict(VISIT, members=["甲", "乙", "丙", "丁", "戊", "己"]))
    assert "走访组成员：最多 5 项" in str(err.value) and set(err.value.fields) == {"members"}
    with pytest.raises(FormValidationError) as err:
        bureau.complete(visit["id"], "admin", dict(VISIT, mode="上门", visit_date="2026-3-2"))
    assert "走访方式：只能是以下之一：走访、电话、视频" in str(err.value) and "走访日期：格式不正确" in str(err.value)
    bureau.complete(visit["id"], "admin", VISIT)

    check = open_tasks(bureau, instance)[0]
    take(bureau, check)
    no_category = {k: v for k, v in AIR.items() if k != "category"}
    with pytest.raises(FormValidationError) as err:
        bureau.complete(check["id"], "admin", dict(CHECK, findings=[WATER, no_category]))
    assert "发现的问题 / 问题 / 问题类别：必填" in str(err.value)
    assert set(err.value.fields) == {"findings.1.category"}
    with pytest.raises(FormValidationError) as err:
        bureau.complete(check["id"], "admin", dict(CHECK, findings=[dict(WATER, category="废水", severity="很严重")]))
    assert "问题类别：只能是以下之一" in str(err.value) and "严重程度：只能是以下之一" in str(err.value)
    bureau.complete(check["id"], "admin", dict(CHECK, findings=[]))

    with at("2099-01-01T00:00:00"):
        bureau.fire_due_timers()
    follow_up = open_tasks(bureau, instance)[0]
    take(bureau, follow_up)
    with pytest.raises(FormValidationError) as err:
        bureau.complete(follow_up["id"], "admin", dict(FOLLOW_UP, satisfaction=dict(FOLLOW_UP["satisfaction"],
                                                                                   overall=6, visit=0)))
    message = str(err.value)
    assert "满意度 / 总体满意度：不能大于 5" in message and "满意度 / 走访服务满意度：不能小于 1" in message
    assert bureau.show(instance)["status"] == "running"  # nothing saved
    bureau.complete(follow_up["id"], "admin", FOLLOW_UP)
    assert bureau.show(instance)["status"] == "completed"


def test_a_return_from_the_heads_review_rearms_the_rectification_deadline(bureau):
    """退回 from 科长审核 reopens 整改 for whoever did it, with its overdue timer armed again
    (the same timer task as before: its old row is reused, not inserted twice)."""
    with at("2026-03-20T09:00:00"):
        instance = start_matter(bureau)
    with at("2026-04-13T09:00:00"):                              # overdue: the 督办 timer fires once
        assert bureau.fire_due_timers()["fired"] == 1
        finish(bureau, instance, "rectify", RECTIFIED)
        [verify] = open_tasks(bureau, instance, "verify")
        if verify["assignee"] is None:
            bureau.claim(verify["id"], "admin")
        back = bureau.return_task(verify["id"], "admin", "佐证材料不全，请补充整改后照片")
        assert back["element_id"] == "rectify" and back["status"] == "open"
    with at("2026-05-07T08:59:00"):
        assert bureau.fire_due_timers()["fired"] == 0
    with at("2026-05-07T09:00:00"):                      # 15 working days after the return (劳动节 off)
        assert bureau.fire_due_timers()["fired"] == 1
        assert {t["element_id"] for t in open_tasks(bureau, instance)} >= {"rectify", "urge_rectification"}


def test_one_matter_rectified_after_the_other_fell_overdue_still_raises_its_urge(bureau):
    """Two matters; the 气 one falls overdue and before the scheduler comes round the 水 one is
    rectified: the 气 matter's 督办 is not lost, and it is raised once."""
    with at("2026-03-02T09:00:00"):
        instance = bureau.start("enterprise_service", "admin")["id"]
        finish(bureau, instance, "record_visit", VISIT)
    with at("2026-03-03T10:00:00"):
        finish(bureau, instance, "health_check", CHECK)          # both 整改 due 2026-03-24 10:00
    with at("2026-03-25T10:00:00"):
        finish(bureau, instance, "rectify", RECTIFIED, where=category_is("水"))
        bureau.fire_due_timers()
        urges = open_tasks(bureau, instance, "urge_rectification")
        assert len(urges) == 1 and task_data(bureau, urges[0])["category"] == "气"
        assert bureau.fire_due_timers()["fired"] == 0
