"""/api/v1 endpoints for 督办单 (挂牌督办): the year's list and one record, its lifecycle's
steps (限期整改, 整改情况, 复核), and listing a task by hand. Registered on the API blueprint
(web/api.py): the same bearer tokens, JSON bodies and JSON errors; every rule stays in the engine."""
from __future__ import annotations

from flask import jsonify, request

from .api import MAX_PER_PAGE, ApiError, _actor, _body, _int_arg, _task_id, _text, bp
from .extensions import get_engine
from .supervision_records import parse_deadline


@bp.get("/supervision/records")
def records():
    per_page = _int_arg("per_page", 50, 1, MAX_PER_PAGE)
    page = _int_arg("page", 1, 1, 100_000)
    year = _int_arg("year", 0, 2000, 2100) or None
    return jsonify(get_engine().supervision_records(
        _actor(), year=year, status=(request.args.get("status") or None), unit=(request.args.get("unit") or None),
        limit=per_page, offset=(page - 1) * per_page))


@bp.get("/supervision/records/<int:record_id>")
def record(record_id: int):
    return jsonify(get_engine().supervision_record(record_id, _actor()))


@bp.post("/supervision/records/<int:record_id>/deadline")
def set_record_deadline(record_id: int):
    body = _body()
    deadline = _deadline(body, required=True)
    return jsonify(get_engine().set_record_deadline(record_id, _actor(), deadline, _text(body, "note")))


@bp.post("/supervision/records/<int:record_id>/report")
def report_record(record_id: int):
    return jsonify(get_engine().report_record(record_id, _actor(), _text(_body(), "note", required=True)))


@bp.post("/supervision/records/<int:record_id>/verify")
def verify_record(record_id: int):
    body = _body()
    approve = body.get("approve")
    if not isinstance(approve, bool):
        raise ApiError(422, "提交的内容不符合要求。", {"approve": "必须是 true 或 false"})
    return jsonify(get_engine().verify_record(record_id, _actor(), approve, _text(body, "note")))


@bp.post("/tasks/<task_id>/supervision")
def list_for_supervision(task_id: str):
    body = _body()
    return jsonify(get_engine().list_for_supervision(_task_id(task_id), _actor(), _text(body, "note", required=True),
                                                     _deadline(body)))


def _deadline(body: dict, required: bool = False):
    text = _text(body, "deadline", required=required)
    if text is None:
        return None
    moment = parse_deadline(text[:40])
    if moment is None:
        raise ApiError(422, "提交的内容不符合要求。", {"deadline": "整改期限须为日期（2026-12-31）或日期时间"})
    return moment
