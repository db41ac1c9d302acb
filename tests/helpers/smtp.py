"""A real SMTP server for the email tests (aiosmtpd on a free loopback port), which keeps what
it receives and can be told to refuse recipients; and the mail settings that point at it."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from engine.config import MailSettings

SENDER = "sanfu@bureau.example.gov.cn"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return self.message.get_content()


@dataclass
class MailCatcher:
    """The handler: every accepted message; `refuse` makes it answer 550 to each recipient."""
    received: list[Received] = field(default_factory=list)
    refuse: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.envelope_to]


class SmtpServer:
    def __init__(self):
        self.catcher = MailCatcher()
        self.port = free_port()
        self.controller = Controller(self.catcher, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def settings(self, **overrides) -> MailSettings:
        values = {"host": "127.0.0.1", "port": self.port, "sender": SENDER, "timeout": 5.0,
                  "base_url": "https://sanfu.example.gov.cn", **overrides}
        return MailSettings(**values)

    def wait_for(self, count: int, seconds: float = 5.0) -> list[Received]:
        """The messages once `count` have arrived (the server hands them over asynchronously)."""
        deadline = time.monotonic() + seconds
        while len(self.catcher.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.catcher.received)


def down_settings(**overrides) -> MailSettings:
    """Settings naming a loopback port where nothing listens: every connection is refused."""
    return MailSettings(**{"host": "127.0.0.1", "port": free_port(), "sender": SENDER, "timeout": 2.0, **overrides})
