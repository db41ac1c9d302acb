"""A gunicorn worker kill -9'd again and again while eight API clients complete tasks: every
completion the server acknowledged is saved and advanced its instance, none is applied twice,
a request cut by the kill either failed as a dropped connection or committed whole (every
instance's inbox rows equal its workflow), and the server answers afterwards."""
from __future__ import annotations

import random
import time

from tests.helpers.gunicorn_world import CUT, Clients, assert_nothing_half_written, build_world, health, serve

CLERKS, PER_CLERK, KILLS = 8, 13, 8


def test_completions_survive_workers_killed_mid_request(pg_engine, pg_url, tmp_path):
    world = build_world(pg_engine, tmp_path, CLERKS, PER_CLERK)
    with serve(pg_url, tmp_path, workers=2, step_delay=0.03, answer_delay=0.06) as server:
        clients = Clients(server.port, world.tokens).start()
        killed = []
        while len(killed) < KILLS and clients.busy():
            _wait_for_answers(clients, 12)   # the replacement serves (a cold worker's first request is slow)
            time.sleep(random.uniform(0, 0.1))   # anywhere in a request, not just as one begins
            killed.append(server.kill_worker())  # gunicorn starts another each time
        clients.join(timeout=120)
        server.wait_for_workers(2)
        assert health(server.port) == 200
        assert not set(killed) & set(server.workers())
    statuses = clients.statuses()
    print("\nrequests by (kind, status):", dict(statuses), "kills:", len(killed),
          "of them mid-request:", server.mid_request)
    assert not [key for key in statuses if key[1] != CUT and key[1] >= 500], statuses
    assert all(o.status in (200, 409, CUT) for o in clients.outcomes if o.kind != "inbox"), statuses
    counts = assert_nothing_half_written(pg_engine, clients.acknowledged("complete"))
    assert len(killed) >= 4, "the clients finished before the workers were killed: make the workload bigger"
    assert server.mid_request >= len(killed) // 2, "the kills missed the requests"
    # the clients retried whatever was cut, so every instance got to the end
    assert counts["finished_instances"] == CLERKS * PER_CLERK, counts
    cut = {o.task_id for o in clients.outcomes if o.kind == "complete" and o.status == CUT}
    print("after the kills:", counts, f"; of {len(cut)} completions cut by a kill,",
          len(cut - clients.acknowledged("complete")), "had committed (the retry found them done)")


def _wait_for_answers(clients, count: int, timeout: float = 60) -> None:
    deadline, target = time.monotonic() + timeout, len(clients.outcomes) + count
    while len(clients.outcomes) < target and clients.busy():
        assert time.monotonic() < deadline, "the server stopped answering"
        time.sleep(0.01)
