"""In a real browser: the instance page draws the deployed BPMN with bpmn-js (installed by
`make setup` into web/static/vendor/bpmn-js/), the steps done marked green and the current
one orange, under the app's CSP with no console error; the task page's collapsed 流程图
draws the same on a phone; without the viewer the steps are listed as text.

Runs against its own server and database (not the shared `live_app`), so the instances it
starts do not change the inbox counts other browser tests assert.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.browser import CSP_WATCH
from tests.helpers.forms import VISIT
from tests.helpers.paths import FORMS, IN_CI, ROOT
from tests.helpers.server import serve
from tests.helpers.web import PASSWORD, prepare_database

VIEWER = ROOT / "web" / "static" / "vendor" / "bpmn-js" / "bpmn-navigated-viewer.production.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
GREEN, ORANGE = "rgb(46, 125, 50)", "rgb(239, 108, 0)"
# Records every CSP violation, whatever reports it (installed before any page script runs).


@pytest.fixture(scope="module")
def diagram_app(tmp_path_factory, chromium):
    """An instance of enterprise_service whose visit is recorded (health check current),
    served by `python -m web` on a database of its own."""
    if not VIEWER.exists():
        if IN_CI:
            pytest.fail(f"{VIEWER} is missing: `make setup` must install bpmn-js (npm ci)")
        pytest.skip("bpmn-js is not installed: run `make setup` (needs npm)")
    folder = tmp_path_factory.mktemp("diagram")
    database = folder / "sanfu.db"
    ids = prepare_database(database)
    engine = Engine(f"sqlite:///{database}", forms_dir=FORMS)
    instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": ids["enterprise_id"]})["id"]
    visit = next(t for t in engine.tasks("xh_liaison") if t["instance_id"] == instance)
    engine.complete(visit["id"], "xh_liaison", VISIT)
    check = next(t for t in engine.tasks("xh_expert") if t["instance_id"] == instance)
    engine.db.dispose()
    with serve(database, folder) as url:
        yield {"url": url, "instance": instance, "check_task": check["id"]}


def signed_in_page(browser, app, user: str, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(app["url"] + "/login")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    expect(page.locator("h1")).not_to_have_text("登录")
    page.add_init_script(CSP_WATCH)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return context, page, problems


def re_class(name: str):
    return re.compile(rf"(^|\s){name}(\s|$)")


def shape(page, element_id: str):
    return page.locator(f'.djs-element[data-element-id="{element_id}"]')


def stroke_of(page, element_id: str) -> tuple[str, str]:
    return tuple(page.evaluate(
        "id => { const el = document.querySelector(`.djs-element[data-element-id='${id}'] .djs-visual > *`);"
        " const s = getComputedStyle(el); return [s.stroke, s.strokeWidth]; }", element_id))


def test_the_instance_page_marks_done_and_current_steps(browser, diagram_app, screens):
    context, page, problems = signed_in_page(browser, diagram_app, "xh_liaison", DESKTOP)
    page.goto(f"{diagram_app['url']}/instances/{diagram_app['instance']}")
    expect(page.locator(".diagram-canvas svg[data-element-id]")).to_be_visible()
    expect(shape(page, "health_check")).to_have_class(re_class("active"))
    for done in ("start_service", "record_visit"):
        expect(shape(page, done)).to_have_class(re_class("done"))
    for untouched in ("gw_findings", "ledger_matters", "follow_up", "end_service"):
        assert not {"done", "active"} & set(shape(page, untouched).get_attribute("class").split()), untouched
    assert stroke_of(page, "record_visit")[0] == GREEN
    assert stroke_of(page, "health_check") == (ORANGE, "4px")
    expect(page.locator(".diagram-legend")).to_be_visible()
    expect(page.locator(".diagram-fallback")).to_be_hidden()              # the text list is for no-JS
    box = page.locator(".diagram-canvas svg[data-element-id] > .viewport").bounding_box()
    assert box["width"] > 300 and box["height"] > 100                      # fitted, not a speck
    page.locator(".diagram-card").scroll_into_view_if_needed()
    screens(page, "diagram-01-instance-page")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()


def test_the_task_page_draws_the_diagram_when_opened_on_a_phone(browser, diagram_app, screens):
    context, page, problems = signed_in_page(browser, diagram_app, "xh_expert", PHONE)
    page.goto(f"{diagram_app['url']}/tasks/{diagram_app['check_task']}")
    expect(page.locator(".diagram-canvas")).to_be_hidden()                 # collapsed until opened
    page.click("details.diagram > summary")
    expect(page.locator(".diagram-canvas svg[data-element-id]")).to_be_visible()
    expect(shape(page, "health_check")).to_have_class(re_class("active"))
    expect(shape(page, "record_visit")).to_have_class(re_class("done"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
    fitted = shape(page, "health_check").bounding_box()["width"]
    page.click('.diagram-tools button[data-zoom="in"]')
    assert shape(page, "health_check").bounding_box()["width"] > fitted * 1.2   # zoomed in
    page.locator(".diagram-card").scroll_into_view_if_needed()
    screens(page, "diagram-02-task-page-phone")
    page.click(".diagram-link a")
    expect(page.locator("h1")).to_contain_text("结对服务（五个一）")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()


def test_without_the_viewer_the_steps_are_listed(browser, diagram_app, screens):
    context, page, _ = signed_in_page(browser, diagram_app, "xh_liaison", DESKTOP)
    page.route("**/vendor/bpmn-js/*.js", lambda route: route.abort())
    page.goto(f"{diagram_app['url']}/instances/{diagram_app['instance']}")
    expect(page.locator(".diagram-note")).to_contain_text("流程图组件未安装")
    expect(page.locator(".steps.done li")).to_have_text(["结对服务开始", "记录走访"])
    expect(page.locator(".steps.active li")).to_have_text(["环保体检"])
    expect(page.locator(".diagram-canvas")).to_be_hidden()
    expect(page.locator(".diagram-legend")).to_be_hidden()
    screens(page, "diagram-03-no-viewer")
    context.close()
