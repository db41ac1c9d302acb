"""In a real browser: the liaison starts the enterprise's 结对服务 from its page (a second one
refused with the reason), 记录走访 lands in their 待办; as 办公室 staff they register a 12369
complaint at /start/ (a missing summary refused under its field, the channel kept), 受理登记
lands in their 待办 (the 办公室's only member: assigned, not queued); and they withdraw the
complaint before anyone touches it: it leaves the 待办."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.browser import DESKTOP, sign_in


def test_the_liaison_starts_a_service_registers_a_complaint_and_withdraws_it(browser, served, screens):
    context, page = sign_in(browser, served, "xh_liaison", DESKTOP)
    url = served["url"]
    page.goto(f"{url}/enterprises/{served['ids']['enterprise_id']}")
    page.locator('a[data-start="enterprise_service"]').click()
    expect(page.locator("h1")).to_contain_text("发起「结对服务（五个一）」")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已发起「结对服务（五个一）」")
    page.goto(f"{url}/enterprises/{served['ids']['enterprise_id']}")
    page.locator('a[data-start="enterprise_service"]').click()
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("今年已有进行中的结对服务")
    screens(page, "90-start-duplicate-service")
    page.goto(f"{url}/?view=todo")
    expect(page.locator("tr", has_text="西湖印染有限公司").locator(".task-link", has_text="记录走访")).to_be_visible()

    page.goto(f"{url}/start/")
    page.locator('[data-process="complaint_12369"] a.button').click()
    page.select_option("#f-channel", "来信")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator("#e-summary")).to_be_visible()
    expect(page.locator("#f-channel")).to_have_value("来信")
    page.fill("#f-summary", "群众来信反映夜间异味")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已发起「12369 环境投诉办理」")
    complaint_page = page.url
    page.goto(f"{url}/?view=todo")
    expect(page.locator(".task-link", has_text="受理登记")).to_be_visible()
    screens(page, "91-start-complaint-in-todo")

    page.goto(complaint_page)
    page.fill("#withdraw-reason", "同一来信已登记")
    page.locator("section.withdraw button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已撤回")
    expect(page.locator("#withdraw-reason")).to_have_count(0)
    screens(page, "92-start-withdrawn")
    page.goto(f"{url}/?view=todo")
    expect(page.locator(".task-link", has_text="受理登记")).to_have_count(0)
    context.close()
