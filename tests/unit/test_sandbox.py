"""The sandbox behaves like Python for the code designers write, and fails clearly otherwise.

Escape attempts live in test_sandbox_escapes.py; this file covers ordinary behaviour,
error messages and the resource bounds.
"""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from engine.errors import ScriptError
from engine.sandbox.interpreter import Sandbox, ScriptSyntaxError, check_expression, check_script, evaluate, execute
from engine.sandbox.script_engine import SandboxScriptEngine

DATA = {"amount": 1500, "category": "水", "items": [3, 1, 2], "name": "Bob Lee",
        "rows": [{"amount": 5, "ok": True}, {"amount": 7, "ok": False}], "empty": None,
        "rate": 0.25, "tags": {"a": 1, "b": 2}}

# Expressions whose sandbox value must equal CPython's (evaluated here on trusted text).
PYTHON_ALIKE = [
    "amount > 1000 and category == '水'", "amount + 1 - 2 * 3 / 4", "amount // 7", "amount % 7",
    "-amount ** 2", "2 ** 10", "2 ** -1", "7 & 3 | 8 ^ 1", "1 << 10", "1024 >> 3", "~amount",
    "not empty", "empty or 'default'", "0 and 1", "1 < amount <= 1500 != 3", "empty is None",
    "'水' in category", "3 not in items", "'a' in tags", "amount if amount > 10 else 0",
    "[x * 2 for x in items if x > 1]", "sorted({x for x in items})", "{k: v * 10 for k, v in tags.items()}",
    "[(x, y) for x in items for y in 'ab' if x != 2]", "sum(x for x in items)",
    "sum(r['amount'] for r in rows if r['ok'])", "sorted(items, reverse=True)", "max(items) - min(items)",
    "len(name)", "abs(-3.5)", "round(2.675, 2)", "round(7.5)", "int('42') + float('1.5')", "str(12) + 'x'",
    "bool([])", "list(range(2, 10, 3))", "tuple(items)", "dict(a=1, b=2)", "set('aab') == {'a', 'b'}",
    "list(enumerate('ab', 1))", "list(zip(items, 'abc'))", "list(reversed(items))", "any([0, 1])",
    "all([])", "divmod(17, 5)", "pow(3, 4)", "pow(3, 4, 5)",
    "name.upper()", "name.lower().split()", "'-'.join(['a', 'b'])", "name.replace('Bob', 'Al')",
    "name.startswith('Bo')", "' x '.strip()", "'42'.zfill(5)", "name.find('Lee')", "'a,b'.split(',')",
    "name.title()", "'abc'.isalpha()", "name.count('o')", "name[::-1]", "name[1:3]", "items[-1]",
    "tags.get('c', 0)", "sorted(tags.keys())", "list(tags.values())", "list(tags.items())",
    "f'{name}: {amount:>8,.2f} {rate:.0%} {category!r}'", "f'{amount:08d}|{name:^11}|{rate:e}'",
    "'%s has %05.1f%%' % (name, rate * 100)", "'%(n)s' % {'n': name}",
    "[*items, *'ab']", "{**tags, 'c': 3}", "(1, 2) + (3,)", "[0] * 3", "'ab' * 2",
    "items.index(1)", "(1, 2, 2).count(2)", "'x'.join(str(i) for i in range(3))",
]


@pytest.mark.parametrize("source", PYTHON_ALIKE)
def test_expressions_match_python(source):
    assert evaluate(source, DATA) == eval(source, {}, dict(DATA))  # noqa: S307 - trusted text


def test_script_manipulates_task_data():
    names = {"items": [3, 1, 2], "order": {"lines": []}}
    execute("""
        total = 0
        for i, x in enumerate(items):
            if x == 1:
                continue
            total += x * i
        items.append(total)
        items.sort()
        order['lines'].append({'n': len(items)})
        order.setdefault('status', 'new')
        first, *rest = items
        squares = {n: n * n for n in items if n}
        label = f"合计 {total:.2f}"
        del rest
    """, names)
    assert names == {"items": [1, 2, 3, 4], "order": {"lines": [{"n": 4}], "status": "new"},
                     "total": 4, "i": 2, "x": 2, "first": 1, "squares": {1: 1, 2: 4, 3: 9, 4: 16},
                     "label": "合计 4.00"}


