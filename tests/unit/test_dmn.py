"""DMN decision tables (engine.dmn): corpus files, hit policies, DRG, deploy checks, and a
businessRuleTask run through SpiffWorkflow.

Decisions are evaluated through the engine's Sandbox when it is importable, else through a
tiny stand-in backed by `eval` (test only); likewise the end-to-end tests use the engine's
SandboxScriptEngine when it exists, else SpiffWorkflow's PythonScriptEngine.
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.dmn.evaluate import DecisionSet
from engine.dmn.model import parse_dmn, validate_decisions
from engine.dmn.spiff import BUSINESS_RULE_PARSER_OVERRIDE, DmnParserMixin
from engine.errors import DefinitionError, ScriptError

CORPUS = Path('/work/shared/bpmn-corpus')
DMN11 = 'http://www.omg.org/spec/DMN/20151101/dmn.xsd'
DMN12 = 'http://www.omg.org/spec/DMN/20180521/MODEL/'
DMN13 = 'https://www.omg.org/spec/DMN/20191111/MODEL/'


try:
    from engine.sandbox.interpreter import Sandbox
    SANDBOX = Sandbox()
except ImportError:  # written in parallel by another helper
    SANDBOX = None


class FakeScriptEngine:
    """The script engine's evaluate(): task data plus the external context."""

    def evaluate(self, task, expression, external_context=None):
        names = {**task.data, **(external_context or {})}
        if SANDBOX is not None:
            return SANDBOX.evaluate(expression, names)
        return eval(expression, {'__builtins__': {'len': len}}, names)


class FakeTask:
    def __init__(self, **data):
        self.data = data
        self.workflow = type('Workflow', (), {'script_engine': FakeScriptEngine()})()


def decisions_from(*sources) -> DecisionSet:
    """A DecisionSet from DMN file paths or inline XML strings."""
    found = DecisionSet()
    for i, source in enumerate(sources):
        if isinstance(source, Path):
            root, name = etree.parse(str(source)).getroot(), source.name
        else:
            root, name = etree.fromstring(source.encode()), f'inline{i}.dmn'
        found.add(parse_dmn(root, name), name)
    return found


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
            pytest.fail(f'CI=true but the BPMN/DMN corpus is missing: {path}')
        pytest.skip(f'BPMN/DMN corpus not available: {path} is missing')
    return path


# ---------------------------------------------------------------- inline DMN builders

def table(decision_id, rules, *, hit='UNIQUE', inputs=('x',), outputs=('y',), aggregation=None,
          output_values=None, requires=(), name=None) -> str:
    """One <decision> with a decision table; rules are (input cells, output cells)."""
    agg = f' aggregation="{aggregation}"' if aggregation else ''
    reqs = ''.join(f'<informationRequirement><requiredDecision href="#{r}"/>'
                   f'</informationRequirement>' for r in requires)
    ins = ''.join(f'<input id="{decision_id}_in{i}" label="{e}"><inputExpression typeRef="string">'
                  f'<text>{e}</text></inputExpression></input>' for i, e in enumerate(inputs))
    values = f'<outputValues><text>{output_values}</text></outputValues>' if output_values else ''
    outs = ''.join(f'<output id="{decision_id}_out{i}" name="{o}">{values}</output>'
                   for i, o in enumerate(outputs))
    body = ''.join(
        f'<rule id="{decision_id}_r{row}">'
        + ''.join(f'<inputEntry id="{decision_id}_r{row}_i{i}"><text>{_xml(c)}</text></inputEntry>'
                  for i, c in enumerate(cells_in))
        + ''.join(f'<outputEntry id="{decision_id}_r{row}_o{i}"><text>{_xml(c)}</text></outputEntry>'
                  for i, c in enumerate(cells_out))
        + '</rule>' for row, (cells_in, cells_out) in enumerate(rules, start=1))
    return (f'<decision id="{decision_id}" name="{name or decision_id}">{reqs}'
            f'<decisionTable id="{decision_id}_t" hitPolicy="{hit}"{agg}>{ins}{outs}{body}'
            f'</decisionTable></decision>')


