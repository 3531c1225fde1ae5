"""The ``--coverage`` summary: one line per scenario, in every format.

``coverage_detail`` (in the JSON) lists, per thread, every model line the
thread never executed; that is hundreds of lines for a library scenario. A
reviewer needs one line::

    coverage: 93% of model lines ran (412 of 443); never ran: mm/hugetlb.c:120-124,200; mm/buddy.c:75; not by thread alloc: mm/buddy.c:30-31

Consecutive unreached model lines (no model line that ran between them) are
one range; lines no thread ran come first, then lines some thread ran but
another never did.
"""

from __future__ import annotations

from ..result import ScenarioResult


def _model_lines(detail: dict) -> dict[str, set[int]]:
    """Every model line of the scenario: those that ran and those some thread never ran."""
    lines: dict[str, set[int]] = {}
    for f, per in (detail.get("hits") or {}).items():
        lines.setdefault(f, set()).update(int(k) for k in per)
    for files in (detail.get("unreached") or {}).values():
        for f, ls in files.items():
            lines.setdefault(f, set()).update(ls)
    return lines


def _ranges(missing: list[int], all_lines: set[int]) -> list[str]:
    """``missing`` as ranges over the file's model lines: 120-124 when no model line between ran."""
    order = sorted(all_lines)
    pos = {ln: i for i, ln in enumerate(order)}
    out: list[str] = []
    start = prev = None
    for ln in sorted(missing):
        if prev is not None and pos[ln] == pos[prev] + 1:
            prev = ln
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = ln
    if start is not None:
        out.append(str(start) if start == prev else f"{start}-{prev}")
    return out


def _where(files: dict[str, list[int]], all_lines: dict[str, set[int]], limit: int | None) -> str:
    parts = []
    for f in sorted(files):
        rs = _ranges(files[f], all_lines.get(f, set(files[f])))
        parts.append((f, rs))
    total = sum(len(rs) for _, rs in parts)
    shown, out = 0, []
    for f, rs in parts:
        if limit is not None and shown >= limit:
            break
        take = rs if limit is None else rs[: limit - shown]
        shown += len(take)
        out.append(f"{f}:{','.join(take)}")
    text = "; ".join(out)
    if shown < total:
        text += f"; and {total - shown} more range(s)"
    return text


def coverage_numbers(r: ScenarioResult) -> tuple[int, int]:
    """(model lines that ran in some thread, model lines in all)."""
    detail = r.coverage_detail or {}
    lines = _model_lines(detail)
    total = sum(len(v) for v in lines.values())
    ran = sum(len(per) for per in (detail.get("hits") or {}).values())
    return ran, total


def coverage_summary(r: ScenarioResult, limit: int | None = 12) -> str:
    """One line: the share of model lines that ran and, compactly, where code never ran.

    ``limit`` caps the number of line ranges listed (None: all of them).
    """
    return summarize(r.coverage_detail or {}, limit)


def summarize(detail: dict, limit: int | None = 12) -> str:
    """:func:`coverage_summary` of a result's ``coverage_detail``."""
    lines = _model_lines(detail)
    ran_lines = {f: {int(k) for k in per} for f, per in (detail.get("hits") or {}).items()}
    total = sum(len(v) for v in lines.values())
    ran = sum(len(per) for per in ran_lines.values())
    if not total:
        return "coverage: no model line"
    pct = 100 * ran // total if ran < total else 100
    head = f"coverage: {pct}% of model lines ran ({ran} of {total})"
    unreached = detail.get("unreached") or {}
    if not unreached:
        return head + "; every thread ran each of its lines"
    never: dict[str, set[int]] = {}
    for files in unreached.values():
        for f, ls in files.items():
            never.setdefault(f, set()).update(ln for ln in ls if ln not in ran_lines.get(f, set()))
    never = {f: v for f, v in never.items() if v}
    parts = [head]
    budget = limit
    if never:
        parts.append("never ran: " + _where({f: sorted(v) for f, v in never.items()}, lines, budget))
        if budget is not None:
            budget = max(budget - sum(len(_ranges(sorted(v), lines.get(f, v))) for f, v in never.items()), 1)
    for thread, files in sorted(unreached.items()):
        only = {f: sorted(ln for ln in ls if ln in ran_lines.get(f, set())) for f, ls in files.items()}
        only = {f: ls for f, ls in only.items() if ls}
        if only:
            parts.append(f"not by thread {thread}: " + _where(only, lines, budget))
    return "; ".join(parts)
