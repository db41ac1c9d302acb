"""督办看板 (/supervision/): the dashboard of a unit's subtree for a period with its charts, the
lists behind its figures, and the 周/月通报 (printable A4 page and xlsx download)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, render_template, request
from flask_login import current_user, login_required

from engine.errors import InvalidInput
from engine.supervision.periods import parse_period

from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


def _query() -> tuple[str | None, str | None]:
    unit = (request.args.get("unit") or "").strip() or None
    period = (request.args.get("week") or request.args.get("period") or "").strip() or None
    return unit, period


@bp.route("/", methods=["GET"])
@login_required
def index():
    unit, period = _query()
    error = None
    try:
        board = get_engine().dashboard(current_user.id, unit, period)
    except InvalidInput as err:  # a period typed wrong: say so and show this month
        error = error_text(err)
        board = get_engine().dashboard(current_user.id, unit, None)
    return render_template("supervision/index.html", board=board, period_error=error,
                           period_text=period or "", chart=_chart(board))


def _chart(board: dict) -> dict:
    """What the ECharts script draws: colours by row, 按期办结率 by row."""
    rows = board["units"] or board["sections"]
    if board["own"]:
        rows = [{"name": board["unit"]["name"] + "（本级）", "figures": board["own"]}] + rows
    return {"names": [r["name"] for r in rows],
            "red": [r["figures"]["red"] for r in rows], "yellow": [r["figures"]["yellow"] for r in rows],
            "blue": [r["figures"]["blue"] for r in rows],
            "rate": [r["figures"]["on_time_rate"] for r in rows]}


@bp.route("/tasks", methods=["GET"])
@login_required
def tasks():
    unit, period = _query()
    late = request.args.get("late") == "1"
    section = request.args.get("section", "")
    page = request.args.get("page", "1")
    result = get_engine().supervision_tasks(
        current_user.id, unit, colour=request.args.get("colour") or "red",
        late_period=parse_period(period) if late else None, section_id=int(section) if section.isdigit() else None,
        own_only=request.args.get("own") == "1", page=int(page) if page.isdigit() else 1)
    return render_template("supervision/tasks.html", result=result, late=late, period_text=period or "",
                           section=section)


@bp.route("/bulletin", methods=["GET"])
@login_required
def bulletin():
    unit, period = _query()
    data = get_engine().bulletin(current_user.id, unit, period)
    return render_template("supervision/bulletin.html", data=data, unit=unit or "", period_text=period or "",
                           printed=data["as_of"])


@bp.route("/bulletin.xlsx", methods=["GET"])
@login_required
def bulletin_xlsx():
    unit, period = _query()
    name, content = get_engine().bulletin_xlsx(current_user.id, unit, period)
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=\"bulletin.xlsx\"; "
                                                    f"filename*=UTF-8''{quote(name)}"})
