"""Each ladder step happens exactly once per task, however many schedulers run it at the same
moment: processes racing on one database (SQLite and PostgreSQL) take every step of every
task once between them — one escalation row, one audit row, one notification per person, one
督办单 with its own number — and `sanfu scheduler` processes run the ladder by themselves."""
import json
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from engine import clock
from engine.service import Engine
from engine.store.collab_tables import Notification
from engine.store.supervision_tables import Escalation, SupervisionRecord
from engine.store.tables import AuditEvent, HumanTask
from tests.helpers.models import write
from tests.helpers.paths import FORMS, ROOT
from tests.helpers.province import build_province
from tests.scenario.test_supervision_ladder import ladder_model

MATTERS = 24
RACER = """
import json, sys, time
from engine.service import Engine
engine, start = Engine(sys.argv[1]), float(sys.argv[2])
while time.time() < start:
    time.sleep(0.002)
taken = {}
for _ in range(3):
    for step, n in engine.run_ladder(owner=sys.argv[3]).items():
        taken[step] = taken.get(step, 0) + n
print(json.dumps(taken))
"""


def _url(db_engine) -> str:
    return db_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def overdue(db_engine, tmp_path):
    """MATTERS 整改 tasks that missed their deadline in September: every step is due now."""
    engine = Engine(db_engine=db_engine, forms_dir=FORMS)
    ids = build_province(engine)
    engine.deploy([write(tmp_path, "fix.bpmn", ladder_model())], "root")
    with clock.frozen_at(clock.parse_moment("2026-09-17T09:00:00")):
        for _ in range(MATTERS):
            engine.start("fix", "xh_liaison", {"enterprise_id": ids["enterprise_id"], "section": "water"})
    return engine


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _count(engine, model, *where) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def _assert_each_step_once(engine) -> None:
    assert _count(engine, Escalation) == 3 * MATTERS
    assert _count(engine, AuditEvent, AuditEvent.action == "escalated") == 3 * MATTERS
    assert _count(engine, HumanTask, HumanTask.ladder_step == 3) == MATTERS
    with engine.uow(write=False) as uow:
        serials = sorted(uow.session.scalars(select(SupervisionRecord.serial)))
        sent = Counter(uow.session.execute(select(Notification.recipient, Notification.task_id, Notification.kind,
                                                  Notification.text)).all())
    assert serials == list(range(1, MATTERS + 1))                     # one record each, numbers unique
    assert max(sent.values()) == 1                                    # nobody told the same thing twice
    per_person = Counter(recipient for recipient, *_ in sent)
    # the section head hears of red and of the leader step; the 分管局长 once; the city 督查 once
    assert per_person["xh_water_head"] == 3 * MATTERS and per_person["xh_leader"] == 2 * MATTERS
    assert per_person["hz_super"] == MATTERS


@pytest.mark.parametrize("racers", [2, 3])
def test_racing_processes_take_each_step_once(overdue, db_engine, racers):
    start = time.time() + 3
    procs = [subprocess.Popen([sys.executable, "-c", RACER, _url(db_engine), str(start), f"racer{n}"],
                              cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(racers)]
    outputs = [proc.communicate(timeout=240) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err[-2000:] for _, err in outputs]
    totals = Counter()
    for out, _ in outputs:
        totals.update(json.loads(out.strip().splitlines()[-1]))
    assert totals == {"section_head": MATTERS, "leader": MATTERS, "listed": MATTERS}
    _assert_each_step_once(overdue)


def test_two_scheduler_processes_run_the_ladder_by_themselves(overdue, db_engine, tmp_path):
    logs = [tmp_path / f"scheduler{n}.log" for n in range(2)]
    procs = []
    for log_path in logs:
        with open(log_path, "w", encoding="utf-8") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler"], cwd=ROOT, stdout=log,
                                          stderr=subprocess.STDOUT,
                                          env={**_env(), "SANFU_DATABASE_URL": _url(db_engine)}))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _count(overdue, HumanTask, HumanTask.ladder_step == 3) < MATTERS:
            time.sleep(0.2)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    _assert_each_step_once(overdue)
    assert any("job ladder" in log.read_text(encoding="utf-8") for log in logs)
