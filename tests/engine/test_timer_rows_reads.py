"""A save reads the instance's timer rows only when a timer was waiting before the command or
is waiting after it: otherwise the instance has no pending row to settle or arm again."""
from contextlib import contextmanager

from sqlalchemy import event, select

from engine import clock
from engine.store.tables import Timer
from tests.helpers.models import process, write

MODEL = process("steps_and_deadline", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="visit" name="走访" camunda:candidateUsers="water1"/>
<bpmn:userTask id="rectify" name="整改" camunda:candidateUsers="water1"/>
<bpmn:boundaryEvent id="late" attachedToRef="rectify" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:userTask id="review" name="复核" camunda:candidateUsers="water1"/>
<bpmn:userTask id="close" name="销号" camunda:candidateUsers="water1"/>
<bpmn:endEvent id="end"/>
<bpmn:endEvent id="urged"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit"/>
<bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="rectify"/>
<bpmn:sequenceFlow id="f3" sourceRef="rectify" targetRef="review"/>
<bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="close"/>
<bpmn:sequenceFlow id="f5" sourceRef="close" targetRef="end"/>
<bpmn:sequenceFlow id="f6" sourceRef="late" targetRef="urged"/>
""")


@contextmanager
def timer_reads(engine):
    """How many SELECTs on the timers table the block runs."""
    reads = []
    listen = lambda conn, cursor, statement, *rest: reads.append(  # noqa: E731
        statement.lstrip().upper().startswith("SELECT") and "FROM TIMERS" in statement.upper())
    event.listen(engine.db, "before_cursor_execute", listen)
    try:
        yield reads
    finally:
        event.remove(engine.db, "before_cursor_execute", listen)


def _complete(people, element_id):
    task = next(t for t in people.tasks("water1") if t["element_id"] == element_id)
    people.complete(task["id"], "water1", {})


def _rows(people, instance_id):
    with people.uow(write=False) as uow:
        return [(r.element_id, r.status) for r in uow.session.scalars(
            select(Timer).where(Timer.instance_id == instance_id))]


def test_only_commands_around_a_waiting_timer_read_the_timer_rows(people, tmp_path):
    people.deploy([write(tmp_path, "steps.bpmn", MODEL)], "designer")
    with clock.frozen_at(clock.parse_moment("2026-03-02T09:00:00")):
        instance = people.start("steps_and_deadline", "water1")["id"]
        with timer_reads(people) as reads:        # none before; the deadline waits after: read, then armed
            _complete(people, "visit")
        assert sum(reads) == 1 and _rows(people, instance) == [("late", "pending")]
        with timer_reads(people) as reads:        # it waited before: read, and settled
            _complete(people, "rectify")
        assert sum(reads) == 1 and _rows(people, instance) == [("late", "cancelled")]
        with timer_reads(people) as reads:        # none before, none after: nothing to read
            _complete(people, "review")
        assert sum(reads) == 0 and _rows(people, instance) == [("late", "cancelled")]
        _complete(people, "close")
    assert people.show(instance)["status"] == "completed"
