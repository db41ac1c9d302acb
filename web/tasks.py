"""The task page: the form rendered from its JSON Schema, claim/release, complete, history.

Validation happens once, in the engine (`Engine.complete` → FormValidationError.fields):
the page re-renders with each message beside its field and the values as entered, and
nothing is saved.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.errors import FormValidationError, InvalidInput

from . import get_engine
from .formdata import parse_kv, parse_object
from .helpers import plain_message
from .schema_form import build_fields, unplaced

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
KV_ROWS = 3


def _view(task_id: str) -> dict:
    if len(task_id) > 64:
        abort(404)
    return get_engine().task_view(task_id, current_user.id)


def _render(view: dict, values: dict | None = None, errors: dict | None = None,
            extra_rows: dict | None = None, message: str | None = None, status: int = 200):
    errors = errors or {}
    form = view.get("form")
    fields = build_fields(form, values, errors, extra_rows) if form else []
    kv_rows = None
    if form is None:
        kv_rows = list((values or {}).get("_kv_rows") or [])
        blanks = max(KV_ROWS - len(kv_rows), 0) + int((extra_rows or {}).get("_kv", 0))
        kv_rows += [{"key": "", "value": ""}] * blanks
    top = unplaced(errors, fields) if form else [m for k, m in errors.items() if not k.startswith("_kv.")]
    return render_template("tasks/task.html", view=view, task=view["task"], form=form, fields=fields,
                           kv_rows=kv_rows, errors=errors, top_errors=top, message=message), status


@bp.route("/<task_id>", methods=["GET"])
@login_required
def show(task_id: str):
    return _render(_view(task_id))


@bp.route("/<task_id>", methods=["POST"])
@login_required
def complete(task_id: str):
    view = _view(task_id)
    if not view["can_complete"]:
        abort(403, description="您不能办理此任务：请先认领，或由办理人办理。")
    form = view.get("form")
    if form is None:
        data, rows, errors = parse_kv(request.form)
        values = {"_kv_rows": rows}
    else:
        data, errors = parse_object(form, request.form), {}
        values = data
    add_row = request.form.get("_add_row")
    if add_row:  # no JavaScript: the server adds the empty row
        return _render(view, values, extra_rows={add_row: 1})
    if errors:
        return _render(view, values, errors, message="请修改标出的内容后再提交。", status=422)
    try:
        result = get_engine().complete(task_id, current_user.id, data)
    except FormValidationError as err:
        return _render(view, values, err.fields, message="请修改标出的内容后再提交。", status=422)
    except InvalidInput as err:
        return _render(view, values, message=plain_message(str(err)), status=422)
    flash(f"「{view['task']['name']}」已提交。", "success")
    for warning in result.get("warnings") or []:
        flash(plain_message(warning), "warning")
    return redirect(url_for("inbox.index"))


@bp.route("/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str):
    task = get_engine().claim(task_id, current_user.id)
    flash(f"已认领「{task['name']}」，现在由您办理。", "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/<task_id>/release", methods=["POST"])
@login_required
def release(task_id: str):
    reason = request.form.get("reason", "")
    try:
        task = get_engine().release(task_id, current_user.id, reason)
    except InvalidInput as err:
        flash(plain_message(str(err)), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(f"已释放「{task['name']}」，退回科室待认领。", "success")
    return redirect(url_for("inbox.index"))
