"""The one restricted evaluator behind every script and expression the engine runs.

Gateway conditions, script tasks, DMN cells, timer and multi-instance expressions all end
up here (see `engine.sandbox.script_engine`), never in Python's eval/exec. Source is parsed with
`ast.parse`, every node is checked against a whitelist (node types, names, attributes,
literal sizes), and the tree is then *interpreted* by `engine.sandbox.evaluator` under a step
budget. Validated programs are cached by source text, since conditions are re-evaluated
constantly.

What code may reach is defined in `sandbox_policy` (limits, attribute whitelist) and
`sandbox_ops` (builtins, operators). In short:

* names: task data, the safe builtins (abs all any bool date datetime Decimal dict divmod
  enumerate float int len list max min now pow print range reversed round set sorted str
  sum timedelta today tuple zip) and functions the engine registers;
* `date`, `datetime`, `timedelta`, `Decimal` are constructor functions, not the classes:
  `date('2024-01-31')`, `datetime(2024, 1, 31, 9)`, `now()` (naive local time), `today()`;
* attributes: per-type whitelist (str/dict/list/tuple/set methods, date fields...), no name
  starting with `_` anywhere; data-mutating methods only in scripts;
* scripts: assignment, `if`, `for`, `break`, `continue`, `pass`, `del`; nothing else.

Every refusal or failure is a ScriptError whose message is one line: Chinese reason, quoted
token, English gloss in parentheses, and for scripts the line number.
"""
from __future__ import annotations

import ast
import functools
import textwrap
from collections.abc import Callable, Mapping

from engine.errors import ScriptError
from engine.sandbox.evaluator import SCOPE_FUNCTIONS, Interpreter
from engine.sandbox.ops import BUILTINS, check_storable
from engine.sandbox.policy import (
    ALL_ATTRIBUTES,
    DEFAULT_STEP_LIMIT,
    MAX_INT_BITS,
    MAX_SOURCE,
    MAX_STR_LITERAL,
    MUTATING,
    Meter,
    SafeFunction,
    refuse,
)

__all__ = ["Sandbox", "ScriptSyntaxError", "check_expression", "check_script", "evaluate", "execute"]

MAX_NESTING = 100  # AST depth: keeps the recursive interpreter far from Python's stack limit

_EXPRESSION_NODES = frozenset({
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
    ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.BitOr, ast.BitXor, ast.BitAnd,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Invert, ast.Compare, ast.Eq, ast.NotEq,
    ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn, ast.IfExp,
    ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Call, ast.keyword, ast.ListComp, ast.SetComp,
    ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.JoinedStr, ast.FormattedValue,
    ast.Starred,
})
_SCRIPT_NODES = _EXPRESSION_NODES | {
    ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.For, ast.Pass, ast.Break,
    ast.Continue, ast.Delete, ast.Del,
}
_CONSTANT_TYPES = (str, int, float, bool, type(None))
_FRIENDLY_SYNTAX = {  # how designers know these constructs
    ast.Import: "import", ast.ImportFrom: "from ... import", ast.Lambda: "lambda",
    ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class",
    ast.While: "while", ast.With: "with", ast.Try: "try", ast.Raise: "raise",
    ast.Global: "global", ast.Nonlocal: "nonlocal", ast.Yield: "yield", ast.Await: "await",
    ast.NamedExpr: ":=", ast.Return: "return", ast.Assert: "assert", ast.AnnAssign: "x: T = ...",
}


class ScriptSyntaxError(ScriptError):
    """The text does not parse; `engine.sandbox.script_engine` turns this back into SyntaxError for DMN."""


