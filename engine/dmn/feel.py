"""FEEL, the DMN expression language, translated to Python source for the sandbox.

Decision tables written in Camunda Modeler or Flowable use FEEL *simple unary tests* in
their input cells (`"水","气"`, `[1..5]`, `not(< 3)`, `-`) and FEEL literals in their
output cells. SpiffWorkflow builds Python for these by string concatenation, which gets
most of them wrong. Here a real tokenizer and recursive-descent parser turn a cell into a
small tree, and the tree is emitted as a Python expression over one input variable that
uses only literals, names, subscripts with string keys, comparisons, `and`/`or`/`not`
and `in` over tuple displays -- so the result passes the sandbox's strict AST whitelist.
Nothing here evaluates anything; the DMN layer hands the source to the script engine.

Supported cell grammar (DMN 1.1-1.3 "simple unary tests", plus extensions marked *):

    tests     := '-' | <empty> | test (',' test)*
    test      := 'not' '(' test (',' test)* ')'          (also allowed inside a list*)
               | ('<' | '<=' | '>' | '>=') endpoint
               | ('=' | '==' | '!=') endpoint             * Flowable/JUEL style
               | ('in' | 'not' 'in') '[' literal, ... ']' * Spiff/Python style
               | ('[' | '(' | ']') endpoint '..' endpoint (']' | ')' | '[')
               | endpoint                                 (equality)
    endpoint  := literal | name ('.' name)*               (a.b becomes a["b"])
    literal   := "string" | 'string'* | number | -number | true | false | null
               | date("…") | time("…") | date and time("…")

A cell that is not FEEL is taken as a Python expression, Spiff style: `?` (or the name
`dmninputexpr`, or an alias such as Camunda's `cellInput`) stands for the input value, an
expression without it is compared for equality with the input, and a fragment like
`> 3 and ? < 9` or `in allowed` is appended to the input. Python that only parses because
of a FEEL slip (`"a",`, `"a" "b"`, `< null`) is refused instead of guessed at.
The tokenizer lives in engine.dmn.feel_lexer, that Python fallback in engine.dmn.feel_python.

Semantics worth knowing: ordering tests and ranges are false for a null input (FEEL says
null, which fails the rule just the same -- except under `not(...)`, where ours matches
and FEEL's stays null); ordering a number against a string is a run-time error rather
than FEEL's silent null; equality follows Python, so `1` and `true` are equal;
dates/times are kept as ISO strings because task data is JSON.
"""
from __future__ import annotations

import datetime
import keyword
from dataclasses import dataclass

from engine.dmn.feel_lexer import FeelSyntaxError, FeelValueError, Tok, tokenize
from engine.dmn.feel_python import SPIFF_INPUT_NAME, python_cell
from engine.errors import ScriptError

__all__ = ['unary_tests_to_python', 'literal_to_python', 'input_expression_to_python',
           'literal_values', 'SPIFF_INPUT_NAME']

_TEMPORAL = {'date': datetime.date.fromisoformat, 'time': datetime.time.fromisoformat,
             'date and time': datetime.datetime.fromisoformat}


# ---------------------------------------------------------------- tree

@dataclass(frozen=True)
class _Val:
    """An endpoint: a literal (`is_literal`, `value`) or a name path; `src` is Python."""
    src: str
    is_literal: bool
    value: object = None


@dataclass(frozen=True)
class _Test:
    """One test; `kind` in eq, ne, cmp, range, in, notin, not (`subs` is its disjunction)."""
    kind: str
    op: str = ''
    vals: tuple = ()
    subs: tuple = ()
    closed: tuple = (True, True)


# ---------------------------------------------------------------- parser

