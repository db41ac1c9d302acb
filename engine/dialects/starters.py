"""Who may start a process, and with which form, as the designer drew it.

Read once at deploy time from the `<process>` element and kept in the definition's `bundle`
under the reserved key "start" (the definitions table has no column for it and this needs
no migration): {"starter_groups": [...], "starter_users": [...], "form_key": str | None,
"documentation": str}. Sources: camunda:candidateStarterGroups / candidateStarterUsers
(Activiti/Flowable spell them the same), the start event's camunda:formKey (or Spiff's
formJsonSchemaFilename), the process's own <documentation>.

A starter group may name a sanfu role (`liaison`, `leader`, `staff` …), a section by code or
name (`office`, `办公室`), or a group. A process naming no starters is for admins only, so
nothing is startable by accident.
"""
from __future__ import annotations

from lxml import etree

from engine.dialects.assignment import _form_key
from engine.dialects.namespaces import bpmn, vendor_attr

START_KEY = "start"  # the reserved key in ProcessDefinition.bundle


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def start_meta(process: etree._Element) -> dict:
    """The start metadata of one `<process>` element (its top-level none start event's form)."""
    form_key = None
    for event in process.findall(bpmn("startEvent")):
        if len(event) and any(child.tag.endswith("EventDefinition") for child in event):
            continue  # a timer / message start is not started by hand
        form_key = _form_key(event)
        if form_key:
            break
    doc = process.find(bpmn("documentation"))
    return {"starter_groups": _split(vendor_attr(process, "candidateStarterGroups")),
            "starter_users": _split(vendor_attr(process, "candidateStarterUsers")),
            "form_key": form_key,
            "documentation": (doc.text or "").strip() if doc is not None else ""}


def start_form_keys(process: etree._Element) -> set[str]:
    """The start form a deploy must find and store with the version."""
    key = start_meta(process)["form_key"]
    return {key} if key else set()


def start_meta_in(root: etree._Element, key: str) -> dict:
    """`start_meta` of the process `key` in a parsed BPMN document (empty: admins only)."""
    for process in root.iter(bpmn("process")):
        if process.get("id") == key:
            return start_meta(process)
    return {"starter_groups": [], "starter_users": [], "form_key": None, "documentation": ""}
