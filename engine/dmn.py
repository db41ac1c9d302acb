"""DMN decision tables: parsed once, checked at deploy time, evaluated in the sandbox.

SpiffWorkflow's own DMN support returns the first match for UNIQUE, lacks FIRST/PRIORITY,
misreads FEEL cells, addresses one decision per file and ignores required decisions.
This module replaces it: `parse_dmn` reads every decision of a DMN 1.1-1.3 file,
`DecisionSet` holds a bundle's decisions by id and evaluates one together with its
required decisions (DRG), and `DmnParserMixin` + `BUSINESS_RULE_PARSER_OVERRIDE` plug it
into a SpiffBpmnParser. Every cell is translated by engine.feel and evaluated by the
workflow's script engine (`task.workflow.script_engine.evaluate`), never by Python eval.

Results: a single-hit table (UNIQUE, FIRST, PRIORITY, ANY, COLLECT with aggregation)
gives {output: value}; a multi-hit table (COLLECT, RULE ORDER, OUTPUT ORDER) gives
{output: [values in hit order]}. When no rule matches, every output is still present, as
None (single-hit) or [] (multi-hit); unlike Camunda, which sets nothing, this clears stale
values in task data and lets a gateway test `output == None` instead of failing on an
unknown name.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from engine.errors import DefinitionError, SanfuError, ScriptError
from engine.feel import (SPIFF_INPUT_NAME, input_expression_to_python, literal_to_python,
                         literal_values, unary_tests_to_python)

DMN_NAMESPACES = (
    'http://www.omg.org/spec/DMN/20151101/dmn.xsd',   # DMN 1.1 (Camunda)
    'http://www.omg.org/spec/DMN/20151101',           # DMN 1.1 as Flowable writes it
    'http://www.omg.org/spec/DMN/20180521/MODEL/',    # DMN 1.2
    'https://www.omg.org/spec/DMN/20191111/MODEL/',   # DMN 1.3
)
CAMUNDA_DMN_NS = 'http://camunda.org/schema/1.0/dmn'
VENDOR_BPMN_NS = ('http://camunda.org/schema/1.0/bpmn', 'http://activiti.org/bpmn',
                  'http://flowable.org/bpmn')
SINGLE_HIT = ('UNIQUE', 'FIRST', 'PRIORITY', 'ANY')
HIT_POLICIES = SINGLE_HIT + ('COLLECT', 'RULE ORDER', 'OUTPUT ORDER')
AGGREGATIONS = ('SUM', 'MIN', 'MAX', 'COUNT')
MAP_MODES = ('resultList', 'singleResult', 'singleEntry', 'collectEntries')
INPUT_VAR = SPIFF_INPUT_NAME  # the input value's name inside translated cells


# ---------------------------------------------------------------- model

@dataclass
class InputClause:
    id: str
    label: str
    expression: str       # as written; '' when the label names the variable (Spiff)
    python: str
    variable: str | None  # camunda:inputVariable: names the input in Python cells


@dataclass
class OutputClause:
    id: str
    name: str
    values: list          # outputValues in priority order (PRIORITY / OUTPUT ORDER)


@dataclass
class Entry:
    id: str
    text: str
    python: str | None    # None: '-' (any input)
    line: int | None = None


@dataclass
class Rule:
    id: str
    row: int
    inputs: list[Entry]
    outputs: list[Entry]


@dataclass
class DecisionTable:
    id: str
    hit_policy: str
    aggregation: str | None
    inputs: list[InputClause]
    outputs: list[OutputClause]
    rules: list[Rule]


@dataclass
class Decision:
    id: str
    name: str
    file: str | None
    table: DecisionTable | None   # None: a literal expression or other unsupported body
    required: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"'{self.name or self.id}'"


# ---------------------------------------------------------------- parsing

def parse_dmn(root: etree._Element, file_name: str | None = None) -> list[Decision]:
    """Every decision of a DMN `definitions` element; FEEL cells are translated now, so
    a malformed cell is a DefinitionError naming the rule row at deploy time."""
    namespace = etree.QName(root).namespace
    if namespace not in DMN_NAMESPACES or etree.QName(root).localname != 'definitions':
        raise DefinitionError(f"不是 DMN 1.1–1.3 文件 (根元素 {root.tag}) (not a DMN file)",
                              file=file_name)
    return [_parse_decision(el, namespace, file_name)
            for el in root.iterchildren(f'{{{namespace}}}decision')]


class _Ctx:
    """Where we are while parsing one decision: for tags and error locations."""

    def __init__(self, ns: str, file_name: str | None, decision_el):
        self.ns, self.file = ns, file_name
        self.id, self.name = decision_el.get('id'), decision_el.get('name')

    def q(self, tag: str) -> str:
        return f'{{{self.ns}}}{tag}'

    def text(self, el, tag: str = 'text') -> str:
        node = None if el is None else el.find(self.q(tag))
        return (node.text or '').strip() if node is not None else ''

    def error(self, reason: str, el=None, element_id: str | None = None) -> DefinitionError:
        """Located at `el` (its id, else `element_id`, else the decision; its line)."""
        element_id = (el.get('id') if el is not None else None) or element_id or self.id
        line = el.sourceline if el is not None else None
        return DefinitionError(reason, file=self.file, element_id=element_id,
                               element_name=self.name, line=line)


def _parse_decision(el, ns: str, file_name: str | None) -> Decision:
    ctx = _Ctx(ns, file_name, el)
    if not ctx.id:
        raise ctx.error("决策没有 id (decision without id)", el)
    required = []
    for req in el.iterfind(f"{ctx.q('informationRequirement')}/{ctx.q('requiredDecision')}"):
        ref = (req.get('href') or '').rpartition('#')[2].strip()
        if ref and ref not in required:
            required.append(ref)
    table_el = el.find(ctx.q('decisionTable'))
    table = None if table_el is None else _parse_table(table_el, ctx)
    return Decision(ctx.id, ctx.name or '', file_name, table, required)


def _parse_table(el, ctx: _Ctx) -> DecisionTable:
    inputs = [_parse_input(e, ctx) for e in el.iterchildren(ctx.q('input'))]
    outputs = [_parse_output(e, ctx) for e in el.iterchildren(ctx.q('output'))]
    rules = [_parse_rule(e, row, inputs, len(outputs), ctx)
             for row, e in enumerate(el.iterchildren(ctx.q('rule')), start=1)]
    hit_policy = ' '.join((el.get('hitPolicy') or 'UNIQUE').upper().split())
    aggregation = (el.get('aggregation') or '').strip().upper() or None
    return DecisionTable(el.get('id') or ctx.id, hit_policy, aggregation, inputs, outputs, rules)


def _parse_input(el, ctx: _Ctx) -> InputClause:
    """An input column. Without an expression, Spiff tables name the variable by label."""
    text = ctx.text(el.find(ctx.q('inputExpression')))
    label = el.get('label') or el.get('name') or text
    python = input_expression_to_python(text)
    if python is None:
        python = (el.get('name') or el.get('label') or '').strip()
        if not python.isidentifier() or keyword.iskeyword(python):
            raise ctx.error(f"输入列 '{label}' 没有输入表达式 (input has no expression)", el)
    variable = (el.get(f'{{{CAMUNDA_DMN_NS}}}inputVariable') or '').strip() or None
    return InputClause(el.get('id') or '', label or python, text, python, variable)


def _parse_output(el, ctx: _Ctx) -> OutputClause:
    name = el.get('name') or el.get('label') or el.get('id')
    if not name:
        raise ctx.error("输出列没有名称 (output has no name)", el)
    try:
        values = literal_values(ctx.text(el.find(ctx.q('outputValues'))))
    except ScriptError as err:
        raise ctx.error(f"输出列 '{name}' 的取值列表有误: {err}", el) from None
    return OutputClause(el.get('id') or '', name, values)


def _parse_rule(el, row: int, clauses: list[InputClause], n_outputs: int, ctx: _Ctx) -> Rule:
    rule_id = el.get('id') or f'{ctx.id}-row-{row}'
    in_els = list(el.iterchildren(ctx.q('inputEntry')))
    out_els = list(el.iterchildren(ctx.q('outputEntry')))
    if len(in_els) != len(clauses) or len(out_els) != n_outputs:
        raise ctx.error(f"第 {row} 行的单元格数与表头不符 (rule {row}: {len(in_els)} inputs, "
                        f"{len(out_els)} outputs; table has {len(clauses)}, {n_outputs})", el, rule_id)
    inputs = []
    for cell, clause in zip(in_els, clauses):
        text = ctx.text(cell)
        aliases = ('cellInput',) + ((clause.variable,) if clause.variable else ())
        try:
            python = unary_tests_to_python(text, INPUT_VAR, aliases)
        except ScriptError as err:
            raise ctx.error(f"第 {row} 行 (rule {row}): {err}", cell, rule_id) from None
        inputs.append(Entry(cell.get('id') or rule_id, text, python, cell.sourceline))
    outputs = [Entry(c.get('id') or rule_id, ctx.text(c), literal_to_python(ctx.text(c)),
                     c.sourceline) for c in out_els]
    return Rule(rule_id, row, inputs, outputs)


# ---------------------------------------------------------------- deploy-time checks

def validate_decisions(decisions: list[Decision], check_expression: Callable[[str], None],
                       file_name: str | None) -> list[str]:
    """Compile every expression of `decisions` with the sandbox's static check.

    Raises DefinitionError on the first refusal (naming the rule row and cell id) or on
    a table the evaluator cannot run; returns warnings for what runs but looks doubtful.
    """
    warnings = []
    for decision in decisions:
        table = _check_table_shape(decision, file_name)
        for clause in table.inputs:
            if not clause.expression:
                warnings.append(f"{file_name}: 决策 {decision.label} 的输入列 '{clause.label}' "
                                f"没有表达式, 以变量 {clause.python} 作为输入 (input uses its label)")
            _check(check_expression, clause.python, decision, file_name, clause.id,
                   f"输入列 '{clause.label}' 的表达式 {clause.expression!r}")
        for rule in table.rules:
            for entry in rule.inputs + rule.outputs:
                if entry.python is not None:
                    _check(check_expression, entry.python, decision, file_name, entry.id,
                           f"第 {rule.row} 行 (rule {rule.row}) 的单元格 {entry.text!r}", entry.line)
        if not table.rules:
            warnings.append(f"{file_name}: 决策 {decision.label} 没有规则 (decision has no rules)")
    return warnings


def _check_table_shape(decision: Decision, file_name: str | None) -> DecisionTable:
    """The structural problems evaluation would only find at run time."""
    def refuse(reason: str):
        raise DefinitionError(reason, file=file_name, element_id=decision.id,
                              element_name=decision.name or None)
    table = decision.table
    if table is None:
        refuse("只支持决策表形式的决策 (only decision tables are supported)")
    if table.hit_policy not in HIT_POLICIES:
        refuse(f"不支持的命中策略 {table.hit_policy!r} (unsupported hit policy)")
    if table.aggregation and (table.aggregation not in AGGREGATIONS
                              or table.hit_policy != 'COLLECT' or len(table.outputs) != 1):
        refuse(f"聚合 {table.aggregation!r} 只能用于单输出的 COLLECT 表, 且须为 "
               f"SUM/MIN/MAX/COUNT (aggregation needs COLLECT with one output)")
    if table.hit_policy in ('PRIORITY', 'OUTPUT ORDER') and not any(o.values for o in table.outputs):
        refuse(f"{table.hit_policy} 需要输出列的取值列表 (outputValues) 定义优先级 "
               "(priority needs output values)")
    if not table.outputs:
        refuse("决策表没有输出列 (decision table has no output)")
    return table


def _check(check_expression, python: str, decision: Decision, file_name, element_id, what,
           line: int | None = None):
    try:
        check_expression(python)
    except Exception as err:  # the sandbox's ScriptError, or a SyntaxError
        detail = err.message if isinstance(err, SanfuError) else str(err)
        raise DefinitionError(f"决策 {decision.label} {what} 不被允许: {detail}", file=file_name,
                              element_id=element_id or decision.id,
                              element_name=decision.name or None, line=line) from None


# ---------------------------------------------------------------- evaluation

@dataclass
class DecisionResult:
    """The rules a decision selected (after its hit policy) and their output dicts."""
    decision: Decision
    entries: list[dict]
    rows: list[int]

    @property
    def single(self) -> bool:
        table = self.decision.table
        return table.hit_policy in SINGLE_HIT or bool(table.aggregation)

    def variables(self) -> dict:
        """{output: value} (single-hit) or {output: [values]}; see the module docstring."""
        names = [o.name for o in self.decision.table.outputs]
        if self.single:
            return dict(self.entries[0]) if self.entries else dict.fromkeys(names)
        return {name: [entry[name] for entry in self.entries] for name in names}

    def mapped(self, mode: str) -> object:
        """Camunda's camunda:mapDecisionResult applied to this result."""
        label = f"决策 {self.decision.label} 的结果"
        if mode == 'resultList':
            return [dict(e) for e in self.entries]
        if mode == 'collectEntries' or (mode == 'singleEntry' and self.entries):
            if len(self.decision.table.outputs) != 1:
                raise ScriptError(f"{label}有多个输出列, 不能用 {mode} (more than one output)")
        if mode == 'collectEntries':
            return [next(iter(e.values())) for e in self.entries]
        if len(self.entries) > 1:
            raise ScriptError(f"{label}有 {len(self.entries)} 条 (rows {_rows(self.rows)}), "
                              f"不能用 {mode} (more than one result)")
        if not self.entries:
            return None
        entry = dict(self.entries[0])
        return entry if mode == 'singleResult' else next(iter(entry.values()))


