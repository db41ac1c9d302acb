"""A real-name 12369 complaint: the handling section investigates and replies, the case
cannot finish without its 回访, and the complainant stays masked to everyone else."""
import pytest
from sqlalchemy import select

from engine.store.org_tables import Unit
from tests.helpers.forms import CALLBACK, INTAKE, INVESTIGATED, REPLY
from tests.helpers.paths import FORMS, PROCESSES
from tests.helpers.province import build_province


@pytest.fixture
def county(engine):
    build_province(engine)
    engine.forms_dir = FORMS
    engine.deploy([PROCESSES / "complaint_12369.bpmn", PROCESSES / "routing.dmn"], "root")
    with engine.uow(write=False) as uow:
        unit_id = uow.session.scalar(select(Unit.id).where(Unit.code == "xh"))
    return engine, unit_id


def task(engine, user, element):
    found = [t for t in engine.tasks(user) if t["element_id"] == element]
    assert len(found) == 1, (user, element, [t["element_id"] for t in engine.tasks(user)])
    return found[0]


def test_real_name_complaint_needs_its_callback_and_stays_masked(county):
    engine, unit_id = county
    instance = engine.start("complaint_12369", "xh_liaison", {"unit_id": unit_id})["id"]
    engine.complete(task(engine, "xh_liaison", "intake")["id"], "xh_liaison", INTAKE)   # office
    engine.complete(task(engine, "xh_liaison", "remit_check")["id"], "xh_liaison", {"in_remit": True})
    investigate = task(engine, "xh_air1", "investigate")                              # 噪声 → air
    assert engine.show(instance, "xh_air1")["subject"] == investigate["subject"] == "噪声：夜间车间噪声扰民，持续到凌晨"
    assert [t for t in engine.tasks("xh_water1") if t["instance_id"] == instance] == []
    engine.claim(investigate["id"], "xh_air1")
    engine.complete(investigate["id"], "xh_air1", INVESTIGATED)
    engine.complete(task(engine, "xh_air1", "reply")["id"], "xh_air1", REPLY)
    assert engine.show(instance, "xh_air1")["status"] == "running"                  # 回访 is due
    callback = task(engine, "xh_liaison", "callback")

    for insider in ("xh_liaison", "xh_air1"):
        data = engine.show(instance, insider)["data"]
        assert data["complainant_name"] == "陈女士" and data["complainant_phone"] == "13800000000"
    for outsider in ("xh_water1", "hz_super", "bj_water1", None):
        shown = engine.show(instance, outsider)
        assert shown["data"]["complainant_name"] != "陈女士" and "陈女士" not in str(shown)
        assert shown["data"]["complainant_phone"] == "138＊＊＊＊0000" and "13800000000" not in str(shown)
        assert shown["data"]["description"] == INTAKE["description"]  # the rest stays readable

    engine.complete(callback["id"], "xh_liaison", CALLBACK)
    assert engine.show(instance, "xh_liaison")["status"] == "completed"
