"""通知: each person's notification centre — work handed to them (指派, 转办, 退回, 委派,
抄送), each linking to its task; unread until marked read. The header shows the unread count."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.store.ids import ids_from

from .extensions import get_engine

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 30


@bp.app_context_processor
def _unread_count():
    """The header's unread count: one indexed COUNT, only on pages of a signed-in person."""
    def unread() -> int:
        return get_engine().unread_notifications(current_user.id) if current_user.is_authenticated else 0
    return {"unread_notifications": unread}


@bp.route("/", methods=["GET"])
@login_required
def index():
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)  # an offset SQLite can take
    unread_only = request.args.get("unread") == "1"
    result = get_engine().notifications(current_user.id, unread_only=unread_only, limit=PER_PAGE,
                                        offset=(page - 1) * PER_PAGE)
    return render_template("notifications/index.html", result=result, page=page, unread_only=unread_only)


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    raw = request.form.getlist("notification")
    ids = ids_from(raw) if raw else None
    count = get_engine().mark_notifications_read(current_user.id, ids)
    flash(gettext("已将 %(count)s 条通知标为已读。", count=count), "success")
    return redirect(url_for("notifications.index"))
