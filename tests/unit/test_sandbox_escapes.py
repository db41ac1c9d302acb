"""Known sandbox escapes must fail with ScriptError, directly and through SpiffWorkflow.

Every payload that could touch the file system aims at a marker file; the tests assert
the marker never appears. A control test runs the same harness with SpiffWorkflow's
default engine to prove the harness really executes scripts (so a missing marker means
something). A hypothesis test throws random mixtures of dangerous tokens at the sandbox.
"""
from __future__ import annotations

import builtins
import datetime as dt
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.errors import ScriptError
from engine.sandbox.interpreter import check_expression, check_script, evaluate, execute
from engine.sandbox.script_engine import SandboxScriptEngine, install_as_default

NAMES = {"x": 1, "s": "abc", "d": {"k": [1, 2], "__class__": "key, not attribute"}, "l": [1, 2, 3]}

PAYLOADS = [
    "__import__('os').system('touch MARKER')",
    "().__class__.__base__.__subclasses__()",
    "[c for c in ().__class__.__bases__[0].__subclasses__()]",
    "x.__class__.__mro__[-1].__subclasses__()",
    "(lambda: 0).__globals__",
    "getattr(x, '__class__')",
    "'{0.__class__}'.format(x)",
    "'{.__class__.__mro__}'.format_map({'a': 1})",
    "f'{x.__class__}'",
    "f'{x:{x.__class__}}'",
    "(x for x in []).gi_frame.f_globals",
    "[].__class__",
    "type(x)",
    "open('MARKER', 'w')",
    "eval('1')",
    "exec(\"open('MARKER', 'w')\")",
    "compile('1', 'f', 'eval')",
    "globals()['__builtins__']", "vars()['open']", "globals().__class__", "vars(len)", "dir()",
    "__builtins__", "__builtins__['open']('MARKER', 'w')",
    "breakpoint()", "input()", "exit()", "help()", "object()", "super()",
    "10**10**9", "'a'*10**10", "range(10**12)", "pow(10, 10**9)", "1 << 10**9",
    "import os", "from os import system", "while True: pass", "def f(): ...",
    "class A: pass", "with open('MARKER', 'w') as f: pass", "try:\n    pass\nexcept: pass",
    "d.get('k').__class__", "d.get.__self__", "d.items().mapping", "d.keys().mapping",
    "s.upper.__self__", "len.func", "len.func.__globals__", "print.func('x')",
    "sorted.__call__", "now.func.__globals__", "datetime.now()", "date.today.__self__",
    "now().__reduce__()", "now().tzinfo", "x.real.__class__", "x._private",
    "sorted(l, key=lambda v: v)", "[].sort(key=exec)", "[(yield) for v in l]",
    "[v async for v in l]", "(y := 1)", "b'bytes'", "...", "1j",
    "[*iter([])]", "next(v for v in l)", "memoryview(b'')", "bytearray(10**10)",
    "[s.upper for s in ['a']][0]()", "(print or len)('MARKER')",
    "'%(a)s' % d.__class__.__dict__", "str(x).__class__",
]


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a sandboxed payload touched the file system"


def _armed(payload: str, marker) -> str:
    return payload.replace("MARKER", str(marker))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_refused_as_expression_and_as_script(payload, marker):
    source = _armed(payload, marker)
    with pytest.raises(ScriptError):
        evaluate(source, dict(NAMES))
    with pytest.raises(ScriptError):
        names = dict(NAMES)
        execute(source if "\n" in source or ":" in source else f"r = {source}", names)
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    "getattr(x, '__class__')", "type(x)", "__import__('os')", "().__class__",
    "x.format", "import os", "lambda: 0", "eval('1')", "open('f')",
])
def test_refused_at_check_time_without_running(payload):
    with pytest.raises(ScriptError):
        check_expression(payload)
    with pytest.raises(ScriptError):
        check_script(payload)


def test_dunder_strings_are_just_data():
    # Keys and strings that look dangerous are plain values: no attribute is ever looked up.
    assert evaluate("d['__class__']", NAMES) == "key, not attribute"
    assert evaluate("'__class__'.upper()", NAMES) == "__CLASS__"


