"""Bad input stops at the edge with a clean 404 or 422 — never a 500 from the database
(web/converters.py, web/input_guard.py): ids past 2^31, NUL bytes anywhere in text, lengths
beyond what the OpenAPI document allows; and a 405 says which methods a URL takes."""
from __future__ import annotations

import io

import pytest

from tests.helpers.web import csrf_token

BIG = 2**31
VISIT = {"visited_on": "2026-03-02", "companions": "张三", "findings": "现场查看", "problems_found": False}


def _fields(response) -> dict:
    return response.get_json()["error"]["fields"]


@pytest.mark.parametrize("path", [f"/enterprises/{BIG}", f"/instances/{BIG}", f"/enterprises/{BIG}/ledger",
                                  f"/supervision/records/{BIG}", "/instances/0", f"/instances/{10**30}"])
def test_an_id_the_database_cannot_hold_is_a_404(api, path):
    answer = api("GET", path, "xh_liaison")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"


def test_the_largest_id_still_reaches_the_engine(api):
    answer = api("GET", f"/instances/{BIG - 1}", "xh_liaison")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] != "not_found"  # the engine's own code


def test_pages_refuse_big_ids_too(auth, client):
    auth.login("xh_liaison")
    assert client.get(f"/instances/{BIG}").status_code == 404
    assert client.get(f"/enterprises/{BIG}").status_code == 404


@pytest.mark.parametrize("query", ["q=a%00b", "task_name=a%00", "process=%00", "view=todo&due_from=2026%00"])
def test_a_nul_in_a_query_is_a_422_naming_the_field(api, query):
    answer = api("GET", f"/inbox?{query}", "xh_liaison")
    name = query.split("&")[-1].split("=")[0]
    assert answer.status_code == 422 and name in _fields(answer)


def test_a_nul_in_a_task_id_is_a_404(api):
    assert api("GET", "/tasks/a%00b", "xh_liaison").status_code == 404
    assert api("POST", "/tasks/a%00b/claim", "xh_liaison").status_code == 404


def test_a_nul_in_a_completion_saves_nothing(api, sanfu, service):
    task_id = api("GET", "/inbox", "xh_liaison").get_json()["rows"][0]["id"]
    answer = api("POST", f"/tasks/{task_id}/complete", "xh_liaison", {"data": {**VISIT, "findings": "看\u0000了"}})
    assert answer.status_code == 422 and _fields(answer) == {"data.findings": _fields(answer)["data.findings"]}
    assert sanfu.task_view(task_id, "xh_liaison")["task"]["status"] == "open"
    nested = api("POST", f"/tasks/{task_id}/complete", "xh_liaison", {"data": {"list": [{"a\u0000": 1}]}})
    assert nested.status_code == 422 and list(_fields(nested)) == ["data.list.0.a\\0"]
    comment = api("POST", f"/tasks/{task_id}/comments", "xh_liaison", {"body": "\u0000"})
    assert comment.status_code == 422 and "body" in _fields(comment)


def test_filters_longer_than_documented_are_a_422(api):
    for path, name in (("/inbox?task_name=" + "步" * 101, "task_name"), ("/enterprises?unit=" + "x" * 101, "unit"),
                       ("/inbox?q=" + "x" * 101, "q"), ("/inbox?sort=sideways", "sort")):
        answer = api("GET", path, "xh_liaison")
        assert answer.status_code == 422 and name in _fields(answer), path
    assert api("GET", "/inbox?task_name=" + "步" * 100, "xh_liaison").status_code == 200


def test_a_refused_upload_is_the_error_envelope(api, service):
    task_id = api("GET", "/inbox", "xh_liaison").get_json()["rows"][0]["id"]
    answer = api("POST", f"/tasks/{task_id}/attachments", "xh_liaison",
                 data={"file": [(io.BytesIO(b"not an image"), "a.exe"), (io.BytesIO(b"MZ"), "b.exe")]},
                 content_type="multipart/form-data")
    error = answer.get_json()["error"]
    assert answer.status_code == 422 and set(error["fields"]) == {"file.0", "file.1"}
    assert api("GET", f"/tasks/{task_id}/attachments", "xh_liaison").get_json().get("attachments", []) == []


def test_trace_is_a_405_with_allow(api, client):
    answer = api("TRACE", "/inbox", "xh_liaison")
    assert answer.status_code == 405 and "GET" in answer.headers["Allow"]
    page = client.open("/login", method="TRACE")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def test_a_page_form_with_a_nul_is_a_422_and_saves_nothing(auth, client, sanfu, service):
    auth.login("xh_liaison")
    task_id = sanfu.tasks(actor="xh_liaison")[0]["id"]
    token = csrf_token(client, f"/tasks/{task_id}")
    answer = client.post(f"/tasks/{task_id}", data={**VISIT, "findings": "a\x00b", "csrf_token": token,
                                                             "problems_found": ""})
    assert answer.status_code == 422 and "findings" in answer.get_data(as_text=True)
    assert sanfu.task_view(task_id, "xh_liaison")["task"]["status"] == "open"


def test_body_text_longer_than_its_column_is_a_422(api, service):
    task_id = api("GET", "/inbox", "xh_liaison").get_json()["rows"][0]["id"]
    api("POST", f"/tasks/{task_id}/claim", "xh_liaison")
    too_long = api("POST", f"/tasks/{task_id}/release", "xh_liaison", {"reason": "因" * 2001})
    assert too_long.status_code == 422 and "reason" in _fields(too_long)
    assert api("POST", f"/tasks/{task_id}/transfer", "xh_liaison",
               {"reason": "出差", "to_user": "u" * 65}).status_code == 422
    assert api("POST", f"/tasks/{task_id}/release", "xh_liaison", {"reason": "因" * 2000}).status_code == 200
