"""A task's JSON Schema form → the fields a template renders, and back.

Field names are dotted paths, the same paths `FormValidationError.fields` uses, so each
message lands beside its field: `visit_date`, `satisfaction.visit`, `findings.0.category`.

Widgets: text; textarea (maxLength > 200); number (integer/number); date (format date,
or a date pattern); select (an enum of more than 4) or radios (≤ 4, and booleans 是/否);
lines (an array of plain values: a textarea, one item per line); group (an object:
a fieldset); rows (an array of objects: repeatable fieldsets, N rows + "添加一行");
attachments (an array of strings marked `"x-widget": "attachments"`: the task's uploaded
files to tick, plus a one-per-line box for material not uploaded — submitted under the
same name as a `lines` field, so web/formdata.py reads it as one).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from engine.definitions.forms import ATTACHMENT_WIDGET, referenced_id

LONG_TEXT = 200
RADIO_MAX = 4
MAX_ROWS = 200
_DATE_PATTERN = re.compile(r"(\[0-9\]|\\d)\{4\}-")


@dataclass
class Field:
    name: str
    title: str
    widget: str
    description: str = ""
    required: bool = False
    value: Any = None
    error: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)
    template: list[Field] = field(default_factory=list)
    next_index: int = 0

    @property
    def text(self) -> str:
        """The value as an input shows it."""
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            return "\n".join("" if v is None else str(v) for v in self.value)
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)


def spec_type(spec: dict) -> str | None:
    kind = spec.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind


def widget_for(spec: dict) -> str:
    kind = spec_type(spec)
    if "enum" in spec:
        return "radio" if len(spec["enum"]) <= RADIO_MAX else "select"
    if kind == "boolean":
        return "radio"
    if kind in ("integer", "number"):
        return "number"
    if kind == "object":
        return "group"
    if kind == "array":
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        return "rows" if spec_type(items) == "object" else "lines"
    if spec.get("format") == "date" or _DATE_PATTERN.search(str(spec.get("pattern", ""))):
        return "date"
    if isinstance(spec.get("maxLength"), int) and spec["maxLength"] > LONG_TEXT:
        return "textarea"
    return "text"


def _attachment_picker(out: Field) -> None:
    """Split a list of evidence items into the attachments ticked and the other lines."""
    items = out.value if isinstance(out.value, list) else ([] if out.value is None else [out.value])
    picked = [str(v) for v in items if referenced_id(v)]
    notes = [str(v) for v in items if v is not None and not referenced_id(v)]
    out.widget = ATTACHMENT_WIDGET
    out.attrs.update(picked=picked, notes="\n".join(notes), rows=2)


def _options(spec: dict) -> list[tuple[str, str]]:
    if "enum" in spec:
        return [(_token(v), str(v)) for v in spec["enum"]]
    if spec_type(spec) == "boolean":
        return [("true", gettext("是")), ("false", gettext("否"))]
    return []


def _token(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _attrs(spec: dict, widget: str) -> dict:
    attrs = {}
    if widget in ("text", "textarea") and isinstance(spec.get("maxLength"), int):
        attrs["maxlength"] = spec["maxLength"]
    if widget == "number":
        attrs["step"] = "1" if spec_type(spec) == "integer" else "any"
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if isinstance(spec.get(key), (int, float)):
                attrs[attr] = spec[key]
    if widget == "lines":
        attrs["rows"] = max(3, min(int(spec.get("maxItems") or 3), 6))
    return attrs


def build_fields(schema: dict, values: dict | None, errors: dict | None = None,
                 extra_rows: dict | None = None, prefix: str = "") -> list[Field]:
    """The fields of an object schema, with `values` filled in and `errors` beside them."""
    values = values if isinstance(values, dict) else {}
    required = set(schema.get("required") or [])
    fields = []
    for key, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict) or key.startswith("_"):
            continue
        fields.append(_field(prefix + key, key, spec, key in required, values.get(key),
                             errors or {}, extra_rows or {}))
    return fields


def _field(name: str, key: str, spec: dict, required: bool, value, errors: dict, extra: dict) -> Field:
    widget = widget_for(spec)
    out = Field(name=name, title=str(spec.get("title") or key), widget=widget,
                description=str(spec.get("description") or ""), required=required, value=value,
                error=errors.get(name), options=_options(spec), attrs=_attrs(spec, widget))
    if widget == "lines" and spec.get("x-widget") == ATTACHMENT_WIDGET:
        _attachment_picker(out)
    if out.widget in ("lines", ATTACHMENT_WIDGET) and out.error is None:
        item_errors = [errors[k] for k in sorted(errors) if k.startswith(name + ".")]
        out.error = "；".join(item_errors) or None
    if widget == "group":
        out.children = build_fields(spec, value, errors, extra, prefix=name + ".")
        out.value = None
    elif widget == "rows":
        items = spec.get("items") or {}
        rows = value if isinstance(value, list) else []
        count = min(max(len(rows), 1) + int(extra.get(name, 0)), MAX_ROWS)
        out.rows = [build_fields(items, rows[i] if i < len(rows) else None, errors, extra,
                                 prefix=f"{name}.{i}.") for i in range(count)]
        out.template = build_fields(items, None, None, None, prefix=f"{name}.__i__.")
        out.next_index = count
        out.value = None
        out.attrs["item_title"] = str(items.get("title") or "")
    return out


def _names(fields: list[Field]) -> tuple[set[str], set[str]]:
    """(names of every field rendered, names of the one-per-line list fields)."""
    names, lists = set(), set()
    for item in fields:
        names.add(item.name)
        if item.widget in ("lines", ATTACHMENT_WIDGET):
            lists.add(item.name)
        for group in [item.children, *item.rows]:
            more, more_lists = _names(group)
            names |= more
            lists |= more_lists
    return names, lists


def unplaced(errors: dict, fields: list[Field]) -> list[str]:
    """Messages that belong to no rendered field (shown above the form)."""
    names, lists = _names(fields)
    return [message for key, message in errors.items()
            if key not in names and not any(key.startswith(n + ".") for n in lists)]
