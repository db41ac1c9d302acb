"""Sign-in, sign-out, throttling, CSRF, sessions and app settings."""
from __future__ import annotations

import os
import stat
import time

from tests.helpers.web import PASSWORD, csrf_token, text_of


def test_the_login_page_is_chinese_with_a_csrf_token_and_fits_a_phone(client):
    page = client.get("/login")
    body = text_of(page)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in body and "用户名" in body and "密码" in body and "登录" in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert 'name="csrf_token"' in body
    assert page.headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_anonymous_users_are_sent_to_the_login_page(client):
    for path in ("/", "/?view=done", "/tasks/00000000-0000-0000-0000-000000000000"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")
    assert "请先登录" in text_of(client.get("/", follow_redirects=True))


def test_login_opens_the_inbox_with_secure_session_cookie_settings(client, auth):
    response = auth.login("xh_liaison")
    assert response.status_code == 302 and response.location == "/"
    cookie = response.headers.getlist("Set-Cookie")[-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    inbox = text_of(client.get("/"))
    assert "西湖 联络员" in inbox and "待办" in inbox


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client, auth):
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/%3Fview%3Ddone", data={"name": "xh_liaison", "password": PASSWORD,
                                                                "csrf_token": token})
    assert response.location == "/?view=done"
    auth.logout()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        token = csrf_token(client, "/login")
        response = client.post(f"/login?next={target}", data={"name": "xh_liaison", "password": PASSWORD,
                                                               "csrf_token": token})
        assert response.location == "/", target
        auth.logout()


def test_a_wrong_password_or_unknown_user_gets_one_chinese_message(client, auth):
    for name, password in (("xh_liaison", "wrong-password-1"), ("nobody", PASSWORD)):
        response = auth.login(name, password)
        body = text_of(response)
        assert response.status_code == 401
        assert "用户名或密码错误" in body and "wrong user name" not in body
    assert client.get("/").status_code == 302  # still signed out


def test_an_empty_form_asks_for_the_name_and_password(client):
    response = client.post("/login", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 401 and "请填写用户名" in text_of(response)


def test_repeated_failures_lock_the_account_for_a_while(client, auth):
    for _ in range(5):
        assert "用户名或密码错误" in text_of(auth.login("xh_water1", "not-the-password-9"))
    response = auth.login("xh_water1", PASSWORD)  # even the right password, for now
    assert response.status_code == 401 and "登录失败次数过多" in text_of(response)


def test_a_post_without_csrf_token_is_refused_with_a_chinese_page(client, auth):
    response = client.post("/login", data={"name": "xh_liaison", "password": PASSWORD})
    body = text_of(response)
    assert response.status_code == 400 and "安全令牌" in body and "Traceback" not in body
    auth.login("xh_liaison")
    for path in ("/logout", "/tasks/00000000-0000-0000-0000-000000000000/claim", "/lang"):
        response = client.post(path, data={})
        assert response.status_code == 400 and "请刷新页面" in text_of(response), path
    assert client.get("/").status_code == 200  # the refused logout did not sign out


def test_logout_ends_the_session_and_needs_a_post(client, auth):
    auth.login("xh_liaison")
    response = client.get("/logout")
    assert response.status_code == 405 and "不支持的操作" in text_of(response)
    response = auth.logout()
    assert response.status_code == 302 and response.location == "/login"
    assert "已退出登录" in text_of(client.get("/login"))
    assert client.get("/").status_code == 302


def test_signing_out_ends_every_session_of_the_account_even_a_copied_cookie(app, client, auth):
    auth.login("xh_liaison")
    stolen = app.test_client()
    stolen.set_cookie("sanfu_session", client.get_cookie("sanfu_session").value)
    assert stolen.get("/").status_code == 200                  # the copied cookie works …
    auth.logout()
    response = stolen.get("/")                                 # … until the owner signs out
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_password_reset_signs_the_account_out_everywhere(client, auth, sanfu):
    auth.login("xh_water2")
    assert client.get("/").status_code == 200
    sanfu.set_password("xh_water2", "Another2026pass", actor="xh_water2")
    assert client.get("/").status_code == 302
    assert auth.login("xh_water2", "Another2026pass").status_code == 302 and client.get("/").status_code == 200


def test_a_session_idle_for_more_than_30_minutes_has_expired(app, client, auth, monkeypatch):
    assert app.permanent_session_lifetime.total_seconds() == 30 * 60
    auth.login("xh_liaison")
    assert client.get("/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 29 * 60)
    assert client.get("/").status_code == 200  # activity refreshes the session …
    monkeypatch.setattr(time, "time", lambda: real() + 29 * 60 + 31 * 60)
    response = client.get("/")                 # … and 31 idle minutes end it
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_disabled_account_loses_its_session(app, client, auth, sanfu):
    from sqlalchemy import update

    from engine.store.tables import User
    auth.login("xh_water2")
    assert client.get("/").status_code == 200
    with sanfu.uow() as uow:  # no disable command yet: as the admin pages will do
        uow.session.execute(update(User).where(User.name == "xh_water2").values(active=False))
    assert client.get("/").status_code == 302


def test_the_language_can_be_switched_to_english(client, auth):
    auth.login("xh_liaison")
    response = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.location == "/"
    body = text_of(client.get("/"))
    assert '<html lang="en">' in body and "My tasks" in body and "Sign out" in body and "Section queue" in body
    client.post("/lang", data={"lang": "zh_CN", "csrf_token": csrf_token(client)})
    assert "我的待办" in text_of(client.get("/"))


def test_english_messages_come_from_the_engine_message(client):
    token = csrf_token(client, "/login")
    client.post("/lang", data={"lang": "en", "csrf_token": token})
    body = text_of(client.post("/login", data={"name": "nobody", "password": "x1234567890",
                                               "csrf_token": csrf_token(client, "/login")}))
    assert "wrong user name or password" in body


def test_the_english_catalogue_is_compiled_from_its_po_file():
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po
    folder = Path(__file__).resolve().parents[2] / "web" / "translations" / "en" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as po, open(folder / "messages.mo", "rb") as mo:
        source, compiled = read_po(po), read_mo(mo)
    assert {m.id: m.string for m in source if m.id} == {m.id: m.string for m in compiled if m.id}


def test_outside_testing_cookies_are_secure_and_the_secret_is_generated_once(tmp_path, monkeypatch):
    from web import create_app
    monkeypatch.setenv("SANFU_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SANFU_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.delenv("SANFU_SECRET_KEY", raising=False)
    monkeypatch.delenv("SANFU_SESSION_COOKIE_SECURE", raising=False)
    app = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert app.secret_key == key_file.read_text() and len(app.secret_key) >= 64
    assert create_app().secret_key == app.secret_key
    monkeypatch.setenv("SANFU_SECRET_KEY", "from-the-environment")
    assert create_app().secret_key == "from-the-environment"
