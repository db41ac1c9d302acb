"""SpiffWorkflow adapter: every script and expression Spiff runs goes through the sandbox.

SpiffWorkflow's default `PythonScriptEngine` hands text to Python's eval/exec with full
builtins. A workflow built with `BpmnWorkflow(spec, script_engine=SandboxScriptEngine())`
routes gateway conditions, script tasks (and spiff pre/post scripts), multi-instance
cardinality/completion conditions, DMN cells, timer expressions and conditional events
to `engine.sandbox` instead. Spiff also calls `script_engine.environment.evaluate(...)`
directly (process completion conditions, message correlation), which is why the
environment, not just the engine, is sandboxed.

Errors: the engine methods raise Spiff's `WorkflowTaskException` whose message
(`args[0]`) is exactly the ScriptError message, with the ScriptError as `.exception`
and `__cause__` (`str()` of it appends Spiff's notes). Calls made directly on the
environment raise ScriptError.

Beware: Spiff's serializer rebuilds workflows without a script engine, so they get Spiff's
eval/exec engine unless the caller sets `workflow.script_engine` or has called
`install_as_default()` once at start-up.
"""
from __future__ import annotations

from collections.abc import Callable

import SpiffWorkflow.bpmn.workflow as _spiff_workflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.dialects.multi_instance import loop_variables
from engine.errors import ScriptError
from engine.sandbox.interpreter import Sandbox, ScriptSyntaxError

SERVICE_TASKS_REFUSED = "服务任务不在本引擎中执行 (service tasks are not executed by this engine)"


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Spiff's environment interface, implemented by a Sandbox.

    `context` is the task data (a dict, mutated by scripts); `external_context` holds
    read-only extras such as data objects or DMN's `dmninputexpr`. Task data wins over
    external names, as in Spiff's own environment.
    """

    def __init__(self, sandbox: Sandbox | None = None):
        super().__init__({})
        self.sandbox = sandbox or Sandbox()

    def evaluate(self, expression, context, external_context=None):
        return self.sandbox.evaluate(expression, context, external_context or None)

    def execute(self, script, context, external_context=None):
        self.sandbox.execute(script, context, external_context or None)
        return True  # Spiff treats None as "still running" and False as failure

    def call_service(self, context, **kwargs):
        raise ScriptError(SERVICE_TASKS_REFUSED)


class SandboxScriptEngine(PythonScriptEngine):
    """Drop-in replacement for Spiff's PythonScriptEngine that never uses eval/exec."""

    def __init__(self, sandbox: Sandbox | None = None):
        super().__init__(environment=SandboxEnvironment(sandbox))

    @property
    def sandbox(self) -> Sandbox:
        return self.environment.sandbox

    def validate(self, expression):
        """DMN relies on SyntaxError for text that is not an expression (e.g. `< 100`)."""
        try:
            self.sandbox.check_expression(expression)
        except ScriptSyntaxError as err:
            raise SyntaxError(err.message) from err

    def evaluate(self, task, expression, external_context=None):
        loop = loop_variables(task)
        if loop:
            external_context = {**loop, **(external_context or {})}
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except Exception as err:
            raise _task_error(task, err, expression) from err

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context)
        except Exception as err:
            raise _task_error(task, err, script) from err

    def call_service(self, task, **kwargs):
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise _task_error(task, err, None) from err


def _task_error(task, err: Exception, source: str | None) -> WorkflowTaskException:
    """Wrap as Spiff expects, keeping the ScriptError's message as the exception message."""
    if not isinstance(err, ScriptError):  # the sandbox converts everything; belt and braces
        err = ScriptError(f"运行错误 ({type(err).__name__}: {err})")
    line = getattr(err, "line", None)
    error_line = None
    if line and source:
        lines = source.splitlines()
        error_line = lines[line - 1] if line <= len(lines) else None
    wrapped = WorkflowTaskException(err.message, task=task, exception=err,
                                    line_number=line, error_line=error_line)
    wrapped.exception = err  # Spiff's constructor only records the class name
    return wrapped


def install_as_default(factory: Callable[[], PythonScriptEngine] = SandboxScriptEngine) -> None:
    """Make every BpmnWorkflow created without an explicit engine get `factory()`.

    `BpmnWorkflow.__init__` does `script_engine or PythonScriptEngine()`, looking the
    name up in its module at call time; the serializer relies on that default. Replacing
    the name means a forgotten engine fails safe (sandboxed) instead of running eval/exec.
    """
    _spiff_workflow.PythonScriptEngine = factory
