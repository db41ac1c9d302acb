"""What sandboxed code may reach, and how much work it may do.

This module holds the limits, the step meter, the two kinds of callable user code can
hold (SafeFunction, SafeMethod) and the per-type attribute whitelist; `sandbox_ops` holds
the builtins and operator guards built on them. Methods are called through the *base
type's* function (`str.upper(value)`), never looked up on the value itself, so a value
cannot redirect a call, and a method object never exposes the raw bound method.
"""
from __future__ import annotations

import datetime as _dt
import decimal

from engine.errors import ScriptError

# -- limits ---------------------------------------------------------------------------------
MAX_INT_BITS = 4096          # ~1233 decimal digits: far beyond any business number
MAX_LEN = 1_000_000          # characters in a string / items in a container
MAX_RANGE = 100_000          # items in one range()
MAX_STR_LITERAL = 100_000    # characters in one string literal
MAX_SOURCE = 200_000         # characters in one script
MAX_FORMAT_WIDTH = 1_000     # width / precision in f-string and % format specs
MAX_DECIMAL_EXPONENT = 1_000  # Decimal('1e999999') prints/ints to a million digits
MAX_DATA_DEPTH = 100         # nesting of values leaving the sandbox (also catches cycles)
MAX_DATA_NODES = 500_000     # values visited when checking data leaving the sandbox
DEFAULT_STEP_LIMIT = 200_000
STR_SHIFT = 8                # one step per 256 characters copied, compared or formatted

NoneType = type(None)
NUMBERS = frozenset({int, float, bool})
# Call cost models (what the native call does to its inputs): CONST O(1); MOVE shifts the
# owner's items in memory (list.insert/pop); ARGS walks only the arguments (hashing a key);
# LINEAR touches every item of owner and arguments; DEEP walks them recursively (==, str()).
CONST, MOVE, ARGS, LINEAR, DEEP = "const", "move", "args", "linear", "deep"
PRODUCES = frozenset({LINEAR, DEEP})  # calls whose result may be new data worth charging


def refuse(zh: str, en: str) -> ScriptError:
    """Every message has the same shape: Chinese reason, English gloss in parentheses."""
    return ScriptError(f"{zh} ({en})")


def type_name(value) -> str:
    return "function" if isinstance(value, (SafeFunction, SafeMethod)) else type(value).__name__


def too_long() -> ScriptError:
    return refuse(f"结果超过长度上限 {MAX_LEN}", f"result longer than {MAX_LEN}")


def too_big() -> ScriptError:
    return refuse(f"整数超过 {MAX_INT_BITS} 位上限", f"integer larger than {MAX_INT_BITS} bits")


