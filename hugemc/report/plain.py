"""Plain-text renderings shared by the CI formats (JUnit failure text, SARIF messages)."""

from __future__ import annotations

from ..result import Trace, TraceStep


def fmt(v) -> str:
    """A value as text ('-' for uninitialised)."""
    return "-" if v is None else str(v)


def step_summary(s: TraceStep) -> str:
    """One line for a step: thread, location, code, reads and changes, messages, error."""
    parts = [f"read {k}={fmt(v)}" for k, v in s.reads.items() if k not in s.changes]
    parts += [f"{k}: {fmt(a)}->{fmt(b)}" for k, (a, b) in s.changes.items()]
    text = f"{s.index}. [{s.thread}] {s.file}:{s.line}  {s.code}"
    if parts:
        text += "  | " + ", ".join(parts)
    for m in s.messages:
        text += f"  | {m}"
    if s.error:
        text += f"  | ERROR: {s.error}"
    return text


def trace_text(trace: Trace) -> str:
    """A trace as plain lines, one step each."""
    return "\n".join(step_summary(s) for s in trace.steps)
