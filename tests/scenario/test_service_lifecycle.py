"""The 五个一 lifecycle in a county bureau, as the seeds describe it: the liaison visits, the
expert finds two problems, the 水 problem reaches the county's water section and nobody
else, the section rectifies it and the head closes it out, the 气 problem gets an
explanation, and a month later the liaison's follow-up visit records the rating."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import clock
from engine.errors import NotAllowed
from engine.store.tables import HumanTask
from tests.helpers.forms import ANSWER, CHECK, FOLLOW_UP, HANDOVER, RECTIFIED, VISIT, WATER
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province
from tests.helpers.statements import recording

START = clock.parse_moment("2026-03-02T09:00:00")


@pytest.fixture
def county(engine):
    ids = build_province(engine)
    engine.forms_dir = FORMS
    engine.deploy([PROCESSES / "enterprise_service.bpmn", PROCESSES / "ledger_matter.bpmn",
                   PROCESSES / "routing.dmn"], "root")
    return engine, ids


def mine(engine, user):
    return engine.tasks(user)


def only(engine, user, name=None):
    tasks = [t for t in engine.tasks(user) if name is None or t["name"] == name]
    assert len(tasks) == 1, (user, [t["name"] for t in engine.tasks(user)])
    return tasks[0]


@pytest.fixture
def march():
    with clock.frozen_at(START):
        yield


def test_visit_check_two_matters_close_out_explain_and_follow_up(county, march):
    engine, ids = county
    assert pairing_status(engine, ids) == "paired"
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    engine.complete(only(engine, "xh_expert")["id"], "xh_expert", CHECK)

    water = only(engine, "xh_water1")
    assert water["unit_id"] is not None and water["enterprise_id"] == ids["enterprise_id"]
    assert only(engine, "xh_water2")["id"] == water["id"]          # the section may claim it
    assert [t for t in mine(engine, "bj_water1")] == []              # same section, other county
    air = only(engine, "xh_air1")
    assert air["id"] != water["id"] and mine(engine, "xh_liaison") == []
    ledger = {m["category"]: m for m in engine.ledger_for(ids["enterprise_id"], "root")}
    assert set(ledger) == {"水", "气"}
    assert ledger["水"]["section"] == "water" and ledger["水"]["status"] == "rectifying"
    assert ledger["水"]["deadline"] is not None and ledger["水"]["source"] == "环保体检"

    engine.claim(water["id"], "xh_water1")
    engine.complete(water["id"], "xh_water1", RECTIFIED)
    assert ledger_status(engine, ids, "水") == "verifying"
    review = only(engine, "xh_water_head")
    engine.complete(review["id"], "xh_water_head", {"decision": "销号", "opinion": "整改到位"})
    assert ledger_status(engine, ids, "水") == "closed"

    engine.claim(air["id"], "xh_air1")
    engine.complete(air["id"], "xh_air1", RECTIFIED)
    engine.complete(only(engine, "xh_air_head")["id"], "xh_air_head",
                    {"decision": "解释说明", "explanation": "需结合园区集中治理，短期无法解决，已向企业说明"})
    matters = {m["category"]: m for m in engine.ledger_for(ids["enterprise_id"], "root")}
    assert matters["气"]["status"] == "explained" and "短期无法解决" in matters["气"]["explanation"]
    assert matters["水"]["closed_at"] is not None

    assert mine(engine, "xh_liaison") == []                          # 回访 waits its period
    with clock.frozen_at(START + timedelta(days=31)):
        assert engine.fire_due_timers()["fired"] == 1
    follow_up = only(engine, "xh_liaison")
    engine.complete(follow_up["id"], "xh_liaison", FOLLOW_UP)
    shown = engine.show(instance)
    assert shown["status"] == "completed" and shown["data"]["satisfaction"]["overall"] == 5
    assert pairing_status(engine, ids) == "served"                   # 服务一批: the list shows it


def pairing_status(engine, ids) -> str:
    [row] = [e for e in engine.enterprises("root")["rows"] if e["id"] == ids["enterprise_id"]]
    return row["status"]


def ledger_status(engine, ids, category):
    return {m["category"]: m["status"] for m in engine.ledger_for(ids["enterprise_id"], "root")}[category]


def visit_task(engine, user, instance):
    return [t for t in engine.tasks(user) if t["instance_id"] == instance][0]


def test_another_group_visiting_in_person_within_30_days_is_warned(county, march):
    """扎堆服务 is about different groups visiting the same enterprise in person: the liaison's
    own phone call and own revisit are not warned; a visit by somebody else within 30 days
    is — on its task page before it is recorded, and when it is recorded."""
    engine, ids = county
    enterprise = {"enterprise_id": ids["enterprise_id"]}
    first = engine.start("enterprise_service", "xh_liaison", enterprise)["id"]
    assert engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)["warnings"] == []
    with clock.frozen_at(START + timedelta(days=4)):
        call = engine.start("enterprise_service", "xh_liaison", enterprise)["id"]
        phone = {**VISIT, "mode": "电话"}
        assert engine.complete(visit_task(engine, "xh_liaison", call)["id"], "xh_liaison", phone)["warnings"] == []
    with clock.frozen_at(START + timedelta(days=10)):
        again = engine.start("enterprise_service", "xh_liaison", enterprise)["id"]
        own = visit_task(engine, "xh_liaison", again)
        assert engine.task_view(own["id"], "xh_liaison")["visit_warnings"] == []
        assert engine.complete(own["id"], "xh_liaison", VISIT)["warnings"] == []     # the liaison's own
    with clock.frozen_at(START + timedelta(days=12)):
        other = engine.start("enterprise_service", "xh_liaison", enterprise)["id"]
        task = visit_task(engine, "xh_liaison", other)
        engine.assign(task["id"], "xh_water1", "root")                   # another group makes this visit
        planned = engine.task_view(task["id"], "xh_water1")["visit_warnings"]
        warnings = engine.complete(task["id"], "xh_water1", VISIT)["warnings"]
    assert planned == warnings and len(warnings) == 2                     # the two in-person visits, not the call
    assert "2026-03-12" in warnings[0] and f"实例 {again}" in warnings[0]
    assert "2026-03-02" in warnings[1] and f"实例 {first}" in warnings[1]
    with clock.frozen_at(START + timedelta(days=45)):
        late = engine.start("enterprise_service", "xh_liaison", enterprise)["id"]
        task = visit_task(engine, "xh_liaison", late)
        assert engine.complete(task["id"], "xh_liaison", VISIT)["warnings"] == []   # 33 and 35 days ago


def test_supervisors_see_the_units_below_read_only_and_the_overdue_turns_red(county, march):
    engine, ids = county
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    engine.complete(only(engine, "xh_expert")["id"], "xh_expert", CHECK)
    seen = engine.overview("hz_super")                      # city supervisor: the county's work
    assert {t["name"] for t in seen} >= {"整改"} and not any(t["overdue"] for t in seen)
    water = only(engine, "xh_water1")
    with pytest.raises(NotAllowed):
        engine.complete(water["id"], "hz_super", RECTIFIED)  # seeing is not acting
    head_view = engine.overview("xh_water_head")            # the head: their section's work only
    assert [t["id"] for t in head_view] == [water["id"]]
    with pytest.raises(NotAllowed):
        engine.overview("xh_water1")                        # staff have no supervision view
    with clock.frozen_at(START + timedelta(days=24)):       # past the 15-working-day rectification
        late = {t["id"]: t["overdue"] for t in engine.overview("hz_super")}
    assert late[water["id"]] is True


def test_a_cross_department_matter_waits_for_the_other_departments_answer(county, march):
    engine, ids = county
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    engine.complete(only(engine, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    water = only(engine, "xh_water1")
    engine.claim(water["id"], "xh_water1")
    engine.complete(water["id"], "xh_water1", RECTIFIED)
    engine.complete(only(engine, "xh_water_head")["id"], "xh_water_head",
                    {"decision": "交办", "opinion": "涉及用地性质，需自然资源部门认定"})
    hand_over = only(engine, "xh_water1")
    assert hand_over["element_id"] == "hand_over"
    engine.claim(hand_over["id"], "xh_water1")
    engine.complete(hand_over["id"], "xh_water1", HANDOVER)
    assert ledger_status(engine, ids, "水") == "awaiting_answer"
    waiting = only(engine, "xh_water1")
    assert waiting["element_id"] == "await_answer" and waiting["due_at_local"].startswith("2026-04-20")
    engine.claim(waiting["id"], "xh_water1")
    engine.complete(waiting["id"], "xh_water1", ANSWER)
    engine.complete(only(engine, "xh_water_head")["id"], "xh_water_head", {"decision": "销号"})
    matter = engine.ledger_for(ids["enterprise_id"], "root")[0]
    assert matter["status"] == "closed" and matter["department"] == "县自然资源局"
    assert "工业用地" in matter["answer"]


def test_a_matter_called_by_a_service_is_listed_under_its_own_process(county, march):
    engine, ids = county
    service = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    engine.complete(only(engine, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    water = only(engine, "xh_water1")
    assert water["process_key"] == "ledger_matter" and water["instance_id"] == service


def test_each_matter_is_due_when_its_rectification_is_and_their_dates_are_read_at_once(county, march):
    """Two findings, two matters: each ledger row's 整改期限 is its own 整改 step's due time,
    and the save reads the two due times in one statement."""
    engine, ids = county
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    check = only(engine, "xh_expert")
    with recording(engine.db) as sent:
        engine.complete(check["id"], "xh_expert", CHECK)
    due_reads = [s.sql for s in sent.statements
                 if re.match(r"SELECT (human_tasks\.id, )?human_tasks\.due_at FROM human_tasks WHERE", s.sql)]
    assert len(due_reads) == 1, due_reads
    ledger = {m["category"]: m for m in engine.ledger_for(ids["enterprise_id"], "root")}
    with engine.uow(write=False) as uow:
        due = dict(uow.session.execute(select(HumanTask.id, HumanTask.due_at)).all())
    for category, user in (("水", "xh_water1"), ("气", "xh_air1")):
        assert ledger[category]["deadline"] == due[only(engine, user)["id"]].isoformat()


def test_a_save_writes_only_the_matters_it_moved(county, march):
    """The water section's rectification moves the 水 matter (to verifying) and leaves the
    气 matter as it was: one UPDATE of ledger_matters, the 水 row's; the 气 row keeps its
    updated_at (when it last changed), the 水 row's moves on."""
    engine, ids = county
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    engine.complete(only(engine, "xh_liaison")["id"], "xh_liaison", VISIT)
    engine.complete(only(engine, "xh_expert")["id"], "xh_expert", CHECK)
    before = {m["category"]: m for m in engine.ledger_for(ids["enterprise_id"], "root")}
    water = only(engine, "xh_water1")
    engine.claim(water["id"], "xh_water1")
    with clock.frozen_at(START + timedelta(hours=2)), recording(engine.db) as sent:
        engine.complete(water["id"], "xh_water1", RECTIFIED)
    updates = [s for s in sent.statements if s.sql.startswith("UPDATE ledger_matters")]
    assert len(updates) == 1, [s.sql for s in updates]
    after = {m["category"]: m for m in engine.ledger_for(ids["enterprise_id"], "root")}
    assert after["水"]["status"] == "verifying" and after["气"]["status"] == "rectifying"
    assert after["气"] == before["气"]
    assert after["水"]["updated_at"] == (START + timedelta(hours=2)).isoformat() != before["水"]["updated_at"]
    assert after["水"]["deadline"] == before["水"]["deadline"]  # 整改期限 stays when the matter moves on
