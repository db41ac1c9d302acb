"""FEEL simple unary tests and literals → Python source (engine.dmn.feel).

The translated source is evaluated here with `eval` on our own output — acceptable in
tests only; the engine hands it to the sandboxed script engine.
"""
from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings, strategies as st

from engine.dmn.feel import input_expression_to_python, literal_to_python, literal_values, unary_tests_to_python
from engine.errors import ScriptError

# What the sandbox's whitelist is expected to accept for FEEL cells.
ALLOWED_NODES = (ast.Expression, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Name, ast.Constant,
                 ast.Tuple, ast.Subscript, ast.Load, ast.And, ast.Or, ast.Not, ast.USub,
                 ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)


def verdict(cell: str, value, **names) -> bool:
    src = unary_tests_to_python(cell, 'v')
    if src is None:
        return True
    return eval(src, {'__builtins__': {}}, {'v': value, **names})


try:
    from engine.sandbox.interpreter import Sandbox
    SANDBOX = Sandbox()
except ImportError:  # written in parallel by another helper
    SANDBOX = None


def assert_whitelisted(src: str) -> None:
    """Only the node types promised in engine.dmn.feel, and the sandbox (if present) agrees."""
    for node in ast.walk(ast.parse(src, mode='eval')):
        assert isinstance(node, ALLOWED_NODES), (src, type(node).__name__)
    if SANDBOX is not None:
        SANDBOX.check_expression(src)


# ---------------------------------------------------------------- each form

@pytest.mark.parametrize('cell', ['-', '', '  ', None, ' - '])
def test_any_input(cell):
    assert unary_tests_to_python(cell, 'v') is None


@pytest.mark.parametrize('cell, value, expected', [
    ('"水"', '水', True), ('"水"', '气', False),
    ('"水","气"', '气', True), ('"水", "气"', '土', False),
    ('"水"，"气"', '气', True),                       # full-width comma
    ('5', 5, True), ('5', 5.0, True), ('5', '5', False), ('"5"', 5, False),
    ('-3.5', -3.5, True), ('-3.5', 3.5, False),
    ('true', True, True), ('false', True, False),
    ('null', None, True), ('null', 0, False), ('null', '', False),
    ('"say \\"hi\\""', 'say "hi"', True), ('"a\\u6c34"', 'a水', True),
    ("'single'", 'single', True),
    ('date("2024-01-01")', '2024-01-01', True),
])
def test_literal_equality(cell, value, expected):
    assert verdict(cell, value) is expected


@pytest.mark.parametrize('cell, value, expected', [
    ('< 10', 9, True), ('< 10', 10, False), ('<= 10', 10, True), ('<=10', 10.5, False),
    ('> "b"', 'c', True), ('> "b"', 'a', False), ('>= 2.5', 2.5, True),
    ('< 10', None, False), ('>= 0', None, False),
    ('> date("2024-01-01")', '2024-02-01', True),
])
def test_comparisons(cell, value, expected):
    assert verdict(cell, value) is expected


def test_comparison_with_name_and_path_endpoints():
    assert verdict('>= limit', 5, limit=5) is True
    assert verdict('>= limit', 5, limit=None) is False
    assert verdict('< a.b.c', 1, a={'b': {'c': 2}}) is True
    assert unary_tests_to_python('< a.b', 'v') == "v != None and a['b'] != None and v < a['b']"
    assert verdict('x', 3, x=3) is True  # a bare name is equality with that variable


@pytest.mark.parametrize('cell, inside, low, high', [
    ('[1..5]', True, True, True), ('(1..5)', True, False, False), (']1..5[', True, False, False),
    ('[1..5[', True, True, False), ('(1..5]', True, False, True), (']1..5]', True, False, True),
])
def test_intervals(cell, inside, low, high):
    assert verdict(cell, 3) is inside
    assert verdict(cell, 1) is low
    assert verdict(cell, 5) is high
    assert verdict(cell, 0) is False and verdict(cell, 6) is False
    assert verdict(cell, None) is False


