"""HTTP errors and domain errors → a Chinese error page (JSON under /api/), never a traceback.

Domain errors map as the CLI's exit codes do: invalid → 422, not found → 404, not
allowed → 403, conflict → 409. The engine's message is what the user reads.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, Gone, InvalidInput, NotAllowed, NotFound, SanfuError, StorageFull, Unavailable

from .helpers import error_text

PAGES = {
    400: (_l("请求无效"), _l("请求无法处理，请返回上一页重试。")),
    401: (_l("请先登录"), _l("此操作需要先登录。")),
    403: (_l("无权访问"), _l("您没有权限查看或办理此内容。")),
    404: (_l("页面不存在"), _l("您要找的页面或任务不存在，可能已被删除或链接有误。")),
    405: (_l("不支持的操作"), _l("此页面不支持这种请求方式。")),
    410: (_l("链接已失效"), _l("此链接已使用、已过期或已被替换，不能再次使用。")),
    409: (_l("操作冲突"), _l("别人刚刚修改了同一事项，您的操作没有保存。请刷新后重试。")),
    413: (_l("提交的内容过大"), _l("提交的内容超过了大小限制，请精简后重试。")),
    422: (_l("无法处理"), _l("提交的内容不符合要求。")),
    500: (_l("系统错误"), _l("系统出现错误，已记录。请稍后重试或联系管理员。")),
    503: (_l("暂时无法服务"), _l("数据库暂时不可用，请稍后重试。")),
}
CSRF_MESSAGE = _l("表单已过期或缺少安全令牌，请刷新页面后重新提交。")
DOMAIN_STATUS = ((Gone, 410), (NotFound, 404), (NotAllowed, 403), (Conflict, 409), (InvalidInput, 422),
                 (Unavailable, 503))


# The code of an error the web layer raises itself (no domain error behind it).
STATUS_CODES = {400: "invalid_input", 401: "unauthorized", 403: "not_allowed", 404: "not_found",
                405: "invalid_input", 409: "conflict", 410: "gone", 413: "invalid_input", 422: "invalid_input",
                503: "unavailable"}


def status_of(error: SanfuError) -> int:
    for cls, status in DOMAIN_STATUS:
        if isinstance(error, cls):
            return status
    return 400


def render_error(status: int, message: str | None = None, code: str | None = None):
    title, default = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    message = message or default
    if request.path.startswith("/api/"):
        code = code or STATUS_CODES.get(status, "error")
        return jsonify({"error": {"status": status, "code": code, "title": title, "message": message}}), status
    return render_template("error.html", status=status, title=title, message=message,
                           signed_in=_signed_in()), status


def _signed_in() -> bool:
    """Whether someone is signed in — without failing when the database is what failed."""
    try:
        from flask_login import current_user
        return bool(current_user.is_authenticated)
    except Exception:  # noqa: BLE001 - an error page must render whatever went wrong
        return False


def _http_error(error: HTTPException):
    status = error.code or 500
    # Werkzeug's own descriptions are English; ours are Chinese. A message given on purpose
    # (abort(404, description="…")) is kept when it is not Werkzeug's default.
    custom = error.description if error.description != type(error).description else None
    return render_error(status, custom if status != 500 else None)


def _internal_error(error):
    original = getattr(error, "original_exception", None)
    if original is not None:
        from flask import current_app
        current_app.logger.error("unhandled error on %s %s", request.method, request.path,
                                 exc_info=original)
    return render_error(500)


def _csrf_error(_error: CSRFError):
    return render_error(400, CSRF_MESSAGE)


def _domain_error(error: SanfuError):
    if isinstance(error, Unavailable):
        return unavailable(error)
    return render_error(status_of(error), error_text(error), error.code)


def unavailable(error: Unavailable):
    """503 with Retry-After (page or JSON), and one log line per outage instead of a traceback
    per request."""
    (STORAGE_OUTAGES if isinstance(error, StorageFull) else OUTAGES).note(error)
    title, message = PAGES[503][0], error_text(error)  # the database, or the attachments' disk
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"status": 503, "code": "unavailable", "title": title,
                                      "message": message, "fields": {}}})
    else:
        # flask-login's context processor loads the user for every template; that needs the database.
        # Show the page as to someone signed out (flask-login caches the request's user in g._login_user).
        from flask import current_app, g
        g._login_user = current_app.login_manager.anonymous_user()
        response = render_template("error.html", status=503, title=title, message=message, signed_in=False)
    response = make_response(response, 503)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


class OutageLog:
    """One line when an outage begins (its first refusal), then at most one line per `every` seconds
    while it lasts, with how many requests were refused meanwhile, and one when it ends (`ended`):
    a 5-second outage is two lines per worker, not 3,000 tracebacks, and the next outage is logged
    afresh however soon it comes."""

    def __init__(self, what: str, recovered: str, every: float = 30.0):
        self.what, self.recovered, self.every = what, recovered, every
        self._began: float | None = None
        self._last, self._suppressed, self._refused = 0.0, 0, 0
        self._lock = threading.Lock()

    def note(self, error: Unavailable) -> None:
        now = time.monotonic()
        with self._lock:
            self._refused += 1
            if self._began is not None and now - self._last < self.every:
                self._suppressed += 1
                return
            self._began = now if self._began is None else self._began
            suppressed, self._suppressed, self._last = self._suppressed, 0, now
        cause = error.__cause__
        reason = " ".join(str(getattr(cause, "orig", cause) or "").split())[:300]
        logging.getLogger("sanfu.web").warning(
            "%s (503 Retry-After %s): %s%s", self.what, error.retry_after, reason,
            f"; {suppressed} more requests refused since the last line" if suppressed else "")

    def ended(self) -> None:
        with self._lock:
            if self._began is None:
                return
            lasted, refused = time.monotonic() - self._began, self._refused
            self._began, self._suppressed, self._refused = None, 0, 0
        logging.getLogger("sanfu.web").warning("%s after %.1f s; %d requests were refused", self.recovered,
                                               lasted, refused)


OUTAGES = OutageLog("database unavailable", "database reachable again")
STORAGE_OUTAGES = OutageLog("storage full", "")  # no end is seen: its lines stay one per `every` seconds
# Engines that report new connections to OUTAGES. Not `event.contains`: SQLAlchemy keys its
# registry by id(), which a new engine can reuse while an old one's pool still holds the entry.
_WATCHED: weakref.WeakSet = weakref.WeakSet()


def _database_connected(_dbapi_connection, _record) -> None:
    """A new connection to the database (the pool replaces dead ones): this worker's outage is over."""
    OUTAGES.ended()


def init_app(app: Flask) -> None:
    for status in PAGES:
        if status != 500:
            app.register_error_handler(status, _http_error)
    app.register_error_handler(500, _internal_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SanfuError, _domain_error)
    db = getattr(app.extensions.get("sanfu"), "db", None)
    if db is not None and db not in _WATCHED:
        event.listen(db, "connect", _database_connected)
        _WATCHED.add(db)
