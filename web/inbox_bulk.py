"""Bulk actions on selected inbox rows: claim (科室待认领), 转办 with a reason (待办), and
complete tasks whose form is only an acknowledgement. Each task is its own command
(Engine.bulk_*, engine.inbox.bulk): the result page lists which succeeded and which failed, and why."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required

from engine.errors import InvalidInput

from .extensions import get_engine
from .helpers import error_text, safe_next

bp = Blueprint("inbox_bulk", __name__)
ACTIONS = {"claim": _l("认领"), "transfer": _l("转办"), "complete": _l("签收办结")}


def _outcomes(action: str, task_ids: list[str]) -> list[dict]:
    engine, actor = get_engine(), current_user.id
    if action == "claim":
        return engine.bulk_claim(task_ids, actor)
    if action == "transfer":
        form = request.form
        return engine.bulk_transfer(task_ids, actor, reason=form.get("reason"),
                                    to_user=form.get("to_user"), to_section=form.get("to_section"))
    return engine.bulk_complete_acknowledgements(task_ids, actor)


@bp.route("/inbox/bulk", methods=["POST"])
@login_required
def apply():
    action = request.form.get("action", "")
    back = safe_next(request.form.get("next")) or url_for("inbox.index")
    if action not in ACTIONS:
        flash(gettext("请选择要执行的操作：认领、转办或签收办结。"), "error")
        return redirect(back)
    try:
        outcomes = _outcomes(action, request.form.getlist("task_id"))
    except InvalidInput as err:  # nothing selected, no reason, no target: nothing was changed
        flash(error_text(err), "error")
        return redirect(back)
    done = [o for o in outcomes if o["ok"]]
    failed = [o for o in outcomes if not o["ok"]]
    return render_template("inbox/bulk_result.html", action=ACTIONS[action], done=done, failed=failed,
                           back=back)
