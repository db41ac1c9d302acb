"""The XML namespaces sanfu reads, and what vendors spell three ways.

Camunda, Activiti and Flowable write the same extension attributes (`assignee`,
`candidateGroups`, `decisionRef` …) in their own namespaces; SpiffWorkflow's own
extensions live in one more. Every module that reads a model asks here."""
from __future__ import annotations

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
VENDOR_NAMESPACES = (
    "http://camunda.org/schema/1.0/bpmn",
    "http://activiti.org/bpmn",
    "http://flowable.org/bpmn",
)
CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",   # DMN 1.1 (Camunda)
    "http://www.omg.org/spec/DMN/20151101",           # DMN 1.1 as Flowable writes it
    "http://www.omg.org/spec/DMN/20180521/MODEL/",    # DMN 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",   # DMN 1.3
)


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def spiff(tag: str) -> str:
    return f"{{{SPIFF_NS}}}{tag}"


def vendor_attr(element: etree._Element, name: str) -> str | None:
    """A Camunda/Activiti/Flowable extension attribute, whichever vendor wrote it."""
    for namespace in VENDOR_NAMESPACES:
        value = element.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value
    return None


def vendor_properties(element: etree._Element) -> dict[str, str]:
    """The element's own `camunda:properties` (or Activiti/Flowable/Spiff `property`) entries:
    name → value, as Camunda Modeler's 扩展属性 panel writes them."""
    found = {}
    extensions = element.find(bpmn("extensionElements"))
    if extensions is None:
        return found
    for namespace in (*VENDOR_NAMESPACES, SPIFF_NS):
        for prop in extensions.iter(f"{{{namespace}}}property"):
            if prop.get("name"):
                found.setdefault(prop.get("name"), (prop.get("value") or "").strip())
    return found


def decision_ref(task: etree._Element) -> str | None:
    """The decision a business rule task calls: SpiffWorkflow's `calledDecisionId`, else the
    vendors' `decisionRef` (read the same way at deploy and when the spec is built)."""
    called = task.find(f"{bpmn('extensionElements')}/{spiff('calledDecisionId')}")
    ref = (called.text or "").strip() if called is not None else ""
    return ref or (vendor_attr(task, "decisionRef") or "").strip() or None
