"""The inbox: 待办, 科室待认领, 已办, 我发起的, 抄送我的 — capped counts on each tab ("99+"),
filters that persist across tabs and pages (query string), sort, paging, bulk selection."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine.errors import InvalidInput

from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("inbox", __name__)

VIEWS = (("todo", _l("待办")), ("claimable", _l("科室待认领")), ("done", _l("已办")),
         ("started", _l("我发起的")), ("copied", _l("抄送我的")))
EMPTY = {"todo": _l("没有待办任务。"), "claimable": _l("科室暂无待认领的任务。"), "done": _l("还没有办理过任务。"),
         "started": _l("您发起的流程没有进行中的任务。"), "copied": _l("没有抄送给您的任务。")}
SORTS = (("due", _l("期限由近到远")), ("-due", _l("期限由远到近")), ("-created", _l("最新创建")),
         ("created", _l("最早创建")))
FILTERS = ("q", "process", "task_name", "due_from", "due_to", "overdue", "sort")
DATE_FILTERS = ("due_from", "due_to", "sort")


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 100_000))
    except ValueError:
        return 1


def filter_args(args) -> dict:
    """The filters of the query string, as typed (non-empty ones only): they go back into
    every tab, pager and form link so they persist."""
    out = {}
    for name in FILTERS:
        value = (args.get(name) or "").strip()[:100]
        if name == "overdue":
            value = "1" if value in ("1", "on", "true") else ""
        if value and not (name == "sort" and value == "due"):
            out[name] = value
    return out


def _query(view: str, page: int, filters: dict):
    per_page = current_app.config["INBOX_PER_PAGE"]
    values = {**filters, "overdue": filters.get("overdue") == "1"}
    return get_engine().inbox(current_user.id, view, page=page, per_page=per_page, options=True, **values)


@bp.route("/")
@login_required
def index():
    view = request.args.get("view", "todo")
    if view not in dict(VIEWS):
        view = "todo"
    filters = filter_args(request.args)
    page = _page_number(request.args.get("page"))
    message, status = None, 200
    try:
        result = _query(view, page, filters)
    except InvalidInput as err:  # a bad date or sort: say so, and show the list without it
        message, status = error_text(err), 400
        filters = {k: v for k, v in filters.items() if k not in DATE_FILTERS}
        result = _query(view, page, filters)
    pages = max(1, -(-result["total"] // result["per_page"])) if result["total"] is not None else None
    # A row of no enterprise (a 12369 complaint …) says which process it is, not "—".
    process_names = {p["key"]: p["name"] for p in result.get("processes") or []}
    return render_template("inbox/index.html", views=VIEWS, view=view, filters=filters, result=result,
                           pages=pages, empty=EMPTY[view], sorts=SORTS, message=message, process_names=process_names,
                           has_instance_page="instances.show" in current_app.view_functions,
                           withdrawable=_withdrawable(view, result)), status


def _withdrawable(view: str, result: dict) -> set[int]:
    """我发起的: the instances still withdrawable (撤回, web/start.py), marked on their rows."""
    if view != "started":
        return set()
    ids = [row["instance_id"] for row in result["rows"]]
    return set(get_engine().withdrawable_instances(current_user.id, ids))
