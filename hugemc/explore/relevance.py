"""Which steps of a counterexample the violation depends on: a dynamic backward slice.

The slice is taken over the concrete trace, one executed IR node (op) at a
time, walking backwards from the violation with a set of *wanted* slots:

- the **criterion** (the slots the violation reads): for an invariant, final
  or reachable property, the slots its predicate actually read when evaluated
  in the violating state (its own short-circuits and early returns count, so
  ``no_leak`` wants the one page it found leaked); for a runtime error or an
  assertion site, what the failing node read; for a deadlock, what the
  conditions the blocked threads wait on read (statically), and the position
  of each blocked thread;
- **data dependence**: an op that writes a wanted slot is relevant; the slot
  is then no longer wanted (that write defined it) and every slot the op read
  becomes wanted, locals and pointer indices included, across threads;
- **control dependence** (within a thread, across its steps): when an op is
  relevant, the branches it is statically control dependent on (post-dominance
  on the thread's CFG) are wanted too, and the nearest earlier execution of
  each in that thread becomes relevant, with its condition's reads;
- **potential dependence** (what did *not* happen): a violation of a state
  property is often the absence of a write (a leak: the page is never given
  back). A branch is relevant if its other side could reach (statically, to
  the thread's end) a write of a criterion slot that the thread did not make
  after the branch in the trace. This is what marks a failed freeze or a
  try-get that kept a page alive. Only the criterion slots are used here,
  not every wanted slot, so long traces are not swamped. Only branches whose
  condition depends (through data) on another thread's writes count: a
  decision made on the thread's own data alone is not what the interleaving
  changed;
- **lost updates**: a criterion slot's write by another thread between the
  read the final write's value came from and that write was overwritten
  unseen; it is relevant (and what it read).

A step is relevant if one of its ops is. The per-op reads are recomputed here
(the interpreter records only shared reads), by re-evaluating each executed
node's expressions on the vector as it was before that node, rebuilt from the
step's starting state and the stores the replay recorded; nothing of this
runs during the search.
"""

from __future__ import annotations

from ..ir import DEADLOCK, Assume, Branch, Exit, Program, node_exprs, node_reads, node_successors, node_writes
from ..ir.interp import Evaluator, Fault, Interpreter, Outcome


class _Recorder(Evaluator):
    """An evaluator that records every slot an expression reads (locals and scratch too)."""

    def __init__(self, program: Program) -> None:
        super().__init__(program)
        self.seen: set[int] | None = None

    def eval(self, e, v):
        seen = self.seen
        if seen is not None:
            from ..ir import Mem, Var
            if isinstance(e, Var):
                seen.add(e.slot)
            elif isinstance(e, Mem):
                seen.add(self.address(e, v))  # raises as the real evaluation would
        return super().eval(e, v)


class _RecInterp(Interpreter):
    """An interpreter whose routines (properties) record every slot they read."""

    def __init__(self, program: Program) -> None:
        super().__init__(program)
        self.seen: set[int] | None = None

    def eval(self, e, v):
        if self.seen is not None:
            from ..ir import Mem, Var
            if isinstance(e, Var):
                self.seen.add(e.slot)
            elif isinstance(e, Mem):
                self.seen.add(self.address(e, v))
        return super().eval(e, v)


class ThreadFlow:
    """Static facts about one thread's CFG: control dependences and the slots a path may still write."""

    def __init__(self, program: Program, tid: int) -> None:
        nodes = program.threads[tid].nodes
        n = len(nodes)
        tabs = program.tables
        succ = [node_successors(nd) for nd in nodes]
        pred: list[list[int]] = [[] for _ in range(n)]
        for i, ss in enumerate(succ):
            for s in ss:
                pred[s].append(i)
        # nodes that can reach an exit; the others (endless loops) act as exits
        reach_exit = [False] * n
        work = [i for i in range(n) if not succ[i] or isinstance(nodes[i], Exit)]
        for i in work:
            reach_exit[i] = True
        while work:
            x = work.pop()
            for p in pred[x]:
                if not reach_exit[p]:
                    reach_exit[p] = True
                    work.append(p)
        full = (1 << n) - 1
        pdom = [full] * n
        for i in range(n):
            if not succ[i] or not reach_exit[i]:
                pdom[i] = 1 << i
        changed = True
        order = list(range(n - 1, -1, -1))
        while changed:
            changed = False
            for i in order:
                if not succ[i] or not reach_exit[i]:
                    continue
                m = full
                for s in succ[i]:
                    m &= pdom[s]
                m |= 1 << i
                if m != pdom[i]:
                    pdom[i] = m
                    changed = True
        self.cd: list[list[int]] = [[] for _ in range(n)]  # node -> branches it is control dependent on
        for b in range(n):
            if isinstance(nodes[b], Branch):
                for s in set(succ[b]):
                    m = pdom[s] & ~pdom[b]
                    while m:
                        low = m & -m
                        self.cd[low.bit_length() - 1].append(b)
                        m ^= low
        # slots some path from each node may still write (to the thread's end)
        writes = [0] * n
        for i, nd in enumerate(nodes):
            for s in node_writes(nd, tabs):
                writes[i] |= 1 << s
        may = list(writes)
        changed = True
        while changed:
            changed = False
            for i in order:
                m = may[i]
                for s in succ[i]:
                    m |= may[s]
                if m != may[i]:
                    may[i] = m
                    changed = True
        self.may_write = may


