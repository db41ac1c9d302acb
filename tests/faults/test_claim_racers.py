"""A hundred people claim one task at the same moment, through the engine (threads, each command
on a connection of its own) and through the API under gunicorn: exactly one holds it, the 99
others are told clearly that it is taken (Conflict / 409), and one claim is audited."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from engine.errors import Conflict
from engine.service import Engine
from engine.store.db import make_engine
from engine.store.tables import AuditEvent, HumanTask
from tests.helpers.gunicorn_world import CUT, call, serve
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.paths import FORMS

RACERS = 100
# PostgreSQL's default max_connections is 100 and the server is shared: half the racers hold a
# connection at once and the others race against whatever those committed.
CONNECTIONS = 50


def _one_open_task(engine: Engine, tmp_path) -> str:
    engine.add_user("root", admin=True)
    for n in range(RACERS):
        engine.add_user(f"racer{n}", ["racers"])
    body = chain(user_task("take", "认领办理", candidateGroups="racers"))
    engine.deploy([write(tmp_path, "race.bpmn", process("race", body, name="抢单"))], "root")
    engine.start("race", "root", {})
    [task] = engine.inbox("racer0", "claimable")["rows"]
    return task["id"]


def _assert_one_holder(engine: Engine, task_id: str, winners: list[str]) -> None:
    with engine.uow(write=False) as uow:
        holder = uow.session.get(HumanTask, task_id).assignee
        claims = uow.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "task_claimed", AuditEvent.task_id == task_id))
    assert winners == [holder] and claims == 1


def test_a_hundred_racers_claim_one_task_through_the_engine(pg_url, tmp_path):
    db = make_engine(pg_url, pool_size=CONNECTIONS, max_overflow=0, pool_timeout=60)
    engine = Engine(db_engine=db, forms_dir=FORMS)
    try:
        task_id = _one_open_task(engine, tmp_path)
        barrier, outcomes = threading.Barrier(RACERS, timeout=60), {}

        def claim(name: str) -> None:
            barrier.wait()
            try:
                outcomes[name] = engine.claim(task_id, name)["assignee"]
            except Conflict as error:
                outcomes[name] = f"conflict:{error.code}"
            except Exception as error:  # noqa: BLE001 - anything else is what the test is looking for
                outcomes[name] = f"error:{error!r}"

        threads = [threading.Thread(target=claim, args=(f"racer{n}",)) for n in range(RACERS)]
        [t.start() for t in threads]
        [t.join(120) for t in threads]
        assert not any(t.is_alive() for t in threads)
        kinds = Counter(v if v.startswith(("conflict", "error")) else "won" for v in outcomes.values())
        print("\nengine racers:", dict(kinds))
        assert kinds["won"] == 1 and sum(n for k, n in kinds.items() if k.startswith("conflict")) == RACERS - 1
        _assert_one_holder(engine, task_id, [v for v in outcomes.values() if v.startswith("racer")])
    finally:
        db.dispose()


def test_a_hundred_racers_claim_one_task_through_the_api(pg_engine, pg_url, tmp_path):
    task_id = _one_open_task(pg_engine, tmp_path)
    tokens = {f"racer{n}": pg_engine.create_api_token(f"racer{n}", "race") for n in range(RACERS)}
    with serve(pg_url, tmp_path, workers=2) as server:
        barrier, outcomes = threading.Barrier(RACERS, timeout=60), {}

        def claim(name: str) -> None:
            barrier.wait()
            try:
                reply = call(server.port, "POST", f"/api/v1/tasks/{task_id}/claim", tokens[name], {}, timeout=60)
                outcomes[name] = (reply.status, reply.body.get("assignee") or reply.body["error"]["code"])
            except OSError:
                outcomes[name] = (CUT, None)

        threads = [threading.Thread(target=claim, args=(name,)) for name in tokens]
        [t.start() for t in threads]
        [t.join(120) for t in threads]
    assert not any(t.is_alive() for t in threads)
    statuses = Counter(status for status, _ in outcomes.values())
    print("\nAPI racers:", dict(Counter(outcomes.values()).most_common(4)))
    assert statuses == {200: 1, 409: RACERS - 1}
    _assert_one_holder(pg_engine, task_id, [detail for status, detail in outcomes.values() if status == 200])
