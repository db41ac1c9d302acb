"""Whom a user stands in for and the candidate keys of them all come in one statement: a deputy
on duty sees the absent colleague's section queue (科室待认领) and may claim from it; before the
leave starts and after it ends, neither. On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import clock
from engine.errors import NotAllowed, NotFound
from engine.org.lanes import acting_and_candidate_keys
from tests.helpers.forms import CHECK, VISIT, WATER
from tests.helpers.paths import PROCESSES
from tests.helpers.province import build_province


@pytest.fixture
def water_matter(engine):
    ids = build_province(engine)
    engine.deploy([PROCESSES / n for n in ("enterprise_service.bpmn", "ledger_matter.bpmn", "routing.dmn")], "root")
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})
    [visit] = engine.tasks("xh_liaison")
    engine.complete(visit["id"], "xh_liaison", VISIT)
    [check] = engine.tasks("xh_expert")
    engine.complete(check["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    [task] = [t for t in engine.tasks("xh_water1") if t["name"] == "整改"]
    return task


def _claimable(engine, user: str) -> list[str]:
    return [row["id"] for row in engine.inbox(user, "claimable")["rows"]]


def test_a_deputy_on_duty_sees_and_claims_from_the_absent_users_queue(engine, water_matter):
    now = clock.now()
    engine.set_deputy("xh_water1", "xh_air1", now + timedelta(days=1), now + timedelta(days=3), actor="root")
    with engine.uow(write=False) as uow:
        acting, keys = acting_and_candidate_keys(uow.session, "xh_air1")
    assert acting == ["xh_air1"] and water_matter["id"] not in _claimable(engine, "xh_air1")  # not yet
    with clock.frozen_at(now + timedelta(days=2)):
        with engine.uow(write=False) as uow:
            acting, keys = acting_and_candidate_keys(uow.session, "xh_air1")
        assert acting == ["xh_air1", "xh_water1"]
        assert keys["user"] == {"xh_air1", "xh_water1"}
        assert water_matter["id"] in _claimable(engine, "xh_air1")
        engine.claim(water_matter["id"], "xh_air1")
    with clock.frozen_at(now + timedelta(days=4)):                   # back from leave: the air section again
        with engine.uow(write=False) as uow:
            assert acting_and_candidate_keys(uow.session, "xh_air1")[0] == ["xh_air1"]


def test_without_a_deputy_the_queue_stays_the_sections_own(engine, water_matter):
    assert water_matter["id"] not in _claimable(engine, "xh_air1")
    with pytest.raises((NotAllowed, NotFound)):
        engine.claim(water_matter["id"], "xh_air1")
    with engine.uow(write=False) as uow:
        acting, keys = acting_and_candidate_keys(uow.session, "nobody_at_all")
    assert acting == ["nobody_at_all"] and not any(keys.values())


def test_within_one_command_a_deputy_written_and_flushed_is_seen_by_the_next_question(engine, water_matter):
    """acting_for is remembered for a command's session (a task page asks it five times), but a
    flush forgets it: a command that records a deputy and then checks sees the new deputy."""
    from engine.org.directory import acting_for
    from engine.store.org_tables import Deputy
    from engine.store.tables import User
    now = clock.now()
    with engine.uow() as uow:
        session = uow.session
        assert acting_for(session, "xh_air1") == []
        ids = dict(session.query(User.name, User.id).filter(User.name.in_(["xh_water1", "xh_air1"])).all())
        session.add(Deputy(user_id=ids["xh_water1"], deputy_id=ids["xh_air1"], starts_at=now - timedelta(hours=1),
                           ends_at=now + timedelta(days=1), created_by="root"))
        assert acting_for(session, "xh_air1") == []  # not flushed: the database has no such row yet
        session.flush()
        assert acting_for(session, "xh_air1") == ["xh_water1"]
