"""In a real browser: the liaison, on a phone, finds 西湖印染 under 本月服务 as not yet served,
records a phone call on the enterprise page (a date in the future refused under its field,
what was typed kept), and the month turns 已服务 there and on the enterprise list."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import update

from engine import clock
from engine.enterprises.monthly_service import today
from engine.service import Engine
from engine.store.org_tables import Enterprise
from tests.helpers.browser import PHONE, sign_in
from tests.helpers.paths import FORMS

ENTERPRISE = "西湖印染有限公司"


def test_the_liaison_records_a_phone_call_on_a_phone(browser, served, screens):
    # Paired long ago: built today, from the 25th on it would need no service this month.
    engine = Engine(served["database_url"], forms_dir=FORMS)
    try:
        with engine.uow() as uow:
            uow.session.execute(update(Enterprise).values(created_at=clock.now() - timedelta(days=70)))
    finally:
        engine.db.dispose()
    context, page = sign_in(browser, served, "xh_liaison", PHONE)
    page.goto(f"{served['url']}/enterprises/service")
    row = page.locator("tr", has_text=ENTERPRISE)
    expect(row.locator(".service-status")).to_have_text("未服务" if today().day < 25 else "预警")
    row.locator("a", has_text="记录服务").click()
    form = page.locator("form.contact-form")
    form.locator('input[value="电话"]').check()
    page.fill("#contact-contacted_on", (today() + timedelta(days=1)).isoformat())
    page.fill("#contact-summary", "电话了解污水站运行情况，企业反映危废转运慢")
    form.locator("button[type=submit]").click()
    expect(page.locator("#e-contact-contacted_on")).to_contain_text("服务日期：不能晚于今天")
    expect(page.locator("#contact-summary")).to_have_value("电话了解污水站运行情况，企业反映危废转运慢")
    screens(page, "60-monthly-service-refused-date")
    page.fill("#contact-contacted_on", today().isoformat())
    page.locator("form.contact-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已记录服务")
    this_month = page.locator(f'[data-month="{today():%Y-%m}"]')
    expect(this_month.locator(".service-status").first).to_have_text("已服务")
    expect(this_month).to_contain_text("企业反映危废转运慢")
    screens(page, "61-monthly-service-served")
    page.goto(f"{served['url']}/enterprises?service=served")
    expect(page.locator("tr", has_text=ENTERPRISE).locator(".service-status")).to_have_text("已服务")
    context.close()