def dmn(*decisions, ns=DMN13) -> str:
    return f'<definitions xmlns="{ns}" id="defs" name="d" namespace="x">{"".join(decisions)}</definitions>'


def _xml(text: str) -> str:
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def evaluate(xml: str, decision_id: str, **data) -> dict:
    return decisions_from(xml).evaluate(decision_id, FakeTask(**data))


# ---------------------------------------------------------------- corpus files

@pytest.mark.parametrize('amount, category, classification, approvers', [
    (100, 'Misc', 'day-to-day expense', ['accounting', 'sales']),
    (250, 'Misc', 'budget', ['management']),
    (1000, 'Misc', 'budget', ['management']),
    (1000.5, 'Misc', 'exceptional', ['management']),
    (5000, 'Travel Expenses', 'day-to-day expense', ['accounting', 'sales']),
    (5, 'Software License Costs', 'budget', ['management']),
    (5, 'Other', None, []),
])
def test_camunda_invoice_collect_with_required_decision(amount, category, classification, approvers):
    found = decisions_from(corpus_file('camunda-bpm-platform/invoiceBusinessDecisions.dmn'))
    task = FakeTask(amount=amount, invoiceCategory=category)
    assert found.evaluate('invoiceClassification', task) == {'invoiceClassification': classification}
    assert found.evaluate('invoice-assign-approver', task) == {'result': approvers}
    outcome = found.outcome('invoice-assign-approver', task)
    assert outcome.mapped('collectEntries') == approvers
    assert outcome.mapped('resultList') == [{'result': a} for a in approvers]


def test_required_decision_output_shadows_stale_task_data():
    found = decisions_from(corpus_file('camunda-bpm-platform/invoiceBusinessDecisions.dmn'))
    task = FakeTask(amount=100, invoiceCategory='Misc', invoiceClassification='exceptional')
    assert found.evaluate('invoice-assign-approver', task) == {'result': ['accounting', 'sales']}
    assert task.data['invoiceClassification'] == 'exceptional'  # evaluation never writes


@pytest.mark.parametrize('season, guests, children, beverages', [
    ('Fall', 8, False, ['Aecht Schlenkerla Rauchbier', 'Water']),
    ('Winter', 4, True, ['Bordeaux', 'Apple Juice', 'Water']),
    ('Spring', 14, False, ['Guiness', 'Water']),
    ('Spring', 3, False, ['Pinot Noir', 'Water']),
    ('Spring', 6, False, ['Pinot Noir', 'Water']),
    ('Summer', 20, True, ['Pinot Noir', 'Apple Juice', 'Water']),
])
def test_camunda_dinner_drg(season, guests, children, beverages):
    found = decisions_from(corpus_file('camunda-bpm-examples/dinnerDecisions.dmn'))
    task = FakeTask(season=season, guestCount=guests, guestsWithChildren=children)
    assert found.evaluate('beverages', task) == {'beverages': beverages}
    assert task.data == {'season': season, 'guestCount': guests, 'guestsWithChildren': children}


@pytest.mark.parametrize('value, expected', [(1, 'result1'), (3, 'result2'), (99, 'result2'),
                                             (2, None)])
def test_flowable_first_hit_with_double_equals(value, expected):
    found = decisions_from(corpus_file('flowable-engine/simple.dmn'))
    assert found.evaluate('decision1', FakeTask(inputVariable1=value)) == {'outputVariable1': expected}


@pytest.mark.parametrize('x, y', [(3, 'A'), (4, 'B'), (5, 'C'), (6, 'D'), (100, 'D'), (2, None)])
def test_spiff_table_whose_input_is_named_by_its_label(x, y):
    found = decisions_from(corpus_file('spiffworkflow/test_integer_decision.dmn'))
    assert found.evaluate('IntegerDecisionStringOutputTable', FakeTask(x=x)) == {'y': y}


