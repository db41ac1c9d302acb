"""DMN decision evaluation: a bundle's decisions by id, hit policies and the DRG.

`DecisionSet.evaluate` runs a decision (parsed by engine.dmn) after its required decisions;
every cell goes through the workflow's script engine. Result shapes: see engine.dmn.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.dmn.model import HIT_POLICIES, INPUT_VAR, SINGLE_HIT, Decision, OutputClause, Rule
from engine.errors import DefinitionError, SanfuError, ScriptError


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

    def evaluate_with(self, decision_id: str, task, context: dict) -> dict:
        """Like `evaluate`, with `context` variables shadowing the task's data (what a
        lookup outside the flow adds: the process and step a deadline is for)."""
        return self.outcome(decision_id, _TaskView(task, context)).variables()

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
