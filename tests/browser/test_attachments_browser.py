"""In a real browser, on a phone-sized screen: the water section's staff claims the 水
matter, types the measures, attaches two photos (uploaded in place: what was typed stays,
the photos are ticked as 佐证材料), names a paper document and submits; the ledger names
the photos and the document. A user of another
county is refused the photo's download URL.

Runs on its own server and database (the `served` fixture of conftest.py, not the shared
`live_app`), so the inbox counts the other browser tests assert are not disturbed."""
from __future__ import annotations

from datetime import date

from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.forms import CHECK, VISIT, WATER
from tests.helpers.images import png
from tests.helpers.paths import FORMS
from tests.helpers.web import PASSWORD

PHONE = {"width": 390, "height": 844}


def sign_in(browser, served, user: str):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(served["url"] + "/login")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button.primary")
    expect(page.locator(".tabs")).to_be_visible()
    return context, page


def attach_and_submit(browser, served, screens, photo: bytes) -> None:
    context, page = sign_in(browser, served, "xh_water1")
    page.click('.tab[data-view="claimable"]')
    page.locator("a.task-link", has_text="整改").click()
    page.click("button[name=claim]")
    expect(page.locator(".flash-success")).to_contain_text("已认领「整改」")
    page.fill('[name="measures"]', "已完成厂区雨污管网改造")
    page.set_input_files("#attachment-file", files=[
        {"name": "整改前.png", "mimeType": "image/png", "buffer": photo},
        {"name": "整改后.png", "mimeType": "image/png", "buffer": photo}])
    page.click("#attachments-upload button[type=submit]")
    expect(page.locator(".upload-status")).to_contain_text("已上传：整改前.png、整改后.png")
    expect(page.locator(".attachment .attachment-name")).to_have_text(["整改前.png", "整改后.png"])
    boxes = page.locator('[data-attachment-picker] input[type=checkbox]')
    expect(boxes).to_have_count(2)
    expect(boxes.first).to_be_checked()
    expect(boxes.last).to_be_checked()
    expect(page.locator('[name="measures"]')).to_have_value("已完成厂区雨污管网改造")  # nothing typed was lost
    # (not wait_for_function: its polling evaluates a string, which the page's CSP forbids)
    expect(page.locator(".attachment img").first).to_have_js_property("complete", True)
    assert page.evaluate("document.querySelector('.attachment img').naturalWidth") == 48  # the thumbnail shows
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")      # fits the phone
    page.locator("#attachments").scroll_into_view_if_needed()
    screens(page, "attachments-01-photo-attached-phone")
    page.fill('[name="completion_date"]', date.today().isoformat())
    page.fill('[name="responsible_person"]', "赵强")
    page.fill("textarea#f-evidence", "纸质验收单")                          # material not uploaded
    page.locator('[data-attachment-picker]').scroll_into_view_if_needed()
    screens(page, "attachments-02-evidence-ticked-phone")
    page.click(".submit-bar button")
    expect(page.locator(".flash-success")).to_contain_text("「整改」已提交")
    context.close()


def test_staff_attach_a_photo_and_another_county_cannot_fetch_it(browser, served, screens):
    engine = Engine(served["database_url"], forms_dir=FORMS)
    engine.attachment_dir = served["files"]
    enterprise = served["ids"]["enterprise_id"]
    try:
        instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise})["id"]
        engine.complete(engine.tasks("xh_liaison")[0]["id"], "xh_liaison", VISIT)
        engine.complete(engine.tasks("xh_expert")[0]["id"], "xh_expert", dict(CHECK, findings=[WATER]))
        photo = png()
        attach_and_submit(browser, served, screens, photo)
        [matter] = engine.ledger_for(enterprise, "root")
        assert matter["evidence"] == ["整改前.png", "整改后.png", "纸质验收单"] and matter["status"] == "verifying"
        attachment = engine.attachments_of("xh_water1", instance_id=instance)["attachments"][0]
        download = f"{served['url']}/attachments/{attachment['id']}"

        context, page = sign_in(browser, served, "xh_water1")
        fetched = context.request.get(download)
        assert fetched.status == 200 and fetched.body() == photo
        assert fetched.headers["content-disposition"].startswith("attachment;")
        context.close()

        context, page = sign_in(browser, served, "bj_water1")
        refused = context.request.get(download)
        assert refused.status in (403, 404) and refused.body() != photo
        response = page.goto(download + "?inline=1")
        assert response.status in (403, 404)
        expect(page.locator("h1")).to_contain_text("无权访问" if response.status == 403 else "页面不存在")
        screens(page, "attachments-03-other-county-refused")
        context.close()
    finally:
        engine.db.dispose()