class DecisionSet:
    """The decisions of one bundle by id (from any number of DMN files); evaluation."""

    def __init__(self):
        self._by_id: dict[str, Decision] = {}

    def add(self, decisions: list[Decision], file_name: str | None = None) -> None:
        """Add a file's decisions; the same id in two different files is refused."""
        for decision in decisions:
            old = self._by_id.get(decision.id)
            if old is not None and old.file != decision.file:
                raise DefinitionError(f"决策 id '{decision.id}' 重复定义, 另见 {old.file} "
                                      "(duplicate decision id)", file=file_name,
                                      element_id=decision.id, element_name=decision.name or None)
            self._by_id[decision.id] = decision

    def __contains__(self, decision_id: str) -> bool:
        return decision_id in self._by_id

    def get(self, decision_id: str) -> Decision | None:
        return self._by_id.get(decision_id)

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def in_file(self, file_name: str) -> list[Decision]:
        return [d for d in self._by_id.values() if d.file == file_name]

    def check_requirements(self, decision_id: str | None = None, chain: tuple = ()) -> None:
        """DefinitionError when a required decision is missing or the DRG has a cycle;
        checks every decision when no id is given (deploy time, once all files are in)."""
        if decision_id is None:
            for each in self.ids():
                self.check_requirements(each)
            return
        decision = self._by_id[decision_id]
        for ref in decision.required:
            if ref in chain + (decision_id,):
                raise DefinitionError(f"决策依赖成环: {' → '.join(chain + (decision_id, ref))} "
                                      "(cyclic required decisions)", file=decision.file,
                                      element_id=decision.id)
            if ref not in self._by_id:
                raise DefinitionError(f"决策 {decision.label} 依赖的决策 '{ref}' 不存在 "
                                      "(required decision not found)", file=decision.file,
                                      element_id=decision.id, element_name=decision.name or None)
            self.check_requirements(ref, chain + (decision_id,))

    def evaluate(self, decision_id: str, task) -> dict:
        """The decision's result dict (see DecisionResult.variables)."""
        return self.outcome(decision_id, task).variables()

    def outcome(self, decision_id: str, task) -> DecisionResult:
        """Evaluate the decision after its required decisions (each once per call)."""
        if decision_id not in self._by_id:
            raise ScriptError(f"决策 '{decision_id}' 不存在 (decision not found)")
        return self._evaluate(self._by_id[decision_id], task, {}, {})

    def _evaluate(self, decision: Decision, task, context: dict, done: dict) -> DecisionResult:
        """Required decisions' outputs become variables: by output name, and the whole
        result dict under the decision id (an output of the same name wins)."""
        for ref in decision.required:
            if ref not in done:
                required = self._by_id.get(ref)
                if required is None:
                    raise ScriptError(f"决策 {decision.label} 依赖的决策 '{ref}' 不存在")
                done[ref] = None  # marks "in progress": a cycle ends at the check below
                done[ref] = self._evaluate(required, task, context, done)
            if done[ref] is None:
                raise ScriptError(f"决策依赖成环: '{decision.id}' → '{ref}'")
            variables = done[ref].variables()
            if ref.isidentifier():
                context[ref] = variables
            context.update(variables)
        return _evaluate_table(decision, _TaskView(task, context) if context else task)


