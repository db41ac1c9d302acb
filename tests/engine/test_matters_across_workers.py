"""The enterprise service must reach its 回访 wait whichever process closes the last
matter. Found by the browser lifecycle test (tests/browser/test_lifecycle_browser.py);
fixed in engine.definitions.deploy.connect_loop_children.

Production runs several gunicorn workers, the CLI and the scheduler, each with its own
Engine (its own spec cache). Here a second Engine over the same database stands for a
second worker, or the same worker after a restart: once the health check's findings have
started the 一事一单 matters (a parallel multi-instance call activity), closing them out
with another Engine than the one that started them leaves the multi-instance activity
STARTED with every child COMPLETED — no 回访 timer, the instance stuck for ever.
"""
from __future__ import annotations

import pytest

from engine.service import Engine
from tests.helpers.forms import CHECK, RECTIFIED, VISIT
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province


def close_out(engine: Engine, staff: str, head: str) -> None:
    [task] = [t for t in engine.tasks(staff) if t["name"] == "整改"]
    engine.claim(task["id"], staff)
    engine.complete(task["id"], staff, RECTIFIED)
    [verify] = [t for t in engine.tasks(head) if t["name"] == "科长审核"]
    engine.complete(verify["id"], head, {"decision": "销号", "opinion": "整改到位"})


def waiting_for_follow_up(engine: Engine, instance_id: int) -> bool:
    from sqlalchemy import select

    from engine.store.tables import Timer
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(Timer.id).where(Timer.instance_id == instance_id,
                                                         Timer.element_id == "wait_followup",
                                                         Timer.status == "pending")) is not None


@pytest.fixture
def county(engine):
    ids = build_province(engine)
    engine.forms_dir = FORMS
    engine.deploy([PROCESSES / name for name in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")],
                  "root")
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    engine.complete(engine.tasks("xh_liaison")[0]["id"], "xh_liaison", VISIT)
    engine.complete(engine.tasks("xh_expert")[0]["id"], "xh_expert", CHECK)   # two findings: 水, 气
    return engine, instance


def test_one_engine_closing_both_matters_reaches_the_follow_up_wait(county):
    engine, instance = county
    close_out(engine, "xh_water1", "xh_water_head")
    close_out(engine, "xh_air1", "xh_air_head")
    assert waiting_for_follow_up(engine, instance)


def test_another_worker_closing_the_matters_reaches_the_follow_up_wait(county):
    engine, instance = county
    other_worker = Engine(db_engine=engine.db, forms_dir=FORMS)
    close_out(other_worker, "xh_water1", "xh_water_head")
    close_out(other_worker, "xh_air1", "xh_air_head")
    assert waiting_for_follow_up(engine, instance)
