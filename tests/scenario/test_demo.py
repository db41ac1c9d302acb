"""`sanfu demo` builds a believable province through the Engine API: 1 province, 2 cities,
4 counties with their sections and people, 20 paired enterprises (one paired twice), and
instances of the three bureau processes at every stage, routed to the right county and
section. Running it again changes nothing."""
from collections import Counter

import pytest
from sqlalchemy import func, select

from engine import clock
from engine.cli.main import main
from engine.demo.loader import load_demo
from engine.org.creditcode import validate_credit_code
from engine.store.org_tables import Enterprise, LedgerMatter, Section, Unit, UserRole
from engine.store.tables import AuditEvent, HumanTask, Instance, Timer, User

COUNTIES = ("xh", "xs", "wx", "cx")
pytestmark = pytest.mark.usefixtures("demo_day")  # tests/scenario/conftest.py


@pytest.fixture
def demo(engine):
    lines = load_demo(engine)
    assert "演示数据已建立" in lines[0]
    return engine


def rows(engine, query):
    with engine.uow(write=False) as uow:
        return list(uow.session.execute(query))


def unit_ids(engine) -> dict[str, int]:
    return dict(rows(engine, select(Unit.code, Unit.id)))


def test_the_province_its_people_and_enterprises(demo):
    levels = Counter(level for (level,) in rows(demo, select(Unit.level)))
    assert levels == {"province": 1, "city": 2, "county": 4}
    sections = rows(demo, select(Unit.code, Unit.level, Section.code, Section.name)
                    .join(Section, Section.unit_id == Unit.id))
    assert len(sections) == 7 * 7
    names = {(level, code): name for _unit, level, code, name in sections}
    assert names[("province", "water")] == "水生态环境处" and names[("county", "water")] == "水环境科"
    assert names[("province", "enforcement")] == "执法稽查总队" and names[("city", "monitoring")] == "监测站"

    roles = rows(demo, select(Unit.code, UserRole.role).join(User, User.unit_id == Unit.id)
                 .join(UserRole, UserRole.user_id == User.id))
    for county in COUNTIES:
        assert {r for u, r in roles if u == county} == {"staff", "section_head", "leader", "liaison", "expert"}
    assert {u for u, r in roles if r == "supervisor"} == {"zj", "hz", "huz"}
    assert {u for u, r in roles if r in ("admin", "designer")} == {"zj"}

    enterprises = rows(demo, select(Enterprise.credit_code, Enterprise.scale, Enterprise.type, Enterprise.priority,
                                    Enterprise.liaison_id, Enterprise.contact_leader_id))
    assert len({e.credit_code for e in enterprises}) == 20 and len(enterprises) == 22
    assert all(validate_credit_code(e.credit_code) == e.credit_code for e in enterprises)
    assert {e.scale for e in enterprises} == {"大", "中", "小", "微"}
    assert len({e.type for e in enterprises}) == 4 and any(e.priority for e in enterprises)
    assert all(e.liaison_id and e.contact_leader_id for e in enterprises)
    assert len(demo.duplicate_pairings()) >= 1


def open_steps(engine) -> Counter:
    """(the instance's process, step) of every open task: a matter called by a service
    counts under the service (its task's own process_key is ledger_matter)."""
    return Counter(rows(engine, select(Instance.process_key, HumanTask.element_id)
                        .join(Instance, Instance.id == HumanTask.instance_id)
                        .where(HumanTask.status == "open")))


def completed_paths(engine, key: str) -> list[set[str]]:
    done = rows(engine, select(HumanTask.instance_id, HumanTask.element_id).join(
        Instance, Instance.id == HumanTask.instance_id).where(Instance.process_key == key,
                                                              Instance.status == "completed"))
    paths: dict[int, set] = {}
    for instance_id, element in done:
        paths.setdefault(instance_id, set()).add(element)
    return list(paths.values())


def test_every_process_has_instances_at_every_stage(demo):
    steps = open_steps(demo)
    for element in ("record_visit", "health_check", "rectify", "verify", "await_answer", "follow_up",
                    "urge_rectification", "urge_answer"):
        assert steps[("enterprise_service", element)] >= 1, element
    for element in ("rectify", "hand_over", "await_answer", "sign_urge_rectification"):
        assert steps[("ledger_matter", element)] >= 1, element
    for element in ("intake", "remit_check", "investigate", "reply", "callback", "urge_complaint"):
        assert steps[("complaint_12369", element)] >= 1, element

    matters = Counter(s for (s,) in rows(demo, select(LedgerMatter.status)))
    assert all(matters[s] >= 1 for s in ("rectifying", "verifying", "handing_over", "awaiting_answer",
                                         "closed", "explained")), matters
    claimed = rows(demo, select(HumanTask.assignee).where(
        HumanTask.status == "open", HumanTask.element_id == "rectify", HumanTask.assignee.is_not(None)))
    assert claimed
    returned = {i for (i, d) in rows(demo, select(AuditEvent.instance_id, AuditEvent.detail)
                                     .where(AuditEvent.action == "task_completed"))
                if d.get("data", {}).get("decision") == "退回"}
    reworking = {i for (i,) in rows(demo, select(HumanTask.instance_id).where(
        HumanTask.status == "open", HumanTask.element_id == "rectify"))}
    assert returned & reworking                                  # sent back, being reworked

    busy = select(HumanTask.instance_id).where(HumanTask.status == "open")
    waiting = rows(demo, select(Instance.id).join(Timer, Timer.instance_id == Instance.id).where(
        Instance.process_key == "enterprise_service", Instance.status == "running", Instance.id.not_in(busy)))
    assert waiting                                               # 30-day 回访 waiting period
    assert sum("follow_up" in p for p in completed_paths(demo, "enterprise_service")) == 2
    complaints = completed_paths(demo, "complaint_12369")
    assert {"forward"} <= set.union(*complaints)                 # out of remit, forwarded
    assert any("reply" in p and "callback" not in p for p in complaints)   # anonymous, done
    assert any("callback" in p for p in complaints)

    now = clock.now()
    due = [d for (d,) in rows(demo, select(HumanTask.due_at).where(HumanTask.status == "open"))]
    assert any(d < now for d in due) and any(d > now for d in due)


