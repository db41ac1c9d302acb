"""People acting on deadlines, on the task page and the section head's list: 催办, 延期申请 and
its decision (/extensions/), 退单, 效能告诫.

Like web/task_actions.py: each route parses its form and calls one Engine command; a form
the page can correct re-renders it with the panel open, the message beside the field (naming
it in Chinese) and what was typed kept. Who may do what is the engine's rule (engine.access);
NotAllowed/NotFound/Conflict become the 403/404/409 pages."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import InvalidInput

from .extensions import get_engine
from .helpers import error_text
from .tasks import load_view, render_page

bp = Blueprint("deadline_actions", __name__)
MAX_TEXT, MAX_URGE = 2000, 500
# Engine refusals of the date asked for: shown beside the date field.
DATE_ERRORS = {"extension_date_invalid", "extension_not_working_day", "extension_not_later", "extension_past"}


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _refused(task_id: str, panel: str, errors: dict, entered: dict):
    return render_page(load_view(task_id), action_errors=errors, panel=panel, entered=entered, status=422)


def _to_task(task_id: str, anchor: str | None = None):
    return redirect(url_for("tasks.show", task_id=task_id) + (f"#{anchor}" if anchor else ""))


def _required(value: str, missing: str, too_long: str, most: int = MAX_TEXT) -> str | None:
    if not value:
        return missing
    return too_long if len(value) > most else None


@bp.post("/tasks/<task_id>/urge")
@login_required
def urge(task_id: str):
    """催办: a supervising role presses the holder with a message."""
    message = _text("message")
    error = _required(message, gettext("请填写催办内容"), gettext("催办内容不能超过 %(max)s 字", max=MAX_URGE),
                      MAX_URGE)
    if error:
        return _refused(task_id, "urge", {"urge.message": error}, {"message": message})
    result = get_engine().urge(task_id, current_user.id, message)
    flash(gettext("已催办（第 %(count)s 次），办理人会收到通知。", count=result["urge_count"]), "success")
    return _to_task(task_id, "deadline-history")


@bp.post("/tasks/<task_id>/extension")
@login_required
def request_extension(task_id: str):
    """延期申请: the holder asks the section head for a later deadline."""
    entered = {"new_due_date": _text("new_due_date"), "reason": _text("reason")}
    errors = {"extension.new_due_date": _date_error(entered["new_due_date"]),
              "extension.reason": _required(entered["reason"], gettext("请填写延期理由"),
                                            gettext("延期理由不能超过 %(max)s 字", max=MAX_TEXT))}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        return _refused(task_id, "extension", errors, entered)
    try:
        get_engine().request_extension(task_id, current_user.id, entered["new_due_date"], entered["reason"])
    except InvalidInput as err:
        key = "extension.new_due_date" if err.code in DATE_ERRORS else "extension"
        return _refused(task_id, "extension", {key: error_text(err)}, entered)
    flash(gettext("延期申请已提交，等待科长审批。"), "success")
    return _to_task(task_id, "deadline-history")


def _date_error(value: str) -> str | None:
    if not value:
        return gettext("请填写新的期限")
    try:
        date.fromisoformat(value)
    except ValueError:
        return gettext("新的期限格式不对，请按 2026-03-20 的格式填写")
    return None


@bp.get("/extensions/")
@login_required
def index():
    """The 延期申请 waiting for the signed-in section head's decision."""
    return _list_page()


def _list_page(errors: dict | None = None, entered: dict | None = None, status: int = 200):
    result = get_engine().pending_extensions(current_user.id)
    return render_template("deadline_actions/extensions.html", rows=result["rows"], more=result["more"],
                           heads_sections=result["heads_sections"], errors=errors or {},
                           entered=entered or {}), status


@bp.post("/extensions/<int:extension_id>/decide")
@login_required
def decide(extension_id: int):
    """批准 or 不批准 (a refusal says why); back to the list, or to the task it came from."""
    decision, note = request.form.get("decision", ""), _text("note")
    error = None
    if decision not in ("approve", "refuse"):
        error = gettext("请选择批准或不批准")
    elif decision == "refuse" and not note:
        error = gettext("不批准时请填写审批意见")
    elif len(note) > MAX_TEXT:
        error = gettext("审批意见不能超过 %(max)s 字", max=MAX_TEXT)
    if error is None:
        try:
            result = get_engine().decide_extension(extension_id, current_user.id, decision == "approve", note)
        except InvalidInput as err:
            error = error_text(err)
    if error:
        return _list_page({extension_id: error}, {extension_id: note}, 422)
    if result["status"] == "approved":
        flash(gettext("已批准延期：「%(task)s」期限延至 %(day)s。", task=result["task_name"],
                      day=result["new_due_date"]), "success")
    else:
        flash(gettext("已不批准「%(task)s」的延期申请，期限不变。", task=result["task_name"]), "success")
    return redirect(url_for("deadline_actions.index"))


@bp.post("/tasks/<task_id>/send-back")
@login_required
def send_back(task_id: str):
    """退单: a misrouted task back to whoever dispatched it, filed for the section head."""
    reason = _text("reason")
    error = _required(reason, gettext("请填写退单理由"), gettext("退单理由不能超过 %(max)s 字", max=MAX_TEXT))
    if error:
        return _refused(task_id, "send_back", {"send_back.reason": error}, {"reason": reason})
    try:
        task = get_engine().send_back(task_id, current_user.id, reason)
    except InvalidInput as err:
        return _refused(task_id, "send_back", {"send_back": error_text(err)}, {"reason": reason})
    flash(gettext("已退单给 %(who)s 重新派发，理由已报科长备案。", who=task["assignee"]), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/warn")
@login_required
def warn(task_id: str):
    """效能告诫 on an overdue task, recorded against the person responsible."""
    reason = _text("reason")
    error = _required(reason, gettext("请填写告诫事由"), gettext("告诫事由不能超过 %(max)s 字", max=MAX_TEXT))
    if error:
        return _refused(task_id, "warn", {"warn.reason": error}, {"reason": reason})
    try:
        result = get_engine().issue_warning(task_id, current_user.id, reason)
    except InvalidInput as err:
        return _refused(task_id, "warn", {"warn": error_text(err)}, {"reason": reason})
    flash(gettext("已对 %(who)s 发出效能告诫。", who=result["person_name"]), "success")
    return _to_task(task_id, "deadline-history")
