"""JUEL compiler: real Camunda/Flowable conditions, refusals, precedence, and properties
that check compiled Python against an independent tree-walking reference evaluator."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from engine.dialects.juel import (
    Binary,
    Ident,
    Literal,
    Prop,
    Ternary,
    Unary,
    is_juel,
    parse,
    referenced_names,
    to_python,
    to_python_condition,
)
from engine.dialects.juel_runtime import FUNCTIONS, juel_str
from engine.errors import ScriptError


def run(text: str, **bindings):
    """Evaluate our own compiler's output; eval is acceptable only here, in tests."""
    code = compile(to_python(text), "<juel>", "eval")
    return eval(code, {"__builtins__": {}, **FUNCTIONS}, bindings)  # noqa: S307


# ---------------------------------------------------------------- examples

@pytest.mark.parametrize("text, bindings, expected", [
    ("${amount > 1000}", {"amount": 1500}, True),
    ("${amount > 1000}", {"amount": "999"}, False),
    ("${amount > 1000}", {"amount": "1500.50"}, True),
    ("${approved}", {"approved": True}, True),
    ("${!approved}", {"approved": "false"}, True),
    ("${invoiceCategory == 'Travel Expenses'}", {"invoiceCategory": "Travel Expenses"}, True),
    ("${vacationApproved == 'true'}", {"vacationApproved": True}, True),
    ("${vacationApproved == 'true'}", {"vacationApproved": "TRUE"}, False),
    ("${empty comments}", {"comments": ""}, True),
    ("${empty comments}", {"comments": [1]}, False),
    ("${not empty comments}", {"comments": None}, False),
    ("${a.b.c eq 'x' and not (n lt 3)}", {"a": {"b": {"c": "x"}}, "n": 5}, True),
    ("${a.b.c eq 'x' and not (n lt 3)}", {"a": {"b": None}, "n": 5}, False),
    ("${x ? 'a' : 'b'}", {"x": False}, "b"),
    ("#{loopCounter >= 2}", {"loopCounter": 2}, True),
    ("${nrOfCompletedInstances/nrOfInstances >= 0.6}",
     {"nrOfCompletedInstances": 3, "nrOfInstances": 5}, True),
    ("${nrOfCompletedInstances/nrOfInstances >= 0.6}",
     {"nrOfCompletedInstances": 0, "nrOfInstances": 0}, False),  # 0/0 is NaN
    ('${category == "水"}', {"category": "水"}, True),
    ("${申请人.部门 == '环保局'}", {"申请人": {"部门": "环保局"}}, True),
    ("${a['b c'][1]}", {"a": {"b c": [10, 20]}}, 20),
    ("${a[5]} ${a[-1]}", {"a": [1]}, " "),
    ("${order.missing == null}", {"order": {}}, True),
    ("${'5' == 5 && 5 == 5.0 && '' == 0}", {}, True),
    ("${true == 1 || 'abc' == 1 || null == 0}", {}, False),
    ("${'yes' == false}", {}, True),  # Boolean.valueOf("yes") is false
    ("${'b' > 'a' && 'B' < 'a' && null <= null && !(null < 1)}", {}, True),
    ("${'5' + 2}", {}, 7),
    ("${'2.5' * 2}", {}, 5.0),
    ("${null + null} ${7 / 2} ${7 div 2.0} ${-7 % 3} ${7 mod -3} ${7.5 % 2}", {},
     "0 3.5 3.5 -1 1 1.5"),
    ("${1 / 0} ${-1 / 0} ${x * 1.0}", {"x": 10 ** 8}, "Infinity -Infinity 1.0E8"),
    ("Hello ${name}, you owe ${amount}.", {"name": "张三", "amount": 2.0},
     "Hello 张三, you owe 2.0."),
    ("\\${literal} ${ok}", {"ok": True}, "${literal} true"),
    ("  ${ 'it\\'s \"fine\" \\\\' }  ", {}, "it's \"fine\" \\"),
    ("${type == 'x' or list == 'y'}", {"type": "x", "list": None}, True),
])
def test_real_world_expressions(text, bindings, expected):
    result = run(text, **bindings)
    assert result == expected and type(result) is type(expected)


