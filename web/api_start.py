"""/api/v1 endpoints for 发起 and 撤回: the processes the caller may start (with their start
form's JSON Schema), start one with data, withdraw an instance the caller started. Registered
on the API blueprint (web/api.py); every rule stays in the engine (engine.instances.starting)."""
from __future__ import annotations

from flask import jsonify

from .api import ApiError, _actor, _body, _text, bp
from .api_tasks import upload_each
from .extensions import get_engine


@bp.get("/startable")
def startable():
    return jsonify(get_engine().startable(_actor()))


@bp.post("/processes/<key>/start")
def start_process(key: str):
    body = _body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ApiError(422, "提交的内容不符合要求。", {"data": "必须是对象"})
    return jsonify(get_engine().start_process(key[:255], _actor(), data))


@bp.post("/processes/<key>/attachments")
def upload_start_attachments(key: str):
    """As for a task: multipart/form-data with one or more `file` parts (and an optional form
    `field`, the start form's attachment field); each file its own command. The answer's `ref`
    ("attachment:<id>") then goes in that field of the start's data; until a start takes it the
    upload is the caller's alone, and it is deleted after a day if no start does."""
    return upload_each(lambda f, field: get_engine().add_start_attachment(key[:255], _actor(), f.filename,
                                                                          f.stream, field))


@bp.post("/instances/<int:instance_id>/withdraw")
def withdraw(instance_id: int):
    reason = _text(_body(), "reason", required=True)
    return jsonify(get_engine().withdraw(instance_id, _actor(), reason))
