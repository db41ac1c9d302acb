"""个人设置 and 邮件队列: a person sets their email address and how mail comes (a wrong address is
refused under the 电子邮箱 field and nothing typed is lost); the admin sees the mails that could
not be sent with the server's error, and 重新发送 sends one once the server takes it."""
from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime

import pytest

from engine import clock, config
from engine.notifications.centre import notify
from engine.notifications.outbox import MAX_ATTEMPTS, backoff
from engine.service import Engine
from tests.helpers.paths import FORMS
from tests.helpers.smtp import SmtpServer
from tests.helpers.web import csrf_token, text_of

ADDRESS = "xh_water1@xihu.example.gov.cn"


def test_the_settings_page_saves_an_address_and_a_mode(client, auth, sanfu):
    auth.login("xh_water1")
    page = text_of(client.get("/account/"))
    assert "电子邮箱" in page and "每日汇总" in page and 'href="/account/"' in page   # linked from the header
    response = client.post("/account/", data={"email": ADDRESS, "mode": "digest", "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/")
    assert sanfu.email_settings("xh_water1")["email"] == ADDRESS
    assert sanfu.email_settings("xh_water1")["mode"] == "digest"
    assert "邮件提醒设置已保存" in text_of(client.get("/account/"))


@pytest.mark.parametrize("email, mode, says", [
    ("xh_water1.example.gov.cn", "immediate", "电子邮箱格式不正确"),
    ("", "digest", "须填写电子邮箱")])
def test_a_wrong_address_is_refused_under_its_field_and_kept(client, auth, sanfu, email, mode, says):
    auth.login("xh_water1")
    response = client.post("/account/", data={"email": email, "mode": mode, "csrf_token": csrf_token(client)})
    page = text_of(response)
    assert response.status_code == 422
    assert says in page and 'id="e-acc-email"' in page and 'aria-invalid="true"' in page
    assert f'value="{email}"' in page and f'value="{mode}" checked' in page    # nothing typed is lost
    saved = sanfu.email_settings("xh_water1")
    assert (saved["email"], saved["mode"]) == ("", "off")


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailing(province_template, tmp_path, smtp):
    """The web app over an Engine that mails through the test's SMTP server."""
    from web import create_app
    path = tmp_path / "sanfu.db"
    shutil.copyfile(province_template[0], path)
    engine = Engine(f"sqlite:///{path}", forms_dir=FORMS,
                    settings=replace(config.from_environ(), mail=smtp.settings()))
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ENGINE": engine})
    yield app, engine
    engine.db.dispose()


def _login(client, name: str) -> None:
    client.post("/login", data={"name": name, "password": "Sanfu2026pass", "csrf_token": csrf_token(client, "/login")})


def test_a_mail_the_server_refuses_ends_failed_on_the_admin_page_and_is_sent_again(mailing, smtp):
    app, sanfu = mailing
    sanfu.set_email_settings("xh_water1", ADDRESS, "immediate")
    smtp.catcher.refuse = True
    start = datetime(2026, 12, 1, 9, 0)
    with clock.frozen_at(start), sanfu.uow() as uow:
        notify(uow.session, "xh_water1", "urged", "hz_super", "催办：西湖水务整改请本周办结")
    moment = start
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with clock.frozen_at(moment):
            sanfu.deliver_outbox("scheduler-1")
        moment += backoff(attempt)

    client = app.test_client()
    _login(client, "root")
    page = text_of(client.get("/admin/outbox"))
    assert "邮件队列" in page and ADDRESS in page and "发送失败" in page
    assert "550" in page and "mailbox unavailable" in page and "重新发送" in page
    [failed] = sanfu.outbox("root", status="failed")["rows"]

    smtp.catcher.refuse = False
    response = client.post(f"/admin/outbox/{failed['id']}/retry", data={"csrf_token": csrf_token(client, "/admin/outbox")})
    assert response.status_code == 302
    assert "将随下次投递重新发送" in text_of(client.get("/admin/outbox"))
    assert sanfu.deliver_outbox("scheduler-1")["sent"] == 1
    [mail] = smtp.wait_for(1)
    assert mail.envelope_to == [ADDRESS] and "西湖水务整改请本周办结" in mail.body
    assert "队列中没有邮件" in text_of(client.get("/admin/outbox"))
    assert ADDRESS in text_of(client.get("/admin/outbox?status=sent"))

    again = client.post(f"/admin/outbox/{failed['id']}/retry", data={"csrf_token": csrf_token(client, "/admin/outbox")})
    assert again.status_code == 302 and "已发送" in text_of(client.get("/admin/outbox"))   # told, nothing resent
    staff = app.test_client()
    _login(staff, "xh_water1")
    assert staff.get("/admin/outbox").status_code == 403


def test_the_email_pages_have_english_chrome(client, auth, sanfu):
    from engine.notifications.outbox import queue
    from tests.web.test_i18n import chinese_chrome, to_english
    with sanfu.uow() as uow:
        queue(uow.session, "xh_water1", ADDRESS, "【三服务工作平台】催办：请本周办结", "正文")
    auth.login("root")
    to_english(client)
    refused = client.post("/account/", data={"email": "no-at-sign", "mode": "immediate",
                                              "csrf_token": csrf_token(client)})
    body = text_of(refused)
    assert "Email address" in body and "the email address is not valid" in body
    assert chinese_chrome(body, sanfu.account("root")) == []
    queue_page = text_of(client.get("/admin/outbox"))
    assert "Email queue" in queue_page and "Send again" in queue_page and ADDRESS in queue_page
    assert chinese_chrome(queue_page, sanfu.account("root"), sanfu.outbox("root")) == []