def test_generated_python_for_a_typical_condition():
    assert to_python("${amount > 1000 && !approved}") == \
        "(juel_bool(juel_gt(amount, 1000)) and juel_bool((not juel_bool(approved))))"
    assert to_python("${a ? b : c}") == "(b if juel_bool(a) else c)"


def test_unbound_variable_is_left_to_the_sandbox():
    with pytest.raises(NameError):
        run("${missing > 1}")


def test_conditions_must_be_boolean_like_camunda():
    ok = compile(to_python_condition("${x}"), "<juel>", "eval")
    assert eval(ok, {"__builtins__": {}, **FUNCTIONS}, {"x": True}) is True  # noqa: S307
    for value in ("true", None, 1):
        with pytest.raises(ScriptError, match="condition must give true or false"):
            eval(ok, {"__builtins__": {}, **FUNCTIONS}, {"x": value})  # noqa: S307


@pytest.mark.parametrize("text, bindings, message", [
    ("${n + 1}", {"n": "abc"}, "cannot coerce string 'abc' to a number"),
    ("${n && true}", {"n": 1}, "cannot coerce number 1 to a boolean"),
    ("${n.x}", {"n": "text"}, "cannot read property 'x' of string"),
    ("${n[1.0 == 1 ? 'k' : true]}", {"n": [1]}, "list index must be an integer"),
    ("${n < 1}", {"n": True}, "cannot coerce boolean true to a number"),
    ("${n > n}", {"n": {}}, "cannot compare a map > a map"),
    ("${5 % 0}", {}, "division by zero"),
])
def test_evaluation_errors_are_script_errors(text, bindings, message):
    with pytest.raises(ScriptError, match=message):
        run(text, **bindings)


def test_is_juel_and_referenced_names():
    assert is_juel("${a}") and is_juel("#{a}") and is_juel("Dear ${name}")
    assert not is_juel("amount > 1000") and not is_juel("\\${a}") and not is_juel("$ {a}")
    assert referenced_names("${a.b.c eq 'x' and not (n lt 3) ? y[z] : 1}") == {"a", "n", "y", "z"}


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("text, message, column", [
    ("${dateTime().plusDays(1)}", "方法调用 'dateTime().plusDays' 不受支持", 3),
    ("#{bean.x()}", "method calls are not supported", 3),
    ("${execution.getVariable('x') == 1}", "'execution.getVariable'", 3),
    ("${fn:length(x) > 0}", "函数调用 'fn:length' 不受支持", 3),
    ("${ a + f(1) }", "function calls are not supported", 8),
    ("${'abc}", "unterminated string", 3),
    ("${(a == 1}", "expected ')' to close the '(' at column 3 but found the closing", 10),
    ("${a == 1)}", "unexpected ')' without a matching '('", 9),
    ("${a b}", "unexpected identifier 'b'; expected an operator", 5),
    ("${a ==}", "expected an expression but found the closing '}'", 7),
    ("${}", "empty expression", 3),
    ("${ }", "empty expression", 4),
    ("${_x > 1}", "names starting with '_'", 3),
    ("${in == 1}", "Python keyword", 3),
    ("${juel_eq}", "reserved for JUEL", 3),
    ("${a$b}", "'$' cannot appear", 3),
    ("${x = 1}", "assignment '=' (EL 3.0)", 5),
    ("${x -> x + 1}", "lambda", 5),
    ("${a; b}", "';'", 4),
    ("${a += 'b'}", "'+='", 5),
    ("${{1, 2}}", "collection literals", 3),
    ("${a instanceof b}", "'instanceof'", 5),
    ("${a & b}", "expected '&&'", 5),
    ("${a ? b}", "expected ':' for the '?' at column 5", 8),
    ("${a.}", "expected a property name after '.'", 5),
    ("${a[1}", "expected ']' to close the '['", 6),
    ("${'\\n'}", "invalid escape", 4),
    ("${a @ b}", "unexpected character '@'", 5),
    ("${99999999999999999999}", "out of range", 3),
    ("${a", "expected '}' to close this '${'", 1),
    ("${a} #{b}", "cannot mix", 1),
    ("x\n  ${a +}", "expected an expression", "line 2, column 8"),
])
def test_refusals_name_the_position(text, message, column):
    with pytest.raises(ScriptError) as caught:
        to_python(text)
    where = column if isinstance(column, str) else f"at column {column} "
    assert message in str(caught.value) and where in str(caught.value)
    assert isinstance(caught.value.position, int)


