"""A save's UPDATE of its instance names only what changed: SQLite rewrites the index entry of
every indexed column a SET names, changed or not, so a running instance's status in every
completion's UPDATE cost a page of WAL per commit. The end of an instance still writes it."""
from __future__ import annotations

import re

from engine.bench.hot_path import MODEL
from engine.store.tables import Instance
from tests.helpers.statements import statements_of


def _instance_updates(engine, command) -> list[str]:
    """The instance UPDATEs sent (on PostgreSQL after the WITH queries it carries: write_behind)."""
    found = (re.search(r"(?:^|\)\s*)(UPDATE instances SET .*)$", s) for s in statements_of(engine.db, command))
    return [match.group(1) for match in found if match]


def test_a_completion_sets_state_and_the_last_one_the_status(engine):
    engine.add_user("designer", roles=("designer",))
    engine.add_user("clerk")
    engine.deploy([MODEL], "designer")
    instance_id = engine.start("Process_three_user_tasks", "clerk")["id"]
    updates = []
    for _step in range(3):
        [task] = engine.tasks("clerk")
        updates += _instance_updates(engine, lambda t=task: engine.complete(t["id"], "clerk", {"ok": True}))
    assert len(updates) == 3
    for running in updates[:2]:
        assert "state=" in running and "status=" not in running and "ended_at=" not in running
    assert "status=" in updates[2] and "ended_at=" in updates[2]
    with engine.uow(write=False) as uow:
        ended = uow.session.get(Instance, instance_id)
        assert (ended.status, ended.revision) == ("completed", 4) and ended.ended_at is not None
