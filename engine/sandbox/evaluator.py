"""The sandbox interpreter: walks an already-validated AST, one step per node.

Why an interpreter rather than compile() + eval(): with eval, every object the code reaches
brings Python's whole object model along (dunder attributes, frames, format strings,
generators). Walking the tree ourselves means the only operations that exist are the ones
written below, and each goes through the guards in `sandbox_policy` / `sandbox_ops`.

Python exceptions (TypeError, KeyError, ...) raised here are left to the caller
(`engine.sandbox`), which turns them into ScriptError with a readable message.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Mapping

from engine.sandbox.ops import binary, check_format_spec
from engine.sandbox.policy import (
    MAX_LEN,
    NUMBERS,
    PRODUCES,
    Meter,
    SafeFunction,
    SafeMethod,
    charge_key,
    get_attribute,
    refuse,
    too_long,
    type_name,
)
from engine.sandbox.tables import (
    COMPARE as _COMPARE,
    CONVERSIONS as _CONVERSIONS,
    UNARY as _UNARY,
    check_mutable,
    iterable,
    store_item,
    undefined,
)

_MISSING = object()
SCOPE_FUNCTIONS = frozenset({"vars", "globals", "locals"})


class _Break(Exception):
    """Unwinds to the nearest `for`; validation guarantees there is one."""


class _Continue(Exception):
    """Unwinds to the nearest `for`; validation guarantees there is one."""


class Interpreter:
    """Evaluates validated programs against one set of names, on one meter.

    Name lookup order: comprehension scopes, `names` (task data, or a script's working copy),
    `readonly` (e.g. SpiffWorkflow's data objects), then the callable table.
    """
    __slots__ = ("names", "readonly", "functions", "meter", "scopes", "line")

    def __init__(self, names, readonly: Mapping | None, functions: Mapping, meter: Meter):
        self.names = names
        self.readonly = readonly
        self.functions = functions
        self.meter = meter
        self.scopes: list[dict] = []
        self.line = 0

    # -- entry points ---------------------------------------------------------------------
    def eval(self, node):
        meter = self.meter
        meter.steps += 1
        if meter.steps > meter.limit:
            meter.charge(0)  # raises the budget error
        return _EVAL[type(node)](self, node)

    def run(self, statements) -> None:
        for statement in statements:
            self.line = statement.lineno
            self.meter.charge()
            _EXEC[type(statement)](self, statement)

    # -- names ----------------------------------------------------------------------------
    def _name(self, node):
        name = node.id
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        value = self.names.get(name, _MISSING)
        if value is _MISSING and self.readonly is not None:
            value = self.readonly.get(name, _MISSING)
        if value is _MISSING:
            value = self.functions.get(name, _MISSING)
            if value is _MISSING:
                raise undefined(name)
        return value

    def _store_name(self, name: str, value) -> None:
        (self.scopes[-1] if self.scopes else self.names)[name] = value

    # -- simple expressions ---------------------------------------------------------------
    def _constant(self, node):
        return node.value

    def _boolop(self, node):
        is_and = type(node.op) is ast.And
        for operand in node.values:
            value = self.eval(operand)
            if is_and != bool(value):
                return value
        return value

    def _binop(self, node):
        left = self.eval(node.left)
        return binary(type(node.op), left, self.eval(node.right), self.meter)

    def _unaryop(self, node):
        return self.meter.account(_UNARY[type(node.op)](self.eval(node.operand)))

    def _compare(self, node):
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node)
            op_type = type(op)
            if type(left) not in NUMBERS or type(right) not in NUMBERS:
                self._charge_compare(op_type, left, right)
            if not _COMPARE[op_type](left, right):
                return False
            left = right
        return True

    def _charge_compare(self, op_type, left, right) -> None:
        if op_type is ast.Is or op_type is ast.IsNot:
            return
        if op_type in (ast.In, ast.NotIn) and isinstance(right, (dict, set, frozenset)):
            self.meter.charge_deep(left)  # hashed lookup: only the key is walked
        else:
            self.meter.charge_deep(left, right)

    def _ifexp(self, node):
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _attribute(self, node):
        return get_attribute(self.eval(node.value), node.attr)

    def _subscript(self, node):
        container = self.eval(node.value)
        key = self._key(node.slice)
        if type(key) is slice:  # slicing copies; indexing only returns a reference
            return self.meter.account(container[key])
        return container[key]

    def _key(self, node):
        key = self.eval(node)
        charge_key(self.meter, key)
        return key

    def _slice(self, node):
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.eval(part) for part in parts))

    def _call(self, node):
        if type(node.func) is ast.Name and node.func.id in SCOPE_FUNCTIONS and not self._bound(node.func.id):
            return self._scope_snapshot(node)
        func = self.eval(node.func)
        if type(func) is not SafeFunction and type(func) is not SafeMethod:
            raise refuse(f"类型 '{type_name(func)}' 不能调用", f"'{type_name(func)}' is not callable")
        args = self._elements(node.args)
        kwargs = {keyword.arg: self.eval(keyword.value) for keyword in node.keywords}
        self.meter.charge_call(func, args, kwargs)
        return self.meter.account(func(*args, **kwargs), func.cost in PRODUCES)

    def _bound(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes) or name in self.names \
            or (self.readonly is not None and name in self.readonly)

    def _scope_snapshot(self, node) -> dict:
        """vars() / globals() / locals(): a copy of the data in scope, nothing else (the
        Spiff idiom `'x' in vars()` asks whether a variable is set)."""
        if node.args or node.keywords:
            raise refuse(f"{node.func.id}() 不接受参数", f"{node.func.id}() takes no arguments")
        snapshot = dict(self.readonly or {})
        snapshot.update(self.names)
        for scope in self.scopes:
            snapshot.update(scope)
        self.meter.charge(len(snapshot))
        return copy.deepcopy(snapshot)  # a copy: storing it can never make data cyclic

    # -- displays and f-strings -----------------------------------------------------------
    def _elements(self, nodes) -> list:
        items = []
        for element in nodes:
            if type(element) is ast.Starred:
                values = iterable(self.eval(element.value))
                self.meter.charge(len(values))
                items.extend(values)
            else:
                items.append(self.eval(element))
        if len(items) > MAX_LEN:
            raise too_long()
        return items

    def _list(self, node):
        return self._elements(node.elts)

    def _tuple(self, node):
        return tuple(self._elements(node.elts))

    def _set(self, node):
        items = self._elements(node.elts)
        for item in items:
            charge_key(self.meter, item)
        return set(items)

    def _dict(self, node):
        result = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # {**other}
                other = self.eval(value_node)
                if not isinstance(other, dict):
                    raise refuse(f"'**' 只能展开字典, 不能展开 '{type_name(other)}'",
                                 "'**' needs a dict")
                self.meter.charge(len(other))
                result.update(other)
            else:
                key = self._key(key_node)
                result[key] = self.eval(value_node)
        return self.meter.account(result)

    def _joinedstr(self, node):
        parts = [part.value if type(part) is ast.Constant else self.eval(part) for part in node.values]
        return self.meter.account("".join(parts))

    def _formatted(self, node):
        value = self.eval(node.value)
        self.meter.charge_deep(value)  # str()/repr() walk the whole value
        if node.conversion in _CONVERSIONS:
            value = _CONVERSIONS[node.conversion](value)
        spec = "".join(part.value for part in node.format_spec.values) if node.format_spec else ""
        check_format_spec(value, spec)
        return format(value, spec)

    # -- comprehensions (always materialised: no generator object ever exists) ------------
    def _listcomp(self, node):
        result = []
        self._comprehend(node.generators, lambda: result.append(self.eval(node.elt)))
        return result

    def _setcomp(self, node):
        result = set()
        self._comprehend(node.generators, lambda: result.add(self._key(node.elt)))
        return result

    def _dictcomp(self, node):
        result = {}

        def emit():
            key = self._key(node.key)
            result[key] = self.eval(node.value)
        self._comprehend(node.generators, emit)
        return result

    def _comprehend(self, generators, emit) -> None:
        self.scopes.append({})
        try:
            self._generate(generators, 0, emit)
        finally:
            self.scopes.pop()

    def _generate(self, generators, index: int, emit) -> None:
        if index == len(generators):
            emit()
            return
        generator = generators[index]
        for item in iterable(self.eval(generator.iter)):
            self.meter.charge()
            self._assign(generator.target, item)
            if all(self.eval(condition) for condition in generator.ifs):
                self._generate(generators, index + 1, emit)

    # -- assignment targets ---------------------------------------------------------------
    def _assign(self, target, value) -> None:
        kind = type(target)
        if kind is ast.Name:
            self._store_name(target.id, value)
        elif kind is ast.Subscript:
            container = self.eval(target.value)
            store_item(container, self._key(target.slice), value)
        else:  # Tuple / List (validation allows nothing else)
            self._unpack(target.elts, value)

    def _unpack(self, targets, value) -> None:
        items = list(iterable(value))
        self.meter.charge(len(items))
        star = next((i for i, t in enumerate(targets) if type(t) is ast.Starred), None)
        if star is None:
            if len(items) != len(targets):
                raise refuse(f"解包数量不匹配: 需要 {len(targets)} 个值, 实际 {len(items)} 个",
                             f"expected {len(targets)} values to unpack, got {len(items)}")
            pairs = list(zip(targets, items))
        else:
            after = len(targets) - star - 1
            if len(items) < len(targets) - 1:
                raise refuse(f"解包数量不足: 至少需要 {len(targets) - 1} 个值",
                             f"expected at least {len(targets) - 1} values to unpack")
            rest = items[star:len(items) - after]
            pairs = [*zip(targets[:star], items), (targets[star].value, rest),
                     *zip(targets[star + 1:], items[len(items) - after:])]
        for target, item in pairs:
            self._assign(target, item)

    # -- statements -----------------------------------------------------------------------
    def _expr_stmt(self, node):
        self.eval(node.value)

    def _assign_stmt(self, node):
        value = self.eval(node.value)
        for target in node.targets:
            self._assign(target, value)

    def _augassign(self, node):
        target, op = node.target, type(node.op)
        if type(target) is ast.Name:
            current = self._name(target)
            self._store_name(target.id, binary(op, current, self.eval(node.value), self.meter, True))
            return
        container = self.eval(target.value)
        key = self._key(target.slice)
        result = binary(op, container[key], self.eval(node.value), self.meter, True)
        store_item(container, key, result)

    def _delete(self, node):
        for target in node.targets:
            self._delete_target(target)

    def _delete_target(self, target) -> None:
        kind = type(target)
        if kind is ast.Name:
            scope = self.scopes[-1] if self.scopes else self.names
            if target.id not in scope:
                raise undefined(target.id)
            del scope[target.id]
        elif kind is ast.Subscript:
            container = self.eval(target.value)
            key = self._key(target.slice)
            check_mutable(container)
            del container[key]
        else:
            for element in target.elts:
                self._delete_target(element)

    def _if(self, node):
        self.run(node.body if self.eval(node.test) else node.orelse)

    def _for(self, node):
        for item in iterable(self.eval(node.iter)):
            self.meter.charge()
            self._assign(node.target, item)
            try:
                self.run(node.body)
            except _Break:
                return
            except _Continue:
                continue
        self.run(node.orelse)

    def _pass(self, node):
        pass

    def _break(self, node):
        raise _Break()

    def _continue(self, node):
        raise _Continue()


_I = Interpreter
_EVAL = {
    ast.Constant: _I._constant, ast.Name: _I._name, ast.BoolOp: _I._boolop, ast.BinOp: _I._binop,
    ast.UnaryOp: _I._unaryop, ast.Compare: _I._compare, ast.IfExp: _I._ifexp,
    ast.Attribute: _I._attribute, ast.Subscript: _I._subscript, ast.Slice: _I._slice,
    ast.Call: _I._call, ast.List: _I._list, ast.Tuple: _I._tuple, ast.Set: _I._set,
    ast.Dict: _I._dict, ast.JoinedStr: _I._joinedstr, ast.FormattedValue: _I._formatted,
    ast.ListComp: _I._listcomp, ast.GeneratorExp: _I._listcomp, ast.SetComp: _I._setcomp,
    ast.DictComp: _I._dictcomp,
}
_EXEC = {
    ast.Expr: _I._expr_stmt, ast.Assign: _I._assign_stmt, ast.AugAssign: _I._augassign,
    ast.Delete: _I._delete, ast.If: _I._if, ast.For: _I._for, ast.Pass: _I._pass,
    ast.Break: _I._break, ast.Continue: _I._continue,
}
del _I
