"""加签 on the 科长审核 step of a ledger matter: 前加签 (the co-signer signs first, the task
comes back to its holder), 后加签 (the holder submits, the step waits for the co-signer and
then completes with the holder's data), refusals, and who may do what. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from engine.errors import Conflict, InvalidInput, NotAllowed
from engine.store.tables import HumanTask
from tests.helpers.forms import CHECK, RECTIFIED, VISIT
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province
from tests.helpers.snapshots import snapshot

MODELS = ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")
CLOSED = {"decision": "销号", "opinion": "整改到位"}


@pytest.fixture
def review(engine):
    """A water matter at 科长审核, claimed by the section head."""
    ids = build_province(engine)
    engine.deploy([PROCESSES / name for name in MODELS], "root")
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    engine.complete(engine.tasks("xh_liaison")[0]["id"], "xh_liaison", VISIT)
    engine.complete(engine.tasks("xh_expert")[0]["id"], "xh_expert", CHECK)
    [rectify] = [t for t in engine.tasks("xh_water1") if t["name"] == "整改"]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    [verify] = [t for t in engine.tasks("xh_water_head") if t["name"] == "科长审核"]
    engine.claim(verify["id"], "xh_water_head")
    return engine, verify["id"], instance


def todo(engine, user: str) -> list[str]:
    return [t["id"] for t in engine.tasks(user)]


def row(engine, task_id: str) -> HumanTask:
    with engine.uow(write=False) as uow:
        found = uow.session.get(HumanTask, task_id)
        uow.session.expunge(found)
        return found


def actions(engine, instance_id: int) -> list[str]:
    return [e["action"] for e in engine.show(instance_id)["history"]]


def test_before_the_holder_waits_for_the_cosigner_then_completes(review):
    engine, task, instance = review
    cosign = engine.add_cosigner(task, "xh_water_head", "xh_leader", "before", note="请分管局长先把关")
    assert task in todo(engine, "xh_leader") and task not in todo(engine, "xh_water_head")
    with pytest.raises(Conflict) as refused:
        engine.complete(task, "xh_water_head", CLOSED)
    assert refused.value.code == "cosign_pending" and "xh_leader" in str(refused.value)
    with pytest.raises(Conflict):
        engine.complete(task, "xh_leader", CLOSED)                   # the co-signer signs, not completes
    holder_view = engine.task_view(task, "xh_water_head")              # the holder follows it
    assert holder_view["pending_cosign"]["cosigner"] == "xh_leader" and not holder_view["can_complete"]
    leader_view = engine.task_view(task, "xh_leader")
    assert leader_view["can_sign"] and not leader_view["can_cosign"] and not leader_view["can_transfer"]
    assert [n["kind"] for n in engine.notifications("xh_leader")["rows"]][:1] == ["cosign"]

    signed = engine.sign(cosign["id"], "xh_leader", True, "同意销号")
    assert signed["task"]["assignee"] == "xh_water_head" and signed["completed"] is None
    assert task in todo(engine, "xh_water_head") and task not in todo(engine, "xh_leader")
    view = engine.task_view(task, "xh_water_head")
    assert view["can_complete"] and view["pending_cosign"] is None
    assert [(c["status"], c["opinion"]) for c in view["cosigns"]] == [("agreed", "同意销号")]
    engine.complete(task, "xh_water_head", CLOSED)
    assert row(engine, task).completed_by == "xh_water_head"
    on_task = [e["action"] for e in engine.show(instance)["history"] if e["task_id"] == task]
    assert on_task[-3:] == ["cosign_added", "cosign_signed", "task_completed"]


def test_before_a_refusal_needs_a_reason_and_returns_the_task(review):
    engine, task, _ = review
    cosign = engine.add_cosigner(task, "xh_water_head", "xh_water2", "before")
    with pytest.raises(InvalidInput):
        engine.sign(cosign["id"], "xh_water2", False, "  ")
    signed = engine.sign(cosign["id"], "xh_water2", False, "整改佐证不全")
    assert signed["cosign"]["status"] == "refused" and signed["task"]["assignee"] == "xh_water_head"
    told = engine.notifications("xh_water_head")["rows"][0]
    assert told["kind"] == "cosign" and "整改佐证不全" in told["text"]
    with pytest.raises(Conflict):
        engine.sign(cosign["id"], "xh_water2", True, "改主意了")          # signed once
    again = engine.add_cosigner(task, "xh_water_head", "xh_leader", "before")  # a new one may follow
    assert again["id"] != cosign["id"]


def test_after_the_step_completes_with_the_holders_data_once_signed(review):
    engine, task, instance = review
    with pytest.raises(InvalidInput):                                  # validated like a completion
        engine.add_cosigner(task, "xh_water_head", "xh_leader", "after", data={"decision": "随便"})
    assert row(engine, task).assignee == "xh_water_head"
    cosign = engine.add_cosigner(task, "xh_water_head", "xh_leader", "after", data=CLOSED)
    held = row(engine, task)
    assert (held.status, held.assignee, held.owner, held.delegation) == ("open", "xh_leader", "xh_water_head",
                                                                         "cosign")
    assert engine.task_view(task, "xh_leader")["pending_cosign"]["data"] == CLOSED  # the co-signer reads it
    assert not [e for e in engine.show(instance)["history"] if e["action"] == "task_completed" and e["task_id"] == task]

    signed = engine.sign(cosign["id"], "xh_leader", True, "同意")
    done = row(engine, task)
    assert (done.status, done.completed_by) == ("completed", "xh_water_head")
    completed = [e for e in engine.show(instance)["history"]
                 if e["action"] == "task_completed" and e["task_id"] == task]
    assert completed[0]["detail"]["data"] == CLOSED and completed[0]["actor"] == "xh_water_head"
    assert signed["completed"]["instance_id"] == instance
    assert engine.show(instance)["status"] == "running"                # the 气 matter is still open


def test_after_a_refusal_the_holder_redoes_it_from_what_they_submitted(review):
    engine, task, _ = review
    cosign = engine.add_cosigner(task, "xh_water_head", "xh_leader", "after", data=CLOSED)
    engine.sign(cosign["id"], "xh_leader", False, "应退回整改")
    back = row(engine, task)
    assert (back.status, back.assignee, back.delegation) == ("open", "xh_water_head", None)
    view = engine.task_view(task, "xh_water_head")
    assert view["draft"]["data"] == CLOSED and view["can_complete"]
    engine.complete(task, "xh_water_head", {"decision": "退回", "opinion": "佐证不全，重新整改"})
    assert [t["name"] for t in engine.tasks("xh_water1")].count("整改") == 1


def test_who_may_add_and_sign_and_to_whom(review):
    engine, task, _ = review
    before = snapshot(engine)
    for attempt, error in [
        (lambda: engine.add_cosigner(task, "xh_water1", "xh_leader", "before"), NotAllowed),   # not the holder
        (lambda: engine.add_cosigner(task, "xh_water_head", "bj_water1", "before"), InvalidInput),  # other unit
        (lambda: engine.add_cosigner(task, "xh_water_head", "hz_super", "before"), InvalidInput),   # unit above
        (lambda: engine.add_cosigner(task, "xh_water_head", "xh_water_head", "before"), InvalidInput),
        (lambda: engine.add_cosigner(task, "xh_water_head", "nobody", "before"), InvalidInput),
        (lambda: engine.add_cosigner(task, "xh_water_head", "xh_leader", "sideways"), InvalidInput),
    ]:
        with pytest.raises(error):
            attempt()
    assert snapshot(engine) == before
    cosign = engine.add_cosigner(task, "xh_water_head", "xh_leader", "before")
    with pytest.raises(Conflict):                                      # one pending at a time
        engine.add_cosigner(task, "xh_water_head", "xh_water2", "before")
    for attempt in (lambda: engine.transfer(task, "xh_leader", reason="不归我", to_section="air"),
                    lambda: engine.return_task(task, "xh_leader", reason="退回"),
                    lambda: engine.delegate(task, "xh_leader", "xh_water2"),
                    lambda: engine.save_draft(task, "xh_leader", {"opinion": "x"})):
        with pytest.raises((Conflict, NotAllowed)):
            attempt()
    with pytest.raises(NotAllowed):
        engine.sign(cosign["id"], "xh_water_head", True)               # only the co-signer signs
    assert engine.sign(cosign["id"], "xh_leader", True)["cosign"]["status"] == "agreed"


def test_only_approval_steps_take_a_cosigner(review):
    engine, _, _ = review
    [rectify] = [t for t in engine.tasks("xh_air1") if t["name"] == "整改"]
    engine.claim(rectify["id"], "xh_air1")
    with pytest.raises(InvalidInput) as refused:
        engine.add_cosigner(rectify["id"], "xh_air1", "xh_air_head", "before")
    assert refused.value.code == "not_approval_step"
    assert not engine.task_view(rectify["id"], "xh_air1")["can_cosign"]


def test_a_cosign_overtaken_by_an_admins_assignment_can_no_longer_be_signed(review):
    engine, task, _ = review
    stale = engine.add_cosigner(task, "xh_water_head", "xh_leader", "before")
    engine.assign(task, "xh_water_head", "root")                       # an admin takes it back
    with pytest.raises(Conflict) as refused:
        engine.sign(stale["id"], "xh_leader", True, "同意")
    assert refused.value.code == "cosign_stale" and task not in todo(engine, "xh_leader")
    engine.add_cosigner(task, "xh_water_head", "xh_water2", "before")
    statuses = [c["status"] for c in engine.task_view(task, "xh_water_head")["cosigns"]]
    assert statuses == ["cancelled", "pending"]
