"""流程设计 — the designer's workbench: every process and decision with its versions, one version's
diagram, tasks and forms, the semantic diff between two versions, and upload → 校验 → 部署为新版本.

An upload is validated with deploy's own checks and kept in a temporary folder keyed by a random
id (for its uploader only) until it is deployed, so the browser need not send it twice and no
half-deployed state exists. Designers and admins only: the engine refuses everyone else (403)."""
from __future__ import annotations

import json
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import current_user, login_required

from engine.errors import DefinitionError, InvalidInput, NotFound
from engine.scenarios import workbench

from .extensions import get_engine
from .helpers import error_text, plain_message

bp = Blueprint("designer", __name__, url_prefix="/designer")
UPLOADS = Path(tempfile.gettempdir()) / "sanfu-designer-uploads"
KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@bp.app_template_filter("pretty_json")
def pretty_json(value) -> str:
    """JSON for people: indented, Chinese as Chinese (tojson escapes it to \\uXXXX for scripts)."""
    return json.dumps(value, ensure_ascii=False, indent=2)


@bp.route("/", methods=["GET"])
@login_required
def index():
    engine = get_engine()
    catalog = engine.definition_catalog(current_user.id)
    return render_template("designer/index.html", catalog=catalog, drafts=engine.designer_drafts(current_user.id))


@bp.route("/process/<key>/<int:version>", methods=["GET"])
@login_required
def process(key: str, version: int):
    detail = get_engine().definition_detail(key, version, current_user.id)
    return render_template("designer/process.html", d=detail)


@bp.route("/process/<key>/diff", methods=["GET"])
@login_required
def diff(key: str):
    engine = get_engine()
    [entry] = [p for p in engine.definition_catalog(current_user.id)["processes"] if p["key"] == key] or [None]
    if entry is None:
        raise NotFound(f"流程 '{key}' 未部署 (process not deployed)", code="definition_not_found")
    versions = sorted(v["version"] for v in entry["versions"])
    to = _int_arg("to", versions[-1])
    start = _int_arg("from", max(to - 1, versions[0]))
    result = engine.definition_diff(key, start, to, current_user.id)
    return render_template("designer/diff.html", diff=result, versions=versions)


@bp.route("/decision/<key>/<int:version>", methods=["GET"])
@login_required
def decision(key: str, version: int):
    return render_template("designer/decision.html", t=get_engine().decision_detail(key, version, current_user.id))


@bp.route("/validate", methods=["POST"])
@login_required
def validate():
    """校验: deploy's checks on the uploaded files, nothing saved. JSON for tools when asked."""
    engine = get_engine()
    files = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
    try:
        report = engine.validate_upload(files, current_user.id)
    except InvalidInput as err:  # no files, a wrong kind, too many: nothing to check
        if _wants_json():
            return jsonify({"ok": False, "errors": [{"file": None, "element_id": None, "element_name": None,
                                                     "message": error_text(err)}], "warnings": []}), 422
        return render_template("designer/validate.html", report=None, error=error_text(err), token=None), 422
    if _wants_json():  # "text": the message without its file/element prefix, as the pages show it
        for item in report["errors"] + report["warnings"]:
            item.setdefault("text", plain_message(item.get("reason") or item["message"]))
        return jsonify(report)
    token = _keep(files) if report["ok"] else None
    return _report_page(report, files, token)


@bp.route("/deploy", methods=["POST"])
@login_required
def deploy():
    """部署为新版本: the upload kept by 校验, deployed (all-or-nothing, audited)."""
    engine = get_engine()
    workbench.require_designer(engine, current_user.id)  # 403 before anything about the upload
    token = request.form.get("upload", "")
    files = _kept(token)
    try:
        result = engine.deploy_upload(files, current_user.id)
    except DefinitionError as err:  # e.g. the organisation or a referenced process changed meanwhile
        errors = getattr(err, "errors", None) or [err]  # DefinitionErrors lists every problem
        report = {"ok": False, "errors": [_error_dict(e) for e in errors], "warnings": []}
        return _report_page(report, files, None, status=422)
    shutil.rmtree(UPLOADS / token, ignore_errors=True)
    return render_template("designer/deployed.html", result=result,
                           warnings=[plain_message(w) for w in result["warnings"]])


def _report_page(report: dict, files: list[tuple[str, bytes]], token: str | None, status: int = 200):
    diagrams = []
    for name, content in files:
        if name.endswith(".bpmn"):
            diagrams.append({"file": name, "xml": content.decode("utf-8-sig", errors="replace")})
    for item in report["errors"] + report["warnings"]:
        item["text"] = plain_message(item["message"])
        item["badge"] = plain_message(item.get("reason") or item["message"])  # the badge sits on its element
    return render_template("designer/validate.html", report=report, diagrams=diagrams, token=token,
                           files=[name for name, _ in files], error=None), status


def _error_dict(err: DefinitionError) -> dict:
    return {"file": err.file, "element_id": err.element_id, "element_name": err.element_name,
            "line": err.line, "message": str(err)}


def _keep(files: list[tuple[str, bytes]]) -> str:
    """The validated upload in a folder of its own, keyed by a random id; old ones are removed."""
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    for old in UPLOADS.iterdir():
        if old.stat().st_mtime < time.time() - KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    token = secrets.token_urlsafe(24)
    folder = UPLOADS / token
    (folder / "files").mkdir(parents=True, mode=0o700)
    (folder / "owner").write_text(current_user.id, encoding="utf-8")
    for name, content in files:
        (folder / "files" / Path(name).name).write_bytes(content)
    return token


def _kept(token: str) -> list[tuple[str, bytes]]:
    folder = UPLOADS / token
    if not _TOKEN.match(token or "") or not (folder / "owner").is_file():
        raise NotFound("上传的文件已失效，请重新上传并校验 (upload expired)", code="upload_expired")
    if (folder / "owner").read_text(encoding="utf-8") != current_user.id:
        abort(404)
    return [(path.name, path.read_bytes()) for path in sorted((folder / "files").iterdir())]


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 9 else default


def _wants_json() -> bool:
    return request.args.get("format") == "json" or \
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json" and \
        "text/html" not in request.accept_mimetypes
