"""迁移 on the designer's workbench: choose a process, the version its running instances are on
and the version to move them to, with OLD=NEW lines for steps renamed or removed; 预演 (a GET:
the dry run writes nothing) shows per instance whether it can move and why not, 迁移 (a POST)
moves the movable ones and shows what happened. Designers and admins only (403 others)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine.errors import InvalidInput, NotFound
from engine.instances.migration import parse_mapping

from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("designer_migration", __name__, url_prefix="/designer/migrate")


@bp.route("/", methods=["GET"])
@login_required
def index():
    engine = get_engine()
    choices = engine.migration_choices(current_user.id)  # NotAllowed: 403 for non-designers
    fields = _fields(request.args)
    plan, error = None, None
    if request.args.get("preview"):
        try:
            plan = engine.plan_migration(fields["key"], *_versions(fields), _mapping(fields), current_user.id)
        except (InvalidInput, NotFound) as err:
            error = error_text(err)
    status = 422 if error else 200
    return render_template("designer_migration/index.html", choices=choices, fields=fields, plan=plan,
                           error=error), status


@bp.route("/run", methods=["POST"])
@login_required
def run():
    engine = get_engine()
    fields = _fields(request.form)
    try:
        result = engine.migrate(fields["key"], *_versions(fields), _mapping(fields), current_user.id)
    except (InvalidInput, NotFound) as err:
        flash(error_text(err), "error")  # back to the form with what was typed
        return redirect(url_for("designer_migration.index", **fields))
    return render_template("designer_migration/result.html", result=result, fields=fields)


def _fields(source) -> dict[str, str]:
    return {name: (source.get(name) or "").strip()[:4000] for name in ("key", "from", "to", "mapping")}


def _versions(fields: dict) -> tuple[int, int]:
    numbers = []
    for name, label in (("from", gettext("源版本")), ("to", gettext("目标版本"))):
        if not fields[name].isdigit():
            raise InvalidInput(gettext("%(field)s：请填写版本号（正整数）", field=label))
        numbers.append(int(fields[name]))
    if not fields["key"]:
        raise InvalidInput(gettext("流程：请选择要迁移的流程"))
    return numbers[0], numbers[1]


def _mapping(fields: dict) -> dict[str, str]:
    return parse_mapping(fields["mapping"].splitlines())
