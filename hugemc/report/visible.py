"""Results with every control character made visible, for the formats people read.

A scenario's name, its model's source lines and its messages come from pull
requests in CI. The text, GitHub and JUnit reports print them through
:func:`visible_result`, so an ESC in a name cannot colour or rewrite a log,
a newline cannot break the one-line ``✗ name`` summary, and a raw control
byte cannot make the JUnit XML ill-formed. The JSON and SARIF reports need
no such care: JSON escapes control characters itself.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from ..diagnostics import visible
from ..result import ScenarioResult

MULTILINE = {"error"}  # ScenarioResult.error: a rendered diagnostic, several lines


def visible_copy(x, multiline: bool = False):
    """A copy of ``x`` (a string, a list, a dict, a result dataclass, nested) with :func:`visible` applied
    to every string; a rendered diagnostic (a result's ``error``) keeps its newlines."""
    if isinstance(x, str):
        return visible(x, multiline)
    if isinstance(x, list):
        return [visible_copy(v) for v in x]
    if isinstance(x, tuple):
        return tuple(visible_copy(v) for v in x)
    if isinstance(x, dict):
        return {visible_copy(k): visible_copy(v) for k, v in x.items()}
    if is_dataclass(x) and not isinstance(x, type):
        multi = MULTILINE if isinstance(x, ScenarioResult) else set()
        return replace(x, **{f.name: visible_copy(getattr(x, f.name), f.name in multi)
                             for f in fields(x) if f.init})
    return x


def visible_result(r: ScenarioResult) -> ScenarioResult:
    """A copy of ``r`` whose every string shows control characters as escapes (``\\x1b``, ``\\n``);
    the newlines of the rendered diagnostic ``error`` are kept."""
    return visible_copy(r)


def visible_results(results: list[ScenarioResult]) -> list[ScenarioResult]:
    """:func:`visible_result` of each result."""
    return [visible_result(r) for r in results]
