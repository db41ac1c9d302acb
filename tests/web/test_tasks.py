"""The task page: forms from JSON Schema, validation beside each field, claim/release,
completion, history, other counties kept out."""
from __future__ import annotations

import re

from tests.helpers.forms import VISIT
from tests.helpers.web import only_task, rows, tabs, text_of, to_rectification

VISIT_FORM = {"visit_date": "2026-03-02", "mode": "走访", "members": "张明\n李华\n", "needs": "希望指导提标改造"}


def field_error(body: str, name: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="e-{re.escape(name)}" role="alert">([^<]+)</p>', body)
    return match.group(1) if match else None


def test_the_visit_form_is_rendered_from_its_schema(client, auth, sanfu, service):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert "<h1>记录走访</h1>" in body and "联络员记录一次走访" in body               # form description
    assert 'name="visit_date" type="date"' in body                                   # format: date
    assert 'type="radio" name="mode" value="视频"' in body                           # enum of 3: radios
    assert re.search(r'<textarea id="f-members" name="members" rows="5"', body)      # list: one per line
    assert re.search(r'<textarea id="f-needs" name="needs" rows="4" maxlength="2000"', body)  # long text
    assert re.search(r'走访日期<span class="req" title="必填">\*</span>', body)       # required marker
    assert "走访情况" in body and not re.search(r'走访情况<span class="req"', body)    # optional: no marker
    assert "实际走访（通话、视频）的日期" in body                                       # field description
    assert "办理记录" in body and "发起流程" in body                                   # the history


def test_the_health_check_form_has_repeatable_findings(client, auth, sanfu, service):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    task = only_task(sanfu, "xh_expert")
    auth.login("xh_expert")
    body = text_of(client.get(f"/tasks/{task['id']}"))
    assert '<select id="f-findings.0.category" name="findings.0.category"' in body   # enum of 9: select
    assert 'type="radio" name="findings.0.severity" value="较重"' in body
    assert 'name="findings.__i__.description"' in body                               # the row template
    assert 'name="_add_row" value="findings"' in body and "添加一行" in body


def test_adding_a_row_without_javascript_keeps_what_was_typed(client, auth, sanfu, service, post):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    task = only_task(sanfu, "xh_expert")
    auth.login("xh_expert")
    response = post(f"/tasks/{task['id']}", {"_add_row": "findings", "summary": "发现两处问题",
                                             "findings.0.category": "水", "findings.0.description": "雨污混接"})
    body = text_of(response)
    assert response.status_code == 200 and 'name="findings.1.category"' in body
    assert 'name="findings.2.category"' not in body and "雨污混接" in body and "发现两处问题" in body
    assert '<option value="水" selected>' in body and field_error(body, "check_date") is None
    assert only_task(sanfu, "xh_expert")["id"] == task["id"]                          # nothing submitted


def test_invalid_data_comes_back_with_chinese_messages_beside_the_fields(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    response = post(f"/tasks/{task['id']}", {"mode": "走访", "members": "", "needs": "无",
                                             "notes": "企业生产正常"})
    body = text_of(response)
    assert response.status_code == 422 and "请修改标出的内容后再提交" in body
    assert field_error(body, "visit_date") == "走访日期：必填"
    assert field_error(body, "members") == "走访组成员：必填"
    assert field_error(body, "needs") is None
    assert 'value="走访" checked' in body and "企业生产正常</textarea>" in body       # values kept
    shown = sanfu.show(task["instance_id"], "xh_liaison")
    assert [t["id"] for t in shown["open_tasks"]] == [task["id"]]                     # nothing saved
    assert "task_completed" not in [e["action"] for e in shown["history"]]


def test_nested_errors_land_beside_the_finding_they_belong_to(client, auth, sanfu, service, post):
    sanfu.complete(only_task(sanfu, "xh_liaison")["id"], "xh_liaison", VISIT)
    task = only_task(sanfu, "xh_expert")
    auth.login("xh_expert")
    body = text_of(post(f"/tasks/{task['id']}", {
        "check_date": "2026-03-03", "summary": "两处问题", "experts": "王工",
        "findings.0.category": "水", "findings.0.description": "雨污混接", "findings.0.severity": "较重",
        "findings.1.category": "气", "findings.1.description": "喷涂废气",
        "findings.2.description": ""}))                                               # a blank row
    assert field_error(body, "findings.1.severity") == "发现的问题 / 问题 / 严重程度：必填"
    assert field_error(body, "findings.0.severity") is None
    assert 'name="findings.2.category"' not in body                                   # blank row dropped


def test_a_valid_visit_is_saved_and_moves_to_done_at_once(client, auth, sanfu, service, post):
    task = only_task(sanfu, "xh_liaison")
    auth.login("xh_liaison")
    response = post(f"/tasks/{task['id']}", VISIT_FORM)
    assert response.status_code == 302 and response.location == "/"
    body = text_of(client.get("/?view=done"))
    assert "「记录走访」已提交" in body and rows(body) == ["记录走访"] and tabs(body)["done"][1] == 1
    assert tabs(body)["todo"][1] == 0
    data = sanfu.show(task["instance_id"], "xh_liaison")["data"]
    assert data["members"] == ["张明", "李华"] and data["visit_date"] == "2026-03-02"
    page = text_of(client.get(f"/tasks/{task['id']}"))                              # done: read-only
    assert "已完成" in page and 'name="_action"' not in page and "办理完成" in page and "张明" in page


def test_staff_claim_complete_and_the_head_gets_the_review(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    auth.login("xh_water1")
    page = text_of(client.get(f"/tasks/{water['id']}"))
    assert ">认领</button>" in page and "科室待认领" in page
    response = post(f"/tasks/{water['id']}/claim")
    assert response.status_code == 302 and response.location == f"/tasks/{water['id']}"
    page = text_of(client.get(response.location))
    assert "已认领「整改」" in page and "释放任务" in page and ">认领</button>" not in page
    response = post(f"/tasks/{water['id']}", {"measures": "完成雨污管网改造", "evidence": "整改前.jpg\n整改后.jpg",
                                              "completion_date": "2026-03-12", "responsible_person": "赵强"})
    assert response.status_code == 302
    assert only_task(sanfu, "xh_water_head")["name"] == "科长审核"
    history = sanfu.show(water["instance_id"], "xh_water1")["history"]
    done = [e for e in history if e["action"] == "task_completed"][-1]
    assert done["actor"] == "xh_water1" and done["detail"]["data"]["evidence"] == ["整改前.jpg", "整改后.jpg"]


def test_release_needs_a_reason_and_returns_the_task_to_the_section(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    sanfu.claim(water["id"], "xh_water1")
    auth.login("xh_water1")
    response = post(f"/tasks/{water['id']}/release", {"reason": "  "})
    assert response.status_code == 422 and "请填写理由" in text_of(response)
    assert '<details class="release" open>' in text_of(response)
    # An overlong reason is refused by its name, the page keeps what was typed, the task stays held.
    typed = "出差" * 1001
    response = post(f"/tasks/{water['id']}/release", {"reason": typed})
    assert response.status_code == 422 and "理由不能超过 2000 字" in text_of(response)
    assert f">{typed}</textarea>" in text_of(response) and sanfu.tasks("xh_water1")[0]["id"] == water["id"]
    response = post(f"/tasks/{water['id']}/release", {"reason": "本人出差，请科室其他同志办理"})
    assert response.location == "/"
    body = text_of(client.get("/?view=claimable"))
    assert "已释放「整改」" in body and rows(body) == ["整改"]


def test_a_task_claimed_by_a_colleague_is_a_409_conflict_page(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    auth.login("xh_water2")
    page = text_of(client.get(f"/tasks/{water['id']}"))                              # still claimable
    sanfu.claim(water["id"], "xh_water1")                                             # meanwhile …
    response = post(f"/tasks/{water['id']}/claim")
    body = text_of(response)
    assert ">认领</button>" in page
    assert response.status_code == 409 and "操作冲突" in body and "已由 xh_water1 认领" in body
    assert "Traceback" not in body and "already claimed" not in body


def test_another_countys_user_cannot_see_or_act_on_a_task(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    auth.login("bj_water1")
    for response in (client.get(f"/tasks/{water['id']}"), post(f"/tasks/{water['id']}", {"measures": "x"}),
                     post(f"/tasks/{water['id']}/claim"),
                     post(f"/tasks/{water['id']}/release", {"reason": "x"})):
        body = text_of(response)
        assert response.status_code in (403, 404) and "Traceback" not in body
        assert "西湖印染" not in body and ("无权" in body or "不存在" in body or "不能" in body)
    assert only_task(sanfu, "xh_water1")["assignee"] is None                         # nothing changed


def test_seeing_is_not_acting_for_the_city_supervisor(client, auth, sanfu, service, post):
    water = to_rectification(sanfu)
    auth.login("hz_super")
    page = text_of(client.get(f"/tasks/{water['id']}"))
    assert "<h1>整改</h1>" in page and 'name="_action"' not in page and ">认领</button>" not in page
    response = post(f"/tasks/{water['id']}", {"measures": "越权办理"})
    assert response.status_code == 403 and "您不能办理此任务" in text_of(response)


def test_a_task_without_a_form_gets_a_key_value_editor(client, auth, sanfu, post):
    instance = sanfu.start("Process_three_user_tasks", "xh_liaison")["id"]
    task = only_task(sanfu, "xh_liaison", "Visit")
    auth.login("xh_liaison")
    page = text_of(client.get(f"/tasks/{task['id']}"))
    assert 'name="_kv.0.key"' in page and 'name="_kv.2.value"' in page and "此步骤没有表单" in page
    body = text_of(post(f"/tasks/{task['id']}", {"_kv.0.key": "1abc", "_kv.0.value": "x"}))
    assert "字段名须以字母或汉字开头" in body and only_task(sanfu, "xh_liaison")["id"] == task["id"]
    response = post(f"/tasks/{task['id']}", {"_kv.0.key": "走访人数", "_kv.0.value": "3",
                                             "_kv.1.key": "note", "_kv.1.value": "已走访",
                                             "_kv.2.key": "ok", "_kv.2.value": "true"})
    assert response.status_code == 302
    data = sanfu.show(instance, "xh_liaison")["data"]
    assert data["走访人数"] == 3 and data["note"] == "已走访" and data["ok"] is True


def test_unknown_tasks_and_pages_are_chinese_404_pages(client, auth):
    auth.login("xh_liaison")
    for path in ("/tasks/00000000-0000-0000-0000-000000000000", "/tasks/not-a-task", "/no/such/page"):
        response = client.get(path)
        body = text_of(response)
        assert response.status_code == 404 and "不存在" in body and "Traceback" not in body, path
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


def test_a_server_error_is_a_chinese_page_without_a_traceback(app, client, auth):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals")
    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    body = text_of(response)
    assert response.status_code == 500 and "系统错误" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_too_large_a_submission_is_a_413_page(client, auth, sanfu, service, post):
    auth.login("xh_liaison")
    task = only_task(sanfu, "xh_liaison")
    response = post(f"/tasks/{task['id']}", {"needs": "很" * (3 * 1024 * 1024)})
    assert response.status_code == 413 and "提交的内容过大" in text_of(response)
