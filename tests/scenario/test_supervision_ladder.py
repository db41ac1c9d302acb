"""The escalation ladder and the 督办单, as a bureau lives them: a 整改 task of the 西湖 water
section, due in two working days across the 国庆 调休 Sunday, is missed; the section head hears
of it that Sunday, the 分管局长 two working days later, and after four the city's 督查 lists it
(挂牌督办). The supervisor sets a new deadline, the section reports, the supervisor sends it
back once and then closes it; a record still open at new year is carried into the next (跨年)."""
import pytest
from sqlalchemy import func, select

from engine import clock
from engine.errors import Conflict, DefinitionError, InvalidInput, NotAllowed, NotFound
from engine.store.supervision_tables import Escalation, SupervisionRecord
from engine.store.tables import HumanTask
from tests.helpers.models import HEADER, write
from tests.helpers.province import build_province

at = clock.parse_moment


def ladder_model(leader_days: str = "2", list_days: str = "4", extra: str = "") -> str:
    return (HEADER.format(key="fix") + f"""<bpmn:process id="fix" isExecutable="true">
  <bpmn:extensionElements><camunda:properties>
    <camunda:property name="sanfu:ladderLeaderDays" value="{leader_days}"/>
    <camunda:property name="sanfu:ladderListDays" value="{list_days}"/>{extra}
  </camunda:properties></bpmn:extensionElements>
  <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="责任科室"><bpmn:flowNodeRef>rectify</bpmn:flowNodeRef></bpmn:lane>
  </bpmn:laneSet>
  <bpmn:startEvent id="s"/><bpmn:userTask id="rectify" name="整改" camunda:dueDate="P2D"/><bpmn:endEvent id="e"/>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="rectify"/>
  <bpmn:sequenceFlow id="f2" sourceRef="rectify" targetRef="e"/>
</bpmn:process></bpmn:definitions>""")


@pytest.fixture
def bureau(engine, tmp_path):
    ids = build_province(engine)
    engine.deploy([write(tmp_path, "fix.bpmn", ladder_model())], "root")
    return engine, ids


def start_matter(engine, ids, moment="2026-09-17T09:00:00") -> str:
    """A 整改 matter for the water section, started on a Thursday: due P2D = Fri 18th and the
    调休 working Sunday 20th, 09:00."""
    with clock.frozen_at(at(moment)):
        instance = engine.start("fix", "xh_liaison", {"enterprise_id": ids["enterprise_id"], "section": "water"})
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance["id"]))


def ladder_at(engine, moment: str) -> dict:
    with clock.frozen_at(at(moment)):
        return engine.run_ladder()


def kinds(engine, user: str) -> list[str]:
    return [n["kind"] for n in engine.notifications(user)["rows"]]


def test_red_then_the_leader_then_listed_each_step_once(bureau):
    engine, ids = bureau
    task_id = start_matter(engine, ids)
    assert ladder_at(engine, "2026-09-19T12:00:00") == {"section_head": 0, "leader": 0, "listed": 0}  # Saturday
    assert ladder_at(engine, "2026-09-20T09:30:00") == {"section_head": 1, "leader": 0, "listed": 0}  # 调休 Sunday
    assert kinds(engine, "xh_water_head") == ["escalated"]
    assert kinds(engine, "xh_water1") == ["escalated"]                 # the queue it waits in hears too
    assert engine.notifications("xh_water_head")["rows"][0]["text"] == \
        "超期提醒科室负责人：西湖印染有限公司「整改」已于 2026-09-20 到期仍未办结"
    assert kinds(engine, "xh_leader") == [] and kinds(engine, "xh_air_head") == []
    assert ladder_at(engine, "2026-09-20T09:31:00")["section_head"] == 0           # once
    assert ladder_at(engine, "2026-09-22T08:59:00")["leader"] == 0                  # 2 working days: Tue 09:00
    assert ladder_at(engine, "2026-09-22T09:00:00")["leader"] == 1
    assert kinds(engine, "xh_leader") == ["escalated"]
    assert ladder_at(engine, "2026-09-24T09:00:00")["listed"] == 1                  # 4 working days
    assert ladder_at(engine, "2026-09-28T09:00:00") == {"section_head": 0, "leader": 0, "listed": 0}
    assert [s["step"] for s in engine.ladder_of(task_id)] == ["section_head", "leader", "listed"]
    assert kinds(engine, "hz_super") == ["listed"]                     # 西湖 has no 督查: the city's
    record = engine.supervision_records("hz_super", year=2026)["rows"][0]
    assert record["number"] == "督办〔2026〕1号" and record["status"] == "open"
    assert record["task_id"] == task_id and record["title"] == "西湖印染有限公司：整改超期未办结"
    assert record["section_name"] == "水环境科" and record["unit_name"] == "西湖区分局"
    assert engine.supervision_record(record["id"], "xh_water_head")["can_report"]


