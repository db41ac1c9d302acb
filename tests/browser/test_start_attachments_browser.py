"""In a real browser: the 办公室 registers a 12369 complaint at /start/ with the scanned letter
chosen in the form. Sent without a summary, the form comes back with the error under the field,
the channel kept and the letter already uploaded, ticked; sent again, the complaint starts, the
letter is on the instance page and on the 受理登记 task page, and it downloads byte for byte."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.helpers.browser import DESKTOP, watched_sign_in

LETTER = b"%PDF-1.4\n% scanned letter\n" + b"0" * 2048


def test_the_office_registers_a_complaint_with_the_letter_attached(browser, served, screens, tmp_path):
    scan = tmp_path / "群众来信扫描件.pdf"
    scan.write_bytes(LETTER)
    context, page, problems = watched_sign_in(browser, served, "xh_liaison", DESKTOP)
    url = served["url"]
    page.goto(f"{url}/start/")
    page.locator('[data-process="complaint_12369"] a.button').click()
    page.select_option("#f-channel", "来信")
    page.set_input_files("#f-letter-files", str(scan))
    page.fill("#f-letter", "原件存办公室档案柜")
    page.locator("#start-form button[type=submit]").click()

    expect(page.locator("#e-summary")).to_be_visible()  # refused: nothing lost
    expect(page.locator("#f-channel")).to_have_value("来信")
    ticked = page.locator("#picker-letter input[type=checkbox]")
    expect(ticked).to_have_count(1)
    expect(ticked).to_be_checked()
    expect(page.locator("#picker-letter .picker-name")).to_have_text("群众来信扫描件.pdf")
    expect(page.locator("#f-letter")).to_have_value("原件存办公室档案柜")
    screens(page, "93-start-complaint-letter-kept")

    page.fill("#f-summary", "群众来信反映化工园区夜间异味")
    page.locator("#start-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("已发起「12369 环境投诉办理」")
    expect(page.locator("#attachments .attachment-name")).to_have_text(["群众来信扫描件.pdf"])
    expect(page.locator("#attachments .meta")).to_contain_text("发起时上传")

    page.locator(".open-tasks a", has_text="受理登记").click()
    expect(page.locator("#attachments")).to_contain_text("群众来信扫描件.pdf")
    page.locator("#attachments").scroll_into_view_if_needed()
    screens(page, "94-start-letter-on-first-task")
    with page.expect_download() as download:
        page.locator("#attachments .attachment-name", has_text="群众来信扫描件.pdf").click()
    assert download.value.path().read_bytes() == LETTER
    assert page.evaluate("window.__csp || []") == []
    assert problems == [f"422 {url}/start/complaint_12369"]  # the refused first try, and nothing else
    context.close()
