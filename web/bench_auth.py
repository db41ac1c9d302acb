"""The workload of `sanfu bench-auth` (engine/bench/auth.py runs it in a child process, so
the engine never imports the web application): authenticated requests through the Flask test
client — an API GET of a small resource (/api/v1/inbox, empty) with a bearer token, and a
page GET (/notifications/, empty) with a signed-in session — timed, with the SQL statements
each sends, those of checking who is asking (the token or the session) counted apart.

It drives only what the previous release has too (`create_app(ENGINE=…)`, `Engine.add_user`,
`set_password`, `create_api_token`, the login form), so the same file measures both:
`python -c "runpy.run_path('web/bench_auth.py', run_name='__main__')" REQUESTS [URL]` with the
release's folder first on PYTHONPATH and as the working directory. Prints one JSON object.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text

PG_SCHEMA = "sanfu_bench_auth"
PASSWORD = "Sanfu2026pass"
WARM_UP = 20
WRITES = ("INSERT", "UPDATE", "DELETE")
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@contextmanager
def _database(url: str | None):
    """A migrated, empty database: SQLite in a temporary folder, or a PostgreSQL schema of
    its own (never public), dropped afterwards."""
    from engine.store.db import make_engine
    from engine.store.migrate import upgrade
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            db = make_engine(f"sqlite:///{Path(tmp) / 'bench_auth.db'}")
            upgrade(db)
            try:
                yield db
            finally:
                db.dispose()
        return
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    db = make_engine(url, connect_args={"options": f"-csearch_path={PG_SCHEMA}"})
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        admin.dispose()


class Meter:
    """Statements sent (and time spent) while checking who is asking, and in the whole request."""

    def __init__(self, db):
        self.in_auth = False
        self.auth_seconds = 0.0
        self.auth: list[str] = []
        self.all: list[tuple[str, bool]] = []  # (statement, sent in a write transaction)
        event.listen(db, "before_cursor_execute", self._record)

    def _record(self, conn, _cursor, statement, *_):
        write = bool(conn.get_execution_options().get("sanfu_write", False))
        sql = " ".join(statement.split())
        self.all.append((sql, write or sql.upper().startswith("BEGIN IMMEDIATE")))
        if self.in_auth and not sql.upper().startswith("BEGIN"):
            self.auth.append(sql)

    def wrap(self, function):
        def timed(*args, **kwargs):
            self.in_auth, start = True, time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.auth_seconds += time.perf_counter() - start
                self.in_auth = False
        return timed

    def reset(self) -> None:
        self.auth_seconds, self.auth, self.all = 0.0, [], []


def _prepare(db):
    from engine.service import Engine
    from web import create_app
    forms = Path(__file__).resolve().parent.parent / "forms"
    engine = Engine(db_engine=db, forms_dir=forms)
    engine.add_user("root", admin=True)
    engine.add_user("bench", ["bench"], display_name="压测 用户", roles=("designer", "section_head"))
    engine.set_password("bench", PASSWORD, actor="root")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench-auth", "ENGINE": engine, "FORMS_DIR": str(forms)})
    return engine, app


def _sign_in(client) -> None:
    token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed"


def _measure(meter: Meter, call, requests: int) -> dict:
    for _ in range(WARM_UP):
        call()
    times, auth_times, statements, auth_statements, writes, locked = [], [], [], [], [], []
    for _ in range(requests):
        meter.reset()
        start = time.perf_counter()
        status = call().status_code
        times.append(time.perf_counter() - start)
        assert status == 200, f"status {status}"
        auth_times.append(meter.auth_seconds)
        statements.append(len(meter.all))
        auth_statements.append(len(meter.auth))
        writes.append(sum(1 for sql, _ in meter.all if sql.upper().startswith(WRITES)))
        locked.append(sum(1 for _, in_write_transaction in meter.all if in_write_transaction))
    times.sort()
    return {"median_ms": _ms(statistics.median(times)), "p95_ms": _ms(times[int(0.95 * (len(times) - 1))]),
            "auth_median_ms": _ms(statistics.median(auth_times)),
            "statements_per_request": statistics.median(statements),
            "auth_statements_per_request": statistics.median(auth_statements),
            "writes_per_request": statistics.median(writes),
            "statements_in_write_transactions_per_request": statistics.median(locked)}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def run(requests: int = 300, url: str | None = None) -> dict:
    from web.auth import login_manager
    with _database(url) as db:
        engine, app = _prepare(db)
        secret = engine.create_api_token("bench", "bench-auth")
        meter = Meter(db)
        engine.authenticate_token = meter.wrap(engine.authenticate_token)
        login_manager._user_callback = meter.wrap(login_manager._user_callback)
        api, page = app.test_client(), app.test_client()
        _sign_in(page)
        headers = {"Authorization": f"Bearer {secret}"}
        return {"database": db.dialect.name, "requests": requests,
                "api_get": _measure(meter, lambda: api.get("/api/v1/inbox", headers=headers), requests),
                "page_get": _measure(meter, lambda: page.get("/notifications/"), requests)}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 300, sys.argv[2] if len(sys.argv) > 2 else None)))
