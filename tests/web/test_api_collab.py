"""The API does what the task page does beyond completing: 退回, 委派 and its resolution,
抄送 (and the 抄送我的 view), comments, drafts, attachments — and the inbox's filters.
Each answer matches its OpenAPI schema; refusals are JSON errors that change nothing."""
from __future__ import annotations

import io

import jsonschema

from tests.helpers.api import RECTIFIED, error_of
from tests.helpers.forms import VISIT
from tests.helpers.web import only_task, to_rectification

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 500


def validator(client, name: str):
    doc = client.get("/api/v1/openapi.json").get_json()
    return jsonschema.Draft202012Validator({"components": doc["components"],
                                            "$ref": f"#/components/schemas/{name}"})


def test_delegate_resolve_and_complete_through_the_api(api, client, sanfu, service):
    visit = only_task(sanfu, "xh_liaison")
    delegated = api("POST", f"/tasks/{visit['id']}/delegate", "xh_liaison", {"to_user": "xh_water1", "note": "请代填"})
    assert delegated.status_code == 200 and delegated.get_json()["delegation"] == "pending"
    validator(client, "Task").validate(delegated.get_json())
    error_of(api("POST", f"/tasks/{visit['id']}/complete", "xh_water1", {"data": VISIT}), 403)
    error_of(api("POST", f"/tasks/{visit['id']}/delegate", "xh_liaison", {}), 422)
    back = api("POST", f"/tasks/{visit['id']}/resolve", "xh_water1", {"data": VISIT, "comment": "已代填"})
    assert back.status_code == 200 and back.get_json()["assignee"] == "xh_liaison"
    draft = api("GET", f"/tasks/{visit['id']}", "xh_liaison").get_json()["draft"]
    assert draft["data"] == VISIT and draft["saved_by"] == "xh_water1"
    assert api("POST", f"/tasks/{visit['id']}/complete", "xh_liaison", {"data": VISIT}).status_code == 200


def test_copy_comment_and_the_copied_view(api, sanfu, service):
    visit = only_task(sanfu, "xh_liaison")
    error_of(api("POST", f"/tasks/{visit['id']}/copy", "xh_liaison", {"to_users": "xh_water1"}), 422)
    error_of(api("POST", f"/tasks/{visit['id']}/copy", "xh_liaison", {"to_users": ["xh_water1", "nobody"]}), 422)
    assert api("GET", "/inbox?view=copied", "xh_water1").get_json()["counts"]["copied"] == 0   # refused whole
    copied = api("POST", f"/tasks/{visit['id']}/copy", "xh_liaison", {"to_users": ["xh_water1"], "note": "知悉"})
    assert copied.status_code == 200 and copied.get_json()["added"] == ["xh_water1"]
    page = api("GET", "/inbox?view=copied", "xh_water1").get_json()
    assert page["counts"]["copied"] == 1 and page["rows"][0]["copy_info"]["note"] == "知悉"
    said = api("POST", f"/tasks/{visit['id']}/comments", "xh_water1", {"body": "已阅"})
    assert said.status_code == 200 and said.get_json()["body"] == "已阅"
    error_of(api("POST", f"/tasks/{visit['id']}/comments", "xh_water1", {"body": ""}), 422)
    error_of(api("POST", f"/tasks/{visit['id']}/comments", "bj_water1", {"body": "?"}), 403)


def test_drafts(api, sanfu, service):
    water = to_rectification(sanfu)
    api("POST", f"/tasks/{water['id']}/claim", "xh_water1")
    saved = api("PUT", f"/tasks/{water['id']}/draft", "xh_water1", {"data": {"measures": "管网改造"}})
    assert saved.status_code == 200 and saved.get_json()["saved_by"] == "xh_water1"
    error_of(api("PUT", f"/tasks/{water['id']}/draft", "xh_water2", {"data": {}}), 403)
    assert api("GET", f"/tasks/{water['id']}", "xh_water1").get_json()["draft"]["data"] == {"measures": "管网改造"}


def test_return_to_the_previous_step(api, sanfu, service):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    check = only_task(sanfu, "xh_expert")
    error_of(api("POST", f"/tasks/{check['id']}/return", "xh_expert", {}), 422)
    assert only_task(sanfu, "xh_expert")["id"] == check["id"]                     # refused: unchanged
    returned = api("POST", f"/tasks/{check['id']}/return", "xh_expert", {"reason": "走访记录缺企业诉求"})
    assert returned.status_code == 200 and returned.get_json()["assignee"] == "xh_liaison"
    assert only_task(sanfu, "xh_liaison")["name"] == "记录走访"


def test_attachments_upload_list_and_download(api, sanfu, service):
    water = to_rectification(sanfu)
    api("POST", f"/tasks/{water['id']}/claim", "xh_water1")
    files = {"file": (io.BytesIO(JPEG), "整改后.jpg")}
    up = api("POST", f"/tasks/{water['id']}/attachments", "xh_water1", data=files)
    assert up.status_code == 200, up.get_data(as_text=True)
    [added] = up.get_json()["attachments"]
    fake = api("POST", f"/tasks/{water['id']}/attachments", "xh_water1",
               data={"file": (io.BytesIO(b"not a photo"), "x.jpg")})
    assert "x.jpg" in error_of(fake, 422)["message"]
    listed = api("GET", f"/tasks/{water['id']}/attachments", "xh_water1").get_json()
    assert [a["id"] for a in listed["attachments"]] == [added["id"]]
    download = api("GET", f"/attachments/{added['id']}", "xh_water1")
    assert download.status_code == 200 and download.data == JPEG
    error_of(api("GET", f"/attachments/{added['id']}", "bj_water1"), 403)
    error_of(api("GET", "/attachments/not-an-id", "xh_water1"), 404)
    evidence = dict(RECTIFIED, evidence=[f"attachment:{added['id']}"])
    assert api("POST", f"/tasks/{water['id']}/complete", "xh_water1", {"data": evidence}).status_code == 200


def test_inbox_filters_and_a_bad_date(api, client, sanfu, service):
    page = api("GET", "/inbox?view=todo&process=enterprise_service&sort=-created", "xh_liaison")
    assert page.status_code == 200 and len(page.get_json()["rows"]) == 1
    validator(client, "InboxPage").validate(page.get_json())
    other = api("GET", "/inbox?view=todo&process=ledger_matter", "xh_liaison").get_json()
    assert other["rows"] == [] and other["total"] == 0
    bad = error_of(api("GET", "/inbox?due_from=2026-13-40", "xh_liaison"), 422)
    assert "日期" in bad["message"]
