"""发起 and 撤回 in the engine: who may start what (the designer's candidateStarterGroups and
sanfu's roles and sections), the start form validated like a task form, a second running
结对服务 of the same enterprise refused, and the starter's 撤回 before anyone else acts."""
import pytest
from sqlalchemy import select

from engine.dialects.starters import start_meta
from engine.errors import Conflict, FormValidationError, InvalidInput, NotAllowed
from engine.store.tables import AuditEvent, Instance, Timer
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "complaint_12369.bpmn", "routing.dmn", "demo_visit.bpmn")


@pytest.fixture
def world(engine):
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    return ids


def _open_tasks(engine, instance_id):
    return engine.show(instance_id, "root")["open_tasks"]


def test_starters_are_read_from_the_process_at_deploy():
    from lxml import etree
    root = etree.parse(str(PROCESSES / "enterprise_service.bpmn")).getroot()
    process = root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    meta = start_meta(process)
    assert meta["starter_groups"] == ["liaison", "leader"]
    assert meta["form_key"] == "service_start"
    assert meta["documentation"].startswith("五个一服务")


def test_each_user_sees_only_what_they_may_start(engine, world):
    def keys(user):
        return sorted(p["key"] for p in engine.startable(user))
    assert keys("xh_liaison") == ["complaint_12369", "enterprise_service", "ledger_matter"]  # office staff, liaison
    assert keys("xh_water1") == ["ledger_matter"]
    assert keys("xh_leader") == ["enterprise_service"]
    assert keys("xh_expert") == []  # no starter names the expert
    assert "demo_visit" in keys("root")  # no starters on it: admins only
    matter = next(p for p in engine.startable("xh_water1") if p["key"] == "ledger_matter")
    assert matter["form"]["properties"]["category"]["title"] == "问题类别"
    with pytest.raises(NotAllowed, match="不能发起流程"):
        engine.start_process("complaint_12369", "xh_water1", {"channel": "来信", "summary": "夜间噪声扰民"})
    with pytest.raises(NotAllowed):
        engine.start_process("demo_visit", "xh_liaison", {})


def test_the_start_form_is_validated_naming_the_field(engine, world):
    with pytest.raises(FormValidationError) as refused:
        engine.start_process("ledger_matter", "xh_water1", {"enterprise_id": world["enterprise_id"],
                                                            "category": "水", "severity": "很重"})
    assert set(refused.value.fields) == {"description", "severity"}
    started = engine.start_process("ledger_matter", "xh_water1", {
        "enterprise_id": world["enterprise_id"], "category": "水", "description": "雨水口检出生产废水",
        "severity": "较重", "source": "日常检查"})
    assert started["status"] == "running"
    shown = engine.show(started["id"], "root")
    assert shown["data"]["source"] == "日常检查"
    assert [t["name"] for t in shown["open_tasks"]] == ["整改"]


def test_a_second_service_for_the_enterprise_this_year_is_refused(engine, world):
    data = {"enterprise_id": world["enterprise_id"]}
    with pytest.raises(NotAllowed, match="联络员或联系领导"):
        engine.start_process("enterprise_service", "xh_leader", data)  # a leader, but not this one's
    first = engine.start_process("enterprise_service", "xh_liaison", data)
    with pytest.raises(Conflict, match="今年已有进行中的结对服务") as refused:
        engine.start_process("enterprise_service", "xh_liaison", data)
    assert refused.value.code == "duplicate_service" and refused.value.params["instance"] == first["id"]
    with pytest.raises(InvalidInput, match="结对企业"):
        engine.start_process("enterprise_service", "xh_liaison", {})


def test_the_starter_withdraws_before_anyone_else_acts(engine, world):
    complaint = engine.start_process("complaint_12369", "xh_liaison", {"channel": "来信", "summary": "异味"})
    assert engine.may_withdraw(complaint["id"], "xh_liaison")
    assert not engine.may_withdraw(complaint["id"], "xh_water1")
    with pytest.raises(NotAllowed, match="只有发起人"):
        engine.withdraw(complaint["id"], "xh_water1", "不是我的")
    with pytest.raises(InvalidInput, match="撤回原因"):
        engine.withdraw(complaint["id"], "xh_liaison", "  ")
    assert engine.withdraw(complaint["id"], "xh_liaison", "重复登记")["status"] == "cancelled"
    shown = engine.show(complaint["id"], "root")
    assert shown["status"] == "cancelled" and shown["open_tasks"] == []
    filings = engine.filing_list("root")["rows"]
    assert [(f["kind_text"], f["reason"], f["actor"]) for f in filings] == [("撤回", "重复登记", "xh_liaison")]
    with engine.uow(write=False) as uow:
        actions = list(uow.session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == complaint["id"])))
    assert "instance_withdrawn" in actions
    with pytest.raises(Conflict, match="已结束"):
        engine.withdraw(complaint["id"], "xh_liaison", "再撤一次")


def test_withdrawing_cancels_the_waiting_timers(engine, world):
    matter = engine.start_process("ledger_matter", "xh_water1", {
        "enterprise_id": world["enterprise_id"], "category": "水", "description": "雨污未分流", "severity": "一般"})
    with engine.uow(write=False) as uow:
        pending = uow.session.scalars(select(Timer.status).where(Timer.instance_id == matter["id"])).all()
    assert pending == ["pending"]  # 整改超期
    engine.withdraw(matter["id"], "xh_water1", "登记错了企业")
    with engine.uow(write=False) as uow:
        assert uow.session.scalars(select(Timer.status).where(Timer.instance_id == matter["id"])).all() \
            == ["cancelled"]
        assert uow.session.get(Instance, matter["id"]).ended_at is not None


def test_no_withdrawal_once_someone_else_acted(engine, world):
    matter = engine.start_process("ledger_matter", "xh_water_head", {
        "enterprise_id": world["enterprise_id"], "category": "水", "description": "雨污未分流", "severity": "一般"})
    task = _open_tasks(engine, matter["id"])[0]
    engine.claim(task["id"], "xh_water1")  # a colleague takes the step: it is theirs now
    assert not engine.may_withdraw(matter["id"], "xh_water_head")
    with pytest.raises(Conflict, match="已有他人办理") as refused:
        engine.withdraw(matter["id"], "xh_water_head", "不办了")
    assert refused.value.code == "already_acted"
    assert engine.show(matter["id"], "root")["status"] == "running"


def test_starters_may_be_named_people_or_sections_by_name(engine, world):
    from engine import access
    with engine.uow(write=False) as uow:
        session = uow.session
        water1, air1 = access.actor(session, "xh_water1"), access.actor(session, "xh_air1")
        assert access.may_start(session, water1, {"starter_groups": ["水环境科"]})
        assert not access.may_start(session, air1, {"starter_groups": ["水环境科"]})
        assert access.may_start(session, air1, {"starter_users": ["xh_air1"]})
        assert not access.may_start(session, air1, {})  # nobody named: admins only
        assert access.may_start(session, access.actor(session, "root"), {})


def test_the_started_list_knows_which_may_still_be_withdrawn(engine, world):
    data = {"enterprise_id": world["enterprise_id"], "category": "水", "description": "雨污未分流", "severity": "一般"}
    fresh = engine.start_process("ledger_matter", "xh_water_head", data)["id"]
    touched = engine.start_process("ledger_matter", "xh_water_head", data)["id"]
    mine_elsewhere = engine.start_process("ledger_matter", "xh_water1", data)["id"]
    engine.claim(_open_tasks(engine, touched)[0]["id"], "xh_water2")
    assert engine.withdrawable_instances("xh_water_head", [fresh, touched, mine_elsewhere]) == [fresh]
