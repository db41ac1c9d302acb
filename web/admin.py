"""Admin pages, split three ways (三员分立, engine.org.roles):

- 系统管理员: accounts (create, disable, sections and business roles), the unrouted queue
  with assignment, handover of a departing user's work, deputies for leave, and the
  pairing list import (web.admin_import);
- 安全管理员: roles, password resets and sign-in locks (web.admin_security);
- 审计管理员: the audit log (web.admin_audit, its own blueprint under /admin/audit).

Each page is for its administrator only (anyone else gets the 403 page); the engine checks
again on every command. A refused form re-renders its page with the engine's message.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required

from engine import clock
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.org.directory import Person

from .errors import status_of
from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("admin", __name__, url_prefix="/admin")
REFUSED = (InvalidInput, NotFound, NotAllowed)
ROLE_LABELS = {"staff": _l("科员"), "section_head": _l("科长"), "leader": _l("分管领导"),
               "supervisor": _l("督查"), "liaison": _l("联络员"), "expert": _l("专家"),
               "admin": _l("系统管理员"), "designer": _l("流程设计"),
               "security_admin": _l("安全管理员"), "audit_admin": _l("审计管理员")}
#: The security admin's pages (web.admin_security); every other admin page is the system admin's.
SECURITY_ENDPOINTS = frozenset({"admin.security", "admin.grant_roles", "admin.reset_password",
                                "admin.unlock_login"})
MOVED_LABELS = (("liaison_of", _l("联络员企业")), ("contact_leader_of", _l("联系领导企业")),
                ("tasks", _l("待办任务")), ("candidate_tasks", _l("候选任务")))
_SPLIT = re.compile(r"[\s,，、;；]+")


@bp.before_request
@login_required
def _by_role():
    if request.endpoint == "admin.index":
        return
    if request.endpoint in SECURITY_ENDPOINTS:
        allowed = current_user.is_security_admin
    else:
        allowed = current_user.is_admin
    if not allowed:
        abort(403)


# What a form field keeps of what was typed: well past every column, so an overlong name or display name
# reaches the engine's check (engine.store.limits) and is refused by name, never cut to fit.
TYPED_MOST = 1000


def _field(name: str, limit: int = 128) -> str:
    return (request.form.get(name) or "").strip()[:limit]


def _codes(raw: str) -> tuple[str, ...]:
    return tuple(code for code in _SPLIT.split(raw or "") if code)


def _person(name: str, existing: dict | None = None) -> Person:
    existing = existing or {}
    return Person(name=name, display_name=_field("display_name", TYPED_MOST) or existing.get("display_name") or name,
                  unit_code=_field("unit", 64) or existing.get("unit_code") or "",
                  sections=_codes(_field("sections", 500)),
                  roles=tuple(r for r in request.form.getlist("roles") if r) or ("staff",),
                  leads=tuple(existing.get("leads") or ()), phone=existing.get("phone", ""))


def _account(name: str) -> dict:
    found = [a for a in get_engine().accounts(current_user.id, q=name) if a["name"] == name]
    if not found:
        abort(404)
    return found[0]


# accounts -------------------------------------------------------------------------
ACCOUNTS_PER_PAGE = 100


def account_page(endpoint: str) -> dict:
    """The page of accounts the request asks for (`q`, `page`), and whether another follows:
    a bureau with thousands of accounts pages through them instead of losing the tail."""
    q = (request.args.get("q") or "").strip()[:100]
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)
    rows = get_engine().accounts(current_user.id, q=q or None, limit=ACCOUNTS_PER_PAGE + 1,
                                 offset=(page - 1) * ACCOUNTS_PER_PAGE)
    return {"accounts": rows[:ACCOUNTS_PER_PAGE], "q": q, "page": page, "has_next": len(rows) > ACCOUNTS_PER_PAGE,
            "pager_endpoint": endpoint}  # the GET page, also when a refused POST shows it again


def _accounts_page(message: str | None = None, status: int = 200, form: dict | None = None):
    engine = get_engine()
    return render_template("admin/accounts.html", **account_page("admin.accounts"),
                           options=engine.admin_options(current_user.id), role_labels=ROLE_LABELS,
                           message=message, form=form or {}), status


def _refused(err, page, **kwargs):
    return page(message=error_text(err), status=status_of(err), **kwargs)


@bp.route("/")
def index():
    """Each administrator's first page."""
    if current_user.is_admin:
        return redirect(url_for("admin.accounts"))
    if current_user.is_security_admin:
        return redirect(url_for("admin.security"))
    if current_user.is_audit_admin:
        return redirect(url_for("admin_audit.index"))
    abort(403)


@bp.route("/accounts", methods=["GET"])
def accounts():
    return _accounts_page()