def test_nesting_limit_is_a_script_error_not_a_crash():
    for text in ("${" + "(" * 5000 + "a" + ")" * 5000 + "}", "${" + "!" * 5000 + "a}",
                 "${a" + "+a" * 5000 + "}"):
        with pytest.raises(ScriptError, match="nested too deeply"):
            to_python(text)


def test_plain_text_is_not_parsed():
    with pytest.raises(ScriptError, match="not a JUEL expression"):
        parse("amount > 1000")


# ---------------------------------------------------------------- precedence

A, B, C, D, E = (Ident(name) for name in "abcde")


@pytest.mark.parametrize("text, tree", [
    ("${1 + 2 * 3}", Binary("+", Literal(1), Binary("*", Literal(2), Literal(3)))),
    ("${1 - 2 - 3}", Binary("-", Binary("-", Literal(1), Literal(2)), Literal(3))),
    ("${!a && b}", Binary("&&", Unary("!", A), B)),
    ("${a || b && c}", Binary("||", A, Binary("&&", B, C))),
    ("${a or b and c}", Binary("||", A, Binary("&&", B, C))),
    ("${- -1}", Unary("-", Unary("-", Literal(1)))),
    ("${not empty a}", Unary("!", Unary("empty", A))),
    ("${empty a.b}", Unary("empty", Prop(A, Literal("b")))),
    ("${-a.b[c]}", Unary("-", Prop(Prop(A, Literal("b")), C))),
    ("${a ? b : c ? d : e}", Ternary(A, B, Ternary(C, D, E))),
    ("${a ? b ? c : d : e}", Ternary(A, Ternary(B, C, D), E)),
    ("${a == b < c}", Binary("==", A, Binary("<", B, C))),
    ("${a eq b ne c}", Binary("!=", Binary("==", A, B), C)),
    ("${a + b gt c mod d}", Binary(">", Binary("+", A, B), Binary("%", C, D))),
    ("${a && b ? c || d : e}", Ternary(Binary("&&", A, B), Binary("||", C, D), E)),
    ("${(a || b) && c}", Binary("&&", Binary("||", A, B), C)),
])
def test_precedence(text, tree):
    assert parse(text) == tree


def test_literals_keep_their_type():
    assert parse("${true}") != Literal(1) and parse("${1}") != Literal(1.0)
    assert parse("${1.}") == Literal(1.0) and parse("${.5e1}") == Literal(5.0)
    assert parse("${null}") == Literal(None)


# ---------------------------------------------------------------- reference evaluator

class RefError(Exception):
    """The reference evaluator's 'EL would raise here'."""


def el_type(v):
    for name, types in (("null", type(None)), ("bool", bool), ("long", int),
                        ("double", float), ("string", str)):
        if isinstance(v, types):
            return name
    return "object"


