"""FEEL cell text → tokens, for engine.dmn.feel's parser.

Strings are decoded (FEEL escapes, `\\uXXXX`), numbers keep their text and stop before
`..` so `1..5` is a range, and a full-width comma typed with a Chinese input method counts
as a comma. The two exceptions are internal to the FEEL modules: engine.dmn.feel turns them into
ScriptError (or, for FeelSyntaxError, tries the cell as Python first).
"""
from __future__ import annotations

from dataclasses import dataclass

_OPS = ('..', '<=', '>=', '!=', '==', '<', '>', '=', '[', ']', '(', ')', ',', '-', '.')
_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', "'": "'", '\\': '\\'}


class FeelSyntaxError(Exception):
    """Internal: the text is not FEEL; the message says where and why."""


class FeelValueError(FeelSyntaxError):
    """Internal: the text is clearly meant as FEEL but is wrong (no Python fallback)."""


@dataclass(frozen=True)
class Tok:
    kind: str  # STR, NUM, NAME, OP, END
    value: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    """Split a cell into tokens; strings keep their decoded value, numbers their text."""
    toks, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in '"\'':
            value, i2 = _read_string(text, i)
            toks.append(Tok('STR', value, i))
            i = i2
        elif ch.isdigit() or (ch == '.' and i + 1 < n and text[i + 1].isdigit()
                              and not text.startswith('..', max(i - 1, 0))):
            j = _scan_number(text, i)
            toks.append(Tok('NUM', text[i:j], i))
            i = j
        elif ch.isalpha() or ch == '_':
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == '_'):
                j += 1
            toks.append(Tok('NAME', text[i:j], i))
            i = j
        elif ch == '，':  # a full-width comma typed with a Chinese input method
            toks.append(Tok('OP', ',', i))
            i += 1
        else:
            op = next((o for o in _OPS if text.startswith(o, i)), None)
            if op is None:
                raise FeelSyntaxError(f"无法识别的字符 {ch!r} (位置 {i + 1})")
            toks.append(Tok('OP', op, i))
            i += len(op)
    toks.append(Tok('END', '', n))
    return toks


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Decode a quoted string starting at `start`; returns (value, index after it)."""
    quote, out, i = text[start], [], start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            return ''.join(out), i + 1
        if ch == '\\' and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == 'u' and i + 6 <= len(text):
                try:
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                except ValueError:
                    raise FeelSyntaxError(f"非法的转义 (位置 {i + 1})") from None
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, '\\' + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    raise FeelSyntaxError(f"字符串没有结束引号 (位置 {start + 1})")


def _scan_number(text: str, i: int) -> int:
    """Digits with an optional fraction; stops before `..` so `1..5` is a range."""
    n = len(text)
    while i < n and text[i].isdigit():
        i += 1
    if i + 1 < n and text[i] == '.' and text[i + 1].isdigit():
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    return i
