"""Hostile input on every page (the API has its own fuzzing in test_api_fuzz.py): each text field
of each page's form, and the usual query parameters of each page, set in turn to text far past
any column, a NUL byte, an overflowing number, a negative one, markup, full-width digits,
blanks and invisible characters — as a role the page serves. No answer is a 500 or shows a
traceback. On the authorization matrix's world (tests/web/authz_world.py): on SQLite a fresh
copy per route; on PostgreSQL (which, unlike SQLite, refuses text past its column) one world
for every route, built once."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.conftest import _fresh_postgres, _postgres_or_skip
from tests.helpers.paths import FORMS
from tests.web.authz_table import NOOP, OK, PUBLIC, ROUTES
from tests.web.authz_world import ROLES, build_world
from tests.web.test_authorization_matrix import Site, fill, sessions, world  # noqa: F401 (fixtures)

HOSTILE = ("x" * 20_000, "a\x00b", "9" * 40, "-1", "<script>alert(1)</script>", "２０２６－１３－４５",
           "   ", "\u202e\ufeff")
QUERY_NAMES = ("page", "q", "status", "view", "year", "unit", "period", "all", "sort", "per_page", "day",
               "since", "until", "kind", "who", "month", "week", "next", "section", "show")
SERVED = (OK, NOOP, PUBLIC)


def _role_served(route) -> str | None:
    return next((role for role, outcome in route.expected.items() if outcome in SERVED), None)


PAGE_POSTS = [r for r in ROUTES if not r.is_api and r.method == "POST" and r.body and _role_served(r)]
PAGE_GETS = [r for r in ROUTES if not r.is_api and r.method == "GET" and _role_served(r)]


class PostgresSite:
    """The app over one PostgreSQL world for every route (built once: state left by one route's
    accepted input is simply what the next one meets)."""

    def __init__(self, folder: Path):
        from web import create_app
        url = _postgres_or_skip()
        _fresh_postgres(url).dispose()
        self.ids = build_world(folder / "unused.db", folder / "files", url=url)
        self.app = create_app({"TESTING": True, "SECRET_KEY": "authz-secret", "DATABASE_URL": url,
                               "FORMS_DIR": str(FORMS), "ATTACHMENT_DIR": str(folder / "files")})

    def close(self) -> None:
        self.app.extensions["sanfu"].db.dispose()


@pytest.fixture(scope="module")
def postgres_site(tmp_path_factory):
    site = PostgresSite(tmp_path_factory.mktemp("fuzz-pages-pg"))
    yield site
    site.close()


@pytest.fixture(params=["sqlite", "postgres"])
def site(request, world, tmp_path):  # noqa: F811
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_site")
        return
    site = Site(world, tmp_path)
    yield site
    site.close()


def _client(site, session: dict):
    client = site.app.test_client()
    if session["cookie"]:
        client.set_cookie("sanfu_session", session["cookie"], domain="localhost")
    return client


def _check(response, what: str, signed_in: bool) -> None:
    assert response.status_code < 500, f"{what}: HTTP {response.status_code}"
    if signed_in:   # the hostile value reached the page: the session was not simply refused
        assert urlsplit(response.headers.get("Location", "")).path != "/login", what
    body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
    assert "Traceback" not in body, what


@pytest.mark.parametrize("route", PAGE_POSTS, ids=lambda r: r.key)
def test_every_text_field_of_every_page_form_takes_hostile_input_cleanly(route, site, sessions):  # noqa: F811
    role = _role_served(route)
    client = _client(site, sessions[role])
    for name in [name for name, value in route.body(site.ids).items() if isinstance(value, str)]:
        for hostile in HOSTILE:
            body = fill(route.body(site.ids), site.ids)   # afresh: an uploaded file is read once
            response = client.post(route.url.format(**site.ids),
                                   data={**body, name: hostile, "csrf_token": sessions[role]["csrf"]})
            _check(response, f"{route.key} as {role}: {name}={hostile[:20]!r}", ROLES[role] is not None)


@pytest.mark.parametrize("route", PAGE_GETS, ids=lambda r: r.key)
def test_every_page_takes_hostile_query_parameters_cleanly(route, site, sessions):  # noqa: F811
    role = _role_served(route)
    path, _, fixed = route.url.format(**site.ids).partition("?")
    client = _client(site, sessions[role])
    for hostile in HOSTILE:
        query = {**dict(parse_qsl(fixed)), **{name: hostile for name in QUERY_NAMES}}
        _check(client.get(path, query_string=query), f"{route.key} as {role}: {hostile[:20]!r}",
               ROLES[role] is not None)