def ref_number(v):
    """EL 1.18.3 (with the documented leniency: any plain decimal string works)."""
    kind = el_type(v)
    if kind in ("long", "double"):
        return v
    if v is None or v == "":
        return 0
    if kind != "string" or set(v) - set("0123456789+-.eE"):
        raise RefError
    try:
        return float(v) if set(v) & set(".eE") else int(v)
    except ValueError:
        raise RefError from None


def ref_bool(v):
    if el_type(v) not in ("null", "bool", "string"):
        raise RefError
    return v is True or (isinstance(v, str) and v.upper() == "TRUE")


def ref_text(v):
    return juel_str(v)  # Java's Double.toString is tested by examples above


def ref_equal(a, b):
    kinds = {el_type(a), el_type(b)}
    if "null" in kinds:
        return kinds == {"null"}
    coerce = (ref_number if kinds & {"long", "double"} else ref_bool if "bool" in kinds
              else ref_text if "string" in kinds else None)
    try:
        return coerce(a) == coerce(b) if coerce else a == b
    except RefError:
        return False


def ref_relate(op, a, b):
    kinds = {el_type(a), el_type(b)}
    if "null" in kinds:
        return kinds == {"null"} and op in ("<=", ">=")
    if kinds & {"long", "double"}:
        x, y = ref_number(a), ref_number(b)
    elif "string" in kinds:
        x, y = ref_text(a), ref_text(b)
    elif kinds == {"bool"}:
        x, y = a, b
    else:
        raise RefError
    return {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]


def java_double_op(op, x, y):
    """Java double arithmetic: no exception for division or remainder by zero."""
    if op == "/" and y == 0:
        if x == 0 or x != x:
            return math.nan
        return math.inf if (x > 0) == (math.copysign(1, y) > 0) else -math.inf
    if op == "%":
        return math.nan if y == 0 or math.isinf(x) else math.fmod(x, y)
    return x / y if op == "/" else {"+": x + y, "-": x - y, "*": x * y}[op]