def test_for_else_break_and_comprehension_scope():
    names = {}
    execute("""
for x in range(10):
    if x == 3:
        break
else:
    never = True
for y in []:
    pass
else:
    done = True
squares = [z * z for z in range(3)]
""", names)
    assert names == {"x": 3, "done": True, "squares": [0, 1, 4]}  # z does not leak


def test_augmented_assignment_and_subscripts():
    names = {"a": [1, 2, 3], "d": {"n": 1}}
    execute("b = a\na += [4]\nd['n'] += 1\na[0] *= 10\na[1:3] = ['x']\ndel d['n']", names)
    assert names["a"] is names["b"]  # list += mutates in place, as in Python
    assert names["a"] == [10, "x", 4] and names["d"] == {}


def test_dates_and_decimals():
    assert evaluate("date('2024-01-31') + timedelta(days=1)", {}) == dt.date(2024, 2, 1)
    assert evaluate("datetime(2024, 1, 31, 9, 30).hour", {}) == 9
    assert evaluate("(date(2024, 3, 1) - date(2024, 2, 1)).days", {}) == 29
    assert evaluate("f'{d:%Y/%m/%d}'", {"d": dt.date(2024, 1, 2)}) == "2024/01/02"
    assert evaluate("d.isoformat()", {"d": dt.datetime(2024, 1, 2, 3, 4)}) == "2024-01-02T03:04:00"
    assert evaluate("Decimal('0.1') + Decimal('0.2')", {}) == Decimal("0.3")
    assert isinstance(evaluate("now()", {}), dt.datetime)
    assert evaluate("today() <= date(9999, 1, 1)", {})


def test_print_is_a_harmless_no_op():
    names = {}
    execute("print('debug', 1)\nx = 1", names)
    assert names == {"x": 1}


def test_registered_functions_and_shadowing():
    sandbox = Sandbox({"double": lambda v: v * 2, "is_empty": lambda v: not v})
    assert sandbox.evaluate("double(amount) > 2000 and not is_empty(items)", DATA) is True
    assert sandbox.evaluate("max", {"max": 5}) == 5  # task data shadows builtins, as in Python
    with pytest.raises(ScriptError, match="不能调用"):
        sandbox.evaluate("max(1, 2)", {"max": 5})
    with pytest.raises(ValueError):
        Sandbox({"__evil": print})


def test_readonly_names_are_visible_but_task_data_wins():
    assert evaluate("a + b", {"a": 1}, {"a": 100, "b": 2}) == 3


# -- error messages -------------------------------------------------------------------------
@pytest.mark.parametrize("source, message", [
    ("missing + 1", "变量 'missing' 未定义 (name 'missing' is not defined)"),
    ("amount / 0", "除数为零 (division by zero)"),
    ("tags['zz']", "键 'zz' 不存在"),
    ("items[10]", "下标越界"),
    ("amount + name", "类型错误 (unsupported operand type(s) for +: 'int' and 'str')"),
    ("int('abc')", "值错误"),
    ("name.nope()", "属性 'nope' 不允许使用"),
    ("amount.lower()", "类型 'int' 没有可用的属性 'lower'"),
    ("items.append(1)", "表达式中不能调用修改数据的方法 'append'"),
    ("len", "不能保存类型为 'function' 的值"),
    ("{1, 2}", "不能保存类型为 'set' 的值"),
    ("(-8) ** 0.5", "复数"),
])
def test_runtime_errors_are_clear_script_errors(source, message):
    with pytest.raises(ScriptError) as info:
        evaluate(source, DATA)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_syntax_errors_carry_line_and_column():
    with pytest.raises(ScriptSyntaxError, match=r"第 1 行第 \d+ 列"):
        check_expression("amount >")
    with pytest.raises(ScriptSyntaxError, match="第 2 行"):
        check_script("x = 1\ny = (")
    with pytest.raises(ScriptSyntaxError, match="表达式为空"):
        check_expression("   ")


