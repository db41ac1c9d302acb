"""Fixtures for the web application's test-client tests.

A small province (tests/helpers/province.py) with passwords for a few users and the
bureaus' models is built once per session into a SQLite file (`prepare_database`,
tests/helpers/web.py); each test gets its own copy, and an app (`create_app`) over it.
"""
from __future__ import annotations

import json
import shutil

import pytest

from engine.service import Engine
from tests.helpers.paths import FORMS
from tests.helpers.web import PASSWORD, csrf_token, prepare_database


@pytest.fixture(scope="session")
def province_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("web-template") / "sanfu.db"
    ids = prepare_database(path)
    return path, ids


@pytest.fixture
def ids(province_template):
    return province_template[1]


@pytest.fixture
def app(province_template, tmp_path):
    from web import create_app
    path = tmp_path / "sanfu.db"
    shutil.copyfile(province_template[0], path)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{path}",
                      "FORMS_DIR": str(FORMS)})
    yield app
    app.extensions["sanfu"].db.dispose()


@pytest.fixture
def sanfu(app) -> Engine:
    """The app's Engine, for arranging state and checking what was saved."""
    return app.extensions["sanfu"]


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, name: str, password: str = PASSWORD):
        token = csrf_token(self._client, "/login")
        return self._client.post("/login", data={"name": name, "password": password, "csrf_token": token})

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": csrf_token(self._client)})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def post(client):
    """POST a form with the page's CSRF token."""
    def _post(path: str, data: dict | None = None, **kwargs):
        return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)
    return _post


@pytest.fixture
def service(sanfu, ids):
    """An enterprise_service instance for the 西湖 enterprise, started by its liaison."""
    return sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]


@pytest.fixture
def api(client, sanfu):
    """Call the API as a user, with a token the Engine created for them."""
    tokens: dict[str, str] = {}

    def call(method: str, path: str, user: str | None = None, body=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user is not None:
            if user not in tokens:   # one token per user (a setdefault would make one per call)
                tokens[user] = sanfu.create_api_token(user, "tests")
            headers["Authorization"] = f"Bearer {tokens[user]}"
        if body is not None:
            kwargs["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)
    return call


@pytest.fixture
def designer(sanfu, auth):
    """A process designer (流程设计员), signed in: the workbench's, editors' and scenarios' tests."""
    sanfu.add_user("designer1", roles=("designer",), display_name="流程设计员")
    sanfu.set_password("designer1", PASSWORD, actor="root")
    auth.login("designer1")
    return "designer1"
