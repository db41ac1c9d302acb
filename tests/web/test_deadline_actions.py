"""People acting on deadlines in the web: the city's 督查 urges a 整改 task twice (催办 ×2 in the
holder's inbox and on the task page, two notifications), a staff member cannot; the holder
asks for an extension and the water section's head approves it on /extensions/; 退单; 效能告诫
only on an overdue task; a refused form names its field and keeps what was typed."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from engine import clock
from engine.calendar.store import work_calendar
from engine.store.tables import HumanTask
from tests.helpers.web import text_of, to_rectification


def claimed(sanfu) -> dict:
    task = to_rectification(sanfu)
    sanfu.claim(task["id"], "xh_water1")
    return task


def working_day_after(sanfu, due_at: str, days: int) -> date:
    with sanfu.uow(write=False) as uow:
        start = clock.to_local(datetime.fromisoformat(due_at)).date() + timedelta(days=days)
        return work_calendar(uow.session).next_working_day(start)


def test_a_supervisor_urges_twice_and_the_holder_sees_it_in_the_inbox(client, auth, post, sanfu, service):
    task = claimed(sanfu)
    auth.login("hz_super")
    page = text_of(client.get(f"/tasks/{task['id']}"))
    assert 'id="urge"' in page and 'id="warn"' not in page                  # not overdue: no 效能告诫
    for message in ("请加快整改进度", "本周内报送整改照片"):
        done = post(f"/tasks/{task['id']}/urge", {"message": message}, follow_redirects=True)
        assert done.status_code == 200
    shown = text_of(done)
    assert "催办 ×2" in shown and "本周内报送整改照片" in shown and "杭州 督查" in shown
    auth.logout()
    auth.login("xh_water1")
    assert "催办 ×2" in text_of(client.get("/"))
    notes = text_of(client.get("/notifications/"))
    assert notes.count("催办（第") == 2
    assert 'id="urge"' not in text_of(client.get(f"/tasks/{task['id']}"))    # the holder does not urge
    assert post(f"/tasks/{task['id']}/urge", {"message": "自己催自己"}).status_code == 403
    assert sanfu.task_view(task["id"], "xh_water1")["task"]["urge_count"] == 2


def test_an_empty_urge_names_its_field_and_changes_nothing(client, auth, post, sanfu, service):
    task = claimed(sanfu)
    auth.login("xh_water_head")
    refused = post(f"/tasks/{task['id']}/urge", {"message": "  "})
    assert refused.status_code == 422 and "请填写催办内容" in text_of(refused)
    assert sanfu.task_view(task["id"], "xh_water_head")["urges"] == []


def test_the_holder_asks_for_an_extension_and_the_section_head_approves_it(client, auth, post, sanfu, service):
    task = claimed(sanfu)
    day = working_day_after(sanfu, task["due_at"], 7)
    auth.login("xh_water1")
    bad = post(f"/tasks/{task['id']}/extension", {"new_due_date": "", "reason": "企业设备到货推迟"})
    assert bad.status_code == 422 and "请填写新的期限" in text_of(bad) and "企业设备到货推迟" in text_of(bad)
    current = clock.to_local(datetime.fromisoformat(task["due_at"])).date()  # a working day: not later than itself
    early = post(f"/tasks/{task['id']}/extension", {"new_due_date": current.isoformat(), "reason": "理由"})
    assert early.status_code == 422 and "新的期限须晚于当前期限" in text_of(early)
    asked = post(f"/tasks/{task['id']}/extension", {"new_due_date": day.isoformat(), "reason": "企业设备到货推迟"},
                 follow_redirects=True)
    assert "延期申请已提交" in text_of(asked) and "待审批" in text_of(asked)
    assert 'id="extension"' not in text_of(asked)                           # one request at a time
    assert 'href="/extensions/"' not in text_of(client.get("/"))            # staff decide nothing

    auth.logout()
    auth.login("xh_water_head")
    listed = text_of(client.get("/extensions/"))
    assert 'href="/extensions/"' in listed and "企业设备到货推迟" in listed and day.isoformat() in listed
    [ext] = sanfu.pending_extensions("xh_water_head")["rows"]
    refused = post(f"/extensions/{ext['id']}/decide", {"decision": "refuse", "note": ""})
    assert refused.status_code == 422 and "不批准时请填写审批意见" in text_of(refused)
    approved = post(f"/extensions/{ext['id']}/decide", {"decision": "approve", "note": "同意"}, follow_redirects=True)
    assert f"期限延至 {day.isoformat()}" in text_of(approved) and "没有待审批的延期申请" in text_of(approved)
    view = sanfu.task_view(task["id"], "xh_water1")
    assert clock.to_local(datetime.fromisoformat(view["task"]["due_at"])).date() == day
    assert view["original_due_at"] == task["due_at"]
    assert "原期限" in text_of(client.get(f"/tasks/{task['id']}"))


def test_send_back_goes_to_the_dispatcher_and_is_filed(client, auth, post, sanfu, service):
    task = claimed(sanfu)
    auth.login("xh_water1")
    assert 'id="send_back"' in text_of(client.get(f"/tasks/{task['id']}"))
    missing = post(f"/tasks/{task['id']}/send-back", {"reason": ""})
    assert missing.status_code == 422 and "请填写退单理由" in text_of(missing)
    done = post(f"/tasks/{task['id']}/send-back", {"reason": "不属本局职责"}, follow_redirects=True)
    assert "已退单给 xh_expert" in text_of(done)
    assert task["id"] in [t["id"] for t in sanfu.tasks("xh_expert")]
    auth.logout()
    auth.login("xh_water_head")
    assert "退单" in text_of(client.get("/filings/")) and "不属本局职责" in text_of(client.get("/filings/"))


def test_an_efficiency_warning_only_once_overdue_and_only_by_a_supervisor(client, auth, post, sanfu, service):
    task = claimed(sanfu)
    auth.login("hz_super")
    assert post(f"/tasks/{task['id']}/warn", {"reason": "超期"}).status_code == 409          # not overdue yet
    with sanfu.uow() as uow:
        uow.session.get(HumanTask, task["id"]).due_at = clock.now() - timedelta(days=2)
    assert 'id="warn"' in text_of(client.get(f"/tasks/{task['id']}"))
    empty = post(f"/tasks/{task['id']}/warn", {"reason": ""})
    assert empty.status_code == 422 and "请填写告诫事由" in text_of(empty)
    done = post(f"/tasks/{task['id']}/warn", {"reason": "超期未说明原因"}, follow_redirects=True)
    assert "已对 西湖 水 科员1 发出效能告诫" in text_of(done) and "超期未说明原因" in text_of(done)
    auth.logout()
    auth.login("xh_water_head")
    assert post(f"/tasks/{task['id']}/warn", {"reason": "超期"}).status_code == 403
    assert len(sanfu.warnings_of("xh_water1", "xh_water1")) == 1


def test_the_api_urges_and_decides_an_extension(api, sanfu, service):
    task = claimed(sanfu)
    urged = api("POST", f"/tasks/{task['id']}/urge", "hz_super", {"message": "请加快"})
    assert urged.status_code == 200 and urged.get_json()["urge_count"] == 1
    assert api("POST", f"/tasks/{task['id']}/urge", "xh_water2", {"message": "请加快"}).status_code == 403
    assert api("POST", f"/tasks/{task['id']}/urge", "hz_super", {}).get_json()["error"]["fields"] == {"message": "必填 (required)"}
    day = working_day_after(sanfu, task["due_at"], 3).isoformat()
    asked = api("POST", f"/tasks/{task['id']}/extension", "xh_water1", {"new_due_date": day, "reason": "设备未到"})
    assert asked.status_code == 200 and asked.get_json()["status"] == "pending"
    again = api("POST", f"/tasks/{task['id']}/extension", "xh_water1", {"new_due_date": day, "reason": "再延"})
    assert again.status_code == 409
    [row] = api("GET", "/extensions", "xh_water_head").get_json()["rows"]
    decided = api("POST", f"/extensions/{row['id']}/decide", "xh_water_head", {"approve": True})
    assert decided.status_code == 200 and decided.get_json()["status"] == "approved"
