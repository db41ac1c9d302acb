"""每月至少服务一次 (seed 003): a paired enterprise unserved in a month is 未服务, turns 预警
(yellow) on the 25th and 逾期未服务 (red) once the month has ended; a phone or video contact
or a completed visit serves it; the liaison (and, when red, the contact leader) hear of it
exactly once, however many schedulers run; the coverage figures count what the rows say."""
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import select

from engine import clock
from engine.enterprises import monthly_service as ms
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing
from engine.service import Engine
from engine.store.org_tables import Enterprise, Unit
from engine.store.supervision_tables import ServiceContact
from engine.store.tables import AuditEvent
from tests.helpers.forms import VISIT
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province


def at(day: str, hour: int = 10):
    return clock.frozen_at(datetime.fromisoformat(day).replace(hour=hour))


@pytest.fixture
def world(engine):
    """西湖 (xh): 印染 (liaison xh_liaison, no contact leader) and 化工 (contact leader
    xh_leader), one without a liaison and one unpaired; 滨江 (bj): 电子 and 食品 (liaison
    bj_water1), and 包装, paired on 26 November (too late to need service that month)."""
    codes = iter(demo_credit_codes(8, seed=11))
    with at("2026-10-05"):
        ids = build_province(engine)
        pair = lambda name, unit, liaison=None, leader=None, status="paired": engine.pair_enterprise(  # noqa: E731
            Pairing(name, next(codes), "中", "传统产业", unit, liaison, leader, year=2026, status=status),
            actor="root")[0]
        ids.update(dyeing=ids["enterprise_id"], chemical=pair("西湖化工", "xh", "xh_liaison", "xh_leader"),
                   no_liaison=pair("西湖无联络员", "xh"), unpaired=pair("西湖已解除", "xh", "xh_liaison", status="unpaired"),
                   electronics=pair("滨江电子", "bj", "bj_water1"), food=pair("滨江食品", "bj", "bj_water1"))
    with at("2026-11-26"):
        ids["packaging"] = pair("滨江包装", "bj", "bj_water1")
    return ids


def status_of(engine, enterprise_id: int, year: int, month: int, on: str) -> str:
    with engine.uow(write=False) as uow:
        return ms.enterprise_month_status(uow.session, enterprise_id, year, month, date.fromisoformat(on))["status"]


def test_unserved_turns_yellow_on_the_25th_and_red_after_month_end_and_a_phone_call_serves(engine, world):
    dyeing, chemical = world["dyeing"], world["chemical"]
    assert status_of(engine, dyeing, 2026, 11, "2026-11-24") == "pending"
    assert status_of(engine, dyeing, 2026, 11, "2026-11-25") == "warning"
    assert status_of(engine, dyeing, 2026, 11, "2026-11-30") == "warning"
    assert status_of(engine, dyeing, 2026, 11, "2026-12-01") == "missed"
    with at("2026-11-26"):
        contact = engine.record_contact(chemical, "xh_liaison", "电话", "2026-11-26", "电话了解污水站运行情况")
    assert contact["liaison"] == "xh_liaison" and contact["mode"] == "电话"
    assert status_of(engine, chemical, 2026, 11, "2026-11-26") == "served"
    assert status_of(engine, chemical, 2026, 11, "2026-12-01") == "served"
    assert status_of(engine, chemical, 2026, 12, "2026-12-01") == "pending"  # each month needs its own
    # Not required: no liaison, unpaired, or paired from the 25th on (its first month is the next).
    assert status_of(engine, world["no_liaison"], 2026, 11, "2026-12-01") == "not_required"
    assert status_of(engine, world["unpaired"], 2026, 11, "2026-12-01") == "not_required"
    assert status_of(engine, world["packaging"], 2026, 11, "2026-12-01") == "not_required"
    assert status_of(engine, world["packaging"], 2026, 12, "2026-12-25") == "warning"
    with engine.uow(write=False) as uow:
        audited = list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "service_contact_recorded")))
    assert [(e.actor, e.detail["enterprise_id"], e.detail["mode"]) for e in audited] == [
        ("xh_liaison", chemical, "电话")]


