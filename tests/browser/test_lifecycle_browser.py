"""The whole story of the 三服务 campaign in a real browser, one enterprise (西湖印染) from
the visit to its own rating:

1. the liaison, on a phone, records the visit;
2. the expert records a health check with two findings (水, 气);
3. the water section's staff claims the 水 matter, attaches a photo as evidence and submits;
4. the water section head checks the evidence and closes the matter out (销号);
5. a user of another county sees none of it: empty inbox, the task and the photo refused;
6. the 回访: the liaison issues the one-time rating link, and the enterprise rates every
   stage on a phone (390×844, is_mobile); the link works once.

Steps 1, 2 and 5 are the steps test_inbox_browser.py takes too (tests/helpers/browser_story.py);
the photo comes from tests/helpers/images.py.
The engine is driven directly only for what the story does not name: starting the
service, the 气 matter (another section's work) and the 30-day wait before the 回访
(timers fired with the engine's clock moved on). Runs on its own server and database (the
`served` fixture of conftest.py, one per module), so no other browser test's counts are
disturbed.
"""
from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from engine import clock
from engine.service import Engine
from tests.helpers.browser import DESKTOP, PHONE, sign_in, tab_count
from tests.helpers.browser_story import other_county_sees_nothing, record_health_check, record_visit
from tests.helpers.forms import RECTIFIED
from tests.helpers.images import png
from tests.helpers.paths import FORMS

ENTERPRISE = "西湖印染有限公司"
SCORES = (5, 4, 4, 5)  # per stage, in the order the page lists them
COMMENT = "整改指导细致，回访及时。"


def rectify_with_a_photo(browser, server, screens, photo: bytes) -> str:
    """The water section's staff, on a phone, claims the 水 matter, uploads a photo (ticked
    as 佐证材料 in place) and submits; returns the task page's URL."""
    context, page = sign_in(browser, server, "xh_water1", PHONE)
    assert tab_count(page, "claimable") == "1"
    page.click('.tab[data-view="claimable"]')
    page.locator("a.task-link", has_text="整改").click()
    task_url = page.url
    page.click("button[name=claim]")
    expect(page.locator(".flash-success")).to_contain_text("已认领「整改」")
    page.fill('[name="measures"]', "已完成厂区雨污管网改造")
    page.set_input_files("#attachment-file", files=[{"name": "整改后.png", "mimeType": "image/png",
                                                     "buffer": photo}])
    page.click("#attachments-upload button[type=submit]")
    expect(page.locator(".attachment .attachment-name")).to_have_text("整改后.png")
    expect(page.locator("[data-attachment-picker] input[type=checkbox]")).to_be_checked()
    expect(page.locator('[name="measures"]')).to_have_value("已完成厂区雨污管网改造")  # nothing typed was lost
    page.fill('[name="completion_date"]', date.today().isoformat())
    page.fill('[name="responsible_person"]', "赵强")
    page.locator("#attachments").scroll_into_view_if_needed()
    screens(page, "lifecycle-01-photo-attached-phone")
    page.click(".submit-bar button")
    expect(page.locator(".flash-success")).to_contain_text("「整改」已提交")
    context.close()
    return task_url


def close_out(browser, server, screens) -> None:
    """The water section head opens 科长审核, sees the rectification and its photo, and
    closes the matter out (销号)."""
    context, page = sign_in(browser, server, "xh_water_head", DESKTOP)
    assert tab_count(page, "todo") == "1"
    row = page.locator("tr", has_text="科长审核")
    expect(row).to_contain_text(ENTERPRISE)
    screens(page, "lifecycle-02-head-inbox")
    row.locator("a.task-link").click()
    expect(page.locator("h1")).to_have_text("科长审核")
    expect(page.locator(".page")).to_contain_text("已完成厂区雨污管网改造")           # what the staff submitted
    expect(page.locator("#attachments .attachment-name")).to_have_text("整改后.png")  # the evidence photo
    page.check('input[name="decision"][value="销号"]')
    page.fill('[name="opinion"]', "现场核实雨污管网已改造，佐证照片清晰，同意销号")
    screens(page, "lifecycle-03-head-closes-out")
    page.click(".submit-bar button")
    expect(page.locator(".flash-success")).to_contain_text("「科长审核」已提交")
    assert tab_count(page, "todo") == "0" and tab_count(page, "done") == "1"
    page.goto(f"{server['url']}/enterprises/{server['ids']['enterprise_id']}")
    water = page.locator("section.matters tr", has_text="雨污分流")
    expect(water.locator(".status")).to_have_text("已销号")
    screens(page, "lifecycle-04-ledger-water-closed")
    context.close()


def attachment_refused(browser, server, screens, download: str) -> None:
    context, page = sign_in(browser, server, "bj_water1", DESKTOP)
    refused = context.request.get(download)
    assert refused.status in (403, 404) and not refused.headers.get("content-type", "").startswith("image/")
    response = page.goto(download + "?inline=1")
    assert response.status in (403, 404)
    expect(page.locator("h1")).to_contain_text("无权访问" if response.status == 403 else "页面不存在")
    screens(page, "lifecycle-05-other-county-photo-refused")
    context.close()


