"""Every route × every role: the outcome each role gets is the one tests/web/authz_table.py
specifies, and a route that is not in the table fails here by name.

How it runs (well under a minute): the world (tests/web/authz_world.py) is built once;
each role signs in once through the login form and its session cookie and CSRF token are
reused (the apps share SECRET_KEY). Per role, one app over a fresh copy of the world
answers every GET and every POST the role is refused; each refused POST must leave the
database as it was. Each POST a role is allowed runs on its own fresh copy and must
change the database.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers.paths import FORMS
from tests.helpers.web import PASSWORD
from tests.web.authz_table import FORBIDDEN, LOGIN, NOOP, NOT_FOUND, OK, PUBLIC, ROUTES, SIGNED_OUT, Route
from tests.web.authz_world import ROLES, Snapshots, build_world, changed_tables

COOKIE = "sanfu_session"
_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
# Reads the audit log records on purpose (the audit admin's views and exports).
READ_ACTIONS = frozenset({"audit_viewed", "audit_exported"})
# The outcome a response is classified as, for each expected outcome.
SEEN_AS = {OK: OK, PUBLIC: OK, NOOP: OK, LOGIN: LOGIN, SIGNED_OUT: LOGIN, FORBIDDEN: FORBIDDEN,
           NOT_FOUND: NOT_FOUND}
CHANGING = (OK, PUBLIC, SIGNED_OUT)
#: (route key, role) → why the app does not (yet) do what the table says. Strict: a case
#: listed here that passes fails the run, so the entry is removed when the bug is fixed.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


# the world, the apps, the signed-in sessions ---------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("authz-world")
    ids = build_world(folder / "world.db", folder / "files")
    return {"folder": folder, "ids": ids}


class Site:
    """The app over a fresh copy of the world's database and attachment folder."""

    def __init__(self, world: dict, folder: Path):
        from web import create_app
        shutil.copyfile(world["folder"] / "world.db", folder / "site.db")
        shutil.copytree(world["folder"] / "files", folder / "files")
        self.url = f"sqlite:///{folder / 'site.db'}"
        self.ids = world["ids"]
        self.app = create_app({"TESTING": True, "SECRET_KEY": "authz-secret", "DATABASE_URL": self.url,
                               "FORMS_DIR": str(FORMS), "ATTACHMENT_DIR": str(folder / "files")})
        self.snapshots = Snapshots(self.url, READ_ACTIONS)

    def close(self) -> None:
        self.snapshots.close()
        self.app.extensions["sanfu"].db.dispose()

    def snapshot(self) -> dict:
        return self.snapshots.take()

    def call(self, route: Route, role: str, session: dict):
        client = self.last_client = self.app.test_client()
        if session["cookie"]:
            client.set_cookie(COOKIE, session["cookie"], domain="localhost")
        url = route.url.format(**self.ids)
        if route.is_api:
            headers = {"Authorization": f"Bearer {self.ids['tokens'][role]}"} if ROLES[role] else {}
            body = fill(route.body(self.ids), self.ids) if route.body else None
            if body and any(isinstance(value, tuple) for value in body.values()):  # a file: multipart
                return client.open(url, method=route.method, headers=headers, data=body)
            return client.open(url, method=route.method, headers=headers,
                               json=body if route.method != "GET" else None)
        if route.method == "GET":
            return client.get(url)
        data = fill(route.body(self.ids), self.ids) if route.body else {}
        return client.post(url, data={**data, "csrf_token": session["csrf"]})


def fill(body: dict, ids: dict) -> dict:
    """Put the world's ids into a body's "{name}" placeholders."""
    def one(value):
        if isinstance(value, str):
            return value.format(**ids) if "{" in value else value
        if isinstance(value, list):
            return [one(v) for v in value]
        if isinstance(value, dict):
            return {k: one(v) for k, v in value.items()}
        return value
    return {key: one(value) for key, value in body.items()}


@pytest.fixture(scope="module")
def sessions(world, tmp_path_factory) -> dict:
    """Each role's session cookie and CSRF token, signed in once through the login form."""
    site = Site(world, tmp_path_factory.mktemp("authz-login"))
    out = {}
    try:
        for role, user in ROLES.items():
            client = site.app.test_client()
            page = client.get("/login").get_data(as_text=True)
            if user:
                signed = client.post("/login", data={"name": user, "password": PASSWORD,
                                                     "csrf_token": _TOKEN.search(page).group(1)})
                assert signed.status_code == 302, (user, signed.get_data(as_text=True)[:500])
                page = client.get("/").get_data(as_text=True)
            out[role] = {"cookie": client.get_cookie(COOKIE).value, "csrf": _TOKEN.search(page).group(1)}
    finally:
        site.close()
    return out


