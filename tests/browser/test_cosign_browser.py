"""In a real browser: 前加签 on the 科长审核 step of a ledger matter. The water section's head
asks the 分管局长 to sign first (a wrong choice refused, the note kept); the 局长 finds the task
in 待办 with a 加签 badge, is refused 不同意 without a reason, then agrees; the task comes back
to the head with the signature on the page, and 销号 closes the matter."""
from __future__ import annotations

from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.browser import DESKTOP, PHONE, sign_in
from tests.helpers.forms import RECTIFIED
from tests.helpers.paths import FORMS
from tests.helpers.web import only_task, to_rectification


def test_the_section_head_asks_the_leader_to_cosign_first(browser, served, screens):
    engine = Engine(served["database_url"], forms_dir=FORMS)
    try:
        engine.start("enterprise_service", "xh_liaison", {"enterprise_id": served["ids"]["enterprise_id"]})
        rectify = to_rectification(engine)
        engine.claim(rectify["id"], "xh_water1")
        engine.complete(rectify["id"], "xh_water1", RECTIFIED)
        task = only_task(engine, "xh_water_head", "科长审核")["id"]

        context, page = sign_in(browser, served, "xh_water_head", DESKTOP)
        page.goto(f"{served['url']}/tasks/{task}")
        if page.locator("button[name=claim]").count():
            page.click("button[name=claim]")
        page.click("#cosign summary")
        page.fill("#cosign-note", "涉及企业停产整改，请局长先把关")
        page.click("#cosign button[value=before]")                         # nobody chosen: refused, kept
        expect(page.locator("#cosign .field-error")).to_have_text("请选择加签人")
        expect(page.locator("#cosign-note")).to_have_value("涉及企业停产整改，请局长先把关")
        page.select_option("#cosign-to", "xh_leader")
        screens(page, "80-cosign-before")
        page.click("#cosign button[value=before]")
        expect(page.locator(".flash-success")).to_contain_text("已请 xh_leader 加签")
        page.goto(f"{served['url']}/tasks/{task}")
        expect(page.locator(".notice.cosign")).to_contain_text("等待 西湖 分管局长 加签（前加签）")
        expect(page.locator("#task-form")).to_have_count(0)                  # not completable meanwhile
        context.close()

        context, page = sign_in(browser, served, "xh_leader", PHONE)
        row = page.locator(f'tr[data-task="{task}"]')
        expect(row.locator(".badge.cosign")).to_have_text("加签")
        row.locator("a.task-link").click()
        expect(page.locator(".notice.cosign")).to_contain_text("涉及企业停产整改")
        page.click("#sign button[value='0']")                               # 不同意 needs a reason
        expect(page.locator("#sign .field-error")).to_have_text("不同意时请填写理由")
        page.fill("#cosign-opinion", "同意销号，请做好企业回访")
        screens(page, "81-cosign-sign")
        page.click("#sign button[value='1']")
        expect(page.locator(".flash-success")).to_contain_text("已签署（同意）")
        expect(page.locator(f'tr[data-task="{task}"]')).to_have_count(0)
        context.close()

        context, page = sign_in(browser, served, "xh_water_head", DESKTOP)
        page.goto(f"{served['url']}/tasks/{task}")
        expect(page.locator(".cosign-history")).to_contain_text("前加签：西湖 分管局长 同意：同意销号，请做好企业回访")
        page.check('input[name="decision"][value="销号"]')
        page.fill('#task-form [name="opinion"]', "整改到位，局长已加签同意")
        page.click(".submit-bar button[value=complete]")
        expect(page.locator(".flash-success")).to_contain_text("「科长审核」已提交")
        context.close()
        assert engine.task_view(task, "xh_water_head")["task"]["status"] == "completed"
    finally:
        engine.db.dispose()
