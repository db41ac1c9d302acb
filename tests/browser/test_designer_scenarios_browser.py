"""In a real browser: a designer uploads the ledger_matter scenario with one expected lane
wrong, runs it on the workbench and sees the failing step in red with its difference, and the
diagram with 科长审核 marked red and the steps that passed green — under the app's CSP."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_diagram_browser import GREEN, VIEWER, shape, stroke_of
from tests.helpers.browser import watched_sign_in
from tests.helpers.paths import IN_CI, PROCESSES

RED = "rgb(198, 40, 40)"


@pytest.fixture
def wrong_lane(tmp_path):
    if not VIEWER.exists():
        if IN_CI:
            pytest.fail(f"{VIEWER} is missing: `make setup` must install bpmn-js (npm ci)")
        pytest.skip("bpmn-js is not installed: run `make setup` (needs npm)")
    text = (PROCESSES / "ledger_matter.scenario.yaml").read_text(encoding="utf-8")
    path = tmp_path / "ledger_matter.scenario.yaml"
    path.write_text(text.replace("{task: verify, lane: 科长,", "{task: verify, lane: 督办,"), encoding="utf-8")
    return path


def test_a_failing_scenario_is_red_on_the_list_and_the_diagram(browser, live_app, wrong_lane, screens):
    context, page, problems = watched_sign_in(browser, live_app, "root")
    page.goto(live_app["url"] + "/designer/scenarios/")
    expect(page.locator("tr.scenario")).to_have_count(3)
    page.set_input_files("#scenario-files", [str(wrong_lane), str(PROCESSES / "ledger_matter.bpmn")])
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".scenario-verdict.failed")).to_contain_text("15 步通过，1 步失败")
    expect(page.locator(".scenario-step.failed")).to_contain_text("待办 verify 的泳道 lane：预期 督办，实际 科长")
    expect(page.locator(".scenario-diagram svg[data-element-id]")).to_be_visible()
    expect(shape(page, "verify")).to_have_class(re.compile(r"(^|\s)scenario-failed(\s|$)"))
    expect(shape(page, "rectify")).to_have_class(re.compile(r"(^|\s)scenario-passed(\s|$)"))
    assert stroke_of(page, "verify") == (RED, "4px")
    assert stroke_of(page, "urge_rectification")[0] == GREEN
    screens(page, "scenario-01-failed-lane")
    page.locator(".scenario-diagram").scroll_into_view_if_needed()
    screens(page, "scenario-02-failed-lane-diagram")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()