def test_script_errors_name_the_line():
    with pytest.raises(ScriptError, match="第 3 行: 除数为零") as info:
        execute("a = 1\nb = 2\nc = a / 0", {})
    assert info.value.line == 3


def test_failed_script_leaves_task_data_untouched():
    names = {"a": 1}
    with pytest.raises(ScriptError):
        execute("a = 2\nb = 3\nc = 1 / 0", names)
    assert names == {"a": 1}


@pytest.mark.parametrize("script, message", [
    ("s = set()", "不能保存类型为 'set' 的值: 变量 's'"),
    ("m = 'a'.upper", "不能保存类型为 'function' 的值"),
    ("r = range(3)", "不能保存类型为 'range' 的值"),
    ("k = {(1, 2): 3}", "字典键"),
    ("l = []\nl.append(l)", "循环引用"),
    ("len = 3", "不能给函数名 'len' 赋值"),
    ("x.y = 1", "不能给属性 'y' 赋值"),
    ("s = 'abc'\ns[0] = 'x'", "只能修改列表或字典的元素"),
    ("a, b = [1]", "解包数量不匹配"),
    ("break", "'break' 只能用在 for 循环里"),
])
def test_scripts_refuse_unstorable_or_invalid_results(script, message):
    with pytest.raises(ScriptError, match=message):
        execute(script, {})


def test_stored_values_may_be_json_like_or_dates():
    names = {}
    execute("x = {1: 'a', 'b': [1, (2, 3), None, 1.5], 'c': date(2024, 1, 1), 'd': Decimal('1')}", names)
    assert names["x"]["c"] == dt.date(2024, 1, 1)


# -- bounds ---------------------------------------------------------------------------------
@pytest.mark.parametrize("source, message", [
    ("10 ** 10 ** 9", "整数超过"), ("2 ** 5000", "整数超过"), ("pow(7, 10 ** 6)", "整数超过"),
    ("1 << 10 ** 6", "整数超过"), ("'a' * 10 ** 10", "长度上限"), ("[0] * 10 ** 9", "长度上限"),
    ("range(10 ** 12)", "range 长度"), ("list(range(10 ** 6))", "range 长度"),
    ("'a'.zfill(10 ** 9)", "长度上限"), ("('a' * 1000).replace('a', 'b' * 10000)", "长度上限"),
    ("''.join(['a' * 100000] * 100)", "长度上限"), ("f'{1:>999999999}'", "格式宽度"),
    ("'%999999999d' % 1", "格式宽度"), ("'%(a(b))99999s' % {'a(b)': 1}", "格式宽度"),
    ("'%*d' % (5, 1)", "'*'"), ("int(Decimal('1e999999999'))", "小数的指数"),
    ("round(1, -10 ** 6)", "位数过大"), ("sum([[1]], [])", "只能对数字求和"),
    ("'x' * 200000", None),
])
def test_size_bounds_refuse_before_computing(source, message):
    started = time.perf_counter()
    if message is None:
        assert len(evaluate(source, {})) == 200000
    else:
        with pytest.raises(ScriptError, match=message):
            evaluate(source, {})
    assert time.perf_counter() - started < 1.0


def test_literal_and_nesting_bounds():
    with pytest.raises(ScriptError, match="字符串常量过长"):
        check_expression("'" + "a" * 150_000 + "'")
    with pytest.raises(ScriptError, match="嵌套过深"):
        check_expression("+".join(["x"] * 500))
    with pytest.raises(ScriptError, match="脚本超过"):
        check_script("x = 1\n" * 50_000)


def test_step_budget_stops_heavy_loops_quickly():
    started = time.perf_counter()
    with pytest.raises(ScriptError, match="步数超出上限"):
        execute("n = 0\nfor i in range(100000):\n    for j in range(100000):\n        n += 1", {})
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize("source", [
    "sorted([[1] * 1000] * 1000)",               # comparisons walk every element
    "str([['x' * 1000] * 1000] * 1000)",          # str() of a shared-reference explosion
    "{(((1,) * 100,) * 100,) * 100: 1}",          # tuples re-hash all items each time
    "[[1] * 1000] * 1000 == [[1] * 1000] * 1000",
])
def test_step_budget_charges_hidden_native_work(source):
    started = time.perf_counter()
    with pytest.raises(ScriptError, match="步数超出上限"):
        evaluate(source, {})
    assert time.perf_counter() - started < 2.0


