"""Email: a notification becomes a mail for whoever asked for it at once, through a real SMTP
server the test starts; the daily digest goes once a day with what is unread, however many
schedulers run; a mail server that refuses or is down never fails a command — the mail is
retried with backoff, then marked failed for the admin, who can send it again."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from engine import clock, config
from engine.errors import InvalidInput
from engine.jobs.leases import claim_batch
from engine.notifications.centre import notify
from engine.notifications.outbox import MAX_ATTEMPTS, backoff, due_condition, queue
from engine.service import Engine
from engine.store.supervision_tables import OutboxEmail
from tests.helpers.models import chain, process, user_task, write
from tests.helpers.paths import FORMS, ROOT
from tests.helpers.smtp import SmtpServer, down_settings

MODEL = process("visit", chain(user_task("record", "记录走访", candidateGroups="water")))
WATER1, WATER2 = "water1@bureau.example.gov.cn", "water2@bureau.example.gov.cn"
NOTHING = {"sent": 0, "retrying": 0, "failed": 0}


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def mail_engine(db_engine, mail, *, own_pool: bool = False) -> Engine:
    """An Engine over the test's database with these mail settings; `own_pool`: its own
    connections, as another scheduler process would have."""
    settings = replace(config.from_environ(), mail=mail)
    if own_pool:
        return Engine(db_engine.url.render_as_string(hide_password=False), forms_dir=FORMS, settings=settings)
    return Engine(db_engine=db_engine, forms_dir=FORMS, settings=settings)


def assigned_task(sanfu: Engine, tmp_path) -> str:
    """A 记录走访 task the admin assigns to water1 (which notifies water1)."""
    sanfu.deploy([write(tmp_path, "visit.bpmn", MODEL)], "designer")
    sanfu.start("visit", "water1")
    task = sanfu.tasks("water1")[0]["id"]
    sanfu.assign(task, "water1", "admin")
    return task


def test_a_notification_to_someone_who_wants_mail_at_once_arrives_by_smtp(people, db_engine, smtp, tmp_path):
    sanfu = mail_engine(db_engine, smtp.settings())
    sanfu.set_email_settings("water1", WATER1, "immediate")
    sanfu.set_email_settings("water2", WATER2, "off")
    assert {"outbox", "email_digest"} <= {job.name for job in sanfu.periodic_jobs()}
    task = assigned_task(sanfu, tmp_path)
    assert smtp.catcher.received == []                       # the command only queued it
    assert sanfu.outbox("admin")["counts"] == {"pending": 1, "sent": 0, "failed": 0}

    assert sanfu.deliver_outbox("scheduler-1") == {**NOTHING, "sent": 1}
    [mail] = smtp.wait_for(1)
    assert mail.envelope_to == [WATER1] and mail.message["To"] == WATER1
    assert mail.message["From"] == smtp.settings().sender
    assert mail.subject == "【三服务工作平台】指派：任务指派给你：记录走访"
    assert "任务指派给你：记录走访" in mail.body
    assert f"办理：https://sanfu.example.gov.cn/tasks/{task}" in mail.body

    sanfu.transfer(task, "water1", reason="出差，请代办", to_user="water2")   # water2 chose no mail
    assert sanfu.notifications("water2")["unread"] == 1
    assert sanfu.deliver_outbox("scheduler-1") == NOTHING
    assert len(smtp.catcher.received) == 1
    [sent] = sanfu.outbox("admin", status="sent")["rows"]
    assert (sent["recipient"], sent["address"], sent["attempts"]) == ("water1", WATER1, 1)


def test_without_an_smtp_host_nothing_is_queued(people, tmp_path):
    people.set_email_settings("water1", WATER1, "immediate")
    assigned_task(people, tmp_path)
    assert people.notifications("water1")["unread"] == 1
    listed = people.outbox("admin")
    assert listed["enabled"] is False and listed["counts"] == {"pending": 0, "sent": 0, "failed": 0}
    assert people.deliver_outbox()["disabled"] is True
    assert not {"outbox", "email_digest"} & {job.name for job in people.periodic_jobs()}   # no idle ticks


def _urge(sanfu: Engine, text: str, at: datetime) -> int:
    with clock.frozen_at(at), sanfu.uow() as uow:
        row = notify(uow.session, "water1", "urged", "head1", text)
        uow.flush()
        return row.id


def _two_schedulers_at(engines: list[Engine], at: datetime, run) -> None:
    """`run(engine, owner)` in one thread per engine, started together, as of `at`."""
    barrier, errors = threading.Barrier(len(engines)), []

    def one(engine: Engine, owner: str) -> None:
        try:
            with clock.frozen_at(at):
                barrier.wait(timeout=10)
                run(engine, owner)
        except Exception as err:  # noqa: BLE001 - reported by the test below
            errors.append(err)
    threads = [threading.Thread(target=one, args=(e, f"scheduler-{i}")) for i, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def _digest_then_deliver(engine: Engine, owner: str) -> None:
    engine.queue_digests(owner)
    engine.deliver_outbox(owner)


def test_the_daily_digest_comes_once_a_day_with_what_is_unread_even_with_two_schedulers(
        people, db_engine, smtp):
    mail = smtp.settings(digest_hour=8)
    schedulers = [mail_engine(db_engine, mail, own_pool=True) for _ in range(2)]
    sanfu = schedulers[0]
    sanfu.set_email_settings("water1", WATER1, "digest")
    sanfu.set_email_settings("water2", WATER2, "digest")       # nothing unread: no mail
    try:
        first = _urge(sanfu, "催办：请尽快走访甲企业", datetime(2026, 12, 1, 7, 0))
        _urge(sanfu, "催办：请尽快走访乙企业", datetime(2026, 12, 1, 7, 10))
        with clock.frozen_at(datetime(2026, 12, 1, 7, 30)):
            assert sanfu.queue_digests()["queued"] == 0            # not before 8 o'clock, Beijing time

        _two_schedulers_at(schedulers, datetime(2026, 12, 1, 8, 5), _digest_then_deliver)
        [day_one] = smtp.wait_for(1)
        assert day_one.envelope_to == [WATER1] and "2026-12-01 通知汇总：2 条未读" in day_one.subject
        assert "请尽快走访甲企业" in day_one.body and "请尽快走访乙企业" in day_one.body
        _two_schedulers_at(schedulers, datetime(2026, 12, 1, 9, 0), _digest_then_deliver)
        assert len(smtp.wait_for(2, seconds=0.3)) == 1            # once a day

        sanfu.mark_notifications_read("water1", [first])
        _urge(sanfu, "催办：丙企业整改逾期", datetime(2026, 12, 1, 10, 0))
        _two_schedulers_at(schedulers, datetime(2026, 12, 2, 8, 10), _digest_then_deliver)
        day_two = smtp.wait_for(2)[1]
        assert "2026-12-02 通知汇总：1 条未读" in day_two.subject
        assert "丙企业整改逾期" in day_two.body and "乙企业" not in day_two.body   # only what came since

        _two_schedulers_at(schedulers, datetime(2026, 12, 3, 8, 10), _digest_then_deliver)
        assert len(smtp.wait_for(3, seconds=0.3)) == 2             # nothing new, no mail
        assert [r.envelope_to for r in smtp.catcher.received] == [[WATER1], [WATER1]]
    finally:
        for engine in schedulers:
            engine.db.dispose()


def test_the_scheduler_runs_the_digest_and_the_outbox_jobs(people, db_engine, smtp):
    from engine.jobs.scheduler import run_periodic_jobs
    schedulers = [mail_engine(db_engine, smtp.settings(digest_hour=8), own_pool=True) for _ in range(2)]
    schedulers[0].set_email_settings("water1", WATER1, "digest")
    try:
        _urge(schedulers[0], "催办：请尽快走访甲企业", datetime(2026, 12, 1, 7, 0))
        start = datetime(2026, 12, 1, 8, 0)
        for seconds in (0, 10, 20):                                 # the outbox runs before the digest in a tick
            _two_schedulers_at(schedulers, start + timedelta(seconds=seconds), run_periodic_jobs)
        [digest] = smtp.wait_for(1)
        assert "请尽快走访甲企业" in digest.body
        assert len(smtp.wait_for(2, seconds=0.3)) == 1
    finally:
        for engine in schedulers:
            engine.db.dispose()


def test_a_mail_server_that_is_down_fails_no_command_and_the_mail_is_retried_then_failed(
        people, db_engine, tmp_path):
    sanfu = mail_engine(db_engine, down_settings())
    sanfu.set_email_settings("water1", WATER1, "immediate")
    start = datetime(2026, 12, 1, 9, 0)
    with clock.frozen_at(start):
        assigned_task(sanfu, tmp_path)                               # the command succeeds
    assert sanfu.notifications("water1")["unread"] == 1
    moment = start
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with clock.frozen_at(moment):
            expected = {**NOTHING, "failed": 1} if attempt == MAX_ATTEMPTS else {**NOTHING, "retrying": 1}
            assert sanfu.deliver_outbox("scheduler-1") == expected
            assert sanfu.deliver_outbox("scheduler-1") == NOTHING   # not again before its backoff
        moment += backoff(attempt)
    [failed] = sanfu.outbox("admin", status="failed")["rows"]
    assert failed["attempts"] == MAX_ATTEMPTS and "ConnectionRefusedError" in failed["last_error"]
    with clock.frozen_at(moment + timedelta(days=1)):
        assert sanfu.deliver_outbox("scheduler-1") == NOTHING      # failed stays failed until retried
    assert sanfu.outbox("admin")["counts"] == {"pending": 0, "sent": 0, "failed": 1}


def test_a_refused_mail_is_retried_and_the_admin_sends_it_again(people, db_engine, smtp, tmp_path):
    sanfu = mail_engine(db_engine, smtp.settings())
    sanfu.set_email_settings("water1", WATER1, "immediate")
    smtp.catcher.refuse = True
    assigned_task(sanfu, tmp_path)
    assert sanfu.deliver_outbox("scheduler-1") == {**NOTHING, "retrying": 1}
    [waiting] = sanfu.outbox("admin")["rows"]
    assert waiting["status"] == "pending" and "550" in waiting["last_error"]

    smtp.catcher.refuse = False
    assert sanfu.retry_email("admin", waiting["id"])["status"] == "pending"
    assert sanfu.deliver_outbox("scheduler-1") == {**NOTHING, "sent": 1}
    assert [m.envelope_to for m in smtp.wait_for(1)] == [[WATER1]]
    with pytest.raises(Exception, match="已发送"):
        sanfu.retry_email("admin", waiting["id"])
    with pytest.raises(Exception, match="管理员"):
        sanfu.retry_email("water1", waiting["id"])


@pytest.mark.parametrize("email, mode, field", [
    ("not-an-address", "immediate", "email"), ("zhang san@example.gov.cn", "off", "email"),
    ("张三@example.gov.cn", "immediate", "email"), ("a@example", "immediate", "email"),
    ("", "digest", "email"), ("a@example.gov.cn", "weekly", "mode")])
def test_email_settings_are_checked_and_name_the_field(people, email, mode, field):
    with pytest.raises(InvalidInput) as refused:
        people.set_email_settings("water1", email, mode)
    assert refused.value.params["field"] == field
    assert people.email_settings("water1")["mode"] == "off"
    people.set_email_settings("water1", " Water1@Bureau.example.gov.cn ", "digest")
    assert people.email_settings("water1") | {"enabled": None} == {
        "email": "Water1@Bureau.example.gov.cn", "mode": "digest", "enabled": None, "digest_hour": 8}


def test_two_scheduler_processes_send_each_mail_once(people, db_engine, smtp):
    """Two `sanfu scheduler` processes with email configured from the environment: the
    immediate mail and the day's digest each arrive once."""
    people.set_email_settings("water1", WATER1, "immediate")
    people.set_email_settings("water2", WATER2, "digest")
    with people.uow() as uow:
        notify(uow.session, "water1", "urged", "head1", "催办：请今天办结")
        notify(uow.session, "water2", "urged", "head1", "催办：甲企业")
        notify(uow.session, "water2", "urged", "head1", "催办：乙企业")
    assert people.outbox("admin")["counts"]["pending"] == 0       # this engine has no SMTP host: nothing queued
    with people.uow() as uow:                                      # so the immediate mail is queued by hand
        queue(uow.session, "water1", WATER1, "【三服务工作平台】催办：请今天办结", "催办：请今天办结")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SANFU_DATABASE_URL": db_engine.url.render_as_string(hide_password=False),
           "SANFU_SMTP_HOST": "127.0.0.1", "SANFU_SMTP_PORT": str(smtp.port), "SANFU_DIGEST_HOUR": "0"}
    procs = [subprocess.Popen([sys.executable, "-m", "engine.cli", "scheduler", "--interval", "0.2"], cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        smtp.wait_for(2, seconds=40)
        time.sleep(6)                                              # one more outbox turn: nothing sent twice
    finally:
        for proc in procs:
            proc.terminate()
        outputs = [proc.communicate(timeout=10)[0] for proc in procs]
    assert all("Traceback" not in out for out in outputs), outputs
    received = sorted((m.envelope_to[0], m.subject) for m in smtp.catcher.received)
    assert len(received) == 2, received
    assert received[0] == (WATER1, "【三服务工作平台】催办：请今天办结")
    assert received[1][0] == WATER2 and "通知汇总：2 条未读" in received[1][1]


def test_what_people_typed_over_two_lines_is_mailed_and_a_mail_being_sent_is_not_resent(
        people, db_engine, smtp):
    """Review fixes: a browser's textarea sends \\r\\n, which no mail header may hold (the mail
    failed for good); 重新发送 while a scheduler is sending it would send it twice."""
    sanfu = mail_engine(db_engine, smtp.settings())
    sanfu.set_email_settings("water1", WATER1, "immediate")
    with sanfu.uow() as uow:
        notify(uow.session, "water1", "urged", "head1", "催办：\r\n请本周内报送整改进展\r\n谢谢")
    with sanfu.uow() as uow:
        [held] = claim_batch(uow.session, OutboxEmail, "scheduler-1", 10, OutboxEmail.id, *due_condition(clock.now()))
    with pytest.raises(Exception) as err:
        sanfu.retry_email("admin", held)
    assert getattr(err.value, "code", None) == "email_sending"
    with sanfu.uow() as uow:                                  # the scheduler gives the batch back
        uow.session.execute(OutboxEmail.__table__.update().values(lease_owner=None, lease_until=None))
    assert sanfu.deliver_outbox("scheduler-2")["sent"] == 1
    [mail] = smtp.wait_for(1)
    assert mail.subject == "【三服务工作平台】催办：催办： 请本周内报送整改进展 谢谢"
    assert "请本周内报送整改进展\n" in mail.body.replace("\r\n", "\n")
