"""The interleaving graph of a trace as a small, self-contained SVG.

The layout is fixed and needs no Graphviz: one column (lane) per thread, in
order of first appearance, one row per step. *Program-order* edges run down a
lane; *conflict* edges are dashed red curves between lanes, labelled with the
slots they conflict on. Steps the violation depends on (``relevant`` in
:func:`~hugemc.report.graphs.interleaving_graph`) are drawn normally, the
others dimmed.

Every node is a ``<g class="node" id="{prefix}-n{index}" data-step="{index}">``
so that a page can highlight the current step by toggling a class (the HTML
report does). All text taken from the trace is XML-escaped.
"""

from __future__ import annotations

from html import escape

import networkx as nx

from ..result import Trace
from .graphs import CONFLICT, PO, interleaving_graph, threads_of

COL_W = 316        # width of a thread's lane
NODE_W = 200       # width of a step's box
NODE_H = 42        # height of a step's box
ROW_H = 60         # vertical distance between consecutive steps
HEAD_H = 40        # lane header (thread name)
PAD = 12           # margin around the drawing
CHAR_W = 6.4       # approximate advance of an 11px monospace character

_COLORS = {
    "lane": "#f3f5f8", "lane_text": "#334155", "node": "#ffffff", "node_stroke": "#64748b",
    "text": "#0f172a", "muted": "#64748b", "po": "#475569", "conflict": "#dc2626", "error": "#dc2626",
}


def _e(s: object) -> str:
    return escape(str(s), quote=True)


def _clip(s: str, width_px: float, char_w: float = CHAR_W) -> str:
    n = max(4, int(width_px / char_w))
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 1] + "…"


LABEL_CHAR_W = 6.2  # a conservative advance of a 10px monospace character, for label boxes
LABEL_H = 13       # height of a conflict label's box


class _LabelPlacer:
    """Places conflict-edge labels so that no two overlap.

    A label goes at the middle of its curve when that spot is free; else at
    another point along the curve, else shifted up or down from the middle,
    whichever comes first without touching a label placed before.
    """

    def __init__(self) -> None:
        self.boxes: list[tuple[float, float, float, float]] = []

    @staticmethod
    def _box(text: str, x: float, y: float) -> tuple[float, float, float, float]:
        w = len(text) * LABEL_CHAR_W + 6
        return x - w / 2, y - LABEL_H / 2, x + w / 2, y + LABEL_H / 2

    def _free(self, b) -> bool:
        return all(b[2] <= o[0] or o[2] <= b[0] or b[3] <= o[1] or o[3] <= b[1] for o in self.boxes)

    def place(self, text: str, p0, p1, p2, p3) -> tuple[float, float]:
        """The label's anchor (text-anchor middle, baseline) for the cubic p0..p3."""
        def at(t: float) -> tuple[float, float]:
            u = 1 - t
            return (u ** 3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t ** 3 * p3[0],
                    u ** 3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t ** 3 * p3[1])
        cands = [at(t) for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)]
        mx, my = cands[0]
        cands += [(mx, my + k * (LABEL_H + 1) * sgn) for k in range(1, 40) for sgn in (1, -1)]
        for x, y in cands:
            b = self._box(text, x, y)
            if self._free(b):
                self.boxes.append(b)
                return x, y + 3.5  # the baseline, for a box centred on (x, y)
        b = self._box(text, mx, my)
        self.boxes.append(b)
        return mx, my + 3.5


def node_id(prefix: str, index: int) -> str:
    """The element id of step ``index``'s node."""
    return f"{prefix}-n{index}"


