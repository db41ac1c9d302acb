"""Bulk actions on selected inbox rows: claim, transfer with a reason, complete the
acknowledgement-only tasks — each task its own command, failures listed with their reason."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.definitions.forms import is_acknowledgement
from tests.helpers.forms import CHECK, VISIT, WATER
from tests.helpers.web import csrf_token, only_task, text_of

ACK_MODEL = Path(__file__).with_name("ack_receipt.bpmn")  # 督办签收 (urge_receipt) + 整改报告 for xh_water1


def water_matters(sanfu, ids, count: int) -> list[str]:
    """`count` 水 matters waiting in the 西湖 water section's queue."""
    for _ in range(count):
        instance = sanfu.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
        visit = [t for t in sanfu.tasks("xh_liaison") if t["instance_id"] == instance][0]
        sanfu.complete(visit["id"], "xh_liaison", VISIT)
        check = [t for t in sanfu.tasks("xh_expert") if t["instance_id"] == instance][0]
        sanfu.complete(check["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    return [t["id"] for t in sanfu.tasks("xh_water1") if t["name"] == "整改"]


def bulk(client, action: str, task_ids: list[str], **fields):
    data = {"action": action, "task_id": task_ids, "next": "/?view=claimable",
            "csrf_token": csrf_token(client), **fields}
    return client.post("/inbox/bulk", data=data)


def outcome_ids(body: str, section: str) -> list[str]:
    part = re.search(rf'<section class="bulk-{section}">(.*?)</section>', body, re.S)
    return re.findall(r'<li data-task="([^"]+)"', part.group(1)) if part else []


def test_claim_several_at_once_and_one_already_taken(client, auth, sanfu, ids):
    first, second, third = water_matters(sanfu, ids, 3)
    sanfu.claim(third, "xh_water2")  # someone was quicker
    auth.login("xh_water1")
    body = text_of(bulk(client, "claim", [first, second, third]))
    assert outcome_ids(body, "ok") == [first, second] and outcome_ids(body, "failed") == [third]
    assert "成功 2 项，失败 1 项" in body and "已由 xh_water2 认领" in body
    assert {t["id"]: t["assignee"] for t in sanfu.tasks("xh_water1")} == {first: "xh_water1", second: "xh_water1"}
    assert only_task(sanfu, "xh_water2")["id"] == third  # unchanged by the failure
    assert 'href="/?view=claimable"' in body


def test_transfer_needs_a_reason_and_then_moves_each_task(client, auth, sanfu, ids):
    first, second = water_matters(sanfu, ids, 2)
    for task_id in (first, second):
        sanfu.claim(task_id, "xh_water1")
    auth.login("xh_water1")
    response = bulk(client, "transfer", [first, second], to_user="xh_water2", reason="  ")
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "请填写转办理由" in page
    assert {t["id"] for t in sanfu.tasks("xh_water1")} == {first, second}  # nothing moved
    body = text_of(bulk(client, "transfer", [first, second], to_user="xh_water2", reason="本周出差，请代为办理"))
    assert outcome_ids(body, "ok") == [first, second] and "成功 2 项，失败 0 项" in body
    assert {t["id"] for t in sanfu.tasks("xh_water2") if t["assignee"] == "xh_water2"} == {first, second}
    to_section = text_of(bulk(client, "transfer", [first], to_section="air", reason="属大气问题"))
    assert outcome_ids(to_section, "failed") == [first]  # no longer theirs to transfer
    assert "只有办理人" in to_section


def test_complete_acknowledgements_and_leave_a_form_task_as_it_was(client, auth, sanfu):
    sanfu.deploy([ACK_MODEL], "root")
    sanfu.start("ack_receipt_test", "xh_liaison", {})
    sanfu.start("ack_receipt_test", "xh_liaison", {})
    tasks = sanfu.tasks("xh_water1")
    signs = [t["id"] for t in tasks if t["name"] == "督办签收"]
    report = next(t["id"] for t in tasks if t["name"] == "整改报告")
    auth.login("xh_water1")
    body = text_of(bulk(client, "complete", signs + [report]))
    assert outcome_ids(body, "ok") == signs and outcome_ids(body, "failed") == [report]
    assert "该任务需要填写表单" in body
    left = sanfu.tasks("xh_water1")
    assert [t["name"] for t in left] == ["整改报告", "整改报告"] and report in {t["id"] for t in left}
    done = sanfu.inbox("xh_water1", "done")["rows"]
    assert {r["id"] for r in done} == set(signs)


def test_nothing_selected_or_no_action_is_a_message_not_an_error(client, auth, service):
    auth.login("xh_water1")
    response = bulk(client, "claim", [])
    assert response.status_code == 302
    assert "请先勾选要处理的任务" in text_of(client.get(response.headers["Location"]))
    response = bulk(client, "none", ["x"])
    assert "请选择要执行的操作" in text_of(client.get(response.headers["Location"]))


def test_bulk_post_without_csrf_token_is_refused(client, auth, sanfu, ids):
    [task] = water_matters(sanfu, ids, 1)
    auth.login("xh_water1")
    response = client.post("/inbox/bulk", data={"action": "claim", "task_id": [task]})
    assert response.status_code == 400 and "安全令牌" in text_of(response)
    assert only_task(sanfu, "xh_water1")["assignee"] is None


def test_an_offsite_next_is_ignored(client, auth, service):
    auth.login("xh_water1")
    response = client.post("/inbox/bulk", data={"action": "claim", "task_id": [], "next": "https://evil.example/",
                                                 "csrf_token": csrf_token(client)})
    assert response.headers["Location"] in ("/", "http://localhost/")


@pytest.mark.parametrize("schema, expected", [
    ({"x-acknowledgement": True, "type": "object", "required": ["ok"],
      "properties": {"ok": {"type": "boolean", "const": True}, "remark": {"type": "string"}}}, True),
    ({"x-acknowledgement": True, "required": ["ok"], "properties": {"ok": {"type": "boolean", "enum": [True]}}}, True),
    ({"required": ["ok"], "properties": {"ok": {"type": "boolean", "const": True}}}, False),  # no marker
    ({"x-acknowledgement": True, "required": ["ok", "why"],
      "properties": {"ok": {"type": "boolean", "const": True}, "why": {"type": "string"}}}, False),
    ({"x-acknowledgement": True, "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}, False),
    (None, False),
])
def test_what_counts_as_an_acknowledgement(schema, expected):
    assert is_acknowledgement(schema) is expected


def test_the_shipped_receipt_form_is_an_acknowledgement():
    import json
    form = json.loads((Path(__file__).resolve().parents[2] / "forms" / "urge_receipt.json").read_text("utf-8"))
    assert is_acknowledgement(form)
