"""督办单 (挂牌督办): the list leaders and supervisors of the unit and above read (with 跨年
records carried over), one record with its history, and its lifecycle's forms: 限期整改 and
复核 for supervisors, 整改情况 for the person responsible; 挂牌督办 by hand from a task page."""
from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from engine import clock
from engine.errors import Conflict, InvalidInput

from .extensions import get_engine
from .helpers import error_text

bp = Blueprint("records", __name__, url_prefix="/supervision/records")
PER_PAGE = 50
MAX_PAGE = 10_000
END_OF_DAY = time(17, 30)  # a deadline given as a day ends when the office closes


@bp.route("/", methods=["GET"])
@login_required
def index():
    year = request.args.get("year", type=int)
    status = request.args.get("status") or None
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    try:
        result = get_engine().supervision_records(current_user.id, year=year, status=status,
                                                  unit=request.args.get("unit") or None,
                                                  limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    except InvalidInput as err:
        flash(error_text(err), "error")
        return redirect(url_for("records.index"))
    this_year = clock.to_local(clock.now()).year
    return render_template("records/index.html", result=result, status=status, page=page,
                           unit=request.args.get("unit") or "", years=list(range(this_year, this_year - 4, -1)))


@bp.route("/<int:record_id>", methods=["GET"])
@login_required
def show(record_id: int):
    record = get_engine().supervision_record(record_id, current_user.id)
    return render_template("records/show.html", record=record, today=clock.to_local(clock.now()).date())


@bp.route("/<int:record_id>/deadline", methods=["POST"])
@login_required
def set_deadline(record_id: int):
    deadline = parse_deadline(request.form.get("deadline"))
    if deadline is None:
        flash(gettext("请填写有效的整改期限（日期）。"), "error")
        return redirect(url_for("records.show", record_id=record_id))
    return _act(record_id, lambda engine: engine.set_record_deadline(
        record_id, current_user.id, deadline, request.form.get("note")), gettext("已限期整改。"))


@bp.route("/<int:record_id>/report", methods=["POST"])
@login_required
def report(record_id: int):
    return _act(record_id, lambda engine: engine.report_record(record_id, current_user.id, request.form.get("note")),
                gettext("整改情况已报告，等待复核。"))


@bp.route("/<int:record_id>/verify", methods=["POST"])
@login_required
def verify(record_id: int):
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        flash(gettext("请选择复核通过或不通过。"), "error")
        return redirect(url_for("records.show", record_id=record_id))
    approve = decision == "approve"
    message = gettext("复核通过，已销号。") if approve else gettext("已退回继续整改。")
    return _act(record_id, lambda engine: engine.verify_record(record_id, current_user.id, approve,
                                                               request.form.get("note")), message)


@bp.route("/list", methods=["POST"])
@login_required
def list_task():
    """挂牌督办 by hand, from a task page."""
    task_id = request.form.get("task_id", "")[:64]
    typed = (request.form.get("deadline") or "").strip()
    deadline = parse_deadline(typed) if typed else None
    if typed and deadline is None:
        flash(gettext("请填写有效的整改期限（日期）。"), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        listed = get_engine().list_for_supervision(task_id, current_user.id, request.form.get("note"), deadline)
    except (InvalidInput, Conflict) as err:
        flash(error_text(err), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(gettext("已挂牌督办：%(number)s", number=listed["number"]), "success")
    return redirect(url_for("records.show", record_id=listed["id"]))


def _act(record_id: int, command, success: str):
    try:
        command(get_engine())
    except (InvalidInput, Conflict) as err:
        flash(error_text(err), "error")
    else:
        flash(success, "success")
    return redirect(url_for("records.show", record_id=record_id))


def parse_deadline(text: str | None) -> datetime | None:
    """A date (the end of that working day, Beijing time) or a date and time."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), END_OF_DAY, tzinfo=clock.SHANGHAI)
        return clock.parse_moment(text) if text else None
    except ValueError:
        return None
