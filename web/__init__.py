"""The sanfu web application: a thin Flask layer over the engine.

`create_app(test_config=None)` builds the app (flaskr style). Routes only parse requests,
call one `Engine` method and map domain errors (engine.errors) to HTTP statuses; every
rule about who may see or do what stays in the engine.

Settings (environment): `SANFU_DATABASE_URL` (default: the engine's SQLite file in the
instance folder), `SANFU_SECRET_KEY` (default: a key generated once into the instance
folder's `secret_key`, mode 0600), `SANFU_FORMS_DIR` (default: the repository's `forms/`),
`SANFU_INSTANCE_PATH` (default `./instance`), `SANFU_SESSION_COOKIE_SECURE` (`1`/`0`;
default: Secure unless debugging or testing), `SANFU_PROXY_FIX` (the number of reverse
proxies in front, whose X-Forwarded-For/-Proto are then trusted).
"""
from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel

from engine.service import Engine
from engine.store.db import instance_path

from .extensions import LANGUAGES, csrf

ROOT = Path(__file__).resolve().parent.parent
IDLE_TIMEOUT = timedelta(minutes=30)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(instance_path()), instance_relative_config=True)
    app.config.from_mapping(_defaults())
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    _secure_cookies(app, test_config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SANFU_SECRET_KEY") or instance_secret(Path(app.instance_path))
    _proxy_fix(app)
    app.extensions["sanfu"] = app.config.get("ENGINE") or Engine(
        app.config["DATABASE_URL"], forms_dir=Path(app.config["FORMS_DIR"]))
    csrf.init_app(app)
    Babel(app, locale_selector=_locale, timezone_selector=lambda: "Asia/Shanghai")
    _register(app)
    return app


def _defaults() -> dict:
    # One attachment per upload request at most this big; the body may carry it plus the
    # form's other fields (413, a Chinese page, beyond that).
    attachment_max = int(os.environ.get("SANFU_ATTACHMENT_MAX_BYTES") or 10 * 1024 * 1024)
    return {
        "DATABASE_URL": os.environ.get("SANFU_DATABASE_URL") or None,
        "FORMS_DIR": os.environ.get("SANFU_FORMS_DIR") or str(ROOT / "forms"),
        "SESSION_COOKIE_NAME": "sanfu_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": IDLE_TIMEOUT,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": attachment_max + 1024 * 1024,
        "ATTACHMENT_DIR": os.environ.get("SANFU_ATTACHMENT_DIR") or None,  # None: <instance folder>/attachments
        "ATTACHMENT_MAX_BYTES": attachment_max,
        "MAX_FORM_PARTS": 2000,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "INBOX_PER_PAGE": 20,
    }


def _secure_cookies(app: Flask, test_config: dict) -> None:
    """Secure cookies unless debugging or testing, or told otherwise."""
    if "SESSION_COOKIE_SECURE" in test_config:
        return
    flag = os.environ.get("SANFU_SESSION_COOKIE_SECURE", "").strip().lower()
    if flag in ("0", "1", "true", "false", "yes", "no"):
        app.config["SESSION_COOKIE_SECURE"] = flag in ("1", "true", "yes")
    else:
        app.config["SESSION_COOKIE_SECURE"] = not (app.debug or app.testing)


def instance_secret(folder: Path) -> str:
    """The key in `folder/secret_key`, generated once (0600). Several workers starting at
    once: one creates the file, the others wait for its content."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it or set SANFU_SECRET_KEY") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def _proxy_fix(app: Flask) -> None:
    hops = int(os.environ.get("SANFU_PROXY_FIX", "0") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "zh_CN"


def _register(app: Flask) -> None:
    from . import api, api_enterprises, api_tasks, auth, errors, helpers, inbox, tasks  # noqa: F401 (api_* add API routes)
    auth.init_app(app)
    errors.init_app(app)
    helpers.init_app(app)
    for module in (auth, inbox, tasks, api):
        app.register_blueprint(module.bp)
    from .enterprises import bp as enterprises_bp
    app.register_blueprint(enterprises_bp)
    from . import admin, admin_import, admin_security  # noqa: F401 (the last two add routes to admin.bp)
    app.register_blueprint(admin.bp)
    from . import admin_audit, attachments, filings, inbox_bulk, instances, rating, task_actions
    for module in (task_actions, attachments, rating, instances, admin_audit, inbox_bulk, filings):
        app.register_blueprint(module.bp)

    @app.before_request
    def _idle_timeout():
        # A permanent session expires PERMANENT_SESSION_LIFETIME after the last request
        # (the cookie is re-signed and re-dated on every response).
        if request.endpoint != "static":
            session.permanent = True

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