def test_corpus_files_pass_deploy_checks():
    for relative in ['camunda-bpm-platform/invoiceBusinessDecisions.dmn',
                     'camunda-bpm-examples/dinnerDecisions.dmn', 'flowable-engine/simple.dmn',
                     'spiffworkflow/test_integer_decision.dmn']:
        path = corpus_file(relative)
        decisions = parse_dmn(etree.parse(str(path)).getroot(), path.name)
        check = SANDBOX.check_expression if SANDBOX is not None else strict_check
        warnings = validate_decisions(decisions, check, path.name)
        assert all('label' in w for w in warnings), warnings


# ---------------------------------------------------------------- hit policies

def test_unique_violation_names_the_rows():
    xml = dmn(table('d', [(['< 0'], ['"neg"']), (['>= 0'], ['"a"']), (['> 5'], ['"b"']),
                          (['[1..10]'], ['"c"'])], name='额度'))
    with pytest.raises(ScriptError, match=r"决策表 '额度' 命中多条规则 \(UNIQUE\): rows 2, 4"):
        evaluate(xml, 'd', x=3)
    assert evaluate(xml, 'd', x=-1) == {'y': 'neg'}
    with pytest.raises(ScriptError, match='rows 2, 3, 4'):
        evaluate(xml, 'd', x=7)


def test_first_takes_the_first_matching_row():
    xml = dmn(table('d', [(['> 10'], ['"big"']), (['> 0'], ['"positive"']), (['-'], ['"any"'])],
                    hit='FIRST'))
    assert [evaluate(xml, 'd', x=v)['y'] for v in (50, 5, -5)] == ['big', 'positive', 'any']


def test_priority_uses_output_values_order():
    xml = dmn(table('d', [(['> 0'], ['"low"']), (['> 10'], ['"high"']), (['> 5'], ['"medium"'])],
                    hit='PRIORITY', output_values='"high","medium","low"'))
    assert evaluate(xml, 'd', x=20) == {'y': 'high'}
    assert evaluate(xml, 'd', x=7) == {'y': 'medium'}
    assert evaluate(xml, 'd', x=1) == {'y': 'low'}
    assert evaluate(xml, 'd', x=-1) == {'y': None}


def test_output_order_sorts_all_hits_by_priority():
    xml = dmn(table('d', [(['> 0'], ['"low"']), (['> 10'], ['"high"']), (['> 5'], ['"medium"'])],
                    hit='OUTPUT ORDER', output_values='"high","medium","low"'))
    assert evaluate(xml, 'd', x=20) == {'y': ['high', 'medium', 'low']}


def test_any_requires_agreeing_outputs():
    agree = dmn(table('d', [(['> 0'], ['"ok"']), (['> 5'], ['"ok"']), (['< 0'], ['"no"'])],
                      hit='ANY'))
    assert evaluate(agree, 'd', x=9) == {'y': 'ok'}
    disagree = dmn(table('d', [(['> 0'], ['"ok"']), (['> 5'], ['"other"'])], hit='ANY'))
    with pytest.raises(ScriptError, match=r'\(ANY\): rows 1, 2'):
        evaluate(disagree, 'd', x=9)


def test_rule_order_lists_hits_in_row_order():
    xml = dmn(table('d', [(['> 5'], ['"b"']), (['-'], ['"a"']), (['< 0'], ['"c"'])],
                    hit='RULE ORDER'))
    assert evaluate(xml, 'd', x=9) == {'y': ['b', 'a']}
    assert evaluate(xml, 'd', x=1) == {'y': ['a']}


@pytest.mark.parametrize('aggregation, hit, miss', [('SUM', 30, None), ('MIN', 10, None),
                                                    ('MAX', 20, None), ('COUNT', 2, 0)])
def test_collect_aggregations(aggregation, hit, miss):
    xml = dmn(table('d', [(['> 0'], ['10']), (['> 5'], ['20']), (['> 100'], ['null'])],
                    hit='COLLECT', aggregation=aggregation))
    assert evaluate(xml, 'd', x=9) == {'y': hit}
    assert evaluate(xml, 'd', x=-1) == {'y': miss}


