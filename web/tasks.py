"""The task page: the form rendered from its JSON Schema, claim/release, complete, history.

Validation happens once, in the engine (`Engine.complete` → FormValidationError.fields):
the page re-renders with each message beside its field and the values as entered, and
nothing is saved. A saved draft (保存草稿, a delegate's 完成委派, an enterprise's rating)
prefills the form when the page opens. The other actions (转办, 委派, 退回, 抄送, comments,
drafts) are in web/task_actions.py and re-render this page with their errors.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import FormValidationError, InvalidInput

from .extensions import get_engine
from .formdata import draft_values, parse_task_form
from .helpers import error_text, plain_message
from .schema_form import build_fields, unplaced

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
KV_ROWS = 3


def load_view(task_id: str, opening: bool = False) -> dict:
    """The task view; `opening` (a plain GET of the page) also marks a copy to me read."""
    if len(task_id) > 64:
        abort(404)
    engine = get_engine()
    return (engine.open_task_page if opening else engine.task_view)(task_id, current_user.id)


def may_edit(view: dict) -> bool:
    """Whether the viewer gets the form: to complete it, or (a delegate) to draft and resolve it."""
    return bool(view["can_complete"] or view.get("can_save_draft") or view.get("can_resolve"))


def render_page(view: dict, values: dict | None = None, errors: dict | None = None,
                extra_rows: dict | None = None, message: str | None = None, status: int = 200,
                action_errors: dict | None = None, panel: str | None = None, entered: dict | None = None):
    """The task page. `action_errors`/`panel`/`entered`: an action form (转办 …) refused, shown
    open with its messages and what was typed."""
    errors = errors or {}
    form = view.get("form")
    if values is None:
        values = draft_values(form, view.get("draft"))
    fields = build_fields(form, values, errors, extra_rows) if form else []
    kv_rows = None
    if form is None:
        kv_rows = list((values or {}).get("_kv_rows") or [])
        blanks = max(KV_ROWS - len(kv_rows), 0) + int((extra_rows or {}).get("_kv", 0))
        kv_rows += [{"key": "", "value": ""}] * blanks
    top = unplaced(errors, fields) if form else [m for k, m in errors.items() if not k.startswith("_kv.")]
    supervision = get_engine().task_supervision(view["task"]["id"], current_user.id)
    return render_template("tasks/task.html", view=view, task=view["task"], form=form, fields=fields,
                           supervision=supervision,
                           kv_rows=kv_rows, errors=errors, top_errors=top, message=message,
                           action_errors=action_errors or {}, panel=panel,
                           entered=entered or {}), status


@bp.route("/<task_id>", methods=["GET"])
@login_required
def show(task_id: str):
    return render_page(load_view(task_id, opening=True))


@bp.route("/<task_id>", methods=["POST"])
@login_required
def complete(task_id: str):
    # The form and the engine's answer to "may this user complete it?", without loading the
    # workflow: the completion then loads it once, in its one write transaction. The whole
    # page (which does load it) is built only to show the form again.
    if len(task_id) > 64:
        abort(404)
    task = get_engine().task_form(task_id, current_user.id)
    if not may_edit(task):
        abort(403, description=gettext("您不能办理此任务：请先认领，或由办理人办理。"))
    data, values, errors = parse_task_form(task.get("form"), request.form)
    add_row = request.form.get("_add_row")
    if add_row:  # no JavaScript: the server adds the empty row
        return render_page(load_view(task_id), values, extra_rows={add_row: 1})
    if not task["can_complete"]:
        abort(403, description=gettext("此任务已委派给您：请保存草稿或“完成委派”交回委派人。"))
    if errors:
        return render_page(load_view(task_id), values, errors, message=gettext("请修改标出的内容后再提交。"),
                           status=422)
    try:
        result = get_engine().complete(task_id, current_user.id, data)
    except FormValidationError as err:
        return render_page(load_view(task_id), values, err.fields, message=gettext("请修改标出的内容后再提交。"),
                           status=422)
    except InvalidInput as err:
        return render_page(load_view(task_id), values, message=error_text(err), status=422)
    flash(gettext("「%(task)s」已提交。", task=task["task"]["name"]), "success")
    for warning in result.get("warnings") or []:
        flash(plain_message(warning), "warning")
    return redirect(url_for("inbox.index"))


@bp.route("/<task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: str):
    task = get_engine().claim(task_id, current_user.id)
    flash(gettext("已认领「%(task)s」，现在由您办理。", task=task["name"]), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.route("/<task_id>/release", methods=["POST"])
@login_required
def release(task_id: str):
    reason = request.form.get("reason", "")
    try:
        task = get_engine().release(task_id, current_user.id, reason)
    except InvalidInput as err:  # the page again, its 释放 panel open with the reason as typed
        return render_page(load_view(task_id), action_errors={"release.reason": error_text(err)}, panel="release",
                           entered={"reason": reason}, status=422)
    flash(gettext("已释放「%(task)s」，退回科室待认领。", task=task["name"]), "success")
    return redirect(url_for("inbox.index"))
