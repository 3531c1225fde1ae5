"""A small, pure-Python C preprocessor for hugemc models.

:func:`preprocess` turns the text of a root file (plus the files it includes)
into one text for pycparser, with ``# N "path"`` line markers so that every
coordinate pycparser reports points back at the original file, line and
column.

Supported
---------
* Comments: ``/* */`` (a comment on one line becomes spaces of equal length,
  so columns are kept; a comment spanning lines keeps the line count) and
  ``//``. Comment markers inside string and character literals are text.
* Backslash-newline continuation (the logical line keeps the first physical
  line's number; blank lines follow so later lines keep theirs).
* ``#include "x"`` (the including file's directory, then ``include_dirs``) and
  ``#include <x>`` (``include_dirs`` only), computed includes (a macro that
  expands to either form), nesting up to 64 deep, ``#pragma once``.
* ``#define``/``#undef`` of object-like and function-like macros, variadic
  macros (``...``/``__VA_ARGS__``, GNU named ``args...``), ``#`` and ``##``,
  the GNU ``, ## __VA_ARGS__`` comma elision and C23 ``__VA_OPT__``. Macro
  expansion follows the standard hide-set rules (a macro is never re-expanded
  inside its own expansion), arguments are fully expanded before substitution
  except next to ``#``/``##``, results are rescanned together with the rest of
  the line. A function-like invocation may span lines: the joined result goes
  on the first line and blank lines follow.
* ``#if``/``#ifdef``/``#ifndef``/``#elif``/``#else``/``#endif`` with nesting;
  ``#if`` expressions with integer and character literals, ``defined``, all C
  operators with C precedence, ``unsigned`` arithmetic where C would use it,
  truncating division and short-circuit evaluation (no division-by-zero error
  in an unevaluated operand).
* ``#error`` (raises), ``#warning`` (ignored), ``#pragma`` (``once`` honoured,
  the rest dropped), ``#line`` and ``# 12 "file"`` markers (dropped), the null
  directive ``#``.
* Predefined macros: ``__HUGEMC__`` (1), ``__FILE__``, ``__LINE__``, and the
  caller's ``defines``.

Not supported
-------------
Trigraphs, digraphs, ``_Pragma``, ``__has_include``, ``#include_next``,
``#ident``/``#assert``, ``__COUNTER__``/``__DATE__``/``__TIME__``, directives
inside the arguments of a macro invocation, and ``#line`` renumbering.

Every mistake in the input raises :class:`hugemc.diagnostics.HugemcError`
with a file/line/column location.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from hugemc.diagnostics import HugemcError, SourceLoc

__all__ = ["Preprocessed", "preprocess", "MAX_INCLUDE_DEPTH", "MAX_EXPANSION"]

#: How deeply ``#include`` may nest before we assume a cycle.
MAX_INCLUDE_DEPTH = 64

#: Tokens that macro replacement may produce in one translation unit (the
#: shipped scenarios produce under a thousand); a ``#define`` chain that
#: doubles at each step would otherwise exhaust the machine. Raised with
#: ``HUGEMC_MAX_EXPANSION`` in a scenario's ``[defines]``.
MAX_EXPANSION = 200_000


@dataclass(frozen=True)
class Preprocessed:
    """The result of :func:`preprocess`.

    ``text`` is the preprocessed source for pycparser, with ``# N "path"``
    line markers. ``files`` lists every file read from disk (the included
    files; the root text is given by the caller and not listed), in order of
    first inclusion, each path as it was found (and as it appears in the
    markers).
    """

    text: str
    files: tuple[str, ...]


def preprocess(root_text: str, root_name: str, include_dirs: Sequence[str | Path],
               defines: Mapping[str, str | int | bool] = {}, allowed_roots=None,
               max_expansion: int = MAX_EXPANSION) -> Preprocessed:
    """Preprocess ``root_text`` (shown as ``root_name``) and return the result.

    ``include_dirs`` are searched in order for ``#include`` (after the
    including file's own directory for the ``"x"`` form; a root name that is
    not a file on disk, such as ``<scenario foo.toml>``, has no directory of
    its own). ``defines`` are
    predefined object-like macros: ``True``/``False`` become ``1``/``0``,
    integers their decimal spelling, strings their replacement text.

    ``allowed_roots`` (folders), when given, bound what ``#include`` may read:
    a file outside them, or under /proc, /sys or /dev, is refused.

    ``max_expansion`` bounds the tokens macro replacement may produce in
    all (:data:`MAX_EXPANSION` by default): past it, a located
    "macro expansion too large" error.

    Raises :class:`HugemcError` for every problem in the input.
    """
    pp = _Preprocessor([str(d) for d in include_dirs])
    pp.allowed_roots = allowed_roots
    pp.max_expansion = max_expansion
    for name, value in defines.items():
        pp.define_external(name, value, root_name)
    pp.run_root(root_text, root_name)
    return Preprocessed(text="\n".join(pp.out) + "\n", files=tuple(pp.files))


# --------------------------------------------------------------------------
# Tokens

_TOKEN_RE = re.compile(r"""
    (?P<ws>[ \t\f\v\r]+)
  | (?P<str>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*"?)
  | (?P<chr>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)*'?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<punct>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||\*=|/=|%=|\+=|-=|&=|\^=|\|=|\#\#
             |[\[\](){}.&*+\-~!/%<>^|?:;=,\#])
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)


class _Tok:
    """A preprocessing token with the whitespace before it and its origin."""

    __slots__ = ("kind", "text", "ws", "line", "col", "hs", "idx")

    def __init__(self, kind: str, text: str, ws: str, line: int, col: int,
                 hs: frozenset[str] = frozenset(), idx: int = -1) -> None:
        self.kind = kind      # id, num, str, chr, punct, other
        self.text = text
        self.ws = ws          # whitespace that preceded the token
        self.line = line      # physical source line (1-based)
        self.col = col        # source column (1-based)
        self.hs = hs          # hide set: macros not to expand this token with
        self.idx = idx        # position in its source line, -1 if generated

    def copy(self, ws: str | None = None, hs: frozenset[str] | None = None,
             idx: int | None = None) -> _Tok:
        return _Tok(self.kind, self.text, self.ws if ws is None else ws, self.line, self.col,
                    self.hs if hs is None else hs, self.idx if idx is None else idx)

    def is_p(self, text: str) -> bool:
        return self.kind == "punct" and self.text == text

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"_Tok({self.kind}, {self.text!r})"


def _tokenize(text: str, line: int = 0, col0: int = 1, idx0: int = -1,
              locate: Callable[[int], tuple[int, int]] | None = None) -> list[_Tok]:
    """Split ``text`` into tokens; whitespace is attached to the next token."""
    toks: list[_Tok] = []
    ws = ""
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN_RE.match(text, pos)
        assert m is not None  # the 'other' alternative matches any character
        kind = m.lastgroup or "other"
        s = m.group()
        if kind == "ws":
            ws += s
        else:
            if locate is not None:
                ln, c = locate(pos)
            else:
                ln, c = line, col0 + pos
            toks.append(_Tok(kind, s, ws, ln, c, frozenset(), -1 if idx0 < 0 else idx0 + len(toks)))
            ws = ""
        pos = m.end()
    return toks


def _spell(toks: Sequence[_Tok]) -> str:
    """Spell tokens with their own whitespace (first token's whitespace dropped)."""
    if not toks:
        return ""
    return toks[0].text + "".join(t.ws + t.text for t in toks[1:])


def _would_paste(a: str, b: str) -> bool:
    """Would writing ``a`` directly before ``b`` lex differently?"""
    if not a or not b:
        return False
    if a[-1] == "/" and b[0] in "/*":
        return True
    m = _TOKEN_RE.match(a + b)
    return m is None or m.group() != a


# --------------------------------------------------------------------------
# Source lines

class _Line:
    """One logical line: continuations joined, comments blanked."""

    __slots__ = ("text", "line", "nlines", "segs")

    def __init__(self, text: str, line: int, nlines: int, segs: list[tuple[int, int, int]]) -> None:
        self.text = text
        self.line = line        # first physical line (1-based)
        self.nlines = nlines    # physical lines covered
        self.segs = segs        # (offset in text, physical line, column offset)

    def locate(self, pos: int) -> tuple[int, int]:
        """Physical (line, 1-based column) of offset ``pos`` in ``text``."""
        seg = self.segs[0]
        for s in self.segs:
            if s[0] <= pos:
                seg = s
            else:
                break
        return seg[1], pos - seg[0] + seg[2] + 1


def _split_lines(text: str) -> tuple[list[str], list[_Line], tuple[int, int] | None]:
    """Physical lines, logical lines (continuations joined, comments blanked), and where a ``/*`` that is
    never closed begins (None: every comment is closed)."""
    phys = text.split("\n")
    if phys and phys[-1] == "":
        phys.pop()
    phys = [p[:-1] if p.endswith("\r") else p for p in phys]

    # phase 2: join backslash-newline continuations
    joined: list[tuple[str, int, int, list[tuple[int, int, int]]]] = []
    i = 0
    while i < len(phys):
        start = i
        parts: list[str] = []
        segs: list[tuple[int, int, int]] = []
        off = 0
        while True:
            p = phys[i]
            cont = p.endswith("\\") and i + 1 < len(phys)
            if cont:
                p = p[:-1]
            segs.append((off, i + 1, 0))
            parts.append(p)
            off += len(p)
            i += 1
            if not cont:
                break
        joined.append(("".join(parts), start + 1, i - start, segs))

    # phase 3: comments. A comment on one line becomes spaces of equal length.
    lines: list[_Line] = []
    in_block = False
    opened: tuple[int, int] | None = None  # (line, column) of the open comment's /*
    pending_directive: _Line | None = None  # a directive whose comment continues
    for ltext, lno, count, segs in joined:
        out: list[str] = []
        pos = 0
        n = len(ltext)
        quote = ""
        while pos < n:
            c = ltext[pos]
            if in_block:
                end = ltext.find("*/", pos)
                if end < 0:
                    out.append(" " * (n - pos))
                    pos = n
                else:
                    out.append(" " * (end + 2 - pos))
                    pos = end + 2
                    in_block = False
                continue
            if quote:
                if c == "\\" and pos + 1 < n:
                    out.append(ltext[pos:pos + 2])
                    pos += 2
                    continue
                if c == quote:
                    quote = ""
                out.append(c)
                pos += 1
                continue
            if c == '"' or c == "'":
                quote = c
                out.append(c)
                pos += 1
            elif c == "/" and ltext.startswith("//", pos):
                pos = n
            elif c == "/" and ltext.startswith("/*", pos):
                in_block = True
                seg = max((sg for sg in segs if sg[0] <= pos), key=lambda sg: sg[0])
                opened = (seg[1], pos - seg[0] + 1)
                out.append("  ")
                pos += 2
            else:
                out.append(c)
                pos += 1
        stripped = "".join(out)
        if pending_directive is not None:
            # a block comment that began on a directive line continues it
            d = pending_directive
            base = len(d.text) + 1
            d.text = d.text + " " + stripped
            d.segs.extend((base + s[0], s[1], s[2]) for s in segs)
            d.nlines += count
            if not in_block:
                pending_directive = None
            continue
        line = _Line(stripped, lno, count, list(segs))
        lines.append(line)
        if in_block and stripped.lstrip().startswith("#"):
            pending_directive = line
    return phys, lines, opened if in_block else None


# --------------------------------------------------------------------------
# Macros

@dataclass
class _Macro:
    name: str
    params: tuple[str, ...] | None       # None: object-like
    variadic: bool
    body: tuple[_Tok, ...]
    builtin: str = ""


class _Value:
    __slots__ = ("v", "u")

    def __init__(self, v: int, u: bool) -> None:
        if u:
            v &= _MASK
        else:
            v &= _MASK
            if v >= _SIGN:
                v -= 1 << 64
        self.v = v
        self.u = u


_MASK = (1 << 64) - 1
_SIGN = 1 << 63

_BINARY_PREC = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5,
    "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7,
    "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}

_INT_RE = re.compile(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)"
                     r"((?:[uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?)$")

