"""备案 (否定报告备案): the returns and transfers filed for the section heads, who read them
and acknowledge them (知悉), one by one or several at once."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import InvalidInput, NotAllowed
from engine.store.ids import ids_from

from .extensions import get_engine
from .helpers import error_text

PER_PAGE = 100
bp = Blueprint("filings", __name__, url_prefix="/filings")


@bp.route("/", methods=["GET"])
@login_required
def index():
    show_all = request.args.get("all") == "1"
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)
    result = get_engine().filing_list(current_user.id, include_acknowledged=show_all, limit=PER_PAGE,
                                      offset=(page - 1) * PER_PAGE)
    return render_template("filings/index.html", rows=result["rows"], show_all=show_all, page=page,
                           has_next=result["more"], heads_sections=result["heads_sections"])


@bp.route("/acknowledge", methods=["POST"])
@login_required
def acknowledge():
    raw = request.form.getlist("filing")
    try:
        count = get_engine().acknowledge_filings(ids_from(raw), current_user.id)
    except (InvalidInput, NotAllowed) as err:
        flash(error_text(err), "error")
        return redirect(url_for("filings.index"))
    flash(gettext("已确认知悉 %(count)s 条备案。", count=count), "success")
    return redirect(url_for("filings.index"))