def test_a_scheduler_that_was_down_takes_every_missed_step_in_order(bureau):
    engine, ids = bureau
    task_id = start_matter(engine, ids)
    assert ladder_at(engine, "2026-10-09T10:00:00") == {"section_head": 1, "leader": 1, "listed": 1}
    assert [s["step"] for s in engine.ladder_of(task_id)] == ["section_head", "leader", "listed"]
    assert ladder_at(engine, "2026-10-09T10:00:00") == {"section_head": 0, "leader": 0, "listed": 0}


def test_a_task_done_in_time_or_late_but_before_a_step_goes_no_further(bureau):
    engine, ids = bureau
    task_id = start_matter(engine, ids)
    ladder_at(engine, "2026-09-21T09:00:00")
    with clock.frozen_at(at("2026-09-21T10:00:00")):
        engine.claim(task_id, "xh_water1")
        engine.complete(task_id, "xh_water1", {})
    assert ladder_at(engine, "2026-10-09T10:00:00") == {"section_head": 0, "leader": 0, "listed": 0}
    assert [s["step"] for s in engine.ladder_of(task_id)] == ["section_head"]


def test_the_record_lifecycle_new_deadline_report_send_back_verify(bureau):
    engine, ids = bureau
    task_id = start_matter(engine, ids)
    ladder_at(engine, "2026-09-24T10:00:00")
    record_id = engine.supervision_records("hz_super")["rows"][0]["id"]
    with clock.frozen_at(at("2026-09-24T11:00:00")):
        with pytest.raises(NotAllowed):
            engine.set_record_deadline(record_id, "xh_water_head", at("2026-10-12T17:00:00"), "")
        engine.set_record_deadline(record_id, "hz_super", at("2026-10-12T17:00:00"), "限国庆后一周内整改到位")
        task = next(t for t in engine.tasks("xh_water1") if t["id"] == task_id)
        assert task["due_at_local"].startswith("2026-10-12T17:00")      # the task's deadline moved with it
        with pytest.raises(Conflict):
            engine.verify_record(record_id, "hz_super", True, "")        # nothing reported yet
        with pytest.raises(InvalidInput) as err:
            engine.report_record(record_id, "xh_water_head", "  ")
        assert "整改情况" in str(err.value)
        engine.report_record(record_id, "xh_water_head", "已完成雨污分流改造")
        with pytest.raises(InvalidInput):
            engine.verify_record(record_id, "hz_super", False, "")       # a send-back says why
        engine.verify_record(record_id, "hz_super", False, "现场复核仍有混排")
        engine.report_record(record_id, "xh_water_head", "混排口已封堵")
        engine.verify_record(record_id, "hz_super", True, "")
    shown = engine.supervision_record(record_id, "xh_leader")
    assert shown["status"] == "closed" and shown["closed_by"] == "hz_super"
    assert [e["action"] for e in shown["history"]] == ["opened", "deadline_set", "reported", "rejected",
                                                       "reported", "verified"]
    assert not shown["can_verify"] and not shown["can_report"]
    with engine.uow(write=False) as uow:  # the new deadline restarted the ladder; it is not missed yet
        assert uow.session.get(HumanTask, task_id).ladder_step == 0


def test_who_sees_a_record_the_unit_and_above_its_section_and_the_responsible(bureau):
    engine, ids = bureau
    start_matter(engine, ids)
    ladder_at(engine, "2026-09-24T10:00:00")
    record_id = engine.supervision_records("root")["rows"][0]["id"]
    for user in ("hz_super", "xh_leader", "xh_water_head"):
        assert engine.supervision_record(record_id, user)["id"] == record_id
    for user in ("bj_water1", "xh_air_head", "xh_air1"):
        assert engine.supervision_records(user)["rows"] == []
        with pytest.raises(NotFound):
            engine.supervision_record(record_id, user)


