"""DMN decision tables: the model, parsing and deploy-time checks.

SpiffWorkflow's own DMN support returns the first match for UNIQUE, lacks FIRST/PRIORITY,
misreads FEEL cells, addresses one decision per file and ignores required decisions.
sanfu replaces it in three modules: here `parse_dmn` reads every decision of a DMN 1.1-1.3
file into the model below and `validate_decisions` checks it at deploy time;
engine.dmn.evaluate's `DecisionSet` holds a bundle's decisions by id and evaluates one together
with its required decisions (DRG); engine.dmn.spiff's `DmnParserMixin` +
`BUSINESS_RULE_PARSER_OVERRIDE` plug it into a SpiffBpmnParser. Every cell is translated by
engine.dmn.feel and evaluated by the workflow's script engine
(`task.workflow.script_engine.evaluate`), never by Python eval.

Results: a single-hit table (UNIQUE, FIRST, PRIORITY, ANY, COLLECT with aggregation)
gives {output: value}; a multi-hit table (COLLECT, RULE ORDER, OUTPUT ORDER) gives
{output: [values in hit order]}. When no rule matches, every output is still present, as
None (single-hit) or [] (multi-hit); unlike Camunda, which sets nothing, this clears stale
values in task data and lets a gateway test `output == None` instead of failing on an
unknown name.
"""
from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from engine.dialects.namespaces import CAMUNDA_DMN_NS, DMN_NAMESPACES
from engine.dmn.feel import (
    SPIFF_INPUT_NAME,
    input_expression_to_python,
    literal_to_python,
    literal_values,
    unary_tests_to_python,
)
from engine.errors import DefinitionError, SanfuError, ScriptError

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
