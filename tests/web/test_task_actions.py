"""The task page's collaboration actions: 委派 and 完成委派, 抄送, 转办 and 退回 with a reason,
comments, drafts — through the pages, with refusals that change nothing."""
from __future__ import annotations

import re

from markupsafe import escape

from engine import clock
from engine.store.collab_tables import TaskDraft
from tests.helpers.forms import CHECK, VISIT
from tests.helpers.snapshots import snapshot
from tests.helpers.web import only_task, rows, tabs, text_of, to_rectification

VISIT_FORM = {"visit_date": "2026-03-02", "mode": "走访", "members": "张明\n李华", "needs": "希望指导提标改造"}


def field_error(body: str, name: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="e-{re.escape(name)}" role="alert">([^<]+)</p>', body)
    return match.group(1) if match else None


def buttons(body: str) -> list[str]:
    """The visible buttons of the task form's submit bar."""
    bar = re.search(r'<div class="submit-bar">(.*?)</div>', body, re.S)
    return re.findall(r">([^<>]+)</button>", bar.group(1)) if bar else []


def panels(body: str) -> list[str]:
    return re.findall(r'<details class="action-panel" id="(\w+)"', body)


def test_delegate_resolve_and_the_owner_completes_from_the_draft(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert panels(body) == ["transfer", "delegate", "copy", "extension"]  # the first step: no 退回, no 退单
    assert buttons(body) == ["提交", "保存草稿"]
    response = post(f"/tasks/{task['id']}/delegate", {"to_user": "xh_water1", "note": "请代为记录"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task['id']}")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert "委派中：xh_liaison 已委派给 xh_water1" in body and buttons(body) == [] and panels(body) == ["copy"]
    auth.logout()

    auth.login("xh_water1")
    assert rows(text_of(client.get("/"))) == ["记录走访"]               # in the delegate's 待办
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert buttons(body) == ["完成委派", "保存草稿"] and panels(body) == ["copy"]
    before = snapshot(sanfu)
    assert post(f"/tasks/{task['id']}", VISIT_FORM).status_code == 403   # the delegate cannot complete
    assert post(f"/tasks/{task['id']}/transfer", {"target": "section", "to_section": "air",
                                                   "reason": "不归我"}).status_code == 403
    assert post(f"/tasks/{task['id']}/return", {"reason": "退回"}).status_code == 403
    assert post(f"/tasks/{task['id']}/delegate", {"to_user": "xh_water2"}).status_code == 403
    assert snapshot(sanfu) == before
    assert post(f"/tasks/{task['id']}/draft", {"visit_date": "2026-03-02"}).status_code == 302
    assert 'name="visit_date" type="date" value="2026-03-02"' in text_of(client.get(f"/tasks/{task['id']}"))
    response = post(f"/tasks/{task['id']}/resolve", {**VISIT_FORM, "_resolve_comment": "已代填，请核对"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert client.get(f"/tasks/{task['id']}").status_code == 403        # handed back
    auth.logout()

    auth.login("xh_liaison")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert "已填入草稿：xh_water1 保存于" in body and "xh_water1 已完成委派，任务交回 xh_liaison 办理" in body
    assert 'value="走访" checked' in body and "希望指导提标改造</textarea>" in body and "已代填，请核对" in body
    assert buttons(body) == ["提交", "保存草稿"]
    assert post(f"/tasks/{task['id']}", VISIT_FORM).status_code == 302
    actions = [e["action"] for e in sanfu.show(task["instance_id"])["history"]]
    assert actions.count("task_delegated") == actions.count("delegation_resolved") == 1
    assert actions[-1] != "task_delegated" and "task_completed" in actions


def test_delegating_to_nobody_or_to_another_county_is_refused_in_the_panel(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    before = snapshot(sanfu)
    response = post(f"/tasks/{task['id']}/delegate", {"to_user": ""})
    body = text_of(response)
    assert response.status_code == 422 and field_error(body, "delegate.to_user") == "请选择委派给谁"
    assert '<details class="action-panel" id="delegate" open>' in body
    body = text_of(post(f"/tasks/{task['id']}/delegate", {"to_user": "bj_water1", "note": "帮忙"}))
    assert str(escape("不能委派给其他单位的用户 'bj_water1'")) in body and "(not a colleague" not in body
    assert ">帮忙</textarea>" in body                                       # what was typed is kept
    assert snapshot(sanfu) == before


def test_a_copy_lets_its_recipient_in_and_is_marked_read(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    response = post(f"/tasks/{task['id']}/copy", {"recipients": ["xh_air1"], "others": "hz_super，xh_air1",
                                                  "note": "请知悉走访安排"})
    assert response.status_code == 302
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert "xh_air1（未读）" in body and "hz_super（未读）" in body
    auth.logout()
    auth.login("xh_air1")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert "xh_liaison 抄送给您" in body and "请知悉走访安排" in body and buttons(body) == []
    assert panels(body) == ["copy"] and 'id="comment-body"' in body
    copies = {c["recipient"]: c["read_at"] for c in sanfu.task_view(task["id"], "xh_liaison")["copies"]}
    assert copies["xh_air1"] is not None and copies["hz_super"] is None
    auth.logout()
    auth.login("bj_water1")
    assert client.get(f"/tasks/{task['id']}").status_code == 403          # a stranger
    before = snapshot(sanfu)
    assert post(f"/tasks/{task['id']}/copy", {"recipients": ["bj_water1"]}).status_code == 403
    assert post(f"/tasks/{task['id']}/comments", {"body": "路过"}).status_code == 403
    assert snapshot(sanfu) == before


def test_a_copy_naming_someone_unknown_is_refused_whole(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    before = snapshot(sanfu)
    body = text_of(post(f"/tasks/{task['id']}/copy", {"recipients": ["xh_air1"], "others": "nobody"}))
    assert str(escape("用户 'nobody' 不存在")) in body and '<details class="action-panel" id="copy" open>' in body
    body = text_of(post(f"/tasks/{task['id']}/copy", {"note": "x"}))
    assert field_error(body, "copy.recipients") == "请选择或填写抄送对象"
    assert snapshot(sanfu) == before


def test_transfer_needs_a_reason_and_a_target(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    auth.login("xh_water1")
    body = text_of(client.get(f"/tasks/{water['id']}"))
    assert '<option value="bj:water">滨江区分局 · 水环境科</option>' in body    # another unit's section
    before = snapshot(sanfu)
    response = post(f"/tasks/{water['id']}/transfer", {"target": "section", "to_section": "air", "reason": "  "})
    body = text_of(response)
    assert response.status_code == 422 and field_error(body, "transfer.reason") == "请填写转办理由"
    assert '<details class="action-panel" id="transfer" open>' in body and 'value="section" checked' in body
    body = text_of(post(f"/tasks/{water['id']}/transfer", {"target": "user", "reason": "改由同事办"}))
    assert field_error(body, "transfer.target").startswith("请选择转办给谁") and ">改由同事办</textarea>" in body
    assert snapshot(sanfu) == before
    response = post(f"/tasks/{water['id']}/transfer", {"target": "section", "to_section": "air",
                                                       "reason": "属大气问题"})
    assert response.status_code == 302
    assert only_task(sanfu, "xh_air1")["id"] == water["id"]
    assert client.get(f"/tasks/{water['id']}").status_code == 403          # no longer mine
    auth.logout()
    auth.login("xh_air1")
    assert rows(text_of(client.get("/?view=claimable"))) == ["整改"]


def test_transfer_to_a_colleague_and_to_another_units_section(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    auth.login("xh_water1")
    post(f"/tasks/{water['id']}/transfer", {"target": "user", "to_user": "xh_water2", "reason": "休假"})
    assert only_task(sanfu, "xh_water2")["assignee"] == "xh_water2"
    auth.logout()
    auth.login("xh_water2")
    post(f"/tasks/{water['id']}/transfer", {"target": "unit", "to_unit": "bj:water", "reason": "属滨江辖区"})
    moved = only_task(sanfu, "bj_water1")
    assert moved["id"] == water["id"] and moved["assignee"] is None


def test_return_needs_a_reason_and_is_filed_for_the_section_head(client, auth, sanfu, service, post):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    check = only_task(sanfu, "xh_expert")
    auth.login("xh_expert")
    body = text_of(client.get(f"/tasks/{check['id']}"))
    assert "return" in panels(body) and "退回理由报科长备案" in body
    before = snapshot(sanfu)
    response = post(f"/tasks/{check['id']}/return", {"reason": ""})
    assert response.status_code == 422 and field_error(text_of(response), "return.reason") == "请填写退回理由"
    assert snapshot(sanfu) == before
    response = post(f"/tasks/{check['id']}/return", {"reason": "走访记录缺少企业诉求"})
    assert response.status_code == 302
    assert only_task(sanfu, "xh_liaison")["name"] == "记录走访"
    filed = [f for f in sanfu.filing_list("root")["rows"] if f["kind"] == "return"]
    assert [f["reason"] for f in filed] == ["走访记录缺少企业诉求"]


def test_comments_are_listed_newest_last_and_an_empty_one_is_refused(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    before = snapshot(sanfu)
    response = post(f"/tasks/{task['id']}/comments", {"body": "   "})
    assert response.status_code == 422 and field_error(text_of(response), "comment.body") == "请填写意见内容"
    assert snapshot(sanfu) == before
    assert post(f"/tasks/{task['id']}/comments", {"body": "第一条：先电话预约"}).status_code == 302
    assert post(f"/tasks/{task['id']}/comments", {"body": "第二条：<b>带上</b>体检表"}).status_code == 302
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert body.index("第一条：先电话预约") < body.index("第二条：&lt;b&gt;带上&lt;/b&gt;体检表")  # escaped
    assert '意见 <span class="count">2</span>' in body and "西湖 联络员" in body


def test_a_draft_of_findings_round_trips_and_nothing_is_validated(client, auth, sanfu, service, post):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    check = only_task(sanfu, "xh_expert")
    auth.login("xh_expert")
    response = post(f"/tasks/{check['id']}/draft", {"summary": "初查", "findings.0.category": "水",
                                                    "findings.0.description": "雨污混接",
                                                    "findings.1.category": "气"})
    assert response.status_code == 302
    body = text_of(client.get(f"/tasks/{check['id']}"))
    assert "已填入草稿：xh_expert 保存于" in body and re.search(r'name="summary"[^>]*>初查</textarea>', body)
    assert '<option value="水" selected>' in body and '<option value="气" selected>' in body
    assert "雨污混接" in body and field_error(body, "check_date") is None
    assert only_task(sanfu, "xh_expert")["id"] == check["id"]                  # not submitted
    auth.logout()
    auth.login("xh_water1")
    before = snapshot(sanfu)
    assert post(f"/tasks/{check['id']}/draft", {"summary": "x"}).status_code == 403
    assert snapshot(sanfu) == before


def test_the_page_prefills_whatever_another_feature_left_in_the_draft(client, auth, sanfu, service, post):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    sanfu.complete(only_task(sanfu, "xh_expert")["id"], "xh_expert", dict(CHECK, findings=[]))
    with clock.frozen_at(clock.parse_moment("2099-01-01T00:00:00")):
        sanfu.fire_due_timers()                                          # the wait before 回访
    follow = only_task(sanfu, "xh_liaison")
    assert follow["name"] == "回访"
    with sanfu.sessions.begin() as session:  # as the enterprise's rating through its one-time link does
        session.add(TaskDraft(task_id=follow["id"], data={"satisfaction": {"visit": 4, "overall": 5}, "link": 3},
                              saved_by="rating-link", saved_at=clock.parse_moment("2026-04-02T10:00:00")))
    auth.login("xh_liaison")
    body = text_of(client.get(f"/tasks/{follow['id']}"))
    assert "已填入草稿：rating-link 保存于 2026-04-02 10:00" in body
    assert re.search(r'name="satisfaction.visit"[^>]*value="4"', body) or \
        'name="satisfaction.visit" value="4" checked' in body


def test_the_inbox_counts_move_with_a_delegation(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    post(f"/tasks/{task['id']}/delegate", {"to_user": "xh_water1"})
    assert tabs(text_of(client.get("/")))["todo"][1] == 0
    sanfu.resolve_delegation(task["id"], "xh_water1", {})
    assert tabs(text_of(client.get("/")))["todo"][1] == 1
