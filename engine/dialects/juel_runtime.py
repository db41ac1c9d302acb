"""Runtime helpers called by the Python code that `engine.dialects.juel` compiles.

Why a module of plain functions: the compiled expression has to pass the sandbox's strict
AST whitelist (no attribute access, no Python operators with Python's semantics), so
every EL operation -- with EL's coercion rules (EL 2.2 spec 1.6-1.10 and 1.18) -- lives
here and the engine registers `FUNCTIONS` with the sandbox.

Values are what process variables hold after a JSON round-trip: None, bool, int, float,
str, dict and list (tuples are treated like lists). Every failure is a `ScriptError`
with a readable message, never a TypeError or ValueError.

Deliberate choices where EL is vague or Java-specific:
  * Numeric strings: '' and null are 0; a string containing '.', 'e' or 'E' is a Double,
    anything else must be a plain integer. Relational operators accept any numeric
    string where JUEL would insist on a Long ("1500.50" > 1000 works instead of failing).
  * `==`/`!=` never raise: if EL would coerce and the coercion fails ("abc" == 5,
    true == 1, a dict == true), the operands are simply not equal.
  * Integers are unbounded (Java Long would wrap); Double division and remainder follow
    Java/IEEE (1/0 is Infinity, 0/0 and x % 0.0 are NaN); Long remainder by 0 fails.
  * Containers turned into text (composite `Hello ${list}`) use Python's str().
"""
from __future__ import annotations

import decimal
import math
import operator
from collections.abc import Callable
from typing import Any

from engine.errors import ScriptError

_NUMBER_CHARS = frozenset("0123456789+-.eE")
_DOUBLE_MARKS = frozenset(".eE")


def _is_number(value: Any) -> bool:
    """bool is an int in Python but a Boolean in EL, so it is never a number here."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    """Name a value's EL type for messages, showing short scalars verbatim."""
    if isinstance(value, (dict, list, tuple)):
        return "a map" if isinstance(value, dict) else "a list"
    text = repr(value) if isinstance(value, str) else juel_str(value)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, bool):
        return f"boolean {shown}"
    if _is_number(value):
        return f"number {shown}"
    return f"string {shown}" if isinstance(value, str) else type(value).__name__


def _fail(message: str) -> ScriptError:
    return ScriptError(f"JUEL 运行错误 (evaluation error): {message}")


def _parse_number(text: str) -> int | float:
    """EL 1.18.3 String -> Number, accepting only plain decimal notation like Java does
    (no '1_000', 'inf' or padding that Python's int()/float() would let through)."""
    if text == "":
        return 0
    try:
        if not set(text) <= _NUMBER_CHARS:
            raise ValueError(text)
        return float(text) if _DOUBLE_MARKS & set(text) else int(text)
    except ValueError:
        raise _fail(f"cannot coerce {_kind(text)} to a number") from None


def _to_number(value: Any) -> int | float:
    """EL 1.18.3: null -> 0, numbers as they are, numeric strings parsed, others fail."""
    if value is None:
        return 0
    if _is_number(value):
        return value
    if isinstance(value, str):
        return _parse_number(value)
    raise _fail(f"cannot coerce {_kind(value)} to a number")


def _to_bool(value: Any) -> bool:
    """EL 1.18.5: null and '' -> false, strings via Boolean.valueOf, numbers etc. fail."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise _fail(f"cannot coerce {_kind(value)} to a boolean")


def _double_str(value: float) -> str:
    """Java's Double.toString, so `${x}` in text reads '1.0E7' and '2.0' like in Camunda."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    value = abs(value)
    if value == 0 or 1e-3 <= value < 1e7:
        return sign + repr(value)
    shortest = decimal.Decimal(repr(value))
    digits = "".join(map(str, shortest.as_tuple().digits)).rstrip("0") or "0"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{shortest.adjusted()}"


def juel_str(value: Any) -> str:
    """EL 1.18.2 coerce to String: null -> '', booleans 'true'/'false', Java doubles."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _double_str(value)
    return value if isinstance(value, str) else str(value)


def juel_bool(value: Any) -> bool:
    """Operand of && || ! and of ?: (EL 1.9, 1.13); the compiled code only applies
    Python's and/or/not to the results of this function."""
    return _to_bool(value)


def juel_condition(value: Any) -> bool:
    """A sequence-flow or completion condition must yield a Boolean, as in Camunda
    ("condition expression returns non-Boolean"); "true" or null is an error there."""
    if isinstance(value, bool):
        return value
    raise _fail(f"a condition must give true or false, not {_kind(value)}")


def juel_empty(value: Any) -> bool:
    """EL 1.10: null, '' and empty collections are empty; everything else is not."""
    if value is None:
        return True
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        return len(value) == 0
    return False


def _to_index(key: Any) -> int:
    """EL 1.6: a list index is coerced to an int; '1.0', booleans and maps fail."""
    index = None
    if isinstance(key, str) and not _DOUBLE_MARKS & set(key):
        try:
            index = _parse_number(key)
        except ScriptError:
            pass
    elif isinstance(key, float):
        index = int(key) if math.isfinite(key) else None
    elif _is_number(key):
        index = key
    if index is None:
        raise _fail(f"list index must be an integer, not {_kind(key)}")
    return index