def ref_arith(op, a, b):
    if a is None and b is None:
        return 0
    x, y = ref_number(a), ref_number(b)
    if op == "/" or isinstance(x, float) or isinstance(y, float):
        try:
            return java_double_op(op, float(x), float(y))
        except OverflowError:
            raise RefError from None
    if op == "%":
        if y == 0:
            raise RefError
        magnitude = abs(x) - abs(y) * (abs(x) // abs(y))
        return magnitude if x >= 0 else -magnitude
    return {"+": x + y, "-": x - y, "*": x * y}[op]


def ref_prop(base, key):
    if base is None or key is None:
        return None
    if isinstance(base, dict):
        return base.get(key) if not isinstance(key, (dict, list)) else None
    if not isinstance(base, list):
        raise RefError
    kind = el_type(key)
    if kind == "long" or (kind == "double" and math.isfinite(key)):
        index = int(key)
    elif kind == "string" and not set(key) & set(".eE"):
        index = ref_number(key)
    else:
        raise RefError
    return base[index] if 0 <= index < len(base) else None


def reference(node, env):
    """Walk the AST directly, following EL 2.2 chapter 1 as restated above."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ident):
        return env[node.name]
    if isinstance(node, Prop):
        return ref_prop(reference(node.base, env), reference(node.key, env))
    if isinstance(node, Ternary):
        branch = node.then if ref_bool(reference(node.cond, env)) else node.other
        return reference(branch, env)
    if isinstance(node, Unary):
        value = reference(node.operand, env)
        if node.op == "empty":
            return value is None or (isinstance(value, (str, list, dict)) and not value)
        return (not ref_bool(value)) if node.op == "!" else -ref_number(value)
    left = reference(node.left, env)
    if node.op in ("&&", "||"):
        if ref_bool(left) == (node.op == "||"):
            return node.op == "||"
        return ref_bool(reference(node.right, env))
    right = reference(node.right, env)
    if node.op in ("==", "!="):
        return ref_equal(left, right) == (node.op == "==")
    if node.op in ("<", ">", "<=", ">="):
        return ref_relate(node.op, left, right)
    return ref_arith(node.op, left, right)


# ---------------------------------------------------------------- generators

NAMES = ["a", "b", "amount", "approved", "水", "n"]
KEYS = ["b", "c", "name", "empty", "x y", "部门"]  # 'empty' and 'x y' need brackets
BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4,
          "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
WORDS = {"||": "or", "&&": "and", "==": "eq", "!=": "ne", "<": "lt", ">": "gt",
         "<=": "le", ">=": "ge", "/": "div", "%": "mod", "!": "not", "empty": "empty"}
RESERVED = set(WORDS.values()) | {"true", "false", "null", "instanceof"}
STRINGS = ["", "5", "-3", "2.5", "1e3", "abc", "true", "TRUE", "false", "水", " 5", "it's",
           'say "hi"', "back\\slash", "0"]

literals = st.one_of(
    st.none(), st.booleans(), st.integers(0, 6), st.integers(0, 2 ** 63 - 1),
    st.sampled_from([0.0, 0.5, 2.5, 1e-5, 1e7]), st.floats(0, 1e300),
    st.sampled_from(STRINGS)).map(Literal)


def weighted(*choices):
    """one_of with weights: st.one_of flattens nested unions, so a plain one_of of
    (literals, names) would draw a name only once in eight."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


leaves = weighted((1, literals), (1, st.sampled_from(NAMES).map(Ident)))
index_keys = st.one_of(st.sampled_from(KEYS).map(Literal), st.integers(0, 3).map(Literal),
                       st.integers(1, 2).map(lambda i: Unary("-", Literal(i))))


def trees(with_props: bool, depth: int):
    """Random ASTs of at most `depth` levels, mostly operators; without property access
    the values stay scalar, so fewer cases end in an early coercion error."""
    kids = leaves if depth == 1 else trees(with_props, depth - 1)
    return weighted(
        (1, leaves), (4, st.builds(Binary, st.sampled_from(sorted(BINARY)), kids, kids)),
        (1, st.builds(Unary, st.sampled_from(["-", "!", "empty"]), kids)),
        (1, st.builds(Ternary, kids, kids, kids)),
        (with_props, st.builds(Prop, kids, st.one_of(index_keys, kids))))


scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.integers(),
                    st.sampled_from([-0.0, 0.5, -2.5, 1e300]), st.floats(allow_nan=False),
                    st.sampled_from(STRINGS))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=6)
environments = st.fixed_dictionaries({name: values for name in NAMES})
asts = trees(True, 4)

# Typed generation: EL refuses `1 && x` or `true + 1`, so random untyped trees mostly
# stop at their first coercion error. Here `amount`/`n` hold number-like values and
# `approved` boolean-like ones, and operators get operands of the kind they coerce to.
SMALL = [-3, -1, 0, 1, 2, 5, -2.5, 0.5, 5.0, -0.0, "5", "-3", "2.5", "5.0", "1e3", "", None]
numberish = weighted((4, st.sampled_from(SMALL)), (1, st.integers()),
                     (1, st.floats(allow_nan=False)))
boolish = st.sampled_from([True, False, "true", "false", "TRUE", "", None, "yes"])
typed_envs = st.fixed_dictionaries({"amount": numberish, "n": numberish,
                                    "approved": boolish, "a": scalars, "b": scalars})
NUMBER_LEAVES = weighted(
    (2, st.sampled_from([0, 1, 2, 3, 5, 0.0, 0.5, 2.5, 5.0, "5", "2.5", "-3", ""]).map(Literal)),
    (1, st.one_of(st.integers(0, 2 ** 63 - 1), st.floats(0, 1e300)).map(Literal)),
    (3, st.sampled_from(["amount", "n"]).map(Ident)))
BOOL_LEAVES = weighted((1, st.booleans().map(Literal)), (1, st.just(Ident("approved"))),
                       (1, st.sampled_from(["true", "false", "", None]).map(Literal)))
