"""The working-day calendar through the engine: deadlines skip the holidays it lists, and
the system admin — nobody else — imports a year or marks a day, audited."""
from datetime import date

import pytest
from sqlalchemy import select

from engine import clock
from engine.errors import InvalidInput, NotAllowed
from engine.store.tables import AuditEvent
from tests.helpers.models import chain, process, user_task, write

A_DAY_TASK = process("visit", chain(user_task("record", "记录走访", dueDate="P1D", candidateGroups="liaisons")))


def due_of_new_task(people, moment: str) -> str:
    with clock.frozen_at(clock.parse_moment(moment)):
        instance = people.start("visit", "liaison1")["id"]
    task = next(t for t in people.tasks("liaison1") if t["instance_id"] == instance)
    return task["due_at_local"][:16]


@pytest.fixture
def visit(people, tmp_path):
    people.deploy([write(tmp_path, "visit.bpmn", A_DAY_TASK)], "designer")
    return people


def test_a_one_working_day_step_started_before_national_day_is_due_after_it(visit):
    assert due_of_new_task(visit, "2026-09-30T10:00:00") == "2026-10-08T10:00"
    assert due_of_new_task(visit, "2026-10-09T10:00:00") == "2026-10-10T10:00"   # a 调休 Saturday works


def test_the_admin_marks_a_day_and_the_next_deadline_counts_it(visit):
    assert due_of_new_task(visit, "2026-03-06T10:00:00") == "2026-03-09T10:00"
    visit.set_calendar_day(date(2026, 3, 9), "rest", "admin", name="防汛停工")
    assert due_of_new_task(visit, "2026-03-06T10:00:00") == "2026-03-10T10:00"
    listed = visit.calendar("liaison1", 2026)["days"]
    assert {"day": "2026-03-09", "kind": "rest", "name": "防汛停工"} in listed
    visit.set_calendar_day(date(2026, 3, 9), None, "admin")
    assert due_of_new_task(visit, "2026-03-06T10:00:00") == "2026-03-09T10:00"


def test_importing_a_year_replaces_that_year_only_and_is_audited(visit):
    result = visit.import_calendar("日期,类型,名称\n2027-01-04,休,试行\n", "admin", file_name="cn-2027.csv")
    assert result == {"years": [2027], "days": 1}
    assert visit.calendar("admin", 2027)["days"] == [{"day": "2027-01-04", "kind": "rest", "name": "试行"}]
    assert len(visit.calendar("admin", 2026)["days"]) == 39                        # 2026 untouched
    with visit.uow(write=False) as uow:
        event = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar_imported")).one()
    assert event.actor == "admin" and event.detail["years"] == [2027] and event.detail["file"] == "cn-2027.csv"


def test_only_the_system_admin_changes_the_calendar_and_a_bad_file_changes_nothing(visit):
    with pytest.raises(NotAllowed):
        visit.set_calendar_day(date(2026, 3, 9), "rest", "liaison1")
    with pytest.raises(NotAllowed):
        visit.import_calendar("日期,类型\n2026-03-09,休\n", "designer")
    with pytest.raises(InvalidInput, match="第 3 行"):
        visit.import_calendar("日期,类型\n2026-03-09,休\n2026-03-10,假\n", "admin")
    assert {"day": "2026-03-09", "kind": "rest", "name": ""} not in visit.calendar("admin", 2026)["days"]
