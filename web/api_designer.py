"""/api/v1 endpoints for process designers' tools (a CI pipeline, a script beside Camunda
Modeler): the deployed definitions with their versions, 校验 of model and form files (deploy's own
checks, nothing saved) and deploying them as new versions — the workbench's rules, in the engine
(engine/admin/designer_*.py). Designers and admins only: everyone else gets 403."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify, request

from engine.errors import DefinitionError

from .api import ApiError, _actor, bp, error_response
from .extensions import get_engine
from .helpers import error_text, plain_message


@bp.get("/definitions")
def definitions():
    return jsonify(_iso(get_engine().definition_catalog(_actor())))


@bp.post("/definitions/validate")
def validate_definitions():
    report = get_engine().validate_upload(_files(), _actor())
    for item in report["errors"] + report["warnings"]:
        item.setdefault("text", plain_message(item.get("reason") or item["message"]))
    return jsonify(report)


@bp.post("/deployments")
def deploy_definitions():
    """部署: all-or-nothing; a refused bundle answers 422 with every error (file, element, reason)."""
    engine, actor = get_engine(), _actor()
    files = _files()
    try:
        result = engine.deploy_upload(files, actor)
    except DefinitionError as err:
        response = error_response(422, error_text(err), code=err.code)
        body = response.get_json()
        errors = getattr(err, "errors", None) or [err]
        body["error"]["errors"] = [{"file": e.file, "element_id": e.element_id, "element_name": e.element_name,
                                    "line": e.line, "message": str(e)} for e in errors]
        response.set_data(jsonify(body).get_data())
        return response
    return jsonify(result)


def _files() -> list[tuple[str, bytes]]:
    files = [(f.filename, f.read()) for f in request.files.getlist("files") if f and f.filename]
    if not files:
        raise ApiError(422, "请上传 BPMN、DMN 或表单文件。", {"files": "缺少文件 (multipart/form-data 的 files 部分)"})
    return files


def _iso(value):
    """Times as ISO 8601, as the OpenAPI document says (format: date-time)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value