ANY_LEAVES = st.one_of(NUMBER_LEAVES, BOOL_LEAVES, st.sampled_from(["a", "b"]).map(Ident),
                       st.sampled_from(STRINGS).map(Literal))


def typed_trees(depth: int):
    """(number-valued, boolean-valued) tree strategies of at most `depth` levels."""
    if depth == 1:
        return NUMBER_LEAVES, BOOL_LEAVES
    nums, bools = typed_trees(depth - 1)
    anys = st.one_of(nums, bools, ANY_LEAVES)
    number = weighted(
        (1, NUMBER_LEAVES), (4, st.builds(Binary, st.sampled_from("+-*/%"), nums, nums)),
        (1, st.builds(Unary, st.just("-"), nums)), (1, st.builds(Ternary, bools, nums, nums)))
    boolean = weighted(
        (1, BOOL_LEAVES), (1, st.builds(Unary, st.sampled_from(["!", "empty"]), bools)),
        (3, st.builds(Binary, st.sampled_from(["==", "!="]), nums, nums)),
        (3, st.builds(Binary, st.sampled_from(["<", ">", "<=", ">="]), nums, nums)),
        (3, st.builds(Binary, st.sampled_from(["==", "!=", "<", ">="]), anys, anys)),
        (2, st.builds(Binary, st.sampled_from(["&&", "||"]), bools, bools)),
        (1, st.builds(Unary, st.just("empty"), anys)), (1, st.builds(Ternary, bools, bools, anys)))
    return number, boolean


def render_literal(value, rnd):
    if isinstance(value, str):
        quote = rnd.choice("'\"")
        body = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
        if quote == '"' and rnd.random() < 0.3:
            body = body.replace("'", "\\'")  # escaping the other quote is allowed too
        return quote + body + quote
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return repr(value)


def render(node, rnd, need=0):
    """JUEL text for node, choosing symbol or word operators, spacing and extra parens."""
    text, level = render_bare(node, rnd)
    space = rnd.choice(["", " ", "\n "])
    if level < need or rnd.random() < 0.1:
        return f"({space}{text}{space})"
    return text


def render_bare(node, rnd):
    pad = rnd.choice([" ", "  ", "\t"])
    word = rnd.random() < 0.5
    if isinstance(node, Literal):
        return render_literal(node.value, rnd), 9
    if isinstance(node, Ident):
        return node.name, 9
    if isinstance(node, Prop):
        base = render(node.base, rnd, 8)
        base = f"({base})" if isinstance(node.base, Literal) else base
        key = node.key.value if isinstance(node.key, Literal) else None
        if isinstance(key, str) and key.isidentifier() and key not in RESERVED \
                and rnd.random() < 0.7:
            return f"{base}.{key}", 8
        return f"{base}[{render(node.key, rnd)}]", 8
    if isinstance(node, Unary):
        op = WORDS[node.op] + pad if node.op == "empty" or (word and node.op == "!") else node.op
        return op + rnd.choice(["", " "]) + render(node.operand, rnd, 7), 7
    if isinstance(node, Ternary):
        return (f"{render(node.cond, rnd, 1)} ? {render(node.then, rnd)} : "
                f"{render(node.other, rnd)}"), 0
    prec = BINARY[node.op]
    op = f"{pad}{WORDS[node.op]}{pad}" if word and node.op in WORDS else \
        rnd.choice(["", " "]) + node.op + rnd.choice(["", " "])
    return render(node.left, rnd, prec) + op + render(node.right, rnd, prec + 1), prec


