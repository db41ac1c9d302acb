"""JUEL (EL 2.2) from Camunda / Flowable models, compiled to Python for the sandbox.

Why compile: the sandbox already evaluates Python under a strict AST whitelist, so a JUEL
text becomes one Python expression of literals, variable names, calls to the `juel_*`
helpers in `juel_runtime` (which carry EL's coercion rules), `x if c else y`, and
`and`/`or`/`not` over values the helpers already made boolean. Calls, EL 3.0 syntax and
syntax errors are refused with a ScriptError naming the column.

A top-level identifier compiles to the plain Python name (an unbound one makes the sandbox
report "variable not defined"); names that cannot be one (Python keywords such as `in`,
'_x', 'juel_x', 'a$b', names NFKC would rewrite) are refused. Property names (`a.in`) are
only dict keys and unrestricted. Surrounding whitespace is ignored, as Camunda trims.
"""
from __future__ import annotations

import functools
import keyword
import re
import unicodedata
from dataclasses import dataclass, make_dataclass
from typing import Any

from engine.errors import ScriptError

MAX_DEPTH = 64  # nesting limit: keeps our recursion and Python's 200-paren limit safe
_TOO_DEEP = f"JUEL expression nested too deeply (more than {MAX_DEPTH} levels)"
_LONG_MAX = 2 ** 63 - 1
_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
          "and": "&&", "or": "||", "not": "!", "div": "/", "mod": "%", "empty": "empty"}
