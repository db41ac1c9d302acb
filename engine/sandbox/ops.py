"""The operations sandboxed code can perform: builtins, operators, formatting, and the
check on values that leave the sandbox.

Each one is a thin guard in front of the Python operation it replaces. Guards run
*before* the native operation when its cost can be predicted from the operands
(`10**10**9`, `'a' * 10**10`, `range(10**12)`), so nothing huge is ever computed.
"""
from __future__ import annotations

import ast
import datetime as _dt
import decimal
import operator
import re

from engine.sandbox.policy import (
    CONST,
    DEEP,
    LINEAR,
    MAX_DATA_DEPTH,
    MAX_DATA_NODES,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_LEN,
    MAX_RANGE,
    Meter,
    NoneType,
    SafeFunction,
    check_decimal,
    refuse,
    shallow_size,
    too_big,
    too_long,
    type_name,
)


# -- builtins -------------------------------------------------------------------------------
def _range(*args):
    result = range(*args)
    try:
        size = len(result)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise refuse(f"range 长度超过上限 {MAX_RANGE}", f"range longer than {MAX_RANGE}")
    return result


def _int(value=0, base=None):
    if isinstance(value, decimal.Decimal):
        check_decimal(value)  # int(Decimal('1e99999999')) would build a gigantic integer first
    return int(value) if base is None else int(value, base)


def _sum(values, start=0):
    if not isinstance(start, (int, float, decimal.Decimal)):
        raise refuse("sum 只能对数字求和", "sum() only adds numbers")  # list-sum is quadratic
    return sum(values, start)


def _round(number, ndigits=None):
    if isinstance(number, decimal.Decimal):
        check_decimal(number)
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, int) and abs(ndigits) > MAX_FORMAT_WIDTH:
        raise refuse("round 的位数过大", "round() ndigits too large")
    return round(number, ndigits)


def _pow(base, exponent, modulus=None):
    if modulus is None:
        return power(base, exponent)
    return pow(base, exponent, modulus)  # modular: bounded by the modulus


def _str(value=""):
    return str(value)


def _print(*args, **kwargs):
    """Scripts copied from examples often print; output has nowhere to go, so drop it."""
    return None


def _date(*args, **kwargs):
    """date(2024, 1, 31) or date('2024-01-31')."""
    if len(args) == 1 and not kwargs and isinstance(args[0], str):
        return _dt.date.fromisoformat(args[0])
    return _dt.date(*args, **kwargs)


def _datetime(*args, **kwargs):
    """datetime(2024, 1, 31, 9, 30) or datetime('2024-01-31T09:30'); no tzinfo objects."""
    if len(args) == 1 and not kwargs and isinstance(args[0], str):
        return _dt.datetime.fromisoformat(args[0])
    if len(args) > 7 or "tzinfo" in kwargs:
        raise refuse("datetime 不接受时区参数", "datetime() takes no tzinfo")
    return _dt.datetime(*args, **kwargs)


def _decimal(value="0"):
    if isinstance(value, str) and len(value) > MAX_FORMAT_WIDTH:
        raise refuse("Decimal 字符串过长", "Decimal() string too long")
    return decimal.Decimal(value)


def _builtins() -> dict[str, SafeFunction]:
    table = {
        # name: (implementation, cost model of its input)
        "abs": (abs, CONST), "bool": (bool, CONST), "len": (len, CONST),
        "range": (_range, CONST), "round": (_round, CONST),
        "float": (float, LINEAR), "int": (_int, LINEAR),  # parsing is linear in the text
        "pow": (_pow, CONST), "divmod": (divmod, CONST), "print": (_print, CONST),
        "all": (all, LINEAR), "any": (any, LINEAR), "sum": (_sum, LINEAR),
        "list": (list, LINEAR), "tuple": (tuple, LINEAR), "dict": (dict, DEEP),
        "enumerate": (lambda values, start=0: list(enumerate(values, start)), LINEAR),
        "zip": (lambda *values: list(zip(*values)), LINEAR),
        "reversed": (lambda values: list(reversed(values)), LINEAR),
        "set": (set, DEEP), "sorted": (sorted, DEEP), "min": (min, DEEP), "max": (max, DEEP),
        "str": (_str, DEEP),
        "date": (_date, LINEAR), "datetime": (_datetime, LINEAR), "Decimal": (_decimal, LINEAR),
        "timedelta": (_dt.timedelta, CONST), "now": (_dt.datetime.now, CONST),
        "today": (_dt.date.today, CONST),
    }
    return {name: SafeFunction(name, func, cost) for name, (func, cost) in table.items()}


BUILTINS = _builtins()


# -- operators ------------------------------------------------------------------------------
def power(base, exponent):
    """`**` and pow(): refuse integer results over the bit limit without computing them."""
    if type(base) in (int, bool) and type(exponent) in (int, bool) and exponent > 0 and abs(base) > 1:
        if (base.bit_length() - 1) * exponent > MAX_INT_BITS:
            raise too_big()
    return operator.pow(base, exponent)


def _guard_repeat(left, right, meter: Meter) -> None:
    """seq * n: the result length is known in advance."""
    seq, count = (left, right) if isinstance(right, int) else (right, left)
    if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
        if len(seq) * count > MAX_LEN:
            raise too_long()


def _guard_shift(left, right, meter: Meter) -> None:
    if isinstance(left, int) and isinstance(right, int) and left and right > 0:
        if left.bit_length() + right > MAX_INT_BITS:
            raise too_big()