def check_decimal(value: decimal.Decimal) -> None:
    if value.is_finite() and abs(value.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise refuse(f"小数的指数超过 {MAX_DECIMAL_EXPONENT}", "Decimal exponent out of range")


# -- the meter ------------------------------------------------------------------------------
class Meter:
    """Counts the work one evaluation does; raising once the budget is spent bounds CPU time.

    Node evaluations cost one step each. Operations whose native cost grows with their
    operands (copying, comparing, hashing, formatting) are charged by size, so a single
    `==` or `str()` on a huge structure cannot hide unbounded work behind one step.
    """
    __slots__ = ("steps", "limit", "message")

    def __init__(self, limit: int, message: tuple[str, str] | None = None):
        self.steps = 0
        self.limit = limit
        self.message = message or ("脚本运行步数超出上限", "step budget exceeded")

    def charge(self, amount: int = 1) -> None:
        self.steps += amount
        if self.steps > self.limit:
            raise refuse(f"{self.message[0]} {self.limit}", self.message[1])

    def charge_deep(self, *values) -> None:
        """Charge for a walk over every element: what ==, hashing and str() natively do.

        No visited-set on purpose: shared sub-structures really are walked once per
        reference by CPython, and cycles simply run the budget out.
        """
        stack = list(values)
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                self.charge(1 + (len(value) >> STR_SHIFT))
            elif isinstance(value, dict):
                self.charge(1 + len(value))
                stack.extend(value.keys())
                stack.extend(value.values())
            elif isinstance(value, (list, tuple, set, frozenset)):
                self.charge(1 + len(value))
                stack.extend(value)
            else:
                self.charge(1)

    def charge_call(self, func, args, kwargs) -> None:
        cost = func.cost
        if cost is CONST:
            return
        if cost is MOVE:
            self.charge(shallow_size(func.owner) >> 6)
            return
        values = [*args, *kwargs.values()]
        if cost is ARGS:  # e.g. dict.get: hashes its argument, never walks the dict
            self.charge_deep(*values)
            return
        if func.owner is not None:
            values.append(func.owner)
        if cost is DEEP:
            self.charge_deep(*values)
        else:
            self.charge(_sizes(values))

    def account(self, value, charge: bool = True):
        """Bound (and, if `charge`, pay for) a freshly produced value; returns it."""
        kind = type(value)
        if kind is int:
            if value.bit_length() > MAX_INT_BITS:
                raise too_big()
        elif kind is str or kind in _CONTAINERS:
            size = len(value)
            if size > MAX_LEN:
                raise too_long()
            if charge:
                self.charge(size >> STR_SHIFT if kind is str else size)
        elif kind is decimal.Decimal:
            check_decimal(value)
        elif kind is complex:
            raise refuse("结果是复数, 不支持", "complex numbers are not supported")
        return value


_CONTAINERS = frozenset({list, tuple, dict, set, frozenset, range})


def shallow_size(value) -> int:
    if isinstance(value, str):
        return len(value) >> STR_SHIFT
    if isinstance(value, (list, tuple, dict, set, frozenset, range)):
        return len(value)
    return 0


def _sizes(values) -> int:
    return sum(shallow_size(value) for value in values)


def charge_key(meter: Meter, key) -> None:
    """Tuples re-hash all their items on every lookup (no hash cache), so charge them."""
    if type(key) is tuple:
        meter.charge_deep(key)


# -- callables ------------------------------------------------------------------------------
class SafeFunction:
    """A function sandboxed code may call: a builtin replacement or one registered by the engine."""
    __slots__ = ("name", "func", "cost")
    owner = None

    def __init__(self, name: str, func, cost: str = LINEAR):
        self.name, self.func, self.cost = name, func, cost

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<function {self.name}>"


class SafeMethod:
    """A whitelisted method bound to its value; only `get_attribute` makes these."""
    __slots__ = ("owner", "name", "func", "cost")

    def __init__(self, owner, name: str, func, cost: str):
        self.owner, self.name, self.func, self.cost = owner, name, func, cost

    def __call__(self, *args, **kwargs):
        return self.func(self.owner, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<method {type(self.owner).__name__}.{self.name}>"


# -- guarded implementations of methods that can grow data ----------------------------------
def _check_len(length: int) -> None:
    if length > MAX_LEN:
        raise too_long()


def _str_join(sep: str, parts):
    parts = list(parts)
    _check_len(sum(len(p) for p in parts if isinstance(p, str)) + len(sep) * max(len(parts) - 1, 0))
    return str.join(sep, parts)


def _str_replace(text: str, old: str, new: str, count: int = -1):
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    _check_len(len(text) + hits * (len(new) - len(old)))
    return str.replace(text, old, new, count)


def _widening(method):
    """str.zfill/ljust/rjust/center: the width argument is the result length."""
    def widened(text, width, *rest):
        _check_len(width)
        return method(text, width, *rest)
    return widened


def _growing(method, added):
    """In-place growth (append, extend, update...): check the size the container will reach."""
    def grown(container, *args, **kwargs):
        _check_len(len(container) + added(args, kwargs))
        return method(container, *args, **kwargs)
    return grown


def _one(args, kwargs) -> int:
    return 1


def _all_args(args, kwargs) -> int:
    return sum(len(arg) if hasattr(arg, "__len__") else 0 for arg in args) + len(kwargs)


def _strftime(value, fmt: str):
    if len(fmt) > 200:
        raise refuse("日期格式字符串过长", "date format string too long")
    return _dt.date.strftime(value, fmt)  # also right for datetime (it calls timetuple())


# -- attribute whitelist --------------------------------------------------------------------
def _table(cls, names, cost=LINEAR, **special):
    table = {name: (getattr(cls, name), cost) for name in names}
    table.update(special)
    return table


_STR = _table(str, (
    "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit",
    "find", "rfind", "index", "count", "isdigit", "isalpha", "isalnum", "isspace", "isupper",
    "islower", "isnumeric", "isdecimal", "title", "capitalize", "casefold", "swapcase",
    "splitlines", "partition", "rpartition", "removeprefix", "removesuffix"),
    join=(_str_join, DEEP), replace=(_str_replace, LINEAR),
    **{name: (_widening(getattr(str, name)), LINEAR) for name in ("zfill", "ljust", "rjust", "center")})
_DICT = _table(dict, ("copy", "clear"), LINEAR, popitem=(dict.popitem, CONST),
               get=(dict.get, ARGS), pop=(dict.pop, ARGS),
               setdefault=(_growing(dict.setdefault, _one), ARGS),
               update=(_growing(dict.update, _all_args), LINEAR),
               keys=(lambda d: list(d), LINEAR), values=(lambda d: list(d.values()), LINEAR),
               items=(lambda d: list(d.items()), LINEAR))
_LIST = _table(list, ("copy", "clear", "reverse"), LINEAR, pop=(list.pop, MOVE),
               append=(_growing(list.append, _one), CONST), insert=(_growing(list.insert, _one), MOVE),
               extend=(_growing(list.extend, _all_args), LINEAR),
               **{name: (getattr(list, name), DEEP) for name in ("index", "count", "remove", "sort")})
_TUPLE = _table(tuple, ("index", "count"), DEEP)
_SET = _table(set, ("copy", "clear", "issubset", "issuperset", "isdisjoint"), LINEAR, pop=(set.pop, CONST),
              add=(_growing(set.add, _one), ARGS), discard=(set.discard, ARGS), remove=(set.remove, ARGS),
              **{name: (getattr(set, name), DEEP) for name in (
                  "union", "intersection", "difference", "symmetric_difference")})
_DATE = _table(_dt.date, ("weekday", "isoweekday", "isoformat", "replace", "toordinal"), CONST,
               strftime=(_strftime, CONST))
_DATETIME = {**_DATE, **_table(_dt.datetime, ("date", "isoformat", "replace", "timestamp"), CONST)}
_TIMEDELTA = _table(_dt.timedelta, ("total_seconds",), CONST)

_DATE_FIELDS = frozenset({"year", "month", "day"})
_ATTRIBUTES = {  # type -> (methods, readable data attributes)
    str: (_STR, frozenset()), dict: (_DICT, frozenset()), list: (_LIST, frozenset()),
    tuple: (_TUPLE, frozenset()), set: (_SET, frozenset()),
    _dt.datetime: (_DATETIME, _DATE_FIELDS | {"hour", "minute", "second", "microsecond"}),
    _dt.date: (_DATE, _DATE_FIELDS),
    _dt.timedelta: (_TIMEDELTA, frozenset({"days", "seconds", "microseconds"})),
}
MUTATING = frozenset({"append", "extend", "insert", "pop", "remove", "sort", "reverse", "clear",
                      "setdefault", "update", "popitem", "add", "discard"})
ALL_ATTRIBUTES = frozenset().union(*(set(methods) | fields for methods, fields in _ATTRIBUTES.values()))


def get_attribute(value, name: str):
    """`value.name`, if the whitelist for value's type allows it."""
    entry = _ATTRIBUTES.get(type(value))
    if entry is None:  # subclasses of whitelisted types (bool has none: int is not listed)
        entry = next((_ATTRIBUTES[cls] for cls in type(value).__mro__ if cls in _ATTRIBUTES), None)
    if entry is not None:
        methods, fields = entry
        if name in methods:
            func, cost = methods[name]
            return SafeMethod(value, name, func, cost)
        if name in fields:
            return getattr(value, name)
    raise refuse(f"类型 '{type_name(value)}' 没有可用的属性 '{name}'",
                 f"attribute '{name}' is not allowed on '{type_name(value)}'")
