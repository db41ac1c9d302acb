"""The audit administrator's log viewer (审计管理员): filter by time range, actor, kind of
action and instance, newest first, page by page (a keyset cursor, engine.admin.audit_log), and
export the filtered rows as CSV. The audit admin only; the engine records every view and
export in the log itself.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine import clock
from engine.admin.audit_log import ACTION_KINDS
from engine.errors import InvalidInput, NotAllowed

from .errors import status_of
from .extensions import get_engine
from .helpers import action_label, detail_items, error_text

bp = Blueprint("admin_audit", __name__, url_prefix="/admin/audit")
#: The kinds of engine.admin.audit_log.ACTION_KINDS in the user's language.


@bp.before_request
@login_required
def _audit_admin_only():
    if not current_user.is_audit_admin:
        abort(403)


def _day(name: str) -> date | None:
    text = (request.args.get(name) or "").strip()[:10]
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"日期“{text}”无效，应为 年-月-日 (a date)") from None


def _filters() -> dict:
    """The engine's filters from the query string: days are Asia/Shanghai days, the `to`
    day included."""
    since, until = _day("from"), _day("to")
    instance = (request.args.get("instance") or "").strip()[:12]
    if instance and not instance.isdigit():
        raise InvalidInput("流程实例编号应为数字 (instance id)")
    kind = request.args.get("kind") or None
    return {"since": datetime.combine(since, time(), tzinfo=clock.SHANGHAI) if since else None,
            "until": datetime.combine(until + timedelta(days=1), time(), tzinfo=clock.SHANGHAI) if until else None,
            "who": (request.args.get("actor") or "").strip()[:64] or None,
            "kind": kind,
            "instance_id": int(instance) if instance else None}


def _kinds() -> dict:
    return {key: (gettext(kind[0]), kind[1]) for key, kind in ACTION_KINDS.items()}


def _form() -> dict:
    return {key: (request.args.get(key) or "").strip()[:64] for key in ("from", "to", "actor", "kind", "instance")}


@bp.route("", methods=["GET"])
def index():
    page, message, status = None, None, 200
    try:
        page = get_engine().audit_events(current_user.id, after=request.args.get("after") or None, **_filters())
    except (InvalidInput, NotAllowed) as err:
        message, status = error_text(err), status_of(err)
    args = {k: v for k, v in _form().items() if v}
    next_url = url_for("admin_audit.index", after=page["next"], **args) if page and page["next"] else None
    return render_template("admin/audit.html", page=page, form=_form(), kinds=_kinds(), label=action_label,
                           detail_items=detail_items, message=message, next_url=next_url,
                           first_url=url_for("admin_audit.index", **args) if request.args.get("after") else None,
                           export_url=url_for("admin_audit.export", **args)), status


@bp.route("/export.csv", methods=["GET"])
def export():
    try:
        text = get_engine().export_audit_csv(current_user.id, **_filters())
    except (InvalidInput, NotAllowed) as err:
        abort(status_of(err), description=error_text(err))
    stamp = clock.to_local(clock.now()).strftime("%Y%m%d-%H%M")
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.csv"})