_LITERALS = {"true": True, "false": False, "null": None}
# One lexeme at a time (a token lexer, not a pattern over whole expressions). Digits are
# ASCII only; identifiers are Java-like: letters, digits, '_' and '$'. Symbols include the
# refused EL 3.0 ones so they get a clear message.
_LEXEME = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<word>(?:[^\W0-9]|\$)(?:\w|\$)*)
  | (?P<quote>['"])
  | (?P<symbol>==|!=|<=|>=|&&|\|\||->|\+=|[-<>!+*/%?:()\[\].,=;{}&|])
""", re.VERBOSE)
_REFUSED = {
    "->": "lambda expressions (EL 3.0) are not supported",
    "+=": "string concatenation '+=' (EL 3.0) is not supported",
    "=": "assignment '=' (EL 3.0) is not supported; use '==' or 'eq' to compare",
    ";": "';' (EL 3.0 statement separator) is not supported",
    "{": "collection literals (EL 3.0) are not supported",
    "&": "expected '&&' or 'and'", "|": "expected '||' or 'or'",
    "instanceof": "'instanceof' is not supported",
}
_BINARY = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4,
           "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_HELPERS = {"==": "juel_eq", "!=": "juel_ne", "<": "juel_lt", ">": "juel_gt",
            "<=": "juel_le", ">=": "juel_ge", "+": "juel_add", "-": "juel_sub",
            "*": "juel_mul", "/": "juel_div", "%": "juel_mod"}
_LOGIC = {"&&": "and", "||": "or"}  # applied to juel_bool() results only
_CALL_HINT = ("请改用流程变量或 Python 表达式 ({} calls are not supported; use a process "
              "variable or a Python expression)")


# ---------------------------------------------------------------- AST
@dataclass(frozen=True, eq=False)
class Literal:
    """A str, int, float, bool or None; equality also compares types (true != 1)."""
    value: Any

    def __eq__(self, other: object) -> bool:
        return (type(other) is Literal and type(self.value) is type(other.value)
                and self.value == other.value)

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


# Other nodes are frozen records. `Prop` is `base.key` and `base[key]` (one operation in
# EL 1.6); `Binary.op` is canonical ('and' -> '&&'); `Unary.op` is '-', '!' or 'empty'.
def _record(name: str, *fields: str) -> type:
    return make_dataclass(name, [(field, Any) for field in fields], frozen=True,
                          namespace={"__module__": __name__})


Ident, Prop = _record("Ident", "name"), _record("Prop", "base", "key")
Unary, Binary = _record("Unary", "op", "operand"), _record("Binary", "op", "left", "right")
Ternary = _record("Ternary", "cond", "then", "other")
Composite = _record("Composite", "parts")
Node = Literal | Ident | Prop | Unary | Binary | Ternary | Composite


def _walk(node: Node):
    """(node, depth) pairs, iteratively: a long `a+b+c+...` chain is deep."""
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        yield current, depth
        if not isinstance(current, (Literal, Ident)):
            fields = [getattr(current, name) for name in current.__dataclass_fields__]
            children = current.parts if isinstance(current, Composite) else fields
            stack += [(child, depth + 1) for child in children if not isinstance(child, str)]


# ---------------------------------------------------------------- errors and lexer
def _where(text: str, pos: int) -> str:
    line, column = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
    return f"column {column}" if line == 1 else f"line {line}, column {column}"


def _error(text: str, pos: int, message: str, syntax: bool = False) -> ScriptError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    prefix = "JUEL 语法错误 (syntax error): " if syntax else ""
    err = ScriptError(f"{prefix}{message} — at {_where(text, pos)} of JUEL {shown!r}")
    err.position = pos  # 0-based index into the text, for editors
    return err


@dataclass(frozen=True)
class Token:
    kind: str  # 'lit', 'ident', 'op' or 'end' (the closing brace)
    value: Any
    pos: int  # index into the whole text
    text: str  # spelling in the source, for messages


def _scan_string(text: str, i: int) -> tuple[Token, int]:
    """Quoted with ' or "; the only escapes are \\' \\" and \\\\ (EL 1.3)."""
    quote, chars, j = text[i], [], i + 1
    while j < len(text) and text[j] != quote:
        if text[j] == "\\":
            if text[j + 1:j + 2] not in ("'", '"', "\\"):
                raise _error(text, j, "invalid escape in string: use \\' \\\" or \\\\", True)
            j += 1
        chars.append(text[j])
        j += 1
    if j >= len(text):
        raise _error(text, i, f"unterminated string: expected a closing {quote}", True)
    return Token("lit", "".join(chars), i, text[i:j + 1]), j + 1


def _token(text: str, kind: str, spelling: str, i: int) -> Token:
    """Classify one matched lexeme: number, reserved word, identifier or symbol."""
    if spelling in _REFUSED:
        raise _error(text, i, f"JUEL: {_REFUSED[spelling]}")
    if kind == "number":
        is_float = any(c in spelling for c in ".eE")
        value = float(spelling) if is_float else int(spelling)
        if value == float("inf") or (not is_float and value > _LONG_MAX):
            raise _error(text, i, f"number {spelling} is out of range", True)
        return Token("lit", value, i, spelling)
    if kind == "word" and spelling in _LITERALS:
        return Token("lit", _LITERALS[spelling], i, spelling)
    if kind == "word" and spelling not in _WORDS:
        return Token("ident", spelling, i, spelling)
    return Token("op", _WORDS.get(spelling, spelling), i, spelling)


def _lex(text: str, i: int) -> tuple[list[Token], int]:
    """Tokens of one `${...}` body from index i through the '}' (index -1: no '}')."""
    tokens = []
    while i < len(text):
        match = _LEXEME.match(text, i)
        if match is None:
            raise _error(text, i, f"unexpected character {text[i]!r}", True)
        if match.group() == "}":
            return tokens + [Token("end", "}", i, "}")], i + 1
        if match.lastgroup == "quote":
            token, i = _scan_string(text, i)
            tokens.append(token)
            continue
        if match.lastgroup != "space":
            tokens.append(_token(text, match.lastgroup, match.group(), i))
        i = match.end()
    return tokens, -1


def _literal_run(text: str, i: int, end: int) -> tuple[str, int]:
    """Literal text up to the next unescaped `${` or `#{` (`\\${` is a literal `${`)."""
    chars = []
    while i < end and not (text[i] in "$#" and text[i + 1:i + 2] == "{"):
        escaped = text[i] == "\\" and text[i + 1:i + 3] in ("${", "#{")
        chars.append(text[i + escaped])
        i += 1 + escaped
    return "".join(chars), i


# ---------------------------------------------------------------- parser
def _describe(token: Token) -> str:
    kind = {"lit": "literal", "ident": "identifier", "op": "operator", "end": "the closing"}
    return f"{kind[token.kind]} {token.text!r}"


def _name_problem(name: str) -> str | None:
    """Why a top-level identifier cannot be compiled to a plain Python name, if so."""
    problems = (
        (name.startswith("_"), "names starting with '_' are reserved by the sandbox"),
        (name.startswith("juel_"), "names starting with 'juel_' are reserved for JUEL"),
        ("$" in name, "'$' cannot appear in a process-variable name"),
        (keyword.iskeyword(name), "it is a Python keyword; rename the process variable"),
        (not name.isidentifier() or unicodedata.normalize("NFKC", name) != name,
         "it is not a valid process-variable name"))
    return next((why for bad, why in problems if bad), None)


class _Parser:
    """Recursive descent for ?: and unary operators, precedence climbing for binary.

    Precedence (EL 1.17, loosest first): ?: ; || or ; && and ; == != eq ne ;
    < > <= >= lt gt le ge ; + - ; * / div % mod ; unary - ! not empty ; . [] ().
    """

    def __init__(self, text: str, tokens: list[Token]):
        self.text, self.tokens, self.i, self.depth = text, tokens, 0, 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def is_op(self, value: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.value == value

    def take(self) -> Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def expect(self, value: str, why: str) -> None:
        if not self.is_op(value):
            found = self.peek()
            raise _error(self.text, found.pos,
                          f"expected {value!r} {why} but found {_describe(found)}", True)
        self.i += 1

    def whole(self) -> Node:
        """The body of one `${...}`: an expression, then the closing '}'."""
        node, found = self.expression(), self.peek()
        if found.kind != "end":
            what = ("')' without a matching '('" if self.is_op(")")
                    else f"{_describe(found)}; expected an operator or '}}'")
            raise _error(self.text, found.pos, f"unexpected {what}", True)
        return node

    def expression(self) -> Node:
        """`cond ? then : other`, right-associative; cond is a binary expression."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(self.text, self.peek().pos, _TOO_DEEP)
        node = self.binary(1)
        if self.is_op("?"):
            question = self.take()
            then = self.expression()
            self.expect(":", f"for the '?' at {_where(self.text, question.pos)}")
            node = Ternary(node, then, self.expression())
        self.depth -= 1
        return node

    def binary(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            token = self.peek()
            prec = _BINARY.get(token.value) if token.kind == "op" else None
            if prec is None or prec < min_prec:
                return left
            self.i += 1
            left = Binary(token.value, left, self.binary(prec + 1))

    def unary(self) -> Node:
        """Prefix operators iteratively (`!!!!x` must not recurse once per '!')."""
        ops = []
        while self.peek().kind == "op" and self.peek().value in ("-", "!", "empty"):
            ops.append(self.take().value)
        node = self.postfix()
        for op in reversed(ops):
            node = Unary(op, node)
        return node

    def postfix(self) -> Node:
        """`.name` and `[expr]` suffixes; a call is skipped over, so the refusal can
        name the whole callee chain (`dateTime().plusDays`), then refused."""
        start, node, call = self.peek(), self.primary(), None
        while True:
            if self.is_op("."):
                name = self.tokens[self.i + 1]
                if name.kind != "ident":
                    raise _error(self.text, name.pos, "expected a property name after "
                                 f"'.' but found {_describe(name)}", True)
                self.i += 2
                node = Prop(node, Literal(name.value))
            elif self.is_op("["):
                bracket = self.take()
                key = self.expression()
                self.expect("]", f"to close the '[' at {_where(self.text, bracket.pos)}")
                node = Prop(node, key)
            elif self.is_op("("):
                call, depth = self.take(), 1
                while depth and self.peek().kind != "end":
                    depth += self.is_op("(") - self.is_op(")")
                    self.i += 1
            elif call:
                raise _refuse_call(self.text, start, call)
            else:
                return node

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "lit":
            return Literal(token.value)
        if token.kind == "ident":
            if self.is_op(":") and self.peek(1).kind == "ident" and self.is_op("(", 2):
                self.i += 2  # `fn:name(`: postfix refuses the call
                return Ident(token.value)
            problem = _name_problem(token.value)
            if problem and not self.is_op("("):
                raise _error(self.text, token.pos, f"JUEL 变量名 {token.value!r} 不受支持 "
                             f"(identifier not supported): {problem}")
            return Ident(token.value)
        if token.kind == "op" and token.value == "(":
            node = self.expression()
            self.expect(")", f"to close the '(' at {_where(self.text, token.pos)}")
            return node
        empty = "empty expression: " if token.kind == "end" and self.i == 1 else ""
        raise _error(self.text, token.pos,
                     f"{empty}expected an expression but found {_describe(token)}", True)


def _refuse_call(text: str, start: Token, paren: Token) -> ScriptError:
    callee = text[start.pos:paren.pos].strip()
    kind, what = ("方法调用", "method") if "." in callee else ("函数调用", "function")
    return _error(text, start.pos, f"JUEL {kind} {callee!r} 不受支持：{_CALL_HINT.format(what)}")


# ---------------------------------------------------------------- public API
def _parts(text: str) -> list:
    """Split the trimmed text into literal strings and the token lists of `${}` parts."""
    i, end = len(text) - len(text.lstrip()), len(text.rstrip())
    parts, markers = [], set()
    while i < end:
        literal, i = _literal_run(text, i, end)
        parts += [literal] if literal else []
        if i < end:
            markers.add(text[i])
            tokens, after = _lex(text, i + 2)
            if after < 0:
                raise _error(text, i, f"expected '}}' to close this '{text[i]}{{'", True)
            parts.append(tokens)
            i = after
    if len(markers) > 1:
        raise _error(text, 0, "cannot mix '${' and '#{' in one text", True)
    return parts


def is_juel(text: str) -> bool:
    """True if the text holds an unescaped `${` or `#{`; plain text is not JUEL."""
    return _literal_run(text, 0, len(text))[1] < len(text)


def parse(text: str) -> Node:
    """Parse JUEL: a lone `${e}` or `#{e}` gives e's node, anything else a Composite."""
    parts = _parts(text)
    if all(isinstance(part, str) for part in parts):
        raise ScriptError("not a JUEL expression: the text has no '${' or '#{'")
    nodes = [Literal(part) if isinstance(part, str) else _Parser(text, part).whole()
             for part in parts]
    node = nodes[0] if len(nodes) == 1 else Composite(tuple(nodes))
    if any(depth > MAX_DEPTH for _, depth in _walk(node)):
        raise _error(text, 0, _TOO_DEEP)
    return node


def _emit(node: Node) -> str:
    """Print a node as Python over the juel_* helpers (see the module docstring)."""
    if isinstance(node, (Literal, Ident)):
        return node.name if isinstance(node, Ident) else repr(node.value)
    if isinstance(node, Prop):
        return f"juel_prop({_emit(node.base)}, {_emit(node.key)})"
    if isinstance(node, Unary):
        inner = _emit(node.operand)
        return {"-": f"juel_neg({inner})", "!": f"(not juel_bool({inner}))",
                "empty": f"juel_empty({inner})"}[node.op]
    if isinstance(node, Binary) and node.op in _LOGIC:
        return f"(juel_bool({_emit(node.left)}) {_LOGIC[node.op]} juel_bool({_emit(node.right)}))"
    if isinstance(node, Binary):
        return f"{_HELPERS[node.op]}({_emit(node.left)}, {_emit(node.right)})"
    if isinstance(node, Ternary):
        return (f"({_emit(node.then)} if juel_bool({_emit(node.cond)}) "
                f"else {_emit(node.other)})")
    return f"juel_concat({', '.join(_emit(part) for part in node.parts)})"


@functools.lru_cache(maxsize=1024)
def to_python(text: str) -> str:
    """JUEL -> one Python expression over the variables and `juel_runtime.FUNCTIONS`."""
    return _emit(parse(text))


def to_python_condition(text: str) -> str:
    """For conditions: Camunda insists a condition yields a Boolean (null or "true"
    is an error there), so the value is passed through `juel_condition`, which does."""
    return f"juel_condition({to_python(text)})"


def referenced_names(text: str) -> set[str]:
    """Top-level identifiers (process variables) the text reads, not property keys."""
    return {node.name for node, _ in _walk(parse(text)) if isinstance(node, Ident)}
