"""What the browser tests share: the two viewports, signing in on the login page, and a
tab's count in the inbox."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.web import PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def sign_in(browser, live_app, user: str, viewport: dict, screens=None):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(live_app["url"] + "/")
    expect(page.locator("h1")).to_have_text("登录")
    if screens is not None:
        screens(page, "00-login-phone")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    expect(page.locator(".tabs")).to_be_visible()
    return context, page


def tab_count(page, view: str) -> str:
    return page.locator(f'.tab[data-view="{view}"] .count').inner_text()
