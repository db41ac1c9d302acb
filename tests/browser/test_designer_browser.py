"""In a real browser: a designer uploads a ledger_matter.bpmn with a broken condition, reads the
error and sees it as a red badge on that sequence flow in the diagram (a bpmn-js overlay), then
uploads the fixed model and deploys it as version N+1 — under the app's CSP. On a server of its
own (`served`): a new ledger_matter version in the shared `live_app` would change the matters the
other browser tests start."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_diagram_browser import VIEWER
from tests.helpers.browser import watched_sign_in
from tests.helpers.paths import IN_CI, PROCESSES


@pytest.fixture
def models(tmp_path):
    if not VIEWER.exists():
        if IN_CI:
            pytest.fail(f"{VIEWER} is missing: `make setup` must install bpmn-js (npm ci)")
        pytest.skip("bpmn-js is not installed: run `make setup` (needs npm)")
    text = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "fixed").mkdir()
    broken = tmp_path / "broken" / "ledger_matter.bpmn"
    broken.write_text(text.replace('${decision == "退回"}', "${decision == }"), encoding="utf-8")
    fixed = tmp_path / "fixed" / "ledger_matter.bpmn"
    fixed.write_text(text.replace('name="整改"', 'name="限期整改"'), encoding="utf-8")
    return broken, fixed


def test_the_error_is_on_the_diagram_and_the_fixed_model_deploys(browser, served, models, screens):
    broken, fixed = models
    context, page, problems = watched_sign_in(browser, served, "root")
    page.click("nav >> text=流程设计")
    row = page.locator("tr[data-key=ledger_matter]").first
    version = int(row.get_attribute("data-version"))
    page.set_input_files("#designer-files", str(broken))
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".designer-verdict.failed")).to_be_visible()
    expect(page.locator(".designer-errors li[data-element=flow_rework]")).to_contain_text("JUEL")
    badge = page.locator(".djs-overlays[data-container-id=flow_rework] .designer-badge.error")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("JUEL")
    expect(page.locator("[data-element-id=flow_rework].designer-error")).to_have_count(1)
    screens(page, "designer-01-error-overlay")
    page.goto(served["url"] + "/designer/")
    page.set_input_files("#designer-files", str(fixed))
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".designer-verdict.passed")).to_be_visible()
    page.click("text=部署为新版本")
    expect(page.locator(".designer-deployed")).to_contain_text(f"ledger_matter v{version + 1}")
    page.goto(served["url"] + "/designer/")
    expect(page.locator("tr[data-key=ledger_matter]").first).to_have_attribute("data-version", str(version + 1))
    expect(page.locator("tr[data-key=ledger_matter]").first).to_contain_text(re.compile("修改 1 个：限期整改"))
    screens(page, "designer-02-deployed")
    page.click(f"a[href='/designer/process/ledger_matter/{version + 1}']")
    expect(page.locator(".designer-diagram svg [data-element-id=rectify]").first).to_be_visible()
    expect(page.locator("tr[data-element=rectify]")).to_contain_text("限期整改")
    expect(page.locator("tr[data-element=rectify]")).to_contain_text("matter_rectification")
    screens(page, "designer-03-version")
    page.click("text=与上一版本的差异")
    expect(page.locator(".designer-diff li[data-element=rectify]")).to_contain_text("名称：整改 → 限期整改")
    screens(page, "designer-04-diff")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()
