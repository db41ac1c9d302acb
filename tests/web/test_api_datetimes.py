"""Dates and date-times in the API's JSON are ISO 8601 (web/json_provider.py): every operation a
role may call in the authorization matrix's world (tests/web/authz_world.py) is called, and in every
answer each date-time parses with `datetime.fromisoformat` and carries its offset, nothing is in
Flask's default RFC 822 (`Fri, 04 Dec 2026 …`), every date-time the document describes is declared
`format: date-time` there, and the answer validates against the document with formats checked."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import jsonschema_rs
import pytest
from flask import json

from tests.web.authz_table import OK, PUBLIC, ROUTES
from tests.web.authz_world import ROLES, build_world
from tests.web.test_authorization_matrix import Site
from web.json_provider import iso_default
from web.openapi import document

RFC_822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}")
ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
SKIPPED = {"api.openapi", "api.download"}  # the document itself; a file's bytes
TIMED = {"api.inbox", "api.task", "api.instance", "api.ledger", "api.enterprise", "api.claim", "api.definitions"}


def _allowed_role(route) -> str | None:
    return next((role for role, outcome in route.expected.items() if outcome in (OK, PUBLIC) and ROLES[role]), None)


API_ROUTES = [pytest.param(route, id=route.key) for route in ROUTES
              if route.is_api and route.endpoint not in SKIPPED and _allowed_role(route)]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("datetimes-world")
    return {"folder": folder, "ids": build_world(folder / "world.db", folder / "files")}


@pytest.fixture(scope="module")
def reader(world, tmp_path_factory):
    """One app over a copy of the world for every GET (they change nothing)."""
    site = Site(world, tmp_path_factory.mktemp("datetimes-reads"))
    yield site
    site.close()


def _answer(route, world, reader, tmp_path):
    role = _allowed_role(route)
    if route.method == "GET":
        return reader.call(route, role, {"cookie": None})
    site = Site(world, tmp_path)  # each change on its own copy, as the matrix does
    try:
        return site.call(route, role, {"cookie": None})
    finally:
        site.close()


@pytest.mark.parametrize("route", API_ROUTES)
def test_every_answer_has_iso_date_times_with_an_offset_declared_in_the_document(route, world, reader, tmp_path):
    response = _answer(route, world, reader, tmp_path)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    times = 0
    for path, text in _strings(body):
        assert not RFC_822.match(text), f"{path}: {text} (RFC 822)"
        if ISO_DATE_TIME.match(text):
            moment = datetime.fromisoformat(text)
            assert moment.utcoffset() is not None, f"{path}: {text} has no offset"
            times += 1
    if route.endpoint in TIMED:
        assert times, f"{route.key} answered no date-time to check"
    schema = _response_schema(route)
    problems = [f"{error.instance_path}: {error.message}" for error in _validator(schema).iter_errors(body)]
    assert not problems, problems[:5]
    undeclared = [path for path, text, declared in _declared(schema, body, "") if ISO_DATE_TIME.match(text)
                  and declared is not None and declared.get("format") != "date-time"]
    assert not undeclared, f"date-times the document does not declare as format: date-time: {undeclared}"


def test_the_provider_writes_iso_8601_not_rfc_822():
    moment = datetime(2026, 12, 4, 8, 20, tzinfo=UTC)
    assert iso_default(moment) == "2026-12-04T08:20:00+00:00"
    beijing = moment.astimezone(timezone(timedelta(hours=8)))
    assert iso_default(beijing) == "2026-12-04T16:20:00+08:00"
    assert datetime.fromisoformat(iso_default(beijing)) == moment
    assert iso_default(datetime(2026, 12, 4, 8, 20)) == "2026-12-04T08:20:00+00:00"  # naive: UTC, as stored
    assert iso_default(date(2026, 12, 4)) == "2026-12-04"


def test_jsonify_in_the_app_uses_it(app):
    with app.app_context():
        assert json.loads(app.json.dumps({"at": datetime(2026, 12, 4, 8, 20, tzinfo=UTC)})) == \
            {"at": "2026-12-04T08:20:00+00:00"}


# the document -------------------------------------------------------------------------------------
def _response_schema(route) -> dict:
    doc = document()
    for documented, operations in doc["paths"].items():
        if _same_shape(documented, route.url):
            ok = operations[route.method.lower()]["responses"]["200"]
            return {**ok["content"]["application/json"]["schema"], "components": doc["components"]}
    raise AssertionError(f"{route.url} is not in the document")


def _same_shape(documented: str, url: str) -> bool:
    """/api/v1/processes/{key}/start against /api/v1/processes/ledger_matter/start."""
    parts, given = documented.split("/"), url.split("/")
    return len(parts) == len(given) and all(p == g or p.startswith("{") for p, g in zip(parts, given))


def _validator(schema: dict):
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def _strings(value, path: str = ""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


def _resolved(schema: dict | None, root: dict) -> dict | None:
    """The schema with its $ref followed and its allOf merged; None where the document says nothing."""
    if schema is None:
        return None
    if "$ref" in schema:
        return _resolved(root["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]], root)
    if "allOf" in schema:
        merged: dict = {"properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update((_resolved(part, root) or {}).get("properties", {}))
        return merged
    if "anyOf" in schema:
        return next((_resolved(part, root) for part in schema["anyOf"] if part.get("type") != "null"), None)
    return schema


def _declared(schema: dict, value, path: str, root: dict | None = None):
    """(path, text, the schema the document gives that text or None) for every string in `value`."""
    root = root or schema
    schema = _resolved(schema, root)
    if isinstance(value, str):
        yield path, value, schema
    elif isinstance(value, dict):
        properties = (schema or {}).get("properties", {})
        for key, item in value.items():
            yield from _declared(properties.get(key), item, f"{path}.{key}", root) if key in properties \
                else _undeclared(item, f"{path}.{key}")
    elif isinstance(value, list):
        items = (schema or {}).get("items")
        for index, item in enumerate(value):
            yield from _declared(items, item, f"{path}.{index}", root) if items else _undeclared(item, f"{path}.{index}")


def _undeclared(value, path: str):
    for where, text in _strings(value, path):
        yield where, text, None
