"""Who a user task is for, and with which form and deadline, as the designer drew it.

Read once at deploy time from the XML and stored with the definition (`task_meta`), so the
runtime routes tasks without re-reading XML. Sources, in Camunda / Flowable / Spiff terms:
lane name; camunda:candidateGroups / candidateUsers / assignee / formKey / dueDate;
standard potentialOwner / humanPerformer resource assignments; spiffworkflow properties
(formJsonSchemaFilename, candidateGroups).
"""
from __future__ import annotations

from lxml import etree

from engine.dialects.namespaces import SPIFF_NS, bpmn, vendor_attr, vendor_properties


def user_task_meta(process: etree._Element) -> dict[str, dict]:
    """{element_id: meta} for every user task (also inside subprocesses) of `process`."""
    lanes = _lane_of_nodes(process)
    process_properties = vendor_properties(process)
    process_warnings = _warning_properties(process_properties)
    process_ladder = _ladder_properties(process_properties)
    meta = {}
    for task in process.iter(bpmn("userTask")):
        task_id = task.get("id")
        groups, users = _resource_assignments(task)
        meta[task_id] = {
            "name": task.get("name") or task_id,
            "lane": lanes.get(task_id),
            "candidate_groups": _split(vendor_attr(task, "candidateGroups")) + groups
            + _split(_spiff_property(task, "candidateGroups")),
            "candidate_users": _split(vendor_attr(task, "candidateUsers")) + users,
            "assignee": vendor_attr(task, "assignee") or _human_performer(task),
            "form_key": _form_key(task),
            "due_date": vendor_attr(task, "dueDate"),
            # where neither the step nor the SLA table (engine.definitions.sla) gives a deadline
            "default_due": process_properties.get("sanfu:dueDate") or None,
            "warnings": {**process_warnings, **_warning_properties(vendor_properties(task))},
            "ladder": {**process_ladder, **_ladder_properties(vendor_properties(task))},
        }
    return meta


# When a task turns blue (a share of its time used) and yellow (working days left), where the
# process or the task says so in its properties (扩展属性); engine.calendar.deadlines has the defaults.
WARNING_PROPERTIES = {"sanfu:blueShare": "blue_share", "sanfu:yellowDays": "yellow_days"}


def _warning_properties(properties: dict[str, str]) -> dict[str, str]:
    return {key: properties[name] for name, key in WARNING_PROPERTIES.items() if properties.get(name)}


# The escalation ladder's terms (engine.calendar.escalation: N, M and who hears of each step).
LADDER_PROPERTIES = {"sanfu:ladderLeaderDays": "leader_days", "sanfu:ladderListDays": "list_days",
                     "sanfu:ladderRedNotify": "notify_section_head", "sanfu:ladderLeaderNotify": "notify_leader",
                     "sanfu:ladderListNotify": "notify_listed"}


def _ladder_properties(properties: dict[str, str]) -> dict[str, str]:
    return {key: properties[name] for name, key in LADDER_PROPERTIES.items() if properties.get(name)}


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _lane_of_nodes(process: etree._Element) -> dict[str, str]:
    """Innermost lane name of each flow node (child lane sets override their parent)."""
    lanes: dict[str, str] = {}
    for lane in process.iter(bpmn("lane")):
        depth = sum(1 for _ in lane.iterancestors(bpmn("lane")))
        name = (lane.get("name") or lane.get("id") or "").strip()
        for ref in lane.findall(bpmn("flowNodeRef")):
            node_id = (ref.text or "").strip()
            previous = lanes.get(node_id)
            if previous is None or previous[0] <= depth:
                lanes[node_id] = (depth, name)
    return {node: name for node, (_, name) in lanes.items()}


def _resource_assignments(task) -> tuple[list[str], list[str]]:
    """potentialOwner formal expressions: `group(x)`, `user(y)` or plain names (groups)."""
    groups, users = [], []
    for owner in task.findall(bpmn("potentialOwner")):
        for expr in owner.iter(bpmn("formalExpression")):
            for part in _split(expr.text):
                if part.startswith("user(") and part.endswith(")"):
                    users.append(part[5:-1].strip())
                elif part.startswith("group(") and part.endswith(")"):
                    groups.append(part[6:-1].strip())
                else:
                    groups.append(part)
    return groups, users


def _human_performer(task) -> str | None:
    for performer in task.findall(bpmn("humanPerformer")):
        for expr in performer.iter(bpmn("formalExpression")):
            if (expr.text or "").strip():
                return expr.text.strip()
    return None


def _spiff_property(task, name: str) -> str | None:
    for prop in task.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") == name:
            return prop.get("value")
    return None


def _form_key(task) -> str | None:
    key = vendor_attr(task, "formKey")
    if key:
        return key.strip()
    schema_file = _spiff_property(task, "formJsonSchemaFilename")
    if schema_file:
        name = schema_file.strip()
        return name[:-len("-schema.json")] if name.endswith("-schema.json") else name.removesuffix(".json")
    return None