def visible(engine, user) -> list[dict]:
    return engine.tasks(user)


def test_tasks_reach_the_right_county_and_section(demo):
    units = unit_ids(demo)
    water = rows(demo, select(LedgerMatter.instance_id).where(LedgerMatter.unit_id == units["xh"],
                                                             LedgerMatter.section == "water",
                                                             LedgerMatter.status == "rectifying"))
    assert len(water) >= 2
    seen = {t["instance_id"] for u in ("xh_water", "xh_water2") for t in visible(demo, u)
            if t["element_id"] == "rectify"}
    assert {i for (i,) in water} <= seen
    for county in COUNTIES:
        for user in (f"{county}_water", f"{county}_water2", f"{county}_office", f"{county}_air"):
            assert {t["unit_id"] for t in visible(demo, user)} <= {units[county]}, user
    assert not {t["instance_id"] for t in visible(demo, "xs_water")} & {i for (i,) in water}
    assert not {t["id"] for t in visible(demo, "xh_air")} & {t["id"] for t in visible(demo, "xh_water2")}

    mine = [t for t in visible(demo, "xh_water") if t["assignee"] == "xh_water"]
    assert mine and not {t["id"] for t in mine} & {t["id"] for t in visible(demo, "xh_water2")}
    assert [t["element_id"] for t in visible(demo, "xh_office")].count("intake") == 1
    assert [t for t in visible(demo, "xs_office") if t["element_id"] == "intake"] == []
    assert {t["unit_id"] for t in visible(demo, "hz_super")} <= {units["xh"], units["xs"]}
    assert {t["unit_id"] for t in visible(demo, "huz_super")} <= {units["wx"], units["cx"]}
    assert visible(demo, "hz_super") and visible(demo, "huz_super")
    assert demo.unrouted("admin") == []                          # every task found its people


TABLES = (User, Unit, Section, Enterprise, Instance, HumanTask, Timer, AuditEvent, LedgerMatter)


def counts(engine) -> dict:
    return {t.__tablename__: rows(engine, select(func.count()).select_from(t))[0][0] for t in TABLES}


def test_supervision_is_visible_on_first_login(demo):
    """Work in every colour, a ladder in progress, and last year's 挂牌督办 still open (跨年)."""
    from engine.calendar.deadlines import colour
    now = clock.now()
    open_rows = rows(demo, select(HumanTask.due_at, HumanTask.blue_at, HumanTask.yellow_at, HumanTask.ladder_step)
                     .where(HumanTask.status == "open"))
    colours = Counter(colour(now, r.due_at, r.blue_at, r.yellow_at) for r in open_rows)
    assert colours["red"] and colours["yellow"] and colours["blue"] and colours[None]
    assert {r.ladder_step for r in open_rows} >= {0, 1, 2, 3}
    this_year = clock.to_local(now).year
    listed = demo.supervision_records("zj_super", year=this_year)["rows"]
    carried = [r for r in listed if r["carried_over"]]
    assert len(carried) == 1 and carried[0]["year"] == this_year - 1 and carried[0]["status"] == "open"
    assert carried[0]["deadline_passed"] and carried[0]["unit_name"] == "萧山区分局"
    actions = [e["action"] for e in demo.supervision_record(carried[0]["id"], "hz_super")["history"]]
    assert actions[:2] == ["opened", "deadline_set"]


def test_running_it_again_changes_nothing(demo):
    before = counts(demo)
    assert "已存在" in load_demo(demo)[0]
    assert counts(demo) == before


def test_the_cli_loads_it_once_and_the_county_water_staff_see_their_work(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SANFU_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    assert main(["init"]) == 0 and main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "西湖区分局" in out and "xh_water" in out.replace("<县>", "xh") and "已办结" in out
    assert main(["demo"]) == 0 and "已存在" in capsys.readouterr().out
    assert main(["tasks", "--as", "xh_water"]) == 0
    out = capsys.readouterr().out
    assert "整改" in out and "xh_water" in out and "待认领" in out
