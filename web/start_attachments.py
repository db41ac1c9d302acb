"""The files chosen in a start form's attachment fields (web/start.py): uploaded when the form is
sent, each as its own engine command (engine.instances.start_attachments), before the start; the
references of what was stored are added to the field, so a refused start — or a refused file —
shows the form again with the uploaded files ticked: nothing chosen has to be chosen again.

A file input is named `<field>.files`; the field itself is submitted as for a task (ticked
"attachment:<id>" checkboxes plus a one-per-line box), so web/formdata.py reads it unchanged."""
from __future__ import annotations

from flask_login import current_user
from werkzeug.datastructures import MultiDict

from engine.definitions.forms import attachment_fields, referenced_id
from engine.errors import InvalidInput

from .extensions import get_engine
from .helpers import error_text

FILES_SUFFIX = ".files"


def upload_chosen_files(key: str, schema: dict | None, files: MultiDict, data: dict, values: dict) -> dict:
    """Upload the files chosen for each attachment field; add their references to `data` and
    `values`. Returns field errors (one message per refused file, named by the file)."""
    errors: dict[str, str] = {}
    for field, _ in attachment_fields(schema):
        problems = []
        for upload in (f for f in files.getlist(field + FILES_SUFFIX) if f and f.filename):
            try:
                added = get_engine().add_start_attachment(key, current_user.id, upload.filename, upload.stream, field)
            except InvalidInput as err:
                problems.append(error_text(err))
                continue
            for target in {id(data): data, id(values): values}.values():  # often one and the same dict
                target[field] = _with_reference(target.get(field), added["ref"])
        if problems:
            errors[field] = "；".join(problems)
    return errors


def uploaded_files(schema: dict | None, values: dict) -> dict[str, list[dict]]:
    """For each attachment field, the caller's pending uploads it refers to (to list them ticked)."""
    fields = [field for field, _ in attachment_fields(schema)]
    refs = [item for field in fields for item in (values.get(field) or []) if referenced_id(item)]
    found = {a["ref"]: a for a in get_engine().pending_start_attachments(current_user.id, refs)} if refs else {}
    return {field: [found[item] for item in (values.get(field) or []) if item in found] for field in fields}


def _with_reference(items, ref: str) -> list:
    """The field's items with `ref` after the files already referred to, before the lines of
    material not uploaded (the order the form shows them in)."""
    items = list(items or [])
    files = [item for item in items if referenced_id(item)]
    return [*files, ref, *(item for item in items if not referenced_id(item))]