def test_a_record_open_at_new_year_is_carried_over_until_verified(bureau):
    engine, ids = bureau
    start_matter(engine, ids, "2026-12-14T09:00:00")
    ladder_at(engine, "2026-12-28T10:00:00")
    record_id = engine.supervision_records("hz_super", year=2026)["rows"][0]["id"]
    with clock.frozen_at(at("2027-01-05T10:00:00")):
        listed = engine.supervision_records("hz_super", year=2027)
        assert [(r["id"], r["carried_over"]) for r in listed["rows"]] == [(record_id, True)]
        engine.report_record(record_id, "xh_water_head", "已整改")
        engine.verify_record(record_id, "hz_super", True, "")
    assert engine.supervision_records("hz_super", year=2027)["rows"][0]["status"] == "closed"  # closed in 2027
    assert engine.supervision_records("hz_super", year=2028)["rows"] == []


def test_a_supervisor_lists_a_task_by_hand_and_numbers_follow_on(bureau):
    engine, ids = bureau
    first, second = start_matter(engine, ids), start_matter(engine, ids)
    third = start_matter(engine, ids, "2026-09-22T09:00:00")     # due the 24th: not red for long
    ladder_at(engine, "2026-09-24T10:00:00")
    with clock.frozen_at(at("2026-09-24T10:00:00")):
        with pytest.raises(NotAllowed):
            engine.list_for_supervision(third, "xh_water_head", "重点督办")
        with pytest.raises(Conflict) as err:
            engine.list_for_supervision(first, "hz_super", "重点督办")
        assert "督办〔2026〕" in str(err.value)
        with pytest.raises(InvalidInput) as err:
            engine.list_for_supervision(third, "hz_super", "")
        assert "督办事由" in str(err.value)
        listed = engine.list_for_supervision(third, "hz_super", "群众反映强烈", at("2026-09-30T17:00:00"))
    assert listed["number"] == "督办〔2026〕3号"
    rows = engine.supervision_records("hz_super")["rows"]
    assert sorted((r["task_id"], r["source"]) for r in rows) == sorted(
        [(first, "ladder"), (second, "ladder"), (third, "manual")])
    assert "督办〔2026〕3号 挂牌督办" in engine.notifications("xh_water_head")["rows"][0]["text"]


def test_ladder_terms_are_set_per_process_and_checked_at_deploy(engine, tmp_path):
    build_province(engine)
    notify = '<camunda:property name="sanfu:ladderRedNotify" value="section_head,boss"/>'
    for model, word in ((ladder_model(leader_days="abc"), "sanfu:ladderLeaderDays"),
                        (ladder_model(leader_days="3", list_days="1"), "不应早于"),
                        (ladder_model(extra=notify), "boss")):
        with pytest.raises(DefinitionError) as err:
            engine.deploy([write(tmp_path, "fix.bpmn", model)], "root")
        assert word in str(err.value) and err.value.file == "fix.bpmn"


def test_a_new_deadline_missed_again_climbs_again_on_the_same_record(bureau):
    engine, ids = bureau
    task_id = start_matter(engine, ids)
    ladder_at(engine, "2026-09-24T10:00:00")
    record_id = engine.supervision_records("hz_super")["rows"][0]["id"]
    with clock.frozen_at(at("2026-09-24T11:00:00")):
        engine.set_record_deadline(record_id, "hz_super", at("2026-09-29T17:00:00"), "")
    assert ladder_at(engine, "2026-10-20T10:00:00") == {"section_head": 1, "leader": 1, "listed": 1}
    with engine.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Escalation)) == 6   # 3 per missed deadline
        assert uow.session.scalar(select(func.count()).select_from(SupervisionRecord)) == 1
    assert engine.supervision_record(record_id, "hz_super")["history"][-1]["action"] == "overdue_again"
    assert [s["due_at"][:10] for s in engine.ladder_of(task_id)] == ["2026-09-20"] * 3 + ["2026-09-29"] * 3


