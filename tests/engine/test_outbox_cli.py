"""`sanfu outbox`: the admin lists the queue, `deliver` sends what is due once (no scheduler
running), `retry` sends a refused mail again — with the SMTP settings read from SANFU_SMTP_*."""
from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.notifications.centre import notify
from engine.service import Engine
from tests.helpers.smtp import SENDER, SmtpServer

ADDRESS = "water1@bureau.example.gov.cn"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def sanfu(tmp_path, monkeypatch, capsys, smtp):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for name, value in {"SANFU_DATABASE_URL": url, "SANFU_INSTANCE_PATH": str(tmp_path / "instance"),
                        "SANFU_SMTP_HOST": "127.0.0.1", "SANFU_SMTP_PORT": str(smtp.port),
                        "SANFU_MAIL_FROM": SENDER, "SANFU_BASE_URL": "https://sanfu.example.gov.cn/"}.items():
        monkeypatch.setenv(name, value)

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("init")[0] == 0
    assert run("user", "add", "admin", "--admin")[0] == 0
    assert run("user", "add", "water1")[0] == 0
    engine = Engine()                                   # the environment's settings, as the CLI's
    engine.set_email_settings("water1", ADDRESS, "immediate")
    with engine.uow() as uow:
        notify(uow.session, "water1", "urged", "admin", "催办：请本周内完成走访")
    engine.db.dispose()
    return run


def test_the_queue_is_listed_and_delivered_once_from_the_command_line(sanfu, smtp):
    code, out, _ = sanfu("outbox", "--as", "admin")
    assert code == 0 and "待发送 1，失败 0，已发送 0" in out
    assert f"water1 <{ADDRESS}>" in out and "催办：请本周内完成走访" in out

    assert sanfu("outbox", "deliver")[1].strip() == "已发送 1，稍后重试 0，失败 0"
    [mail] = smtp.wait_for(1)
    assert mail.envelope_to == [ADDRESS] and mail.message["From"] == SENDER
    assert "https://sanfu.example.gov.cn/account/" in mail.body        # the base URL, one slash
    assert sanfu("outbox", "deliver")[1].strip() == "已发送 0，稍后重试 0，失败 0"
    assert "已发送" in sanfu("outbox", "--status", "sent", "--as", "admin")[1]
    assert sanfu("outbox")[0] == 1                                     # listing needs an admin
    assert sanfu("outbox", "--as", "water1")[0] == 4


def test_a_refused_mail_waits_and_is_sent_again_on_retry(sanfu, smtp):
    smtp.catcher.refuse = True
    assert sanfu("outbox", "deliver")[1].strip() == "已发送 0，稍后重试 1，失败 0"
    code, out, _ = sanfu("outbox", "--as", "admin")
    assert "尝试 1 次" in out and "550" in out
    mail_id = out.splitlines()[1].split()[0]
    smtp.catcher.refuse = False
    assert sanfu("outbox", "deliver")[1].strip() == "已发送 0，稍后重试 0，失败 0"   # not before its backoff
    assert sanfu("outbox", "retry", mail_id, "--as", "admin")[0] == 0
    assert sanfu("outbox", "deliver")[1].strip() == "已发送 1，稍后重试 0，失败 0"
    assert [m.envelope_to for m in smtp.wait_for(1)] == [[ADDRESS]]


def test_the_list_pages_and_says_there_is_more(sanfu):
    engine = Engine()
    with engine.uow() as uow:
        for n in range(2, 5):
            notify(uow.session, "water1", "urged", "admin", f"催办第 {n} 次")
    engine.db.dispose()
    code, out, _ = sanfu("outbox", "--as", "admin", "--limit", "3")
    assert code == 0 and out.count("water1 <") == 3 and "还有更多：--page 2" in out
    code, out, _ = sanfu("outbox", "--as", "admin", "--limit", "3", "--page", "2")
    assert out.count("water1 <") == 1 and "还有更多" not in out
    assert sanfu("outbox", "--as", "admin", "--limit", "5000")[0] != 0        # refused, not cut silently
