"""Sending mails over SMTP (stdlib smtplib), never inside a database transaction.

One connection per batch; each message's outcome is reported on its own, so one refused
recipient does not fail the others, and a server that is down fails the whole batch with
the reason (kept on each row for the admin's /admin/outbox)."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from engine.config import MailSettings

ERROR_MOST = 500


@dataclass(frozen=True)
class Outgoing:
    id: int
    address: str
    subject: str
    body: str


def _message(mail: MailSettings, item: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = item.address
    message["Subject"] = item.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=mail.sender.rpartition("@")[2] or "localhost")
    message.set_content(item.body, charset="utf-8")
    return message


def _connect(mail: MailSettings) -> smtplib.SMTP:
    if mail.security == "ssl":
        conn = smtplib.SMTP_SSL(mail.host, mail.smtp_port, timeout=mail.timeout,
                                context=ssl.create_default_context())
    else:
        conn = smtplib.SMTP(mail.host, mail.smtp_port, timeout=mail.timeout)
        if mail.security == "starttls":
            conn.starttls(context=ssl.create_default_context())
    if mail.username:
        conn.login(mail.username, mail.password)
    return conn


def error_text(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"[:ERROR_MOST]


def send_batch(mail: MailSettings, items: list[Outgoing]) -> dict[int, str | None]:
    """Send each of `items`; {id: None when the server accepted it, else the error}."""
    outcome: dict[int, str | None] = {}
    try:
        conn = _connect(mail)
    except (OSError, smtplib.SMTPException) as err:
        return {item.id: error_text(err) for item in items}
    try:
        for item in items:
            try:
                conn.send_message(_message(mail, item))
                outcome[item.id] = None
            except smtplib.SMTPServerDisconnected as err:  # the rest cannot go either
                for rest in items:
                    outcome.setdefault(rest.id, error_text(err))
                break
            except (OSError, smtplib.SMTPException, ValueError) as err:
                outcome[item.id] = error_text(err)
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return outcome
