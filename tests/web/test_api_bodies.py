"""JSON request bodies under /api/v1 are checked against the operation's schema in the OpenAPI
document before the view runs (web/api_bodies.py): a wrong type, a missing field, text past its
column, a value outside an enum, a field the operation does not take, a body that is not a JSON
object — 422 in the error envelope naming the field (dotted path), and nothing saved. A form's
`data` stays free-form here: the process's form checks it in the engine, in Chinese."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select, table

from tests.helpers.api import error_of
from tests.helpers.web import to_rectification
from web.api_bodies import body_validator
from web.openapi import document


def row_counts(sanfu) -> dict[str, int]:
    """Every table's row count: a refused body must leave them all as they were."""
    with sanfu.uow(write=False) as uow:
        names = inspect(uow.session.connection()).get_table_names()
        return {name: uow.session.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names}


@pytest.fixture
def api(client, sanfu):
    """Call the API as a user with one token per user, made on first use (the shared `api` fixture
    makes one per call, which a row count would see)."""
    tokens: dict[str, str] = {}

    def call(method: str, path: str, user: str, body=None):
        if user not in tokens:
            tokens[user] = sanfu.create_api_token(user, "tests")
        data = body if isinstance(body, str) or body is None else json.dumps(body)
        return client.open(f"/api/v1{path}", method=method, data=data, content_type="application/json",
                           headers={"Authorization": f"Bearer {tokens[user]}"})
    return call


@pytest.fixture
def held(sanfu, service) -> dict:
    """The 西湖 water matter's 整改 task, claimed by xh_water1."""
    task = to_rectification(sanfu)
    sanfu.claim(task["id"], "xh_water1")
    return task


def refused(api, sanfu, method: str, path: str, user: str, body) -> dict[str, str]:
    """The 422's fields for `body`; the database is left as it was."""
    api("GET", "/inbox", user)  # the user's token made (and its creation audited) before counting
    before = row_counts(sanfu)
    fields = error_of(api(method, path, user, body), 422)["fields"]
    assert row_counts(sanfu) == before, path
    return fields


def test_bad_bodies_for_a_task_are_refused_naming_the_field_and_nothing_is_saved(api, sanfu, held):
    task = f"/tasks/{held['id']}"
    assert refused(api, sanfu, "POST", f"{task}/release", "xh_water1", {"reason": 42}) == \
        {"reason": "必须是文本 (a string)"}
    assert refused(api, sanfu, "POST", f"{task}/release", "xh_water1", {"reason": "久" * 2001}) == \
        {"reason": "不能超过 2000 个字 (at most 2000 characters)"}
    assert refused(api, sanfu, "POST", f"{task}/transfer", "xh_water1", {"to_section": "air"}) == \
        {"reason": "必填 (required)"}
    assert refused(api, sanfu, "POST", f"{task}/comments", "xh_water1", {"body": "好", "author": "hz_super"}) == \
        {"author": "接口不接受这个字段 (not a field this operation takes)"}
    copied = refused(api, sanfu, "POST", f"{task}/copy", "xh_water1", {"to_users": ["xh_air1", "长" * 65]})
    assert copied == {"to_users.1": "不能超过 64 个字 (at most 64 characters)"}
    assert "to_users" in refused(api, sanfu, "POST", f"{task}/copy", "xh_water1", {"to_users": []})
    assert refused(api, sanfu, "POST", f"{task}/extension", "xh_water1",
                   {"new_due_date": "2026/12/31", "reason": "设备未到"}) == \
        {"new_due_date": "日期格式应为 2026-12-31 (a date: YYYY-MM-DD)"}
    assert refused(api, sanfu, "POST", f"{task}/cosign", "xh_water1", {"to_user": "xh_water2", "mode": "sideways"}) \
        == {"mode": "必须是 before、after 之一 (not one of the allowed values)"}
    assert refused(api, sanfu, "POST", f"{task}/urge", "hz_super", {"message": ""}) == \
        {"message": "不能为空 (must not be empty)"}
    several = refused(api, sanfu, "POST", f"{task}/delegate", "xh_water1", {"note": ["a"], "to": "xh_water2"})
    assert set(several) == {"to_user", "note", "to"}                             # every problem, each field once


def test_a_body_that_is_not_a_json_object_is_a_422(api, sanfu, held):
    complete = f"/tasks/{held['id']}/complete"
    assert refused(api, sanfu, "POST", complete, "xh_water1", "{not json") == {"body": "不是合法的 JSON (not valid JSON)"}
    assert refused(api, sanfu, "POST", complete, "xh_water1", "[1, 2]") == {"body": "必须是 JSON 对象 (an object)"}
    assert refused(api, sanfu, "POST", complete, "xh_water1", {"data": "measures"}) == \
        {"data": "必须是 JSON 对象 (an object)"}
    assert refused(api, sanfu, "PUT", f"/tasks/{held['id']}/draft", "xh_water1", {"data": {}, "version": 3}) == \
        {"version": "接口不接受这个字段 (not a field this operation takes)"}


