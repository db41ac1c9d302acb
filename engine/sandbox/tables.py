"""Lookup tables and small helpers of the sandbox interpreter (engine.sandbox.evaluator)."""
from __future__ import annotations

import ast
import operator

from engine.errors import ScriptError
from engine.sandbox.policy import MAX_LEN, refuse, too_long, type_name

_ITERABLE = (list, tuple, str, dict, set, frozenset, range)

COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
UNARY = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
          ast.Invert: operator.invert}
CONVERSIONS = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def iterable(value):
    """Only plain containers may be looped over: no generators, no foreign iterators."""
    if isinstance(value, _ITERABLE):
        return value
    raise refuse(f"类型 '{type_name(value)}' 不能迭代", f"'{type_name(value)}' is not iterable")


def undefined(name: str) -> ScriptError:
    return ScriptError(f"变量 '{name}' 未定义 (name '{name}' is not defined)")


def check_mutable(container) -> None:
    if not isinstance(container, (list, dict)):
        raise refuse(f"只能修改列表或字典的元素, 不能修改 '{type_name(container)}'",
                     f"only list and dict items can be assigned, not '{type_name(container)}'")


def store_item(container, key, value) -> None:
    check_mutable(container)
    added = len(value) if type(key) is slice and hasattr(value, "__len__") else 1
    if len(container) + added > MAX_LEN:
        raise too_long()
    container[key] = value