def _evaluate_table(decision: Decision, task) -> DecisionResult:
    table = decision.table
    if table is None or table.hit_policy not in HIT_POLICIES:
        raise ScriptError(f"决策 {decision.label} 无法执行: 只支持 {'/'.join(HIT_POLICIES)} 决策表")
    values = [_run(task, c.python, {}, f"决策 {decision.label} 输入列 '{c.label}'")
              for c in table.inputs]
    matched = [rule for rule in table.rules
               if _matches(decision, rule, values, task)]
    entries = [{clause.name: _run(task, entry.python, {},
                                  f"决策 {decision.label} 第 {rule.row} 行的输出 {entry.text!r}")
                for clause, entry in zip(table.outputs, rule.outputs)} for rule in matched]
    return _apply_hit_policy(decision, matched, entries)


def _matches(decision: Decision, rule: Rule, values: list, task) -> bool:
    for entry, value in zip(rule.inputs, values):
        if entry.python is None:
            continue
        where = f"决策 {decision.label} 第 {rule.row} 行的条件 {entry.text!r}"
        if not _run(task, entry.python, {INPUT_VAR: value}, where):
            return False
    return True


def _run(task, python: str, scope: dict, where: str):
    """Evaluate through the workflow's (sandboxed) script engine; errors say where."""
    try:
        return task.workflow.script_engine.evaluate(task, python, external_context=scope)
    except Exception as err:
        raise ScriptError(f"{where}: {_describe(err)}") from err


