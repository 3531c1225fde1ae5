"""Keep the state vector narrow: locals that are dead at every step boundary leave it.

Such a local only ever holds a value in the middle of a step (a parameter
used at once, a temporary, the result of a check), so in every reachable
state it would be "uninitialised". It becomes a scratch slot: working storage
of the step, not part of the state. Verdicts, traces and state counts do not
change; states get smaller and faster to hash.
"""

from __future__ import annotations

import dataclasses

from . import LOCAL, SCRATCH, Program, Routine, Table, remap_node
from .steps import thread_plan


def slim(program: Program) -> Program:
    """Move locals dead at every boundary of their thread to scratch."""
    in_tables = {s for t in program.tables for s in t.slots if s >= 0}
    dead: set[int] = set()
    for t in program.threads:
        plan = thread_plan(program, t)
        always = set(t.locals)
        for b in plan.boundaries:
            always &= set(plan.clear_at[b])
        dead |= always - in_tables - program.observed
    if not dead:
        return program
    n = program.nstate
    keep = [i for i in range(n) if i not in dead]
    moved = sorted(dead)
    order = keep + moved + list(range(n, len(program.slots)))
    m = {old: new for new, old in enumerate(order)}
    slots = []
    for old in order:
        s = program.slots[old]
        if old in dead:
            s = dataclasses.replace(s, kind=SCRATCH)
        slots.append(s)
    threads = tuple(dataclasses.replace(
        t, pc_slot=m[t.pc_slot], nodes=tuple(remap_node(nd, m) for nd in t.nodes),
        locals=tuple(m[s] for s in t.locals if s not in dead)) for t in program.threads)

    def rr(r: Routine | None) -> Routine | None:
        if r is None:
            return None
        return dataclasses.replace(r, nodes=tuple(remap_node(nd, m) for nd in r.nodes),
                                   result=None if r.result is None else m[r.result])

    props = tuple(dataclasses.replace(p, routine=rr(p.routine)) for p in program.properties)
    tables = tuple(Table(t.name, tuple(m[x] if x >= 0 else x for x in t.slots), t.group_lo, t.group_end, t.names)
                   for t in program.tables)
    return dataclasses.replace(program, slots=tuple(slots), nstate=len(keep), threads=threads, tables=tables,
                               properties=props, init=rr(program.init),
                               observed=frozenset(m[s] for s in program.observed))


__all__ = ["slim", "LOCAL"]
