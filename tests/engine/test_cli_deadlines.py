"""`sanfu urge|extension|send-back|warn`: the supervisor urges, the holder asks for an
extension and the section head approves it, a warning is refused before the deadline, and
退单 sends the task to the health check's expert — each a clear line, refusals an exit code."""
from datetime import datetime, timedelta

import pytest

from engine import clock
from engine.calendar.store import work_calendar
from engine.cli.main import main
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.migrate import upgrade
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province
from tests.helpers.web import to_rectification


@pytest.fixture
def county(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = make_engine(url)
    upgrade(db)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    ids = build_province(engine)
    engine.deploy([PROCESSES / n for n in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")], "root")
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    task = to_rectification(engine)
    engine.claim(task["id"], "xh_water1")
    monkeypatch.setenv("SANFU_DATABASE_URL", url)
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out + err
    yield engine, task, run
    db.dispose()


def test_urge_extend_warn_and_send_back_from_the_command_line(county):
    engine, task, run = county
    code, out = run("urge", task["id"], "--message", "请加快整改", "--as", "hz_super")
    assert code == 0 and "已催办（第 1 次），通知：xh_water1" in out
    code, out = run("urge", task["id"], "--message", "请加快整改", "--as", "xh_water2")
    assert code != 0 and "催办" in out and "Traceback" not in out
    with engine.uow(write=False) as uow:
        due = clock.to_local(datetime.fromisoformat(task["due_at"])).date()
        day = work_calendar(uow.session).next_working_day(due + timedelta(days=3)).isoformat()
    code, out = run("extension", "request", task["id"], "--date", day, "--reason", "设备未到", "--as", "xh_water1")
    assert code == 0 and f"申请延至 {day}" in out
    code, out = run("extension", "list", "--as", "xh_water_head")
    assert code == 0 and "设备未到" in out and day in out
    ext_id = out.split()[0]
    code, out = run("extension", "decide", ext_id, "--approve", "--as", "xh_water_head")
    assert code == 0 and f"已批准，期限延至 {day}" in out
    code, out = run("warn", task["id"], "--reason", "超期", "--as", "hz_super")
    assert code != 0 and "超期" in out                                     # not overdue: refused
    code, out = run("send-back", task["id"], "--reason", "不属本科室", "--as", "xh_water1")
    assert code == 0 and "已退单给 xh_expert" in out