def test_multiple_inputs_and_outputs():
    xml = dmn(table('d', [(['"水","气"', '>= 3'], ['"高"', '1']),
                          (['not("水","气")', '-'], ['"低"', '2'])],
                    inputs=('kind', 'level'), outputs=('risk', 'code')))
    assert evaluate(xml, 'd', kind='水', level=4) == {'risk': '高', 'code': 1}
    assert evaluate(xml, 'd', kind='土', level=0) == {'risk': '低', 'code': 2}
    assert evaluate(xml, 'd', kind='气', level=1) == {'risk': None, 'code': None}


def test_camunda_input_variable_and_spiff_question_mark_cells():
    xml = dmn(table('d', [(['? > 3'], ['"q"']), (['cellInput < -3'], ['"c"'])], hit='FIRST'))
    assert evaluate(xml, 'd', x=5) == {'y': 'q'}
    assert evaluate(xml, 'd', x=-5) == {'y': 'c'}


def test_output_expressions_read_task_data():
    xml = dmn(table('d', [(['-'], ['amount * 2'])], inputs=('amount',)))
    assert evaluate(xml, 'd', amount=21) == {'y': 42}


# ---------------------------------------------------------------- files, DRG, errors

@pytest.mark.parametrize('ns', [DMN11, DMN12, DMN13])
def test_several_decisions_in_one_file_each_addressable(ns):
    xml = dmn(table('first', [(['> 0'], ['"p"'])]), table('second', [(['> 0'], ['"q"'])]), ns=ns)
    found = decisions_from(xml)
    assert found.ids() == ['first', 'second']
    assert found.evaluate('second', FakeTask(x=1)) == {'y': 'q'}
    assert [d.id for d in found.in_file('inline0.dmn')] == ['first', 'second']


def test_required_decision_in_another_file_and_by_decision_id():
    base = dmn(table('grade', [(['>= 90'], ['"A"']), (['< 90'], ['"B"'])], inputs=('score',),
                     outputs=('grade_letter',)))
    top = dmn(table('bonus', [(['"A"'], ['100']), (['-'], ['grade["grade_letter"] + "?"'])],
                    inputs=('grade_letter',), outputs=('bonus',), hit='FIRST', requires=['grade']))
    found = decisions_from(base, top)
    found.check_requirements('bonus')
    assert found.evaluate('bonus', FakeTask(score=95)) == {'bonus': 100}
    assert found.evaluate('bonus', FakeTask(score=10)) == {'bonus': 'B?'}


def test_missing_and_cyclic_requirements_are_definition_errors():
    missing = decisions_from(dmn(table('a', [(['-'], ['1'])], requires=['nowhere'])))
    with pytest.raises(DefinitionError, match='nowhere'):
        missing.check_requirements('a')
    cyclic = decisions_from(dmn(table('a', [(['-'], ['1'])], requires=['b']),
                                table('b', [(['-'], ['1'])], requires=['a'])))
    with pytest.raises(DefinitionError, match='a → b → a'):
        cyclic.check_requirements('a')
    with pytest.raises(ScriptError, match='成环'):
        cyclic.evaluate('a', FakeTask(x=1))


def test_duplicate_decision_id_across_files():
    with pytest.raises(DefinitionError, match="决策 id 'a' 重复定义"):
        decisions_from(dmn(table('a', [])), dmn(table('a', [])))


def test_bad_cell_is_a_definition_error_with_row_and_cell_id():
    with pytest.raises(DefinitionError) as info:
        decisions_from(dmn(table('d', [(['1'], ['1']), (['[1..5'], ['2'])])))
    assert info.value.element_id == 'd_r2_i0' and '第 2 行' in info.value.reason


def test_wrong_cell_count_and_not_dmn():
    with pytest.raises(DefinitionError, match='单元格数'):
        decisions_from(dmn(table('d', [(['1', '2'], ['1'])])))
    with pytest.raises(DefinitionError, match='不是 DMN'):
        parse_dmn(etree.fromstring('<definitions xmlns="urn:other"/>'), 'x.dmn')


