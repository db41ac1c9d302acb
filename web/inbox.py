"""The inbox: 待办, 科室待认领, 已办, 我发起的 — counts on each tab, search, pages."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from . import get_engine

bp = Blueprint("inbox", __name__)

VIEWS = (("todo", _l("待办")), ("claimable", _l("科室待认领")), ("done", _l("已办")),
         ("started", _l("我发起的")))
EMPTY = {"todo": "没有待办任务。", "claimable": "科室暂无待认领的任务。", "done": "还没有办理过任务。",
         "started": "您发起的流程没有进行中的任务。"}


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


@bp.route("/")
@login_required
def index():
    view = request.args.get("view", "todo")
    if view not in dict(VIEWS):
        view = "todo"
    q = (request.args.get("q") or "").strip()[:100] or None
    per_page = current_app.config["INBOX_PER_PAGE"]
    result = get_engine().inbox(current_user.id, view, page=_page_number(request.args.get("page")),
                                per_page=per_page, q=q)
    pages = max(1, -(-result["total"] // result["per_page"]))
    return render_template("inbox/index.html", views=VIEWS, view=view, q=q or "", result=result,
                           pages=pages, empty=EMPTY[view])