def test_bodies_of_records_cosigns_starts_and_withdrawals(api, sanfu, ids, held):
    assert refused(api, sanfu, "POST", "/processes/complaint_12369/start", "xh_liaison", {"data": [1]}) == \
        {"data": "必须是 JSON 对象 (an object)"}
    withdrawable = sanfu.start("complaint_12369", "xh_liaison", {})["id"]
    assert refused(api, sanfu, "POST", f"/instances/{withdrawable}/withdraw", "xh_liaison", {}) == \
        {"reason": "必填 (required)"}
    listed = api("POST", f"/tasks/{held['id']}/supervision", "hz_super", {"note": "重点督办"}).get_json()
    assert refused(api, sanfu, "POST", f"/supervision/records/{listed['id']}/deadline", "hz_super",
                   {"deadline": "2026-12-31T17:00:00+08:00, or a little later"}) == \
        {"deadline": "不能超过 40 个字 (at most 40 characters)"}
    assert refused(api, sanfu, "POST", f"/supervision/records/{listed['id']}/verify", "hz_super",
                   {"approve": "yes"}) == {"approve": "必须是 true 或 false (a boolean)"}
    assert refused(api, sanfu, "POST", "/cosigns/1/sign", "xh_water1", {"agree": True, "opinion": 7}) == \
        {"opinion": "必须是文本 (a string) 或 null"}


def test_a_nul_in_a_body_sent_without_a_json_content_type_is_refused_too(client, sanfu, held):
    token = sanfu.create_api_token("xh_water1", "tests")
    before = row_counts(sanfu)
    response = client.post(f"/api/v1/tasks/{held['id']}/comments", data='{"body": "a\\u0000b"}',
                           content_type="text/plain", headers={"Authorization": f"Bearer {token}"})
    assert error_of(response, 422)["fields"] == {"body": "不能含有空字符 (must not contain a NUL character)"}
    assert row_counts(sanfu) == before


def test_the_form_data_stays_free_form_here_and_the_engine_names_its_fields_in_chinese(api, sanfu, held):
    api("GET", "/inbox", "xh_water1")
    before = row_counts(sanfu)
    error = error_of(api("POST", f"/tasks/{held['id']}/complete", "xh_water1", {"data": {"not_a_field": 1}}), 422)
    assert error["code"] == "form_invalid" and any("：" in why for why in error["fields"].values())
    assert row_counts(sanfu) == before


def test_optional_texts_may_be_null_or_empty_as_the_views_read_them(api, sanfu, held):
    delegated = api("POST", f"/tasks/{held['id']}/delegate", "xh_water1", {"to_user": "xh_water2", "note": None})
    assert delegated.status_code == 200, delegated.get_data(as_text=True)
    resolved = api("POST", f"/tasks/{held['id']}/resolve", "xh_water2", {"data": {}, "comment": ""})
    assert resolved.status_code == 200, resolved.get_data(as_text=True)


def test_a_missing_token_is_a_401_before_the_body_is_looked_at(client, held):
    response = client.post(f"/api/v1/tasks/{held['id']}/release", data="{not json", content_type="application/json")
    error_of(response, 401)


def test_every_json_request_body_is_closed_and_every_text_has_its_length():
    """The document is what is enforced: no body takes undocumented fields, and no text is unbounded
    (a form's `data` excepted: the process's form schema bounds it)."""
    doc = document()
    checked = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            name = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            schema = doc["components"]["schemas"][name]
            assert schema.get("additionalProperties") is False, name
            for field, rule in schema["properties"].items():
                rule = rule.get("items", rule) if rule.get("type") == "array" else rule
                if "string" in rule.get("type", ()):
                    assert "maxLength" in rule or "enum" in rule, (name, field)
            assert body_validator(path, method.upper()) is not None
            checked += 1
    assert checked >= 20


def test_each_operations_validator_is_compiled_once(api, sanfu, held):
    body_validator.cache_clear()
    for _ in range(3):
        api("POST", f"/tasks/{held['id']}/comments", "xh_water1", {"body": ""})
    info = body_validator.cache_info()
    assert info.misses == 1 and info.hits == 2


def test_every_view_that_reads_a_json_body_has_it_documented(app):
    """A new endpoint reading `_body()` without a requestBody in the document would skip the check."""
    import inspect as source

    from web.input_guard import _ARG
    documented = document()["paths"]
    readers = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        reads_body = "_body()" in source.getsource(app.view_functions[rule.endpoint])
        for method in rule.methods - {"HEAD", "OPTIONS", "GET"}:
            operation = documented[_ARG.sub(r"{\1}", rule.rule)][method.lower()]
            if reads_body:
                assert "application/json" in operation.get("requestBody", {}).get("content", {}), rule.rule
                readers += 1
    assert readers >= 20
