"""The whole reachable state graph of a small model, for ``hugemc graph``.

Every reachable state is a node (labelled with the globals that differ from
the initial state, and the properties it violates: invariants anywhere,
``FINAL`` properties in states where every thread has returned); every step is an edge
labelled with its thread and ``file:line``; a step that faults leads to an
error node. Meant for small models: above a limit the export is refused.
"""

from __future__ import annotations

import networkx as nx

from ..backend import Model
from ..ir import DONE, FINAL, GLOBAL, INVARIANT
from ..ir.interp import Fault
from .trace import show_value


class TooBig(Exception):
    """The model has more reachable states than the limit."""


def state_graph(model: Model, limit: int = 2000) -> nx.DiGraph:
    """Explore ``model`` breadth-first into a networkx graph (TooBig past ``limit`` states)."""
    p = model.program
    interp = model.interp
    g = nx.DiGraph(kind="states")
    index: dict[tuple, int] = {}
    queue: list[tuple] = []
    init = interp.initial_states()
    base = init[0]
    globals_ = [i for i in range(p.nstate) if p.slots[i].kind == GLOBAL and not p.slots[i].ghost]

    def add(s: tuple) -> int:
        if s in index:
            return index[s]
        if len(index) >= limit:
            raise TooBig(f"more than {limit} states")
        n = len(index)
        index[s] = n
        queue.append(s)
        diff = [f"{p.slots[i].name}={show_value(p, i, s[i])}" for i in globals_ if s[i] != base[i]]
        for t in p.threads:  # where each thread that has moved is
            pc = s[t.pc_slot]
            if pc == DONE:
                diff.append(f"{t.name}: done")
            elif pc != base[t.pc_slot]:
                diff.append(f"{t.name} @ line {t.nodes[pc].loc.line}")
        bad = []
        done = all(s[t.pc_slot] == DONE for t in p.threads)
        for prop, fn in model.properties:
            if prop.kind == INVARIANT or (prop.kind == FINAL and done):
                try:
                    ok = fn(model.pack(s))
                except Fault:
                    ok = False
                if not ok:
                    bad.append(prop.name)
        g.add_node(n, label="\n".join(diff) or "initial state", violating=bool(bad), violates=", ".join(bad),
                   final=done, initial=s in init)
        return n

    for s in init:
        add(s)
    k = 0
    errors = 0
    while k < len(queue):
        s = queue[k]
        a = index[s]
        for t in p.threads:
            for o in interp.successors(s, t.index):
                loc = next((op.loc for op in o.ops if op.loc.line), None)
                where = f"{loc.file.split('/')[-1]}:{loc.line}" if loc else ""
                if o.error is not None:
                    e = f"error{errors}"
                    errors += 1
                    g.add_node(e, label=f"{o.error.kind}: {o.error.message}", violating=True,
                               violates=o.error.name, final=False, initial=False)
                    g.add_edge(a, e, thread=t.name, label=f"{t.name} {where}")
                    continue
                b = add(o.state)
                g.add_edge(a, b, thread=t.name, label=f"{t.name} {where}")
        k += 1
    return g