# classifying and checking a response ----------------------------------------------------------
def seen(response, route: Route) -> str:
    status = response.status_code
    if 300 <= status < 400:
        return LOGIN if urlsplit(response.headers.get("Location", "")).path == "/login" else OK
    if status == 401 and route.is_api:
        return LOGIN
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(status, OK if 200 <= status < 300 else f"HTTP {status}")


def problems_with(response, route: Route, expected: str) -> list[str]:
    """What is wrong with the response for a role expected to get `expected` (empty: right)."""
    got = seen(response, route)
    shown = f"got {got} (HTTP {response.status_code}{_where(response)}), expected {expected}"
    if got != SEEN_AS[expected]:
        return [shown]
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/json")) else ""
    if "Traceback" in body:
        return [f"a traceback reached the user: {shown}"]
    if got in (FORBIDDEN, NOT_FOUND, LOGIN) and route.is_api:
        error = (response.get_json(silent=True) or {}).get("error") or {}
        if error.get("status") != response.status_code or not error.get("message"):
            return [f"not a JSON error: {body[:200]}"]
    elif got == FORBIDDEN and "无权访问" not in body:
        return ["the 403 page does not say 无权访问"]
    elif got == NOT_FOUND and "页面不存在" not in body:
        return ["the 404 page does not say 页面不存在"]
    return []


def _where(response) -> str:
    location = response.headers.get("Location")
    return f" → {location}" if location else ""


# the tests --------------------------------------------------------------------------------
def _rules(app) -> set[str]:
    return {f"{method} {rule.endpoint}" for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_of_the_app_is_in_the_table_and_every_role_has_an_outcome(world, tmp_path):
    site = Site(world, tmp_path)
    try:
        routes = _rules(site.app)
    finally:
        site.close()
    table = [route.key for route in ROUTES]
    missing = sorted(routes - set(table))
    assert not missing, ("routes without an authorization spec — add them to tests/web/authz_table.py "
                         f"with the outcome for every role: {missing}")
    stale = sorted(set(table) - routes)
    assert not stale, f"the table names routes the app does not have: {stale}"
    assert len(table) == len(set(table)), "a route is in the table twice"
    for route in ROUTES:
        assert set(route.expected) == set(ROLES), (route.key, set(ROLES) ^ set(route.expected))


def _shared_cases(role: str) -> list[Route]:
    """The routes a role is checked on in one shared app: every GET, and the POSTs (PUTs)
    that must change nothing."""
    return [r for r in ROUTES if r.method == "GET" or r.expected[role] not in CHANGING]


@pytest.mark.parametrize("role", list(ROLES))
def test_what_each_role_may_see_and_is_refused(world, sessions, tmp_path, role):
    site = Site(world, tmp_path)
    failures, known = [], []
    try:
        for route in _shared_cases(role):
            expected = route.expected[role]
            before = site.snapshot()
            response = site.call(route, role, sessions[role])
            problems = problems_with(response, route, expected)
            changed = changed_tables(before, site.snapshot())
            if changed:
                problems.append(f"changed {changed} ({expected} must change nothing)")
            if problems:
                if (route.key, role) in KNOWN_BUGS:
                    known.append(route.key)
                else:
                    failures.append(f"{route.key} {route.url}: " + "; ".join(problems))
            elif (route.key, role) in KNOWN_BUGS:
                failures.append(f"{route.key}: listed in KNOWN_BUGS but now right — remove the entry")
    finally:
        site.close()
    assert not failures, f"{role} ({ROLES[role] or 'not signed in'}):\n  " + "\n  ".join(failures)
    if known:
        reasons = sorted({KNOWN_BUGS[(key, role)] for key in known})
        pytest.xfail(f"known bugs on {', '.join(known)}: {' | '.join(reasons)}")


def _changing_cases():
    for route in ROUTES:
        if route.method == "GET":
            continue
        for role, expected in route.expected.items():
            if expected in CHANGING:
                reason = KNOWN_BUGS.get((route.key, role))
                marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
                yield pytest.param(route, role, id=f"{route.key}-{role}", marks=marks)


@pytest.mark.parametrize(("route", "role"), list(_changing_cases()))
def test_what_each_role_may_do(world, sessions, tmp_path, route, role):
    site = Site(world, tmp_path)
    try:
        before = site.snapshot()
        response = site.call(route, role, sessions[role])
        problems = problems_with(response, route, route.expected[role])
        after = site.snapshot()
        if route.expected[role] == SIGNED_OUT:  # the browser's session no longer signs it in
            problems += problems_with(site.last_client.get("/"), Route("GET", "", "/", {}), LOGIN)
    finally:
        site.close()
    assert not problems, f"{route.key} {route.url} as {role}: {problems}"
    if route.changes:
        assert changed_tables(before, after), f"{route.key} as {role} answered {response.status_code} " \
                                              "but changed nothing"