@bp.route("/accounts", methods=["POST"])
def create_account():
    name = _field("name", TYPED_MOST)  # the engine refuses what is too long, naming the field; never cut silently
    form = {"name": name, "display_name": _field("display_name", TYPED_MOST), "unit": _field("unit", 64),
            "sections": _field("sections", 500), "roles": request.form.getlist("roles")}
    try:
        get_engine().create_account(_person(name), request.form.get("password") or "", actor=current_user.id)
    except REFUSED as err:
        return _refused(err, _accounts_page, form=form)
    flash(gettext("已创建账户 %(name)s。", name=name), "success")
    return redirect(url_for("admin.accounts"))


@bp.route("/accounts/<name>/edit", methods=["POST"])
def edit_account(name: str):
    try:
        get_engine().save_person(_person(name, _account(name)), actor=current_user.id)
    except REFUSED as err:
        return _refused(err, _accounts_page)
    flash(gettext("已更新 %(name)s 的角色和科室。", name=name), "success")
    return redirect(url_for("admin.accounts", q=request.args.get("q") or None))


@bp.route("/accounts/<name>/active", methods=["POST"])
def set_active(name: str):
    active = request.form.get("active") == "1"
    try:
        get_engine().set_active(name, active, actor=current_user.id)
    except REFUSED as err:
        return _refused(err, _accounts_page)
    flash(gettext("已启用账户 %(name)s。", name=name) if active else gettext("已停用账户 %(name)s。", name=name),
          "success")
    return redirect(url_for("admin.accounts", q=request.args.get("q") or None))


# unrouted queue ---------------------------------------------------------------------
def _unrouted_page(message: str | None = None, status: int = 200):
    engine = get_engine()
    users = [a["name"] for a in engine.accounts(current_user.id) if a["active"]]
    return render_template("admin/unrouted.html", tasks=engine.unrouted(current_user.id), users=users,
                           message=message), status


@bp.route("/unrouted", methods=["GET"])
def unrouted():
    return _unrouted_page()


@bp.route("/unrouted/<task_id>/assign", methods=["POST"])
def assign(task_id: str):
    if len(task_id) > 64:
        abort(404)
    user = _field("user", 64)
    try:
        task = get_engine().assign(task_id, user, current_user.id)
    except REFUSED as err:
        return _refused(err, _unrouted_page)
    flash(gettext("已将「%(task)s」指派给 %(user)s。", task=task["name"], user=user), "success")
    return redirect(url_for("admin.unrouted"))


# handover and deputies ----------------------------------------------------------------
@bp.route("/handover", methods=["GET", "POST"])
def handover():
    moved, message, status = None, None, 200
    form = {"from_user": _field("from_user", 64), "to_user": _field("to_user", 64)}
    if request.method == "POST":
        if not form["from_user"] or not form["to_user"] or form["from_user"] == form["to_user"]:
            message, status = gettext("请填写两个不同的用户：移交人和接收人。"), 422
        else:
            try:
                moved = get_engine().handover(form["from_user"], form["to_user"], actor=current_user.id)
            except REFUSED as err:
                message, status = error_text(err), status_of(err)
    return render_template("admin/handover.html", form=form, moved=moved, labels=MOVED_LABELS,
                           message=message), status


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(_field(name, 10))
    except ValueError:
        return None


def _deputies_page(message: str | None = None, status: int = 200, form: dict | None = None):
    return render_template("admin/deputies.html", deputies=get_engine().deputies(current_user.id),
                           form=form or {}, message=message), status


@bp.route("/deputies", methods=["GET"])
def deputies():
    return _deputies_page()


@bp.route("/deputies", methods=["POST"])
def set_deputy():
    form = {key: _field(key, 64) for key in ("user", "deputy", "starts", "ends")}
    starts, ends = _day("starts"), _day("ends")
    if not form["user"] or not form["deputy"] or starts is None or ends is None:
        return _deputies_page(gettext("请填写请假人、代理人和起止日期。"), 422, form)
    start_at = datetime.combine(starts, time(), tzinfo=clock.SHANGHAI)
    end_at = datetime.combine(ends + timedelta(days=1), time(), tzinfo=clock.SHANGHAI)  # through the last day
    try:
        get_engine().set_deputy(form["user"], form["deputy"], start_at, end_at, actor=current_user.id)
    except REFUSED as err:
        return _refused(err, _deputies_page, form=form)
    flash(gettext("已指定 %(deputy)s 在 %(starts)s 至 %(ends)s 代理 %(user)s。", deputy=form["deputy"], starts=starts,
                  ends=ends, user=form["user"]), "success")
    return redirect(url_for("admin.deputies"))