def interleaving_svg(trace: Trace, id_prefix: str = "g", graph: nx.DiGraph | None = None) -> str:
    """An ``<svg>`` element drawing the interleaving graph of ``trace``.

    ``id_prefix`` makes the element ids (nodes, arrow markers) unique when
    several graphs share one page.
    """
    g = graph if graph is not None else interleaving_graph(trace)
    threads = threads_of(trace)
    col = {t: k for k, t in enumerate(threads)}
    n_rows = len(trace.steps)
    width = PAD * 2 + max(1, len(threads)) * COL_W
    height = PAD * 2 + HEAD_H + max(1, n_rows) * ROW_H - (ROW_H - NODE_H) + 6
    p = _e(id_prefix)

    def box(index: int) -> tuple[float, float]:
        d = g.nodes[index]
        x = PAD + col[d["thread"]] * COL_W + (COL_W - NODE_W) / 2
        y = PAD + HEAD_H + (index - 1) * ROW_H
        return x, y

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ilgraph" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="interleaving graph: '
           f'{len(threads)} thread(s), {n_rows} step(s)" font-family="ui-monospace, SFMono-Regular, Menlo, '
           f'Consolas, monospace" font-size="11">']
    out.append("<defs>")
    for name, color in (("po", _COLORS["po"]), ("cf", _COLORS["conflict"])):
        out.append(f'<marker id="{p}-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                   f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
                   f'fill="{color}"/></marker>')
    out.append("</defs>")

    # lanes
    for t, k in col.items():
        x = PAD + k * COL_W
        out.append(f'<g class="lane" data-thread="{_e(t)}">'
                   f'<rect x="{x + 4}" y="{PAD}" width="{COL_W - 8}" height="{height - 2 * PAD}" rx="8" '
                   f'fill="{_COLORS["lane"]}"/>'
                   f'<text class="lane-title" x="{x + COL_W / 2}" y="{PAD + 24}" text-anchor="middle" '
                   f'font-weight="bold" font-size="12" fill="{_COLORS["lane_text"]}">{_e(_clip(t, COL_W - 20))}'
                   f'</text></g>')

    # edges under the nodes
    out.append('<g class="edges">')
    placer = _LabelPlacer()
    for a, b, d in sorted(g.edges(data=True), key=lambda e: (e[2]["kind"] != PO, e[0], e[1])):
        rel = g.nodes[a]["relevant"] and g.nodes[b]["relevant"]
        cls = f'edge {"po" if d["kind"] == PO else "conflict"}{"" if rel else " dim"}'
        faded = "" if rel else ' opacity="0.35"'
        xa, ya = box(a)
        xb, yb = box(b)
        if d["kind"] == PO:
            cx = xa + NODE_W / 2
            out.append(f'<path class="{cls}" data-from="{a}" data-to="{b}" d="M{cx},{ya + NODE_H} L{cx},{yb - 1}" '
                       f'stroke="{_COLORS["po"]}" stroke-width="1.5" fill="none" '
                       f'marker-end="url(#{p}-arrow-po)"{faded}/>')
            continue
        assert d["kind"] == CONFLICT
        right = xb > xa
        x1 = xa + (NODE_W if right else 0)
        x2 = xb + (0 if right else NODE_W)
        y1 = ya + NODE_H / 2
        y2 = yb + NODE_H / 2
        if x1 == x2:  # cannot happen (different threads), but stay safe
            x2 += 1
        dx = max(40.0, abs(x2 - x1) * 0.45) * (1 if right else -1)
        path = f"M{x1},{y1} C{x1 + dx},{y1} {x2 - dx},{y2} {x2},{y2}"
        text = _clip(d["slots"], COL_W - NODE_W + 14, 6.0)
        mx, my = placer.place(text, (x1, y1), (x1 + dx, y1), (x2 - dx, y2), (x2, y2))
        label = _e(text)
        out.append(f'<g class="{cls}" data-from="{a}" data-to="{b}"{faded}>'
                   f'<title>conflict on {_e(d["slots"])}: step {a} before step {b}</title>'
                   f'<path d="{path}" stroke="{_COLORS["conflict"]}" stroke-width="1.6" stroke-dasharray="5 4" '
                   f'fill="none" marker-end="url(#{p}-arrow-cf)"/>'
                   f'<text class="edge-label" x="{mx:.1f}" y="{my:.1f}" text-anchor="middle" font-size="10" '
                   f'fill="{_COLORS["conflict"]}" stroke="#ffffff" stroke-width="3" paint-order="stroke" '
                   f'stroke-linejoin="round">{label}</text></g>')
    out.append("</g>")

    # nodes
    out.append('<g class="nodes">')
    newline = "\n"
    for s in trace.steps:
        d = g.nodes[s.index]
        x, y = box(s.index)
        cls = "node " + ("relevant" if d["relevant"] else "dim") + (" error" if d["error"] else "")
        detail = ("✗ " + d["error"]) if d["error"] else (d["changes"] or (("read " + d["reads"]) if d["reads"] else "")
                                                          or d["messages"] or "(no visible change)")
        tip = [f"step {s.index} · {s.thread} · {s.file}:{s.line}" + (f" · {s.function}()" if s.function else ""),
               s.code]
        for k in ("changes", "reads", "messages"):
            if d[k]:
                tip.append(f"{k}: {d[k]}")
        if d["error"]:
            tip.append("✗ " + d["error"])
        faded = "" if d["relevant"] else ' opacity="0.45"'
        stroke = _COLORS["error"] if d["error"] else _COLORS["node_stroke"]
        out.append(f'<g class="{cls}" id="{_e(node_id(id_prefix, s.index))}" data-step="{s.index}" '
                   f'data-thread="{_e(s.thread)}"{faded}>'
                   f'<title>{_e(newline.join(tip))}</title>'
                   f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{_COLORS["node"]}" '
                   f'stroke="{stroke}" stroke-width="{2 if d["error"] else 1.2}"/>'
                   f'<text x="{x + 8}" y="{y + 16}" fill="{_COLORS["text"]}">'
                   f'<tspan class="idx" font-weight="bold">{s.index}</tspan>'
                   f'<tspan class="code" dx="6">{_e(_clip(s.code, NODE_W - 30))}</tspan></text>'
                   f'<text class="detail" x="{x + 8}" y="{y + 32}" font-size="10" '
                   f'fill="{_COLORS["error"] if d["error"] else _COLORS["muted"]}">'
                   f'{_e(_clip(detail, NODE_W - 14))}</text></g>')
    out.append("</g></svg>")
    return "".join(out)
