"""/api/v1 endpoints for working on a task together, as the task page does: 退回, 委派 and
its resolution, 抄送, comments, drafts and attachments. Registered on the API blueprint
(web/api.py): the same bearer tokens, JSON bodies and JSON errors."""
from __future__ import annotations

import re

from flask import jsonify, request, send_file

from engine.errors import SanfuError

from .api import ApiError, _actor, _body, _int_arg, _task_id, _text, bp
from .errors import PAGES
from .extensions import get_engine

_ATTACHMENT_ID = re.compile(r"[0-9a-f]{32}")


def _object(body: dict, name: str) -> dict:
    value = body.get(name, {})
    if not isinstance(value, dict):
        raise ApiError(422, "提交的内容不符合要求。", {name: "必须是 JSON 对象"})
    return value


@bp.post("/tasks/<task_id>/return")
def return_task(task_id: str):
    reason = _text(_body(), "reason", required=True)
    return jsonify(get_engine().return_task(_task_id(task_id), _actor(), reason))


@bp.post("/tasks/<task_id>/delegate")
def delegate(task_id: str):
    body = _body()
    to_user = _text(body, "to_user", required=True)
    return jsonify(get_engine().delegate(_task_id(task_id), _actor(), to_user, note=_text(body, "note")))


@bp.post("/tasks/<task_id>/resolve")
def resolve(task_id: str):
    body = _body()
    return jsonify(get_engine().resolve_delegation(_task_id(task_id), _actor(), _object(body, "data"),
                                                   comment=_text(body, "comment")))


@bp.post("/tasks/<task_id>/copy")
def copy(task_id: str):
    body = _body()
    recipients = body.get("to_users")
    if not isinstance(recipients, list) or not recipients or not all(isinstance(r, str) for r in recipients):
        raise ApiError(422, "提交的内容不符合要求。", {"to_users": "必须是非空的账号名列表"})
    return jsonify(get_engine().copy_task(_task_id(task_id), _actor(), recipients, note=_text(body, "note")))


@bp.post("/tasks/<task_id>/comments")
def comment(task_id: str):
    body = _text(_body(), "body", required=True)
    return jsonify(get_engine().add_comment(_task_id(task_id), _actor(), body))


@bp.put("/tasks/<task_id>/draft")
def save_draft(task_id: str):
    return jsonify(get_engine().save_draft(_task_id(task_id), _actor(), _object(_body(), "data")))


@bp.get("/tasks/<task_id>/attachments")
def attachments(task_id: str):
    """As the task page: its own files and the newest `others` (default 20) of the other steps'
    (`others_more`: how many older ones are left out); `page=N`: all the instance's files, 50 a
    page, page 1 the newest (`attachments_page`)."""
    if request.args.get("page"):
        return jsonify(get_engine().attachments_of(_actor(), task_id=_task_id(task_id),
                                                   page=_int_arg("page", 1, 1, 100_000)))
    return jsonify(get_engine().attachments_of(_actor(), task_id=_task_id(task_id),
                                               others_shown=_int_arg("others", 20, 0, 200)))


@bp.post("/tasks/<task_id>/attachments")
def upload(task_id: str):
    """multipart/form-data with one or more `file` parts (and an optional form `field`);
    each file is its own command, so a refused file does not undo the others."""
    task_id = _task_id(task_id)
    return upload_each(lambda f, field: get_engine().add_attachment(task_id, _actor(), f.filename, f.stream, field))


def upload_each(add):
    """The multipart `file` parts, each stored by `add(file, field)` as its own command: 200 with
    what was saved and the refused ones in `errors`; every file refused: the error envelope, each
    file's reason in `fields` (one file alone: its own error)."""
    files = [f for f in request.files.getlist("file") if f and f.filename]
    if not files:
        raise ApiError(422, "请上传文件。", {"file": "缺少文件 (multipart/form-data 的 file 部分)"})
    field = request.form.get("field", "")[:128]
    added, errors = [], {}
    for index, upload_file in enumerate(files):
        try:
            added.append(add(upload_file, field))
        except SanfuError as err:
            if not added and len(files) == 1:
                raise
            errors[f"file.{index}"] = str(err)
    if not added:
        raise ApiError(422, "附件没有保存 (no file was saved)。", errors)
    return jsonify({"attachments": added, "errors": errors})


@bp.get("/attachments/<attachment_id>")
def download(attachment_id: str):
    if not _ATTACHMENT_ID.fullmatch(attachment_id):
        raise ApiError(404, PAGES[404][1])
    found = get_engine().attachment_for_download(attachment_id, _actor())
    response = send_file(found["path"], mimetype=found["content_type"], as_attachment=True,
                         download_name=found["filename"], etag=found["sha256"], max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