def test_the_enterprise_list_shows_and_filters_this_months_service(engine, world):
    with at("2026-11-10"):
        engine.record_contact(world["chemical"], "xh_liaison", "视频", "2026-11-09", "视频连线了解整改进度")
    with at("2026-11-27"):
        rows = {r["name"]: r["service"] for r in engine.enterprises("root")["rows"]}
        assert rows["西湖化工"]["status"] == "served" and rows["西湖印染有限公司"]["status"] == "warning"
        assert rows["西湖印染有限公司"]["colour"] == "yellow" and rows["西湖印染有限公司"]["text"] == "预警"
        assert {r["name"] for r in engine.enterprises("root", service="served")["rows"]} == {"西湖化工"}
        assert {r["name"] for r in engine.enterprises("xh_liaison", service="warning")["rows"]} == {"西湖印染有限公司"}
    with at("2026-12-02"):
        rows = {r["name"]: r["service"] for r in engine.enterprises("root")["rows"]}
        assert rows["西湖印染有限公司"]["status"] == "pending" and rows["西湖印染有限公司"]["last_missed"]
        assert not rows["西湖化工"]["last_missed"]
        assert {r["name"] for r in engine.enterprises("root", service="missed")["rows"]} == {
            "西湖印染有限公司", "滨江电子", "滨江食品"}
        assert engine.enterprises("root", service="warning")["rows"] == []  # before the 25th: none yet


def start_service(engine, enterprise_id: int) -> str:
    engine.forms_dir = FORMS
    engine.deploy([PROCESSES / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")],
                  "root")
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise_id})["id"]
    [task] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
    return task["id"]


def test_a_completed_visit_task_is_a_service_contact_of_its_month(engine, world):
    with at("2026-11-10"):
        task_id = start_service(engine, world["dyeing"])
        engine.complete(task_id, "xh_liaison", {**VISIT, "visit_date": "2026-11-09", "mode": "视频"})
    with engine.uow(write=False) as uow:
        [row] = uow.session.scalars(select(ServiceContact).where(ServiceContact.enterprise_id == world["dyeing"]))
        assert (row.task_id, row.mode, row.contacted_on, row.liaison) == (task_id, "视频", date(2026, 11, 9),
                                                                         "xh_liaison")
        assert row.summary == VISIT["needs"]
    assert status_of(engine, world["dyeing"], 2026, 11, "2026-12-01") == "served"


def test_a_visit_dated_implausibly_counts_on_its_completion_day(engine, world):
    with at("2026-11-10"):
        task_id = start_service(engine, world["dyeing"])
        engine.complete(task_id, "xh_liaison", {**VISIT, "visit_date": "2026-03-02"})
    with engine.uow(write=False) as uow:
        [row] = uow.session.scalars(select(ServiceContact).where(ServiceContact.task_id == task_id))
    assert (row.contacted_on, row.mode) == (date(2026, 11, 10), "走访")


def reminders(engine, user: str) -> list[str]:
    """The user's reminders about November (the world's enterprises, paired in October before
    the 25th, also missed October: that month's red reminders go out in November)."""
    return [n["text"] for n in engine.notifications(user)["rows"]
            if n["kind"] == "monthly_service" and "2026 年 11 月" in n["text"]]


def reminder_audits(engine) -> list[str]:
    with engine.uow(write=False) as uow:
        return [e.detail["key"] for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "monthly_service_reminded")) if ":2026-11:" in e.detail["key"]]


def test_the_job_reminds_the_liaison_from_the_25th_and_both_after_month_end_once(engine, world):
    with at("2026-11-03"):
        engine.record_contact(world["food"], "bj_water1", "电话", "2026-11-03", "电话回访")
    with at("2026-11-24"):
        before_the_25th = engine.monthly_service_reminders()
        assert before_the_25th["yellow"] == 0 and before_the_25th["missed"] == 4  # October's four, red
    with at("2026-11-25"):
        assert engine.monthly_service_reminders()["yellow"] == 3  # 印染, 化工 (xh_liaison), 电子 (bj_water1)
        assert engine.monthly_service_reminders()["yellow"] == 0  # run again: nothing new
    assert len(reminders(engine, "xh_liaison")) == 2 and len(reminders(engine, "bj_water1")) == 1
    assert "滨江电子" in reminders(engine, "bj_water1")[0] and "预警" in reminders(engine, "bj_water1")[0]
    assert reminders(engine, "xh_leader") == []
    with at("2026-11-28"):
        engine.record_contact(world["dyeing"], "xh_liaison", "走访", "2026-11-28", "上门走访")
    with at("2026-12-01", 0):
        sent = engine.monthly_service_reminders()
        assert (sent["red"], sent["missed"]) == (3, 2)  # 化工 → xh_liaison + xh_leader; 电子 → bj_water1
        assert engine.monthly_service_reminders()["red"] == 0
    assert len(reminders(engine, "xh_liaison")) == 3 and len(reminders(engine, "bj_water1")) == 2
    [leader] = reminders(engine, "xh_leader")
    assert "逾期未服务" in leader and "西湖化工" in leader
    keys = reminder_audits(engine)
    assert len(keys) == len(set(keys)) == 6
    assert f"monthly:{world['chemical']}:2026-11:red:leader" in keys


