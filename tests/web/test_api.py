"""The JSON API at /api/v1: bearer tokens, the task lifecycle, errors as JSON with their
statuses, other counties kept out, and an OpenAPI document that matches the routes and
the responses."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest

from tests.helpers.api import RECTIFIED, error_of
from tests.helpers.forms import VISIT
from tests.helpers.web import only_task, to_rectification


# tokens ----------------------------------------------------------------------------------
def test_no_invalid_or_revoked_token_is_a_401(client, sanfu, service):
    error_of(client.get("/api/v1/inbox"), 401)
    assert client.get("/api/v1/inbox").headers["WWW-Authenticate"].startswith("Bearer")
    error_of(client.get("/api/v1/inbox", headers={"Authorization": "Bearer sanfu_nope"}), 401)
    error_of(client.get("/api/v1/inbox", headers={"Authorization": "Basic eDp5"}), 401)
    secret = sanfu.create_api_token("xh_liaison", "ci")
    ok = client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200 and "Set-Cookie" not in ok.headers                 # no session cookie
    [token] = sanfu.api_tokens("xh_liaison")
    assert token["prefix"] == secret[:8] and token["last_used_at"] and secret not in json.dumps(token)
    sanfu.revoke_api_token("xh_liaison", token["id"])
    error_of(client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_a_disabled_users_token_is_a_401(client, sanfu):
    secret = sanfu.create_api_token("xh_water1", "ci")
    sanfu.set_active("xh_water1", False, actor="root")
    error_of(client.get("/api/v1/inbox", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_the_session_cookie_does_not_authenticate_the_api(client, auth):
    auth.login("xh_liaison")
    error_of(client.get("/api/v1/inbox"), 401)


def test_only_a_hash_of_the_secret_is_stored(sanfu):
    from engine.admin.api_tokens import hash_token
    from engine.store.tables import ApiToken
    secret = sanfu.create_api_token("xh_liaison", "ci")
    assert re.fullmatch(r"sanfu_[A-Za-z0-9_-]{43}", secret)
    with sanfu.uow(write=False) as uow:
        row = uow.session.query(ApiToken).one()
        assert row.token_hash == hash_token(secret) and secret not in (row.token_hash, row.prefix, row.name)


# the task lifecycle --------------------------------------------------------------------------
def test_inbox_task_and_complete(api, sanfu, service):
    page = api("GET", "/inbox?view=todo", "xh_liaison").get_json()
    assert page["total"] == 1 and page["rows"][0]["name"] == "记录走访" and page["counts"]["todo"] == 1
    task_id = page["rows"][0]["id"]
    view = api("GET", f"/tasks/{task_id}", "xh_liaison").get_json()
    assert view["task"]["id"] == task_id and view["can_complete"] and view["form"]["type"] == "object"
    done = api("POST", f"/tasks/{task_id}/complete", "xh_liaison", {"data": VISIT})
    assert done.status_code == 200 and done.get_json()["instance_id"] == service
    assert done.get_json()["status"] == "running"
    assert api("GET", "/inbox?view=done", "xh_liaison").get_json()["total"] == 1
    shown = api("GET", f"/instances/{service}", "xh_liaison").get_json()
    whole = json.loads(json.dumps(sanfu.show(service, "xh_liaison"), default=str))
    assert shown.pop("history_page") == {"page": 1, "pages": 1, "per_page": 50, "total": len(whole["history"])}
    assert shown == whole


def test_claim_then_claim_again_by_a_colleague_is_a_409(api, sanfu, service):
    water = to_rectification(sanfu)
    claimable = api("GET", "/inbox?view=claimable", "xh_water1").get_json()
    assert [r["id"] for r in claimable["rows"]] == [water["id"]]
    claimed = api("POST", f"/tasks/{water['id']}/claim", "xh_water1")
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "xh_water1"
    error = error_of(api("POST", f"/tasks/{water['id']}/claim", "xh_water2"), 409)
    assert "xh_water1" in error["message"]
    done = api("POST", f"/tasks/{water['id']}/complete", "xh_water1", {"data": RECTIFIED})
    assert done.status_code == 200 and only_task(sanfu, "xh_water_head")["name"] == "科长审核"
    error_of(api("POST", f"/tasks/{water['id']}/claim", "xh_water1"), 409)       # completed


def test_release_and_transfer(api, sanfu, service):
    water = to_rectification(sanfu)
    api("POST", f"/tasks/{water['id']}/claim", "xh_water1")
    assert error_of(api("POST", f"/tasks/{water['id']}/release", "xh_water1", {}), 422)["fields"] == \
        {"reason": "必填 (required)"}
    released = api("POST", f"/tasks/{water['id']}/release", "xh_water1", {"reason": "另有任务"})
    assert released.status_code == 200 and released.get_json()["assignee"] is None
    api("POST", f"/tasks/{water['id']}/claim", "xh_water1")
    moved = api("POST", f"/tasks/{water['id']}/transfer", "xh_water1", {"reason": "归大气科", "to_section": "air"})
    assert moved.status_code == 200 and moved.get_json()["assignee"] is None


# errors -------------------------------------------------------------------------------------
def test_invalid_data_is_a_422_with_a_message_per_field(api, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    error = error_of(api("POST", f"/tasks/{task['id']}/complete", "xh_liaison",
                         {"data": {"mode": "走访", "needs": "无"}}), 422)
    assert error["fields"]["visit_date"] == "走访日期：必填" and "members" in error["fields"]
    assert "needs" not in error["fields"]
    assert error_of(api("POST", f"/tasks/{task['id']}/complete", "xh_liaison", {"data": [1]}), 422)["fields"]
    assert only_task(sanfu, "xh_liaison")["id"] == task["id"]                         # nothing saved


def test_bad_json_bad_queries_and_too_large_bodies(api, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    assert "body" in error_of(api("POST", f"/tasks/{task['id']}/complete", "xh_liaison", "{not json"), 422)["fields"]
    assert "body" in error_of(api("POST", f"/tasks/{task['id']}/complete", "xh_liaison", "[1, 2]"), 422)["fields"]
    assert "view" in error_of(api("GET", "/inbox?view=everything", "xh_liaison"), 422)["fields"]
    assert "per_page" in error_of(api("GET", "/inbox?per_page=1000", "xh_liaison"), 422)["fields"]
    big = {"data": {"needs": "很" * (3 * 1024 * 1024)}}
    error_of(api("POST", f"/tasks/{task['id']}/complete", "xh_liaison", big), 413)
    error_of(api("GET", "/tasks/no-such-task", "xh_liaison"), 404)
    error_of(api("GET", "/instances/99999", "xh_liaison"), 404)
    error_of(api("GET", "/nowhere", "xh_liaison"), 404)


def test_another_countys_user_gets_403_or_404_and_changes_nothing(api, sanfu, ids, service):
    water = to_rectification(sanfu)
    for method, path, body in (("GET", f"/tasks/{water['id']}", None),
                               ("POST", f"/tasks/{water['id']}/claim", None),
                               ("POST", f"/tasks/{water['id']}/complete", {"data": RECTIFIED}),
                               ("POST", f"/tasks/{water['id']}/release", {"reason": "x"}),
                               ("POST", f"/tasks/{water['id']}/transfer", {"reason": "x", "to_section": "air"}),
                               ("GET", f"/instances/{service}", None),
                               ("GET", f"/enterprises/{ids['enterprise_id']}/ledger", None)):
        response = api(method, path, "bj_water1", body)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "西湖印染" not in response.get_data(as_text=True)
    assert only_task(sanfu, "xh_water1")["assignee"] is None
    ledger = api("GET", f"/enterprises/{ids['enterprise_id']}/ledger", "xh_water1")
    assert ledger.status_code == 200 and ledger.get_json()[0]["category"] == "水"


# the OpenAPI document -----------------------------------------------------------------------
def _documented(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_openapi_lists_every_route_under_api_v1(client, app):
    response = client.get("/api/v1/openapi.json")                                  # no token needed
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1") and doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    listed = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert listed == _documented(app) and len(listed) == 39  # 20 + 催办, 延期申请, its list and decision + 6 督办单 + 2 加签 + 3 发起/撤回
    # + 3 for designers' tools, + 1 upload for a start's attachments
    assert {"Task", "Instance", "Error", "InboxPage"} <= set(doc["components"]["schemas"])
    jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})


def _validator(doc: dict, name: str):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"],
              "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_responses_match_their_openapi_schemas(client, api, sanfu, ids, service):
    doc = client.get("/api/v1/openapi.json").get_json()
    water = to_rectification(sanfu)
    checks = {"InboxPage": api("GET", "/inbox?view=claimable", "xh_water1"),
              "TaskView": api("GET", f"/tasks/{water['id']}", "xh_water1"),
              "Task": api("POST", f"/tasks/{water['id']}/claim", "xh_water1"),
              "CompleteResult": api("POST", f"/tasks/{water['id']}/complete", "xh_water1", {"data": RECTIFIED}),
              "Instance": api("GET", f"/instances/{service}", "xh_liaison"),
              "Error": api("POST", f"/tasks/{water['id']}/claim", "xh_water2")}
    for name, response in checks.items():
        assert response.status_code in (200, 409), (name, response.get_data(as_text=True))
        _validator(doc, name).validate(response.get_json())
    checks = {"EnterprisePage": api("GET", "/enterprises?q=西湖", "xh_liaison"),
              "Enterprise": api("GET", f"/enterprises/{ids['enterprise_id']}", "xh_liaison")}
    for name, response in checks.items():
        assert response.status_code == 200, (name, response.get_data(as_text=True))
        _validator(doc, name).validate(response.get_json())
    for matter in api("GET", f"/enterprises/{ids['enterprise_id']}/ledger", "xh_water1").get_json():
        _validator(doc, "LedgerMatter").validate(matter)
    with pytest.raises(jsonschema.ValidationError):
        _validator(doc, "Task").validate({"id": 1})


def test_enterprises_list_filters_and_scope(api, ids):
    page = api("GET", "/enterprises?per_page=100", "xh_liaison").get_json()
    names = {row["name"] for row in page["rows"]}
    assert page["total"] == len(page["rows"]) >= 1 and any("西湖" in n for n in names)
    other = api("GET", "/enterprises?per_page=100", "bj_water1").get_json()
    assert not names & {row["name"] for row in other["rows"]}                 # each county its own
    assert api("GET", "/enterprises?q=no-such-enterprise", "xh_liaison").get_json()["total"] == 0
    error_of(api("GET", "/enterprises?per_page=1000", "xh_liaison"), 422)
    detail = api("GET", f"/enterprises/{ids['enterprise_id']}", "xh_liaison").get_json()
    assert detail["enterprise"]["id"] == ids["enterprise_id"]
    assert error_of(api("GET", f"/enterprises/{ids['enterprise_id']}", "bj_water1"), 403)["message"]
    error_of(api("GET", "/enterprises/999999", "xh_liaison"), 404)
