"""加签 through the pages and the API: the 科长 adds a co-signer before or after themselves on
科长审核; the co-signer finds it in 待办 with a 加签 badge and signs; refusals keep what was typed."""
from __future__ import annotations

import re

from tests.helpers.forms import RECTIFIED
from tests.helpers.snapshots import snapshot
from tests.helpers.web import only_task, rows, text_of, to_rectification


def at_review(sanfu) -> str:
    """The 水 matter rectified: 科长审核 held by the water section head."""
    rectify = to_rectification(sanfu)
    sanfu.claim(rectify["id"], "xh_water1")
    sanfu.complete(rectify["id"], "xh_water1", RECTIFIED)
    verify = only_task(sanfu, "xh_water_head", "科长审核")
    if verify["assignee"] is None:
        sanfu.claim(verify["id"], "xh_water_head")
    return verify["id"]


def field_error(body: str, name: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="e-{re.escape(name)}" role="alert">([^<]+)</p>', body)
    return match.group(1) if match else None


def test_before_the_cosigner_signs_from_the_inbox_and_the_task_comes_back(client, auth, sanfu, service, post):
    task = at_review(sanfu)
    auth.login("xh_water_head")
    page = text_of(client.get(f"/tasks/{task}"))
    assert 'id="cosign"' in page and 'form="task-form"' in page and 'id="task-form"' in page
    before = snapshot(sanfu)
    refused = post(f"/tasks/{task}/cosign", {"_cosign_mode": "before", "_cosign_to": "", "_cosign_note": "请把关"})
    assert refused.status_code == 422 and field_error(text_of(refused), "cosign.to_user") == "请选择加签人"
    assert "请把关" in text_of(refused) and snapshot(sanfu) == before           # what was typed is kept
    outside = post(f"/tasks/{task}/cosign", {"_cosign_mode": "before", "_cosign_to": "bj_water1"})
    assert outside.status_code == 422 and "只能加签给可转办的本单位同事" in text_of(outside)
    done = post(f"/tasks/{task}/cosign", {"_cosign_mode": "before", "_cosign_to": "xh_leader", "_cosign_note": "请把关"})
    assert done.status_code == 302
    page = text_of(client.get(f"/tasks/{task}"))
    assert "等待 西湖 分管局长 加签（前加签）" in page and 'id="cosign"' not in page
    assert post(f"/tasks/{task}", {"decision": "销号", "opinion": "到位"}).status_code in (403, 409)
    auth.logout()

    auth.login("xh_leader")
    inbox = text_of(client.get("/"))
    assert "科长审核" in rows(inbox) and '<span class="badge cosign"' in inbox
    page = text_of(client.get(f"/tasks/{task}"))
    cosign_id = re.search(r'action="/cosigns/(\d+)/sign"', page).group(1)
    no_reason = post(f"/cosigns/{cosign_id}/sign", {"agree": "0", "opinion": "", "task_id": task})
    assert no_reason.status_code == 422 and field_error(text_of(no_reason), "sign.opinion") == "不同意时请填写理由"
    signed = post(f"/cosigns/{cosign_id}/sign", {"agree": "1", "opinion": "同意销号", "task_id": task})
    assert signed.status_code == 302 and "科长审核" not in rows(text_of(client.get("/")))
    auth.logout()

    auth.login("xh_water_head")
    page = text_of(client.get(f"/tasks/{task}"))
    assert "前加签：西湖 分管局长 同意：同意销号" in page
    assert post(f"/tasks/{task}", {"decision": "销号", "opinion": "整改到位"}).status_code == 302


def test_after_the_form_goes_with_the_cosign_and_completes_when_agreed(client, auth, sanfu, service, post, api):
    task = at_review(sanfu)
    auth.login("xh_water_head")
    bad = post(f"/tasks/{task}/cosign", {"_cosign_mode": "after", "_cosign_to": "xh_leader", "decision": "退回",
                                         "opinion": ""})
    assert bad.status_code == 422 and "xh_leader" in text_of(bad)                # the choice is kept
    assert post(f"/tasks/{task}/cosign", {"_cosign_mode": "after", "_cosign_to": "xh_leader",
                                          "decision": "销号", "opinion": "整改到位"}).status_code == 302
    auth.logout()
    view = api("GET", f"/tasks/{task}", "xh_leader").get_json()
    pending = view["pending_cosign"]
    assert pending["data"] == {"decision": "销号", "opinion": "整改到位"} and pending["mode"] == "after"
    assert api("POST", f"/cosigns/{pending['id']}/sign", "xh_water_head", {"agree": True}).status_code == 403
    assert api("POST", f"/cosigns/{pending['id']}/sign", "xh_leader", {"agree": "yes"}).status_code == 422
    signed = api("POST", f"/cosigns/{pending['id']}/sign", "xh_leader", {"agree": True, "opinion": "同意"})
    assert signed.status_code == 200 and signed.get_json()["completed"]["instance_id"] == service
    assert (signed.get_json()["task"]["status"], signed.get_json()["task"]["completed_by"]) == ("completed",
                                                                                               "xh_water_head")


def test_the_api_adds_a_cosigner_and_refuses_a_second(sanfu, service, api):
    task = at_review(sanfu)
    added = api("POST", f"/tasks/{task}/cosign", "xh_water_head", {"mode": "before", "to_user": "xh_water2"})
    assert added.status_code == 200 and added.get_json()["status"] == "pending"
    again = api("POST", f"/tasks/{task}/cosign", "xh_water_head", {"mode": "before", "to_user": "xh_leader"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "cosign_pending"
    assert api("POST", f"/tasks/{task}/complete", "xh_water_head",
               {"data": {"decision": "销号"}}).get_json()["error"]["code"] == "cosign_pending"
