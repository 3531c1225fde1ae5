"""GitHub Actions workflow commands: annotations on the model line.

An unexpected violation is an ``::error`` on the line of its violating step;
an expected one (a known bug) a ``::notice``; a missed expectation an
``::error`` on the scenario file; a search cut short a ``::warning``; an
input error (a compile error, bad TOML) an ``::error`` at the diagnostic's
``file:line:col``; with ``--coverage``, one ``::warning`` per scenario that
left model code unexecuted, on the scenario file, with the summary.
"""

from __future__ import annotations

import re

from ..result import ScenarioResult
from .coverage import coverage_summary
from .visible import visible_results

_DIAG_LOC = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?: error: ")


def error_location(r: ScenarioResult) -> tuple[str, int, int]:
    """Where an input error points: the result's ``error_location``, else parsed from the
    diagnostic's first line, else the scenario file."""
    if r.error_file:
        return r.error_file, r.error_line, r.error_col
    m = _DIAG_LOC.match((r.error or "").split("\n", 1)[0])
    if m:
        return m.group("file"), int(m.group("line")), int(m.group("col") or 0)
    return r.file, 0, 0


def _esc_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(s: str) -> str:
    return _esc_data(s).replace(":", "%3A").replace(",", "%2C")


def _cmd(kind: str, message: str, file: str = "", line: int = 0, title: str = "", col: int = 0) -> str:
    props = []
    if file:
        props.append(f"file={_esc_prop(file)}")
    if line:
        props.append(f"line={line}")
    if line and col:
        props.append(f"col={col}")
    if title:
        props.append(f"title={_esc_prop(title)}")
    return f"::{kind} {','.join(props)}::{_esc_data(message)}" if props else f"::{kind}::{_esc_data(message)}"


def github_annotations(results: list[ScenarioResult], coverage: bool = False) -> str:
    """Workflow commands for a run, one per line (unreached model lines as warnings if ``coverage``)."""
    lines = []
    for r in visible_results(results):  # no terminal escape reaches the log
        if r.verdict == "error":
            file, line, col = error_location(r)
            lines.append(_cmd("error", r.error or "input error", file, line, f"hugemc: {r.name}", col))
            continue
        for v in r.violations:
            last = v.trace.steps[-1] if v.trace.steps else None
            file, line = (v.file, v.line) if v.file else ((last.file, last.line) if last else (r.file, 0))
            known = r.expects(v)
            msg = f"{r.name}: {v.property} ({v.kind}): {v.message}; counterexample: {len(v.trace.steps)} step(s)"
            lines.append(_cmd("notice" if known else "error", msg + (" (known bug, expected)" if known else ""),
                              file, line, f"hugemc {v.property}"))
        for p in r.problems:
            if p.startswith("unexpected violation"):
                continue
            kind = "warning" if p.startswith(("search cut", "hash compaction")) else "error"
            lines.append(_cmd(kind, f"{r.name}: {p}", r.file, 0, f"hugemc: {r.name}"))
        if coverage and (r.coverage_detail or {}).get("unreached"):
            lines.append(_cmd("warning", f"{r.name}: {coverage_summary(r)}", r.file, 0, "hugemc: unreached code"))
    return "\n".join(lines) + ("\n" if lines else "")