def test_the_command_line_runs_the_ladder_and_lists_the_records(bureau, capsys):
    from engine.cli.main import main
    engine, ids = bureau
    start_matter(engine, ids)
    url = engine.db.url.render_as_string(hide_password=False)
    assert main(["--database", url, "ladder", "--now", "2026-09-24T10:00:00"]) == 0
    assert "提醒科室负责人 1，报分管领导 1，挂牌督办 1" in capsys.readouterr().out
    assert main(["--database", url, "records", "--year", "2027", "--as", "hz_super"]) == 0
    out = capsys.readouterr().out
    assert "2027 年督办单：督办中 1" in out and "督办〔2026〕1号【跨年】  督办中  西湖区分局 水环境科" in out
    assert main(["--database", url, "records", "--limit", "500", "--as", "hz_super"]) != 0   # refused, not cut


def test_work_waiting_for_a_later_step_never_holds_up_work_just_turned_red(engine, tmp_path, monkeypatch):
    """A process that never lists (sanfu:ladderListDays 0) leaves its tasks at the leader step for
    good; however many there are, a task that has just turned red still reaches its section head."""
    from engine.supervision import ladder
    ids = build_province(engine)
    engine.deploy([write(tmp_path, "fix.bpmn", ladder_model(list_days="0"))], "root")
    monkeypatch.setattr(ladder, "BATCH", 2)
    stuck = [start_matter(engine, ids) for _ in range(5)]
    assert ladder_at(engine, "2026-09-30T10:00:00") == {"section_head": 5, "leader": 5, "listed": 0}
    fresh = start_matter(engine, ids, "2026-10-12T09:00:00")            # due the 14th
    assert ladder_at(engine, "2026-10-14T10:00:00") == {"section_head": 1, "leader": 0, "listed": 0}
    with engine.uow(write=False) as uow:
        steps = dict(uow.session.execute(select(HumanTask.id, HumanTask.ladder_step)).all())
        waiting = uow.session.scalar(select(func.count()).select_from(HumanTask)
                                     .where(HumanTask.ladder_next_at.is_not(None)))
    assert [steps[t] for t in stuck] == [2] * 5 and steps[fresh] == 1
    assert waiting == 1                                                  # only the fresh one has a step to come


def test_a_task_still_late_after_its_record_was_closed_reopens_the_record(bureau):
    """复核 closed the 督办单, but the task itself went on and missed its new deadline: the
    ladder lists it again on the same record, reopened — it never stops at the task."""
    engine, ids = bureau
    start_matter(engine, ids)
    ladder_at(engine, "2026-09-24T10:00:00")
    record_id = engine.supervision_records("hz_super")["rows"][0]["id"]
    with clock.frozen_at(at("2026-09-24T11:00:00")):
        engine.set_record_deadline(record_id, "hz_super", at("2026-09-29T17:00:00"), "")
        engine.report_record(record_id, "xh_water_head", "已整改")
        engine.verify_record(record_id, "hz_super", True, "")
    assert ladder_at(engine, "2026-10-20T10:00:00") == {"section_head": 1, "leader": 1, "listed": 1}
    shown = engine.supervision_record(record_id, "hz_super")
    assert shown["status"] == "open" and shown["closed_at"] is None
    assert shown["history"][-1]["action"] == "overdue_again"


def test_a_task_that_cannot_climb_holds_up_no_other(bureau, monkeypatch):
    from engine.supervision import ladder
    engine, ids = bureau
    broken, fine = start_matter(engine, ids), start_matter(engine, ids, "2026-09-18T09:00:00")
    real_climb = ladder.climb

    def failing(session, seen, *args):
        if seen.id == broken:
            raise RuntimeError("bad data")
        return real_climb(session, seen, *args)

    monkeypatch.setattr(ladder, "climb", failing)
    assert ladder_at(engine, "2026-09-21T10:00:00") == {"section_head": 1, "leader": 0, "listed": 0}
    with engine.uow(write=False) as uow:
        steps = dict(uow.session.execute(select(HumanTask.id, HumanTask.ladder_step)).all())
        retry = uow.session.get(HumanTask, broken).ladder_next_at
    assert steps == {broken: 0, fine: 1}
    assert retry == at("2026-09-21T11:00:00")                         # looked at again in an hour
