"""Every SANFU_* setting, read in one place.

The engine, the CLI and the scheduler read the environment here; the web application maps
its Flask config onto the same settings (web/__init__.py). Paths that belong to the
project itself (its processes and forms folders) are fixed here too, so no module works
out where it sits in the tree.

- SANFU_DATABASE_URL: the database (default: `sanfu.db` in the instance folder, SQLite)
- SANFU_INSTANCE_PATH: the instance folder (default: `./instance`)
- SANFU_FORMS_DIR: JSON Schema forms deployed with the processes (default: the project's `forms/`)
- SANFU_ATTACHMENT_DIR: where attachment files live (default: `<instance folder>/attachments`)
- SANFU_ATTACHMENT_MAX_BYTES: the largest attachment (default 10 MB)
- SANFU_SECRET_KEY: the web session key (default: generated once into the instance folder)
- SANFU_SESSION_COOKIE_SECURE: 1/0 (default: secure unless debugging or testing)
- SANFU_PROXY_FIX: how many proxies in front of the web app set X-Forwarded-* (default 0)
- SANFU_SMTP_HOST, _PORT, _USERNAME, _PASSWORD, _SECURITY (none|starttls|ssl), SANFU_MAIL_FROM,
  SANFU_DIGEST_HOUR, SANFU_BASE_URL: email (off without a host; see MailSettings)
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROCESSES_DIR = PROJECT_ROOT / "processes"
FORMS_DIR = PROJECT_ROOT / "forms"
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")
SMTP_SECURITY = ("none", "starttls", "ssl")
SMTP_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class MailSettings:
    """Email through SMTP (engine.notifications.outbox): off while `host` is empty, and then
    nothing is queued. `digest_hour` is the Beijing hour the daily digests go out;
    `base_url` (e.g. https://sanfu.example.gov.cn) makes the links in mails absolute."""
    host: str = ""
    port: int = 0  # 0: the security's usual port (25, 587, 465)
    username: str = ""
    password: str = ""
    security: str = "none"
    sender: str = "sanfu@localhost"
    digest_hour: int = 8
    base_url: str = ""
    timeout: float = 10.0  # seconds for each SMTP exchange

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @property
    def smtp_port(self) -> int:
        return self.port or SMTP_DEFAULT_PORTS[self.security]



@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    instance_path: Path = Path("instance").resolve()
    forms_dir: Path = FORMS_DIR
    attachment_dir: Path | None = None
    attachment_max_bytes: int = ATTACHMENT_MAX_BYTES
    secret_key: str | None = None
    session_cookie_secure: bool | None = None  # None: secure unless debugging or testing
    proxy_fix_hops: int = 0
    mail: MailSettings = MailSettings()

    @property
    def database(self) -> str:
        """The URL to connect to: the setting, or the instance folder's SQLite file."""
        return self.database_url or f"sqlite:///{self.instance_path / 'sanfu.db'}"

    @property
    def attachments_folder(self) -> Path:
        return self.attachment_dir or self.instance_path / "attachments"


def from_environ(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    return Settings(
        database_url=env.get("SANFU_DATABASE_URL") or None,
        instance_path=Path(env.get("SANFU_INSTANCE_PATH") or "instance").resolve(),
        forms_dir=Path(env.get("SANFU_FORMS_DIR") or FORMS_DIR),
        attachment_dir=Path(env["SANFU_ATTACHMENT_DIR"]) if env.get("SANFU_ATTACHMENT_DIR") else None,
        attachment_max_bytes=int(env.get("SANFU_ATTACHMENT_MAX_BYTES") or ATTACHMENT_MAX_BYTES),
        secret_key=env.get("SANFU_SECRET_KEY") or None,
        session_cookie_secure=_flag(env.get("SANFU_SESSION_COOKIE_SECURE", "")),
        proxy_fix_hops=int(env.get("SANFU_PROXY_FIX") or 0),
        mail=mail_from_environ(env),
    )


def mail_from_environ(env: Mapping[str, str]) -> MailSettings:
    security = (env.get("SANFU_SMTP_SECURITY") or "none").strip().lower()
    if security not in SMTP_SECURITY:
        raise ValueError(f"SANFU_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, not {security!r}")
    hour = int(env.get("SANFU_DIGEST_HOUR") or 8)
    if not 0 <= hour <= 23:
        raise ValueError(f"SANFU_DIGEST_HOUR must be 0–23, not {hour}")
    return MailSettings(host=(env.get("SANFU_SMTP_HOST") or "").strip(), port=int(env.get("SANFU_SMTP_PORT") or 0),
                        username=env.get("SANFU_SMTP_USERNAME") or "", password=env.get("SANFU_SMTP_PASSWORD") or "",
                        security=security, sender=env.get("SANFU_MAIL_FROM") or MailSettings.sender,
                        digest_hour=hour, base_url=(env.get("SANFU_BASE_URL") or "").rstrip("/"))


def _flag(text: str) -> bool | None:
    text = text.strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None
