"""Exporting one counterexample: the formats of ``hugemc trace``.

``text`` is the terminal view (a message-sequence chart, one column per
thread); ``dot``, ``graphml``, ``mermaid`` and ``json`` export the graphs of
:mod:`.graphs`. When Graphviz's ``dot`` program is installed, a DOT export
written to a ``.svg`` file is rendered to SVG.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import TYPE_CHECKING

from ..result import ScenarioResult, Violation

if TYPE_CHECKING:  # networkx is imported when a graph is made (it is a sixth of start-up)
    import networkx as nx

FORMATS = ("text", "table", "dot", "graphml", "mermaid", "json")


class ExportError(Exception):
    """An export that cannot be made (say why, in words)."""


def graph_of(v: Violation, which: str) -> "nx.DiGraph":
    """The interleaving or path graph of a violation's trace."""
    from .graphs import interleaving_graph, path_graph
    return interleaving_graph(v.trace, v.focus) if which == "interleaving" else path_graph(v.trace)


def export(r: ScenarioResult, v: Violation, fmt: str, which: str = "interleaving") -> str:
    """Text of one violation's trace in ``fmt`` (not ``text``/``table``, which are drawn by rich)."""
    from .graphs import to_dot, to_json, to_mermaid
    title = f"{r.name}: {v.property} ({v.kind}): {v.message}"
    if fmt == "dot":
        return to_dot(graph_of(v, which), title)
    if fmt == "mermaid":
        return to_mermaid(v.trace)
    if fmt == "json":
        return to_json(graph_of(v, which))
    if fmt == "graphml":
        buf = io.BytesIO()
        import networkx as nx
        from .graphs import graphml_ready
        nx.write_graphml(graphml_ready(graph_of(v, which)), buf)
        return buf.getvalue().decode("utf-8")
    raise ExportError(f"unknown format {fmt}")


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is installed."""
    return shutil.which("dot") is not None


def render_svg(dot_text: str) -> str:
    """Render DOT to SVG with Graphviz (ExportError if ``dot`` is not installed or fails)."""
    exe = shutil.which("dot")
    if exe is None:
        raise ExportError("Graphviz is not installed (no 'dot' program): write the .dot file and render it "
                          "elsewhere, or install Graphviz (Debian: apt-get install graphviz)")
    p = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise ExportError(f"dot failed: {p.stderr.strip()}")
    return p.stdout
