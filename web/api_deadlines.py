"""/api/v1 endpoints for people acting on deadlines: 催办 a task, ask for a 延期 and decide
one, list the requests waiting for the caller. Registered on the API blueprint (web/api.py):
the same bearer tokens, JSON bodies and JSON errors; every rule stays in the engine."""
from __future__ import annotations

from flask import jsonify

from .api import ApiError, _actor, _body, _task_id, _text, bp
from .extensions import get_engine


@bp.post("/tasks/<task_id>/urge")
def urge(task_id: str):
    message = _text(_body(), "message", required=True)
    return jsonify(get_engine().urge(_task_id(task_id), _actor(), message))


@bp.post("/tasks/<task_id>/extension")
def request_extension(task_id: str):
    body = _body()
    new_due_date = _text(body, "new_due_date", required=True)
    reason = _text(body, "reason", required=True)
    return jsonify(get_engine().request_extension(_task_id(task_id), _actor(), new_due_date, reason))


@bp.get("/extensions")
def pending_extensions():
    return jsonify(get_engine().pending_extensions(_actor()))


@bp.post("/extensions/<int:extension_id>/decide")
def decide_extension(extension_id: int):
    body = _body()
    approve = body.get("approve")
    if not isinstance(approve, bool):
        raise ApiError(422, "提交的内容不符合要求。", {"approve": "必须是 true 或 false"})
    return jsonify(get_engine().decide_extension(extension_id, _actor(), approve, _text(body, "note") or ""))
