"""A scheduler whose database goes away in the middle of a batch cannot give the rest of its
claims back then; it gives them back the moment the database answers again, so those timers
fire on the next drain — not five minutes later, when their lease would have run out — and
each fires once."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import clock
from engine.errors import Unavailable
from engine.jobs import firing, timer_rows
from engine.store.tables import AuditEvent, Timer
from tests.helpers.models import process, write

WAIT = """<bpmn:startEvent id="s"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:userTask id="after"/><bpmn:endEvent id="e"/>
<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
<bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>"""


def test_claims_left_by_an_outage_are_given_back_when_the_database_returns(people, tmp_path, monkeypatch):
    people.deploy([write(tmp_path, "wait.bpmn", process("hourly", WAIT))], "designer")
    for _ in range(4):
        people.start("hourly", "liaison1")
    calls, real_release = [], timer_rows.release

    def database_gone_after_one(timer_id, owner):
        calls.append(timer_id)
        if len(calls) > 1:
            raise Unavailable()
        return people._fire_one(timer_id, owner)

    def release_while_down(*_args, **_kwargs):
        raise Unavailable()

    with clock.frozen_at(clock.now() + timedelta(hours=2)):
        monkeypatch.setattr(timer_rows, "release", release_while_down)
        with pytest.raises(Unavailable):
            firing.fire_due(people, "sched-1", database_gone_after_one)
        monkeypatch.setattr(timer_rows, "release", real_release)
        assert _count(people, Timer.status == "fired") == 1
        assert _count(people, Timer.status == "pending", Timer.lease_owner == "sched-1") == 3   # still held
        assert firing.anything_due(people)          # though no timer is free: it has claims to give back
        outcome = firing.fire_due(people, "sched-1", people._fire_one)
    assert outcome["fired"] == 3 and not firing._UNRETURNED
    assert _count(people, Timer.status == "fired") == 4
    with people.uow(write=False) as uow:
        fired = uow.session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer_fired")).all()
    assert sorted(fired) == sorted(set(fired)) and len(fired) == 4       # each timer once


def _count(engine, *where) -> int:
    with engine.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Timer).where(*where))