def juel_prop(base: Any, key: Any) -> Any:
    """`a.b` and `a[b]` (EL 1.6): null base or key -> null, missing map key -> null,
    list index out of range (including negative) -> null, anything else fails."""
    if base is None or key is None:
        return None
    if isinstance(base, dict):
        try:
            return base.get(key)
        except TypeError:  # unhashable key: no map can contain it
            return None
    if isinstance(base, (list, tuple)):
        index = _to_index(key)
        return base[index] if 0 <= index < len(base) else None
    raise _fail(f"cannot read property {juel_str(key)!r} of {_kind(base)}")


def juel_eq(a: Any, b: Any) -> bool:
    """EL 1.8.2 equality; a coercion that fails means "not equal" (see module doc)."""
    if a is None or b is None:
        return a is None and b is None
    try:
        if _is_number(a) or _is_number(b):
            return _to_number(a) == _to_number(b)
        if isinstance(a, bool) or isinstance(b, bool):
            return _to_bool(a) == _to_bool(b)
    except ScriptError:
        return False
    if isinstance(a, str) or isinstance(b, str):
        return juel_str(a) == juel_str(b)
    return a == b


def juel_ne(a: Any, b: Any) -> bool:
    return not juel_eq(a, b)


def _relate(a: Any, b: Any, test: Callable[[Any, Any], bool], name: str) -> bool:
    """EL 1.8.1: null vs null is true only for <= and >=; null vs anything else is
    false; numbers win over strings, strings over booleans; anything else fails."""
    if a is None or b is None:
        return a is None and b is None and name in ("<=", ">=")
    if _is_number(a) or _is_number(b):
        return test(_to_number(a), _to_number(b))
    if isinstance(a, str) or isinstance(b, str):
        return test(juel_str(a), juel_str(b))
    if isinstance(a, bool) and isinstance(b, bool):
        return test(a, b)
    raise _fail(f"cannot compare {_kind(a)} {name} {_kind(b)}")


def juel_lt(a: Any, b: Any) -> bool:
    return _relate(a, b, operator.lt, "<")


def juel_gt(a: Any, b: Any) -> bool:
    return _relate(a, b, operator.gt, ">")


def juel_le(a: Any, b: Any) -> bool:
    return _relate(a, b, operator.le, "<=")


def juel_ge(a: Any, b: Any) -> bool:
    return _relate(a, b, operator.ge, ">=")


def _arith(a: Any, b: Any, on_long: Callable, on_double: Callable) -> int | float:
    """EL 1.7.1-1.7.3 shape: null op null is 0; a Double (or a string with '.', 'e'
    or 'E', which _to_number turns into a float) makes it Double arithmetic."""
    if a is None and b is None:
        return 0
    x, y = _to_number(a), _to_number(b)
    try:
        if isinstance(x, float) or isinstance(y, float):
            return on_double(float(x), float(y))
        return on_long(x, y)
    except OverflowError:
        raise _fail("number out of range") from None


def _double_div(x: float, y: float) -> float:
    """Java double division: dividing by zero gives a signed Infinity, or NaN for 0/0."""
    if y != 0:
        return x / y
    if x == 0 or math.isnan(x):
        return math.nan
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


def _double_mod(x: float, y: float) -> float:
    """Java's % on doubles is C fmod (sign of the dividend); undefined cases are NaN."""
    try:
        return math.fmod(x, y)
    except ValueError:
        return math.nan


def _long_mod(x: int, y: int) -> int:
    """Java's % on longs truncates toward zero, unlike Python's floor modulo."""
    if y == 0:
        raise _fail("division by zero in '%' / 'mod'")
    remainder = abs(x) % abs(y)
    return -remainder if x < 0 else remainder


def juel_add(a: Any, b: Any) -> int | float:
    """EL '+' is arithmetic only: strings are coerced to numbers, never concatenated."""
    return _arith(a, b, operator.add, operator.add)


def juel_sub(a: Any, b: Any) -> int | float:
    return _arith(a, b, operator.sub, operator.sub)


def juel_mul(a: Any, b: Any) -> int | float:
    return _arith(a, b, operator.mul, operator.mul)


def juel_div(a: Any, b: Any) -> int | float:
    """EL 1.7.2: '/' and 'div' always divide as Doubles (null / null is still 0)."""
    return _arith(a, b, lambda x, y: _double_div(float(x), float(y)), _double_div)


def juel_mod(a: Any, b: Any) -> int | float:
    return _arith(a, b, _long_mod, _double_mod)


def juel_neg(value: Any) -> int | float:
    """EL 1.7.4 unary minus: null -> 0, numeric strings as in arithmetic."""
    return -_to_number(value)


def juel_concat(*parts: Any) -> str:
    """Composite text `Hello ${name}!`: every part coerced to String and joined."""
    return "".join(juel_str(part) for part in parts)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn for fn in (
        juel_prop, juel_eq, juel_ne, juel_lt, juel_gt, juel_le, juel_ge, juel_bool,
        juel_condition, juel_empty, juel_add, juel_sub, juel_mul, juel_div, juel_mod,
        juel_neg, juel_concat, juel_str)
}
