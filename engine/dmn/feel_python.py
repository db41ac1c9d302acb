"""Spiff-style Python cells: the fallback for decision-table input cells that are not FEEL.

`?` (or the name `dmninputexpr`, or an alias such as Camunda's `cellInput`) stands for the
input value; an expression without it is compared for equality with the input, and a
fragment like `> 3 and ? < 9` or `in allowed` is appended to the input. Python that only
parses because of a FEEL slip (`"a",`, `"a" "b"`, `< null`) is refused instead of guessed at.
"""
from __future__ import annotations

import ast
import io
import tokenize

SPIFF_INPUT_NAME = 'dmninputexpr'  # the name Spiff substitutes for `?` in its cells


def _mark_question_marks(text: str) -> str:
    """Replace Spiff's `?` placeholder by SPIFF_INPUT_NAME, except inside quotes."""
    out, quote, i = [], None, 0
    while i < len(text):
        ch = text[i]
        if quote and ch == '\\':
            out.append(text[i:i + 2])
            i += 2
            continue
        if quote:
            quote = None if ch == quote else quote
        elif ch in '"\'':
            quote = ch
        elif ch == '?':
            ch = f' {SPIFF_INPUT_NAME} '
        out.append(ch)
        i += 1
    return ''.join(out)


class _Rename(ast.NodeTransformer):
    """Rename every name in `old` (the input's placeholders) to `new`."""

    def __init__(self, old: set[str], new: str):
        self.old, self.new = old, new

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.new, node.ctx) if node.id in self.old else node


def python_cell(text: str, x: str, aliases: set[str]) -> str | None:
    """A Spiff-style Python cell, or None when the text is not Python either.

    Tried as a whole expression first (a test when it mentions `?` or an alias of the
    input, else compared with the input), then as a fragment appended to the input
    (`> 3`, `in allowed`).
    """
    src = _mark_question_marks(text)
    placeholders = {SPIFF_INPUT_NAME, *aliases}
    tree = _plausible_python(src)
    if tree is not None:
        if any(isinstance(n, ast.Name) and n.id in placeholders for n in ast.walk(tree)):
            return ast.unparse(_Rename(placeholders, x).visit(tree))
        return f'{x} == ({ast.unparse(tree)})'
    tree = _plausible_python(f'{SPIFF_INPUT_NAME} {src}')
    return None if tree is None else ast.unparse(_Rename(placeholders, x).visit(tree))


def _plausible_python(src: str) -> ast.Expression | None:
    """Parse `src`, refusing Python that only parses because of a FEEL slip.

    A trailing comma makes a tuple, adjacent strings concatenate, `#` starts a comment and
    the FEEL words null/true/false parse as Python names; guessing there would silently
    compare against the wrong thing.
    """
    try:
        tree = ast.parse(src.strip(), mode='eval')
        toks = list(tokenize.generate_tokens(io.StringIO(src.strip()).readline))
    except (SyntaxError, tokenize.TokenError):
        return None
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if isinstance(tree.body, ast.Tuple) or names & {'null', 'true', 'false'}:
        return None
    kinds = [t.type for t in toks]
    if tokenize.COMMENT in kinds or any(
            a == b == tokenize.STRING for a, b in zip(kinds, kinds[1:])):
        return None  # `"a" "b"` is a missing comma, and `#…` would hide the rest
    return tree
