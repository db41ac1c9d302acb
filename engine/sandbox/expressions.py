"""The one sandbox every expression and script runs in, and the SpiffWorkflow script
engine built on it. SpiffWorkflow's default (eval/exec) engine is never constructed."""
from __future__ import annotations

from functools import lru_cache

from engine.dialects.juel_runtime import FUNCTIONS as JUEL_FUNCTIONS
from engine.sandbox.interpreter import Sandbox
from engine.sandbox.script_engine import SandboxScriptEngine, install_as_default

# Safety net: any BpmnWorkflow built without an explicit engine (e.g. by a serializer path
# that forgets one) gets the sandbox, never SpiffWorkflow's eval/exec default.
install_as_default()


@lru_cache(maxsize=1)
def sandbox() -> Sandbox:
    return Sandbox(functions=dict(JUEL_FUNCTIONS))


@lru_cache(maxsize=1)
def script_engine() -> SandboxScriptEngine:
    return SandboxScriptEngine(sandbox())
