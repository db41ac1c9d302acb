"""Submitted HTML form fields → the JSON object a task completes with.

Only fields the schema defines are read. Blank inputs are left out (so a required field
reports 必填); numbers and booleans are converted where they parse, and kept as typed
where they don't, so the engine's validation names the problem and the page shows back
what was entered. Blank rows of a repeatable fieldset are dropped.

Tasks without a form get a generic key/value editor: `_kv.N.key` / `_kv.N.value`; a value
that reads as JSON (number, true/false, list, object, quoted text) is taken as such.
"""
from __future__ import annotations

import json
import re

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from .schema_form import MAX_ROWS, spec_type, widget_for

MISSING = object()
KEY = re.compile(r"^[A-Za-z\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]{0,63}$")


def parse_object(schema: dict, form: MultiDict, prefix: str = "") -> dict:
    required = set(schema.get("required") or [])
    out = {}
    for key, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict) or key.startswith("_"):
            continue
        value = _parse_value(spec, form, prefix + key, key in required)
        if value is not MISSING:
            out[key] = value
    return out


def _parse_value(spec: dict, form: MultiDict, name: str, required: bool):
    widget = widget_for(spec)
    if widget == "group":
        value = parse_object(spec, form, name + ".")
        return value if value or required else MISSING
    if widget == "rows":
        rows = [parse_object(spec.get("items") or {}, form, f"{name}.{i}.") for i in row_indices(form, name)]
        rows = [row for row in rows if row]
        return rows if rows or _empty_list_ok(spec, required) else MISSING
    if widget == "lines":
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        # Every value sent under the name: an attachments picker sends one per ticked file
        # (no JavaScript) next to the free-text box.
        lines = [line.strip() for raw in form.getlist(name) for line in raw.splitlines() if line.strip()]
        values = [_scalar(items, line) for line in lines]
        return values if values or _empty_list_ok(spec, required) else MISSING
    raw = form.get(name, "").strip()
    return MISSING if raw == "" else _scalar(spec, raw)


def _empty_list_ok(spec: dict, required: bool) -> bool:
    """An empty list is an answer when the field is required and may be empty (体检 with no
    findings); when it needs items, leaving it out reads 必填."""
    return required and not spec.get("minItems")


def _scalar(spec: dict, raw: str):
    kind = spec_type(spec)
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            return int(raw)
        except ValueError:
            pass
        try:
            number = float(raw)
        except ValueError:
            return raw
        return number if number == number and abs(number) != float("inf") else raw
    if "enum" in spec and kind is None:
        return next((v for v in spec["enum"] if str(v) == raw), raw)
    return raw


def row_indices(form: MultiDict, name: str) -> list[int]:
    """The row numbers submitted for a repeatable fieldset `name` (`name.N.field`)."""
    pattern = re.compile(re.escape(name) + r"\.(\d{1,4})\.")
    found = set()
    for key in form.keys():
        match = pattern.match(key)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)[:MAX_ROWS]


def parse_kv(form: MultiDict) -> tuple[dict, list[dict], dict]:
    """(data, rows as entered, errors by field name) of the generic key/value editor."""
    data, rows, errors = {}, [], {}
    for i in row_indices(form, "_kv"):
        key = form.get(f"_kv.{i}.key", "").strip()
        text = form.get(f"_kv.{i}.value", "").strip()
        if not key and not text:
            continue
        index = len(rows)
        rows.append({"key": key, "value": text})
        if not KEY.match(key):
            errors[f"_kv.{index}.key"] = gettext("字段名须以字母或汉字开头，只含字母、数字、下划线和汉字")
        elif key in data:
            errors[f"_kv.{index}.key"] = gettext("字段名“%(key)s”重复", key=key)
        else:
            data[key] = _json_or_text(text)
    return data, rows, errors


def _json_or_text(text: str):
    if text == "":
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, float) and (value != value or abs(value) == float("inf")):
        return text
    return value


def parse_task_form(form_schema: dict | None, form: MultiDict) -> tuple[dict, dict, dict]:
    """(data, values to show back, errors) of a submitted task form — its schema's fields,
    or the key/value editor when the step has no form. Shared by 提交, 保存草稿, 完成委派."""
    if form_schema is None:
        data, rows, errors = parse_kv(form)
        return data, {"_kv_rows": rows}, errors
    data = parse_object(form_schema, form)
    return data, data, {}


def draft_values(form_schema: dict | None, draft: dict | None) -> dict | None:
    """What a saved draft prefills: the form's fields (the renderer reads only those, so
    keys other features left in the draft are harmless), or key/value rows without a form."""
    data = (draft or {}).get("data")
    if not isinstance(data, dict) or not data:
        return None
    if form_schema is not None:
        return data
    rows = [{"key": key, "value": value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}
            for key, value in data.items() if isinstance(key, str) and KEY.match(key)]
    return {"_kv_rows": rows}
