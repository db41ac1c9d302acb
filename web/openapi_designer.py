"""The OpenAPI operations of the designers' endpoints (web/api_designer.py): the catalog of
deployed definitions, 校验 and 部署 of uploaded model and form files (multipart `files`)."""
from __future__ import annotations

STR, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
NULL_STR = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}

FILES = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["files"],
    "properties": {"files": {"type": "array", "maxItems": 30,
                             "items": {"type": "string", "format": "binary"},
                             "description": ".bpmn, .dmn (or .xml) and JSON Schema form .json files, "
                                            "each at most 5 MB"}}}}}}
PROBLEM = {"type": "object", "properties": {"file": NULL_STR, "element_id": NULL_STR, "element_name": NULL_STR,
                                            "line": {"type": ["integer", "null"]}, "message": STR, "text": STR}}
REPORT = {"type": "object", "required": ["ok", "errors", "warnings"],
          "properties": {"ok": BOOL, "errors": {"type": "array", "items": PROBLEM},
                         "warnings": {"type": "array", "items": PROBLEM}}}
VERSION = {"type": "object", "properties": {"version": INT, "deployed_by": NULL_STR, "deployed_at": TIME,
                                            "summary": STR, "running": INT, "finished": INT}}
CATALOG = {"type": "object", "properties": {
    "processes": {"type": "array", "items": {"type": "object", "properties": {
        "key": STR, "name": STR, "versions": {"type": "array", "items": VERSION}}}},
    "decisions": {"type": "array", "items": {"type": "object", "properties": {
        "key": STR, "versions": {"type": "array", "items": VERSION}}}}}}
DEPLOYED_ROW = {"type": "object", "properties": {"key": STR, "version": INT, "status": {"enum": ["deployed",
                                                                                                  "unchanged"]}}}
DEPLOYED = {"type": "object", "properties": {
    "deployment_id": INT, "processes": {"type": "array", "items": DEPLOYED_ROW},
    "decisions": {"type": "array", "items": DEPLOYED_ROW}, "warnings": {"type": "array", "items": STR}}}


def _answer(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(codes: str) -> dict:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes.split()}


def designer_operations() -> dict:
    return {
        "/api/v1/definitions": {"get": {
            "summary": "definitions: every deployed process and decision with its versions (designers, admins)",
            "operationId": "definitions",
            "responses": {"200": _answer(CATALOG, "the catalog"), **_errors("401 403")}}},
        "/api/v1/definitions/validate": {"post": {
            "summary": "validate: 校验 — `sanfu deploy`'s checks on the files, nothing saved",
            "operationId": "validate", "requestBody": FILES,
            "responses": {"200": _answer(REPORT, "every error and warning with file and element"),
                          **_errors("401 403 413 422")}}},
        "/api/v1/deployments": {"post": {
            "summary": "deploy: 部署 — the files as new versions, all-or-nothing (422 lists every error)",
            "operationId": "deploy", "requestBody": FILES,
            "responses": {"200": _answer(DEPLOYED, "the versions made (unchanged files make none)"),
                          **_errors("401 403 413 422")}}},
    }
