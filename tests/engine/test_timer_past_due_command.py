"""A boundary timer that falls due while nobody fires it, and meanwhile someone works on the
instance: the timer must still fire (once) when the scheduler comes round, never be lost."""
from sqlalchemy import select

from engine import clock
from engine.store.tables import AuditEvent, Timer
from tests.helpers.models import process, write

# Two parallel steps; `slow` has a non-interrupting P1D timer that raises an `urge` step.
MODEL = process("race", """
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="slow" name="整改" camunda:candidateUsers="water1"/>
<bpmn:boundaryEvent id="late" attachedToRef="slow" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>PT24H</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:userTask id="urge" name="督办" camunda:candidateUsers="head1"/>
<bpmn:userTask id="quick" name="另一项" camunda:candidateUsers="water2"/>
<bpmn:parallelGateway id="join"/>
<bpmn:endEvent id="end"/>
<bpmn:endEvent id="urged"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="slow"/>
<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="quick"/>
<bpmn:sequenceFlow id="f4" sourceRef="slow" targetRef="join"/>
<bpmn:sequenceFlow id="f5" sourceRef="quick" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="end"/>
<bpmn:sequenceFlow id="f7" sourceRef="late" targetRef="urge"/>
<bpmn:sequenceFlow id="f8" sourceRef="urge" targetRef="urged"/>
""")


def at(text):
    return clock.frozen_at(clock.parse_moment(text))


def test_work_done_after_a_timer_fell_due_does_not_swallow_it(people, tmp_path):
    people.deploy([write(tmp_path, "race.bpmn", MODEL)], "designer")
    with at("2026-03-02T09:00:00"):
        instance = people.start("race", "water1")["id"]
    quick = next(t for t in people.tasks("water2") if t["element_id"] == "quick")
    with at("2026-03-03T10:00:00"):                      # the timer is due, the scheduler has not come
        people.complete(quick["id"], "water2", {})
        assert [t["element_id"] for t in people.tasks("head1")] == ["urge"]   # caught with the command
        assert people.fire_due_timers()["fired"] == 0                          # and never again
    with people.uow(write=False) as uow:
        rows = list(uow.session.scalars(select(Timer).where(Timer.instance_id == instance)))
        fired = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "timer_fired",
                                                             AuditEvent.instance_id == instance)).all()
    assert [r.status for r in rows] == ["fired"] and len(fired) == 1
