"""User-facing diagnostics: errors in models, properties and scenarios.

Every mistake a user can make (broken C, an unsupported construct, an unknown
property, malformed TOML, a missing file) is raised as a :class:`HugemcError`
carrying a location. The CLI renders it like a compiler does::

    models/mm/seed.c:12:5: error: unknown function 'atomic_incr'
       12 |     atomic_incr(&x);
          |     ^
    hint: did you mean 'atomic_inc'?

and exits with status 2. No user mistake ever surfaces as a Python traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SourceLoc:
    """A position in a user file: 1-based line and column (0 when unknown)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.file}:{self.line}:{self.col}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


class HugemcError(Exception):
    """An error in the user's input, reported with a location and a hint.

    ``source_line`` may be given when the file is not on disk (a scenario's
    inline thread call, a generated root file); otherwise it is read from
    ``loc.file`` when the error is rendered.
    """

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str | None = None,
                 source_line: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.hint = hint
        self.source_line = source_line

    def render(self) -> str:
        """The full compiler-style text of this error (several lines)."""
        shown = SourceLoc(visible(display_path(self.loc.file)), self.loc.line, self.loc.col) if self.loc else None
        message = visible(self.message)
        head = f"{shown}: error: {message}" if shown else f"error: {message}"
        lines = [head]
        text = self.source_line
        if text is None and self.loc is not None and self.loc.line:
            text = read_source_line(self.loc.file, self.loc.line)
        if text is not None and self.loc is not None:
            num = str(self.loc.line) if self.loc.line else ""
            pad = " " * len(num)
            text, col = quote_window(text.rstrip(), self.loc.col)
            before = visible(text[: col - 1]) if col else ""  # control bytes are quoted as escapes
            lines.append(f" {num} | {visible(text)}")
            if col:
                # keep tabs so the caret lines up under the offending column
                prefix = "".join(c if c == "\t" else " " for c in before)
                lines.append(f" {pad} | {prefix}^")
        if self.hint:
            lines.append(f"hint: {visible(self.hint, multiline=True)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


# Characters never written raw to a terminal, a CI log or XML: C0 controls but tab (newline is
# handled by ``multiline``), DEL and C1 controls, the bidirectional overrides ("Trojan source"),
# lone surrogates and the two non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_UNSAFE_ML = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_SHORT = {"\n": "\\n", "\r": "\\r"}


def _escape_char(m: re.Match) -> str:
    c = m.group()
    return _SHORT.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def visible(text: str, multiline: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\n``, ``\\u202e``).

    Untrusted text (scenario names, source lines, messages) goes through this
    before a terminal, a CI log or an XML report sees it: the result holds no
    terminal escape, and only XML 1.0 characters. Tabs are kept; newlines
    too when ``multiline``.
    """
    return (_UNSAFE_ML if multiline else _UNSAFE).sub(_escape_char, text)


_QUOTE_LINE = re.compile(r"^ *\d* \| ")


def fit_diagnostic(text: str, width: int) -> str:
    """A rendered diagnostic with no line wider than ``width``: the message and hint wrapped (a hint's
    continuation lines under its text), a quoted source line cut with ``…`` around its caret."""
    from rich.cells import cell_len

    from .wrap import wrap
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _QUOTE_LINE.match(line)
        if m and cell_len(line) > width:
            gutter, body = line[:m.end()], line[m.end():]
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            caret = nxt[m.end():] if nxt.startswith(" ") and nxt.rstrip().endswith("^") and "|" in nxt else None
            room = max(width - len(gutter) - 2, 8)  # an ellipsis on each side
            col = len(caret.rstrip()) - 1 if caret is not None else 0
            start = max(0, min(col - room // 2, len(body) - room)) if col >= room else 0
            pre = "…" if start else ""
            cut = body[start:start + room]
            while cell_len(gutter + pre + cut) > width - 1:
                cut = cut[:-1]
            out.append(gutter + pre + cut + ("…" if start + len(cut) < len(body) else ""))
            if caret is not None:
                out.append(nxt[:m.end()] + " " * len(pre) + caret[start:].rstrip())
                i += 1
        elif cell_len(line) <= width:
            out.append(line)
        else:
            out += wrap(line, width, "", " " * 6 if line.startswith("hint: ") else " " * 4)
        i += 1
    return "\n".join(out)


QUOTE_MAX = 200  # a diagnostic quotes at most this many characters of a source line


def quote_window(text: str, col: int) -> tuple[str, int]:
    """At most QUOTE_MAX characters of ``text`` around column ``col`` (1-based), and the column in them."""
    if len(text) <= QUOTE_MAX:
        return text, col
    start = max(0, min(col - 1 - QUOTE_MAX // 2, len(text) - QUOTE_MAX)) if col else 0
    cut = text[start:start + QUOTE_MAX]
    pre = "…" if start > 0 else ""
    post = "…" if start + QUOTE_MAX < len(text) else ""
    return pre + cut + post, (col - start + len(pre)) if col else 0


def read_source_line(file: str, line: int) -> str | None:
    """Return line ``line`` (1-based) of ``file``, or None if unreadable (never from /proc, /sys, /dev)."""
    try:
        rp = Path(file).resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    if any(rp.is_relative_to(d) for d in ("/proc", "/sys", "/dev")) or not rp.is_file():
        return None
    try:
        with open(file, encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, 1):
                if i == line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None


def some_names(names: list[str], most: int = 12) -> str:
    """``a, b, c`` (the first ``most`` names, then how many more), for hints that list candidates."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def did_you_mean(name: str, candidates, what: str = "") -> str | None:
    """A 'did you mean' hint for ``name`` among ``candidates``, or None."""
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return None
    if len(close) == 1:
        return f"did you mean '{close[0]}'?"
    return "did you mean one of: " + ", ".join(f"'{c}'" for c in close) + "?"


@lru_cache(maxsize=1)
def library_dirs() -> tuple[Path, ...]:
    """The shipped library folders: the models, the properties and the prelude (``hugemc.h``)."""
    from .scenario import models_dir, prelude_dir, properties_dir
    return tuple(_resolve(str(d)) for d in (models_dir(), properties_dir(), prelude_dir()))


@lru_cache(maxsize=8192)
def _resolve_in(path: str, cwd: str) -> Path:
    p = Path(path)
    try:
        return (p if p.is_absolute() else Path(cwd) / p).resolve()
    except OSError:
        return p


def _resolve(path: str) -> Path:
    return _resolve_in(path, os.getcwd())


LIBRARY_PARTS = ("models", "properties", "include")  # the library folders, in library_dirs() order


def library_location(path: str | Path) -> tuple[str, str] | None:
    """For a shipped library file, which library folder holds it (``models``, ``properties``
    or ``include``, the prelude's) and the path inside it (``mm/buddy.c``); None for a user file."""
    p = _resolve(str(path))
    for part, d in zip(LIBRARY_PARTS, library_dirs()):
        try:
            return part, p.relative_to(d).as_posix()
        except ValueError:
            continue
    return None


def library_relative(path: str | Path) -> str | None:
    """``path`` relative to the library folder holding it (``mm/buddy.c``), or None for a user file."""
    loc = library_location(path)
    return loc[1] if loc else None


def is_library_path(path: str | Path) -> bool:
    """Whether ``path`` (as given, relative to the working directory) is a shipped library file."""
    return library_relative(path) is not None


def display_path(path: str | Path) -> str:
    """A path as users should see it, in every report.

    A shipped library file relative to its library folder (``mm/buddy.c``,
    ``hugetlb.c`` for a property file, ``hugemc.h``), wherever hugemc is
    installed; a user file relative to the working directory if below it,
    else as given. :func:`resolve_display_path` turns it back into a file.
    """
    return _display(str(path), os.getcwd())


@lru_cache(maxsize=8192)
def _display(s: str, cwd: str) -> str:
    if not s or s.startswith("<"):
        return s
    lib = library_relative(s)
    if lib is not None:
        return lib
    try:
        return _resolve_in(s, cwd).relative_to(_resolve_in(cwd, cwd)).as_posix()
    except ValueError:
        return s


def resolve_display_path(path: str, cwd: str | Path | None = None) -> Path:
    """The file a :func:`display_path` names: a library file if the library has one by that
    name (library-relative names win), else ``path`` relative to ``cwd`` (default: the working directory)."""
    p = Path(path)
    if p.is_absolute():
        return p
    for d in library_dirs():
        if (d / p).is_file():
            return d / p
    return Path(cwd or os.getcwd()) / p