def air_matter_closed_by_the_engine(engine: Engine) -> None:
    """Not in the story: the 大气 section rectifies and closes its matter (the 回访 waits
    for every matter). Done by this process's Engine while the server's started the
    matters: the 回访 must come whichever process closes the last one
    (tests/engine/test_matters_across_workers.py)."""
    [air] = [t for t in engine.tasks("xh_air1") if t["name"] == "整改"]
    engine.claim(air["id"], "xh_air1")
    engine.complete(air["id"], "xh_air1", dict(RECTIFIED, measures="已加装集气罩和活性炭吸附装置"))
    [verify] = [t for t in engine.tasks("xh_air_head") if t["name"] == "科长审核"]
    engine.complete(verify["id"], "xh_air_head", {"decision": "销号", "opinion": "核实到位"})


def thirty_days_later(engine: Engine) -> None:
    """The 30-day wait before the 回访 passes: fire the due timers with the engine's clock
    moved on (the server keeps real time; the 回访 task it then shows is due in 7 days)."""
    with clock.frozen_at(clock.now() + timedelta(days=31)):
        fired = engine.fire_due_timers()["fired"]
    assert fired == 1, "the 回访 wait did not start once every matter was closed out"


def issue_rating_link(browser, server, screens):
    context, page = sign_in(browser, server, "xh_liaison", DESKTOP)
    page.locator("a.task-link", has_text="回访").click()
    expect(page.locator("h1")).to_have_text("回访")
    panel = page.locator("#rating")
    panel.locator("button[name=issue_rating_link]").click()
    expect(page.locator(".flash-success")).to_contain_text("评价链接已生成")
    expect(panel.locator("img.qr")).to_be_visible()
    url = panel.locator("input.rating-url").input_value()
    assert url.startswith(server["url"] + "/r/")
    panel.scroll_into_view_if_needed()
    screens(page, "lifecycle-06-rating-link-issued")
    return context, page, url


def rate_on_a_phone(browser, screens, url: str) -> dict:
    """The enterprise, without an account, rates every stage on a phone; returns the scores."""
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = phone.new_page()
    assert page.goto(url).status == 200
    expect(page.locator(".enterprise")).to_have_text(ENTERPRISE)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
    stages = page.locator("fieldset[data-stage]").evaluate_all("els => els.map(e => e.dataset.stage)")
    assert "rectification" in stages and len(stages) == len(SCORES), stages
    scores = dict(zip(stages, SCORES))
    screens(page, "lifecycle-07-phone-rating-page")
    for stage, score in scores.items():
        page.locator(f'label[for="s-{stage}-{score}"]').tap()
    page.fill("#comment", COMMENT)
    screens(page, "lifecycle-08-phone-rated")
    page.locator("button.submit").tap()
    expect(page.locator("h1")).to_have_text("感谢您的评价")
    screens(page, "lifecycle-09-phone-thanks")
    assert page.goto(url).status == 410                                           # it works once
    expect(page.locator("form")).to_have_count(0)
    phone.close()
    return scores


def test_from_the_visit_to_the_enterprises_rating_in_the_browser(browser, served, screens):
    engine = Engine(served["database_url"], forms_dir=FORMS)
    engine.attachment_dir = served["files"]
    enterprise = served["ids"]["enterprise_id"]
    today = date.today().isoformat()
    try:
        instance = engine.start("enterprise_service", "xh_liaison", {"enterprise_id": enterprise})["id"]
        record_visit(browser, served, screens, today)
        record_health_check(browser, served, screens, today)
        assert {m["category"]: m["status"] for m in engine.ledger_for(enterprise, "root")} == \
            {"水": "rectifying", "气": "rectifying"}

        water_url = rectify_with_a_photo(browser, served, screens, png())
        [photo] = engine.attachments_of("xh_water1", instance_id=instance)["attachments"]
        water = {m["category"]: m for m in engine.ledger_for(enterprise, "root")}["水"]
        assert water["status"] == "verifying" and water["evidence"] == ["整改后.png"]

        close_out(browser, served, screens)
        assert {m["category"]: m["status"] for m in engine.ledger_for(enterprise, "root")}["水"] == "closed"

        other_county_sees_nothing(browser, served, screens, water_url)
        attachment_refused(browser, served, screens, f"{served['url']}/attachments/{photo['id']}")

        air_matter_closed_by_the_engine(engine)
        assert {m["status"] for m in engine.ledger_for(enterprise, "root")} == {"closed"}
        thirty_days_later(engine)
        context, page, url = issue_rating_link(browser, served, screens)
        scores = rate_on_a_phone(browser, screens, url)
        page.reload()
        expect(page.locator("#rating")).to_have_attribute("data-status", "used")
        expect(page.locator("#rating")).to_contain_text(COMMENT)
        screens(page, "lifecycle-10-follow-up-shows-rating")
        context.close()
        (rating,) = engine.ratings_of_enterprise(enterprise, "xh_liaison")
        assert {s["stage"]: s["score"] for s in rating["scores"]} == scores and rating["comment"] == COMMENT
    finally:
        engine.db.dispose()
