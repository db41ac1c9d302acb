"""Deciding who may see a task reads the task and its instance in one statement: a task page
and each of its panels ask it, so it was two round trips each. The answers stay the same: the
holder sees it, an outsider is refused, a task that does not exist is not found."""
from __future__ import annotations

import pytest

from engine import access
from engine.errors import NotAllowed, NotFound
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.statements import statements_of


@pytest.fixture
def held_task(people, tmp_path) -> str:
    path = write(tmp_path, "check.bpmn", process("check", chain(user_task("review", "核实", assignee="water1"))))
    people.deploy([path], "designer")
    people.start("check", "liaison1", {})
    return people.tasks("water1")[0]["id"]


def _seen(engine, name: str, task_id: str):
    with engine.uow(write=False) as uow:
        user = access.actor(uow.session, name)
        row, instance = access.task_and_instance_seen_by(uow.session, user, task_id)
        return row.id, row.instance_id, instance.id, instance.started_by


def test_the_task_and_its_instance_come_in_one_statement(people, held_task):
    reads = []
    with people.uow(write=False) as uow:
        user = access.actor(uow.session, "water1")
        reads = statements_of(people.db, lambda: access.task_and_instance_seen_by(uow.session, user, held_task))
    tables = [s for s in reads if "FROM human_tasks" in s or "FROM instances" in s]
    assert len(tables) == 1 and "JOIN instances" in tables[0]
    task_id, instance_of_task, instance_id, started_by = _seen(people, "water1", held_task)
    assert (task_id, instance_of_task, started_by) == (held_task, instance_id, "liaison1")


def test_the_same_answers_for_an_outsider_and_for_no_such_task(people, held_task):
    assert _seen(people, "liaison1", held_task)[0] == held_task   # who started it sees it
    with pytest.raises(NotAllowed):
        _seen(people, "outsider", held_task)
    with pytest.raises(NotFound):
        _seen(people, "water1", "no-such-task")
