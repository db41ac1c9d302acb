"""The enterprise's one-time rating page (no account) and issuing its link.

Public: `/r/<token>` shows the phone page (GET) and takes the rating (POST, with the CSRF
token of the anonymous session); a used, expired or replaced link answers 410 Gone, an
unknown one 404, both on the same minimal page that says nothing about anything else.

Staff: the follow-up task's holder issues a link (POST /tasks/<id>/rating-link). Only its
hash is stored, so the token stays in the issuer's (signed) session to show the URL and QR
code on the task page (web/templates/tasks/_rating.html, via `rating_panel`).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required

from engine.enterprises.rating_links import RatingLinkGone
from engine.errors import Conflict, FormValidationError, InvalidInput, NotFound

from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("rating", __name__)
ISSUED_KEY = "rating_links"    # session: task id -> the token its holder issued last
THANKS_KEY = "rating_thanks"   # session: the enterprise name for the thank-you page
KEEP_ISSUED = 5
UNKNOWN_MESSAGE = _l("该评价链接无效，请核对链接或联系您的联络员。")


@bp.route("/r/<token>", methods=["GET"])
def form(token: str):
    view, refusal = _lookup(token)
    if refusal is not None:
        return refusal
    return render_template("rating/form.html", view=view, token=token, values={}, errors={}, message=None)


@bp.route("/r/<token>", methods=["POST"])
def submit(token: str):
    view, refusal = _lookup(token)
    if refusal is not None:
        return refusal
    ratings = {s["key"]: _score(request.form.get(f"stage.{s['key']}")) for s in view["stages"]}
    try:
        result = get_engine().submit_rating(token, ratings, request.form.get("comment", ""),
                                            client=request.remote_addr or "")
    except RatingLinkGone as gone:
        return _gone(gone)
    except NotFound:
        return _unknown()
    except FormValidationError as err:
        return _form_again(view, token, request.form, err.fields, error_text(err))
    except InvalidInput as err:
        return _form_again(view, token, request.form, {}, error_text(err))
    session[THANKS_KEY] = result["enterprise"]
    return redirect(url_for("rating.thanks"))


@bp.route("/r/thanks", methods=["GET"])
def thanks():
    return render_template("rating/thanks.html", enterprise=session.pop(THANKS_KEY, None))


@bp.route("/tasks/<task_id>/rating-link", methods=["POST"])
@login_required
def issue(task_id: str):
    try:
        issued = get_engine().issue_rating_link(task_id, current_user.id)
    except (Conflict, InvalidInput) as err:
        flash(error_text(err), "error")
        return redirect(url_for("tasks.show", task_id=task_id, _anchor="rating"))
    kept = {k: v for k, v in (session.get(ISSUED_KEY) or {}).items() if k != task_id}
    session[ISSUED_KEY] = {**dict(list(kept.items())[-(KEEP_ISSUED - 1):]), task_id: issued["token"]}
    flash(gettext("评价链接已生成：请企业扫描二维码或打开链接评价。"), "success")
    return redirect(url_for("tasks.show", task_id=task_id, _anchor="rating"))


def rating_panel(task: dict) -> dict | None:
    """For the task page: the follow-up's link state, with the URL and QR code when this
    browser issued the live link. None for any other step."""
    if not current_user.is_authenticated:
        return None
    token = (session.get(ISSUED_KEY) or {}).get(task["id"])
    state = get_engine().rating_link_state(task["id"], current_user.id, token)
    if state is not None and state["token_matches"]:
        state["url"] = url_for("rating.form", token=token, _external=True)
        state["qr"] = qr_data_uri(state["url"])
    return state


def qr_data_uri(url: str) -> str:
    """The URL as a QR code: an SVG data: URI (the CSP allows data: images)."""
    import segno
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2)


@bp.app_context_processor
def _template_functions():
    return {"rating_panel": rating_panel}


def _lookup(token: str):
    """(what the page shows, None) — or (None, the 410/404 page)."""
    try:
        return get_engine().rating_form(token), None
    except RatingLinkGone as gone:
        return None, _gone(gone)
    except NotFound:
        return None, _unknown()


def _score(value: str | None):
    """A radio's value as an int; anything else goes on as is, for the engine to refuse."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 3 else (text or None)


def _form_again(view: dict, token: str, values, errors: dict, message: str):
    return render_template("rating/form.html", view=view, token=token, values=values, errors=errors,
                           message=message), 422


def _gone(gone: RatingLinkGone):
    return render_template("rating/gone.html", status=410, reason=gone.reason,
                           message=error_text(gone)), 410


def _unknown():
    return render_template("rating/gone.html", status=404, reason="unknown", message=UNKNOWN_MESSAGE), 404
