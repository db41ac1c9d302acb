"""Reading what Camunda Modeler, Flowable and bpmn-js users draw.

Two jobs, both on the safely parsed lxml tree before SpiffWorkflow sees it:
- `normalize`: translate vendor expressions into the engine's one expression language
  (Python, evaluated in the sandbox): JUEL conditions, unquoted ISO/cron timers, MI
  expressions; refuse what cannot run (JavaScript, method-call expressions); warn about
  what is ignored (listeners, input/output scripts).
- `user_task_meta`: per user task, the routing and form attributes the engine needs
  (candidate groups/users, assignee, form key, due date, lane).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from engine.dialects import juel
from engine.dialects.namespaces import BPMN_NS, SPIFF_NS, VENDOR_NAMESPACES, bpmn, vendor_attr
from engine.errors import DefinitionError, Refusals, ScriptError
from engine.timers.event_definitions import normalize_timer_text

PYTHON_SCRIPT_FORMATS = {"", "python", "py", "text/x-python"}
NS = {"bpmn": BPMN_NS}


@dataclass
class Normalized:
    warnings: list[str] = field(default_factory=list)


def describe(element: etree._Element) -> dict:
    """Keyword arguments for DefinitionError locating `element`."""
    return {"element_id": element.get("id") or _owner_id(element),
            "element_name": element.get("name") or None, "line": element.sourceline}


def _owner_id(element: etree._Element) -> str | None:
    parent = element.getparent()
    while parent is not None:
        if parent.get("id"):
            return parent.get("id")
        parent = parent.getparent()
    return None


def normalize(root: etree._Element, file_name: str, refused: Refusals | None = None) -> Normalized:
    """Each element that cannot be translated is refused on its own and the others are still
    translated: into `refused` when given (deploy's checks go on and list them all), else
    raised together at the end."""
    result = Normalized()
    found = refused if refused is not None else Refusals()
    _assign_missing_ids(root)
    _map_flowable_decision_tasks(root, file_name, found)
    _map_collection_loops(root, file_name, found)
    _refuse_foreign_scripts(root, file_name, found)
    _translate_expressions(root, file_name, found)
    _translate_timers(root, file_name, found)
    _warn_ignored_extensions(root, file_name, result.warnings)
    if refused is None:
        found.raise_any([file_name])
    return result


def _assign_missing_ids(root) -> None:
    """Hand-written models often omit ids on sequence flows and data items; SpiffWorkflow
    keys everything by id, so give them stable generated ones."""
    taken = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    counter = 0
    for element in root.iter(bpmn("sequenceFlow"), bpmn("inputDataItem"), bpmn("outputDataItem")):
        if element.get("id"):
            continue
        candidate = element.get("name") if element.tag != bpmn("sequenceFlow") else None
        while not candidate or candidate in taken:
            counter += 1
            candidate = f"sanfu_{etree.QName(element).localname}_{counter}"
        element.set("id", candidate)
        taken.add(candidate)


def _map_flowable_decision_tasks(root, file_name, refused: Refusals) -> None:
    """Flowable draws a decision task as serviceTask flowable:type="dmn" with a field
    decisionTableReferenceKey; run it as a business rule task."""
    for task in list(root.iter(bpmn("serviceTask"))):
        if (vendor_attr(task, "type") or "").lower() == "dmn":
            with refused.each():
                _map_decision_task(task, file_name)


def _map_decision_task(task, file_name) -> None:
    key = None
    for namespace in VENDOR_NAMESPACES:
        for element in task.iter(f"{{{namespace}}}field"):
            if element.get("name") == "decisionTableReferenceKey":
                key = (element.get("stringValue") or "".join(element.itertext())).strip()
    if not key:
        raise DefinitionError("决策任务缺少 decisionTableReferenceKey (decision task names no decision)",
                              file=file_name, **describe(task))
    task.tag = bpmn("businessRuleTask")
    task.set(f"{{{VENDOR_NAMESPACES[0]}}}decisionRef", key)


def _map_collection_loops(root, file_name, refused: Refusals) -> None:
    """camunda:collection / camunda:elementVariable → loopDataInputRef / inputDataItem."""
    for loop in root.iter(bpmn("multiInstanceLoopCharacteristics")):
        collection = vendor_attr(loop, "collection")
        if collection and loop.find(bpmn("loopDataInputRef")) is None:
            with refused.each():
                _map_collection_loop(loop, collection, file_name)


def _map_collection_loop(loop, collection: str, file_name) -> None:
    name = translate_expression(collection, loop, file_name)
    if not name.isidentifier():
        raise DefinitionError(f"多实例集合 {collection!r} 必须是一个流程变量名 "
                              "(camunda:collection must name a process variable)",
                              file=file_name, **describe(loop))
    ref = etree.SubElement(loop, bpmn("loopDataInputRef"))
    ref.text = name
    element_variable = vendor_attr(loop, "elementVariable")
    if element_variable:
        etree.SubElement(loop, bpmn("inputDataItem"), id=element_variable, name=element_variable)


def _refuse_foreign_scripts(root, file_name, refused: Refusals):
    for task in root.iter(bpmn("scriptTask")):
        with refused.each():
            _refuse_foreign_script(task, file_name)


def _refuse_foreign_script(task, file_name) -> None:
    script_format = (task.get("scriptFormat") or "").strip().lower()
    if script_format not in PYTHON_SCRIPT_FORMATS:
        raise DefinitionError(
            f"脚本任务使用 {task.get('scriptFormat')} 脚本，本引擎只执行沙箱内的 Python 脚本；"
            "请改写为 Python (only sandboxed Python scripts run here)",
            file=file_name, **describe(task))
    if vendor_attr(task, "resource") is not None:
        raise DefinitionError("脚本任务引用外部脚本资源，不受支持；请把脚本写在模型里 "
                              "(external script resources are not supported)",
                              file=file_name, **describe(task))


def _expression_elements(root):
    """Elements whose text is an expression evaluated by the engine."""
    for tag in ("conditionExpression", "condition", "loopCardinality", "completionCondition"):
        yield from root.iter(bpmn(tag))


def _translate_expressions(root, file_name, refused: Refusals):
    for element in _expression_elements(root):
        with refused.each():
            _translate_expression_element(element, file_name)


def _translate_expression_element(element, file_name) -> None:
    language = (element.get("language") or "").lower()
    if language and not any(word in language for word in ("python", "juel", "el")):
        raise DefinitionError(
            f"表达式语言 {element.get('language')} 不受支持 (expression language not supported)",
            file=file_name, **describe(element))
    condition = etree.QName(element).localname != "loopCardinality"
    element.text = translate_expression(element.text or "", element, file_name, condition)


def translate_expression(text: str, element, file_name: str, condition: bool = False) -> str:
    """JUEL `${...}` → Python; anything else is already Python (Spiff style). A JUEL
    condition must yield a boolean, as in Camunda (a string "false" is an error, not true)."""
    stripped = text.strip()
    if not juel.is_juel(stripped):
        return stripped
    try:
        return juel.to_python_condition(stripped) if condition else juel.to_python(stripped)
    except ScriptError as err:
        raise DefinitionError(str(err), file=file_name, **describe(element)) from None


def _translate_timers(root, file_name, refused: Refusals):
    kinds = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}
    for tag, kind in kinds.items():
        for element in root.iter(bpmn(tag)):
            with refused.each():
                _translate_timer(element, kind, file_name)


def _translate_timer(element, kind: str, file_name) -> None:
    text = translate_expression(element.text or "", element, file_name)
    try:
        element.text = normalize_timer_text(kind, text)
    except ScriptError as err:
        raise DefinitionError(f"定时器 {text!r} 无效：{err}", file=file_name, **describe(element)) from None


def _warn_ignored_extensions(root, file_name, warnings):
    ignored = {"executionListener": "执行监听器 (execution listener)",
               "taskListener": "任务监听器 (task listener)",
               "inputOutput": "输入/输出映射 (input/output mapping)",
               "field": "字段注入 (field injection)"}
    for namespace in VENDOR_NAMESPACES:
        for local, label in ignored.items():
            for element in root.iter(f"{{{namespace}}}{local}"):
                owner = _owner_id(element) or "?"
                warnings.append(f"{file_name}: element '{owner}': 已忽略 {label}，本引擎不运行它")
    for element in root.iter(bpmn("serviceTask")):
        if element.find(f".//{{{SPIFF_NS}}}serviceTaskOperator") is None:
            warnings.append(f"{file_name}: element '{element.get('id')}': 服务任务的实现 (Java/表达式/外部任务) "
                            "不在本引擎中运行，流程经过时直接完成 (service task passes through)")
    for store in root.iter(bpmn("dataStore")):
        warnings.append(f"{file_name}: element '{store.get('id')}': 数据存储不由本引擎保存，读写将被忽略 "
                        "(data store ignored)")