# -- through SpiffWorkflow -------------------------------------------------------------------
_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://sanfu.test">
<bpmn:process id="p" isExecutable="true">
<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="node"/>
"""
_TAIL = """<bpmn:sequenceFlow id="f2" sourceRef="node" targetRef="end"/>
<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
</bpmn:process></bpmn:definitions>"""


def script_task_bpmn(script: str) -> str:
    return _HEAD + f"""<bpmn:scriptTask id="node" scriptFormat="python">
<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>""" + _TAIL


def gateway_bpmn(condition: str) -> str:
    return _HEAD + """<bpmn:exclusiveGateway id="node" default="f3">
<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing>
</bpmn:exclusiveGateway>
<bpmn:sequenceFlow id="f3" sourceRef="node" targetRef="other"/>
<bpmn:endEvent id="other"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
""" + _TAIL.replace('targetRef="end"/>', f"""targetRef="end"><bpmn:conditionExpression
 xsi:type="bpmn:tFormalExpression">{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>""")


def timer_bpmn(expression: str) -> str:
    return _HEAD + f"""<bpmn:intermediateCatchEvent id="node">
<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
<bpmn:timerEventDefinition id="timer">
<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:timeDuration>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>""" + _TAIL


def run_workflow(bpmn: str, engine=None, data=None) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(bpmn.encode("utf-8"))
    workflow = BpmnWorkflow(parser.get_spec("p"), script_engine=engine or SandboxScriptEngine())
    workflow.get_tasks()[0].data.update(data or dict(NAMES))
    workflow.do_engine_steps()
    workflow.refresh_timers()
    workflow.do_engine_steps()
    return workflow


@pytest.mark.parametrize("build", [script_task_bpmn, gateway_bpmn, timer_bpmn],
                         ids=["script", "gateway", "timer"])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_fails_inside_spiffworkflow(build, payload, marker):
    with pytest.raises(WorkflowTaskException) as info:
        run_workflow(build(_armed(payload, marker)))
    assert isinstance(info.value.__cause__, ScriptError)
    assert info.value.exception is info.value.__cause__
    assert info.value.args[0] == info.value.__cause__.message  # the text users see
    assert not marker.exists()


def test_harmless_versions_run_inside_spiffworkflow():
    workflow = run_workflow(script_task_bpmn("y = x + 1\nz = s.upper()"))
    assert workflow.is_completed() and workflow.last_task.data["z"] == "ABC"
    for condition, taken in [("x == 1", "end"), ("x == 2", "other")]:
        completed = run_workflow(gateway_bpmn(condition)).get_tasks(state=TaskState.COMPLETED)
        assert taken in {task.task_spec.name for task in completed}
    assert run_workflow(timer_bpmn('"PT0S"')).is_completed()


def test_control_default_engine_would_have_been_pwned(tmp_path):
    """Proves the harness executes scripts: Spiff's own engine runs the payload."""
    control = tmp_path / "control"
    run_workflow(script_task_bpmn(f"open({str(control)!r}, 'w').close()"), engine=PythonScriptEngine())
    assert control.exists()


def test_spiff_default_eval_and_exec_are_never_used(monkeypatch):
    def tripwire(*args, **kwargs):
        raise AssertionError("Python eval/exec was called")
    monkeypatch.setattr(builtins, "eval", tripwire)
    monkeypatch.setattr(builtins, "exec", tripwire)
    workflow = run_workflow(script_task_bpmn("x = 1"))
    assert workflow.is_completed() and workflow.last_task.data["x"] == 1
    with pytest.raises(WorkflowTaskException, match="不允许的语法 'import'"):
        run_workflow(script_task_bpmn("import os"))


def test_install_as_default_covers_workflows_rebuilt_by_the_serializer(monkeypatch, marker):
    import SpiffWorkflow.bpmn.workflow as spiff_workflow
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    monkeypatch.setattr(spiff_workflow, "PythonScriptEngine", spiff_workflow.PythonScriptEngine)
    install_as_default()
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(script_task_bpmn(_armed("open('MARKER', 'w')", marker)).encode())
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    saved = serializer.serialize_json(BpmnWorkflow(parser.get_spec("p")))
    restored = serializer.deserialize_json(saved)  # Spiff passes no script engine here
    assert isinstance(restored.script_engine, SandboxScriptEngine)
    with pytest.raises(WorkflowTaskException, match="open"):
        restored.do_engine_steps()


def test_service_tasks_are_not_executed():
    engine = SandboxScriptEngine()
    with pytest.raises(ScriptError, match="服务任务不在本引擎中执行"):
        engine.environment.call_service({}, operation_name="x", operation_params={})


# -- random mixtures of dangerous tokens ------------------------------------------------------
_ATTRS = ["__class__", "__globals__", "__subclasses__", "__bases__", "__mro__", "mro", "gi_frame",
          "f_globals", "format", "format_map", "__dict__", "__self__", "func", "owner", "__init__",
          "__call__", "__getitem__", "__reduce__", "tzinfo", "upper", "get", "keys", "items",
          "join", "replace", "split", "append", "year", "days", "real"]
_WORDS = ["x", "s", "d", "l", "type", "getattr", "eval", "exec", "open", "globals", "vars",
          "__import__", "__builtins__", "len", "str", "sorted", "print", "range", "datetime",
          "now", "Decimal", "dict", "nothing", "compile", "object", "super", "import", "lambda"]
_LITERALS = ["0", "1", "-1", "1.5", "None", "True", "()", "[]", "{}", "'os'", "'__class__'",
             "'{0.__class__}'", "'{.__class__.__mro__}'", "'%s'", "'%999999999d'", "'MARKER'",
             "'touch MARKER'", "10**10**9", "'a'*10**10", "b'x'", "...", "1j"]
_OPS = ["+", "-", "*", "/", "//", "%", "**", "<<", "and", "or", "==", "in", "if 1 else"]


def _compound(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(_ATTRS)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, st.lists(inner, max_size=2)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(_OPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"not {e}"),
        st.lists(inner, max_size=3).map(lambda es: f"[{', '.join(es)}]"),
        inner.map(lambda e: f"(lambda: {e})"),
        inner.map(lambda e: f"[v for v in {e}]"),
        inner.map(lambda e: f"(v.__class__ for v in {e})"),
        inner.map(lambda e: f'f"{{{e}}}"'),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}.format({t[1]})"),
        inner.map(lambda e: f"__import__('os').system({e})"),
    )


