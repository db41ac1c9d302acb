"""In a real browser, the supervision story end to end: a 西湖 整改 matter is left lying for
weeks and the ladder lists it (挂牌督办); the city's 督查 finds 西湖 red on the 督办看板, drills
down to the task and urges it (催办); the water section's head finds the 催办 in 通知 (opening
the task reads it); the 督查 sets 限期整改 on the 督办单, the head reports 整改情况, and the 督查
sends it back once and then closes it (复核通过，销号)."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from engine import clock
from engine.service import Engine
from engine.store.tables import HumanTask
from tests.helpers.browser import DESKTOP, PHONE, sign_in
from tests.helpers.paths import FORMS
from tests.helpers.web import to_rectification


def left_lying(served) -> dict:
    """The 整改 task, due three weeks ago and never claimed; the ladder has run over it."""
    engine = Engine(served["database_url"], forms_dir=FORMS)
    try:
        engine.start("enterprise_service", "xh_liaison", {"enterprise_id": served["ids"]["enterprise_id"]})
        task = to_rectification(engine)
        due = clock.now() - timedelta(days=21)
        with engine.uow() as uow:
            uow.session.execute(update(HumanTask).where(HumanTask.id == task["id"]).values(
                due_at=due, yellow_at=due - timedelta(days=1), blue_at=due - timedelta(days=3), ladder_next_at=due))
        assert engine.run_ladder() == {"section_head": 1, "leader": 1, "listed": 1}
        return task
    finally:
        engine.db.dispose()


def test_from_the_red_county_to_the_closed_record(browser, served, screens):
    task = left_lying(served)
    context, page = sign_in(browser, served, "hz_super", DESKTOP)
    page.click("nav a:has-text('督办')")
    row = page.locator("#by-unit tr[data-unit=xh]")
    expect(row.locator("td.num-red")).to_have_text("1")
    row.locator("td.num-red a").click()
    page.locator("#supervision-tasks tr", has_text=task["name"]).locator("a.task-link").click()
    expect(page).to_have_url(f"{served['url']}/tasks/{task['id']}")
    card = page.locator("section.supervision")
    expect(card).to_contain_text("挂牌督办")                                   # the ladder's three steps
    expect(card.locator("ol.ladder li")).to_have_count(3)
    page.click("#urge summary")
    page.fill("#urge-message", "已挂牌督办，请本周内报送整改进展")
    page.click("#urge button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("已催办（第 1 次）")
    record_link = page.locator("section.supervision a[href*='/supervision/records/']")
    number = record_link.inner_text()
    context.close()

    context, page = sign_in(browser, served, "xh_water_head", PHONE)
    page.goto(f"{served['url']}/notifications/")
    item = page.locator("li", has_text="已挂牌督办，请本周内报送整改进展")
    expect(item).to_have_count(1)
    item.locator("a").first.click()                                         # to the task: read
    expect(page).to_have_url(f"{served['url']}/tasks/{task['id']}")
    page.goto(f"{served['url']}/notifications/")
    expect(page.locator("li", has_text="已挂牌督办，请本周内报送整改进展")).not_to_have_class("unread")
    context.close()

    context, page = sign_in(browser, served, "hz_super", DESKTOP)
    page.goto(f"{served['url']}/supervision/records/")
    page.click(f"a:has-text('{number}')")
    deadline = clock.to_local(clock.now() + timedelta(days=14)).date().isoformat()
    page.fill("#rec-deadline", deadline)
    page.fill("#rec-req", "两周内完成雨污分流改造")
    page.click("button:has-text('限期整改')")
    expect(page.locator(".flash-success")).to_contain_text("已限期整改")
    expect(page.locator(".record-facts")).to_contain_text(deadline)
    record_url = page.url
    context.close()

    context, page = sign_in(browser, served, "xh_water_head", PHONE)
    page.goto(record_url)
    page.click("button:has-text('提交复核')")                               # empty: the browser refuses
    expect(page.locator("h1 .badge")).to_have_text("督办中")
    page.fill("#rec-report", "雨污管网改造完成，雨水口加装切换阀")
    page.click("button:has-text('提交复核')")
    expect(page.locator("h1 .badge")).to_have_text("待复核")
    screens(page, "70-record-reported-phone")
    context.close()

    context, page = sign_in(browser, served, "hz_super", DESKTOP)
    page.goto(record_url)
    page.click("button:has-text('不通过，退回整改')")                        # a send-back needs a reason
    expect(page.locator(".flash-error")).to_contain_text("复核意见")
    page.fill("#rec-verify", "现场复核 2 号雨水口仍有混排")
    page.click("button:has-text('不通过，退回整改')")
    expect(page.locator("h1 .badge")).to_have_text("督办中")
    context.close()

    context, page = sign_in(browser, served, "xh_water_head", DESKTOP)
    page.goto(record_url)
    page.fill("#rec-report", "混排口已封堵，复测合格")
    page.click("button:has-text('提交复核')")
    context.close()

    context, page = sign_in(browser, served, "hz_super", DESKTOP)
    page.goto(record_url)
    page.click("button:has-text('复核通过，销号')")
    expect(page.locator("h1 .badge")).to_have_text("已销号")
    expect(page.locator("ol.timeline li")).to_have_count(6)   # opened, deadline, reported, rejected, reported, verified
    screens(page, "71-record-closed")
    page.goto(f"{served['url']}/supervision/records/?status=closed")
    expect(page.locator("table.records tbody tr")).to_have_count(1)
    context.close()