def test_step_limit_is_configurable():
    with pytest.raises(ScriptError, match="步数超出上限 50"):
        Sandbox(step_limit=50).evaluate("[x for x in range(100)]", {})
    assert Sandbox(step_limit=10**6).evaluate("len([x for x in range(100000)])", {}) == 100000


# -- speed and caching ----------------------------------------------------------------------
def test_validated_programs_are_cached_and_conditions_are_fast():
    sandbox = Sandbox()
    condition = 'amount > 1000 and category == "水"'
    sandbox.evaluate(condition, DATA)
    before = sandbox._compiled.cache_info().hits
    runs = 2000
    started = time.perf_counter()
    for _ in range(runs):
        sandbox.evaluate(condition, DATA)
    per_call = (time.perf_counter() - started) / runs
    assert sandbox._compiled.cache_info().hits - before == runs
    assert per_call < 500e-6  # typically ~4 µs; generous so a loaded CI box cannot flake


# -- the SpiffWorkflow script engine contract -----------------------------------------------
def test_engine_validate_raises_syntax_error_for_dmn():
    engine = SandboxScriptEngine()
    engine.validate("amount > 1")
    with pytest.raises(SyntaxError):
        engine.validate("< 100")  # DMN then retries as 'v < 100'
    engine.validate("v < 100")
    with pytest.raises(ScriptError):
        engine.validate("().__class__")  # parses, but the sandbox refuses it


_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="http://sanfu.test">
  <decision id="level" name="level"><decisionTable id="t">
    <input id="i1" label="amount"><inputExpression id="e1" typeRef="number"><text>amount</text></inputExpression></input>
    <input id="i2" label="category"><inputExpression id="e2" typeRef="string"><text>category</text></inputExpression></input>
    <output id="o1" name="approver" typeRef="string"/>
    <rule id="r1"><inputEntry id="a1"><text>&lt; 100</text></inputEntry><inputEntry id="b1"><text></text></inputEntry>
      <outputEntry id="c1"><text>"clerk"</text></outputEntry></rule>
    <rule id="r2"><inputEntry id="a2"><text>100 &lt;= ? &lt; 1000</text></inputEntry><inputEntry id="b2"><text>"水"</text></inputEntry>
      <outputEntry id="c2"><text>"head_" + category</text></outputEntry></rule>
    <rule id="r3"><inputEntry id="a3"><text></text></inputEntry><inputEntry id="b3"><text></text></inputEntry>
      <outputEntry id="c3"><text>"director"</text></outputEntry></rule>
  </decisionTable></decision>
</definitions>"""
_DMN_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://sanfu.test">
<bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
<bpmn:businessRuleTask id="decide" camunda:decisionRef="level"><bpmn:incoming>f1</bpmn:incoming>
  <bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>
<bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="end"/>
<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
</bpmn:process></bpmn:definitions>"""


@pytest.mark.parametrize("amount, category, approver", [
    (50, "x", "clerk"), (500, "水", "head_水"), (500, "电", "director"), (5000, "水", "director"),
])
def test_dmn_tables_run_through_the_sandbox(amount, category, approver):
    from lxml import etree
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    parser = CamundaParser()
    parser.add_bpmn_str(_DMN_BPMN.encode())
    parser.add_dmn_xml(etree.fromstring(_DMN.encode()))
    workflow = BpmnWorkflow(parser.get_spec("p"), script_engine=SandboxScriptEngine())
    workflow.get_tasks()[0].data.update(amount=amount, category=category)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.last_task.data["approver"] == approver


@pytest.mark.parametrize("source", ["'%d' % d", "f'{d:f}'", "round(d)", "int(d)", "Decimal(10) ** 999999"])
def test_huge_decimal_exponents_are_refused(source):
    with pytest.raises(ScriptError, match="小数的指数"):
        evaluate(source, {"d": Decimal("1e999999999")})
