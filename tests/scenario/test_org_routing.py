"""Routing in the bureaus: the right task reaches the right section of the right unit."""
from datetime import timedelta

import pytest

from engine import clock
from engine.errors import InvalidInput, NotAllowed
from engine.org.directory import Pairing
from tests.helpers.models import HEADER, chain, process, user_task, write
from tests.helpers.province import build_province

LANES = ["联络员", "专家组", "责任科室", "科长", "分管领导", "督办"]


def lane_process() -> str:
    lanes = "".join(f'<bpmn:lane id="l{i}" name="{name}"><bpmn:flowNodeRef>t{i}</bpmn:flowNodeRef></bpmn:lane>'
                    for i, name in enumerate(LANES))
    tasks = "".join(f'<bpmn:userTask id="t{i}" name="{name}任务"/>' for i, name in enumerate(LANES))
    ids = ["s"] + [f"t{i}" for i in range(len(LANES))] + ["e"]
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                    for i, (a, b) in enumerate(zip(ids, ids[1:])))
    return (HEADER.format(key="lanes") + '<bpmn:process id="lanes" isExecutable="true">'
            + f'<bpmn:laneSet id="ls">{lanes}</bpmn:laneSet><bpmn:startEvent id="s"/>{tasks}'
            '<bpmn:endEvent id="e"/>' + flows + "</bpmn:process></bpmn:definitions>")


@pytest.fixture
def province(engine, tmp_path):
    ids = build_province(engine)
    engine.deploy([write(tmp_path, "lanes.bpmn", lane_process())], "root")
    return engine, ids


def next_task(engine, user, instance_id):
    tasks = [t for t in engine.tasks(user) if t["instance_id"] == instance_id]
    assert len(tasks) == 1, (user, tasks)
    return tasks[0]


def visible(engine, user, instance_id):
    return [t for t in engine.tasks(user) if t["instance_id"] == instance_id]


def test_each_lane_reaches_its_people_in_the_enterprises_unit(province):
    engine, ids = province
    instance = engine.start("lanes", "xh_liaison", {"enterprise_id": ids["enterprise_id"], "section": "water"})["id"]
    step = next_task(engine, "xh_liaison", instance)          # 联络员: the enterprise's liaison
    assert step["assignee"] == "xh_liaison"
    engine.complete(step["id"], "xh_liaison")
    step = next_task(engine, "xh_expert", instance)           # 专家组: the unit's only expert
    engine.complete(step["id"], "xh_expert")
    step = next_task(engine, "xh_water1", instance)           # 责任科室: the water section, claimable
    assert step["assignee"] is None and next_task(engine, "xh_water2", instance)["id"] == step["id"]
    for outsider in ("xh_air1", "bj_water1", "xh_liaison"):
        assert visible(engine, outsider, instance) == []
    with pytest.raises(NotAllowed):
        engine.claim(step["id"], "bj_water1")                # same section code, other county
    engine.claim(step["id"], "xh_water2")
    assert visible(engine, "xh_water1", instance) == []       # claimed: gone from colleagues
    with pytest.raises(NotAllowed):
        engine.complete(step["id"], "xh_water1")
    engine.complete(step["id"], "xh_water2")
    step = next_task(engine, "xh_water_head", instance)       # 科长 of the responsible section
    assert step["assignee"] == "xh_water_head"
    engine.complete(step["id"], "xh_water_head")
    step = next_task(engine, "xh_leader", instance)           # 分管领导 of water
    engine.complete(step["id"], "xh_leader")
    step = next_task(engine, "hz_super", instance)            # 督办: none in the county → the city's
    engine.complete(step["id"], "hz_super")
    assert engine.show(instance)["status"] == "completed"


def test_a_deputy_sees_and_acts_on_the_absent_users_tasks_only_during_the_leave(province):
    engine, ids = province
    instance = engine.start("lanes", "xh_liaison", {"enterprise_id": ids["enterprise_id"], "section": "water"})["id"]
    now = clock.now()
    engine.set_deputy("xh_liaison", "xh_water1", now - timedelta(hours=1), now + timedelta(days=3),
                      actor="xh_liaison")
    task = next_task(engine, "xh_water1", instance)
    assert task["assignee"] == "xh_liaison"
    engine.complete(task["id"], "xh_water1")
    later = now + timedelta(days=4)
    engine.set_deputy("xh_expert", "xh_air1", later, later + timedelta(days=1), actor="root")
    assert visible(engine, "xh_air1", instance) == []        # that leave has not started