class _Parser:
    """Recursive descent over the token list; each method consumes one production."""

    def __init__(self, text: str):
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def is_op(self, *ops: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == 'OP' and tok.value in ops

    def is_name(self, name: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == 'NAME' and tok.value == name

    def expect_op(self, op: str) -> None:
        if not self.is_op(op):
            self.fail(f"应为 '{op}'")
        self.take()

    def fail(self, why: str, cls: type = FeelSyntaxError):
        tok = self.peek()
        found = '结尾' if tok.kind == 'END' else repr(tok.value)
        raise cls(f"{why}, 但在位置 {tok.pos + 1} 遇到 {found}")

    def expect_end(self) -> None:
        if self.peek().kind != 'END':
            self.fail("多余的内容")

    # tests ------------------------------------------------------------
    def tests(self) -> list[_Test]:
        items = [self.test()]
        while self.is_op(','):
            self.take()
            items.append(self.test())
        return items

    def test(self) -> _Test:
        if self.is_name('not') and self.is_op('(', k=1):
            self.i += 2
            inner = self.tests()
            self.expect_op(')')
            return _Test('not', subs=tuple(inner))
        if self.is_name('not') and self.is_name('in', k=1):
            self.i += 2
            return _Test('notin', vals=self.literal_list())
        if self.is_name('in') and self.is_op('[', k=1):
            self.i += 1
            return _Test('in', vals=self.literal_list())
        if self.is_op('<', '<=', '>', '>='):
            op = self.take().value
            return _Test('cmp', op=op, vals=(self.ordered_endpoint(),))
        if self.is_op('=', '==', '!='):
            kind = 'ne' if self.take().value == '!=' else 'eq'
            return _Test(kind, vals=(self.endpoint(),))
        if self.is_op('[', '(', ']'):
            return self.interval()
        return _Test('eq', vals=(self.endpoint(),))

    def interval(self) -> _Test:
        low_closed = self.take().value == '['
        low = self.ordered_endpoint()
        self.expect_op('..')
        high = self.ordered_endpoint()
        if not self.is_op(']', ')', '['):
            self.fail("区间应以 ']'、')' 或 '[' 结束")
        high_closed = self.take().value == ']'
        return _Test('range', vals=(low, high), closed=(low_closed, high_closed))

    def literal_list(self) -> tuple:
        self.expect_op('[')
        vals = [self.literal()]
        while self.is_op(','):
            self.take()
            vals.append(self.literal())
        self.expect_op(']')
        return tuple(vals)

    # values -----------------------------------------------------------
    def ordered_endpoint(self) -> _Val:
        """An endpoint of `<`, `>` or a range: null has no order, so it is refused."""
        val = self.endpoint()
        if val.is_literal and val.value is None:
            self.i -= 1
            self.fail("null 不能用于大小比较", FeelValueError)
        return val

    def endpoint(self) -> _Val:
        tok = self.peek()
        if tok.kind == 'NAME' and not self._is_literal_name(tok.value):
            return self.path()
        if tok.kind in ('END', 'OP') and not self.is_op('-'):
            self.fail("应为值 (字面量或变量名)")
        return self.literal()

    def _is_literal_name(self, name: str) -> bool:
        return name in ('true', 'false', 'null') or (
            name in ('date', 'time') and (self.is_op('(', k=1) or self.is_name('and', k=1)))

    def path(self) -> _Val:
        names = [self.name()]
        while self.is_op('.') and self.peek(1).kind == 'NAME':
            self.take()
            names.append(self.name())
        return _Val(names[0] + ''.join(f'[{n!r}]' for n in names[1:]), False)

    def name(self) -> str:
        tok = self.peek()
        reserved = tok.value in ('not', 'in', 'and', 'or', 'between', 'instance')
        if tok.kind != 'NAME' or reserved or (
                keyword.iskeyword(tok.value) and tok.value not in ('True', 'False', 'None')):
            self.fail("应为值或变量名")
        return self.take().value

    def literal(self) -> _Val:
        tok = self.take()
        if tok.kind == 'STR':
            return _Val(repr(tok.value), True, tok.value)
        if tok.kind == 'NUM' or (tok.kind == 'OP' and tok.value == '-'
                                 and self.peek().kind == 'NUM'):
            text = tok.value if tok.kind == 'NUM' else '-' + self.take().value
            value = float(text) if '.' in text else int(text)
            return _Val(repr(value), True, value)
        if tok.kind == 'NAME':
            fixed = {'true': True, 'false': False, 'null': None}
            if tok.value in fixed:
                return _Val(repr(fixed[tok.value]), True, fixed[tok.value])
            if tok.value in ('date', 'time'):
                return self.temporal(tok.value)
        self.i -= 1
        self.fail("应为字面量 (字符串、数字、true/false/null)")

    def temporal(self, first: str) -> _Val:
        """`date("2024-01-01")` and friends, checked and kept as their ISO string."""
        func = first
        if first == 'date' and self.is_name('and') and self.is_name('time', k=1):
            self.i += 2
            func = 'date and time'
        self.expect_op('(')
        tok = self.take()
        if tok.kind != 'STR':
            self.i -= 1
            self.fail(f"{func}() 需要一个字符串参数")
        try:
            _TEMPORAL[func](tok.value)
        except ValueError:
            self.i -= 1
            self.fail(f"{func}() 的参数不是合法的 ISO 8601 值", FeelValueError)
        self.expect_op(')')
        return _Val(repr(tok.value), True, tok.value)


# ---------------------------------------------------------------- emitter

def _not_null(val: _Val) -> list[str]:
    """Guards for ordering tests: a null operand makes the test false (FEEL semantics)."""
    return [] if val.is_literal else [f'{val.src} != None']


def _emit(test: _Test, x: str) -> str:
    """Python source for one test over the input variable `x`."""
    if test.kind in ('eq', 'ne'):
        return f"{x} {'==' if test.kind == 'eq' else '!='} {test.vals[0].src}"
    if test.kind in ('in', 'notin'):
        op = 'in' if test.kind == 'in' else 'not in'
        return f'{x} {op} {_tuple(test.vals)}'
    if test.kind == 'cmp':
        val = test.vals[0]
        return ' and '.join([f'{x} != None', *_not_null(val), f'{x} {test.op} {val.src}'])
    if test.kind == 'range':
        low, high = test.vals
        lop, hop = ('<=' if c else '<' for c in test.closed)
        guards = [f'{x} != None', *_not_null(low), *_not_null(high)]
        return ' and '.join([*guards, f'{low.src} {lop} {x} {hop} {high.src}'])
    if test.kind == 'not':
        return f'not ({_emit_any(test.subs, x)})'
    raise AssertionError(test.kind)  # pragma: no cover - parser makes only the kinds above


def _emit_any(tests, x: str) -> str:
    """A disjunction; a list of plain literal equalities becomes `x in (…)`."""
    if len(tests) > 1 and all(t.kind == 'eq' and t.vals[0].is_literal for t in tests):
        return f'{x} in {_tuple([t.vals[0] for t in tests])}'
    if len(tests) == 1:
        return _emit(tests[0], x)
    return ' or '.join(f'({_emit(t, x)})' for t in tests)


def _tuple(vals) -> str:
    return '(' + ', '.join(v.src for v in vals) + (',)' if len(vals) == 1 else ')')


# ---------------------------------------------------------------- public API

def unary_tests_to_python(text: str | None, input_var: str,
                          aliases: tuple[str, ...] = ()) -> str | None:
    """Translate one input-entry cell to a Python boolean expression over `input_var`.

    Returns None for `-` or an empty cell (the rule matches any input). FEEL is tried
    first; text that is not FEEL is read as a Spiff-style Python expression, in which `?`,
    `dmninputexpr` and any of `aliases` (Camunda's `cellInput`, camunda:inputVariable)
    name the input. Raises ScriptError naming the cell and the FEEL syntax problem when
    it is neither.
    """
    text = (text or '').strip()
    if text in ('', '-'):
        return None
    try:
        parser = _Parser(text)
        tests = parser.tests()
        parser.expect_end()
    except FeelValueError as err:
        raise ScriptError(f"决策表条件 {text!r} 有误: {err}") from None
    except FeelSyntaxError as err:
        python = python_cell(text, input_var, set(aliases))
        if python is None:
            raise ScriptError(f"决策表条件 {text!r} 无法解析: {err}") from None
        return python
    return _emit_any(tests, input_var)


def literal_to_python(text: str | None) -> str:
    """Translate an output-entry cell: FEEL literal → Python literal, else Python as is.

    An empty cell means null. A bare path `a.b` becomes `a["b"]` so it reads task data.
    """
    text = (text or '').strip()
    if not text:
        return 'None'
    try:
        parser = _Parser(text)
        value = parser.literal()
        parser.expect_end()
        return value.src
    except FeelSyntaxError:
        return _path_to_python(text) or text


def input_expression_to_python(text: str | None) -> str | None:
    """An input expression: a name path `a.b` → `a["b"]`, other text stays Python."""
    text = (text or '').strip()
    if not text:
        return None
    return _path_to_python(text) or text


def literal_values(text: str | None) -> list:
    """The values of an `outputValues`/`inputValues` list like `"a","b"` (priority order).

    Raises ScriptError when an item is not a literal.
    """
    text = (text or '').strip()
    if not text:
        return []
    try:
        parser = _Parser(text)
        values = [parser.literal().value]
        while parser.is_op(','):
            parser.take()
            values.append(parser.literal().value)
        parser.expect_end()
    except FeelSyntaxError as err:
        raise ScriptError(f"取值列表 {text!r} 只能包含字面量: {err}") from None
    return values


def _path_to_python(text: str) -> str | None:
    """`a.b.c` → `a["b"]["c"]`; None when the text is not a plain name path."""
    try:
        parser = _Parser(text)
        if parser.peek().kind != 'NAME':
            return None
        val = parser.path()
        parser.expect_end()
    except FeelSyntaxError:
        return None
    return val.src
