"""加签 on the task page: the holder of an approval step adds a co-signer before (前加签) or
after themselves (提交并后加签: the task form's data goes with it), and the co-signer signs
(同意 / 不同意 with a reason). The rules are the engine's (engine.tasks.cosign); a refusal the
page can correct re-renders it with the 加签 panel open and what was typed kept."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import FormValidationError, InvalidInput

from .extensions import get_engine
from .formdata import parse_task_form
from .helpers import error_text
from .tasks import load_view, render_page

bp = Blueprint("cosign", __name__)
MAX_TEXT = 2000


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.post("/tasks/<task_id>/cosign")
@login_required
def add(task_id: str):
    """前加签 (`_cosign_mode` before) or 提交并后加签 (after: the task form is submitted with it)."""
    view = load_view(task_id)
    mode = request.form.get("_cosign_mode", "")
    entered = {"to_user": _text("_cosign_to"), "note": _text("_cosign_note")}
    data, values, form_errors = parse_task_form(view.get("form"), request.form)
    errors = {}
    if not entered["to_user"]:
        errors["cosign.to_user"] = gettext("请选择加签人")
    if len(entered["note"]) > MAX_TEXT:
        errors["cosign.note"] = gettext("加签说明不能超过 %(max)s 字", max=MAX_TEXT)
    if mode == "after" and form_errors:
        return render_page(view, values, form_errors, message=gettext("请修改标出的内容后再提交。"), status=422,
                           action_errors=errors, panel="cosign", entered=entered)
    if errors:
        return render_page(view, values, action_errors=errors, panel="cosign", entered=entered, status=422)
    try:
        get_engine().add_cosigner(task_id, current_user.id, entered["to_user"], mode, entered["note"],
                                  data=data if mode == "after" else None)
    except FormValidationError as err:
        return render_page(view, values, err.fields, message=gettext("请修改标出的内容后再提交。"), status=422,
                           panel="cosign", entered=entered)
    except InvalidInput as err:
        key = "cosign.to_user" if (err.params or {}).get("field") == "to_user" else "cosign"
        return render_page(view, values, action_errors={key: error_text(err)}, panel="cosign", entered=entered,
                           status=422)
    if mode == "after":
        flash(gettext("已提交，等待 %(who)s 加签：对方同意后本环节办结。", who=entered["to_user"]), "success")
    else:
        flash(gettext("已请 %(who)s 加签：对方签署后，任务回到您的待办。", who=entered["to_user"]), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/cosigns/<int:cosign_id>/sign")
@login_required
def sign(cosign_id: int):
    """The co-signer's 同意 (agree=1) or 不同意 (agree=0, with a reason)."""
    agree, opinion, task_id = request.form.get("agree") == "1", _text("opinion"), _text("task_id")
    entered = {"opinion": opinion}
    error = None
    if not agree and not opinion:
        error = gettext("不同意时请填写理由")
    elif len(opinion) > MAX_TEXT:
        error = gettext("加签意见不能超过 %(max)s 字", max=MAX_TEXT)
    try:
        if error is None:
            get_engine().sign(cosign_id, current_user.id, agree, opinion)
    except InvalidInput as err:
        error = error_text(err)
    if error is not None:
        if not task_id or len(task_id) > 64:
            abort(422, description=error)
        return render_page(load_view(task_id), action_errors={"sign.opinion": error}, panel="sign",
                           entered=entered, status=422)
    flash(gettext("已签署（同意）。") if agree else gettext("已签署（不同意），任务退回办理人。"), "success")
    return redirect(url_for("inbox.index"))
