"""Task page actions besides completing: 转办, 委派, 退回, 抄送, comments, drafts.

Each route parses its form, calls one Engine command and redirects; a form the page can
correct (an empty reason, nobody chosen, a name the engine refuses) re-renders the task
page with the action's panel open, its messages in Chinese beside the fields and what was
typed kept. Who may do what is the engine's rule: NotAllowed/NotFound/Conflict become the
403/404/409 pages (web/errors.py)."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import InvalidInput

from .extensions import get_engine
from .formdata import parse_task_form
from .helpers import error_text
from .tasks import load_view, render_page

bp = Blueprint("task_actions", __name__, url_prefix="/tasks")
MAX_TEXT = 2000
_NAMES = re.compile(r"[\s,，、;；]+")


def _refused(task_id: str, panel: str, errors: dict, entered: dict | None = None):
    return render_page(load_view(task_id), action_errors=errors, panel=panel, entered=entered, status=422)


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


def _reason_error(reason: str, what: str) -> str | None:
    """`what`: "转办" or "退回" (whole sentences per action, for the translations)."""
    transfer = what == "转办"
    if not reason:
        return gettext("请填写转办理由") if transfer else gettext("请填写退回理由")
    if len(reason) > MAX_TEXT:
        return (gettext("转办理由不能超过 %(max)s 字", max=MAX_TEXT) if transfer
                else gettext("退回理由不能超过 %(max)s 字", max=MAX_TEXT))
    return None


def _to_task(task_id: str, anchor: str | None = None):
    return redirect(url_for("tasks.show", task_id=task_id) + (f"#{anchor}" if anchor else ""))


@bp.post("/<task_id>/transfer")
@login_required
def transfer(task_id: str):
    """转办 to a colleague, a section of this unit, or a section of another unit."""
    reason, target = _text("reason"), request.form.get("target", "")
    entered = {"reason": reason, "target": target, **{k: _text(k) for k in ("to_user", "to_section", "to_unit")}}
    targets = _transfer_target(target, entered)
    errors = {"transfer.reason": _reason_error(reason, "转办"),
              "transfer.target": None if targets else gettext("请选择转办给谁：同事、本单位科室或其他单位科室")}
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        return _refused(task_id, "transfer", errors, entered)
    try:
        task = get_engine().transfer(task_id, current_user.id, reason=reason, **targets)
    except InvalidInput as err:
        return _refused(task_id, "transfer", {"transfer": error_text(err)}, entered)
    flash(gettext("已转办「%(task)s」，理由已记入办理记录。", task=task["name"]), "success")
    return redirect(url_for("inbox.index"))


def _transfer_target(target: str, entered: dict) -> dict | None:
    if target == "user" and entered["to_user"]:
        return {"to_user": entered["to_user"]}
    if target == "section" and entered["to_section"]:
        return {"to_section": entered["to_section"]}
    unit, _, section = entered["to_unit"].partition(":")
    if target == "unit" and unit and section:
        return {"to_unit": unit, "to_section": section}
    return None


@bp.post("/<task_id>/return")
@login_required
def return_task(task_id: str):
    """退回 to the previous step; the reason is filed for the section head."""
    reason = _text("reason")
    error = _reason_error(reason, "退回")
    if error:
        return _refused(task_id, "return", {"return.reason": error}, {"reason": reason})
    try:
        task = get_engine().return_task(task_id, current_user.id, reason)
    except InvalidInput as err:
        return _refused(task_id, "return", {"return": error_text(err)}, {"reason": reason})
    flash(gettext("已退回上一步「%(task)s」（%(who)s），理由已报科长备案。", task=task["name"],
                  who=task["assignee"] or gettext("科室待认领")), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/<task_id>/delegate")
@login_required
def delegate(task_id: str):
    """委派: the task goes to a colleague and comes back when they resolve it."""
    entered = {"to_user": _text("to_user"), "note": _text("note")}
    errors = {}
    if not entered["to_user"]:
        errors["delegate.to_user"] = gettext("请选择委派给谁")
    if len(entered["note"]) > MAX_TEXT:
        errors["delegate.note"] = gettext("委派说明不能超过 %(max)s 字", max=MAX_TEXT)
    if errors:
        return _refused(task_id, "delegate", errors, entered)
    try:
        task = get_engine().delegate(task_id, current_user.id, entered["to_user"], entered["note"])
    except InvalidInput as err:
        return _refused(task_id, "delegate", {"delegate": error_text(err)}, entered)
    flash(gettext("已委派给 %(who)s：对方完成委派后，任务回到您的待办。", who=task["assignee"]), "success")
    return _to_task(task_id)


@bp.post("/<task_id>/draft")
@login_required
def save_draft(task_id: str):
    """保存草稿: the form as entered, without validation."""
    view = load_view(task_id)
    data, values, errors = parse_task_form(view.get("form"), request.form)
    if errors:
        return render_page(view, values, errors, message=gettext("请修改标出的内容后再保存。"), status=422)
    try:
        get_engine().save_draft(task_id, current_user.id, data)
    except InvalidInput as err:
        return render_page(view, values, message=error_text(err), status=422)
    flash(gettext("草稿已保存，下次打开此任务时自动填入。"), "success")
    return _to_task(task_id)


@bp.post("/<task_id>/resolve")
@login_required
def resolve(task_id: str):
    """完成委派: hand the task back to its owner with the form as entered (as its draft)."""
    view = load_view(task_id)
    data, values, errors = parse_task_form(view.get("form"), request.form)
    comment = _text("_resolve_comment")
    if len(comment) > MAX_TEXT:
        errors["_resolve_comment"] = gettext("意见不能超过 %(max)s 字", max=MAX_TEXT)
    if errors:
        return render_page(view, values, errors, message=gettext("请修改标出的内容后再完成委派。"), status=422)
    try:
        task = get_engine().resolve_delegation(task_id, current_user.id, data, comment)
    except InvalidInput as err:
        return render_page(view, values, message=error_text(err), status=422)
    flash(gettext("已完成委派，「%(task)s」交回 %(who)s 办理。", task=task["name"], who=task["assignee"]), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/<task_id>/copy")
@login_required
def copy(task_id: str):
    """抄送 to colleagues chosen in the list or typed by account name."""
    chosen = [n.strip() for n in request.form.getlist("recipients") if n.strip()]
    typed = [n for n in _NAMES.split(_text("others")) if n]
    entered = {"recipients": chosen, "others": _text("others"), "note": _text("note")}
    errors = {}
    if not chosen and not typed:
        errors["copy.recipients"] = gettext("请选择或填写抄送对象")
    if len(entered["note"]) > MAX_TEXT:
        errors["copy.note"] = gettext("抄送说明不能超过 %(max)s 字", max=MAX_TEXT)
    if errors:
        return _refused(task_id, "copy", errors, entered)
    try:
        result = get_engine().copy_task(task_id, current_user.id, chosen + typed, entered["note"])
    except InvalidInput as err:
        return _refused(task_id, "copy", {"copy": error_text(err)}, entered)
    if result["added"]:
        flash(gettext("已抄送给 %(names)s。", names=gettext("、").join(result["added"])), "success")
    if result["already"]:
        flash(gettext("%(names)s 此前已抄送过，未重复抄送。", names=gettext("、").join(result["already"])), "warning")
    return _to_task(task_id)


@bp.post("/<task_id>/comments")
@login_required
def comment(task_id: str):
    body = _text("body")
    error = gettext("请填写意见内容") if not body else (
        gettext("意见不能超过 %(max)s 字", max=MAX_TEXT) if len(body) > MAX_TEXT else None)
    if error:
        return _refused(task_id, "comment", {"comment.body": error}, {"body": body})
    get_engine().add_comment(task_id, current_user.id, body)
    flash(gettext("意见已发表。"), "success")
    return _to_task(task_id, "comments")
