"""Uploading and downloading a task's attachments (photos and PDFs of evidence).

Every rule lives in the engine (engine/attachments.py): who may upload, delete and
download, the allowed types (by the file's first bytes) and the limits. Routes parse the
request, call the engine and answer with a page (a plain form post returns to the task
page) or, for attachments.js (`Accept: application/json`), with JSON so the task form
being filled in is not reloaded.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import InvalidInput, NotFound, SanfuError

from .errors import status_of
from .extensions import get_engine
from .helpers import error_text, local_time

bp = Blueprint("attachments", __name__)
_ID = re.compile(r"^[0-9a-f]{32}$")
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _task_page(task_id: str):
    return redirect(url_for("tasks.show", task_id=task_id) + "#attachments")


@bp.route("/tasks/<task_id>/attachments", methods=["POST"])
@login_required
def upload(task_id: str):
    if len(task_id) > 64:
        abort(404)
    files = [f for f in request.files.getlist("file") if f and f.filename]
    field = request.form.get("field", "")[:128]
    if not files:
        return _upload_answer(task_id, [], [gettext("请先选择要上传的照片或 PDF 文件。")])
    added, problems = [], []
    for upload_file in files:  # one command per file: a bad file does not undo the good ones
        try:
            added.append(get_engine().add_attachment(task_id, current_user.id, upload_file.filename,
                                                     upload_file.stream, field))
        except InvalidInput as err:
            problems.append(error_text(err))
        except SanfuError as err:
            if not _wants_json():
                raise
            return jsonify({"attachments": added, "errors": [error_text(err)]}), status_of(err)
    return _upload_answer(task_id, added, problems)


def _upload_answer(task_id: str, added: list[dict], problems: list[str]):
    if _wants_json():
        status = 200 if added or not problems else 422
        return jsonify({"attachments": [_shown(a) for a in added], "errors": problems}), status
    if added:
        flash(gettext("已上传：%(files)s", files=gettext("、").join(a["filename"] for a in added)), "success")
    for problem in problems:
        flash(problem, "error")
    return _task_page(task_id)


def _shown(attachment: dict) -> dict:
    """An attachment with what the page shows of it, for attachments.js to add a row."""
    return {**attachment, "size_text": filesize(attachment["size"]),
            "created_local": local_time(attachment["created_at"]),
            "url": url_for("attachments.download", attachment_id=attachment["id"]),
            "preview_url": url_for("attachments.download", attachment_id=attachment["id"], inline=1),
            "delete_url": url_for("attachments.delete", attachment_id=attachment["id"])}


@bp.route("/attachments/<attachment_id>", methods=["GET"])
@login_required
def download(attachment_id: str):
    if not _ID.match(attachment_id):
        abort(404)
    found = get_engine().attachment_for_download(attachment_id, current_user.id)
    inline = found["is_image"] and request.args.get("inline") == "1"  # a PDF is always a download
    response = send_file(found["path"], mimetype=found["content_type"], as_attachment=not inline,
                         download_name=found["filename"], conditional=True, etag=found["sha256"], max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/attachments/<attachment_id>/delete", methods=["POST"])
@login_required
def delete(attachment_id: str):
    if not _ID.match(attachment_id):
        abort(404)
    try:
        removed = get_engine().delete_attachment(attachment_id, current_user.id)
    except SanfuError as err:
        if not _wants_json():
            raise
        return jsonify({"errors": [error_text(err)]}), status_of(err)
    if _wants_json():
        return jsonify({"deleted": removed})
    flash(gettext("已删除附件「%(name)s」。", name=removed["filename"]), "success")
    return _task_page(removed["task_id"])


OTHERS_SHOWN = 20  # the other steps' newest files on a task page; the instance page has them all


@bp.app_template_global("task_attachments")
def task_attachments(task_id: str | None = None) -> dict:
    """The attachments box of the task page (fetched once per request): the instance's
    attachments, whether the viewer may upload, the limits."""
    task_id = task_id or (request.view_args or {}).get("task_id")
    boxes = g.setdefault("task_attachments", {})
    if task_id not in boxes:
        boxes[task_id] = _box(task_id)
    return boxes[task_id]


def _box(task_id: str | None) -> dict:
    empty = {"task_id": task_id, "attachments": [], "can_upload": False, "max_bytes": 0, "max_files": 0,
             "types": []}
    if not task_id or not current_user.is_authenticated:
        return empty
    try:
        return get_engine().attachments_of(current_user.id, task_id=task_id, others_shown=OTHERS_SHOWN)
    except NotFound:  # a page about no stored task (a form preview) has no attachments
        return empty


@bp.app_template_filter("filesize")
def filesize(size) -> str:
    size = int(size or 0)
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