def _describe(err: Exception) -> str:
    """One line: our own ScriptError wherever it sits in the chain (the sandbox engine
    wraps it in Spiff's WorkflowTaskException), else the message and its cause."""
    for candidate in (err, err.__cause__, err.__context__):
        if isinstance(candidate, SanfuError):
            return candidate.message
    text = str(err.args[0]) if err.args else type(err).__name__
    cause = err.__cause__ or err.__context__
    return f"{text} ({type(cause).__name__}: {cause})" if cause is not None else text


class _TaskView:
    """The task as cells of a dependent decision see it: required decisions' outputs
    shadow task data of the same name (script engines let task data win over the
    external context, but in a DRG the freshly decided value must win, as in Camunda)."""

    def __init__(self, task, context: dict):
        self._task, self.data = task, {**task.data, **context}

    def __getattr__(self, name: str):
        return getattr(self._task, name)


def _apply_hit_policy(decision: Decision, rules: list[Rule], entries: list[dict]):
    table, policy = decision.table, decision.table.hit_policy
    rows = [rule.row for rule in rules]
    if policy == 'UNIQUE' and len(rules) > 1:
        raise ScriptError(f"决策表 {decision.label} 命中多条规则 (UNIQUE): rows {_rows(rows)}")
    if policy == 'ANY' and any(entry != entries[0] for entry in entries):
        raise ScriptError(f"决策表 {decision.label} 命中的规则输出不一致 (ANY): rows {_rows(rows)}")
    if policy in ('PRIORITY', 'OUTPUT ORDER'):
        order = sorted(range(len(entries)), key=lambda i: _priority(table.outputs, entries[i]))
        rows, entries = [rows[i] for i in order], [entries[i] for i in order]
    if policy in SINGLE_HIT:
        rows, entries = rows[:1], entries[:1]
    elif table.aggregation:
        entries = _aggregate(decision, entries)
    return DecisionResult(decision, entries, rows)