_SIMPLE_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11,
                   "\\": 92, "'": 39, '"': 34, "?": 63, "e": 27}


@dataclass
class _Cond:
    directive: str
    line: int
    col: int
    parent_active: bool
    active: bool
    taken: bool
    seen_else: bool = False


class _FileCtx:
    """The state of one file being preprocessed."""

    def __init__(self, name: str, phys: list[str], lines: list[_Line], on_disk: bool,
                 directory: str | None, depth: int) -> None:
        self.name = name
        self.phys = phys
        self.lines = lines
        self.on_disk = on_disk
        self.dir = directory
        self.depth = depth
        self.pos = 0
        self.conds: list[_Cond] = []

    def source_line(self, line: int) -> str | None:
        if self.on_disk or not (1 <= line <= len(self.phys)):
            return None
        return self.phys[line - 1]


def _is_directive(line: _Line) -> bool:
    return line.text.lstrip(" \t\f\v").startswith("#")


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Preprocessor:
    def __init__(self, include_dirs: list[str]) -> None:
        self.include_dirs = include_dirs
        self.allowed_roots = None  # folders #include may read from (None: anywhere)
        self.max_expansion = MAX_EXPANSION  # tokens macro replacement may produce in all
        self.expanded = 0  # tokens it has produced so far
        self.macros: dict[str, _Macro] = {}
        self.out: list[str] = []
        self.files: list[str] = []
        self._files_seen: set[str] = set()
        self.once: set[str] = set()
        self._idx = 0
        self.macros["__FILE__"] = _Macro("__FILE__", None, False, (), builtin="file")
        self.macros["__LINE__"] = _Macro("__LINE__", None, False, (), builtin="line")
        self._define_object("__HUGEMC__", "1")
        self.ctx: _FileCtx | None = None

    # ---- errors --------------------------------------------------------------

    def error(self, msg: str, line: int = 0, col: int = 0, hint: str | None = None) -> HugemcError:
        ctx = self.ctx
        assert ctx is not None
        return HugemcError(msg, SourceLoc(ctx.name, line, col), hint=hint,
                           source_line=ctx.source_line(line))

    def tok_error(self, msg: str, tok: _Tok, hint: str | None = None) -> HugemcError:
        return self.error(msg, tok.line, tok.col, hint)

    # ---- predefined macros ---------------------------------------------------

    def _define_object(self, name: str, text: str) -> None:
        body = _tokenize(text.strip())
        if body:
            body[0] = body[0].copy(ws="")
        self.macros[name] = _Macro(name, None, False, tuple(body))

    def define_external(self, name: str, value: object, root_name: str) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) \
                or name == "defined":
            raise HugemcError(f"invalid macro name {name!r} in predefined macros",
                              SourceLoc(root_name))
        if isinstance(value, bool):
            text = "1" if value else "0"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, str):
            if "\n" in value:
                raise HugemcError(f"value of predefined macro '{name}' contains a newline",
                                  SourceLoc(root_name))
            text = value
        else:
            raise HugemcError(f"value of predefined macro '{name}' must be a string, "
                              f"an integer or a boolean, not {type(value).__name__}",
                              SourceLoc(root_name))
        self._define_object(name, text)

    # ---- files ---------------------------------------------------------------

    def run_root(self, text: str, name: str) -> None:
        on_disk = os.path.isfile(name)
        directory = (os.path.dirname(name) or ".") if on_disk else None
        key = self._key(name) if on_disk else name
        self._run_file(text, name, on_disk, directory, 0, key)

    @staticmethod
    def _key(path: str) -> str:
        try:
            return str(Path(path).resolve())
        except (OSError, RuntimeError):
            return os.path.abspath(path)

    def _emit_marker(self, line: int, name: str) -> None:
        self.out.append(f"# {line} {_quote(name)}")

    def _run_file(self, text: str, name: str, on_disk: bool, directory: str | None,
                  depth: int, key: str) -> None:
        phys, lines, open_comment = _split_lines(text)
        ctx = _FileCtx(name, phys, lines, on_disk, directory, depth)
        outer = self.ctx
        self.ctx = ctx
        if open_comment is not None:
            raise self.error("unterminated comment: this '/*' is never closed", *open_comment,
                             hint="add the missing '*/'")
        ctx_key = key
        self._emit_marker(1, name)
        while ctx.pos < len(ctx.lines):
            line = ctx.lines[ctx.pos]
            ctx.pos += 1
            active = not ctx.conds or ctx.conds[-1].active
            if _is_directive(line):
                self._directive(line, active, ctx_key)
            elif active:
                first = len(self.out)
                self.out.append("")
                start = ctx.pos
                rendered = self._text_line(line)
                self.out[first] = rendered
                extra = line.nlines - 1 + sum(ln.nlines for ln in ctx.lines[start:ctx.pos])
                self.out.extend([""] * extra)
            else:
                self.out.extend([""] * line.nlines)
        if ctx.conds:
            c = ctx.conds[-1]
            raise self.error(f"unterminated #{c.directive}", c.line, c.col,
                             hint="add the missing #endif")
        self.ctx = outer

    # ---- text lines ----------------------------------------------------------

    def _line_tokens(self, line: _Line) -> list[_Tok]:
        toks = _tokenize(line.text, idx0=self._idx, locate=line.locate)
        self._idx += len(toks) + 1
        return toks

    def _text_line(self, line: _Line) -> str:
        toks = self._line_tokens(line)
        if not any(t.kind == "id" and t.text in self.macros for t in toks):
            return line.text.rstrip()
        out = self._expand(toks, pull=self._pull_line)
        return self._render(out)

    def _pull_line(self, need_paren: bool) -> list[_Tok] | None:
        """More tokens for a macro invocation that continues on later lines.

        With ``need_paren`` the lines are only consumed when the next
        non-blank line starts with ``(``. Directive lines are never consumed.
        """
        ctx = self.ctx
        assert ctx is not None
        i = ctx.pos
        while i < len(ctx.lines):
            ln = ctx.lines[i]
            if _is_directive(ln):
                return None
            if ln.text.strip():
                toks = self._line_tokens(ln)
                if need_paren and not toks[0].is_p("("):
                    return None
                ctx.pos = i + 1
                toks[0] = toks[0].copy(ws=" ")
                return toks
            i += 1
        return None

    @staticmethod
    def _render(toks: list[_Tok]) -> str:
        parts: list[str] = []
        prev: _Tok | None = None
        for t in toks:
            ws = t.ws
            if prev is not None and not ws and not (prev.idx >= 0 and t.idx == prev.idx + 1) \
                    and _would_paste(prev.text, t.text):
                ws = " "
            parts.append(ws)
            parts.append(t.text)
            prev = t
        return "".join(parts).rstrip()

    # ---- macro expansion -----------------------------------------------------

    def _expand(self, toks: list[_Tok],
                pull: Callable[[bool], list[_Tok] | None] | None = None) -> list[_Tok]:
        """Fully macro-expand ``toks`` (hide-set algorithm)."""
        pending = deque(toks)
        out: list[_Tok] = []
        while pending:
            t = pending.popleft()
            if t.kind != "id" or t.text in t.hs:
                out.append(t)
                continue
            m = self.macros.get(t.text)
            if m is None:
                out.append(t)
                continue
            if m.builtin:
                out.append(self._builtin(m, t))
                continue
            if m.params is None:
                repl = self._subst(m, t, {}, t.hs | {m.name})
            else:
                if not pending and pull is not None:
                    more = pull(True)
                    if more:
                        pending.extend(more)
                if not pending or not pending[0].is_p("("):
                    out.append(t)
                    continue
                args, rparen = self._collect_args(m, t, pending, pull)
                repl = self._subst(m, t, args, (t.hs & rparen.hs) | {m.name})
            self.expanded += len(repl)
            if self.expanded > self.max_expansion:
                raise self.tok_error(
                    f"macro expansion too large: more than {self.max_expansion:,} tokens "
                    f"(while expanding '{m.name}')", t,
                    hint="a #define that uses the one before it twice doubles at each step; write the value "
                         "as a constant, or raise the cap with HUGEMC_MAX_EXPANSION in [defines]")
            if repl:
                repl[0] = repl[0].copy(ws=t.ws)
            elif pending and not pending[0].ws and t.ws:
                pending[0] = pending[0].copy(ws=t.ws)
            pending.extendleft(reversed(repl))
        return out

    def _builtin(self, m: _Macro, t: _Tok) -> _Tok:
        ctx = self.ctx
        assert ctx is not None
        if m.builtin == "line":
            return _Tok("num", str(t.line), t.ws, t.line, t.col, t.hs)
        return _Tok("str", _quote(ctx.name), t.ws, t.line, t.col, t.hs)

    def _collect_args(self, m: _Macro, name: _Tok, pending: deque[_Tok],
                      pull: Callable[[bool], list[_Tok] | None] | None
                      ) -> tuple[dict[str, list[_Tok]], _Tok]:
        pending.popleft()  # '('
        assert m.params is not None
        nparams = len(m.params)
        args: list[list[_Tok]] = [[]]
        depth = 0
        while True:
            if not pending:
                more = pull(False) if pull is not None else None
                if not more:
                    raise self.tok_error(f"unterminated argument list invoking macro '{m.name}'",
                                         name, hint="is a ')' missing?")
                pending.extend(more)
                continue
            t = pending.popleft()
            if t.kind == "punct":
                if t.text == "(":
                    depth += 1
                elif t.text == ")":
                    if depth == 0:
                        rparen = t
                        break
                    depth -= 1
                elif t.text == "," and depth == 0 and not (m.variadic and len(args) >= nparams):
                    args.append([])
                    continue
            args[-1].append(t)
        # trim whitespace at argument edges
        for a in args:
            if a:
                a[0] = a[0].copy(ws="")
        if nparams == 0 and len(args) == 1 and not args[0]:
            args = []
        given = len(args)
        if m.variadic:
            named = nparams - 1
            if given < named:
                raise self.tok_error(
                    f"macro '{m.name}' requires at least {named} argument{'s' if named != 1 else ''}, "
                    f"but only {given} given", name)
            while len(args) < nparams:
                args.append([])
        else:
            if nparams == 1 and given == 0:
                args = [[]]
                given = 1
            if given != nparams:
                raise self.tok_error(
                    f"macro '{m.name}' expects {nparams} argument{'s' if nparams != 1 else ''}, "
                    f"but {given} given", name)
        return dict(zip(m.params, args)), rparen

    def _subst(self, m: _Macro, name: _Tok, args: dict[str, list[_Tok]],
               hs: frozenset[str]) -> list[_Tok]:
        """The replacement of one invocation of ``m``, before rescanning."""
        body = list(m.body)
        va = m.params[-1] if (m.params and m.variadic) else None
        expanded: dict[str, list[_Tok]] = {}

        def arg_expanded(p: str) -> list[_Tok]:
            if p not in expanded:
                expanded[p] = self._expand(args[p])
            return expanded[p]

        def gen(t: _Tok) -> _Tok:
            return _Tok(t.kind, t.text, t.ws, name.line, name.col, hs)

        # pieces: ("toks", tokens, body token) or ("paste", [], the '##' token)
        pieces: list[tuple[str, list[_Tok], _Tok]] = []
        i = 0
        n = len(body)
        while i < n:
            t = body[i]
            nxt_paste = i + 1 < n and body[i + 1].is_p("##")
            prev_paste = i > 0 and body[i - 1].is_p("##")
            if m.params is not None and t.is_p("#") and i + 1 < n and body[i + 1].kind == "id" \
                    and body[i + 1].text in args:
                s = self._stringify(args[body[i + 1].text])
                pieces.append(("toks", [_Tok("str", s, t.ws, name.line, name.col, hs)], t))
                i += 2
                continue
            if t.is_p("##"):
                pieces.append(("paste", [], t))
                i += 1
                continue
            if t.kind == "id" and t.text == "__VA_OPT__" and va is not None \
                    and i + 1 < n and body[i + 1].is_p("("):
                depth = 0
                j = i + 1
                while j < n:
                    if body[j].is_p("("):
                        depth += 1
                    elif body[j].is_p(")"):
                        depth -= 1
                        if depth == 0:
                            break
                    j += 1
                if j >= n:
                    raise self.tok_error("unterminated __VA_OPT__", name)
                inner = body[i + 2:j]
                content: list[_Tok] = []
                if arg_expanded(va):
                    sub = _Macro(m.name, m.params, m.variadic, tuple(inner))
                    content = self._subst(sub, name, args, hs)
                    if content:
                        content[0] = content[0].copy(ws=t.ws)
                pieces.append(("toks", content, t))
                i = j + 1
                continue
            if t.kind == "id" and t.text in args:
                if nxt_paste or prev_paste:
                    toks = [a.copy(hs=a.hs | hs) for a in args[t.text]]
                else:
                    toks = [a.copy(hs=a.hs | hs) for a in arg_expanded(t.text)]
                if toks:
                    toks[0] = toks[0].copy(ws=t.ws)
                pieces.append(("toks", toks, t))
                i += 1
                continue
            pieces.append(("toks", [gen(t)], t))
            i += 1

        out: list[_Tok] = []
        last_empty = False
        k = 0
        while k < len(pieces):
            kind, toks, src = pieces[k]
            if kind == "toks":
                out.extend(toks)
                last_empty = not toks
                k += 1
                continue
            # '##'
            k += 1
            if k >= len(pieces):  # rejected at #define time
                break
            rkind, rtoks, rsrc = pieces[k]
            k += 1
            if rkind != "toks":
                continue
            # GNU comma elision: ', ## __VA_ARGS__'
            if va is not None and rsrc.kind == "id" and rsrc.text == va and not last_empty \
                    and out and out[-1].is_p(","):
                if not rtoks:
                    out.pop()
                else:
                    out.extend(rtoks)
                last_empty = False
                continue
            if last_empty or not out:
                out.extend(rtoks)
                last_empty = not rtoks
                continue
            if not rtoks:
                last_empty = False
                continue
            left = out.pop()
            right = rtoks[0]
            out.extend(self._paste(left, right, name, hs))
            out.extend(rtoks[1:])
            last_empty = False
        return out

    def _paste(self, left: _Tok, right: _Tok, name: _Tok, hs: frozenset[str]) -> list[_Tok]:
        text = left.text + right.text
        toks = _tokenize(text, name.line, name.col)
        if len(toks) != 1:
            raise self.tok_error(
                f"pasting \"{left.text}\" and \"{right.text}\" does not give a valid "
                "preprocessing token", name)
        t = toks[0]
        return [_Tok(t.kind, t.text, left.ws, name.line, name.col, hs | left.hs & right.hs)]

    @staticmethod
    def _stringify(toks: list[_Tok]) -> str:
        parts: list[str] = []
        for i, t in enumerate(toks):
            if i and t.ws:
                parts.append(" ")
            if t.kind in ("str", "chr"):
                parts.append(t.text.replace("\\", "\\\\").replace('"', '\\"'))
            else:
                parts.append(t.text)
        return '"' + "".join(parts) + '"'

    # ---- directives ----------------------------------------------------------

    def _directive(self, line: _Line, active: bool, file_key: str) -> None:
        ctx = self.ctx
        assert ctx is not None
        toks = _tokenize(line.text, locate=line.locate)
        if toks[0].text == "##":  # '##foo' is '#' followed by '#foo'
            a = toks[0]
            toks[0:1] = [_Tok("punct", "#", a.ws, a.line, a.col), _Tok("punct", "#", "", a.line, a.col + 1)]
        hash_tok = toks[0]
        if len(toks) == 1:  # null directive
            self.out.extend([""] * line.nlines)
            return
        d = toks[1]
        rest = toks[2:]
        name = d.text if d.kind == "id" else ""

        if name in ("if", "ifdef", "ifndef"):
            if not active:
                ctx.conds.append(_Cond(name, hash_tok.line, hash_tok.col, False, False, True))
            else:
                val = self._condition(name, d, rest)
                ctx.conds.append(_Cond(name, hash_tok.line, hash_tok.col, True, val, val))
        elif name == "elif":
            if not ctx.conds:
                raise self.tok_error("#elif without #if", hash_tok)
            c = ctx.conds[-1]
            if c.seen_else:
                raise self.tok_error("#elif after #else", hash_tok)
            if not c.parent_active or c.taken:
                c.active = False
            else:
                val = self._condition("elif", d, rest)
                c.active = val
                c.taken = val
        elif name == "else":
            if not ctx.conds:
                raise self.tok_error("#else without #if", hash_tok)
            c = ctx.conds[-1]
            if c.seen_else:
                raise self.tok_error("#else after #else", hash_tok)
            c.seen_else = True
            c.active = c.parent_active and not c.taken
            c.taken = True
        elif name == "endif":
            if not ctx.conds:
                raise self.tok_error("#endif without #if", hash_tok)
            ctx.conds.pop()
        elif not active:
            pass  # everything else is skipped in a false branch
        elif name == "include":
            self._include(line, d, rest, file_key)
            return
        elif name == "define":
            self._define(d, rest)
        elif name == "undef":
            if not rest or rest[0].kind != "id":
                raise self.tok_error("macro names must be identifiers",
                                     rest[0] if rest else d)
            if rest[0].text == "defined":
                raise self.tok_error("'defined' cannot be used as a macro name", rest[0])
            self.macros.pop(rest[0].text, None)
        elif name == "pragma":
            if rest and rest[0].kind == "id" and rest[0].text == "once":
                self.once.add(file_key)
        elif name == "error":
            msg = line.text[self._offset_after(line, d):].strip()
            raise self.tok_error(f"#error: {msg}" if msg else "#error", hash_tok,
                                 hint="this file refuses the configuration it was given: change the "
                                      "scenario's [defines] (docs/models.md lists each define's values)")
        elif name in ("warning", "line"):
            pass
        elif d.kind == "num":
            pass  # '# 12 "file"' line marker
        else:
            raise self.tok_error(f"unknown preprocessor directive '#{d.text}'", d)
        self.out.extend([""] * line.nlines)

    @staticmethod
    def _offset_after(line: _Line, tok: _Tok) -> int:
        # tokens of a directive line come from line.text; find tok's offset
        for off, ln, c0 in reversed(line.segs):
            if ln == tok.line:
                return off + (tok.col - 1 - c0) + len(tok.text)
        return len(line.text)

    def _define(self, d: _Tok, rest: list[_Tok]) -> None:
        if not rest or rest[0].kind != "id":
            raise self.tok_error("macro names must be identifiers", rest[0] if rest else d)
        name_tok = rest[0]
        name = name_tok.text
        if name == "defined":
            raise self.tok_error("'defined' cannot be used as a macro name", name_tok)
        body = rest[1:]
        params: tuple[str, ...] | None = None
        variadic = False
        if body and body[0].is_p("(") and not body[0].ws:
            plist: list[str] = []
            i = 1
            expect_param = True
            while True:
                if i >= len(body):
                    raise self.tok_error("missing ')' in macro parameter list", name_tok)
                t = body[i]
                if t.is_p(")") and (not expect_param or not plist):
                    i += 1
                    break
                if expect_param:
                    if t.is_p("..."):
                        plist.append("__VA_ARGS__")
                        variadic = True
                        i += 1
                        if i >= len(body) or not body[i].is_p(")"):
                            raise self.tok_error("expected ')' after '...'",
                                                 body[i] if i < len(body) else t)
                        i += 1
                        break
                    if t.kind != "id":
                        raise self.tok_error(f"expected parameter name, found '{t.text}'", t)
                    if t.text in plist:
                        raise self.tok_error(f"duplicate macro parameter '{t.text}'", t)
                    if t.text == "__VA_ARGS__":
                        raise self.tok_error("__VA_ARGS__ can only appear in the expansion "
                                             "of a variadic macro", t)
                    plist.append(t.text)
                    i += 1
                    if i < len(body) and body[i].is_p("..."):  # GNU named variadic
                        variadic = True
                        i += 1
                        if i >= len(body) or not body[i].is_p(")"):
                            raise self.tok_error("expected ')' after '...'",
                                                 body[i] if i < len(body) else t)
                        i += 1
                        break
                    expect_param = False
                else:
                    if t.is_p(","):
                        expect_param = True
                        i += 1
                    elif t.is_p(")"):
                        i += 1
                        break
                    else:
                        raise self.tok_error(f"expected ',' or ')' in macro parameter list, "
                                             f"found '{t.text}'", t)
            params = tuple(plist)
            body = body[i:]
        body = [t.copy(idx=-1, hs=frozenset()) for t in body]
        if body:
            body[0] = body[0].copy(ws="")
        if body and body[0].is_p("##"):
            raise self.tok_error("'##' cannot appear at either end of a macro expansion", body[0])
        if body and body[-1].is_p("##"):
            raise self.tok_error("'##' cannot appear at either end of a macro expansion", body[-1])
        if params is not None:
            for i, t in enumerate(body):
                if t.is_p("#") and (i + 1 >= len(body) or body[i + 1].kind != "id"
                                    or body[i + 1].text not in params):
                    raise self.tok_error("'#' is not followed by a macro parameter", t)
        self.macros[name] = _Macro(name, params, variadic, tuple(body))

    def _include(self, line: _Line, d: _Tok, rest: list[_Tok], file_key: str) -> None:
        ctx = self.ctx
        assert ctx is not None
        if not rest:
            raise self.tok_error('#include expects "FILENAME" or <FILENAME>', d)
        first = rest[0]
        fname: str | None = None
        angled = False
        if first.kind == "str" and first.text.startswith('"') and len(first.text) >= 2 \
                and first.text.endswith('"'):
            fname = first.text[1:-1]
        elif first.is_p("<"):
            start = self._offset_after(line, d)
            text = line.text[start:]
            lt = text.find("<")
            gt = text.find(">", lt + 1)
            if gt < 0:
                raise self.tok_error("missing terminating '>' character", first)
            fname = text[lt + 1:gt]
            angled = True
        else:
            exp = self._expand(rest)
            if exp and exp[0].kind == "str" and exp[0].text.startswith('"') \
                    and exp[0].text.endswith('"') and len(exp[0].text) >= 2:
                fname = exp[0].text[1:-1]
            elif exp and exp[0].is_p("<"):
                close = next((i for i, t in enumerate(exp) if t.is_p(">")), None)
                if close is None:
                    raise self.tok_error("missing terminating '>' character", first)
                fname = _spell(exp[1:close])
                angled = True
            else:
                raise self.tok_error('#include expects "FILENAME" or <FILENAME>', first)
        if not fname:
            raise self.tok_error("empty filename in #include", first)
        if ctx.depth + 1 > MAX_INCLUDE_DEPTH:
            raise self.tok_error("include nested too deeply; is there an include cycle?", d)
        dirs: list[str] = []
        if not angled and ctx.dir is not None:
            dirs.append(ctx.dir)
        dirs.extend(self.include_dirs)
        found: str | None = None
        if os.path.isabs(fname):
            if os.path.isfile(fname):
                found = fname
        else:
            for dirname in dirs:
                cand = os.path.normpath(os.path.join(dirname, fname))
                if os.path.isfile(cand):
                    found = cand
                    break
        if found is None:
            if os.path.isabs(fname):
                hint = "the file does not exist"
            elif dirs:
                hint = "searched: " + ", ".join(dirs)
            else:
                hint = "no include directories were given"
            raise self.tok_error(f"include file '{fname}' not found", first, hint=hint)
        if self.allowed_roots is not None:
            from ..scenario import path_allowed, refused_hint
            if not path_allowed(found, self.allowed_roots):
                raise self.tok_error(f"#include of '{fname[:200]}' refused: it is outside the allowed folders",
                                     first, hint=refused_hint("included files"))
        key = self._key(found)
        after = line.line + line.nlines
        if key in self.once:
            self.out.extend([""] * line.nlines)
            return
        try:
            with open(found, encoding="utf-8", errors="replace", newline="") as fh:
                text = fh.read()
        except OSError as exc:
            raise self.tok_error(f"cannot read include file '{found}': {exc.strerror or exc}",
                                 first)
        if found not in self._files_seen:
            self._files_seen.add(found)
            self.files.append(found)
        self._run_file(text, found, True, os.path.dirname(found) or ".", ctx.depth + 1, key)
        self._emit_marker(after, ctx.name)

    # ---- #if -------------------------------------------------------------------

    def _condition(self, name: str, d: _Tok, rest: list[_Tok]) -> bool:
        if name in ("ifdef", "ifndef"):
            if not rest:
                raise self.tok_error(f"no macro name given in #{name} directive", d)
            if rest[0].kind != "id":
                raise self.tok_error("macro names must be identifiers", rest[0])
            return (rest[0].text in self.macros) == (name == "ifdef")
        if not rest:
            raise self.tok_error(f"#{name} with no expression", d)
        toks = self._replace_defined(rest)
        toks = self._expand(toks)
        toks = self._replace_defined(toks)
        if not toks:
            raise self.tok_error(f"#{name} expression is empty after macro expansion", d)
        return _ExprParser(self, toks, d).parse().v != 0

    def _replace_defined(self, toks: list[_Tok]) -> list[_Tok]:
        out: list[_Tok] = []
        i = 0
        n = len(toks)
        while i < n:
            t = toks[i]
            if t.kind == "id" and t.text == "defined":
                j = i + 1
                paren = j < n and toks[j].is_p("(")
                if paren:
                    j += 1
                if j >= n or toks[j].kind != "id":
                    raise self.tok_error("operator 'defined' requires an identifier",
                                         toks[j] if j < n else t)
                ident = toks[j]
                j += 1
                if paren:
                    if j >= n or not toks[j].is_p(")"):
                        raise self.tok_error("missing ')' after 'defined'",
                                             toks[j] if j < n else ident)
                    j += 1
                val = "1" if ident.text in self.macros else "0"
                out.append(_Tok("num", val, t.ws, t.line, t.col, t.hs))
                i = j
                continue
            out.append(t)
            i += 1
        return out


