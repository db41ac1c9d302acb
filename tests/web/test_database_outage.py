"""PostgreSQL goes away under the app (a proxy in front of the real server is cut, as a crash or
restart looks from the app): pages answer 503 in Chinese with Retry-After, the API the same as
JSON; a completion refused meanwhile leaves nothing half-done (and succeeds after); one log line for the whole outage, no
traceback; when the database is back, everything answers again without a restart. The scheduler
says the outage once and carries on."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from engine.jobs import scheduler
from engine.service import Engine
from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.models import GHOST_MODEL
from tests.helpers.paths import FORMS
from tests.helpers.tcp_proxy import TcpProxy
from tests.helpers.web import PASSWORD, csrf_token


@pytest.fixture
def outage(tmp_path):
    """(proxy, app, client signed in, API token, an open task id) over PostgreSQL via the proxy."""
    real = _postgres_or_skip()
    from engine.store.migrate import upgrade
    db = _fresh_postgres(real)
    upgrade(db)
    db.dispose()
    parts = urlsplit(make_url(real).render_as_string(hide_password=False))
    proxy = TcpProxy(parts.hostname, parts.port or 5432)
    port = proxy.start()
    via_proxy = make_url(real).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    engine = Engine(via_proxy, forms_dir=FORMS)
    engine.add_user("root", admin=True)
    engine.add_user("clerk", ["ghosts"])
    engine.set_password("clerk", PASSWORD, actor="root")
    path = tmp_path / "ghostly.bpmn"
    path.write_text(GHOST_MODEL, encoding="utf-8")
    engine.deploy([path], "root")
    engine.start("ghostly", "clerk", {})
    [task] = engine.tasks("clerk")
    token = engine.create_api_token("clerk", "outage test")
    from web import create_app
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ENGINE": engine})
    client = app.test_client()
    login = csrf_token(client, "/login")
    assert client.post("/login", data={"name": "clerk", "password": PASSWORD, "csrf_token": login}).status_code == 302
    yield proxy, engine, client, token, task["id"]
    proxy.stop()
    engine.db.dispose()


def test_pages_and_api_answer_503_while_the_database_is_down_and_recover(outage, caplog):
    proxy, engine, client, token, task_id = outage
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/").status_code == 200
    proxy.cut()
    with caplog.at_level(logging.WARNING):
        for _ in range(15):
            page = client.get("/")
            assert page.status_code == 503 and page.headers["Retry-After"] == "5"
            assert "数据库暂时不可用，请稍后重试" in page.get_data(as_text=True)
            api = client.get("/api/v1/inbox", headers=bearer)
            assert api.status_code == 503 and api.headers["Retry-After"] == "5"
            assert api.get_json()["error"]["code"] == "unavailable"
        complete = client.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer, json={"data": {}})
        assert complete.status_code == 503
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json() == {"status": "down", "database": False}
    lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(lines) == 1 and not any(r.exc_info for r in caplog.records)
    proxy.restore()
    with caplog.at_level(logging.WARNING):
        assert client.get("/").status_code == 200
    assert [r for r in caplog.records if "database reachable again" in r.getMessage()]   # the outage's end, once
    assert client.get("/api/v1/inbox", headers=bearer).status_code == 200
    [task] = engine.tasks("clerk")
    assert task["id"] == task_id and task["status"] == "open"   # the refused completion left nothing behind
    assert engine.show(task["instance_id"])["status"] == "running"
    assert client.post(f"/api/v1/tasks/{task_id}/complete", headers=bearer, json={"data": {}}).status_code == 200


def test_the_scheduler_says_the_outage_once_and_carries_on(outage, caplog, monkeypatch):
    proxy, engine, _client, _token, _task_id = outage
    monkeypatch.setattr(scheduler, "PAUSE_AFTER_ERROR", 0.01)
    proxy.cut()
    with caplog.at_level(logging.INFO, logger="sanfu.scheduler"):
        for _ in range(5):
            scheduler.tick(engine, "sched-1")
        proxy.restore()
        scheduler.tick(engine, "sched-1")
    messages = [r.getMessage() for r in caplog.records if r.name == "sanfu.scheduler"]
    assert sum("database unavailable" in m for m in messages) == 1
    assert sum("database reachable again" in m for m in messages) == 1
    assert not any(r.exc_info for r in caplog.records)