def test_two_schedulers_at_once_send_each_reminder_once(engine, world):
    """Two schedulers, each with its own connections (as two processes would have)."""
    url = engine.db.url.render_as_string(hide_password=False)
    schedulers = [Engine(url, forms_dir=FORMS) for _ in range(2)]
    barrier, results, errors = threading.Barrier(2), [], []

    def run(scheduler):
        try:
            with at("2026-12-01"):
                barrier.wait()
                results.append(scheduler.monthly_service_reminders())
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(scheduler,)) for scheduler in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for scheduler in schedulers:
        scheduler.db.dispose()
    assert errors == []
    # 印染 (xh_liaison), 化工 (xh_liaison + xh_leader), 电子 and 食品 (bj_water1): five, between both.
    assert sum(r["red"] for r in results) == 5
    assert len(reminders(engine, "xh_liaison")) == 2 and len(reminders(engine, "bj_water1")) == 2
    assert len(reminders(engine, "xh_leader")) == 1
    assert len(reminder_audits(engine)) == 5


def test_the_scheduler_runs_the_job(engine, world):
    from engine.jobs.scheduler import run_periodic_jobs
    assert "monthly_service" in [job.name for job in engine.periodic_jobs()]
    with at("2026-11-25"):
        run_periodic_jobs(engine, "s1")
    assert len(reminders(engine, "xh_liaison")) == 2


def independent_figures(engine, unit_code: str, year: int, month: int) -> tuple[int, int]:
    """(required, served) from the raw rows, by the rule as the campaign states it."""
    warning_day = datetime(year, month, 25, tzinfo=clock.SHANGHAI)
    with engine.uow(write=False) as uow:
        session = uow.session
        unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
        enterprises = [e for e in session.scalars(select(Enterprise).where(Enterprise.unit_id == unit_id))
                       if e.status != "unpaired" and e.liaison_id and e.created_at < warning_day]
        contacts = [(c.enterprise_id, c.contacted_on) for c in session.scalars(select(ServiceContact))]
    served = [e for e in enterprises if any(eid == e.id and (d.year, d.month) == (year, month)
                                            for eid, d in contacts)]
    return len(enterprises), len(served)


def test_coverage_equals_a_count_from_the_raw_rows_for_two_units_and_two_months(engine, world):
    with at("2026-10-15"):
        engine.record_contact(world["dyeing"], "xh_liaison", "电话", "2026-10-15", "电话")
        engine.record_contact(world["electronics"], "bj_water1", "视频", "2026-10-15", "视频")
    with at("2026-11-20"):
        engine.record_contact(world["chemical"], "xh_leader", "走访", "2026-11-03", "联系领导上门")
        engine.record_contact(world["chemical"], "xh_liaison", "电话", "2026-11-20", "再次电话")
        engine.record_contact(world["food"], "bj_water1", "电话", "2026-10-31", "十月最后一天补记")
    with at("2026-11-30"):
        engine.record_contact(world["packaging"], "bj_water1", "电话", "2026-11-30", "新结对企业首次联系")
    with at("2026-12-02"), engine.uow(write=False) as uow:
        units = {code: unit_id for code, unit_id in uow.session.execute(select(Unit.code, Unit.id))}
        for year, month in ((2026, 10), (2026, 11)):
            coverage = ms.monthly_coverage(uow.session, [units["xh"], units["bj"]], year, month)
            assert coverage["phase"] == "ended"
            for code in ("xh", "bj"):
                required, served = independent_figures(engine, code, year, month)
                figures = coverage["units"][units[code]]
                assert (figures["required"], figures["served"]) == (required, served)
                assert figures["missed"] == figures["unserved"] == required - served
            assert coverage["total"]["required"] == 4
        november = ms.monthly_coverage(uow.session, None, 2026, 11)
        province_only = ms.monthly_coverage(uow.session, [units["zj"]], 2026, 11)
    assert november["total"] == {"required": 4, "served": 1, "unserved": 3, "missed": 3, "rate": 0.25}
    assert province_only["units"] == {} and province_only["total"]["rate"] is None


