"""Bad input stops at the edge, before any query: one check for every route, page or API.

- A NUL byte anywhere in text (a query parameter, a form field, an uploaded file's name, a path
  segment, any string or key nested in a JSON body) is refused: PostgreSQL cannot store it and
  would answer "text fields cannot contain NUL" as a 500. A path id with NUL names nothing (404);
  anything else is 422 naming the field (the API's error envelope with `fields`, a page for the pages).
- Under /api/v1 the query and path parameters are checked against the OpenAPI document's own
  rules (maxLength, pattern, enum, integer bounds), so what the document says is what is enforced;
  JSON request bodies against their documented schemas in web/api_bodies.py (after the token).
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask import Flask, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

NUL = "\x00"
NUL_TEXT = "不能含有空字符 (must not contain a NUL character)"
REFUSED = "提交的内容含有不允许的字符或超出限制 (the request has a character or a value that is not allowed)"


class Refused(Exception):
    """422: `fields` maps each refused field (dotted path inside a JSON body) to why."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(REFUSED)
        self.fields = fields


def nul_paths(value, path: str = "") -> list[str]:
    """The dotted paths of every string (or object key) with a NUL inside a parsed JSON value."""
    if isinstance(value, str):
        return [path or "body"] if NUL in value else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                found.append(name.replace(NUL, "\\0"))
            else:
                found += nul_paths(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += nul_paths(item, f"{path}.{index}" if path else str(index))
    return found


def _guard() -> None:
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and NUL in value:
            raise NotFound()
    fields = _nul_fields(request.args.items(multi=True))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        fields.update(_nul_fields(request.form.items(multi=True)))
        fields.update(_nul_fields((name, upload.filename) for name, upload in request.files.items(multi=True)))
        if request.is_json:
            fields.update({name: NUL_TEXT for name in nul_paths(request.get_json(silent=True))})
    if not fields and request.blueprint == "api" and request.url_rule is not None:
        fields = _api_parameters(request.url_rule.rule)  # the JSON body: web/api_bodies.py, after the token
    if fields:
        raise Refused(fields)


def _nul_fields(pairs) -> dict[str, str]:
    """{field: why} for each (name, text) pair with a NUL in either (a multipart part may lack a name)."""
    return {_shown(name or ""): NUL_TEXT for name, value in pairs if NUL in (name or "") + (value or "")}


def _shown(name: str) -> str:
    return name.replace(NUL, "\\0")


# the OpenAPI document's parameter rules ------------------------------------------------------
_ARG = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


@lru_cache(maxsize=1)
def _documented() -> dict[str, dict[str, list[dict]]]:
    """{flask rule (`/api/v1/tasks/{task_id}`) → {method → the operation's parameters}}."""
    from .openapi import document
    return {path: {method.upper(): op.get("parameters", []) for method, op in ops.items()}
            for path, ops in document()["paths"].items()}


def _api_parameters(rule: str) -> dict[str, str]:
    params = _documented().get(_ARG.sub(r"{\1}", rule), {}).get(request.method, [])
    fields: dict[str, str] = {}
    for param in params:
        where = request.view_args if param["in"] == "path" else request.args
        raw = (where or {}).get(param["name"])
        if raw is None or raw == "":
            continue
        problem = schema_problem(param.get("schema", {}), raw)
        if problem and param["in"] == "path":
            raise NotFound()
        if problem:
            fields[param["name"]] = problem
    return fields


def schema_problem(schema: dict, raw) -> str | None:
    """Why `raw` (a parameter as given) breaks `schema`'s rules, in Chinese and English; None if it does not."""
    kind = schema.get("type")
    if kind == "integer":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            return "必须是整数 (must be an integer)"
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            return f"必须在 {'' if low is None else low} 到 {'' if high is None else high} 之间 (out of range)"
        return None
    text = str(raw)
    if "maxLength" in schema and len(text) > schema["maxLength"]:
        return f"不能超过 {schema['maxLength']} 个字 (at most {schema['maxLength']} characters)"
    if "enum" in schema and text not in [str(v) for v in schema["enum"]]:
        return "必须是 " + "、".join(map(str, schema["enum"])) + " 之一 (not one of the allowed values)"
    if "pattern" in schema and not re.search(schema["pattern"], text):
        return "格式不正确 (wrong format)"
    return None


def _refused(error: Refused):
    if request.path.startswith("/api/"):
        from .api import error_response
        return error_response(422, REFUSED, error.fields)
    from .errors import render_error
    names = "、".join(f"「{name}」" for name in error.fields)
    return render_error(422, f"{names}：{next(iter(error.fields.values()))}")


def _allow_header(response):
    """A 405 (TRACE, or any method a URL does not take) says which methods it does take."""
    refused = request.routing_exception
    if isinstance(refused, MethodNotAllowed) and refused.valid_methods:
        response.headers.setdefault("Allow", ", ".join(sorted(refused.valid_methods)))
    return response


def init_app(app: Flask) -> None:
    app.before_request(_guard)
    app.after_request(_allow_header)
    app.register_error_handler(Refused, _refused)
