"""The JSON API at /api/v1: what the pages do (inbox, task, claim, release, complete,
transfer, instances, an enterprise's ledger), authenticated with API tokens.

Every request but /api/v1/openapi.json carries `Authorization: Bearer <token>` (tokens:
`sanfu token create`); the session cookie is neither read nor written here, so there is no
cookie auth and no CSRF. Bodies are JSON objects, checked against the operation's schema in the
OpenAPI document before the view runs (web/api_bodies.py); errors are
`{"error": {"status", "title", "message", "fields"}}` with the status the page would get
(401 no or bad token, 403, 404, 409, 413, 422 for a body that is not a JSON object or does not
fit). As for the pages, every rule about who may see or do what stays in the engine.
"""
from __future__ import annotations

import json

from flask import Blueprint, Flask, g, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from engine.errors import FormValidationError, NotAllowed, SanfuError, Unavailable
from engine.inbox.views import VIEWS

from .errors import PAGES, STATUS_CODES, status_of, unavailable
from .extensions import csrf, get_engine
from .helpers import error_text, language

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)
MAX_PER_PAGE = 100
NO_TOKEN = "缺少 API 令牌：请在 Authorization 请求头中提供 Bearer 令牌 (missing bearer token)"


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


def _is_api(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


class ApiAwareSessions(SecureCookieSessionInterface):
    """Cookie sessions for the pages; under /api/v1 an empty session that is never saved."""

    def open_session(self, app, req):
        if _is_api(req.path):
            return self.session_class()
        return super().open_session(app, req)

    def save_session(self, app, session, response):
        if _is_api(request.path):
            return
        super().save_session(app, session, response)


@bp.record_once
def _install_sessions(state) -> None:
    app: Flask = state.app
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = ApiAwareSessions()


# errors -------------------------------------------------------------------------------
def error_response(status: int, message: str | None = None, fields: dict | None = None,
                   code: str | None = None):
    title, default = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    body = {"error": {"status": status, "code": code or STATUS_CODES.get(status, "error"), "title": title,
                      "message": message or default, "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sanfu"'
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.message, error.fields)


@bp.errorhandler(SanfuError)
def _domain_error(error: SanfuError):
    if isinstance(error, Unavailable):
        return unavailable(error)
    fields = error.field_texts(language()) if isinstance(error, FormValidationError) else None
    if fields is None and "attribute" in error.params:  # a value its column refused (engine.store.limits)
        fields = {error.params["attribute"]: error_text(error)}
    return error_response(status_of(error), error_text(error), fields, error.code)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    status = error.code or 500
    custom = error.description if error.description != type(error).description else None
    return error_response(status, custom if status != 500 else None)


# authentication and input ---------------------------------------------------------------
@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, NO_TOKEN)
    try:
        g.api_account = get_engine().authenticate_token(secret.strip())
    except NotAllowed as err:
        raise ApiError(401, error_text(err)) from None
    return None


def _actor() -> str:
    return g.api_account["name"]


def _body() -> dict:
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "请求体不是合法的 JSON (the body is not valid JSON)") from None
    if not isinstance(value, dict):
        raise ApiError(422, "请求体必须是 JSON 对象 (the body must be a JSON object)")
    return value


def _text(body: dict, name: str, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(422, "提交的内容不符合要求。", {name: "必填"})
        return None
    if not isinstance(value, str):
        raise ApiError(422, "提交的内容不符合要求。", {name: "必须是文本"})
    return value


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(422, "查询参数不符合要求。", {name: f"必须是 {low} 到 {high} 之间的整数"})
    return value


def _task_id(task_id: str) -> str:
    if len(task_id) > 64:
        raise ApiError(404, PAGES[404][1])
    return task_id


# endpoints ----------------------------------------------------------------------------------
@bp.get("/openapi.json")
def openapi():
    from .openapi import document
    return jsonify(document())


@bp.get("/inbox")
def inbox():
    view = request.args.get("view") or "todo"
    if view not in VIEWS:
        raise ApiError(422, "查询参数不符合要求。", {"view": "必须是 " + "、".join(VIEWS) + " 之一"})
    text = {name: (request.args.get(name) or "").strip()[:100] or None
            for name in ("q", "process", "task_name", "due_from", "due_to", "sort")}
    overdue = (request.args.get("overdue") or "").lower() in ("1", "true", "yes")
    return jsonify(get_engine().inbox(_actor(), view, page=_int_arg("page", 1, 1, 100_000),
                                      per_page=_int_arg("per_page", 20, 1, MAX_PER_PAGE), overdue=overdue,
                                      **text))


@bp.get("/tasks/<task_id>")
def task(task_id: str):
    return jsonify(get_engine().task_view(_task_id(task_id), _actor()))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str):
    return jsonify(get_engine().claim(_task_id(task_id), _actor()))


@bp.post("/tasks/<task_id>/release")
def release(task_id: str):
    reason = _text(_body(), "reason", required=True)
    return jsonify(get_engine().release(_task_id(task_id), _actor(), reason))


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    data = _body().get("data", {})
    if not isinstance(data, dict):
        raise ApiError(422, "提交的内容不符合要求。", {"data": "必须是 JSON 对象"})
    return jsonify(get_engine().complete(_task_id(task_id), _actor(), data))


@bp.post("/tasks/<task_id>/transfer")
def transfer(task_id: str):
    body = _body()
    reason = _text(body, "reason", required=True)
    targets = {name: _text(body, name) for name in ("to_user", "to_section", "to_unit")}
    return jsonify(get_engine().transfer(_task_id(task_id), _actor(), reason=reason, **targets))


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int):
    return jsonify(get_engine().instance_for(instance_id, _actor(),
                                             history_page=_int_arg("history_page", 1, 1, 100_000)))


@bp.get("/enterprises/<int:enterprise_id>/ledger")
def ledger(enterprise_id: int):
    return jsonify(get_engine().ledger_for(enterprise_id, _actor()))
