"""编辑 — the designer's in-browser editors: the bpmn-js modeler (with the properties panel for
what sanfu reads and bpmnlint live) for a process, dmn-js for a decision table. The page opens the
draft if there is one, else the newest deployed file; 保存草稿 keeps it without deploying, 校验 runs
deploy's checks (POST /designer/validate), 部署为新版本 deploys it through the same checks.

The editors' buttons post with fetch and read JSON; the modeler bundles are built by `make setup`
(tools/build_editor.mjs) into web/static/vendor/editor/."""
from __future__ import annotations

from flask import Blueprint, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.admin.designer_sources import check_editable
from engine.errors import DefinitionError, InvalidInput, SanfuError

from .errors import render_error, status_of
from .extensions import get_engine
from .helpers import error_text, local_time, plain_message

bp = Blueprint("designer_editor", __name__, url_prefix="/designer")
# The modelers (diagram-js, the properties panel, dmn-js's tables) position and size elements with
# style attributes written as HTML; only the editor pages allow inline styles. Scripts stay 'self'.
EDITOR_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
              "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_process():
    """新建流程: a key and a name, then the editor opens a blank diagram for it."""
    engine = get_engine()
    error, key, name = None, request.form.get("key", "").strip(), request.form.get("name", "").strip()
    if request.method == "POST":
        try:
            check_editable("process", key)
            source = engine.designer_source(current_user.id, "process", key, new_name=name)
            if source["deployed_version"] is not None:
                raise InvalidInput(f"流程 '{key}' 已部署：请从流程列表编辑它 (already deployed)", code="key_taken")
            return redirect(url_for("designer_editor.edit", kind="process", key=key, name=name or None))
        except InvalidInput as err:
            error = error_text(err)
    else:
        engine.designer_drafts(current_user.id)  # designers and admins only, before anything is shown
    return render_template("designer_editor/new.html", error=error, key=key, name=name), 422 if error else 200


@bp.route("/edit/from-upload", methods=["POST"])
@login_required
def from_upload():
    """在编辑器中修改: an uploaded model (from the 校验 page) becomes the draft of its key."""
    name = request.form.get("file_name", "")
    try:
        kind, key = get_engine().draft_from_upload(current_user.id, name, request.form.get("content", ""))
    except DefinitionError as err:
        return render_error(422, plain_message(str(err)))
    return redirect(url_for(".edit", kind=kind, key=key))


@bp.route("/edit/<kind>/<key>", methods=["GET"])
@login_required
def edit(kind: str, key: str):
    source = get_engine().designer_source(current_user.id, kind, key, new_name=request.args.get("name", "")[:200])
    response = make_response(render_template("designer_editor/edit.html", s=source, config=_config(source)))
    response.headers["Content-Security-Policy"] = EDITOR_CSP
    return response


@bp.route("/edit/<kind>/<key>/draft", methods=["POST"])
@login_required
def save_draft(kind: str, key: str):
    draft = get_engine().save_editor_draft(current_user.id, kind, key, request.form.get("content", ""))
    return jsonify({"ok": True, "message": _saved_text(draft)})


@bp.route("/edit/<kind>/<key>/discard", methods=["POST"])
@login_required
def discard_draft(kind: str, key: str):
    check_editable(kind, key)
    gone = get_engine().discard_designer_draft(current_user.id, kind, key)
    return jsonify({"ok": True, "discarded": gone})


@bp.route("/edit/<kind>/<key>/deploy", methods=["POST"])
@login_required
def deploy(kind: str, key: str):
    """部署为新版本: deploy's checks, then a new version (all-or-nothing, audited); JSON."""
    try:
        result = get_engine().deploy_from_editor(current_user.id, kind, key, request.form.get("content", ""))
    except DefinitionError as err:
        errors = getattr(err, "errors", None) or [err]
        return jsonify({"ok": False, "errors": [_error(e) for e in errors], "warnings": []}), 422
    return jsonify({"ok": True, "message": _deployed_text(result, kind, key), "next": _next_url(result, kind, key),
                    "result": result, "warnings": [{"message": w, "text": plain_message(w)}
                                                   for w in result["warnings"]]})


@bp.errorhandler(InvalidInput)
def _invalid(err: InvalidInput):
    if request.method == "POST" and request.endpoint != "designer_editor.new_process":
        return jsonify({"ok": False, "errors": [{"message": error_text(err), "text": error_text(err)}],
                        "warnings": []}), 422
    return render_error(status_of(err), error_text(err))


def _config(source: dict) -> dict:
    kind, key = source["kind"], source["key"]
    return {"kind": kind, "key": key, "file_name": source["file_name"], "xml": source["content"],
            "urls": {"draft": url_for(".save_draft", kind=kind, key=key),
                     "discard": url_for(".discard_draft", kind=kind, key=key),
                     "validate": url_for("designer.validate", format="json"),
                     "deploy": url_for(".deploy", kind=kind, key=key)},
            "text": _texts()}


def _texts() -> dict:
    return {"unsaved": _("有未保存的修改"), "not_saved": _("草稿未保存"), "valid": _("校验通过，可以部署"),
            "invalid": _("校验未通过：请修改下列问题"), "not_deployed": _("未部署：请修改下列问题"),
            "failed": _("操作失败，请稍后重试"), "forbidden": _("没有权限：只有流程设计人员和管理员可以操作"),
            "confirm_discard": _("确定放弃草稿吗？将恢复为已部署的版本。"), "import_failed": _("无法打开此文件")}


def _saved_text(draft: dict) -> str:
    return _("草稿已保存（%(time)s），尚未部署", time=local_time(draft["saved_at"], "%H:%M:%S"))


def _deployed_text(result: dict, kind: str, key: str) -> str:
    rows = result["processes"] if kind == "process" else result["decisions"]
    mine = next((r for r in rows if r["key"] == key), None)
    if mine and mine["status"] == "unchanged":
        return _("与已部署的 v%(version)s 相同，未生成新版本", version=mine["version"])
    return _("已部署为 v%(version)s", version=mine["version"] if mine else "?")


def _next_url(result: dict, kind: str, key: str) -> str | None:
    rows = result["processes"] if kind == "process" else result["decisions"]
    mine = next((r for r in rows if r["key"] == key and r["status"] == "deployed"), None)
    if mine is None:
        return None
    if kind == "process":
        return url_for("designer.process", key=key, version=mine["version"], deployed=1)
    callers = ",".join(f"{p['key']}:{p['version']}" for p in result["processes"] if p["status"] == "deployed")
    return url_for("designer.decision", key=key, version=mine["version"], deployed=1, processes=callers or None)


def _error(err: SanfuError) -> dict:
    return {"file": getattr(err, "file", None), "element_id": getattr(err, "element_id", None),
            "element_name": getattr(err, "element_name", None), "message": str(err),
            "text": plain_message(getattr(err, "reason", None) or str(err))}