def test_who_may_record_and_what_is_refused(engine, world):
    chemical = world["chemical"]
    with at("2026-11-20"):
        with pytest.raises(NotAllowed):
            engine.record_contact(chemical, "xh_water1", "电话", "2026-11-20", "同单位但不是联络员")
        with pytest.raises(NotAllowed):
            engine.record_contact(chemical, "bj_water1", "电话", "2026-11-20", "别的区县")
        with pytest.raises(NotFound):
            engine.record_contact(99999, "root", "电话", "2026-11-20", "不存在的企业")
        refusals = {"mode": ("短信", "2026-11-20", "内容"), "contacted_on": ("电话", "2026-11-21", "明天"),
                    "summary": ("电话", "2026-11-20", "   ")}
        for field, (mode, day, summary) in refusals.items():
            with pytest.raises(InvalidInput) as refused:
                engine.record_contact(chemical, "xh_liaison", mode, day, summary)
            assert refused.value.params["field"] == field and ms_field(field) in str(refused.value)
        for day in ("2026-09-30", "20261120", ""):
            with pytest.raises(InvalidInput, match="服务日期"):
                engine.record_contact(chemical, "xh_liaison", "电话", day, "日期不对")
        with pytest.raises(InvalidInput, match="1000"):
            engine.record_contact(chemical, "xh_liaison", "电话", "2026-11-20", "长" * 1001)
        assert engine.may_record_contact(chemical, "xh_leader") and not engine.may_record_contact(chemical, "xh_air1")
        engine.record_contact(chemical, "xh_leader", "电话", "2026-10-01", "联系领导补记上月第一天")
        engine.record_contact(chemical, "root", "视频", "2026-11-20", "管理员代录")
    with pytest.raises(NotAllowed):
        engine.monthly_service_coverage("bj_water1", 2026, 11, unit="xh")
    with pytest.raises(InvalidInput):
        engine.monthly_service_coverage("root", 2026, 11, unit="nowhere")
    assert list(engine.monthly_service_coverage("bj_water1", 2026, 11)["units"]) == [
        u for u in engine.monthly_service_coverage("root", 2026, 11, unit="bj")["units"]]
    with engine.uow(write=False) as uow:
        rows = list(uow.session.scalars(select(ServiceContact).order_by(ServiceContact.id)))
    assert [(r.recorded_by, r.liaison, r.contacted_on.isoformat()) for r in rows] == [
        ("xh_leader", "xh_liaison", "2026-10-01"), ("root", "xh_liaison", "2026-11-20")]


def ms_field(field: str) -> str:
    from engine.enterprises.service_contacts import FIELDS
    return FIELDS[field]


def test_the_cli_records_a_contact_shows_coverage_and_sends_reminders(sqlite_engine, capsys):
    from engine.cli.main import main
    from engine.service import Engine
    engine = Engine(db_engine=sqlite_engine, forms_dir=FORMS)
    with at("2026-10-05"):
        ids = build_province(engine)
    database = ["--database", str(sqlite_engine.url)]
    with at("2026-11-20"):
        assert main([*database, "service", "contact", str(ids["enterprise_id"]), "--mode", "视频", "--summary",
                     "视频连线", "--as", "xh_liaison"]) == 0
        assert main([*database, "service", "contact", str(ids["enterprise_id"]), "--summary", "x",
                     "--as", "xh_water1"]) != 0
        assert main([*database, "service", "coverage", "--month", "2026-11", "--unit", "xh", "--as", "root"]) == 0
        assert main([*database, "service", "coverage", "--month", "2026-13", "--as", "root"]) != 0
    out = capsys.readouterr().out
    assert "已记录：企业" in out and "2026-11-20 视频" in out
    assert "西湖区分局\t1\t1\t0\t100.0%" in out
    with at("2026-11-01"):
        assert main([*database, "service", "remind"]) == 0
    assert "逾期提醒 1 条" in capsys.readouterr().out  # October: the enterprise had no contact

