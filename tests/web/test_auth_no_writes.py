"""Checking who is asking never writes and reads one row: an API GET authenticates its
bearer token, a page GET its session, each with one SELECT, no INSERT/UPDATE/DELETE and no
write transaction (on SQLite no BEGIN IMMEDIATE, the one write lock) — on SQLite and
PostgreSQL. Nothing is cached: a revoked token, a disabled account or a bumped session epoch
is refused at the very next request."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine import clock
from engine.admin.api_tokens import LAST_USED_GRAIN
from engine.service import Engine
from tests.helpers.paths import FORMS
from tests.helpers.statements import recording
from tests.helpers.web import PASSWORD, csrf_token

T0 = clock.parse_moment("2026-05-11T09:00:00")


@pytest.fixture
def sanfu(db_engine) -> Engine:
    engine = Engine(db_engine=db_engine, forms_dir=FORMS)
    engine.add_user("root", admin=True)
    engine.add_user("alice", ["water"], display_name="王丽", roles=("designer", "section_head"))
    engine.set_password("alice", PASSWORD, actor="root")
    return engine


@pytest.fixture
def app(sanfu):
    from web import create_app
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ENGINE": sanfu, "FORMS_DIR": str(FORMS)})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def recorder(app, sanfu, monkeypatch):
    """Every statement of the app's database; those of the token check and of the session
    check are told apart (phases "token" and "session")."""
    from web.auth import login_manager
    with recording(sanfu.db) as rec:
        monkeypatch.setattr(sanfu, "authenticate_token", rec.wrap(sanfu.authenticate_token, "token"))
        monkeypatch.setattr(login_manager, "_user_callback", rec.wrap(login_manager._user_callback, "session"))
        yield rec


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def sign_in(client, name: str = "alice"):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)


def assert_one_read(statements) -> None:
    sent = [s for s in statements if s.verb != "BEGIN"]  # SQLite's deferred BEGIN: no lock
    assert [s.verb for s in sent] == ["SELECT"], [s.sql for s in statements]
    assert not any(s.writes for s in statements), [s.sql for s in statements]


def test_an_api_get_authenticates_with_one_select_and_writes_nothing(client, sanfu, recorder):
    secret = sanfu.create_api_token("alice", "bench")
    with clock.frozen_at(T0):
        assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 200  # first use: recorded
    recorder.clear()
    with clock.frozen_at(T0 + LAST_USED_GRAIN - timedelta(seconds=1)):
        response = client.get("/api/v1/inbox", headers=bearer(secret))
    assert response.status_code == 200
    assert_one_read(recorder.during("token"))
    assert recorder.writes() == []  # the whole GET: no write, no write transaction


def test_the_last_used_time_is_written_once_per_grain_outside_the_request_read(client, sanfu, recorder):
    secret = sanfu.create_api_token("alice", "bench")
    with clock.frozen_at(T0):
        client.get("/api/v1/inbox", headers=bearer(secret))
    [token] = sanfu.api_tokens("alice")
    assert token["last_used_at"] == T0.isoformat()
    recorder.clear()
    for minutes in (1, 5, 14):
        with clock.frozen_at(T0 + timedelta(minutes=minutes)):
            assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 200
    assert recorder.writes() == []
    assert sanfu.api_tokens("alice")[0]["last_used_at"] == T0.isoformat()  # coarse: not moved
    later = T0 + LAST_USED_GRAIN + timedelta(minutes=1)
    recorder.clear()
    with clock.frozen_at(later):
        client.get("/api/v1/inbox", headers=bearer(secret))
    token_statements = recorder.during("token")
    read = [s for s in token_statements if s.verb == "SELECT"]
    updates = [s for s in token_statements if s.verb == "UPDATE"]
    assert len(read) == 1 and not read[0].write_transaction  # the read is still a plain read...
    assert len(updates) == 1 and updates[0].write_transaction  # ...the touch its own short transaction
    assert sanfu.api_tokens("alice")[0]["last_used_at"] == later.isoformat()


def test_a_page_get_checks_the_session_with_one_select_and_writes_nothing(client, recorder):
    sign_in(client)
    client.get("/notifications/")
    recorder.clear()
    response = client.get("/notifications/")
    assert response.status_code == 200 and "王丽" in response.get_data(as_text=True)
    assert_one_read(recorder.during("session"))
    assert recorder.writes() == []


def test_the_one_row_still_carries_every_role(client, recorder):
    sign_in(client)
    recorder.clear()
    body = client.get("/notifications/").get_data(as_text=True)
    assert 'href="/designer/"' in body and 'href="/filings/"' in body  # 流程设计 and 备案: two roles
    assert 'href="/admin/' not in body
    assert_one_read(recorder.during("session"))


def test_a_revoked_token_is_refused_at_the_next_request(client, sanfu):
    secret = sanfu.create_api_token("alice", "bench")
    assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 200
    [token] = sanfu.api_tokens("alice")
    sanfu.revoke_api_token("alice", token["id"])
    assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 401


def test_a_disabled_account_is_refused_at_once_by_token_and_by_session(client, app, sanfu):
    secret = sanfu.create_api_token("alice", "bench")
    sign_in(client)
    assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 200
    assert client.get("/notifications/").status_code == 200
    sanfu.set_active("alice", False, actor="root")
    assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 401
    assert client.get("/notifications/").status_code == 302  # to the sign-in page
    sanfu.set_active("alice", True, actor="root")
    assert client.get("/api/v1/inbox", headers=bearer(secret)).status_code == 200  # the token is not revoked


def test_a_bumped_session_epoch_ends_a_copied_session_at_once(app, sanfu):
    browser, copy = app.test_client(), app.test_client()
    sign_in(browser)
    name = app.config["SESSION_COOKIE_NAME"]
    copy.set_cookie(name, browser.get_cookie(name).value)
    assert copy.get("/notifications/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/notifications/")})
    assert copy.get("/notifications/").status_code == 302
