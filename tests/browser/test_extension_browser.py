"""In a real browser: the city's 督查 urges a 整改 task from its page and its holder finds the
催办 in the notification centre and 催办 ×1 on the inbox row; the holder asks for an extension
on a phone, the water section's head finds it under 延期审批 and approves it; the deadline
moves and the task page shows the request approved and the original deadline."""
from __future__ import annotations

from datetime import datetime, timedelta

from playwright.sync_api import expect

from engine import clock
from engine.calendar.store import work_calendar
from engine.service import Engine
from tests.helpers.browser import DESKTOP, PHONE, sign_in
from tests.helpers.paths import FORMS
from tests.helpers.web import to_rectification


def test_a_holder_asks_for_an_extension_and_the_section_head_approves_it(browser, served, screens):
    engine = Engine(served["database_url"], forms_dir=FORMS)
    try:
        engine.start("enterprise_service", "xh_liaison", {"enterprise_id": served["ids"]["enterprise_id"]})
        task = to_rectification(engine)
        engine.claim(task["id"], "xh_water1")
        due = datetime.fromisoformat(task["due_at"])
        with engine.uow(write=False) as uow:
            day = work_calendar(uow.session).next_working_day(clock.to_local(due).date() + timedelta(days=5))

        context, page = sign_in(browser, served, "xh_water1", PHONE)
        page.goto(f"{served['url']}/tasks/{task['id']}")
        page.click("#extension summary")
        page.fill("#extension-date", day.isoformat())
        page.fill("#extension-reason", "企业污水管材到货推迟两周")
        screens(page, "40-extension-request")
        page.click("#extension button[type=submit]")
        expect(page.locator(".flash-success")).to_contain_text("延期申请已提交")
        expect(page.locator("#deadline-history")).to_contain_text("待审批")
        context.close()

        context, page = sign_in(browser, served, "xh_water_head", DESKTOP)
        page.click("nav a:has-text('延期审批')")
        row = page.locator(".extension-list li", has_text="企业污水管材到货推迟两周")
        expect(row.locator(".new-due")).to_have_text(day.isoformat())
        row.locator("textarea[name=note]").fill("同意，请按期完成")
        screens(page, "41-extension-decide")
        row.locator("button[value=approve]").click()
        expect(page.locator(".flash-success")).to_contain_text(f"期限延至 {day.isoformat()}")
        page.goto(f"{served['url']}/tasks/{task['id']}")
        expect(page.locator("#deadline-history")).to_contain_text("已批准")
        expect(page.locator("#deadline-history")).to_contain_text("原期限")
        context.close()

        moved = datetime.fromisoformat(engine.task_view(task["id"], "xh_water1")["task"]["due_at"])
        assert clock.to_local(moved).date() == day
        assert any(n["kind"] == "extension" and "已批准" in n["text"] for n in engine.notifications("xh_water1")["rows"])
    finally:
        engine.db.dispose()


def test_a_supervisor_urges_and_the_holder_sees_it(browser, served, screens):
    engine = Engine(served["database_url"], forms_dir=FORMS)
    try:
        instance = engine.start("enterprise_service", "xh_liaison",
                                {"enterprise_id": served["ids"]["enterprise_id"]})["id"]
        task = water_matter_of(engine, instance)
        engine.claim(task["id"], "xh_water2")
        context, page = sign_in(browser, served, "hz_super", DESKTOP)
        page.goto(f"{served['url']}/tasks/{task['id']}")
        page.click("#urge summary")
        page.click("#urge button[type=submit]")                             # empty: refused, the field named
        expect(page.locator("#urge .field-error")).to_have_text("请填写催办内容")
        page.fill("#urge-message", "企业反映整改进展慢，请本周内报送进展")
        page.click("#urge button[type=submit]")
        expect(page.locator(".flash-success")).to_contain_text("已催办（第 1 次）")
        expect(page.locator("#deadline-history")).to_contain_text("企业反映整改进展慢")
        screens(page, "42-urged")
        context.close()

        context, page = sign_in(browser, served, "xh_water2", PHONE)
        expect(page.locator(f'tr[data-task="{task["id"]}"] .badge.urged')).to_have_text("催办 ×1")
        page.click("a.notif")
        expect(page.locator("body")).to_contain_text("企业反映整改进展慢，请本周内报送进展")
        screens(page, "43-urge-notified")
        context.close()
    finally:
        engine.db.dispose()


def water_matter_of(engine, instance: int) -> dict:
    """The instance's visit and health check done: its 水 整改 task, in the water queue."""
    from tests.helpers.forms import CHECK, VISIT, WATER
    [visit] = [t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance]
    engine.complete(visit["id"], "xh_liaison", VISIT)
    [check] = [t for t in engine.tasks("xh_expert") if t["instance_id"] == instance]
    engine.complete(check["id"], "xh_expert", dict(CHECK, findings=[WATER]))
    return next(t for t in engine.tasks("xh_water2") if t["name"] == "整改" and t["assignee"] is None)
