"""An index of the shipped model library: its functions, their variants and tracepoints.

Read from the source text (no preprocessing, no parsing), so it lists every
function whatever the defines select: ``hugemc list functions`` prints it,
and the front end uses it to say which library file defines a function a
scenario calls without including it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .scenario import models_dir

# a definition in kernel style: the declarator on one line ending with ')', '{' at the start of the next
_DEF = re.compile(r"^(?!\s)(?!#)(?:[A-Za-z_][\w\s\*]*?[\s\*])?([A-Za-z_]\w*)\s*\(([^;{}]*)\)\s*(\{)?\s*$")
_NOT_FUNCS = {"INVARIANT", "REACHABLE", "FINAL", "if", "while", "for", "switch", "return", "sizeof"}
_TRACE = re.compile(r"\bTRACE\(\s*([A-Za-z_]\w*)\s*\)")
_COND = re.compile(r"^\s*#\s*(?:if|elif|ifdef|ifndef)\b(.*)$")
_IDENT = re.compile(r"\b([A-Z_][A-Z0-9_]{2,})\b")


@dataclass(frozen=True)
class LibFunction:
    """One function of the model library."""

    name: str
    file: str        # relative to the library (mm/hugetlb.c)
    line: int
    summary: str     # first line of the comment above it
    defines: tuple[str, ...]      # defines whose #if selects a variant of its body
    tracepoints: tuple[str, ...]  # TRACE(name) it passes


def _summary(lines: list[str], i: int) -> str:
    """The first sentence of the comment block right above line index ``i``."""
    j = i - 1
    block: list[str] = []
    while j >= 0 and lines[j].strip().startswith(("/*", "*", "//")) or (j >= 0 and lines[j].strip().endswith("*/")):
        block.append(lines[j].strip())
        if lines[j].strip().startswith("/*"):
            break
        j -= 1
    text = " ".join(x.strip("/* ").strip() for x in reversed(block) if x.strip("/* "))
    text = re.sub(r"^[A-Za-z_]\w*\(\)\s*:?\s*", "", text)  # "foo(): does X" -> "does X"
    m = re.match(r"(.+?\.)(\s|$)", text)
    return (m.group(1) if m else text)[:160]


def scan_file(path: Path, rel: str) -> list[LibFunction]:
    """The functions defined in one library file."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = _DEF.match(lines[i])
        if m and m.group(1) not in _NOT_FUNCS and not lines[i].startswith(("typedef", "struct ", "enum ")) \
                or (m and lines[i].startswith("struct ") and "(" in lines[i]):
            if m.group(3) is None and not (i + 1 < len(lines) and lines[i + 1].strip() == "{"):
                i += 1
                continue
            name = m.group(1)
            if name in _NOT_FUNCS:
                i += 1
                continue
            # the body: up to the closing brace in column 0
            end = i + 1
            while end < len(lines) and not lines[end].startswith("}"):
                end += 1
            body = lines[i:end + 1]
            defines: list[str] = []
            for b in body:
                c = _COND.match(b)
                if c:
                    for d in _IDENT.findall(c.group(1)):
                        if d not in defines and d != "defined":
                            defines.append(d)
            tps: list[str] = []
            for b in body:
                for t in _TRACE.findall(b):
                    if t not in tps:
                        tps.append(t)
            out.append(LibFunction(name, rel, i + 1, _summary(lines, i), tuple(defines), tuple(tps)))
            i = end + 1
            continue
        i += 1
    return out


@lru_cache(maxsize=4)
def _index(root: str) -> tuple[LibFunction, ...]:
    base = Path(root)
    funcs: list[LibFunction] = []
    for p in sorted(base.rglob("*")):
        if p.suffix in (".c", ".h") and p.is_file():
            funcs += scan_file(p, p.relative_to(base).as_posix())
    return tuple(funcs)


def library_functions() -> tuple[LibFunction, ...]:
    """Every function of the shipped model library, file by file."""
    return _index(str(models_dir()))


def defining_file(name: str) -> str | None:
    """The library file (``mm/hugetlb.c``) that defines function ``name``, if any."""
    for f in library_functions():
        if f.name == name:
            return f.file
    return None


def tracepoints() -> dict[str, list[str]]:
    """Tracepoint name -> the library functions that pass it."""
    out: dict[str, list[str]] = {}
    for f in library_functions():
        for t in f.tracepoints:
            out.setdefault(t, []).append(f.name)
    return out
