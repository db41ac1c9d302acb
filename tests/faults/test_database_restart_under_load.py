"""PostgreSQL goes away for three seconds while eight API clients read their inboxes and complete
tasks through gunicorn (a proxy in front of the real server is cut — a crash or restart as the
app sees it — and restored): meanwhile every answer is 503 with Retry-After (or, for a request
in flight, a dropped connection), never a 500; within a few seconds of the restore everything
answers again; nothing is half-written; the server log says the outage in a line or two per
worker, without a traceback."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from tests.helpers.gunicorn_world import CUT, Clients, assert_nothing_half_written, build_world, serve
from tests.helpers.tcp_proxy import TcpProxy

CLERKS, PER_CLERK, OUTAGE_S, RECOVERY_S = 8, 13, 3.0, 5.0


def test_a_database_restart_under_load_is_503s_then_full_recovery(pg_engine, pg_url, tmp_path):
    world = build_world(pg_engine, tmp_path, CLERKS, PER_CLERK)
    parts = urlsplit(make_url(pg_url).render_as_string(hide_password=False))
    proxy = TcpProxy(parts.hostname, parts.port or 5432)
    via_proxy = make_url(pg_url).set(host="127.0.0.1", port=proxy.start()).render_as_string(hide_password=False)
    try:
        with serve(via_proxy, tmp_path, workers=2, step_delay=0.02) as server:
            clients = Clients(server.port, world.tokens).start()
            _wait_for_answers(clients, 40)            # both workers warm, connections pooled
            cut_at = time.monotonic()
            proxy.cut()
            time.sleep(OUTAGE_S)
            proxy.restore()
            restored_at = time.monotonic()
            clients.join(timeout=120)
            log = server.output()
    finally:
        proxy.stop()
    outcomes = clients.outcomes
    print("\nrequests by (kind, status):", dict(clients.statuses()))
    assert not [o for o in outcomes if o.status != CUT and o.status >= 500 and o.status != 503], clients.statuses()
    refused = [o for o in outcomes if o.status == 503]
    assert refused, "the outage was not seen: no 503"
    assert all(o.retry_after for o in refused)
    answered_while_down = [o for o in outcomes if o.status == 200 and cut_at + 0.5 < o.at < restored_at]
    assert not answered_while_down, "answered 200 without a database"
    failed = [o for o in outcomes if o.status in (503, CUT)]
    assert all(cut_at <= o.at for o in failed), "a failure before the database went away"
    last_failure = max(o.at for o in failed) - restored_at
    assert last_failure <= RECOVERY_S, f"still failing {last_failure:.1f} s after the database came back"
    print(f"503s: {len(refused)}, cut: {sum(o.status == CUT for o in outcomes)}, "
          f"last failure {last_failure:+.2f} s from the restore")
    counts = assert_nothing_half_written(pg_engine, clients.acknowledged("complete"))
    assert counts["finished_instances"] == CLERKS * PER_CLERK, counts   # the clients finished after it
    assert "Traceback" not in log, log[-4000:]
    outage_lines = [line for line in log.splitlines() if "database unavailable" in line]
    assert 1 <= len(outage_lines) <= 2 * 2, outage_lines   # a line or two per worker
    print("log:", outage_lines)


def _wait_for_answers(clients, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(o.status == 200 for o in clients.outcomes) < count:
        assert time.monotonic() < deadline and clients.busy(), "the server did not answer"
        time.sleep(0.01)
