"""GitHub Actions workflow commands: annotations on the model line.

An unexpected violation is an ``::error`` on the line of its violating step;
an expected one (a known bug) a ``::notice``; a missed expectation an
``::error`` on the scenario file; a search cut short a ``::warning``.
"""

from __future__ import annotations

from ..result import ScenarioResult


def _esc_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(s: str) -> str:
    return _esc_data(s).replace(":", "%3A").replace(",", "%2C")


def _cmd(kind: str, message: str, file: str = "", line: int = 0, title: str = "") -> str:
    props = []
    if file:
        props.append(f"file={_esc_prop(file)}")
    if line:
        props.append(f"line={line}")
    if title:
        props.append(f"title={_esc_prop(title)}")
    return f"::{kind} {','.join(props)}::{_esc_data(message)}" if props else f"::{kind}::{_esc_data(message)}"


def github_annotations(results: list[ScenarioResult], coverage: bool = False) -> str:
    """Workflow commands for a run, one per line (unreached model lines as warnings if ``coverage``)."""
    lines = []
    for r in results:
        if r.verdict == "error":
            lines.append(_cmd("error", r.error or "input error", r.file, 0, f"hugemc: {r.name}"))
            continue
        expected = set(r.expected) if isinstance(r.expected, list) else set()
        for v in r.violations:
            last = v.trace.steps[-1] if v.trace.steps else None
            file, line = (v.file, v.line) if v.file else ((last.file, last.line) if last else (r.file, 0))
            known = v.property in expected
            msg = f"{r.name}: {v.property} ({v.kind}): {v.message}; counterexample: {len(v.trace.steps)} step(s)"
            lines.append(_cmd("notice" if known else "error", msg + (" (known bug, expected)" if known else ""),
                              file, line, f"hugemc {v.property}"))
        for p in r.problems:
            if p.startswith("unexpected violation"):
                continue
            kind = "warning" if p.startswith(("search cut", "hash compaction")) else "error"
            lines.append(_cmd(kind, f"{r.name}: {p}", r.file, 0, f"hugemc: {r.name}"))
        if coverage:
            for thread, files in ((r.coverage_detail or {}).get("unreached", {})).items():
                for f, ls in files.items():
                    for ln in ls:
                        lines.append(_cmd("warning", f"{r.name}: thread {thread} never executed this line",
                                          f, ln, "hugemc: unreached code"))
    return "\n".join(lines) + ("\n" if lines else "")
