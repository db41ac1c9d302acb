"""What changed between two versions of a process, in words a designer reads: elements added,
removed and changed — a user task's name, lane, candidates, assignee, form and due date (as the
deploy read them into task_meta), a sequence flow's condition and ends, a timer's definition, a
call activity's target. Read from the stored BPMN XML (parsed safely, engine.definitions.xmlsafe)."""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.definitions.xmlsafe import parse_xml
from engine.dialects import namespaces

KIND_LABELS = {
    "userTask": "用户任务", "serviceTask": "服务任务", "scriptTask": "脚本任务", "businessRuleTask": "规则任务",
    "manualTask": "人工任务", "sendTask": "发送任务", "receiveTask": "接收任务", "task": "任务",
    "callActivity": "调用活动", "subProcess": "子流程", "sequenceFlow": "顺序流",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "eventBasedGateway": "事件网关", "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件",
    "boundaryEvent": "边界事件", "lane": "泳道", "process": "流程",
}
# The task_meta fields a designer changes, with their Chinese labels.
TASK_FIELDS = {"name": "名称", "lane": "泳道", "candidate_groups": "候选组", "candidate_users": "候选人",
               "assignee": "办理人", "form_key": "表单", "due_date": "期限"}
TIMER_LABELS = {"timeDuration": "定时（时长）", "timeDate": "定时（日期）", "timeCycle": "定时（周期）"}
_SKIPPED = {"laneSet", "extensionElements", "incoming", "outgoing", "flowNodeRef", "documentation",
            "conditionExpression", "timerEventDefinition", "timeDuration", "timeDate", "timeCycle"}


@dataclass
class Change:
    change: str  # added | removed | changed
    element_id: str
    kind: str
    name: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"change": self.change, "element_id": self.element_id, "kind": self.kind,
                "kind_label": KIND_LABELS.get(self.kind, self.kind), "name": self.name, "details": self.details}


def diff_versions(old_xml: list[str], new_xml: list[str], old_meta: dict, new_meta: dict) -> list[dict]:
    """The changes from one version (its BPMN files and task_meta) to another, in document order."""
    before, after = _elements(old_xml), _elements(new_xml)
    changes = []
    for element_id, (kind, name, facts) in after.items():
        if element_id not in before:
            changes.append(Change("added", element_id, kind, name))
            continue
        details = _fact_changes(before[element_id][2], facts)
        if kind == "userTask":
            details += _meta_changes(old_meta.get(element_id, {}), new_meta.get(element_id, {}))
        if details:
            changes.append(Change("changed", element_id, kind, name, details))
    for element_id, (kind, name, _facts) in before.items():
        if element_id not in after:
            changes.append(Change("removed", element_id, kind, name))
    return [c.as_dict() for c in changes]


def summary(changes: list[dict]) -> str:
    """One line for the versions list, e.g. 新增 2 个元素，修改 1 个：科长审核."""
    if not changes:
        return "与上一版本相比没有元素变化"
    counts = {kind: sum(c["change"] == kind for c in changes) for kind in ("added", "removed", "changed")}
    parts = [f"{label} {counts[kind]} 个" for kind, label in
             (("added", "新增"), ("removed", "删除"), ("changed", "修改")) if counts[kind]]
    names = "、".join(dict.fromkeys(c["name"] for c in changes))
    return "，".join(parts) + f"：{names[:120]}"


def _elements(xml_docs: list[str]) -> dict[str, tuple[str, str, dict]]:
    """{id: (kind, name, facts)} of every BPMN element with an id inside the processes."""
    out = {}
    for xml in xml_docs:
        root = parse_xml(xml, "")
        for process in root.iter(namespaces.bpmn("process")):
            for element in process.iter():
                if not isinstance(element.tag, str) or etree.QName(element).namespace != namespaces.BPMN_NS:
                    continue
                kind, element_id = etree.QName(element).localname, element.get("id")
                if not element_id or kind in _SKIPPED:
                    continue
                name = " ".join((element.get("name") or "").split()) or element_id
                out[element_id] = (kind, name, _facts(element, kind, name))
    return out


def _facts(element, kind: str, name: str) -> dict[str, str]:
    facts = {"名称": name}
    if kind == "sequenceFlow":
        facts["条件"] = _text(element.find(namespaces.bpmn("conditionExpression")))
        facts["起点"] = element.get("sourceRef") or ""
        facts["终点"] = element.get("targetRef") or ""
    if kind == "callActivity":
        facts["调用流程"] = element.get("calledElement") or ""
    timer = element.find(namespaces.bpmn("timerEventDefinition"))
    if timer is not None:
        for tag, label in TIMER_LABELS.items():
            facts[label] = _text(timer.find(namespaces.bpmn(tag)))
    if kind == "boundaryEvent":
        facts["附着于"] = element.get("attachedToRef") or ""
    return facts


def _text(element) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _fact_changes(before: dict, after: dict) -> list[str]:
    return [f"{label}：{_shown(before.get(label))} → {_shown(after.get(label))}"
            for label in dict.fromkeys([*before, *after])
            if label != "名称" and (before.get(label) or "") != (after.get(label) or "")] + (
        [f"名称：{before['名称']} → {after['名称']}"] if before.get("名称") != after.get("名称") else [])


def _meta_changes(before: dict, after: dict) -> list[str]:
    return [f"{label}：{_shown(before.get(key))} → {_shown(after.get(key))}"
            for key, label in TASK_FIELDS.items() if key != "name" and _norm(before.get(key)) != _norm(after.get(key))]


def _norm(value):
    return sorted(value) if isinstance(value, list) else (value or None)


def _shown(value) -> str:
    if isinstance(value, list):
        return "、".join(value) if value else "（无）"
    return str(value) if value else "（无）"
