"""Structural rules of BPMN 2.0 that the schema cannot express, checked before parsing.

Each rule names the element that breaks it, so a designer can find it in the modeler:
references to escalations/errors/signals/messages resolve; sequence flows connect existing
nodes; a call activity names what it calls; the targets of an event-based gateway are
reached only through it; cancel events live in transactions; timer start events only
start processes or event subprocesses.
"""
from __future__ import annotations

from lxml import etree

from engine.dialects.camunda import describe
from engine.dialects.namespaces import bpmn
from engine.errors import DefinitionError

REFERENCES = {
    "escalationEventDefinition": ("escalationRef", "escalation", "升级事件 (escalation)"),
    "errorEventDefinition": ("errorRef", "error", "错误 (error)"),
    "signalEventDefinition": ("signalRef", "signal", "信号 (signal)"),
    "messageEventDefinition": ("messageRef", "message", "消息 (message)"),
}


def check_structure(root: etree._Element, file_name: str) -> None:
    ids = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    _check_event_references(root, ids, file_name)
    _check_flows(root, ids, file_name)
    _check_call_activities(root, file_name)
    _check_event_gateways(root, ids, file_name)
    _check_cancel_events(root, ids, file_name)
    _check_timer_starts(root, file_name)


def _refuse(reason: str, element, file_name: str):
    raise DefinitionError(reason, file=file_name, **describe(element))


def _owner(element):
    parent = element.getparent()
    return parent if parent is not None else element


def _check_event_references(root, ids, file_name) -> None:
    for local, (attribute, target, label) in REFERENCES.items():
        for definition in root.iter(bpmn(local)):
            ref = definition.get(attribute)
            if ref is None:
                continue
            found = ids.get(ref.split(":")[-1])
            if found is None or etree.QName(found).localname != target:
                _refuse(f"引用的{label} '{ref}' 不存在 ({attribute} does not resolve)",
                        _owner(definition), file_name)


def _check_flows(root, ids, file_name) -> None:
    for flow in root.iter(bpmn("sequenceFlow")):
        for end in ("sourceRef", "targetRef"):
            if flow.get(end) not in ids:
                _refuse(f"顺序流的 {end} '{flow.get(end)}' 不存在 (sequence flow end not found)",
                        flow, file_name)


def _check_call_activities(root, file_name) -> None:
    for call in root.iter(bpmn("callActivity")):
        if not (call.get("calledElement") or "").strip():
            _refuse("调用活动没有设置被调用的流程 (callActivity has no calledElement)", call, file_name)


def _check_event_gateways(root, ids, file_name) -> None:
    incoming: dict[str, list] = {}
    for flow in root.iter(bpmn("sequenceFlow")):
        incoming.setdefault(flow.get("targetRef"), []).append(flow)
    for gateway in root.iter(bpmn("eventBasedGateway")):
        targets = [f.get("targetRef") for f in root.iter(bpmn("sequenceFlow"))
                   if f.get("sourceRef") == gateway.get("id")]
        for target in targets:
            others = [f for f in incoming.get(target, []) if f.get("sourceRef") != gateway.get("id")]
            if others:
                _refuse(f"事件网关 '{gateway.get('id')}' 的目标 '{target}' 还有其他入口顺序流 "
                        f"'{others[0].get('id')}'：事件网关的目标只能从网关进入 "
                        "(event-based gateway target has another incoming flow)", others[0], file_name)


def _check_cancel_events(root, ids, file_name) -> None:
    for definition in root.iter(bpmn("cancelEventDefinition")):
        event = definition.getparent()
        if etree.QName(event).localname == "boundaryEvent":
            attached = ids.get(event.get("attachedToRef"))
            inside_transaction = attached is not None and etree.QName(attached).localname == "transaction"
        else:
            inside_transaction = any(etree.QName(a).localname == "transaction" for a in event.iterancestors())
        if not inside_transaction:
            _refuse("取消事件只能用于事务子流程 (cancel events belong to transaction subprocesses)",
                    event, file_name)


def _check_timer_starts(root, file_name) -> None:
    for start in root.iter(bpmn("startEvent")):
        parent = start.getparent()
        if etree.QName(parent).localname in ("subProcess", "transaction") \
                and parent.get("triggeredByEvent", "false").lower() != "true" \
                and start.find(bpmn("timerEventDefinition")) is not None:
            _refuse("嵌入式子流程中的开始事件不能带定时器 (timer start event in an embedded subprocess)",
                    start, file_name)
