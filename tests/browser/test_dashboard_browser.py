"""In a real browser: the city's supervisor opens the 督办看板, sees 西湖 with an overdue item in
the table and the ECharts bars, drills from the red county to its list and on to the task;
the bulletin downloads and opens with openpyxl; on a phone (390 px) the page has no sideways
scrolling of the page itself (wide tables scroll inside their box) and the list becomes cards."""
from __future__ import annotations

from openpyxl import load_workbook
from playwright.sync_api import expect

from engine.service import Engine
from tests.helpers.browser import DESKTOP, PHONE, sign_in
from tests.helpers.dashboard_rows import make_red
from tests.helpers.paths import FORMS
from tests.helpers.web import to_rectification


def test_a_supervisor_drills_from_a_red_county_to_the_task(browser, served, screens, tmp_path):
    engine = Engine(served["database_url"], forms_dir=FORMS)
    try:
        engine.start("enterprise_service", "xh_liaison", {"enterprise_id": served["ids"]["enterprise_id"]})
        task = to_rectification(engine)
        make_red(engine, task["id"], urges=2)
    finally:
        engine.db.dispose()

    context, page = sign_in(browser, served, "hz_super", DESKTOP)
    page.click("nav a:has-text('督办')")
    expect(page.locator("h1")).to_contain_text("杭州市生态环境局")
    row = page.locator("#by-unit tr[data-unit=xh]")
    expect(row.locator("td.num-red")).to_have_text("1")
    expect(page.locator("#chart-colours canvas")).to_have_count(1)                # ECharts drew
    screens(page, "50-dashboard-city")
    row.locator("td.num-red a").click()
    expect(page.locator("h1")).to_contain_text("西湖区分局")
    item = page.locator("#supervision-tasks tr", has_text=task["name"])
    expect(item.locator(".deadline-red")).to_have_text("超期")                     # the word, not only red
    expect(item).to_contain_text("催办 ×2")
    item.locator("a.task-link").click()
    expect(page).to_have_url(f"{served['url']}/tasks/{task['id']}")
    page.goto(f"{served['url']}/supervision/")
    with page.expect_download() as download:
        page.click("a:has-text('下载通报')")
    path = tmp_path / "bulletin.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    assert book.sheetnames == ["汇总", "超期事项", "挂牌督办", "联络员服务"]
    overdue = [[c.value for c in r] for r in book["超期事项"].iter_rows(min_row=3)]
    assert [r[2] for r in overdue] == [task["name"]] and overdue[0][0] == "西湖区分局"
    context.close()

    context, page = sign_in(browser, served, "hz_super", PHONE)
    page.goto(f"{served['url']}/supervision/")
    expect(page.locator("#by-unit")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screens(page, "51-dashboard-phone")
    page.goto(f"{served['url']}/supervision/tasks?unit=xh&colour=red")
    expect(page.locator("#supervision-tasks td[data-label='期限']").first).to_contain_text("超期")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screens(page, "52-dashboard-list-phone")
    context.close()
