"""The instance page and its bpmn-js diagram.

`/instances/<id>` shows what an instance is, its open tasks, its steps and its history;
`/instances/<id>/diagram` is the JSON the viewer (static/diagram.js) draws: the deployed
BPMN and the ids of the elements done and current. Who may see them is the engine's rule
(Engine.instance_view / instance_diagram); errors map to pages in web/errors.py.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .extensions import get_engine

bp = Blueprint("instances", __name__, url_prefix="/instances")
STATUS_LABELS = {"running": _l("进行中"), "completed": _l("已办结"), "error": _l("出错"), "cancelled": _l("已取消")}

# No CSP of its own: bpmn-js 18 sets its styles through the DOM (not inline style markup)
# and diagram.js is a static file, so the app's `default-src 'self'` holds on these pages
# (tests/browser/test_diagram_browser.py fails on any CSP violation).


@bp.route("/<int:instance_id>")
@login_required
def show(instance_id: int):
    view = get_engine().instance_view(instance_id, current_user.id, history_page=_page_arg("history_page"))
    return render_template("instances/show.html", view=view, status_labels=STATUS_LABELS,
                           can_withdraw=get_engine().may_withdraw(instance_id, current_user.id),  # 撤回: web/start.py
                           files=get_engine().attachments_of(current_user.id, instance_id=instance_id,
                                                             page=_page_arg("attachments_page")))


def _page_arg(name: str) -> int:
    """办理记录 and 附件 page back from the newest (engine.store.audit.history_page); a page
    number past the last shows an empty page, one not a number the first; an offset SQLite can take."""
    return min(max(1, request.args.get(name, 1, type=int) or 1), 100_000)


@bp.route("/<int:instance_id>/diagram")
@login_required
def diagram(instance_id: int):
    return jsonify(get_engine().instance_diagram(instance_id, current_user.id))