def _priority(outputs: list[OutputClause], entry: dict) -> tuple:
    """Lower sorts first: position in each output's value list (unlisted values last)."""
    return tuple(o.values.index(entry[o.name]) if entry[o.name] in o.values else len(o.values)
                 for o in outputs if o.values)


def _aggregate(decision: Decision, entries: list[dict]) -> list[dict]:
    """COLLECT with SUM/MIN/MAX/COUNT over the non-null values (as Camunda, not distinct)."""
    name, how = decision.table.outputs[0].name, decision.table.aggregation
    values = [entry[name] for entry in entries if entry[name] is not None]
    if how == 'COUNT':
        return [{name: len(values)}]
    if not values:
        return []
    try:
        return [{name: {'SUM': sum, 'MIN': min, 'MAX': max}[how](values)}]
    except (TypeError, KeyError) as err:
        raise ScriptError(f"决策表 {decision.label} 无法对 {values!r} 做 {how} 聚合: {err}") from None


def _rows(rows: list[int]) -> str:
    return ', '.join(str(r) for r in rows)


# ---------------------------------------------------------------- SpiffWorkflow integration

class BusinessRuleDefinitionError(DefinitionError, ValidationException):
    """A DefinitionError raised while Spiff parses a businessRuleTask.

    SpiffWorkflow's TaskParser re-wraps every exception except ValidationException into a
    ValidationException whose message is the repr; being both keeps our message intact.
    """

    def __init__(self, reason: str, **where):
        DefinitionError.__init__(self, reason, **where)
        self.id, self.name = self.element_id or '', self.element_name or ''
        self.file_name = self.file or ''


