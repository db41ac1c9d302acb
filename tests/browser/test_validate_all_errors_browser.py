"""In a real browser: a designer uploads ledger_matter.bpmn with two broken conditions and sees
both errors listed and a red badge (a bpmn-js overlay) on each of the two sequence flows; with
four mistakes, four badges. 校验 saves nothing, so the shared `live_app` serves."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_diagram_browser import VIEWER
from tests.helpers.broken_ledger import EXPECTED, broken_ledger_matter
from tests.helpers.browser import watched_sign_in
from tests.helpers.paths import IN_CI, PROCESSES


@pytest.fixture
def models(tmp_path):
    if not VIEWER.exists():
        if IN_CI:
            pytest.fail(f"{VIEWER} is missing: `make setup` must install bpmn-js (npm ci)")
        pytest.skip("bpmn-js is not installed: run `make setup` (needs npm)")
    paths = {}
    for name, only in (("two", ("flow_closed", "flow_rework")), ("four", None)):
        (tmp_path / name).mkdir()
        paths[name] = tmp_path / name / "ledger_matter.bpmn"
        paths[name].write_text(broken_ledger_matter(only), encoding="utf-8")
    paths["other"] = tmp_path / "four" / "other_matter.bpmn"  # its own 'rectify' (and the rest), no mistake
    clean = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
    paths["other"].write_text(clean.replace("ledger_matter", "other_matter"), encoding="utf-8")
    return paths


def badge(page, element: str):
    return page.locator(f".djs-overlays[data-container-id={element}] .designer-badge.error")


def validate(page, url: str, *paths) -> None:
    page.goto(url + "/designer/")
    page.set_input_files("#designer-files", [str(path) for path in paths])
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".designer-verdict.failed")).to_be_visible()
    expect(page.locator(".designer-diagram.diagram-ready")).to_have_count(len(paths))


def test_every_error_is_listed_and_on_its_element(browser, live_app, models, screens):
    context, page, problems = watched_sign_in(browser, live_app, "root")
    validate(page, live_app["url"], models["two"])
    expect(page.locator(".designer-errors li")).to_have_count(2)
    expect(page.locator(".designer-badge.error")).to_have_count(2)
    for element, named in (("flow_closed", "${decision ==}"), ("flow_rework", "__class__")):
        expect(page.locator(f".designer-errors li[data-element={element}]")).to_contain_text(named)
        expect(badge(page, element)).to_be_visible()
        expect(badge(page, element)).to_contain_text("JUEL")
        expect(page.locator(f"[data-element-id={element}].designer-error")).to_have_count(1)
    screens(page, "validate-all-01-two-conditions")
    validate(page, live_app["url"], models["four"])
    expect(page.locator(".designer-errors li")).to_have_count(4)
    expect(page.locator(".designer-badge.error")).to_have_count(4)
    for element, named in EXPECTED:
        expect(badge(page, element)).to_contain_text(named)
    screens(page, "validate-all-02-four-mistakes")
    validate(page, live_app["url"], models["four"], models["other"])
    expect(page.locator(".designer-badge.error")).to_have_count(4)  # none on other_matter's own elements
    other = page.locator(".designer-diagram[data-file='other_matter.bpmn']")
    expect(other.locator("[data-element-id=rectify]").first).to_be_visible()
    expect(other.locator(".designer-badge.error, .designer-error")).to_have_count(0)
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()
