"""In a real browser, the designer's whole round: two ledger matters run on the deployed version
(one at 整改, one at 科长审核); the designer uploads ledger_matter.bpmn with the 退回 condition
broken and sees the error on that flow; opens the upload in the editor (bpmn-js modeler), 校验 marks
the same flow there; selects it from the report, writes the condition again in the properties
panel, 校验 passes, 部署为新版本 makes N+1; the dry run shows both matters can move, 迁移 moves them,
and the matter at 科长审核, sent back with 退回, takes the mended flow back to 整改 on N+1 — under
the editor's CSP, with no page error and no failed request. On a server of its own (`served`)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.browser import watched_sign_in
from tests.helpers.cosign_world import MATTER
from tests.helpers.forms import RECTIFIED
from tests.helpers.paths import FORMS, IN_CI, PROCESSES, ROOT

EDITOR = ROOT / "web" / "static" / "vendor" / "editor" / "bpmn-editor.js"
REWORK = '${decision == "退回"}'


@pytest.fixture
def broken_upload(tmp_path):
    if not EDITOR.exists():
        if IN_CI:
            pytest.fail(f"{EDITOR} is missing: `make setup` must build the editors (tools/build_editor.mjs)")
        pytest.skip("the editors are not built: run `make setup` (needs npm)")
    text = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
    path = tmp_path / "ledger_matter.bpmn"
    path.write_text(text.replace(REWORK, "${decision == }"), encoding="utf-8")
    return path


def two_matters(served) -> tuple[Engine, int, int]:
    """(engine, the matter at 科长审核, the deployed version)."""
    engine = Engine(served["database_url"], forms_dir=FORMS)
    data = {**MATTER, "enterprise_id": served["ids"]["enterprise_id"]}
    engine.start("ledger_matter", "xh_water1", data)
    at_verify = engine.start("ledger_matter", "xh_water1", data)["id"]
    [rectify] = [t for t in engine.tasks("xh_water1") if t["instance_id"] == at_verify]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    [entry] = [p for p in engine.definition_catalog("root")["processes"] if p["key"] == "ledger_matter"]
    return engine, at_verify, entry["versions"][0]["version"]


def fix_the_condition_in_the_modeler(page, screens):
    page.click("#editor-validate")
    expect(page.locator("#editor-status")).to_have_text("校验未通过：请修改下列问题")
    expect(page.locator("#editor-report li.editor-error")).to_contain_text("JUEL")
    expect(page.locator(".djs-overlays[data-container-id=flow_rework] .designer-badge.error")).to_be_visible()
    screens(page, "editor-00-error-in-the-modeler")
    page.click("#editor-report li.editor-error button")          # selects flow_rework in the modeler
    expect(page.locator(".bio-properties-panel-header")).to_contain_text("顺序流")
    field = page.locator("#bio-properties-panel-conditionExpression")
    if not field.is_visible():
        page.click("[data-group-id=group-CamundaPlatform__Condition] .bio-properties-panel-group-header")
    field.fill(REWORK)
    field.press("Tab")
    expect(page.locator("#editor-status")).to_have_text("有未保存的修改")
    page.click("#editor-validate")
    expect(page.locator("#editor-status")).to_have_text("校验通过，可以部署")
    expect(page.locator(".djs-overlays[data-container-id=flow_rework] .designer-badge.error")).to_have_count(0)


def test_upload_broken_fix_in_the_modeler_deploy_and_migrate(browser, served, broken_upload, screens):
    engine, at_verify, version = two_matters(served)
    context, page, problems = watched_sign_in(browser, served, "root")
    page.goto(served["url"] + "/designer/")
    page.set_input_files("#designer-files", str(broken_upload))
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".djs-overlays[data-container-id=flow_rework] .designer-badge.error")).to_be_visible()
    page.click("text=在编辑器中修改 ledger_matter.bpmn")
    expect(page.locator("body.editor-ready")).to_have_count(1)
    expect(page.locator(".editor-source")).to_contain_text("正在编辑草稿")
    fix_the_condition_in_the_modeler(page, screens)
    screens(page, "editor-01-fixed-in-the-modeler")
    page.click("#editor-deploy")
    page.wait_for_url(re.compile(rf"/designer/process/ledger_matter/{version + 1}\?deployed=1$"))
    expect(page.locator("p.notice")).to_contain_text(f"已部署为新版本 v{version + 1}")
    screens(page, "editor-02-deployed")

    page.goto(served["url"] + "/designer/migrate/")
    page.select_option("#migrate-key", "ledger_matter")
    page.fill("#migrate-from", str(version))
    page.fill("#migrate-to", str(version + 1))
    page.click("button[name=preview]")
    expect(page.locator("#plan .migration-totals")).to_have_text("共 2 个，可迁移 2 个，不可迁移 0 个")
    page.click("#plan form button[type=submit]")
    expect(page.locator(".migration-totals")).to_have_text("共 2 个，已迁移 2 个，未迁移 0 个")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()

    [verify] = [t for t in engine.tasks("xh_water_head") if t["instance_id"] == at_verify]
    assert verify["version"] == version + 1
    if verify["assignee"] is None:
        engine.claim(verify["id"], "xh_water_head")
    engine.complete(verify["id"], "xh_water_head", {"decision": "退回", "opinion": "整改措施不完整"})
    [again] = [t for t in engine.tasks("xh_water1") if t["instance_id"] == at_verify]
    assert (again["name"], again["version"]) == ("整改", version + 1)   # the mended flow, on N+1
    assert engine.designer_draft("root", "process", "ledger_matter") is None   # deploying cleared the draft
    engine.db.dispose()


def test_a_routing_rule_changed_in_the_decision_table_reaches_new_matters(browser, served, broken_upload, screens):
    """The designer sends 其他 matters to the water section in routing.dmn's table (dmn-js); deploying
    it redeploys ledger_matter, which calls it, so the next 其他 matter's 整改 goes to 水环境科."""
    engine = Engine(served["database_url"], forms_dir=FORMS)
    context, page, problems = watched_sign_in(browser, served, "root")
    page.goto(served["url"] + "/designer/edit/decision/routing")
    expect(page.locator("body.editor-ready")).to_have_count(1)
    cell = page.locator("td.output-cell", has_text='"office"')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('"water"')
    expect(page.locator("#editor-status")).to_have_text("有未保存的修改")
    screens(page, "editor-03-decision-table")
    page.click("#editor-deploy")
    page.wait_for_url(re.compile(r"/designer/decision/routing/\d+\?deployed=1&processes=.*ledger_matter:\d+"))
    expect(page.locator("p.notice")).to_contain_text("引用此决策的流程已一并部署为新版本")
    expect(page.locator("p.notice a", has_text="ledger_matter v")).to_have_count(1)
    screens(page, "editor-04-decision-deployed")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()

    other = engine.start("ledger_matter", "xh_water1", {**MATTER, "category": "其他",
                                                        "enterprise_id": served["ids"]["enterprise_id"]})
    [rectify] = [t for t in engine.tasks("xh_water1") if t["instance_id"] == other["id"]]
    assert rectify["name"] == "整改" and engine.show(other["id"])["data"]["section"] == "water"  # was office
    engine.db.dispose()
