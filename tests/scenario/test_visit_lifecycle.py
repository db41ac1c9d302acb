"""The sample 走访 → 整改 → 销号 process, driven the way its users drive it."""
import pytest

from engine import clock
from engine.clock import parse_moment
from engine.errors import Conflict, FormValidationError, NotAllowed
from tests.helpers.paths import FORMS, PROCESSES

VISIT = {"visit_date": "2026-11-20", "mode": "走访", "members": ["liaison1"],
         "needs": "污水设施升级指导", "problem_count": 1, "problem": "雨污分流不彻底"}


@pytest.fixture
def bureau(people):
    people.add_user("supervisor1", ["supervisors"])
    people.forms_dir = FORMS
    people.deploy([PROCESSES / "demo_visit.bpmn"], "designer")
    return people


def only_task(engine, user, instance_id):
    tasks = [t for t in engine.tasks(user) if t["instance_id"] == instance_id]
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_liaison_visits_section_rectifies_head_sends_back_then_closes_out(bureau):
    instance = bureau.start("demo_visit", "liaison1")["id"]
    visit = only_task(bureau, "liaison1", instance)
    assert visit["assignee"] == "liaison1" and visit["lane"] == "liaisons"
    bureau.complete(visit["id"], "liaison1", VISIT)

    rectify = only_task(bureau, "water1", instance)
    assert rectify["assignee"] is None and rectify["candidate_groups"] == ["water"]
    assert [t for t in bureau.tasks("outsider") if t["instance_id"] == instance] == []
    bureau.claim(rectify["id"], "water1")
    with pytest.raises(NotAllowed):
        bureau.complete(rectify["id"], "water2", {"measures": "抢着办"})
    bureau.complete(rectify["id"], "water1", {"measures": "已改造管网"})

    review = only_task(bureau, "head1", instance)
    assert review["assignee"] == "head1"  # the only section head: assigned at once
    bureau.complete(review["id"], "head1", {"verified": False, "opinion": "佐证不足"})
    rework = only_task(bureau, "water2", instance)
    assert rework["element_id"] == "rectify" and rework["assignee"] is None
    bureau.complete(rework["id"], "water2", {"measures": "补充照片", "evidence": ["a.jpg"]})
    bureau.complete(only_task(bureau, "head1", instance)["id"], "head1", {"verified": True})

    shown = bureau.show(instance)
    assert shown["status"] == "completed" and shown["open_tasks"] == []
    assert shown["data"]["verified"] is True
    actions = [e["action"] for e in shown["history"]]
    assert actions[0] == "instance_started" and actions[-1] == "instance_completed"
    assert actions.count("task_completed") == 5 and "task_claimed" in actions
    completed = [e for e in shown["history"] if e["action"] == "task_completed"]
    assert completed[1]["actor"] == "water1" and completed[1]["detail"]["data"] == {"measures": "已改造管网"}


def test_invalid_form_data_names_the_field_in_chinese_and_saves_nothing(bureau):
    instance = bureau.start("demo_visit", "liaison1")["id"]
    task = only_task(bureau, "liaison1", instance)
    with pytest.raises(FormValidationError) as err:
        bureau.complete(task["id"], "liaison1", {"visit_date": "2026-11-20", "mode": "上门",
                                                   "members": ["a", "b", "c", "d", "e", "f"]})
    message = str(err.value)
    assert "走访方式" in message and "发现问题数：必填" in message and "走访组成员" in message
    assert set(err.value.fields) == {"mode", "problem_count", "members"}
    assert only_task(bureau, "liaison1", instance)["id"] == task["id"]
    assert [e["action"] for e in bureau.show(instance)["history"]] == ["instance_started"]


def test_a_completed_task_cannot_be_completed_again(bureau):
    instance = bureau.start("demo_visit", "liaison1")["id"]
    task = only_task(bureau, "liaison1", instance)
    bureau.complete(task["id"], "liaison1", dict(VISIT, problem_count=0))
    with pytest.raises(Conflict):
        bureau.complete(task["id"], "liaison1", VISIT)
    assert bureau.show(instance)["status"] == "completed"


def test_overdue_rectification_raises_a_supervision_task_when_its_timer_is_due(bureau):
    with clock.frozen_at(parse_moment("2026-11-01T09:00:00")):
        instance = bureau.start("demo_visit", "liaison1")["id"]
        bureau.complete(only_task(bureau, "liaison1", instance)["id"], "liaison1", VISIT)
    rectify = only_task(bureau, "water1", instance)
    # 15 working days from a Sunday: the timer and the deadline agree (both count working days)
    assert rectify["due_at_local"].startswith("2026-11-20T09:00")
    with clock.frozen_at(parse_moment("2026-11-20T08:59:00")):
        assert bureau.fire_due_timers()["fired"] == 0
    assert bureau.tasks("supervisor1") == []
    with clock.frozen_at(parse_moment("2026-11-20T09:00:00")):
        assert bureau.fire_due_timers() == {"due": 1, "fired": 1, "failed": 0, "started": 0}
    urge = only_task(bureau, "supervisor1", instance)
    assert urge["name"] == "督办超期整改"
    assert only_task(bureau, "water1", instance)["id"] == rectify["id"]  # non-interrupting
    with clock.frozen_at(parse_moment("2026-11-27T09:00:00")):
        assert bureau.fire_due_timers()["due"] == 0  # fired once, never again


def test_dates_are_checked_and_messages_name_the_field(bureau):
    instance = bureau.start("demo_visit", "liaison1")["id"]
    task = only_task(bureau, "liaison1", instance)
    with pytest.raises(FormValidationError) as err:
        bureau.complete(task["id"], "liaison1", dict(VISIT, visit_date="2026-02-30"))
    assert "走访日期：格式不正确" in str(err.value)
