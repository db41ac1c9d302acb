"""Sign-in and sign-out (flask-login over `Engine.authenticate` / `Engine.account`).

Passwords, the password policy and throttling live in the engine (the throttle is in the
database, so it holds across gunicorn workers); this module only carries the session.
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.errors import NotAllowed

from .extensions import LANGUAGES, get_engine
from .helpers import error_text, safe_next

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class Account(UserMixin):
    """The signed-in user, as `Engine.account` describes them."""

    def __init__(self, account: dict):
        self.id = account["name"]
        self.name = account["name"]
        self.display_name = account.get("display_name") or account["name"]
        self.is_admin = bool(account.get("is_admin"))
        self.unit_id = account.get("unit_id")
        self.roles = list(account.get("roles") or [])
        self.session_epoch = int(account.get("session_epoch") or 0)

    def get_id(self) -> str:
        # The session names the account and its epoch: signing out, a password reset or
        # disabling bumps the epoch, which ends every session of the account (a copied
        # cookie included), not just the one in this browser.
        return f"{self.name}|{self.session_epoch}"

    # 三员分立: each administrator sees only their own pages (engine.org.roles).
    @property
    def is_security_admin(self) -> bool:
        return "security_admin" in self.roles

    @property
    def is_audit_admin(self) -> bool:
        return "audit_admin" in self.roles


class LoginForm(FlaskForm):
    name = StringField(_l("用户名"), validators=[DataRequired(message=_l("请填写用户名")), Length(max=64)])
    password = PasswordField(_l("密码"), validators=[DataRequired(message=_l("请填写密码")), Length(max=256)])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(session_id: str) -> Account | None:
    # Every signed-in request: one read of one row (Engine.account: user, epoch and roles in
    # one statement), never a write, and nothing cached, so a sign-out elsewhere, a password
    # reset or disabling the account ends this session at its very next request.
    name, _, epoch = session_id.rpartition("|")
    account = get_engine().account(name) if name else None
    if account is None or str(account.get("session_epoch") or 0) != epoch:
        return None
    return Account(account)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.path.startswith("/api/"):
        return jsonify({"error": {"status": 401, "message": "请先登录"}}), 401
    flash(str(login_manager.login_message), "info")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


@bp.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.args.get("next")) or url_for("inbox.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            account = get_engine().authenticate(form.name.data.strip(), form.password.data,
                                                client=request.remote_addr or "")
        except NotAllowed as err:
            error = error_text(err)
        else:
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in
            if lang:
                session["lang"] = lang
            login_user(Account(account))
            session.permanent = True
            return redirect(target)
    elif request.method == "POST":
        error = gettext("；").join(str(msg) for messages in form.errors.values() for msg in messages)
    status = 200 if error is None else 401
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    lang = session.get("lang")
    if current_user.is_authenticated:
        get_engine().record_logout(current_user.id, client=request.remote_addr or "")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("inbox.index"))
