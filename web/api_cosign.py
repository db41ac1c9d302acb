"""/api/v1 endpoints for 加签, as the task page does it: add a co-signer to an approval step
(before, or after with the form's data), and sign (agree, or refuse with a reason).
Registered on the API blueprint (web/api.py)."""
from __future__ import annotations

from flask import jsonify

from .api import ApiError, _actor, _body, _task_id, _text, bp
from .extensions import get_engine


@bp.post("/tasks/<task_id>/cosign")
def add_cosigner(task_id: str):
    body = _body()
    mode = _text(body, "mode", required=True)
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        raise ApiError(422, "提交的内容不符合要求。", {"data": "必须是 JSON 对象"})
    return jsonify(get_engine().add_cosigner(_task_id(task_id), _actor(), _text(body, "to_user", required=True),
                                             mode, note=_text(body, "note"), data=data))


@bp.post("/cosigns/<int:cosign_id>/sign")
def sign_cosign(cosign_id: int):
    body = _body()
    agree = body.get("agree")
    if not isinstance(agree, bool):
        raise ApiError(422, "提交的内容不符合要求。", {"agree": "必须是 true 或 false"})
    return jsonify(get_engine().sign(cosign_id, _actor(), agree, _text(body, "opinion")))