def _guard_modulo(left, right, meter: Meter) -> None:
    if isinstance(left, str):  # printf-style formatting: bound widths, charge the arguments
        check_percent_format(left)
        meter.charge_deep(right)
        arguments = right if isinstance(right, tuple) else (right,)
        if isinstance(right, dict):
            arguments = tuple(right.values())
        for argument in arguments:
            if isinstance(argument, decimal.Decimal):
                check_decimal(argument)  # '%d' % Decimal('1e999999999') converts to int


_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: power, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
}
_INPLACE = {
    ast.Add: operator.iadd, ast.Sub: operator.isub, ast.Mult: operator.imul,
    ast.BitOr: operator.ior, ast.BitXor: operator.ixor, ast.BitAnd: operator.iand,
}
_GUARDS = {ast.Mult: _guard_repeat, ast.LShift: _guard_shift, ast.Mod: _guard_modulo}


def binary(op: type, left, right, meter: Meter, inplace: bool = False):
    """`left <op> right`; `inplace` is for augmented assignment (`x += y`)."""
    guard = _GUARDS.get(op)
    if guard is not None:
        guard(left, right, meter)
    if inplace and isinstance(left, (list, dict, set)) and op in _INPLACE:
        # Mutates left, as Python does; the cost is what is added, not the whole container.
        _check_inplace(op, left, right)
        meter.charge(shallow_size(right))
        return _INPLACE[op](left, right)
    return meter.account(_BINARY[op](left, right))


def _check_inplace(op: type, left, right) -> None:
    if op is ast.Mult:
        if isinstance(right, int) and len(left) * right > MAX_LEN:
            raise too_long()
    elif len(left) + (len(right) if hasattr(right, "__len__") else 0) > MAX_LEN:
        raise too_long()


# -- formatting -----------------------------------------------------------------------------
def check_format_spec(value, spec: str) -> None:
    """f"{x:spec}": dates take strftime codes; everything else the standard mini-language,
    whose only danger is a huge width or precision."""
    if not spec:
        return
    if isinstance(value, decimal.Decimal):
        check_decimal(value)  # '{:f}' writes every digit of the exponent out
    if isinstance(value, (_dt.date, _dt.time)):
        if len(spec) > 200:
            raise refuse("日期格式字符串过长", "date format string too long")
        return
    match = _SPEC.fullmatch(spec)
    if match is None:
        raise refuse(f"不支持的格式说明 '{spec}'", f"unsupported format spec '{spec}'")
    _check_widths(match.groups())


def _check_widths(numbers) -> None:
    for number in numbers:
        if number == "*":
            raise refuse("格式中不允许使用 '*' 宽度", "'*' width is not allowed")
        if number and (len(number) > 4 or int(number) > MAX_FORMAT_WIDTH):
            raise refuse(f"格式宽度超过上限 {MAX_FORMAT_WIDTH}", f"format width over {MAX_FORMAT_WIDTH}")


# [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?", re.S)


def check_percent_format(fmt: str) -> None:
    """Scan `fmt % args` directives exactly as CPython does (nested parentheses in keys
    included), so no width can hide from the bound."""
    i, end = 0, len(fmt)
    while (i := fmt.find("%", i)) >= 0:
        i += 1
        if i < end and fmt[i] == "(":
            depth, i = 1, i + 1
            while i < end and depth:
                depth += {"(": 1, ")": -1}.get(fmt[i], 0)
                i += 1
        while i < end and fmt[i] in "-+ #0":
            i += 1
        i, width = _read_number(fmt, i)
        precision = None
        if i < end and fmt[i] == ".":
            i, precision = _read_number(fmt, i + 1)
        _check_widths((width, precision))
        i += 1 + (i < end and fmt[i] in "hlL")


def _read_number(fmt: str, i: int) -> tuple[int, str | None]:
    if i < len(fmt) and fmt[i] == "*":
        return i + 1, "*"
    start = i
    while i < len(fmt) and fmt[i].isdigit():
        i += 1
    return i, fmt[start:i] or None


# -- values leaving the sandbox -------------------------------------------------------------
STORABLE_SCALARS = frozenset({NoneType, bool, int, float, str, _dt.date, _dt.datetime,
                              _dt.timedelta, decimal.Decimal})
_KEY_TYPES = (str, int, float, bool, NoneType)


def check_storable(value, label: str) -> None:
    """Only JSON-like data (plus dates and Decimal) may reach task data or a caller.

    `label` names the value in the message, e.g. "变量 'x'". Depth is bounded, which also
    refuses cyclic structures; node count is bounded by a meter of its own.
    """
    if type(value) in STORABLE_SCALARS:
        return
    meter = Meter(MAX_DATA_NODES, ("数据过大, 元素个数超过", "data too large"))
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        meter.charge()
        if type(item) in STORABLE_SCALARS:
            continue
        if depth >= MAX_DATA_DEPTH:
            raise refuse(f"数据嵌套过深或存在循环引用: {label}", "data nested too deeply or cyclic")
        if isinstance(item, (list, tuple)):
            stack.extend((element, depth + 1) for element in item)
        elif isinstance(item, dict):
            for key, element in item.items():
                if not isinstance(key, _KEY_TYPES):
                    raise refuse(f"不能保存类型为 '{type_name(key)}' 的字典键: {label}",
                                 f"dict key of type '{type_name(key)}' cannot be stored")
                stack.append((element, depth + 1))
        else:
            raise refuse(f"不能保存类型为 '{type_name(item)}' 的值: {label}",
                         f"value of type '{type_name(item)}' cannot be stored")
