"""发起: the processes this user may start, each with its start form (rendered from its JSON
Schema like a task form, validated once in the engine: errors beside their fields, what was
typed kept), and 撤回 of an instance the user started while nobody else has acted on it."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import Conflict, FormValidationError, InvalidInput
from engine.store.ids import ids_from
from engine.tasks.attachments import megabytes

from .extensions import get_engine
from .formdata import parse_task_form
from .helpers import error_text
from .schema_form import build_fields, unplaced
from .start_attachments import upload_chosen_files, uploaded_files

bp = Blueprint("start", __name__, url_prefix="/start")
PREFILLED = ("enterprise_id",)  # what the enterprise page passes in the link


@bp.route("/", methods=["GET"])
@login_required
def index():
    return render_template("start/index.html", processes=get_engine().startable(current_user.id))


def _process(key: str) -> dict:
    found = next((p for p in get_engine().startable(current_user.id) if p["key"] == key), None)
    if found is None:
        abort(403, description=gettext("您不能发起此流程。"))
    return found


def _render(process: dict, values: dict, errors: dict | None = None, message: str | None = None, status: int = 200):
    errors = errors or {}
    form = process.get("form")
    fields = build_fields(form, values, errors) if form else []
    return render_template("start/form.html", process=process, fields=fields, message=message,
                           top_errors=unplaced(errors, fields) if form else [],
                           uploaded=uploaded_files(form, values), max_mb=megabytes(get_engine().attachment_max_bytes)
                           ), status


@bp.route("/<key>", methods=["GET"])
@login_required
def form(key: str):
    process = _process(key[:255])
    values = {name: ids[0] for name in PREFILLED if (ids := ids_from([request.args.get(name, "")]))}
    return _render(process, values)


@bp.route("/<key>", methods=["POST"])
@login_required
def submit(key: str):
    process = _process(key[:255])
    data, values, errors = parse_task_form(process.get("form") or {"type": "object", "properties": {}},
                                           request.form)
    errors.update(upload_chosen_files(process["key"], process.get("form"), request.files, data, values))
    if errors:
        return _render(process, values, errors, gettext("请修改标出的内容后再提交。"), 422)
    try:
        started = get_engine().start_process(process["key"], current_user.id, data)
    except FormValidationError as err:
        return _render(process, values, err.fields, gettext("请修改标出的内容后再提交。"), 422)
    except InvalidInput as err:
        return _render(process, values, None, error_text(err), 422)
    except Conflict as err:
        return _render(process, values, None, error_text(err), 409)
    flash(gettext("已发起「%(name)s」。", name=process["name"]), "success")
    return redirect(url_for("instances.show", instance_id=started["id"]))


@bp.route("/withdraw/<int:instance_id>", methods=["POST"])
@login_required
def withdraw(instance_id: int):
    try:
        get_engine().withdraw(instance_id, current_user.id, request.form.get("reason", ""))
    except (InvalidInput, Conflict) as err:
        flash(error_text(err), "error")
        return redirect(url_for("instances.show", instance_id=instance_id))
    flash(gettext("已撤回，流程已取消。"), "success")
    return redirect(url_for("instances.show", instance_id=instance_id))
