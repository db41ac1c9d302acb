"""催办 and the escalation ladder while a 加签 is open on 科长审核: the step waits for the co-signer,
so they hear of it — and so does the holder, whose step it stays: the red step still reaches the
water section's head (the step's section is its holder's, not the co-signer's)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import clock
from engine.store.tables import HumanTask
from tests.helpers.forms import CHECK, RECTIFIED, VISIT
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")


@pytest.fixture
def cosigning(engine):
    """A water matter at 科长审核 held by the water section's head, who asked 分管局长 xh_leader
    to sign first (前加签)."""
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    engine.complete(engine.tasks("xh_liaison")[0]["id"], "xh_liaison", VISIT)
    engine.complete(engine.tasks("xh_expert")[0]["id"], "xh_expert", CHECK)
    [rectify] = [t for t in engine.tasks("xh_water1") if t["name"] == "整改"]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    [verify] = [t for t in engine.tasks("xh_water_head") if t["name"] == "科长审核"]
    engine.claim(verify["id"], "xh_water_head")
    engine.add_cosigner(verify["id"], "xh_water_head", "xh_leader", "before", note="请先把关")
    return engine, verify["id"]


def _texts(engine, user: str, kind: str) -> list[str]:
    return [n["text"] for n in engine.notifications(user)["rows"] if n["kind"] == kind]


def test_an_urge_reaches_the_cosigner_it_waits_for_and_the_holder(cosigning):
    engine, task = cosigning
    urged = engine.urge(task, "hz_super", "请本周内办结")
    assert urged["recipients"] == ["xh_leader", "xh_water_head"]
    assert _texts(engine, "xh_leader", "urged") == ["催办（第 1 次）：科长审核——请本周内办结"]
    assert _texts(engine, "xh_water_head", "urged") == ["催办（第 1 次）：科长审核——请本周内办结"]


def test_the_red_step_reaches_the_cosigner_and_the_holders_section_head(cosigning):
    engine, task = cosigning
    with engine.uow(write=False) as uow:
        due = uow.session.get(HumanTask, task).due_at
    with clock.frozen_at(due + timedelta(minutes=1)):
        assert engine.run_ladder()["section_head"] == 1
    [red] = engine.ladder_of(task)
    assert red["step"] == "section_head"
    assert set(red["recipients"]) == {"xh_leader", "xh_water_head"}  # before: the co-signer alone
    assert _texts(engine, "xh_leader", "escalated") and _texts(engine, "xh_water_head", "escalated")


def test_after_signing_the_holder_alone_hears_again(cosigning):
    engine, task = cosigning
    cosign = engine.task_view(task, "xh_leader")["pending_cosign"]
    engine.sign(cosign["id"], "xh_leader", True, "同意")
    assert engine.urge(task, "hz_super", "请办结")["recipients"] == ["xh_water_head"]