def to_text(tree):
    """Fixed rendering for the exhaustive tests: Ident/Literal leaves only."""
    if isinstance(tree, Ident):
        return tree.name
    if isinstance(tree, Literal):
        return repr(tree.value)
    if isinstance(tree, Unary):
        return f"{tree.op} {to_text(tree.operand)}"
    if isinstance(tree, Prop):
        return f"{to_text(tree.base)}[{to_text(tree.key)}]"
    if isinstance(tree, Ternary):
        return f"{to_text(tree.cond)} ? {to_text(tree.then)} : {to_text(tree.other)}"
    return f"{to_text(tree.left)} {tree.op} {to_text(tree.right)}"


def same(x, y):
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return (math.isnan(x) and math.isnan(y)) or (x == y and str(x) == str(y))
    return x == y


def outcome(thunk, error):
    try:
        return "ok", thunk()
    except error:
        return "error", None


# ---------------------------------------------------------------- properties

@settings(max_examples=400, deadline=None)
@given(asts, st.randoms(use_true_random=False), st.sampled_from("$#"))
def test_render_then_parse_round_trips(tree, rnd, marker):
    assert parse(f" {marker}{{ {render(tree, rnd)} }}\n") == tree


def agrees(tree, env, rnd):
    text = "${" + (render(tree, rnd) if rnd else to_text(tree)) + "}"
    got = outcome(lambda: run(text, **env), ScriptError)
    want = outcome(lambda: reference(tree, env), RefError)
    assert got[0] == want[0], (text, env, got, want)
    assert same(got[1], want[1]), (text, env, got, want)


@settings(max_examples=500, deadline=None)
@given(weighted(*zip((1, 3), typed_trees(3))), typed_envs, st.randoms(use_true_random=False))
def test_operators_agree_with_reference_evaluator(tree, env, rnd):
    agrees(tree, env, rnd)


@settings(max_examples=200, deadline=None)
@given(trees(False, 3), st.fixed_dictionaries({name: scalars for name in NAMES}),
       st.randoms(use_true_random=False))
def test_untyped_operators_agree_with_reference_evaluator(tree, env, rnd):
    agrees(tree, env, rnd)


SAMPLES = SMALL + [7, -7, 3.5, 1e300, -math.inf, True, False, "true", "TRUE", "yes", "abc",
                   "B", "a", "水", [], [1], {}, {"b": 1}]


@pytest.mark.parametrize("op", sorted(BINARY))
def test_every_operator_on_every_pair_of_sample_values(op):
    """Exhaustive rather than random: each operator on all pairs of awkward values."""
    tree = Binary(op, Ident("a"), Ident("b"))
    for left in SAMPLES:
        for right in SAMPLES:
            agrees(tree, {"a": left, "b": right}, None)


def test_every_unary_operator_and_property_access_on_sample_values():
    for value in SAMPLES:
        for tree in [Unary(op, Ident("a")) for op in ("-", "!", "empty")] + [
                Prop(Ident("a"), Ident("b")), Ternary(Ident("a"), Literal(1), Literal(2))]:
            for key in (None, 0, -1, 1.9, "0", "b", "1.0", True):
                agrees(tree, {"a": value, "b": key}, None)


@settings(max_examples=200, deadline=None)
@given(asts, environments, st.randoms(use_true_random=False))
def test_nested_data_agrees_with_reference_evaluator(tree, env, rnd):
    agrees(tree, env, rnd)


@settings(max_examples=200, deadline=None)
@given(asts, environments, st.randoms(use_true_random=False))
def test_composite_text_concatenates_string_coercions(tree, env, rnd):
    text = "金额 ${" + render(tree, rnd) + "} 元"
    got = outcome(lambda: run(text, **env), ScriptError)
    want = outcome(lambda: f"金额 {ref_text(reference(tree, env))} 元", RefError)
    assert got == want, text


def test_through_the_engine_sandbox():
    from engine.sandbox.interpreter import Sandbox
    sandbox = Sandbox(functions=FUNCTIONS)
    assert sandbox.evaluate(to_python("${a.b > 1 && not empty c}"),
                            {"a": {"b": "2"}, "c": "x"}) is True