def test_interval_of_strings_and_decimals():
    assert verdict('["a".."c"]', 'b') is True
    assert verdict('[0.5..1.5]', 1.5) is True
    assert verdict('[-2..-1]', -1.5) is True


@pytest.mark.parametrize('cell, value, expected', [
    ('not("x")', 'y', True), ('not("x")', 'x', False),
    ('not("水", "气")', '土', True), ('not("水", "气")', '气', False),
    ('not(< 3)', 5, True), ('not([1..5])', 3, False), ('not([1..5])', 7, True),
    ('not(null)', None, False), ('not(null)', 1, True),
])
def test_negation(cell, value, expected):
    assert verdict(cell, value) is expected


def test_mixed_disjunction():
    cell = '"n/a", < 0, [10..20], > limit'
    assert [verdict(cell, v, limit=100) for v in (-1, 15, 'n/a', 101, 50)] == \
        [True, True, True, True, False]


def test_ordering_a_string_against_a_number_is_an_error_not_a_silent_miss():
    with pytest.raises(TypeError):  # the script engine reports it as a ScriptError
        verdict('"n/a", < 0', 'other')


@pytest.mark.parametrize('cell, value, expected', [
    ('== 1', 1, True), ('== 1', 2, False), ('!= "x"', 'y', True), ('!= "x"', 'x', False),
    ('= 3', 3, True), ('in ["a", "b"]', 'b', True), ('in ["a"]', 'c', False),
    ('not in [1, 2]', 3, True), ('not in [1, 2]', 2, False),
])
def test_flowable_and_python_style_extensions(cell, value, expected):
    assert verdict(cell, value) is expected


@pytest.mark.parametrize('cell, value, expected', [
    ('? > 3', 4, True), ('? > 3', 3, False), ('dmninputexpr > 3', 4, True),
    ('4 < ? < 6', 5, True), ('len(?) > 2', 'abcd', True), ('"?" in ?', 'why?', True),
    ('> 3 and ? < 9', 5, True), ('> 3 and ? < 9', 10, False),
    ('in allowed', 'a', True), ('x > 3', True, True),
])
def test_spiff_python_cells(cell, value, expected):
    assert verdict(cell, value, len=len, allowed=['a'], x=4) is expected


def test_translation_is_whitelisted_python():
    for cell in ['"水","气"', '< 10', '[1..5[', 'not("x", < 3)', '>= a.b', 'null', '-5',
                 'in ["a"]', 'not in [1]', '== 1', 'true', 'date("2024-01-01")']:
        assert_whitelisted(unary_tests_to_python(cell, 'v'))


def test_list_of_literals_becomes_a_tuple_membership():
    assert unary_tests_to_python('"水","气"', 'v') == "v in ('水', '气')"
    assert unary_tests_to_python('[1..5]', 'v') == 'v != None and 1 <= v <= 5'


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize('cell, reason', [
    ('[1..5', "区间应以"), ('"abc', '引号'), ('< null', 'null'), ('1..5', '多余'),
    ('"a",', '字面量'), ('date("2024-13-01")', 'ISO'), ('[1..]', '值'), ('not(', '值'),
    ('< ', '值'), ('#', '字符'), ('"a" "b"', '多余'),
])
def test_syntax_errors_name_the_cell_and_reason(cell, reason):
    with pytest.raises(ScriptError) as info:
        unary_tests_to_python(cell, 'v')
    assert repr(cell.strip()) in str(info.value) and reason in str(info.value)


# ---------------------------------------------------------------- literals and inputs

@pytest.mark.parametrize('text, python', [
    ('"A"', "'A'"), ('"水"', "'水'"), ("'result1'", "'result1'"), ('5', '5'), ('-2.50', '-2.5'),
    ('true', 'True'), ('false', 'False'), ('null', 'None'), ('', 'None'), (None, 'None'),
    ('a.b', "a['b']"), ('amount', 'amount'), ('amount * 2', 'amount * 2'),
    ('date("2024-01-01")', "'2024-01-01'"), ('"a\\nb"', repr('a\nb')),
])
def test_literal_to_python(text, python):
    assert literal_to_python(text) == python


