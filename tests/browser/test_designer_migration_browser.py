"""In a real browser: two ledger matters run on v1 (one at 整改, one at 科长审核); the admin
deploys a v2 whose 销号 and 解释说明 conditions are swapped, opens 迁移 on the workbench, picks
ledger_matter 1 → 2, and the dry run shows both as 可迁移; 迁移 moves them; the matter at
科长审核 then finishes on v2's conditions — under the app's CSP, with no failed request."""
from __future__ import annotations

from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.browser import watched_sign_in
from tests.helpers.cosign_world import MATTER
from tests.helpers.forms import RECTIFIED
from tests.helpers.paths import FORMS, PROCESSES

CLOSE, EXPLAIN = '${decision == "销号"}', '${decision == "解释说明"}'


def two_matters_and_a_v2(served, tmp_path) -> tuple[Engine, int]:
    engine = Engine(served["database_url"], forms_dir=FORMS)
    data = {**MATTER, "enterprise_id": served["ids"]["enterprise_id"]}
    engine.start("ledger_matter", "xh_water1", data)
    at_verify = engine.start("ledger_matter", "xh_water1", data)["id"]
    [rectify] = [t for t in engine.tasks("xh_water1") if t["instance_id"] == at_verify]
    engine.claim(rectify["id"], "xh_water1")
    engine.complete(rectify["id"], "xh_water1", RECTIFIED)
    text = (PROCESSES / "ledger_matter.bpmn").read_text(encoding="utf-8")
    copy = tmp_path / "ledger_matter.bpmn"
    copy.write_text(text.replace(CLOSE, "@@").replace(EXPLAIN, CLOSE).replace("@@", EXPLAIN), encoding="utf-8")
    engine.deploy([copy], "root")
    return engine, at_verify


def test_the_dry_run_then_the_migration_on_the_workbench(browser, served, tmp_path, screens):
    engine, at_verify = two_matters_and_a_v2(served, tmp_path)
    context, page, problems = watched_sign_in(browser, served, "root")
    page.goto(served["url"] + "/designer/migrate/")
    page.select_option("#migrate-key", "ledger_matter")
    page.fill("#migrate-from", "1")
    page.fill("#migrate-to", "2")
    page.click("button[name=preview]")
    expect(page.locator("#plan .migration-totals")).to_have_text("共 2 个，可迁移 2 个，不可迁移 0 个")
    expect(page.locator("tr.migration-row.movable")).to_have_count(2)
    expect(page.locator(f"tr.migration-row[data-instance='{at_verify}']")).to_contain_text("verify")
    screens(page, "migration-01-dry-run")
    page.click("#plan form button[type=submit]")
    expect(page.locator(".migration-totals")).to_have_text("共 2 个，已迁移 2 个，未迁移 0 个")
    expect(page.locator("tr.migration-row").first).to_contain_text("已迁移")
    screens(page, "migration-02-migrated")
    assert page.evaluate("window.__csp") == [] and problems == []
    context.close()

    [verify] = [t for t in engine.tasks("xh_water_head") if t["instance_id"] == at_verify]
    assert verify["version"] == 2
    if verify["assignee"] is None:
        engine.claim(verify["id"], "xh_water_head")
    engine.complete(verify["id"], "xh_water_head", {"decision": "解释说明", "opinion": "企业已说明",
                                                    "explanation": "属历史遗留，已报备"})
    shown = engine.show(at_verify)
    assert shown["status"] == "completed" and shown["data"]["status"] == "closed"  # v2's swapped branch
    engine.db.dispose()