def test_transfer_and_return_need_a_reason_and_are_filed(province):
    engine, ids = province
    instance = engine.start("lanes", "xh_liaison", {"enterprise_id": ids["enterprise_id"], "section": "water"})["id"]
    engine.complete(next_task(engine, "xh_liaison", instance)["id"], "xh_liaison")
    expert_task = next_task(engine, "xh_expert", instance)
    with pytest.raises(InvalidInput, match="理由"):
        engine.transfer(expert_task["id"], "xh_expert", reason=" ", to_section="air")
    engine.transfer(expert_task["id"], "xh_expert", reason="属大气问题", to_section="air")
    moved = next_task(engine, "xh_air1", instance)
    assert moved["id"] == expert_task["id"] and moved["assignee"] is None
    assert visible(engine, "xh_expert", instance) == []
    engine.claim(moved["id"], "xh_air1")
    engine.return_task(moved["id"], "xh_air1", reason="走访记录不完整")
    back = next_task(engine, "xh_liaison", instance)       # the previous step, to who did it
    assert back["element_id"] == "t0" and back["assignee"] == "xh_liaison"
    assert visible(engine, "xh_air1", instance) == []
    history = [e["action"] for e in engine.show(instance)["history"]]
    assert "task_transferred" in history and "task_returned" in history
    engine.complete(back["id"], "xh_liaison")
    assert next_task(engine, "xh_expert", instance)["element_id"] == "t1"


def test_handover_moves_enterprises_and_open_tasks(province):
    engine, ids = province
    instance = engine.start("lanes", "xh_liaison", {"enterprise_id": ids["enterprise_id"], "section": "water"})["id"]
    moved = engine.handover("xh_liaison", "xh_water1", actor="root")
    assert moved["liaison_of"] == 1 and moved["tasks"] == 1
    assert next_task(engine, "xh_water1", instance)["assignee"] == "xh_water1"
    second = engine.start("lanes", "xh_water2", {"enterprise_id": ids["enterprise_id"], "section": "water"})["id"]
    assert next_task(engine, "xh_water1", second)["assignee"] == "xh_water1"  # the new liaison


def test_same_enterprise_paired_by_two_units_is_flagged_not_duplicated(province):
    engine, ids = province
    _, warnings = engine.pair_enterprise(Pairing("西湖印染有限公司", ids["credit_code"], "中", "重点排污企业",
                                                 "bj", year=2026), actor="root")
    assert "重复走访" in warnings[0] and "西湖区分局" in warnings[0]
    with pytest.raises(InvalidInput, match="已与"):
        engine.pair_enterprise(Pairing("西湖印染", ids["credit_code"], "中", "重点排污企业", "bj", year=2026),
                               actor="root")
    dupes = engine.duplicate_pairings()
    assert len(dupes) == 1 and dupes[0]["credit_code"] == ids["credit_code"]
    assert sorted(dupes[0]["units"]) == sorted(["西湖区分局", "滨江区分局"])
    with pytest.raises(InvalidInput, match="校验码"):
        engine.pair_enterprise(Pairing("坏代码", ids["credit_code"][:-1] + ("0" if ids["credit_code"][-1] != "0" else "1"),
                                       "小", "传统产业", "bj", year=2026), actor="root")


def test_deploy_warns_only_of_lanes_that_reach_nobody_anywhere(engine, tmp_path):
    """Lanes that route through the organisation (联络员, 专家组, 责任科室, 科长, 分管领导, 督办,
    a section by name) reach people in the province, so the deploy does not call them empty;
    a group nobody belongs to still gets its warning."""
    build_province(engine)
    result = engine.deploy([write(tmp_path, "lanes.bpmn", lane_process())], "root")
    assert result.warnings == []
    nobody = process("nobody", chain(user_task("t", "无人任务", candidateGroups="无人组"),
                                     user_task("w", "水环境科任务", candidateGroups="水环境科")))
    warnings = engine.deploy([write(tmp_path, "nobody.bpmn", nobody)], "root").warnings
    assert len(warnings) == 1 and "组 '无人组' 没有成员" in warnings[0] and "element 't'" in warnings[0]
