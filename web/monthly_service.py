"""每月服务 (每月至少服务一次): the 记录服务 form on the enterprise page (a phone or video call,
or a visit) and a liaison's own list of their enterprises' service this month. The rules
(who records, which dates, what counts) live in engine.enterprises.service_contacts and
engine.enterprises.monthly_service."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.enterprises.monthly_service import today
from engine.errors import InvalidInput

from .enterprises import SERVICE_LABELS, STATUS_LABELS
from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("monthly_service", __name__)
FIELDS = ("mode", "contacted_on", "summary")


@bp.route("/enterprises/<int:enterprise_id>/contacts", methods=["POST"])
@login_required
def record(enterprise_id: int):
    form = {name: (request.form.get(name) or "")[:4000] for name in FIELDS}
    engine = get_engine()
    try:
        engine.record_contact(enterprise_id, current_user.id, form["mode"], form["contacted_on"], form["summary"])
    except InvalidInput as err:
        # Shown again with what was typed, the refused field named and marked (nothing is lost).
        field = err.params.get("field") if err.params.get("field") in FIELDS else "summary"
        page = engine.enterprise(current_user.id, enterprise_id)
        return render_template("enterprises/show.html", **page, status_labels=STATUS_LABELS,
                               service_labels=SERVICE_LABELS, contact_form=form,
                               contact_errors={field: error_text(err)}, today=today().isoformat()), 422
    flash(gettext("已记录服务。"), "success")
    return redirect(url_for("enterprises.show", enterprise_id=enterprise_id, _anchor="monthly-service"))


@bp.route("/enterprises/service")
@login_required
def mine():
    """本月服务: the signed-in liaison's (or contact leader's) enterprises, unserved first."""
    worklist = get_engine().monthly_service_worklist(current_user.id)
    return render_template("enterprises/service.html", **worklist, service_labels=SERVICE_LABELS)
