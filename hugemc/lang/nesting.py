"""Refusing input nested too deeply to be meant, at the place, before the parser sees it.

The parser, the lowering and the code generator walk expressions and
statements recursively. Kernel code nests a few levels; generated or hostile
input can nest hundreds (``((((...))))``, ``{{{...}}}``, a 1,000-term ``+``
chain, a long ``?:`` chain). Such input gets a located "nesting too deep"
diagnostic instead of a Python RecursionError.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

from ..diagnostics import HugemcError, SourceLoc
from .annotate import marked_lines

MAX_NESTING = 64      # ( [ { open at once
MAX_OPERATORS = 500   # operators in one expression (between ; , { } at one level)

_BINARY = ("<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "?",
           "!", "~")  # (with the unary operators: a chain of them nests as deeply)


def check_nesting(text: str) -> None:
    """Raise a located HugemcError if preprocessed ``text`` nests or chains beyond the limits."""
    depth = 0
    ops = [0]  # operators in the current expression, per open ( [ {
    for raw, is_marker, file, line in marked_lines(text):
        if is_marker:
            continue
        i, n = 0, len(raw)
        while i < n:
            c = raw[i]
            if c in "\"'":  # skip a literal
                j = i + 1
                while j < n and raw[j] != c:
                    j += 2 if raw[j] == "\\" else 1
                i = j + 1
                continue
            if c in "([{":
                depth += 1
                if depth > MAX_NESTING:
                    raise HugemcError(f"nesting too deep: more than {MAX_NESTING} brackets, parentheses or "
                                      "blocks open at once", SourceLoc(file, line, i + 1),
                                      hint="split the expression or the block into functions or locals")
                ops.append(0)
            elif c in ")]}":
                depth = max(depth - 1, 0)
                if len(ops) > 1:
                    inner = ops.pop()
                    ops[-1] += inner if c == ")" or c == "]" else 0
            elif c in ";,":
                ops[-1] = 0
            else:
                two = raw[i:i + 2]
                if two in _BINARY or c in _BINARY:
                    ops[-1] += 1
                    if ops[-1] > MAX_OPERATORS:
                        raise HugemcError(f"expression too long: more than {MAX_OPERATORS} operators",
                                          SourceLoc(file, line, i + 1),
                                          hint="compute it in steps, with locals")
                    if two in _BINARY:
                        i += 2
                        continue
            i += 1
        # a statement ends at a line end only with ; or braces: nothing to reset here


@contextmanager
def deep_recursion(limit: int = 20_000):
    """Allow the recursive walks of the front end and code generator to go as deep as the limits above need."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
