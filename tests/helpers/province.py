"""A small province for scenario tests, built through the Engine like an admin would."""
from datetime import UTC, datetime

from engine import clock
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing, Person
from tests.helpers.paths import PROCESSES

# The inbox tests' world: the province, its processes, one 企业服务 started at INBOX_NOW.
INBOX_NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
INBOX_MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")

SECTIONS = {"water": "水环境科", "air": "大气环境科", "office": "办公室"}


def build_province(engine) -> dict:
    engine.add_user("root", admin=True)
    engine.add_unit("zj", "省生态环境厅", "province", actor="root")
    engine.add_unit("hz", "杭州市生态环境局", "city", "zj", actor="root")
    for county in ("xh", "bj"):
        engine.add_unit(county, {"xh": "西湖区分局", "bj": "滨江区分局"}[county], "county", "hz", actor="root")
    for unit in ("zj", "hz", "xh", "bj"):
        for code, name in SECTIONS.items():
            engine.add_section(unit, code, name if unit != "zj" else name.replace("科", "处"), actor="root")
    people = [
        Person("xh_water1", "西湖 水 科员1", "xh", ("water",), ("staff",)),
        Person("xh_water2", "西湖 水 科员2", "xh", ("water",), ("staff",)),
        Person("xh_water_head", "西湖 水 科长", "xh", ("water",), ("staff", "section_head")),
        Person("xh_air1", "西湖 气 科员", "xh", ("air",), ("staff",)),
        Person("xh_air_head", "西湖 气 科长", "xh", ("air",), ("staff", "section_head")),
        Person("xh_liaison", "西湖 联络员", "xh", ("office",), ("staff", "liaison")),
        Person("xh_expert", "西湖 专家", "xh", (), ("expert",)),
        Person("xh_leader", "西湖 分管局长", "xh", (), ("leader",), leads=("water", "air")),
        Person("hz_super", "杭州 督查", "hz", ("office",), ("supervisor",)),
        Person("bj_water1", "滨江 水 科员", "bj", ("water",), ("staff",)),
    ]
    for person in people:
        engine.save_person(person, actor="root")
    code = demo_credit_codes(1, seed=7)[0]
    enterprise_id, _ = engine.pair_enterprise(Pairing("西湖印染有限公司", code, "中", "重点排污企业", "xh",
                                                      liaison="xh_liaison", year=2026), actor="root")
    return {"enterprise_id": enterprise_id, "credit_code": code}


def province_with_a_service(engine) -> dict:
    """build_province, the inbox tests' models deployed, and one 企业服务 that xh_liaison started
    at INBOX_NOW (its id: ids["instance_id"])."""
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in INBOX_MODELS], "root")
    with clock.frozen_at(INBOX_NOW):
        ids["instance_id"] = engine.start("enterprise_service", "xh_liaison",
                                          {"enterprise_id": ids["enterprise_id"]})["id"]
    return ids
