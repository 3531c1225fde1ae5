"""Counterexamples as graphs (networkx), and their exports.

Two graphs are built from a :class:`~hugemc.result.Trace`:

- the **path graph**: states as nodes (labelled with the slots the step into
  them changed), steps as edges (thread, ``file:line``);
- the **interleaving graph**: one node per step; *program-order* edges join
  consecutive steps of one thread, *conflict* edges join steps of different
  threads that touch the same slot where at least one of them writes it. The
  steps the violation depends on are marked ``relevant`` (the trace's own
  marks: a dynamic backward slice through data and control, see
  :mod:`hugemc.explore.relevance`); the others can be dimmed, so the few
  orderings that matter stand out.

Exports: DOT (:func:`to_dot`), GraphML (``networkx.write_graphml`` after
:func:`graphml_ready`), Mermaid sequence diagrams (:func:`to_mermaid`) and
node-link JSON (:func:`to_json`). They read only the trace.
"""

from __future__ import annotations

import json
import re

import networkx as nx

from ..result import Trace, TraceStep

PO = "program-order"
CONFLICT = "conflict"


def _fmt(v) -> str:
    return "-" if v is None else str(v)


def step_label(s: TraceStep) -> str:
    """The changes of a step as ``slot: a→b`` text."""
    return ", ".join(f"{k}: {_fmt(a)}→{_fmt(b)}" for k, (a, b) in s.changes.items())


def _real(slot: str) -> bool:
    return not any(part.split("[")[0].startswith("ghost_") for part in slot.split("."))


def step_writes(s: TraceStep) -> set[str]:
    """Slots a step wrote (as reported in the trace), ghost state excluded."""
    return {x for x in s.changes if _real(x)}


def step_reads(s: TraceStep) -> set[str]:
    """Shared slots a step read, ghost state excluded."""
    return {x for x in s.reads if _real(x)}


def path_graph(trace: Trace) -> nx.DiGraph:
    """States as nodes, steps as edges; the last node is marked ``violating``."""
    g = nx.DiGraph(kind="path")
    g.add_node(0, label="initial", index=0, violating=False)
    for s in trace.steps:
        g.add_node(s.index, label=step_label(s) or "(no visible change)", index=s.index,
                   violating=False, error=s.error or "")
        g.add_edge(s.index - 1, s.index, thread=s.thread, file=s.file, line=s.line, code=s.code,
                   function=s.function, label=f"{s.thread} {s.file}:{s.line}")
    last = trace.steps[-1].index if trace.steps else 0
    g.nodes[last]["violating"] = True
    return g


def interleaving_graph(trace: Trace, focus: list[str] | None = None) -> nx.DiGraph:
    """One node per step, program-order and conflict edges, ``relevant`` marks.

    A conflict edge goes from a step to the next step of another thread that
    touches the same slot, where at least one of the two writes it; ``slots``
    on the edge lists the slots. ``relevant`` is each step's mark from the
    trace (:attr:`TraceStep.relevant`, the dynamic backward slice of
    :mod:`hugemc.explore.relevance`); ``focus`` is kept for callers and unused.
    """
    g = nx.DiGraph(kind="interleaving")
    steps = trace.steps
    for s in steps:
        g.add_node(s.index, thread=s.thread, file=s.file, line=s.line, code=s.code, function=s.function,
                   changes=step_label(s), reads=", ".join(f"{k}={_fmt(v)}" for k, v in s.reads.items()),
                   messages=" | ".join(s.messages), error=s.error or "", index=s.index, relevant=s.relevant)
    last_of: dict[str, int] = {}
    for s in steps:
        if s.thread in last_of:
            g.add_edge(last_of[s.thread], s.index, kind=PO, slots="")
        last_of[s.thread] = s.index
    for i, a in enumerate(steps):
        wa, ra = step_writes(a), step_reads(a)
        for slot in sorted(wa | ra):
            for b in steps[i + 1:]:
                if b.thread == a.thread:
                    continue
                wb, rb = step_writes(b), step_reads(b)
                if slot in wb or (slot in rb and slot in wa):
                    if g.has_edge(a.index, b.index) and g.edges[a.index, b.index]["kind"] == CONFLICT:
                        g.edges[a.index, b.index]["slots"] += f", {slot}"
                    elif not g.has_edge(a.index, b.index):
                        g.add_edge(a.index, b.index, kind=CONFLICT, slots=slot)
                    break
    return g


def threads_of(trace: Trace) -> list[str]:
    """Threads in order of first appearance."""
    out: list[str] = []
    for s in trace.steps:
        if s.thread not in out:
            out.append(s.thread)
    return out


