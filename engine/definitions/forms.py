"""Validating submitted task data against the task's JSON Schema form.

Messages name the field by its Chinese title (the form's `title`), so staff see
"整改期限：必填" rather than a schema path. Nothing is saved when any field fails.
"""
from __future__ import annotations

import re

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from engine.errors import FormValidationError

MESSAGES = {
    "required": "必填",
    "type": "类型不正确，应为 {expected}",
    "enum": "只能是以下之一：{options}",
    "minLength": "至少 {limit} 个字符",
    "maxLength": "最多 {limit} 个字符",
    "minimum": "不能小于 {limit}",
    "maximum": "不能大于 {limit}",
    "pattern": "格式不正确",
    "format": "格式不正确（应为 {expected}）",
    "const": "必须为 {limit}",
    "not": "取值不允许",
    "exclusiveMinimum": "必须大于 {limit}",
    "exclusiveMaximum": "必须小于 {limit}",
    "uniqueItems": "不能有重复项",
    "minProperties": "至少填写 {limit} 项",
    "minItems": "至少 {limit} 项",
    "maxItems": "最多 {limit} 项",
    "additionalProperties": "包含未定义的字段",
}
FORMATS = FormatChecker()  # date, email, ipv4, … (date-time when rfc3339-validator is installed)
FORMAT_NAMES = {"date": "日期 YYYY-MM-DD", "date-time": "日期时间", "email": "电子邮箱", "time": "时间"}
TYPE_NAMES = {"string": "文本", "integer": "整数", "number": "数字", "boolean": "是/否",
              "array": "列表", "object": "对象", "null": "空"}


def validate_submission(schema: dict | None, data: dict) -> dict:
    """Return the data to store, or raise FormValidationError with per-field messages."""
    if schema is None:
        return data
    validator = validator_for(schema)(schema, format_checker=FORMATS)
    fields: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path, label = _field(schema, error)
        fields.setdefault(path, f"{label}：{_message(error)}")
    if fields:
        raise FormValidationError("；".join(fields.values()), fields)
    return data


def _field(schema: dict, error) -> tuple[str, str]:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = path + [missing]
    titles = []
    node = schema
    for part in path:
        node = _child(node, part)
        titles.append(str(node.get("title", part)) if isinstance(node, dict) else part)
    return ".".join(path) or "(表单)", " / ".join(titles) or "表单"


def _child(node, part):
    if not isinstance(node, dict):
        return {}
    if part.isdigit() and "items" in node:
        return node["items"]
    return node.get("properties", {}).get(part, {})


def _message(error) -> str:
    # A form may say in its own words why a field is refused (`"x-error": "…"` beside the
    # rule), where the generic text would mislead ("最多 0 个字符" for "leave it empty").
    custom = error.schema.get("x-error") if isinstance(error.schema, dict) else None
    if isinstance(custom, str) and custom:
        return custom
    template = MESSAGES.get(error.validator)
    if template is None:
        return error.message
    value = error.validator_value
    expected = value if isinstance(value, str) else "/".join(map(str, value)) if isinstance(value, list) else value
    expected = FORMAT_NAMES.get(expected, expected) if error.validator == "format" else expected
    return template.format(expected=TYPE_NAMES.get(expected, expected),
                           options="、".join(map(str, value)) if isinstance(value, list) else value,
                           limit=value)


def is_acknowledgement(schema: dict | None) -> bool:
    """Whether a form asks for nothing but an acknowledgement (签收, 知悉), so a task with it
    may be completed in bulk from the inbox: the schema says `"x-acknowledgement": true`,
    and each of its required fields is a boolean that must be true (`const: true` or
    `enum: [true]`). Optional fields may stay empty."""
    if not isinstance(schema, dict) or schema.get("x-acknowledgement") is not True:
        return False
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        field = properties.get(name)
        if not isinstance(field, dict) or field.get("type") != "boolean":
            return False
        if field.get("const") is not True and field.get("enum") != [True]:
            return False
    return True


# Attachment fields -----------------------------------------------------------------
# An array of strings marked `"x-widget": "attachments"` holds the files chosen for it:
# each item is either a reference "attachment:<id>" to an attachment of the task, or the
# plain name of material kept elsewhere (a paper report). References are checked against
# the task's attachments on completion (engine.tasks.attachments).
ATTACHMENT_WIDGET = "attachments"
REFERENCE_PREFIX = "attachment:"
_REFERENCE = re.compile(r"^attachment:([0-9a-f]{32})$")


def attachment_fields(schema: dict | None) -> list[tuple[str, str]]:
    """(field name, title) of the top-level attachment fields of a form."""
    if not isinstance(schema, dict):
        return []
    return [(key, str(spec.get("title") or key)) for key, spec in (schema.get("properties") or {}).items()
            if isinstance(spec, dict) and spec.get("x-widget") == ATTACHMENT_WIDGET]


def attachment_reference(attachment_id: str) -> str:
    return REFERENCE_PREFIX + attachment_id


def referenced_id(item) -> str | None:
    """The attachment id an item refers to; None for plain text (a malformed reference
    reads as a reference to nothing, so it is refused rather than kept as text)."""
    if not isinstance(item, str) or not item.startswith(REFERENCE_PREFIX):
        return None
    match = _REFERENCE.match(item)
    return match.group(1) if match else ""


def attachment_reference_errors(schema: dict | None, data: dict, known: set[str]) -> dict[str, str]:
    """Field errors for references in `data` to anything but `known` attachment ids."""
    errors = {}
    for key, title in attachment_fields(schema):
        items = data.get(key)
        for index, item in enumerate(items if isinstance(items, list) else []):
            found = referenced_id(item)
            if found is not None and found not in known:
                errors[f"{key}.{index}"] = (f"{title}：第 {index + 1} 项不是本任务的附件（可能已被删除），"
                                            "请重新选择")
    return errors


# The subject ---------------------------------------------------------------------
# Work without an enterprise (a 12369 complaint) needs words in the inbox saying what it is:
# the form that records them says `"x-subject": "{category}：{description}"`, and submitting
# it sets the instance's subject from the submitted fields (no sensitive ones: lists show it).
SUBJECT_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
SUBJECT_LENGTH = 60


def subject_template_error(schema: dict) -> str | None:
    """Why the form's x-subject cannot be used, or None (checked when a form is deployed)."""
    template = schema.get("x-subject")
    if template is None:
        return None
    if not isinstance(template, str) or not SUBJECT_FIELD.search(template):
        return "x-subject 必须是含 {字段名} 的文本 (x-subject must be a text naming fields in braces)"
    properties = schema.get("properties") or {}
    for name in SUBJECT_FIELD.findall(template):
        field = properties.get(name)
        if not isinstance(field, dict):
            return f"x-subject 引用的字段 '{name}' 不存在 (x-subject names an unknown field)"
        if field.get("x-sensitive"):
            return f"x-subject 不能引用个人敏感字段 '{name}' (x-subject must not show sensitive data)"
    return None


def subject_of(schema: dict | None, data: dict) -> str | None:
    """The subject a submission of this form gives its instance, or None if it gives none."""
    template = schema.get("x-subject") if isinstance(schema, dict) else None
    if not isinstance(template, str):
        return None
    if not any(_subject_text(data.get(name)) for name in SUBJECT_FIELD.findall(template)):
        return None  # nothing filled in: keep the subject the instance has
    text = " ".join(SUBJECT_FIELD.sub(lambda m: _subject_text(data.get(m.group(1))), template).split())
    return text[:SUBJECT_LENGTH - 1] + "…" if len(text) > SUBJECT_LENGTH else text


def _subject_text(value) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)