class DecisionEngine:
    """What a business rule task holds instead of Spiff's DMNEngine: `result(task)`."""

    def __init__(self, decisions: DecisionSet, decision_id: str):
        self.decisions, self.decision_id = decisions, decision_id

    def result(self, task) -> dict:
        return self.decisions.evaluate(self.decision_id, task)

    def outcome(self, task) -> DecisionResult:
        return self.decisions.outcome(self.decision_id, task)


class DmnParserMixin:
    """For `class SanfuParser(DmnParserMixin, SpiffBpmnParser)`: decisions by id from any
    decision of any added DMN file, evaluated by this module instead of Spiff's DMNEngine."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = DecisionSet()

    def add_dmn_xml(self, node, filename=None):
        """Parse (and keep) every decision of the file; errors are DefinitionError."""
        self.decisions.add(parse_dmn(node, filename), filename)

    def get_engine(self, decision_ref, node):
        """Called while a businessRuleTask is parsed: resolve its decision (and DRG)."""
        where = {'element_id': node.get('id'), 'element_name': node.get('name')}
        if not decision_ref:
            raise DefinitionError("业务规则任务没有引用决策: 请设置 camunda:decisionRef 或 "
                                  "spiffworkflow:calledDecisionId (no decision reference)", **where)
        if decision_ref not in self.decisions:
            known = ', '.join(self.decisions.ids()) or '无'
            raise DefinitionError(f"业务规则任务引用的决策 '{decision_ref}' 不存在, 已部署的决策: "
                                  f"{known} (decision not found)", **where)
        self.decisions.check_requirements(decision_ref)
        return DecisionEngine(self.decisions, decision_ref)

    def _find_dependencies(self, process):
        super()._find_dependencies(process)
        self.dmn_dependencies.discard(None)  # a task without a reference is reported above


class SanfuBusinessRuleTask(BusinessRuleTaskMixin, SpiffBpmnTask):
    """A business rule task: merges the decision's variables into task data, or, with a
    camunda:resultVariable, stores the result there mapped as camunda:mapDecisionResult."""

    def __init__(self, wf_spec, name, dmnEngine, result_variable=None,
                 map_decision_result=None, **kwargs):
        super().__init__(wf_spec, name, dmnEngine, **kwargs)
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result or 'resultList'

    def _run_hook(self, my_task):
        """Spiff's version wraps our ScriptError into a WorkflowTaskException and
        DeepMerges lists item by item; here errors stay ours and outputs replace."""
        try:
            outcome = self.dmnEngine.outcome(my_task)
            if self.result_variable:
                my_task.data[self.result_variable] = outcome.mapped(self.map_decision_result)
            else:
                my_task.data.update(outcome.variables())
        except ScriptError as err:
            raise ScriptError(f"业务规则任务 '{self.bpmn_name or self.bpmn_id}': {err}") from err
        return super(BusinessRuleTaskMixin, self)._run_hook(my_task)


class SanfuBusinessRuleTaskParser(SpiffTaskParser):
    """Reads the decision reference from spiffworkflow:calledDecisionId or the Camunda
    (Activiti/Flowable) attributes decisionRef, resultVariable, mapDecisionResult."""

    def create_task(self):
        try:
            mode = _vendor_attr(self.node, 'mapDecisionResult')
            if mode is not None and mode not in MAP_MODES:
                raise DefinitionError(f"mapDecisionResult {mode!r} 无效, 应为 "
                                      f"{'/'.join(MAP_MODES)} (invalid mapDecisionResult)",
                                      element_id=self.bpmn_id, element_name=self.node.get('name'))
            engine = self.process_parser.parser.get_engine(self.get_decision_ref(self.node),
                                                           self.node)
        except DefinitionError as err:
            raise BusinessRuleDefinitionError(
                err.reason, file=err.file or self.filename, element_id=err.element_id,
                element_name=err.element_name) from None
        extensions = self.parse_extensions()
        return self.spec_class(
            self.spec, self.bpmn_id, dmnEngine=engine,
            result_variable=_vendor_attr(self.node, 'resultVariable'), map_decision_result=mode,
            prescript=extensions.get('preScript'), postscript=extensions.get('postScript'),
            **self.bpmn_attributes)

    @staticmethod
    def get_decision_ref(node) -> str | None:
        ref = SpiffTaskParser._parse_extensions(node).get('calledDecisionId')
        return (ref or '').strip() or _vendor_attr(node, 'decisionRef')


def _vendor_attr(node, name: str) -> str | None:
    for namespace in VENDOR_BPMN_NS:
        value = (node.get(f'{{{namespace}}}{name}') or '').strip()
        if value:
            return value
    return None


BUSINESS_RULE_PARSER_OVERRIDE = {
    full_tag('businessRuleTask'): (SanfuBusinessRuleTaskParser, SanfuBusinessRuleTask),
}
