"""The security admin's pages (安全管理员): grant and revoke roles (the administrator roles
included), reset passwords, lift sign-in locks. Routes on the admin blueprint, allowed to
the security admin only (web.admin.SECURITY_ENDPOINTS); no business data is shown here.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from .admin import REFUSED, ROLE_LABELS, account_page, bp
from .errors import status_of
from .extensions import get_engine
from .helpers import error_text


def _security_page(message: str | None = None, status: int = 200):
    engine = get_engine()
    return render_template("admin/security.html", **account_page("admin.security"),
                           options=engine.admin_options(current_user.id), role_labels=ROLE_LABELS,
                           locked=engine.locked_logins(current_user.id), message=message), status


def _back():
    return redirect(url_for("admin.security", q=request.args.get("q") or None))


@bp.route("/security", methods=["GET"])
def security():
    return _security_page()


@bp.route("/security/<name>/roles", methods=["POST"])
def grant_roles(name: str):
    roles = [role for role in request.form.getlist("roles") if role][:20]
    try:
        get_engine().set_roles(name[:64], roles, actor=current_user.id)
    except REFUSED as err:
        return _security_page(error_text(err), status_of(err))
    shown = gettext("、").join(str(ROLE_LABELS.get(role, role)) for role in roles) or gettext("无")
    flash(gettext("已将 %(name)s 的角色设为：%(roles)s。", name=name, roles=shown), "success")
    return _back()


@bp.route("/security/<name>/password", methods=["POST"])
def reset_password(name: str):
    try:
        get_engine().set_password(name[:64], request.form.get("password") or "", actor=current_user.id)
    except REFUSED as err:
        return _security_page(error_text(err), status_of(err))
    flash(gettext("已重置 %(name)s 的密码，其登录锁定已解除。", name=name), "success")
    return _back()


@bp.route("/security/unlock/<name>", methods=["POST"])
def unlock_login(name: str):
    try:
        cleared = get_engine().unlock_login(name[:64], actor=current_user.id)
    except REFUSED as err:
        return _security_page(error_text(err), status_of(err))
    flash(gettext("已解除 %(name)s 的登录锁定（清除失败记录 %(count)s 条）。", name=name, count=cleared), "success")
    return _back()
