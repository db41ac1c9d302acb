"""Importing the pairing list (结对服务企业名单) through the UI (系统管理员).

Upload an xlsx or CSV; "预览" runs the import as a dry run and lists every bad row (row,
column, message) without writing anything; "导入" imports — nothing at all when a row is
bad, unless "只导入正确的行" is ticked — and shows what was created, updated and skipped.
The rules are the engine's (engine.exchange.commands); this module only carries the file. Routes
on the admin blueprint (the system admin's, web.admin).
"""
from __future__ import annotations

import tempfile
from io import BytesIO
from pathlib import Path

from flask import render_template, request, send_file
from flask_babel import gettext
from flask_login import current_user

from engine.exchange.commands import ImportRefused

from .admin import REFUSED, bp
from .errors import status_of
from .extensions import get_engine
from .helpers import error_text

SUFFIXES = (".xlsx", ".csv")
TEMPLATE_NAME = "结对服务企业名单-模板.xlsx"


def _page(report=None, message: str | None = None, status: int = 200, outcome: str | None = None,
          good_rows_only: bool = False):
    return render_template("admin/pairing_import.html", report=report, message=message, outcome=outcome,
                           good_rows_only=good_rows_only), status


@bp.route("/import", methods=["GET"])
def pairing_import():
    return _page()


@bp.route("/import", methods=["POST"])
def pairing_import_run():
    upload = request.files.get("file")
    good_rows_only = request.form.get("good_rows_only") == "1"
    dry_run = request.form.get("action") != "import"
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if not upload or not upload.filename:
        return _page(message=gettext("请选择要导入的 xlsx 或 CSV 文件。"), status=422, good_rows_only=good_rows_only)
    if suffix not in SUFFIXES:
        return _page(message=gettext("只能导入 .xlsx 或 .csv 文件（Excel 请另存为 xlsx）。"), status=422,
                     good_rows_only=good_rows_only)
    with tempfile.TemporaryDirectory(prefix="sanfu-import-") as folder:
        path = Path(folder) / f"upload{suffix}"  # never the client's name on our disk
        upload.save(path)
        try:
            report = get_engine().import_pairing(path, actor=current_user.id, good_rows_only=good_rows_only,
                                                 dry_run=dry_run)
        except ImportRefused as err:
            return _page(err.report, status=422, outcome="refused", good_rows_only=good_rows_only)
        except REFUSED as err:
            return _page(message=error_text(err), status=status_of(err), good_rows_only=good_rows_only)
    return _page(report, outcome="preview" if dry_run else "imported", good_rows_only=good_rows_only)


@bp.route("/import/template.xlsx", methods=["GET"])
def pairing_template():
    with tempfile.TemporaryDirectory(prefix="sanfu-template-") as folder:
        path = Path(folder) / "template.xlsx"
        get_engine().pairing_template(path)
        data = path.read_bytes()
    return send_file(BytesIO(data), as_attachment=True, download_name=TEMPLATE_NAME,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