class _ExprParser:
    """Evaluates a fully expanded ``#if`` expression."""

    def __init__(self, pp: _Preprocessor, toks: list[_Tok], directive: _Tok) -> None:
        self.pp = pp
        self.toks = toks
        self.pos = 0
        self.directive = directive

    def err(self, msg: str, tok: _Tok | None = None, hint: str | None = None) -> HugemcError:
        if tok is None:
            if self.pos < len(self.toks):
                tok = self.toks[self.pos]
            else:
                last = self.toks[-1]
                return self.pp.error(msg, last.line, last.col + len(last.text), hint)
        return self.pp.tok_error(msg, tok, hint)

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def parse(self) -> _Value:
        v = self.comma(True)
        t = self.peek()
        if t is not None:
            if t.is_p(")"):
                raise self.err("missing '(' in expression", t)
            raise self.err(f"missing binary operator before token '{t.text}'", t)
        return v

    def comma(self, ev: bool) -> _Value:
        v = self.cond(ev)
        while (t := self.peek()) is not None and t.is_p(","):
            self.pos += 1
            v = self.cond(ev)
        return v

    def cond(self, ev: bool) -> _Value:
        c = self.binary(1, ev)
        t = self.peek()
        if t is None or not t.is_p("?"):
            return c
        self.pos += 1
        truth = c.v != 0
        a = self.comma(ev and truth)
        t2 = self.peek()
        if t2 is None or not t2.is_p(":"):
            raise self.err("expected ':' in conditional expression" if t2 else
                           "'?' without following ':'", t2)
        self.pos += 1
        b = self.cond(ev and not truth)
        u = a.u or b.u
        return _Value(a.v if truth else b.v, u)

    def binary(self, min_prec: int, ev: bool) -> _Value:
        left = self.unary(ev)
        while True:
            t = self.peek()
            if t is None or t.kind != "punct":
                if t is not None:
                    raise self.err(f"missing binary operator before token '{t.text}'", t)
                return left
            prec = _BINARY_PREC.get(t.text)
            if prec is None:
                if t.text in (")", ":", "?", ","):
                    return left
                raise self.err(f"token '{t.text}' is not valid in preprocessor expressions", t)
            if prec < min_prec:
                return left
            self.pos += 1
            op = t.text
            if op == "&&":
                right = self.binary(prec + 1, ev and left.v != 0)
                left = _Value(int(left.v != 0 and right.v != 0), False)
            elif op == "||":
                right = self.binary(prec + 1, ev and left.v == 0)
                left = _Value(int(left.v != 0 or right.v != 0), False)
            else:
                right = self.binary(prec + 1, ev)
                left = self.apply(op, left, right, ev, t)

    def apply(self, op: str, a: _Value, b: _Value, ev: bool, tok: _Tok) -> _Value:
        if op in ("<<", ">>"):
            n = b.v
            u = a.u
            if not 0 <= n <= 63:  # C leaves these undefined; evaluated, they are errors, not a silent 0
                if ev:
                    raise self.err(f"shift count {n} in #if cannot be meant: no 64-bit value can be shifted "
                                   f"{'by a negative count' if n < 0 else 'more than 63'}", tok,
                                   hint="shift counts are 0..63; shift less, or write the constant you mean")
                return _Value(0, u)
            if op == "<<":
                return _Value(a.v << n, u)
            return _Value(a.v >> n, u)
        u = a.u or b.u
        x = a.v & _MASK if u else a.v
        y = b.v & _MASK if u else b.v
        if op == "+":
            return _Value(x + y, u)
        if op == "-":
            return _Value(x - y, u)
        if op == "*":
            return _Value(x * y, u)
        if op in ("/", "%"):
            if y == 0:
                if ev:
                    raise self.err("division by zero in #if", tok)
                return _Value(0, u)
            q = abs(x) // abs(y)
            if (x < 0) != (y < 0):
                q = -q
            return _Value(q if op == "/" else x - y * q, u)
        if op == "&":
            return _Value(x & y, u)
        if op == "|":
            return _Value(x | y, u)
        if op == "^":
            return _Value(x ^ y, u)
        res = {"==": x == y, "!=": x != y, "<": x < y, ">": x > y,
               "<=": x <= y, ">=": x >= y}[op]
        return _Value(int(res), False)

    def unary(self, ev: bool) -> _Value:
        t = self.peek()
        if t is None:
            raise self.err("expected value in expression")
        if t.kind == "punct" and t.text in ("+", "-", "~", "!"):
            self.pos += 1
            v = self.unary(ev)
            if t.text == "+":
                return v
            if t.text == "-":
                return _Value(-v.v, v.u)
            if t.text == "~":
                return _Value(~v.v, v.u)
            return _Value(int(v.v == 0), False)
        return self.primary(ev)

    def primary(self, ev: bool) -> _Value:
        t = self.peek()
        if t is None:
            raise self.err("expected value in expression")
        self.pos += 1
        if t.is_p("("):
            v = self.comma(ev)
            c = self.peek()
            if c is None or not c.is_p(")"):
                raise self.err("missing ')' in expression", c)
            self.pos += 1
            return v
        if t.kind == "num":
            return self.number(t)
        if t.kind == "chr":
            return self.char(t)
        if t.kind == "id":
            return _Value(0, False)
        if t.kind == "str":
            raise self.err("string literal in preprocessor expression", t)
        if t.kind == "punct" and t.text in _BINARY_PREC or t.is_p(")"):
            raise self.err(f"expected value in expression before '{t.text}'", t)
        raise self.err(f"token '{t.text}' is not valid in preprocessor expressions", t)

    def number(self, t: _Tok) -> _Value:
        m = _INT_RE.match(t.text)
        if m is None:
            if re.fullmatch(r"[0-9]*\.[0-9]*([eE][+-]?[0-9]+)?[fFlL]?|[0-9]+[eE][+-]?[0-9]+[fFlL]?"
                            r"|0[xX][0-9a-fA-F.]*[pP][+-]?[0-9]+[fFlL]?", t.text):
                raise self.err("floating constant in preprocessor expression", t)
            raise self.err(f"invalid integer constant '{t.text}'", t)
        digits, suffix = m.group(1), m.group(2)
        if len(digits) > 70:  # no 64-bit constant is that long (and Python will not convert it)
            raise self.err(f"integer constant '{t.text[:24]}…' is too large", t)
        if digits[:2] in ("0x", "0X"):
            v = int(digits[2:], 16)
        elif digits[:2] in ("0b", "0B"):
            v = int(digits[2:], 2)
        elif digits.startswith("0") and len(digits) > 1:
            if any(c in "89" for c in digits):
                raise self.err(f"invalid digit in octal constant '{t.text}'", t)
            v = int(digits, 8)
        else:
            v = int(digits)
        if v > _MASK:
            raise self.err(f"integer constant '{t.text}' is too large", t)
        return _Value(v, "u" in suffix.lower() or v > _SIGN - 1)

    def char(self, t: _Tok) -> _Value:
        text = t.text
        q = text.index("'")
        prefix = text[:q]
        body = text[q + 1:]
        if not re.fullmatch(r"(?:[^'\\]|\\.)*'", body):
            raise self.err("missing terminating ' character", t)
        body = body[:-1]
        if not body:
            raise self.err("empty character constant", t)
        vals: list[int] = []
        i = 0
        while i < len(body):
            c = body[i]
            if c != "\\":
                vals.append(ord(c))
                i += 1
                continue
            i += 1
            if i >= len(body):
                raise self.err("missing terminating ' character", t)
            e = body[i]
            if e in _SIMPLE_ESCAPES:
                vals.append(_SIMPLE_ESCAPES[e])
                i += 1
            elif e in "01234567":
                j = i
                while j < len(body) and j < i + 3 and body[j] in "01234567":
                    j += 1
                vals.append(int(body[i:j], 8))
                i = j
            elif e == "x":
                j = i + 1
                while j < len(body) and body[j] in "0123456789abcdefABCDEF":
                    j += 1
                if j == i + 1:
                    raise self.err("\\x used with no following hex digits", t)
                vals.append(int(body[i + 1:j], 16))
                i = j
            else:
                vals.append(ord(e))
                i += 1
        if prefix:
            return _Value(vals[-1], prefix != "L")
        if len(vals) == 1:
            v = vals[0] & 0xFF if vals[0] <= 0xFF else vals[0]
            if 0x80 <= v <= 0xFF:
                v -= 0x100  # plain char is signed
            return _Value(v, False)
        v = 0
        for x in vals:
            v = ((v << 8) | (x & 0xFF)) & 0xFFFFFFFF
        return _Value(v - (1 << 32) if v >= (1 << 31) else v, False)  # an int
