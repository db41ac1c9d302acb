"""The working-day calendar page (工作日历, 系统管理员): a year's twelve month grids, a form to
mark one day 休 or 班 (or back to the weekday rule), the import of a calendar CSV (日期,类型,名称)
and the year's CSV to download. The rules and the audit are the engine's (engine.admin.calendar);
routes on the admin blueprint, the system admin's only (web.admin).
"""
from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import PurePath

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, gettext, lazy_gettext as _l
from flask_login import current_user

from engine import clock
from engine.calendar.days import REST, WORK
from engine.calendar.files import to_csv

from . import calendar_view as view
from .admin import REFUSED, bp
from .errors import status_of
from .extensions import get_engine
from .helpers import error_text

KINDS = {"rest": REST, "work": WORK, "default": None}
KIND_LABELS = {REST: _l("休息日"), WORK: _l("工作日"), None: _l("恢复默认（周一至周五上班）")}
MAX_FILE_BYTES = 256 * 1024
ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in Chinese saves CSV as GBK


def _this_year() -> int:
    return clock.to_local(clock.now()).year


def _year(value) -> int:
    year = value if isinstance(value, int) else _this_year()
    return year if view.FIRST_YEAR <= year <= view.LAST_YEAR else _this_year()


def _form_of_day(day: date | None, days) -> dict:
    """The mark-a-day form filled from a clicked day (?day=YYYY-MM-DD)."""
    if day is None:
        return {}
    listed = view.cell(day, {d.day: d for d in days})
    return {"day": day.isoformat(), "kind": {REST: "rest", WORK: "work"}.get(listed.listed_kind, "default"),
            "name": listed.name}


def _page(year: int, form: dict | None = None, errors: dict | None = None, message: str | None = None,
          status: int = 200):
    result = get_engine().calendar(current_user.id, year)
    days = view.days_of(result)
    if form is None:
        form = _form_of_day(_date(request.args.get("day")), days)
    months = view.year_view(year, days)
    return render_template("admin/calendar.html", year=year, months=months,
                           month_names=[format_date(m.first, "LLL") for m in months],
                           years=view.year_links(year, result["years"]), on_file=year in result["years"],
                           first_year=view.FIRST_YEAR, last_year=view.LAST_YEAR, provisional=view.provisional(days),
                           today=clock.to_local(clock.now()).date(),
                           form=form, errors=errors or {}, message=message), status


def _date(raw) -> date | None:
    try:
        day = date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None
    return day if view.FIRST_YEAR <= day.year <= view.LAST_YEAR else None


@bp.route("/calendar", methods=["GET"])
def calendar():
    return _page(_year(request.args.get("year", type=int)))


@bp.route("/calendar/day", methods=["POST"])
def calendar_set_day():
    form = {"day": (request.form.get("day") or "").strip()[:10], "kind": request.form.get("kind") or "",
            "name": (request.form.get("name") or "").strip()[:200]}
    year = _year(request.form.get("year", type=int))
    day, errors = _date(form["day"]), {}
    if day is None:
        errors["day"] = gettext("请填写日期，格式为 YYYY-MM-DD。")
    if form["kind"] not in KINDS:
        errors["kind"] = gettext("请选择 休、班 或 恢复默认。")
    if len(form["name"]) > 64:
        errors["name"] = gettext("名称最多 64 个字符。")
    if errors:
        return _page(year, form, errors, status=422)
    kind = KINDS[form["kind"]]
    try:
        get_engine().set_calendar_day(day, kind, current_user.id, name=form["name"] if kind else "")
    except REFUSED as err:
        field = "kind" if err.code == "calendar_kind" else "name" if "名称" in str(err) else None
        errors = {field: error_text(err)} if field else {}
        return _page(day.year, form, errors, None if field else error_text(err), status_of(err))
    flash(gettext("已设置 %(day)s：%(kind)s %(name)s", day=day.isoformat(), kind=KIND_LABELS[kind],
                  name=form["name"] if kind else ""), "success")
    return redirect(url_for("admin.calendar", year=day.year))


def _text_of(upload) -> str | None:
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


@bp.route("/calendar/import", methods=["POST"])
def calendar_import():
    upload = request.files.get("file")
    year = _year(request.form.get("year", type=int))
    name = PurePath((upload.filename or "").replace("\\", "/")).name[:100] if upload else ""
    if not name:
        return _page(year, errors={"file": gettext("请选择要导入的 CSV 文件。")}, status=422)
    if not name.lower().endswith(".csv"):
        return _page(year, errors={"file": gettext("只能导入 .csv 文件（Excel 请另存为 CSV UTF-8）。")}, status=422)
    text = _text_of(upload)
    if text is None:
        return _page(year, errors={"file": gettext("无法读取该文件：须为 256 KB 以内的 UTF-8 或 GBK 编码 CSV。")},
                     status=422)
    try:
        result = get_engine().import_calendar(text, current_user.id, file_name=name)
    except REFUSED as err:
        return _page(year, errors={"file": error_text(err)}, status=status_of(err))
    years = gettext("、").join(str(y) for y in result["years"])
    flash(gettext("已导入 %(days)s 天，替换了 %(years)s 年的工作日历。", days=result["days"], years=years), "success")
    return redirect(url_for("admin.calendar", year=result["years"][0] if result["years"] else year))


@bp.route("/calendar/<int:year>.csv", methods=["GET"])
def calendar_csv(year: int):
    if not view.FIRST_YEAR <= year <= view.LAST_YEAR:
        abort(404)
    days = view.days_of(get_engine().calendar(current_user.id, year))
    data = ("\ufeff" + to_csv(days)).encode("utf-8")  # the BOM: Excel reads it as UTF-8
    return send_file(BytesIO(data), as_attachment=True, download_name=f"工作日历-{year}.csv",
                     mimetype="text/csv; charset=utf-8")
