"""A start asks who starts and the latest version of what in one statement
(engine.access.actor_and_definition); the answers and errors are those of asking one by one."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.bench.hot_path import MODEL
from engine.errors import NotAllowed, NotFound
from engine.store.tables import User
from tests.helpers.statements import statements_of

KEY = "Process_three_user_tasks"


def _statements_of(engine, command) -> list[str]:
    return statements_of(engine.db, command)


@pytest.fixture
def deployed(engine):
    engine.add_user("designer", roles=("designer",))
    engine.add_user("clerk")
    engine.deploy([MODEL], "designer")
    return engine


def test_a_start_reads_its_actor_and_latest_definition_in_one_statement(deployed):
    engine = deployed
    engine.start(KEY, "clerk")  # the first also builds the deployed spec, once per process
    statements = _statements_of(engine, lambda: engine.start(KEY, "clerk"))
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1 and "FROM users JOIN process_definitions" in reads[0]
    # the instance, its audit row, its inbox row: on PostgreSQL the last two in one statement at the
    # commit (engine.store.write_behind)
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE", "WITH")]
    assert all("INSERT INTO" in s and "UPDATE" not in s for s in writes)
    inserted = [table for s in writes for table in ("instances", "audit_events", "human_tasks")
                if f"INSERT INTO {table} " in s]
    assert sorted(inserted) == ["audit_events", "human_tasks", "instances"]
    assert len(writes) == (2 if engine.db.dialect.name == "postgresql" else 3)


def test_the_latest_version_is_started_and_an_older_one_when_asked(deployed, tmp_path):
    engine = deployed
    second = tmp_path / MODEL.name
    second.write_text(MODEL.read_text(encoding="utf-8").replace('name="Check"', 'name="Check again"'),
                      encoding="utf-8")
    engine.deploy([second], "designer")
    assert engine.start(KEY, "clerk")["version"] == 2
    assert engine.start(KEY, "clerk", version=1)["version"] == 1


@pytest.mark.parametrize("who, key, error, code", [
    ("nobody", KEY, NotAllowed, "unknown_user"),
    ("gone", KEY, NotAllowed, "unknown_user"),
    ("nobody", "no_such_process", NotAllowed, "unknown_user"),   # the user is asked first, as before
    ("clerk", "no_such_process", NotFound, "not_found"),
])
def test_an_unknown_or_disabled_user_and_an_undeployed_process_say_which(deployed, who, key, error, code):
    engine = deployed
    engine.add_user("gone")
    with engine.uow() as uow:
        uow.session.execute(update(User).where(User.name == "gone").values(active=False))
    with pytest.raises(error) as raised:
        engine.start(key, who)
    assert raised.value.code == code
