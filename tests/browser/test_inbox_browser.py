"""In a real browser: the liaison records a visit on a phone, the expert records a health
check with two findings, the water section's staff claims the 水 matter and submits the
rectification; a user of another county sees none of it."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.browser import PHONE, sign_in, tab_count
from tests.helpers.browser_story import other_county_sees_nothing, record_health_check, record_visit
from tests.helpers.paths import FORMS


def rectify_water_matter(browser, live_app, screens, today: str) -> str:
    """The water section's staff claims the 水 matter and submits the rectification;
    returns the task page's URL."""
    context, page = sign_in(browser, live_app, "xh_water1", PHONE)
    assert tab_count(page, "claimable") == "1" and tab_count(page, "todo") == "0"
    page.click('.tab[data-view="claimable"]')
    # The bulk bar's do-nothing default button (Enter in a text box) is not an empty white box.
    expect(page.locator('.bulk-bar button[value="none"]')).to_be_hidden()
    expect(page.locator('.bulk-bar button[value="claim"]')).to_be_visible()
    screens(page, "05-water-section-queue")
    page.locator("a.task-link", has_text="整改").click()
    water_url = page.url
    page.click("button[name=claim]")
    expect(page.locator(".flash-success")).to_contain_text("已认领「整改」")
    screens(page, "06-matter-claimed")
    page.fill('[name="measures"]', "已完成厂区雨污管网改造")
    page.fill('[name="evidence"]', "整改前.jpg\n整改后.jpg")
    page.fill('[name="completion_date"]', today)
    page.fill('[name="responsible_person"]', "赵强")
    screens(page, "07-rectification-form")
    page.click(".submit-bar button")
    expect(page.locator(".flash-success")).to_contain_text("「整改」已提交")
    page.click('.tab[data-view="done"]')
    expect(page.locator("a.task-link", has_text="整改")).to_be_visible()
    screens(page, "08-water-done")
    context.close()
    return water_url


def test_visit_health_check_and_rectification_in_the_browser(browser, live_app, screens):
    engine = Engine(live_app["database_url"], forms_dir=FORMS)
    enterprise = live_app["ids"]["enterprise_id"]
    engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise})
    today = date.today().isoformat()
    try:
        record_visit(browser, live_app, screens, today)
        record_health_check(browser, live_app, screens, today)
        matters = {m["category"]: m for m in engine.ledger_for(enterprise, "root")}
        assert set(matters) == {"水", "气"} and matters["水"]["status"] == "rectifying"
        water_url = rectify_water_matter(browser, live_app, screens, today)
        assert {m["category"]: m["status"] for m in engine.ledger_for(enterprise, "root")}["水"] == "verifying"
        other_county_sees_nothing(browser, live_app, screens, water_url)
    finally:
        engine.db.dispose()
