"""Steps of the 三服务 story in a real browser, shared by the inbox and the lifecycle browser
tests: the liaison records the visit on a phone, the expert records a health check with two
findings, and a user of another county sees none of it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers.browser import DESKTOP, PHONE, sign_in, tab_count


def record_visit(browser, live_app, screens, today: str) -> None:
    """The liaison, on a phone, records the visit."""
    context, page = sign_in(browser, live_app, "xh_liaison", PHONE, screens)
    row = page.locator("tr", has_text="记录走访")
    expect(row).to_contain_text("西湖印染有限公司")
    expect(row.locator(".left")).to_contain_text(re.compile(r"剩 [67] 个工作日"))  # P7D, less the seconds since
    screens(page, "01-liaison-inbox-phone")
    row.locator("a.task-link").click()
    expect(page.locator("h1")).to_have_text("记录走访")
    page.fill('[name="visit_date"]', today)
    page.check('input[name="mode"][value="走访"]')
    page.fill('[name="members"]', "张明\n李华")
    page.fill('[name="needs"]', "希望指导污水处理设施提标改造")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
    screens(page, "02-visit-form-phone")
    page.click(".submit-bar button")
    expect(page.locator(".flash-success")).to_contain_text("「记录走访」已提交")
    assert tab_count(page, "todo") == "0" and tab_count(page, "done") == "1"
    screens(page, "03-liaison-after-visit")
    context.close()


def record_health_check(browser, live_app, screens, today: str) -> None:
    """The expert records a health check with two findings (the second row added by JS)."""
    context, page = sign_in(browser, live_app, "xh_expert", DESKTOP)
    page.locator("a.task-link", has_text="环保体检").click()
    page.fill('[name="check_date"]', today)
    page.fill('[name="experts"]', "王工")
    page.fill('[name="summary"]', "企业环境管理基本规范，发现两处问题")
    page.select_option('[name="findings.0.category"]', "水")
    page.fill('[name="findings.0.description"]', "雨污分流不彻底，雨水口有污水混入")
    page.check('input[name="findings.0.severity"][value="较重"]')
    page.click('button.add-row[value="findings"]')
    expect(page.locator('[name="findings.1.category"]')).to_be_visible()
    page.select_option('[name="findings.1.category"]', "气")
    page.fill('[name="findings.1.description"]', "喷涂工序 VOCs 无组织排放")
    page.check('input[name="findings.1.severity"][value="一般"]')
    screens(page, "04-health-check-two-findings")
    page.click(".submit-bar button")
    expect(page.locator(".flash-success")).to_contain_text("「环保体检」已提交")
    context.close()


def other_county_sees_nothing(browser, live_app, screens, water_url: str) -> None:
    context, page = sign_in(browser, live_app, "bj_water1", DESKTOP)
    assert [tab_count(page, v) for v in ("todo", "claimable", "done", "started")] == ["0"] * 4
    expect(page.locator(".page")).not_to_contain_text("西湖印染")
    screens(page, "09-other-county-inbox")
    response = page.goto(water_url)
    assert response.status in (403, 404)
    expect(page.locator("h1")).to_contain_text("无权访问" if response.status == 403 else "页面不存在")
    expect(page.locator(".page")).not_to_contain_text("西湖印染")
    screens(page, "10-other-county-task-refused")
    context.close()
