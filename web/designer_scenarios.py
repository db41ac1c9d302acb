"""场景测试 on the designer's workbench: the shipped scenario files with a run button, an
upload (a scenario YAML with its models and forms), and the result — each step passed or
failed with the difference, and the diagram with the elements it visited marked."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from engine.errors import InvalidInput, NotFound
from engine.scenarios import workbench

from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("designer_scenarios", __name__, url_prefix="/designer/scenarios")


@bp.route("/", methods=["GET"])
@login_required
def index():
    return _index()


def _index(error: str | None = None, status: int = 200):
    shipped = workbench.shipped_scenarios(get_engine(), current_user.id)  # NotAllowed: 403 for non-designers
    return render_template("designer_scenarios/index.html", shipped=shipped, error=error), status


@bp.route("/run", methods=["POST"])
@login_required
def run():
    engine = get_engine()
    workbench.require_designer(engine, current_user.id)
    uploads = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
    try:
        if uploads:
            result = workbench.run_uploaded(engine, current_user.id, uploads)
        else:
            result = workbench.run_shipped(engine, current_user.id, request.form.get("scenario", ""))
    except (InvalidInput, NotFound) as err:
        return _index(error_text(err), 422)
    return render_template("designer_scenarios/result.html", result=result)
