"""In a real browser: the liaison opens the follow-up (回访) task and issues the one-time
rating link; the enterprise, on a phone without an account, opens it, rates each stage,
comments and submits; opening the link again shows that it has been used; the liaison's
task page then shows the ratings.

The test pairs its own enterprise with its own liaison, so the inbox counts the other
browser test asserts are not disturbed whichever runs first."""
from __future__ import annotations

from playwright.sync_api import expect

from engine.org.creditcode import demo_credit_codes
from engine.org.directory import Pairing, Person
from engine.service import Engine
from tests.helpers.browser import DESKTOP, PHONE, sign_in
from tests.helpers.paths import FORMS
from tests.helpers.rating import reach_follow_up
from tests.helpers.web import PASSWORD

ENTERPRISE = "西湖精密机械有限公司"
LIAISON = "xh_liaison_rate"
LIAISON_PHONE = "13800005678"
SCORES = {"visit": 5, "health_check": 4, "rectification": 4, "overall": 5}
COMMENT = "联络员上门指导很及时，整改方案切实可行。"


def arrange_follow_up(engine: Engine) -> dict:
    """A second enterprise with its own liaison, driven through visit and health check to
    its 回访 task (the engine's clock is frozen in setup; the server runs on real time)."""
    engine.save_person(Person(LIAISON, "西湖 联络员乙", "xh", ("office",), ("staff", "liaison"),
                              phone=LIAISON_PHONE), actor="root")
    engine.set_password(LIAISON, PASSWORD, actor="root")
    code = demo_credit_codes(3, seed=29)[2]
    enterprise_id, _ = engine.pair_enterprise(Pairing(ENTERPRISE, code, "小", "传统产业", "xh", liaison=LIAISON,
                                                      year=2026), actor="root")
    return reach_follow_up(engine, {"enterprise_id": enterprise_id}, liaison=LIAISON)


def issue_link(browser, live_app, screens, task: dict) -> tuple:
    context, page = sign_in(browser, live_app, LIAISON, DESKTOP)
    page.locator("a.task-link", has_text="回访").click()
    expect(page.locator("h1")).to_have_text("回访")
    panel = page.locator("#rating")
    expect(panel).to_contain_text("生成一次性评价链接")
    panel.locator("button[name=issue_rating_link]").click()
    expect(page.locator(".flash-success")).to_contain_text("评价链接已生成")
    expect(panel.locator("img.qr")).to_be_visible()
    assert page.evaluate("document.querySelector('#rating img.qr').naturalWidth") > 0   # the SVG renders
    url = panel.locator("input.rating-url").input_value()
    assert url.startswith(live_app["url"] + "/r/") and len(url.rsplit("/", 1)[1]) == 43
    expect(panel.locator(".expiry")).to_contain_text("有效期至")
    panel.scroll_into_view_if_needed()
    screens(page, "rating-01-link-issued")
    return context, page, url


def rate_on_a_phone(browser, screens, url: str) -> None:
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    response = page.goto(url)
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("请为本次服务评价")
    expect(page.locator(".enterprise")).to_have_text(ENTERPRISE)
    expect(page.locator(".liaison")).to_have_text("西湖 联络员乙")
    expect(page.locator("body")).not_to_contain_text(LIAISON_PHONE)
    expect(page.locator("body")).not_to_contain_text("我的待办")                   # no staff layout
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
    box = page.locator('label[for="s-visit-5"]').bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44                             # a thumb hits it
    screens(page, "rating-02-phone-page")
    for stage, score in SCORES.items():
        page.locator(f'label[for="s-{stage}-{score}"]').tap()
        expect(page.locator(f'input[name="stage.{stage}"][value="{score}"]')).to_be_checked()
    page.fill("#comment", COMMENT)
    page.locator('fieldset[data-stage="overall"]').scroll_into_view_if_needed()
    screens(page, "rating-03-phone-rated")
    page.locator("button.submit").tap()
    expect(page.locator("h1")).to_have_text("感谢您的评价")
    expect(page.locator("main")).to_contain_text(ENTERPRISE)
    screens(page, "rating-04-phone-thanks")
    again = page.goto(url)
    assert again.status == 410
    expect(page.locator("h1")).to_have_text("评价已提交")
    expect(page.locator(".message")).to_contain_text("已使用")
    expect(page.locator("form")).to_have_count(0)
    screens(page, "rating-05-phone-link-used")
    phone.close()


def test_the_enterprise_rates_the_service_on_a_phone(browser, live_app, screens):
    engine = Engine(live_app["database_url"], forms_dir=FORMS)
    try:
        task = arrange_follow_up(engine)
        context, page, url = issue_link(browser, live_app, screens, task)
        rate_on_a_phone(browser, screens, url)
        page.reload()
        panel = page.locator("#rating")
        expect(panel).to_have_attribute("data-status", "used")
        expect(panel.locator('li[data-stage="health_check"]')).to_contain_text("4")
        expect(panel).to_contain_text(COMMENT)
        expect(panel.locator("img.qr")).to_have_count(0)
        panel.scroll_into_view_if_needed()
        screens(page, "rating-06-task-shows-ratings")
        context.close()
        (rating,) = engine.ratings_of_enterprise(task["enterprise_id"], LIAISON)
        assert {s["stage"]: s["score"] for s in rating["scores"]} == SCORES and rating["comment"] == COMMENT
    finally:
        engine.db.dispose()
