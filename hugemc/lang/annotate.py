"""The ``__range(lo, hi)`` domain annotation.

Written after a declarator (``atomic_t _refcount __range(-1, 3);``,
``typedef int order_t __range(0, 9);``), it gives the slot (or every slot of
the typedef) a finite domain. pycparser does not know attributes, so this
pass reads the annotations out of the preprocessed text, blanks them (columns
stay put) and keys each by ``(file, line, declarator name)``.
"""

from __future__ import annotations

import re

from ..diagnostics import HugemcError, SourceLoc

_MARKER = re.compile(r'^#\s*(?:line\s+)?(\d+)\s+"((?:[^"\\]|\\.)*)"')
_ANNOT = re.compile(r"\b__range\s*\(")
_FLAGS = re.compile(r"\b__flags\s*\(\s*([A-Za-z_]\w*)\s*\)")
_TRAILING = re.compile(r"\s*\b__flags\s*\(\s*\w*\s*\)\s*$")
_IDENT = re.compile(r"[A-Za-z_]\w*$")

RangeKey = tuple[str, int, str]


def marked_lines(text: str):
    """Yield ``(raw line, marker?, file, line)`` for preprocessed text with ``# N "file"`` markers.

    For a marker line, ``file`` and ``line`` are what it sets (the next line's);
    for other lines, the file and line number they come from.
    """
    file, line = "<input>", 0
    for raw in text.split("\n"):
        m = _MARKER.match(raw)
        if m:
            file = m.group(2).replace('\\"', '"').replace("\\\\", "\\")
            line = int(m.group(1)) - 1
            yield raw, True, file, line + 1
            continue
        line += 1
        yield raw, False, file, line


def extract_ranges(text: str) -> tuple[str, dict[RangeKey, tuple[str, str, SourceLoc]]]:
    """Blank every ``__range(lo, hi)`` and return ``(text, {key: (lo_text, hi_text, loc)})``.

    ``lo`` and ``hi`` are returned as C expression text for the caller to
    evaluate (they may use enum constants).
    """
    out_lines = []
    found: dict[RangeKey, tuple[str, str, SourceLoc]] = {}
    for raw, is_marker, file, line in marked_lines(text):
        if is_marker or "__range" not in raw:
            out_lines.append(raw)
            continue
        chars = list(raw)
        for am in list(_ANNOT.finditer(raw)):
            start = am.start()
            loc = SourceLoc(file, line, start + 1)
            depth, j = 1, am.end()
            while j < len(raw) and depth:
                if raw[j] == "(":
                    depth += 1
                elif raw[j] == ")":
                    depth -= 1
                j += 1
            if depth:
                raise HugemcError("unterminated __range(...) annotation", loc,
                                  hint="write __range(lo, hi) on one line")
            inner = raw[am.end(): j - 1]
            parts = _split_args(inner)
            if len(parts) != 2:
                raise HugemcError(f"__range takes 2 arguments (lo, hi), got {len(parts)}", loc,
                                  hint="write __range(lo, hi)")
            name = _declarator_before(raw[:start])
            if name is None:
                raise HugemcError("__range must follow the name it annotates", loc,
                                  hint="write it after the declarator: 'int x __range(0, 3);'")
            found[(file, line, name)] = (parts[0].strip(), parts[1].strip(), loc)
            for k in range(start, j):
                chars[k] = " "
        out_lines.append("".join(chars))
    return "\n".join(out_lines), found


def extract_flags(text: str) -> tuple[str, dict[RangeKey, tuple[str, SourceLoc]]]:
    """Blank every ``__flags(E)`` and return ``(text, {key: (E, loc)})``.

    ``__flags(E)`` after a declarator says the integer is a flags word whose
    bit numbers are the enumerators of ``enum E``; reports then print its value
    by bit names (``PG_head|PG_hugetlb``). Run after :func:`extract_ranges`.
    """
    out_lines = []
    found: dict[RangeKey, tuple[str, SourceLoc]] = {}
    for raw, is_marker, file, line in marked_lines(text):
        if is_marker or "__flags" not in raw:
            out_lines.append(raw)
            continue
        chars = list(raw)
        for m in _FLAGS.finditer(raw):
            loc = SourceLoc(file, line, m.start() + 1)
            name = _declarator_before("".join(chars[:m.start()]))
            if name is None:
                raise HugemcError("__flags must follow the name it annotates", loc,
                                  hint="write it after the declarator: 'unsigned long flags __flags(pageflags);'")
            found[(file, line, name)] = (m.group(1), loc)
            for k in range(m.start(), m.end()):
                chars[k] = " "
        if "__flags" in "".join(chars):
            raise HugemcError("__flags takes one enum name: __flags(E)", SourceLoc(file, line, raw.find("__flags") + 1),
                              hint="write 'unsigned long flags __flags(pageflags);' with pageflags an enum of bit numbers")
        out_lines.append("".join(chars))
    return "\n".join(out_lines), found


def _split_args(s: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for c in s:
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        cur.append(c)
    parts.append("".join(cur))
    return parts


def _declarator_before(prefix: str) -> str | None:
    s = _TRAILING.sub("", prefix).rstrip()
    # skip array dimensions: name[4][2]
    while s.endswith("]"):
        depth = 0
        for k in range(len(s) - 1, -1, -1):
            if s[k] == "]":
                depth += 1
            elif s[k] == "[":
                depth -= 1
                if depth == 0:
                    s = s[:k].rstrip()
                    break
        else:
            return None
    m = _IDENT.search(s)
    return m.group(0) if m else None
