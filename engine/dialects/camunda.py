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

from ..errors import DefinitionError, ScriptError
from . import juel
from ..timer_events import normalize_timer_text

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
VENDOR_NAMESPACES = (
    "http://camunda.org/schema/1.0/bpmn",
    "http://activiti.org/bpmn",
    "http://flowable.org/bpmn",
)
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
PYTHON_SCRIPT_FORMATS = {"", "python", "py", "text/x-python"}
NS = {"bpmn": BPMN_NS}


@dataclass
class Normalized:
    warnings: list[str] = field(default_factory=list)


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def vendor_attr(element: etree._Element, name: str) -> str | None:
    for namespace in VENDOR_NAMESPACES:
        value = element.get(f"{{{namespace}}}{name}")
        if value is not None:
            return value
    return None


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


def normalize(root: etree._Element, file_name: str) -> Normalized:
    result = Normalized()
    _refuse_foreign_scripts(root, file_name)
    _translate_expressions(root, file_name)
    _translate_timers(root, file_name)
    _warn_ignored_extensions(root, file_name, result.warnings)
    return result


def _refuse_foreign_scripts(root, file_name):
    for task in root.iter(bpmn("scriptTask")):
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


def _translate_expressions(root, file_name):
    for element in _expression_elements(root):
        language = (element.get("language") or "").lower()
        if language and not any(word in language for word in ("python", "juel", "el")):
            raise DefinitionError(
                f"表达式语言 {element.get('language')} 不受支持 (expression language not supported)",
                file=file_name, **describe(element))
        element.text = translate_expression(element.text or "", element, file_name)


def translate_expression(text: str, element, file_name: str) -> str:
    """JUEL `${...}` → Python; anything else is already Python (Spiff style)."""
    stripped = text.strip()
    if not juel.is_juel(stripped):
        return stripped
    try:
        return juel.to_python(stripped)
    except ScriptError as err:
        raise DefinitionError(str(err), file=file_name, **describe(element)) from None


def _translate_timers(root, file_name):
    kinds = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}
    for tag, kind in kinds.items():
        for element in root.iter(bpmn(tag)):
            text = translate_expression(element.text or "", element, file_name)
            try:
                element.text = normalize_timer_text(kind, text)
            except ScriptError as err:
                raise DefinitionError(f"定时器 {text!r} 无效：{err}", file=file_name,
                                      **describe(element)) from None


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
    for element in root.iter(bpmn("serviceTask"), bpmn("sendTask")):
        if vendor_attr(element, "class") or vendor_attr(element, "delegateExpression") \
                or vendor_attr(element, "expression") or vendor_attr(element, "type"):
            warnings.append(f"{file_name}: element '{element.get('id')}': 服务任务的实现 (Java/外部任务) "
                            "不在本引擎中运行，流程经过时直接完成")
