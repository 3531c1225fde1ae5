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
from dataclasses import dataclass
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
        head = f"{self.loc}: error: {self.message}" if self.loc else f"error: {self.message}"
        lines = [head]
        text = self.source_line
        if text is None and self.loc is not None and self.loc.line:
            text = read_source_line(self.loc.file, self.loc.line)
        if text is not None and self.loc is not None:
            num = str(self.loc.line) if self.loc.line else ""
            pad = " " * len(num)
            text, col = quote_window(text.rstrip(), self.loc.col)
            lines.append(f" {num} | {text}")
            if col:
                # keep tabs so the caret lines up under the offending column
                prefix = "".join(c if c == "\t" else " " for c in text[: col - 1])
                lines.append(f" {pad} | {prefix}^")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


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


def did_you_mean(name: str, candidates, what: str = "") -> str | None:
    """A 'did you mean' hint for ``name`` among ``candidates``, or None."""
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not close:
        return None
    if len(close) == 1:
        return f"did you mean '{close[0]}'?"
    return "did you mean one of: " + ", ".join(f"'{c}'" for c in close) + "?"


def display_path(path: str | Path) -> str:
    """A path as users should see it: relative to the working directory if below it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)
