"""Wrapping text for people: no line wider than the width.

Reports and diagnostics are read on terminals and in CI logs that are often
80 columns wide. :func:`wrap` breaks at spaces, and a token too long for a
line (a flags change ``PG_head|PG_hwpoison→PG_head|PG_hugetlb_freed``, a
coverage list ``mm/hugetlb.c:120-124,200,…``) after one of ``| → , ;`` or
``/``; only a token with none of those is cut at the width.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

_BREAK_AFTER = re.compile(r"(?<=[|→,;/])")


def _pieces(word: str, room: int) -> list[str]:
    """``word`` split after break characters into pieces, each at most ``room`` cells when it can be."""
    if cell_len(word) <= room:
        return [word]
    out: list[str] = []
    cur = ""
    for part in _BREAK_AFTER.split(word):
        if cur and cell_len(cur + part) > room:
            out.append(cur)
            cur = ""
        cur += part
        while cell_len(cur) > room:  # nowhere to break: cut
            k = room
            while k > 1 and cell_len(cur[:k]) > room:
                k -= 1
            out.append(cur[:k])
            cur = cur[k:]
    if cur:
        out.append(cur)
    return out


def wrap(text: str, width: int, indent: str = "", hang: str = "") -> list[str]:
    """``text`` (one line) wrapped to ``width`` cells: the first line starts with ``indent``, the
    others with ``indent + hang``. Words are kept whole when they fit a line (see the module);
    the spaces between words are kept, those at a break dropped."""
    width = max(width, cell_len(indent + hang) + 8)
    room = width - cell_len(indent + hang)
    lines: list[str] = []
    cur, fresh = indent, True  # fresh: nothing but the indent on the current line
    tokens = re.split(r"(\s+)", text.expandtabs(8).strip())
    for k in range(0, len(tokens), 2):
        sep = tokens[k - 1] if k else ""
        for i, piece in enumerate(_pieces(tokens[k], room)):
            glue = "" if fresh or i > 0 else sep
            if cell_len(cur + glue + piece) <= width:
                cur += glue + piece
            else:
                lines.append(cur)
                cur = indent + hang + piece
            fresh = False
    lines.append(cur)
    return lines