def _criterion(program: Program, kind: str, name: str, last: tuple) -> set[int]:
    """The slots a state property read when evaluated in ``last`` (empty if it is not one)."""
    for k, p in enumerate(program.properties):
        if p.name == name and p.kind == kind:
            rec = _RecInterp(program)
            rec.seen = set()
            try:
                rec.eval_property(k, last)
            except Fault:
                pass
            return {s for s in rec.seen if s < program.nstate}
    return set()


def relevant_steps(program: Program, steps: list[tuple[tuple, Outcome]], kind: str, name: str,
                   last: tuple, failing: bool, why: list | None = None) -> list[bool]:
    """Which of ``steps`` (each ``(state before, replayed outcome)``) the violation depends on.

    ``last`` is the state the violation shows in (for a failing step, the
    state it starts from); ``failing`` says the last step is the one that
    fails (a runtime error, an assertion or a warning).
    """
    nstate = program.nstate
    flows: dict[int, ThreadFlow] = {}

    def flow(t: int) -> ThreadFlow:
        if t not in flows:
            flows[t] = ThreadFlow(program, t)
        return flows[t]

    rec = _Recorder(program)
    scratch = [s.init for s in program.slots[nstate:]]
    # forward: every op's reads, writes and (for a branch) the side not taken
    per_step: list[list[tuple[int, set[int], set[int], int | None, bool]]] = []
    prov: dict[int, frozenset] = {}  # slot -> threads whose writes flowed into its value
    for before, o in steps:
        nodes = program.threads[o.thread].nodes
        vec = list(before) + scratch
        ops = []
        me = frozenset((o.thread,))
        for j, op in enumerate(o.ops):
            nd = nodes[op.pc]
            seen: set[int] = set()
            rec.seen = seen
            other = None
            try:
                for e in node_exprs(nd):
                    val = rec.eval(e, vec)
                    if isinstance(nd, Branch):
                        other = nd.orelse if val else nd.then
            except Fault:
                pass
            rec.seen = None
            came = me.union(*(prov.get(r, ()) for r in seen))
            if other is not None and not came - me:
                other = None  # decided by this thread's own data: not a race-dependent decision
            for s, (_, b) in op.changes.items():
                vec[s] = b
                prov[s] = came
            ops.append((op.pc, seen, set(op.changes), other, op.warning is not None))
        for s in [s for s in prov if s >= nstate]:
            del prov[s]
        per_step.append(ops)

    wanted: set[int] = set()
    cd_wanted: dict[int, set[int]] = {}
    relevant = [False] * len(steps)
    crit = _criterion(program, kind, name, last)
    wanted |= crit
    crit_bits = 0
    for s in crit:
        crit_bits |= 1 << s
    if kind == DEADLOCK:
        for t in program.threads:
            pc = last[t.pc_slot]
            if pc < 0:
                continue
            f = flow(t.index)
            cd_wanted.setdefault(t.index, set()).update(f.cd[pc])
            # what the blocked step waits on: the conditions of the assumes it can reach
            seen_nodes, work = {pc}, [pc]
            while work and len(seen_nodes) < 200:
                x = work.pop()
                nd = t.nodes[x]
                if isinstance(nd, Assume):
                    wanted |= {s for s in node_reads(nd, program.tables) if s < nstate}
                for y in node_successors(nd):
                    if y not in seen_nodes:
                        seen_nodes.add(y)
                        work.append(y)
            # the step that brought it there
            for k in range(len(steps) - 1, -1, -1):
                if steps[k][1].thread == t.index:
                    relevant[k] = True
                    break
    # criterion slot -> the thread whose write defined its final value, until
    # the read that write's value came from: another thread's write in between
    # was lost (a lost update), and its ordering is part of the story
    window: dict[int, int] = {}
    later_writes: dict[int, set[int]] = {}  # per thread: slots it wrote after the point reached
    for k in range(len(steps) - 1, -1, -1):
        tid = steps[k][1].thread
        f = flow(tid)
        mine = cd_wanted.setdefault(tid, set())
        lw = later_writes.setdefault(tid, set())
        ops = per_step[k]
        for j in range(len(ops) - 1, -1, -1):
            pc, reads, writes, other, warned = ops[j]
            hit = bool(writes & wanted) or pc in mine
            reason = "data" if writes & wanted else "control"
            if not hit and failing and k == len(steps) - 1 and (j == len(ops) - 1 or warned):
                hit, reason = True, "failing"  # the failing node itself
            if not hit and any(window.get(x, tid) != tid for x in writes):
                hit, reason = True, "lost update"
            if not hit and other is not None and crit_bits:
                could = f.may_write[other] & crit_bits
                for s in lw:
                    could &= ~(1 << s)
                hit, reason = could != 0, "potential"
            if hit:
                if why is not None:
                    why.append((k + 1, pc, reason, sorted(program.slots[s].name for s in writes & wanted)))
                relevant[k] = True
                for x in writes & crit:
                    window.setdefault(x, tid)
                for x in reads:
                    if window.get(x) == tid:
                        del window[x]
                wanted -= writes
                wanted |= reads
                mine.discard(pc)
                mine.update(f.cd[pc])
            lw |= writes
        wanted = {s for s in wanted if s < nstate}  # scratch does not outlive a step
    return relevant
