"""Every JSON request body under /api/v1 checked against its operation's documented schema
(web/openapi.py, JSON Schema 2020-12 as OpenAPI 3.1 has it) after the token and before the
view: a wrong type, a missing required field, text past its column's length, a value outside
an enum, a field the operation does not take, a body that is not JSON or not an object — 422
in the API's error envelope, `fields` naming each field (dotted path) with why, in Chinese and
English. So what the document says is what the API accepts, and nothing reaches the engine or
the database that the document refuses. A form's `data` stays free-form here: the process's
own form schema checks it in the engine, with the fields' Chinese names.

One validator per operation, compiled once, cached (the document does not change while the app runs)."""
from __future__ import annotations

from functools import cache

from flask import request
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from werkzeug.exceptions import BadRequest

from .api import ApiError, bp
from .input_guard import _ARG, NUL_TEXT, nul_paths

REFUSED = "提交的内容不符合接口文档 (the request body does not match the API document)"
BODY = "body"
TYPES = {"string": "文本 (a string)", "integer": "整数 (an integer)", "number": "数字 (a number)",
         "boolean": "true 或 false (a boolean)", "object": "JSON 对象 (an object)", "array": "列表 (an array)",
         "null": "null"}


@bp.before_request
def _check_body() -> None:
    if request.url_rule is None:
        return
    validator = body_validator(_ARG.sub(r"{\1}", request.url_rule.rule), request.method)
    if validator is None:
        return
    body = _parsed_body()
    # The views read the body whatever its Content-Type; web/input_guard.py scans only JSON-typed ones for NUL.
    fields = {path: NUL_TEXT for path in nul_paths(body)} or body_problems(validator, body)
    if fields:
        raise ApiError(422, REFUSED, fields)


def _parsed_body():
    """The body as the views read it (web/api.py `_body`): empty means `{}`."""
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413
    if not raw.strip():
        return {}
    try:
        return request.get_json(force=True, cache=True)
    except BadRequest:
        raise ApiError(422, REFUSED, {BODY: "不是合法的 JSON (not valid JSON)"}) from None


@cache
def body_validator(path: str, method: str) -> Draft202012Validator | None:
    """The validator of the operation's application/json request body; None when it takes none."""
    from .openapi import document
    doc = document()
    operation = doc["paths"].get(path, {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    if "$ref" in schema:  # followed once here rather than on every request (half the validation's time)
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    # Beside the document's components, so any "#/components/…" ref inside still resolves.
    return Draft202012Validator({**schema, "components": doc["components"]}, format_checker=FormatChecker())


def body_problems(validator: Draft202012Validator, body) -> dict[str, str]:
    """{dotted field path → why, in Chinese and English} for every rule `body` breaks (first per field)."""
    fields: dict[str, str] = {}
    for error in sorted(validator.iter_errors(body), key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        for name, why in _explained(error):
            fields.setdefault(name, why)
    return fields


def _path(error: ValidationError, *more) -> str:
    return ".".join(str(part) for part in (*error.absolute_path, *more)) or BODY


def _explained(error: ValidationError) -> list[tuple[str, str]]:
    rule, value = error.validator, error.validator_value
    if rule == "required":
        return [(_path(error, name), "必填 (required)") for name in value
                if isinstance(error.instance, dict) and name not in error.instance]
    if rule == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [(_path(error, name), "接口不接受这个字段 (not a field this operation takes)")
                for name in error.instance if name not in known]
    return [(_path(error), _why(rule, value, error))]


def _why(rule: str, value, error: ValidationError) -> str:
    if rule == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        wanted = " 或 ".join(TYPES.get(kind, kind) for kind in kinds if kind != "null")
        return ("必须是 " if wanted[:1].isascii() else "必须是") + wanted + (" 或 null" if "null" in kinds else "")
    if rule == "maxLength":
        return f"不能超过 {value} 个字 (at most {value} characters)"
    if rule == "minLength":
        return "不能为空 (must not be empty)" if value == 1 else f"至少 {value} 个字 (at least {value} characters)"
    if rule == "enum":
        return "必须是 " + "、".join(map(str, value)) + " 之一 (not one of the allowed values)"
    if rule == "minItems":
        return f"至少 {value} 项 (at least {value} items)"
    if rule == "maxItems":
        return f"不能超过 {value} 项 (at most {value} items)"
    if rule == "format" and value == "date":
        return "日期格式应为 2026-12-31 (a date: YYYY-MM-DD)"
    if rule == "format":
        return f"格式不正确 (not a valid {value})"
    return f"不符合要求 (breaks the rule {rule})"