def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: nx.DiGraph, title: str = "") -> str:
    """Graphviz DOT text for a path or interleaving graph (relevant steps bold, others grey)."""
    lines = ["digraph hugemc {", "  rankdir=TB;", '  node [shape=box, fontname="monospace", fontsize=10];',
             '  edge [fontname="monospace", fontsize=9];']
    if title:
        lines.append(f"  label={_dot_str(title)}; labelloc=t;")
    if g.graph.get("kind") == "interleaving":
        by_thread: dict[str, list[int]] = {}
        for n, d in g.nodes(data=True):
            by_thread.setdefault(d["thread"], []).append(n)
        for k, (t, ns) in enumerate(by_thread.items()):
            lines.append(f"  subgraph cluster_{k} {{ label={_dot_str(t)}; color=gray70;")
            for n in ns:
                d = g.nodes[n]
                text = f"{d['index']}. {d['file']}:{d['line']}\n{d['code']}"
                if d["reads"]:
                    text += f"\nread {d['reads']}"
                if d["changes"]:
                    text += f"\n{d['changes']}"
                if d["error"]:
                    text += f"\n✗ {d['error']}"
                style = 'color=red, penwidth=2' if d["error"] else ("penwidth=2" if d["relevant"]
                                                                   else "color=gray60, fontcolor=gray50")
                lines.append(f"    s{n} [label={_dot_str(text)}, {style}];")
            lines.append("  }")
        for a, b, d in g.edges(data=True):
            rel = g.nodes[a]["relevant"] and g.nodes[b]["relevant"]
            if d["kind"] == PO:
                attrs = "color=gray40" if rel else "color=gray80"
            else:
                attrs = f"color={'red' if rel else 'pink'}, style=dashed, label={_dot_str(d['slots'])}, constraint=false"
            lines.append(f"  s{a} -> s{b} [{attrs}];")
    else:
        for n, d in g.nodes(data=True):
            style = ', color=red, penwidth=2' if d.get("violating") else ""
            lines.append(f"  n{n} [label={_dot_str(str(d['index']) + ': ' + d['label'])}{style}];")
        for a, b, d in g.edges(data=True):
            lines.append(f"  n{a} -> n{b} [label={_dot_str(d['label'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graphml_ready(g: nx.DiGraph) -> nx.DiGraph:
    """A copy whose attributes are all GraphML-storable scalars."""
    h = nx.DiGraph()
    h.graph.update({k: str(v) for k, v in g.graph.items()})
    for n, d in g.nodes(data=True):
        h.add_node(n, **{k: (v if isinstance(v, (bool, int, float, str)) else str(v)) for k, v in d.items()})
    for a, b, d in g.edges(data=True):
        h.add_edge(a, b, **{k: (v if isinstance(v, (bool, int, float, str)) else str(v)) for k, v in d.items()})
    return h


def to_json(g: nx.DiGraph) -> str:
    """Node-link JSON of a graph."""
    return json.dumps(nx.node_link_data(g, edges="edges"), indent=2) + "\n"


_OBJ = re.compile(r"^([A-Za-z_]\w*(?:\[\d+\])?)\.")


def _object_of(slot: str) -> str:
    """``pages[0]._refcount`` -> ``pages[0]``; a plain global is its own object."""
    m = _OBJ.match(slot)
    return m.group(1) if m else slot


def _mermaid_text(s: str) -> str:
    # Mermaid messages end at a newline and treat ';' and '#' specially
    return s.replace(";", ",").replace("#", "no.").replace("\n", " ").replace("→", "->")


def to_mermaid(trace: Trace, threads: list[str] | None = None) -> str:
    """A Mermaid sequence diagram: threads and the objects they touch as participants."""
    threads = threads or threads_of(trace)
    objects: list[str] = []
    for s in trace.steps:
        for slot in list(s.changes) + list(s.reads):
            if "." in slot and slot.split(".")[0] in threads:
                continue  # a thread's local
            o = _object_of(slot)
            if o not in objects:
                objects.append(o)
    ids = {name: f"P{k}" for k, name in enumerate(threads + objects)}
    out = ["sequenceDiagram"]
    for name in threads:
        out.append(f"    participant {ids[name]} as {_mermaid_text(name)}")
    for name in objects:
        out.append(f"    participant {ids[name]} as {_mermaid_text(name)}")
    for s in trace.steps:
        t = ids[s.thread]
        touched: dict[str, list[str]] = {}
        for slot, (a, b) in s.changes.items():
            if "." in slot and slot.split(".")[0] in threads:
                continue
            touched.setdefault(_object_of(slot), []).append(f"{slot[len(_object_of(slot)):].lstrip('.') or slot} "
                                                            f"{_fmt(a)}->{_fmt(b)}")
        for slot, v in s.reads.items():
            if slot not in s.changes:
                touched.setdefault(_object_of(slot), []).append(f"read {slot[len(_object_of(slot)):].lstrip('.') or slot}={_fmt(v)}")
        where = f"{s.index}. {s.file.split('/')[-1]}:{s.line}"
        if not touched:
            out.append(f"    Note over {t}: {_mermaid_text(where + ' ' + s.code)}")
        for o, items in touched.items():
            out.append(f"    {t}->>{ids[o]}: {_mermaid_text(where + ' ' + ', '.join(items))}")
        for m in s.messages:
            out.append(f"    Note over {t}: {_mermaid_text(m)}")
        if s.error:
            out.append(f"    Note over {t}: {_mermaid_text('✗ ' + s.error)}")
    return "\n".join(out) + "\n"
