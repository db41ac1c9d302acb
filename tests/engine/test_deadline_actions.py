"""People acting on deadlines (issue 9): 催办 by supervising roles, 延期申请 decided by the
section head, 退单 back to whoever dispatched a task, 效能告诫 on an overdue task — read as
the life of a 西湖 water 整改 task (15 working days from 2026-03-02 09:00: due 2026-03-23
09:00). On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine import clock
from engine.calendar.deadlines import Thresholds, warning_moments
from engine.errors import Conflict, InvalidInput, NotAllowed
from tests.helpers.forms import CHECK, VISIT, WATER
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=clock.SHANGHAI)


def at(month: int, day: int, hour: int = 10):
    return clock.frozen_at(datetime(2026, month, day, hour, 0, tzinfo=clock.SHANGHAI))


@pytest.fixture
def rectify(engine):
    """(engine, the open water 整改 task, unclaimed in the 西湖 水环境科 queue)."""
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    with clock.frozen_at(MONDAY):
        instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
        [visit] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
        engine.complete(visit["id"], "xh_liaison", VISIT)
        [check] = engine.tasks("xh_expert")
        engine.complete(check["id"], "xh_expert", dict(CHECK, findings=[WATER]))
        [task] = [t for t in engine.tasks("xh_water1") if t["name"] == "整改"]
    return engine, task


def kinds(engine, user: str, kind: str) -> list[str]:
    return [n["text"] for n in engine.notifications(user)["rows"] if n["kind"] == kind]


def row_of(engine, user: str, task_id: str) -> dict:
    return next(t for t in engine.tasks(user) if t["id"] == task_id)


def test_a_supervisor_urges_twice_and_the_holder_hears_of_it_each_time(rectify):
    engine, task = rectify
    with at(3, 10):
        engine.claim(task["id"], "xh_water1")
        first = engine.urge(task["id"], "hz_super", "企业反映进展慢，请加快")
        second = engine.urge(task["id"], "hz_super", "请本周内报送整改进展")
    assert (first["urge_count"], second["urge_count"], second["recipients"]) == (1, 2, ["xh_water1"])
    assert row_of(engine, "xh_water1", task["id"])["urge_count"] == 2              # 催办 ×2 on the inbox row
    view = engine.task_view(task["id"], "xh_water1")
    assert [(u["sender"], u["message"]) for u in view["urges"]] == [
        ("hz_super", "企业反映进展慢，请加快"), ("hz_super", "请本周内报送整改进展")]
    assert not view["can_urge"] and engine.task_view(task["id"], "hz_super")["can_urge"]
    heard = kinds(engine, "xh_water1", "urged")
    assert len(heard) == 2 and "请本周内报送整改进展" in heard[0] and "第 2 次" in heard[0]
    urged = [e for e in engine.show(task["instance_id"])["history"] if e["action"] == "task_urged"]
    assert [e["actor"] for e in urged] == ["hz_super", "hz_super"]


def test_who_may_urge_and_what_a_message_must_be(rectify):
    engine, task = rectify
    with pytest.raises(NotAllowed):
        engine.urge(task["id"], "xh_water2", "快点")                     # a colleague is no supervisor
    with pytest.raises(NotAllowed):
        engine.urge(task["id"], "bj_water1", "快点")
    with pytest.raises(InvalidInput, match="催办内容"):
        engine.urge(task["id"], "hz_super", "  ")
    with pytest.raises(InvalidInput, match="催办内容"):
        engine.urge(task["id"], "hz_super", "催" * 501)
    # unclaimed: the section head hears of it (they get someone to claim it); so may a leader urge
    done = engine.urge(task["id"], "xh_leader", "请尽快安排人员认领")
    assert done["recipients"] == ["xh_water_head"] and kinds(engine, "xh_water_head", "urged")
    engine.urge(task["id"], "xh_water_head", "今天内认领")                # a section head, on their queue
    assert engine.task_view(task["id"], "xh_water_head")["task"]["urge_count"] == 2


def test_an_extension_approved_moves_the_deadline_and_keeps_the_first(rectify, engine):
    _engine, task = rectify
    due = datetime.fromisoformat(task["due_at"])
    assert clock.to_local(due) == datetime(2026, 3, 23, 9, 0, tzinfo=clock.SHANGHAI)
    with at(3, 16):
        engine.claim(task["id"], "xh_water1")
        asked = engine.request_extension(task["id"], "xh_water1", "2026-03-27", "企业设备到货推迟")
        assert asked["status"] == "pending" and kinds(engine, "xh_water_head", "extension")
        with pytest.raises(Conflict):
            engine.request_extension(task["id"], "xh_water1", "2026-03-30", "再延几天")
        [waiting] = engine.pending_extensions("xh_water_head")["rows"]
        assert (waiting["id"], waiting["task_name"], waiting["reason"]) == (asked["id"], "整改", "企业设备到货推迟")
        with pytest.raises(NotAllowed):
            engine.decide_extension(asked["id"], "xh_water2", True)      # not the head
        decided = engine.decide_extension(asked["id"], "xh_water_head", True, "同意")
    assert decided["status"] == "approved"
    now = engine.task_view(task["id"], "xh_water1")
    moved = datetime.fromisoformat(now["task"]["due_at"])
    assert clock.to_local(moved) == datetime(2026, 3, 27, 9, 0, tzinfo=clock.SHANGHAI)
    assert datetime.fromisoformat(now["original_due_at"]) == due
    created = datetime.fromisoformat(now["task"]["created_at"])
    from engine.calendar.days import WorkCalendar
    blue, yellow = warning_moments(WorkCalendar(), created, moved, Thresholds())
    assert (now["task"]["blue_at"], now["task"]["yellow_at"]) == (blue.isoformat(), yellow.isoformat())
    assert [e["status"] for e in now["extensions"]] == ["approved"] and now["can_request_extension"]
    assert any("延至 2026-03-27" in text for text in kinds(engine, "xh_water1", "extension"))
    assert engine.pending_extensions("xh_water_head")["rows"] == []
    with at(3, 17):                                                          # a second one: the first deadline stays
        again = engine.request_extension(task["id"], "xh_water1", "2026-04-03", "检测报告未出")
        engine.decide_extension(again["id"], "xh_water_head", True)
    assert datetime.fromisoformat(engine.task_view(task["id"], "xh_water1")["original_due_at"]) == due


def test_a_refusal_keeps_the_deadline_and_says_why(rectify):
    engine, task = rectify
    with at(3, 16):
        engine.claim(task["id"], "xh_water1")
        asked = engine.request_extension(task["id"], "xh_water1", "2026-03-27", "企业设备到货推迟")
        with pytest.raises(InvalidInput, match="审批意见"):
            engine.decide_extension(asked["id"], "xh_water_head", False, "")
        engine.decide_extension(asked["id"], "xh_water_head", False, "期限内可完成")
        with pytest.raises(Conflict):
            engine.decide_extension(asked["id"], "xh_water_head", True)
    view = engine.task_view(task["id"], "xh_water1")
    assert view["task"]["due_at"] == task["due_at"] and view["original_due_at"] is None
    assert [(e["status"], e["decision_note"]) for e in view["extensions"]] == [("refused", "期限内可完成")]
    assert any("期限内可完成" in text for text in kinds(engine, "xh_water1", "extension"))


def test_extension_requests_name_what_is_wrong(rectify):
    engine, task = rectify
    with at(3, 16):
        with pytest.raises(NotAllowed):
            engine.request_extension(task["id"], "xh_water1", "2026-03-27", "理由")   # not claimed: not the holder
        engine.claim(task["id"], "xh_water1")
        for day, reason, words in (("2026-03-27", " ", "延期理由"), ("3月27日", "理由", "新的期限"),
                                   ("2026-03-20", "理由", "晚于当前期限"), ("2026-03-28", "理由", "不是工作日")):
            with pytest.raises(InvalidInput, match=words):
                engine.request_extension(task["id"], "xh_water1", day, reason)
        asked = engine.request_extension(task["id"], "xh_water1", "2026-03-27", "理由")
        with pytest.raises(NotAllowed):                                    # nobody decides their own request
            engine.decide_extension(asked["id"], "xh_water1", True)


def test_send_back_returns_a_transferred_task_to_the_transferring_section_and_files_it(rectify):
    engine, task = rectify
    with at(3, 4):
        engine.claim(task["id"], "xh_water1")
        engine.transfer(task["id"], "xh_water1", reason="疑似大气问题", to_section="air")
        engine.claim(task["id"], "xh_air1")
        engine.request_extension(task["id"], "xh_air1", "2026-03-27", "需要大气监测数据")
        assert engine.task_view(task["id"], "xh_air1")["can_send_back"]
        with pytest.raises(InvalidInput, match="退单理由"):
            engine.send_back(task["id"], "xh_air1", "")
        back = engine.send_back(task["id"], "xh_air1", "属水环境问题，非本科室职责")
    assert back["assignee"] == "xh_water1" and back["candidate_groups"] == ["水环境科"]
    view = engine.task_view(task["id"], "xh_water1")                        # xh_air1's request went with it
    assert [e["status"] for e in view["extensions"]] == ["withdrawn"] and view["can_request_extension"]
    assert task["id"] in [t["id"] for t in engine.tasks("xh_water1")]
    engine.release(task["id"], "xh_water1", "请科内重新安排")              # the water queue is its fallback again
    assert task["id"] in [t["id"] for t in engine.tasks("xh_water2")]
    [filing] = [f for f in engine.filing_list("xh_air_head")["rows"] if f["kind"] == "sent_back"]
    assert (filing["kind_text"], filing["actor"], filing["reason"]) == ("退单", "xh_air1", "属水环境问题，非本科室职责")
    assert kinds(engine, "xh_water1", "sent_back")
    assert "task_sent_back" in [e["action"] for e in engine.show(task["instance_id"])["history"]]


def test_send_back_without_a_transfer_goes_to_the_previous_steps_holder(rectify):
    engine, task = rectify
    with at(3, 4):
        engine.claim(task["id"], "xh_water1")
        assert engine.task_view(task["id"], "xh_water1")["can_send_back"]     # the health check dispatched it
        back = engine.send_back(task["id"], "xh_water1", "该问题不属于本局职责，请重新派发")
    assert back["assignee"] == "xh_expert" and back["candidate_groups"] == []
    assert task["id"] in [t["id"] for t in engine.tasks("xh_expert")]
    assert task["id"] not in [t["id"] for t in engine.tasks("xh_water2")]   # no longer in the water queue
    [filing] = [f for f in engine.filing_list("xh_water_head")["rows"] if f["kind"] == "sent_back"]
    assert filing["task_id"] == task["id"]
    with pytest.raises(NotAllowed):
        engine.send_back(task["id"], "xh_water1", "再退")                  # no longer theirs


def test_an_efficiency_warning_only_on_an_overdue_task_and_only_by_a_supervisor(rectify):
    engine, task = rectify
    with at(3, 10):
        engine.claim(task["id"], "xh_water1")
        with pytest.raises(Conflict, match="超期"):
            engine.issue_warning(task["id"], "hz_super", "超期未办")
    with at(3, 24):                                                       # a day after the deadline
        assert engine.task_view(task["id"], "hz_super")["can_warn"]
        assert not engine.task_view(task["id"], "xh_water_head")["can_warn"]
        with pytest.raises(NotAllowed):
            engine.issue_warning(task["id"], "xh_water_head", "超期未办")   # a section head urges, not warns
        with pytest.raises(InvalidInput, match="告诫事由"):
            engine.issue_warning(task["id"], "hz_super", "")
        warning = engine.issue_warning(task["id"], "hz_super", "整改超期且未说明原因")
    assert warning["person"] == "xh_water1"
    assert [w["reason"] for w in engine.warnings_of("xh_water1", "xh_water1")] == ["整改超期且未说明原因"]
    assert [w["person"] for w in engine.task_view(task["id"], "hz_super")["warnings"]] == ["xh_water1"]
    with pytest.raises(NotAllowed):
        engine.warnings_of("xh_water1", "xh_water2")
    counts = engine.warning_counts("hz_super")
    assert sum(counts.values()) == 1 and len(counts) == 1
    assert any("整改超期且未说明原因" in t for t in kinds(engine, "xh_water1", "warning"))


def test_an_extension_of_a_missed_deadline_starts_the_ladder_again(rectify):
    engine, task = rectify
    with at(3, 25):                                                       # two days past the deadline
        engine.claim(task["id"], "xh_water1")
        engine.run_ladder(owner="test")
        assert step_of(engine, task["id"]) >= 1                           # the section head was told
        asked = engine.request_extension(task["id"], "xh_water1", "2026-04-03", "等待检测报告")
        engine.decide_extension(asked["id"], "xh_water_head", True)
        assert step_of(engine, task["id"]) == 0
        engine.run_ladder(owner="test")
        assert step_of(engine, task["id"]) == 0                           # the new deadline is not missed yet


def step_of(engine, task_id: str) -> int:
    from engine.store.tables import HumanTask
    with engine.uow(write=False) as uow:
        return uow.session.get(HumanTask, task_id).ladder_step


def test_an_extension_is_approved_only_while_it_still_makes_sense(rectify):
    """Review fixes: a date more than a year ahead is refused when asked; a request whose date
    has passed, or whose requester no longer holds the task, cannot be approved (only refused)."""
    engine, task = rectify
    with at(3, 10):
        engine.claim(task["id"], "xh_water1")
        with pytest.raises(InvalidInput) as err:
            engine.request_extension(task["id"], "xh_water1", "2027-06-01", "设备到货推迟")
        assert err.value.code == "extension_date_invalid"
        late = engine.request_extension(task["id"], "xh_water1", "2026-03-25", "设备到货推迟")
    with at(3, 26), pytest.raises(Conflict) as err:
        engine.decide_extension(late["id"], "xh_water_head", True, "")
    assert err.value.code == "extension_expired"
    with at(3, 26):
        engine.decide_extension(late["id"], "xh_water_head", False, "期限已过，请重新申请")
        moved = engine.request_extension(task["id"], "xh_water1", "2026-04-10", "设备到货推迟")
        engine.transfer(task["id"], "xh_water1", reason="本人出差", to_user="xh_water2")
        with pytest.raises(Conflict) as err:
            engine.decide_extension(moved["id"], "xh_water_head", True, "")
    assert err.value.code == "extension_requester_gone"
    with pytest.raises(Exception) as err:
        engine.decide_extension("abc", "xh_water_head", True, "")
    assert type(err.value).__name__ == "NotFound"


def test_the_pending_list_says_when_more_wait_than_it_shows(rectify, engine):
    _engine, first = rectify
    enterprise_id = engine.instance_for(first["instance_id"], "root")["enterprise_id"]
    with clock.frozen_at(MONDAY):
        again = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})["id"]
        [visit] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == again]
        engine.complete(visit["id"], "xh_liaison", VISIT)
        [check] = engine.tasks("xh_expert")
        engine.complete(check["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    second = next(t for t in engine.tasks("xh_water1") if t["name"] == "整改" and t["id"] != first["id"])
    with at(3, 16):
        for task in (first, second):
            engine.claim(task["id"], "xh_water1")
            engine.request_extension(task["id"], "xh_water1", "2026-03-27", "企业设备到货推迟")
    one = engine.pending_extensions("xh_water_head", limit=1)
    assert [r["task_id"] for r in one["rows"]] == [first["id"]] and one["more"] is True    # the oldest first
    both = engine.pending_extensions("xh_water_head", limit=2)
    assert [r["task_id"] for r in both["rows"]] == [first["id"], second["id"]] and both["more"] is False
