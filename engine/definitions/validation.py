"""Deploy-time checks, so that a model that deploys can run.

Every condition, script, multi-instance expression, timer, DMN cell and form is compiled
or parsed now, and every call activity and decision reference must resolve. Each failure
names the file, the element and the reason; non-fatal findings become warnings.

The checks go on past a bad element: each adds its DefinitionError to the bundle's
`Refusals` and moves to the next element (and file), so that 校验 and `sanfu deploy` list
every problem at once; `Refusals.raise_any` raises them together as one DefinitionErrors.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from lxml import etree

from engine.calendar.deadlines import threshold_error
from engine.calendar.escalation import ladder_error
from engine.definitions.bundle import Compiled, SourceDoc
from engine.definitions.forms import subject_template_error
from engine.dialects import camunda, juel, namespaces
from engine.errors import DefinitionError, Refusals, ScriptError
from engine.sandbox.expressions import sandbox
from engine.timers.event_definitions import validate_timer

TIMER_TAG_KINDS = {"timeDate": "date", "timeDuration": "duration", "timeCycle": "cycle"}


def check_models(compiled: Compiled, problems: Refusals) -> None:
    for file_name, root in compiled.roots.items():
        _check_expressions(root, file_name, problems)
        _check_scripts(root, file_name, problems)
        _check_timers(root, file_name, problems)


def _located(check: Callable[[str], None], text: str, element, file_name: str) -> None:
    try:
        check(text)
    except ScriptError as err:
        raise DefinitionError(f"{err} — 表达式 {text!r}", file=file_name,
                              **camunda.describe(element)) from None


def _check_expressions(root, file_name: str, problems: Refusals) -> None:
    for element in camunda._expression_elements(root):
        if (element.text or "").strip():
            with problems.each():
                _located(sandbox().check_expression, element.text.strip(), element, file_name)


def _check_scripts(root, file_name: str, problems: Refusals) -> None:
    for task in root.iter(namespaces.bpmn("scriptTask")):
        script = task.find(namespaces.bpmn("script"))
        if script is not None and (script.text or "").strip():
            with problems.each():
                _located(sandbox().check_script, script.text, task, file_name)
    for tag in ("preScript", "postScript"):
        for element in root.iter(namespaces.spiff(tag)):
            if (element.text or "").strip():
                with problems.each():
                    _located(sandbox().check_script, element.text, element, file_name)


def _check_timers(root, file_name: str, problems: Refusals) -> None:
    for tag, kind in TIMER_TAG_KINDS.items():
        for element in root.iter(namespaces.bpmn(tag)):
            with problems.each():
                _check_timer(element, kind, file_name)


def _check_timer(element, kind: str, file_name: str) -> None:
    text = (element.text or "").strip()
    if not text:
        raise DefinitionError("定时器没有设置时间 (timer has no value)", file=file_name,
                              **camunda.describe(element))
    _located(sandbox().check_expression, text, element, file_name)
    _located(lambda t: validate_timer(kind, t), text, element, file_name)


def check_task_meta(compiled: Compiled, problems: Refusals) -> None:
    """Assignee/candidate expressions and due dates must compile or parse."""
    for info in compiled.processes.values():
        for element_id, meta in info.task_meta.items():
            with problems.each():
                _check_one_task(meta, info.file, element_id)


def _check_one_task(meta: dict, file_name: str, element_id: str) -> None:
    for value in [meta["assignee"], *meta["candidate_groups"], *meta["candidate_users"]]:
        if value and juel.is_juel(value):
            _check_juel(value, file_name, element_id)
    for due in (meta["due_date"], meta.get("default_due")):
        if due:
            _check_due_date(due, file_name, element_id)
    problem = threshold_error(meta.get("warnings") or {}) or ladder_error(meta.get("ladder") or {})
    if problem:
        raise DefinitionError(problem, file=file_name, element_id=element_id)


def _check_juel(text: str, file_name: str, element_id: str) -> None:
    try:
        sandbox().check_expression(juel.to_python(text))
    except ScriptError as err:
        raise DefinitionError(str(err), file=file_name, element_id=element_id) from None


def _check_due_date(text: str, file_name: str, element_id: str) -> None:
    if juel.is_juel(text):
        _check_juel(text, file_name, element_id)
        return
    from engine.timers.due_dates import parse_due_date
    try:
        parse_due_date(text, datetime.now().astimezone())
    except ScriptError as err:
        raise DefinitionError(f"dueDate {text!r} 无效：{err}", file=file_name,
                              element_id=element_id) from None


def check_references(compiled: Compiled, deployed_keys: set[str], problems: Refusals) -> None:
    decisions = set().union(*compiled.decisions_by_file.values()) if compiled.decisions_by_file else set()
    known = set(compiled.processes) | deployed_keys | set(compiled.parser.get_process_ids()) | {
        process.get("id") for root in compiled.stopped.values() for process in root.iter(namespaces.bpmn("process"))}
    calls_checked = set()  # a file with several processes is walked once
    for info in compiled.processes.values():
        root = compiled.roots[info.file]
        if info.file not in calls_checked:
            calls_checked.add(info.file)
            for call in root.iter(namespaces.bpmn("callActivity")):
                with problems.each():
                    _check_call(call, known, info.file)
        for ref in sorted(info.decision_refs):
            if ref not in decisions:
                problems.errors.append(DefinitionError(
                    f"业务规则任务引用的决策 '{ref}' 不存在：请一并部署 DMN 文件 (decision not found)",
                    file=info.file, element_id=_rule_task_id(root, ref)))


def _check_call(call, known: set[str], file_name: str) -> None:
    target = call.get("calledElement")
    if not target:
        raise DefinitionError("调用活动没有设置被调用的流程 (calledElement missing)",
                              file=file_name, **camunda.describe(call))
    if target not in known:
        raise DefinitionError(f"调用活动引用的流程 '{target}' 不存在：请一并部署它 "
                              "(called process not found)", file=file_name, **camunda.describe(call))


def _rule_task_id(root, ref: str) -> str | None:
    for task in root.iter(namespaces.bpmn("businessRuleTask")):
        if namespaces.decision_ref(task) == ref or ref in etree.tostring(task, encoding=str):
            return task.get("id")
    return None


def load_forms(compiled: Compiled, forms: dict[str, SourceDoc], warnings: list[str],
               problems: Refusals) -> dict[str, dict]:
    """Parse and check the JSON Schema of every form a user task references (each form once)."""
    schemas: dict[str, dict] = {}
    refused: set[str] = set()
    for info in compiled.processes.values():
        for element_id, meta in info.task_meta.items():
            key = meta["form_key"]
            if not key or key in schemas or key in refused:
                continue
            doc = forms.get(key)
            if doc is None:
                warnings.append(f"{info.file}: element '{element_id}': 表单 '{key}' 在 forms/ 中不存在，"
                                "该任务按通用键值数据处理 (form not found; generic key/value data)")
                continue
            refused.add(key)
            with problems.each():
                schemas[key] = parse_form(doc)
                refused.discard(key)
    return schemas


def parse_form(doc: SourceDoc) -> dict:
    try:
        schema = json.loads(doc.content)
    except json.JSONDecodeError as err:
        raise DefinitionError(f"表单不是合法 JSON：{err.msg} (invalid JSON)", file=doc.name,
                              line=err.lineno) from None
    except RecursionError:  # thousands of nested brackets: no form is built like that
        raise DefinitionError("表单嵌套层次过深 (form nested too deeply)", file=doc.name) from None
    if not isinstance(schema, dict):
        raise DefinitionError("表单必须是 JSON 对象 (form must be a JSON object)", file=doc.name)
    try:
        validator_for(schema).check_schema(schema)
    except RecursionError:
        raise DefinitionError("表单嵌套层次过深 (form nested too deeply)", file=doc.name) from None
    except SchemaError as err:
        path = "/".join(str(p) for p in err.absolute_path) or "(root)"
        raise DefinitionError(f"不是合法的 JSON Schema：{path}: {err.message} (invalid JSON Schema)",
                              file=doc.name) from None
    problem = subject_template_error(schema)
    if problem:
        raise DefinitionError(problem, file=doc.name)
    return schema


def check_decisions(compiled: Compiled, problems: Refusals) -> list[str]:
    """Required decisions resolve; every DMN input expression, input entry and output
    entry compiles in the sandbox. One error per bad decision (its first)."""
    from engine.dmn.model import validate_decisions
    decisions = compiled.parser.decisions
    warnings: list[str] = []
    for file_name in compiled.dmn_roots:
        for decision in decisions.in_file(file_name):
            with problems.each():
                decisions.check_requirements(decision.id)
                warnings.extend(validate_decisions([decision], sandbox().check_expression, file_name))
    return warnings