class _Validator:
    """Walks a parsed program once, refusing the first node outside the whitelist."""

    def __init__(self, script: bool, callables: frozenset[str]):
        self.script = script
        self.allowed = _SCRIPT_NODES if script else _EXPRESSION_NODES
        self.callables = callables
        self.loops = 0

    def visit(self, node, depth: int = 0) -> None:
        if depth > MAX_NESTING:
            raise self._error(node, "表达式嵌套过深", "expression nested too deeply")
        kind = type(node)
        if kind not in self.allowed:
            name = _FRIENDLY_SYNTAX.get(kind, kind.__name__)
            raise self._error(node, f"不允许的语法 '{name}'", f"syntax '{name}' is not allowed")
        check = _CHECKS.get(kind)
        if check is not None:
            check(self, node)
        if kind is ast.For:
            self._visit_loop(node, depth)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, depth + 1)

    def _visit_loop(self, node: ast.For, depth: int) -> None:
        for child in (node.target, node.iter, *node.orelse):
            self.visit(child, depth + 1)
        self.loops += 1
        for child in node.body:
            self.visit(child, depth + 1)
        self.loops -= 1

    def _error(self, node, zh: str, en: str) -> ScriptError:
        line = getattr(node, "lineno", None) if self.script else None
        error = ScriptError(f"第 {line} 行: {zh} ({en})" if line else f"{zh} ({en})")
        error.line = line
        return error

    def _identifier(self, node, name: str) -> None:
        if name.startswith("_"):
            raise self._error(node, f"名称 '{name}' 不允许使用", "names starting with '_' are not allowed")

    # -- per-node checks ------------------------------------------------------------------
    def _name(self, node: ast.Name) -> None:
        self._identifier(node, node.id)
        if type(node.ctx) is not ast.Load and node.id in self.callables:
            raise self._error(node, f"不能给函数名 '{node.id}' 赋值", f"cannot assign to function '{node.id}'")

    def _attribute(self, node: ast.Attribute) -> None:
        self._identifier(node, node.attr)
        if type(node.ctx) is not ast.Load:
            raise self._error(node, f"不能给属性 '{node.attr}' 赋值", f"cannot assign to attribute '{node.attr}'")
        if node.attr not in ALL_ATTRIBUTES:
            raise self._error(node, f"属性 '{node.attr}' 不允许使用", f"attribute '{node.attr}' is not allowed")
        if not self.script and node.attr in MUTATING:
            raise self._error(node, f"表达式中不能调用修改数据的方法 '{node.attr}'",
                              f"'{node.attr}' modifies data; only scripts may do that")

    def _keyword(self, node: ast.keyword) -> None:
        if node.arg is None:
            raise self._error(node, "不允许使用 '**' 传参", "'**' arguments are not allowed")
        self._identifier(node, node.arg)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if type(func) is ast.Name and func.id not in self.callables:
            raise self._error(node, f"函数 '{func.id}' 不允许调用", f"function '{func.id}' is not allowed")
        if type(func) not in (ast.Name, ast.Attribute):
            raise self._error(node, "只能调用内置函数或允许的方法", "only allowed functions and methods may be called")

    def _constant(self, node: ast.Constant) -> None:
        value = node.value
        if not isinstance(value, _CONSTANT_TYPES):
            raise self._error(node, f"不允许的常量类型 '{type(value).__name__}'",
                              f"constant of type '{type(value).__name__}' is not allowed")
        if isinstance(value, str) and len(value) > MAX_STR_LITERAL:
            raise self._error(node, "字符串常量过长", "string literal too long")
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise self._error(node, "整数常量过大", "integer literal too large")

    def _formatted(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        if spec is not None and not all(type(part) is ast.Constant for part in spec.values):
            raise self._error(node, "f-string 的格式说明不能包含表达式", "nested f-string format specs are not allowed")

    def _comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            raise self._error(node.target, "不允许的语法 'async for'", "syntax 'async for' is not allowed")

    def _sequence(self, node) -> None:
        stars = sum(type(element) is ast.Starred for element in node.elts)
        if type(node.ctx) is not ast.Load and stars > 1:
            raise self._error(node, "赋值目标中只能有一个 '*'", "only one starred target is allowed")

    def _loop_control(self, node) -> None:
        if not self.loops:
            word = "break" if type(node) is ast.Break else "continue"
            raise self._error(node, f"'{word}' 只能用在 for 循环里", f"'{word}' outside a loop")


_CHECKS: dict[type, Callable] = {
    ast.Name: _Validator._name, ast.Attribute: _Validator._attribute,
    ast.keyword: _Validator._keyword, ast.Call: _Validator._call,
    ast.Constant: _Validator._constant, ast.FormattedValue: _Validator._formatted,
    ast.comprehension: _Validator._comprehension, ast.Tuple: _Validator._sequence,
    ast.List: _Validator._sequence, ast.Break: _Validator._loop_control,
    ast.Continue: _Validator._loop_control,
}


# -- turning Python failures into ScriptError -------------------------------------------------
_RUNTIME_REASONS = (  # first match in this order wins
    (ZeroDivisionError, "除数为零"), (KeyError, "键不存在"), (IndexError, "下标越界"),
    (RecursionError, "嵌套过深"), (OverflowError, "数值溢出"), (MemoryError, "内存不足"),
    (ArithmeticError, "算术错误"), (TypeError, "类型错误"), (ValueError, "值错误"),
)


def _runtime_error(err: Exception, line: int | None) -> ScriptError:
    """A short, user-readable ScriptError for a Python exception raised while running."""
    if isinstance(err, ScriptError):
        message = err.message
    elif isinstance(err, KeyError) and err.args:
        message = f"键 {err.args[0]!r} 不存在 (key {err.args[0]!r} not found)"[:300]
    else:
        reason = next((zh for cls, zh in _RUNTIME_REASONS if isinstance(err, cls)), "运行错误")
        detail = (str(err) or type(err).__name__)[:200]
        message = f"{reason} ({detail})"
    error = ScriptError(f"第 {line} 行: {message}" if line else message)
    error.line = line
    return error


# -- the public API -------------------------------------------------------------------------
class Sandbox:
    """Validates, caches and runs expressions and scripts.

    `functions` registers extra trusted callables by name (e.g. the JUEL runtime helpers);
    they are called with plain values and their results are size-checked like any other.
    They may shadow a builtin of the same name. Task data shadows both, as in Python.
    """

    def __init__(self, functions: Mapping[str, Callable] | None = None, *,
                 step_limit: int = DEFAULT_STEP_LIMIT, cache_size: int = 2048):
        registered = {}
        for name, func in (functions or {}).items():
            if not name.isidentifier() or name.startswith("_") or not callable(func):
                raise ValueError(f"cannot register {name!r} as a sandbox function")
            registered[name] = SafeFunction(name, func)
        self._functions = {**BUILTINS, **registered}
        self._callables = frozenset(self._functions) | SCOPE_FUNCTIONS
        self.step_limit = step_limit
        self._compiled = functools.lru_cache(maxsize=cache_size)(self._compile)

    def check_expression(self, source: str) -> None:
        """Parse and validate only; raises ScriptError (ScriptSyntaxError if unparsable)."""
        self._compiled(_expression_text(source), "eval")

    def check_script(self, source: str) -> None:
        self._compiled(_script_text(source), "exec")

    def evaluate(self, source: str, names: Mapping[str, object],
                 readonly: Mapping[str, object] | None = None) -> object:
        """Value of expression `source`; names are looked up in `names`, then `readonly`."""
        body = self._compiled(_expression_text(source), "eval")
        interpreter = Interpreter(names, readonly, self._functions, Meter(self.step_limit))
        try:
            result = interpreter.eval(body)
            check_storable(result, "表达式结果")
        except ScriptError:
            raise
        except Exception as err:  # the interpreter lets Python's own errors through
            raise _runtime_error(err, None) from err
        return result

    def execute(self, source: str, names: dict, readonly: Mapping[str, object] | None = None) -> None:
        """Run script `source`; its assignments and deletions land in `names` on success.

        The script works on a shallow copy of `names`, so a failing script leaves the
        top-level names untouched (in-place changes to nested lists/dicts are not undone).
        """
        body = self._compiled(_script_text(source), "exec")
        work = dict(names)
        interpreter = Interpreter(work, readonly, self._functions, Meter(self.step_limit))
        try:
            interpreter.run(body)
        except Exception as err:
            raise _runtime_error(err, interpreter.line or None) from err
        _check_results(names, work)
        for name in [name for name in names if name not in work]:
            del names[name]
        names.update(work)

    # -- parsing and validation (cached) ----------------------------------------------------
    def _compile(self, source: str, mode: str):
        if len(source) > MAX_SOURCE:
            raise refuse(f"脚本超过 {MAX_SOURCE} 个字符", f"source longer than {MAX_SOURCE}")
        if not source.strip():
            raise ScriptSyntaxError("表达式为空 (empty expression)" if mode == "eval" else
                                    "脚本为空 (empty script)")
        tree = _parse(source, mode)
        try:
            _Validator(mode == "exec", self._callables).visit(tree)
        except RecursionError:
            raise refuse("表达式嵌套过深", "expression nested too deeply") from None
        return tree.body


def _expression_text(source) -> str:
    if not isinstance(source, str):
        raise refuse(f"表达式必须是字符串, 不能是 '{type(source).__name__}'", "expression must be a string")
    return source.strip()  # BPMN text often carries surrounding whitespace/newlines


def _script_text(source) -> str:
    if not isinstance(source, str):
        raise refuse(f"脚本必须是字符串, 不能是 '{type(source).__name__}'", "script must be a string")
    return textwrap.dedent(source)  # script bodies in XML are usually indented as a block


def _parse(source: str, mode: str):
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as err:
        where = f"第 {err.lineno} 行第 {err.offset} 列" if err.lineno else "位置未知"
        error = ScriptSyntaxError(f"语法错误: {where} (syntax error: {err.msg})")
        error.line = err.lineno
        raise error from None
    except (ValueError, RecursionError, MemoryError) as err:  # null bytes, absurd nesting
        raise ScriptSyntaxError(f"语法错误 (syntax error: {type(err).__name__})") from None


def _check_results(before: Mapping, after: Mapping) -> None:
    """Everything a script leaves in task data must be storable. Unchanged scalars were
    checked when they were stored; lists and dicts may have been changed in place."""
    for name, value in after.items():
        if before.get(name, _ABSENT) is not value or isinstance(value, (list, dict)):
            check_storable(value, f"变量 '{name}'")


_ABSENT = object()

# -- module-level convenience: one shared Sandbox with no extra functions -------------------
_default = Sandbox()
check_expression = _default.check_expression
check_script = _default.check_script
evaluate = _default.evaluate
execute = _default.execute
