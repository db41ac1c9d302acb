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


CSP_WATCH = ("window.__csp = []; document.addEventListener('securitypolicyviolation', function (e) {"
             " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });")


def watched_sign_in(browser, app: dict, user: str, viewport: dict = DESKTOP):
    """(context, page, problems): `user` signed in on a page that records CSP violations in
    `window.__csp`, and page errors and failed responses in `problems`."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.add_init_script(CSP_WATCH)
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(app["url"] + "/login")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    return context, page, problems
