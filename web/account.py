"""个人设置: the signed-in person's email address and how notifications reach them by mail
(不发送 / 即时 / 每日汇总). The checks are the engine's (engine.notifications.preferences);
a refused value is shown again with the error under the field it names."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required

from engine.errors import InvalidInput

from .errors import status_of
from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("account", __name__, url_prefix="/account")
MODE_LABELS = (("off", _l("不发送")), ("immediate", _l("即时（每条通知一封邮件）")),
               ("digest", _l("每日汇总（每天一封，列出未读通知）")))


def _page(form: dict, errors: dict | None = None, status: int = 200):
    settings = get_engine().email_settings(current_user.id)
    return render_template("account/index.html", form=form, errors=errors or {}, settings=settings,
                           modes=MODE_LABELS), status


@bp.route("/", methods=["GET"])
@login_required
def index():
    settings = get_engine().email_settings(current_user.id)
    return _page({"email": settings["email"], "mode": settings["mode"]})


@bp.route("/", methods=["POST"])
@login_required
def save():
    form = {"email": (request.form.get("email") or "").strip()[:300], "mode": request.form.get("mode") or "off"}
    try:
        get_engine().set_email_settings(current_user.id, form["email"], form["mode"])
    except InvalidInput as err:
        field = err.params.get("field") if err.params.get("field") in ("email", "mode") else "email"
        return _page(form, {field: error_text(err)}, status_of(err))
    flash(gettext("邮件提醒设置已保存。"), "success")
    return redirect(url_for("account.index"))
