"""The inbox rows a completion writes: the closed task loses its candidate rows, the opened
one gets its own. On PostgreSQL each side is a data-modifying WITH (the close drops the
candidates, the new row brings its candidates), and both ride with the instance's UPDATE: the
reads the save makes in between (the next step's routing) cannot see them."""
from sqlalchemy import select

from engine.store.tables import TaskCandidate
from tests.helpers.models import process, write
from tests.helpers.statements import statements_of

MODEL = process("two_group_steps", """
<bpmn:startEvent id="start"/>
<bpmn:userTask id="first" name="受理" camunda:candidateGroups="water"/>
<bpmn:userTask id="second" name="办理" camunda:candidateGroups="water,air"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
<bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second"/>
<bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="end"/>
""")


def _candidates(engine, task_id):
    with engine.uow(write=False) as uow:
        return sorted(uow.session.execute(select(TaskCandidate.kind, TaskCandidate.name)
                                          .where(TaskCandidate.task_id == task_id)).all())


def test_a_completion_moves_the_candidate_rows_from_the_closed_task_to_the_opened_one(people, tmp_path):
    people.deploy([write(tmp_path, "two.bpmn", MODEL)], "designer")
    people.start("two_group_steps", "water1")
    [first] = [t for t in people.tasks("water1") if t["element_id"] == "first"]
    assert _candidates(people, first["id"]) == [("group", "water")]
    sent = statements_of(people.db, lambda: people.complete(first["id"], "water1", {}))
    [second] = [t for t in people.tasks("outsider") if t["element_id"] == "second"]  # air: a candidate now
    assert _candidates(people, first["id"]) == []
    assert _candidates(people, second["id"]) == [("group", "air"), ("group", "water")]
    candidate_writes = [s for s in sent if "DELETE FROM task_candidates" in s or "INSERT INTO task_candidates" in s]
    if people.db.dialect.name == "postgresql":  # inside the statement that writes the instance
        [carried] = candidate_writes
        assert carried.startswith("WITH") and "UPDATE instances SET state=" in carried
        for part in ("DELETE FROM task_candidates", "UPDATE human_tasks", "INSERT INTO human_tasks",
                     "INSERT INTO task_candidates"):
            assert part in carried
    else:
        assert [s.split()[0] for s in candidate_writes] == ["DELETE", "INSERT"]


def test_a_task_for_one_person_opens_with_no_candidate_rows(people, tmp_path):
    model = MODEL.replace('camunda:candidateGroups="water"', 'camunda:assignee="water2"')
    people.deploy([write(tmp_path, "two.bpmn", model)], "designer")
    people.start("two_group_steps", "water1")
    [first] = [t for t in people.tasks("water2") if t["element_id"] == "first"]
    assert first["assignee"] == "water2" and _candidates(people, first["id"]) == []