def test_runtime_errors_say_which_decision_and_column():
    xml = dmn(table('d', [(['> 1'], ['1'])], name='审批'))
    with pytest.raises(ScriptError, match="决策 '审批' 输入列 'x': .*'x'"):
        evaluate(xml, 'd')  # x is not in the task data
    with pytest.raises(ScriptError, match="决策 '审批' 第 1 行的条件 '> 1': "):
        evaluate(xml, 'd', x='text')  # a string cannot be ordered against a number


# ---------------------------------------------------------------- deploy-time validation

def strict_check(src: str) -> None:
    """A stand-in for the sandbox's static check: no calls, no attribute access."""
    for node in ast.walk(ast.parse(src, mode='eval')):
        if isinstance(node, (ast.Call, ast.Attribute)):
            raise ScriptError(f'{type(node).__name__} 不被允许')


def test_validation_refuses_a_cell_with_its_row_and_id():
    decisions = parse_dmn(etree.fromstring(dmn(table(
        'd', [(['> 1'], ['"ok"']), (['len(?) > 2'], ['"long"'])])).encode()), 'f.dmn')
    with pytest.raises(DefinitionError) as info:
        validate_decisions(decisions, strict_check, 'f.dmn')
    err = info.value
    assert (err.file, err.element_id) == ('f.dmn', 'd_r2_i0')
    assert '第 2 行' in err.reason and 'Call' in err.reason


def test_validation_refuses_an_output_and_an_input_expression():
    out = parse_dmn(etree.fromstring(dmn(table('d', [(['-'], ['x.upper()'])])).encode()))
    with pytest.raises(DefinitionError, match='d_r1_o0'):
        validate_decisions(out, strict_check, 'f.dmn')
    expr = parse_dmn(etree.fromstring(dmn(table('d', [(['-'], ['1'])], inputs=('len(x)',))).encode()))
    with pytest.raises(DefinitionError, match="输入列 'len\\(x\\)'"):
        validate_decisions(expr, strict_check, 'f.dmn')


@pytest.mark.parametrize('kwargs, reason', [
    ({'hit': 'SOMETIMES'}, '不支持的命中策略'),
    ({'hit': 'FIRST', 'aggregation': 'SUM'}, '聚合'),
    ({'hit': 'COLLECT', 'aggregation': 'AVG'}, '聚合'),
    ({'hit': 'PRIORITY'}, 'outputValues'),
])
def test_validation_refuses_tables_it_cannot_run(kwargs, reason):
    decisions = parse_dmn(etree.fromstring(dmn(table('d', [(['-'], ['1'])], **kwargs)).encode()))
    with pytest.raises(DefinitionError, match=reason):
        validate_decisions(decisions, strict_check, 'f.dmn')


def test_validation_warns_about_an_empty_table():
    decisions = parse_dmn(etree.fromstring(dmn(table('d', [])).encode()))
    assert any('没有规则' in w for w in validate_decisions(decisions, strict_check, 'f.dmn'))


def test_result_mapping_modes():
    found = decisions_from(dmn(table('d', [(['> 0'], ['"a"']), (['> 5'], ['"b"'])],
                                     hit='RULE ORDER')))
    one, two = (found.outcome('d', FakeTask(x=v)) for v in (1, 9))
    assert one.mapped('singleEntry') == 'a' and one.mapped('singleResult') == {'y': 'a'}
    assert two.mapped('collectEntries') == ['a', 'b']
    with pytest.raises(ScriptError, match='rows 1, 2'):
        two.mapped('singleEntry')
    assert found.outcome('d', FakeTask(x=0)).mapped('singleEntry') is None


# ---------------------------------------------------------------- through SpiffWorkflow

class RuleParser(DmnParserMixin, SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
                               **BUSINESS_RULE_PARSER_OVERRIDE}


def workflow_script_engine():
    try:
        from engine.sandbox.expressions import script_engine
        return script_engine()
    except ImportError:  # the sandbox is written in parallel; Spiff's engine stands in
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
        return PythonScriptEngine()