def test_input_expressions():
    assert input_expression_to_python('invoiceCategory') == 'invoiceCategory'
    assert input_expression_to_python(' a.b.c ') == "a['b']['c']"
    assert input_expression_to_python('len(items)') == 'len(items)'
    assert input_expression_to_python('') is None


def test_literal_values_keep_priority_order():
    assert literal_values('"high","medium", "low"') == ['high', 'medium', 'low']
    assert literal_values('1, 2.5, -3') == [1, 2.5, -3]
    assert literal_values('') == []
    with pytest.raises(ScriptError):
        literal_values('"a", > 3')


# ---------------------------------------------------------------- property test

class Mismatch(Exception):
    """FEEL would give null here; our translation raises TypeError instead."""


def _kind(value):
    return 'str' if isinstance(value, str) else 'num'


def _ordered(op, x, y):
    if _kind(x) != _kind(y):
        raise Mismatch
    return {'<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y}[op]


def _feel_string(value: str) -> str:
    return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'


def _feel_number(value) -> str:
    return str(value) if isinstance(value, int) else f'{value:.1f}'


numbers = st.one_of(st.integers(-20, 20), st.integers(-200, 200).map(lambda n: n / 10))
strings = st.text(alphabet='ab水气"\\ ', max_size=3)
literals = st.one_of(numbers.map(lambda v: (v, _feel_number(v))),
                     strings.map(lambda v: (v, _feel_string(v))))


@st.composite
def positive_tests(draw):
    """(FEEL text, reference function) for one simple positive unary test."""
    form = draw(st.sampled_from(['eq', 'cmp', 'range']))
    if form == 'eq':
        value, text = draw(literals)
        return text, lambda x: _kind(x) == _kind(value) and x == value
    if form == 'cmp':
        op = draw(st.sampled_from(['<', '<=', '>', '>=']))
        value, text = draw(literals)
        space = draw(st.sampled_from(['', ' ']))
        return f'{op}{space}{text}', lambda x: _ordered(op, x, value)
    pool = numbers.map(lambda v: (v, _feel_number(v))) if draw(st.booleans()) \
        else strings.map(lambda v: (v, _feel_string(v)))
    (low, low_text), (high, high_text) = draw(pool), draw(pool)
    low_closed, high_closed = draw(st.booleans()), draw(st.booleans())
    opener = '[' if low_closed else draw(st.sampled_from(['(', ']']))
    closer = ']' if high_closed else draw(st.sampled_from([')', '[']))
    low_op, high_op = ('<=' if low_closed else '<'), ('<=' if high_closed else '<')
    return (f'{opener}{low_text}..{high_text}{closer}',
            lambda x: _ordered(low_op, low, x) and _ordered(high_op, x, high))


@st.composite
def unary_tests(draw):
    items = draw(st.lists(positive_tests(), min_size=1, max_size=3))
    text = draw(st.sampled_from([',', ', ', ' , '])).join(t for t, _ in items)

    def any_true(x):
        return any(check(x) for _, check in items)
    if draw(st.booleans()):
        return f'not({text})', lambda x: not any_true(x)
    return text, any_true


def _outcome(function, x):
    try:
        return bool(function(x))
    except (Mismatch, TypeError):
        return 'error'


@settings(max_examples=400, deadline=None)
@given(unary_tests(), st.one_of(numbers, strings))
def test_translation_agrees_with_reference_evaluator(test, value):
    text, reference = test
    src = unary_tests_to_python(text, 'v')
    assert_whitelisted(src)
    ours = _outcome(lambda x: eval(src, {'__builtins__': {}}, {'v': x}), value)
    assert ours == _outcome(reference, value), (text, src, value)
