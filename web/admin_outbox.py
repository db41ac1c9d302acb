"""邮件发送队列 (系统管理员): mails waiting and failed, with the server's error, and 重新发送
for one of them. Delivery itself is the scheduler's (Engine.deliver_outbox); routes on the
admin blueprint, the system admin's only (web.admin)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user

from engine.errors import Conflict

from .admin import REFUSED, bp
from .extensions import get_engine
from .helpers import error_text

PER_PAGE = 50
STATUS_LABELS = {"pending": _l("待发送"), "failed": _l("发送失败"), "sent": _l("已发送")}


@bp.route("/outbox", methods=["GET"])
def outbox():
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)  # an offset SQLite can take
    result = get_engine().outbox(current_user.id, status=status, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template("admin/outbox.html", result=result, status=status, page=page, labels=STATUS_LABELS)


@bp.route("/outbox/<int:email_id>/retry", methods=["POST"])
def retry_email(email_id: int):
    try:
        row = get_engine().retry_email(current_user.id, email_id)
    except (*REFUSED, Conflict) as err:
        flash(error_text(err), "error")
    else:
        flash(gettext("邮件 %(id)s（收件人 %(who)s）将随下次投递重新发送。", id=row["id"], who=row["recipient"]),
              "success")
    return redirect(url_for("admin.outbox", status=request.form.get("status") or None))
