"""The sanfu web application: a thin Flask layer over the engine.

`create_app(test_config=None)` builds the app (flaskr style). Routes only parse requests,
call one `Engine` method and map domain errors (engine.errors) to HTTP statuses; every
rule about who may see or do what stays in the engine.

Settings: every `SANFU_*` variable is read by engine/config.py; they are the defaults of
the Flask config here (DATABASE_URL, FORMS_DIR, ATTACHMENT_DIR, ATTACHMENT_MAX_BYTES,
SECRET_KEY …), which `instance/config.py` or a test config may override, and the Engine is
built from the result — the web never reaches into it afterwards.
"""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel

from engine import config
from engine.runtime import heap
from engine.service import Engine

from . import gettext_once
from .extensions import LANGUAGES, csrf
from .json_provider import IsoJSONProvider

IDLE_TIMEOUT = timedelta(minutes=30)


def create_app(test_config: dict | None = None) -> Flask:
    settings = config.from_environ()
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=True)
    app.json = IsoJSONProvider(app)  # date-times in JSON as ISO 8601 with their offset (web/json_provider.py)
    app.config.from_mapping(_defaults(settings))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    _secure_cookies(app, test_config or {}, settings)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or instance_secret(Path(app.instance_path))
    _proxy_fix(app, settings)
    app.extensions["sanfu"] = app.config.get("ENGINE") or Engine(settings=_engine_settings(app, settings))
    csrf.init_app(app)
    Babel(app, locale_selector=_locale, timezone_selector=lambda: "Asia/Shanghai")
    gettext_once.init_app(app)   # the templates' _() finds the request's translations once
    _register(app)
    if test_config is None:  # a served app (gunicorn's workers, python -m web): see engine.runtime.heap
        heap.settle()
    return app


def _engine_settings(app: Flask, settings: config.Settings) -> config.Settings:
    """The engine's settings as this app is configured (the Flask config wins)."""
    folder = app.config.get("ATTACHMENT_DIR")
    return replace(settings, database_url=app.config.get("DATABASE_URL") or None,
                   forms_dir=Path(app.config["FORMS_DIR"]),
                   attachment_dir=Path(folder) if folder else Path(app.instance_path) / "attachments",
                   attachment_max_bytes=int(app.config["ATTACHMENT_MAX_BYTES"]))


def _defaults(settings: config.Settings) -> dict:
    # One attachment per upload request at most this big; the body may carry it plus the
    # form's other fields (413, a Chinese page, beyond that).
    attachment_max = settings.attachment_max_bytes
    return {
        "DATABASE_URL": settings.database_url,
        "FORMS_DIR": str(settings.forms_dir),
        "SESSION_COOKIE_NAME": "sanfu_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": IDLE_TIMEOUT,
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": attachment_max + 1024 * 1024,
        # None: <instance folder>/attachments
        "ATTACHMENT_DIR": str(settings.attachment_dir) if settings.attachment_dir else None,
        "ATTACHMENT_MAX_BYTES": attachment_max,
        "MAX_FORM_PARTS": 2000,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "INBOX_PER_PAGE": 20,
    }


def _secure_cookies(app: Flask, test_config: dict, settings: config.Settings) -> None:
    """Secure cookies unless debugging or testing, or told otherwise."""
    if "SESSION_COOKIE_SECURE" in test_config:
        return
    if settings.session_cookie_secure is not None:
        app.config["SESSION_COOKIE_SECURE"] = settings.session_cookie_secure
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


def _proxy_fix(app: Flask, settings: config.Settings) -> None:
    hops = settings.proxy_fix_hops
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "zh_CN"


def _register(app: Flask) -> None:
    from . import api, api_enterprises, api_tasks, auth, errors, helpers, inbox, tasks  # noqa: F401 (api_* add API routes)
    from .converters import init_app as bound_ids  # ids past 2^31 stop here (404), before any query
    from .input_guard import init_app as guard_input  # NUL bytes, undocumented lengths: 404/422 here
    bound_ids(app)
    auth.init_app(app)
    errors.init_app(app)
    guard_input(app)
    helpers.init_app(app)
    # 催办, 延期, 督办单, 加签, 发起 and 撤回 on the API: their routes join api.bp before it is registered
    # api_bodies: every JSON body checked against the OpenAPI document, after the token
    from . import api_bodies, api_cosign, api_deadlines, api_designer, api_records, api_start  # noqa: F401
    for module in (auth, inbox, tasks, api):
        app.register_blueprint(module.bp)
    from .enterprises import bp as enterprises_bp
    app.register_blueprint(enterprises_bp)
    from .monthly_service import bp as monthly_service_bp  # 每月服务: 记录服务, 我的本月服务
    app.register_blueprint(monthly_service_bp)
    # admin_calendar, admin_import, admin_outbox and admin_security add routes to admin.bp
    from . import admin, admin_calendar, admin_import, admin_outbox, admin_security  # noqa: F401
    app.register_blueprint(admin.bp)
    from . import admin_audit, attachments, filings, inbox_bulk, instances, notifications, rating, task_actions
    for module in (task_actions, attachments, rating, instances, admin_audit, inbox_bulk, filings, notifications):
        app.register_blueprint(module.bp)
    from .supervision import bp as supervision_bp
    app.register_blueprint(supervision_bp)
    from .account import bp as account_bp
    app.register_blueprint(account_bp)
    from .supervision_records import bp as records_bp
    app.register_blueprint(records_bp)
    from .deadline_actions import bp as deadline_actions_bp
    app.register_blueprint(deadline_actions_bp)
    from .cosign import bp as cosign_bp  # 加签 on the task page
    app.register_blueprint(cosign_bp)
    from .designer_scenarios import bp as designer_scenarios_bp  # 场景测试 on the designer's workbench
    app.register_blueprint(designer_scenarios_bp)
    from .designer_migration import bp as designer_migration_bp  # 迁移 running instances between versions
    app.register_blueprint(designer_migration_bp)
    from .start import bp as start_bp  # 发起 with a start form, 撤回
    app.register_blueprint(start_bp)
    from .designer import bp as designer_bp  # 流程设计: versions, diagrams, diff, upload → 校验 → 部署
    app.register_blueprint(designer_bp)
    from .designer_editor import bp as designer_editor_bp  # 编辑: the bpmn-js and dmn-js editors, drafts
    app.register_blueprint(designer_editor_bp)
    from .health import bp as health_bp  # /healthz for the reverse proxy
    app.register_blueprint(health_bp)
    from .designer_forms import bp as designer_forms_bp  # 表单: the JSON Schema form editor, live preview
    app.register_blueprint(designer_forms_bp)

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