def process(task_attrs: str, extension: str = '') -> str:
    return f'''<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
      xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="t">
      <process id="p" isExecutable="true">
        <startEvent id="start"/>
        <sequenceFlow id="f1" sourceRef="start" targetRef="rule"/>
        <businessRuleTask id="rule" name="定级" {task_attrs}>{extension}</businessRuleTask>
        <sequenceFlow id="f2" sourceRef="rule" targetRef="end"/>
        <endEvent id="end"/>
      </process></definitions>'''


LEVELS = dmn(table('level', [(['< 100'], ['"低"']), (['[100..1000]'], ['"中"']), (['> 1000'], ['"高"'])],
                   inputs=('amount',), outputs=('level',)))


def run(bpmn: str, *dmn_sources, **data) -> dict:
    parser = RuleParser()
    parser.add_bpmn_xml(etree.fromstring(bpmn.encode()), filename='p.bpmn')
    for i, source in enumerate(dmn_sources):
        root = etree.parse(str(source)).getroot() if isinstance(source, Path) \
            else etree.fromstring(source.encode())
        parser.add_dmn_xml(root, filename=f'd{i}.dmn')
    workflow = BpmnWorkflow(parser.get_spec('p'), script_engine=workflow_script_engine())
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow.data


def test_camunda_business_rule_task_single_entry():
    bpmn = process('camunda:decisionRef="level" camunda:resultVariable="riskLevel" '
                   'camunda:mapDecisionResult="singleEntry"')
    assert run(bpmn, LEVELS, amount=500) == {'amount': 500, 'riskLevel': '中'}
    assert run(bpmn, LEVELS, amount=5000)['riskLevel'] == '高'


def test_spiff_called_decision_merges_outputs():
    bpmn = process('', '<extensionElements><spiffworkflow:calledDecisionId>level'
                       '</spiffworkflow:calledDecisionId></extensionElements>')
    assert run(bpmn, LEVELS, amount=50) == {'amount': 50, 'level': '低'}


def test_invoice_decision_collect_entries_in_a_process():
    bpmn = process('camunda:decisionRef="invoice-assign-approver" '
                   'camunda:resultVariable="approverGroups" camunda:mapDecisionResult="collectEntries"')
    dmn_file = corpus_file('camunda-bpm-platform/invoiceBusinessDecisions.dmn')
    data = run(bpmn, dmn_file, amount=30, invoiceCategory='Misc')
    assert data['approverGroups'] == ['accounting', 'sales']


def test_decision_error_at_run_time_is_a_script_error():
    ambiguous = dmn(table('level', [(['> 0'], ['"a"']), (['> 1'], ['"b"'])], inputs=('amount',),
                          outputs=('level',)))
    bpmn = process('camunda:decisionRef="level"')
    with pytest.raises(ScriptError, match="业务规则任务 '定级'.*rows 1, 2"):
        run(bpmn, ambiguous, amount=5)
    with pytest.raises(ScriptError, match=r"业务规则任务 '定级': 决策 'level' 输入列 'amount': \S"):
        run(bpmn, ambiguous)


@pytest.mark.parametrize('attrs, reason', [
    ('', '没有引用决策'),
    ('camunda:decisionRef="nope"', "'nope' 不存在, 已部署的决策: level"),
    ('camunda:decisionRef="level" camunda:mapDecisionResult="everything"', 'mapDecisionResult'),
])
def test_reference_problems_are_definition_errors(attrs, reason):
    parser = RuleParser()
    parser.add_bpmn_xml(etree.fromstring(process(attrs).encode()), filename='p.bpmn')
    parser.add_dmn_xml(etree.fromstring(LEVELS.encode()), filename='d.dmn')
    with pytest.raises(DefinitionError, match=reason) as info:
        parser.get_spec('p')
    assert info.value.element_id == 'rule' and info.value.file == 'p.bpmn'
    assert None not in parser.get_dmn_dependencies()