_EXPRESSIONS = st.recursive(st.sampled_from(_WORDS + _LITERALS), _compound, max_leaves=8)
_PLAIN_SCALARS = (type(None), bool, int, float, str, dt.date, dt.datetime, dt.timedelta, Decimal)


def _is_plain(value) -> bool:
    if isinstance(value, _PLAIN_SCALARS):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, _PLAIN_SCALARS) and _is_plain(v) for k, v in value.items())
    return False


@pytest.fixture(scope="module")
def fuzz_marker(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "pwned"
    yield path
    assert not path.exists()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_EXPRESSIONS)
def test_random_dangerous_expressions_only_ever_raise_script_error(source, fuzz_marker):
    source = source.replace("MARKER", str(fuzz_marker))
    try:
        check_expression(source)
    except ScriptError:
        pass
    try:
        assert _is_plain(evaluate(source, {**NAMES, "d": dict(NAMES["d"]), "l": list(NAMES["l"])}))
    except ScriptError:
        pass
    try:
        execute(f"r = {source}", {**NAMES, "d": dict(NAMES["d"]), "l": list(NAMES["l"])})
    except ScriptError:
        pass
    assert not fuzz_marker.exists()


def test_scope_functions_see_only_the_data_in_scope():
    """vars()/globals()/locals() exist for the Spiff idiom `'x' in vars()`: they return a
    copy of the data in scope — no builtins, no functions, nothing to walk out of."""
    from engine.sandbox.expressions import sandbox
    box = sandbox()
    snapshot = box.evaluate("vars()", {"a": 1, "b": [2]})
    assert snapshot == {"a": 1, "b": [2]}
    assert box.evaluate("'open' in globals() or 'len' in locals() or 'juel_eq' in vars()", {}) is False
    assert box.evaluate("'should_escalate' in vars()", {"should_escalate": True}) is True
    names = {"d": {}}
    box.execute("d['copy'] = vars()", names)
    assert names["d"] == {"copy": {"d": {}}}  # a deep copy: the data never becomes cyclic
