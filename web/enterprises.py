"""Enterprises and ledgers: the list, 一企一账, xlsx ledger downloads, and the printable
一事一单 and 服务跟踪卡 (A4, browser print). Scope rules live in engine.enterprises."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import clock

from .extensions import get_engine
from .inbox import _page_number

bp = Blueprint("enterprises", __name__)
FILTERS = ("unit", "scale", "type", "liaison", "status", "service")
STATUS_LABELS = {"paired": _l("已结对"), "served": _l("已服务"), "added": _l("新增"), "unpaired": _l("已解除")}
# 本月服务 (engine.enterprises.monthly_service): each status's word, and the list's filter choices.
SERVICE_LABELS = {"served": _l("已服务"), "pending": _l("未服务"), "warning": _l("预警"), "missed": _l("逾期未服务"),
                  "not_required": _l("无需服务")}
SERVICE_FILTERS = (("served", _l("本月已服务")), ("unserved", _l("本月未服务")),
                   ("warning", _l("预警（25 日起未服务）")), ("missed", _l("上月逾期未服务")))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _arg(name: str) -> str | None:
    return (request.args.get(name) or "").strip()[:100] or None


@bp.route("/enterprises")
@login_required
def index():
    engine = get_engine()
    chosen = {key: _arg(key) for key in ("q",) + FILTERS}
    result = engine.enterprises(current_user.id, **chosen, page=_page_number(request.args.get("page")),
                                per_page=current_app.config["INBOX_PER_PAGE"])
    pages = max(1, -(-result["total"] // result["per_page"]))
    args = {k: v for k, v in chosen.items() if v}
    return render_template("enterprises/index.html", result=result, pages=pages, chosen=chosen, args=args,
                           options=engine.enterprise_filters(current_user.id), status_labels=STATUS_LABELS,
                           service_labels=SERVICE_LABELS, service_filters=SERVICE_FILTERS)


@bp.route("/enterprises/<int:enterprise_id>")
@login_required
def show(enterprise_id: int):
    page = get_engine().enterprise(current_user.id, enterprise_id)
    return render_template("enterprises/show.html", **page, status_labels=STATUS_LABELS,
                           service_labels=SERVICE_LABELS, today=clock.to_local(clock.now()).date().isoformat(),
                           startable={p["key"] for p in get_engine().startable(current_user.id)})  # 发起 buttons


def _xlsx(filename: str, **kwargs):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.xlsx"
        get_engine().export_ledger(current_user.id, path, **kwargs)
        data = path.read_bytes()
    # Flask writes the non-ASCII name as RFC 5987 filename*=UTF-8''…, with an ASCII fallback.
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=filename)


def _today() -> str:
    return clock.to_local(clock.now()).strftime("%Y%m%d")


@bp.route("/enterprises/<int:enterprise_id>/ledger.xlsx")
@login_required
def enterprise_ledger(enterprise_id: int):
    name = get_engine().enterprise(current_user.id, enterprise_id)["enterprise"]["name"]
    return _xlsx(f"{name}_一企一账_{_today()}.xlsx", enterprise_id=enterprise_id)


@bp.route("/ledger.xlsx")
@login_required
def unit_ledger():
    unit = _arg("unit")
    label = dict(get_engine().enterprise_filters(current_user.id)["units"]).get(unit, unit) if unit else "全部"
    return _xlsx(f"{label}_台账_{_today()}.xlsx", unit=unit)


@bp.route("/matters/<int:instance_id>/<scope>/print")
@login_required
def matter_print(instance_id: int, scope: str):
    if len(scope) > 36:
        abort(404)
    sheet = get_engine().matter_sheet(current_user.id, instance_id, scope)
    return render_template("enterprises/matter_print.html", **sheet, printed=_now_local())


@bp.route("/enterprises/<int:enterprise_id>/card/print")
@login_required
def card_print(enterprise_id: int):
    card = get_engine().service_card(current_user.id, enterprise_id)
    return render_template("enterprises/card_print.html", **card, printed=_now_local())


def _now_local() -> str:
    return clock.to_local(clock.now()).strftime("%Y-%m-%d %H:%M")
