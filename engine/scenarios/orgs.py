"""The organisation a scenario runs in: the one its file describes, or `demo-minimal` — a
province, a city and two county bureaus with water, air and office sections, the people the
shipped processes route to, and one paired enterprise (the same cast as the tests' province)."""
from __future__ import annotations

from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing, Person

SCENARIO_ADMIN = "scenario"  # builds the organisation and deploys; never a step's actor unless named

_COUNTIES = {"xh": "西湖区分局", "bj": "滨江区分局"}
DEMO_MINIMAL = {
    "units": [{"code": "zj", "name": "省生态环境厅", "level": "province"},
              {"code": "hz", "name": "杭州市生态环境局", "level": "city", "parent": "zj"},
              *({"code": c, "name": n, "level": "county", "parent": "hz"} for c, n in _COUNTIES.items())],
    "sections": {"water": "水环境科", "air": "大气环境科", "office": "办公室"},
    "people": [
        {"name": "xh_water1", "display_name": "西湖 水 科员1", "unit": "xh", "sections": ["water"]},
        {"name": "xh_water2", "display_name": "西湖 水 科员2", "unit": "xh", "sections": ["water"]},
        {"name": "xh_water_head", "display_name": "西湖 水 科长", "unit": "xh", "sections": ["water"],
         "roles": ["staff", "section_head"]},
        {"name": "xh_air1", "display_name": "西湖 气 科员", "unit": "xh", "sections": ["air"]},
        {"name": "xh_air_head", "display_name": "西湖 气 科长", "unit": "xh", "sections": ["air"],
         "roles": ["staff", "section_head"]},
        {"name": "xh_liaison", "display_name": "西湖 联络员", "unit": "xh", "sections": ["office"],
         "roles": ["staff", "liaison"]},
        {"name": "xh_expert", "display_name": "西湖 专家", "unit": "xh", "roles": ["expert"]},
        {"name": "xh_leader", "display_name": "西湖 分管局长", "unit": "xh", "roles": ["leader"],
         "leads": ["water", "air"]},
        {"name": "hz_super", "display_name": "杭州 督查", "unit": "hz", "sections": ["office"],
         "roles": ["supervisor"]},
        {"name": "bj_water1", "display_name": "滨江 水 科员", "unit": "bj", "sections": ["water"]},
    ],
    "enterprises": [{"name": "西湖印染有限公司", "unit": "xh", "scale": "中", "type": "重点排污企业",
                     "liaison": "xh_liaison", "year": 2026}],
}


def build_org(engine, org: str | dict) -> None:
    """Create the units, their sections, the people and the paired enterprises, as an admin would."""
    org = DEMO_MINIMAL if isinstance(org, str) else org
    engine.add_user(SCENARIO_ADMIN, admin=True, display_name="场景测试")
    for unit in org["units"]:
        engine.add_unit(unit["code"], unit["name"], unit["level"], unit.get("parent"), actor=SCENARIO_ADMIN)
        for code, name in (org.get("sections") or {}).items():
            engine.add_section(unit["code"], code, name, actor=SCENARIO_ADMIN)
    for person in org["people"]:
        engine.save_person(Person(person["name"], person.get("display_name") or person["name"], person["unit"],
                                  tuple(person.get("sections", ())), tuple(person.get("roles", ("staff",))),
                                  tuple(person.get("leads", ()))), actor=SCENARIO_ADMIN)
    enterprises = org.get("enterprises") or []
    codes = iter(demo_credit_codes(len(enterprises), seed=7))
    for firm in enterprises:
        engine.pair_enterprise(Pairing(firm["name"], firm.get("credit_code") or next(codes), firm.get("scale", "中"),
                                       firm.get("type", "一般企业"), firm["unit"], liaison=firm.get("liaison"),
                                       contact_leader=firm.get("contact_leader"), year=firm.get("year", 0)),
                               actor=SCENARIO_ADMIN)
