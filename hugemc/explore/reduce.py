"""State-space reductions for the searches: partial order (BFS and DFS) and symmetry.

Partial-order reduction (persistent sets from access sets resolved in the state)
--------------------------------------------------------------------------------
For a thread ``t`` at boundary ``b`` in state ``s`` we compute two pairs of
slot masks (:class:`_Region`):

* the *step* sets: what ``t``'s next step may read and write when run from
  ``s``. A table access (``Mem``: ``pages[i].refcount``, ``page->flags``)
  whose index can be evaluated is narrowed to the entries it can name.
  Evaluation is a forward value-set analysis over the nodes the step may
  run, starting from ``s`` (no other thread runs during a step, so every slot
  holds its value in ``s`` until the step itself assigns it; slots the step
  writes through a table are not followed). Where a value is not known (a
  nondeterministic choice too wide, a set over ``_CAP`` values, a loop that
  keeps growing it) the access falls back to every entry of its table, the
  static over-approximation. The slots read to compute an index are reads
  of the step too.
* the *future* sets: everything ``t`` may still read or write from ``b`` on,
  the same analysis over every node reachable from ``b``, following only
  ``t``'s own locals (nobody else writes them; at ``b`` they hold their value
  in ``s``, afterwards only ``t``'s assignments change them). A global read
  gives any value of its analysed range (the layout's, which every
  reachable state respects), or its initial values if no thread writes it.
  So a scanner whose parameter or local fixes its page touches that page
  only, for the rest of its run.

Both are over-approximations of what any execution does, and the step sets
stay valid in every state reached from ``s`` by other threads' steps that
write none of the step's reads (the index inputs are among them).
Results are cached per region on the values of the slots it follows that are
live at its start, and the persistent sets per state on the pcs and those
values.

A set ``T`` of threads is **persistent** in ``s`` if

* **independence**: ``T`` is closed under dependence: a thread ``u`` outside
  ``T`` is never able, from where it is, to write a slot a member's next step
  reads or writes, or read a slot it writes. Then no sequence of steps of the
  other threads can disable, enable or change a member's step, or be changed
  by it (the members' steps keep their access sets along such a sequence,
  because nothing writes what they read). For every live thread the least
  such set containing it is computed (a stubborn-set closure); they are tried
  smallest first, and the set of all live threads (no reduction) is not;
* **invisibility**: no member's step writes a slot an invariant or a
  reachability property reads. (Final properties are evaluated where every
  thread has returned; those states, like deadlocks, are kept by persistent
  sets as such);
* some member's step is enabled in ``s`` and no member's step fails there (an
  error ends the run, so it commutes with nothing: the state is then expanded
  in full). A set whose members are all blocked is skipped.

Then only the members' steps are followed. A **proviso** keeps a step from
being postponed forever around a cycle of the reduced graph. BFS: when a
followed successor was already stored when the batch began, the state is
expanded in full (every cycle of the reduced graph closes on an
already-stored state). DFS (:mod:`hugemc.explore.dfs`): when a followed
successor is on the search stack, the state is expanded in full (every cycle
closes on a state on the stack). So every cycle has a fully expanded state.
Errors, warnings, deadlocks and final states are preserved by persistent
sets; invariants and reachable properties by invisibility and the proviso.
Counterexamples stay valid; the shortest may become longer.

What limits the reduction on the library models is mostly invisibility: the
refcount invariants read every page's count and ghost counters, so every step
that takes or drops a reference is visible and is never postponed; and the
futures of speculative reference takers go through ``compound_head()``, a
pointer read from a global, so they may touch any page whose ``first_page``
some thread writes.

Symmetry reduction
------------------
Threads declared with ``count > 1`` run the same code. Their states are
interchangeable: permuting them maps runs to runs. Each state is replaced by
a canonical representative: the group's threads sorted by their (pc, locals)
codes. Thread identity also shows in lock words (a spinlock holds its
holder's number): the group is accepted only if the threads' code is the same
up to their locals and these holder numbers, and holder numbers in the slots
they are stored to are permuted along. A group is not reduced when a
property reads its threads' locals, pcs or lock words. Counterexamples are
made concrete again by replaying the canonical path (:meth:`Reduction.concretize`).
"""

from __future__ import annotations

import dataclasses
import itertools

from .. import ir
from ..backend import Model
from ..ir import DONE, INVARIANT, REACHABLE, Assign, Choose, Const, Mem, Var
from ..ir.interp import Evaluator, Fault
from ..ir.steps import walk_step


def _mask(slots) -> int:
    m = 0
    for s in slots:
        m |= 1 << s
    return m


def _step_nodes(plan, nodes, b: int) -> set[int]:
    """The nodes a step from boundary ``b`` may run (the step rule of :mod:`hugemc.ir.steps`)."""
    return {pc for pc, stopped in walk_step(plan, nodes, b) if not stopped}


def _reachable(nodes, b: int) -> set[int]:
    """Every node reachable from ``b`` in a thread's control-flow graph."""
    out = {b}
    todo = [b]
    while todo:
        for x in ir.node_successors(nodes[todo.pop()]):
            if x not in out:
                out.add(x)
                todo.append(x)
    return out


_CAP = 16  # largest value set tracked for a slot; beyond it the value is unknown


def _vars_of(e, out: set[int]) -> None:
    """Add the slots named by ``Var`` anywhere in ``e`` (inside indices too) to ``out``."""
    if isinstance(e, Var):
        out.add(e.slot)
    elif isinstance(e, Mem):
        _vars_of(e.index, out)
    elif dataclasses.is_dataclass(e) and not isinstance(e, Const):
        for f in dataclasses.fields(e):
            c = getattr(e, f.name)
            if dataclasses.is_dataclass(c):
                _vars_of(c, out)


def _mems_of(e, out: list) -> None:
    """Append every ``Mem`` read while evaluating ``e`` (nested ones too) to ``out``."""
    if isinstance(e, Mem):
        out.append(e)
        _mems_of(e.index, out)
    elif dataclasses.is_dataclass(e) and not isinstance(e, (Const, Var)):
        for f in dataclasses.fields(e):
            c = getattr(e, f.name)
            if dataclasses.is_dataclass(c):
                _mems_of(c, out)


class _Region:
    """A set of nodes of one thread whose accesses are resolved against a state.

    Either the nodes one step from a boundary may run, or every node the
    thread may still run from a boundary (its *future*). A forward dataflow
    analysis over the region's nodes (joins are unions, so it covers every
    path and every number of loop iterations) gives, at each node, a set of
    values for each *followed* slot that may feed an index; a ``Mem`` access
    whose index evaluates to a known set touches exactly those table
    entries, otherwise every entry of its table (the static
    over-approximation). At the region's start a followed slot holds its
    value in the state; afterwards only the region's own assignments change
    it, which is why only slots nobody else writes are followed
    (``tracked``): for a step, every slot but those written through a table
    in that step (no other thread runs during a step); for a future, the
    thread's own locals. A slot that is not followed is read as any value
    of its analysed range (:mod:`hugemc.backend.layout`: every reachable
    state respects it), or its value in the initial states when no thread
    ever writes it; a set larger than ``_CAP`` is unknown.
    """

    def __init__(self, red: "Reduction", tid: int, nodes: set[int], entry: int, tracked: set[int]) -> None:
        p = red.p
        ns = p.nstate
        self.red = red
        self.tables = p.tables
        thread = p.threads[tid]
        self.tnodes = thread.nodes
        self.nodes = nodes
        self.entry = entry
        base_r: set[int] = set()
        base_w: set[int] = set()
        self.mems: list[tuple[int, Mem, bool]] = []  # (node, access, is a write)
        for i in sorted(nodes):
            nd = thread.nodes[i]
            for e in ir.node_exprs(nd):
                _vars_of(e, base_r)
                found: list = []
                _mems_of(e, found)
                self.mems += [(i, m, False) for m in found]
            if isinstance(nd, (Assign, Choose)):
                d = nd.dst
                if isinstance(d, Var):
                    base_w.add(d.slot)
                else:
                    self.mems.append((i, d, True))  # (its index is among the node's expressions)
        mem_written = set()
        for _, m, w in self.mems:
            if w:
                mem_written.update(s + m.offset for s in p.tables[m.table].slots if s >= 0)
        tracked = set(tracked) - mem_written - red.constant
        self.base_r = _mask(s for s in base_r if s < ns)
        self.base_w = _mask(s for s in base_w if s < ns)
        # the followed slots an index may depend on (flow-insensitive closure)
        assigned: dict[int, list] = {}
        for i in nodes:
            nd = thread.nodes[i]
            if isinstance(nd, (Assign, Choose)) and isinstance(nd.dst, Var) and nd.dst.slot in tracked:
                assigned.setdefault(nd.dst.slot, []).append(nd)
        need: set[int] = set()
        for _, m, _ in self.mems:
            _vars_of(m.index, need)
        todo = list(need)
        while todo:
            k = todo.pop()
            for nd in assigned.get(k, ()):
                more: set[int] = set()
                for e in ((nd.value,) if isinstance(nd, Assign) else (nd.lo, nd.hi)):
                    _vars_of(e, more)
                for x in more - need:
                    need.add(x)
                    todo.append(x)
        self.follow = need & tracked
        self.order = tuple(sorted(self.follow))
        self.succ = {i: tuple(j for j in ir.node_successors(thread.nodes[i]) if j in nodes) for i in nodes}
        self.transfer = {i: (self.order.index(nd.dst.slot), nd) for i in nodes
                         for nd in (thread.nodes[i],)
                         if isinstance(nd, (Assign, Choose)) and isinstance(nd.dst, Var) and nd.dst.slot in self.follow}
        self.mem_nodes = {i for i, _, _ in self.mems}
        # whose value at the region's start can reach an index: a backward
        # liveness of followed slots, through assignments to such slots
        gen: dict[int, set[int]] = {}
        for i, m, _ in self.mems:
            _vars_of(m.index, gen.setdefault(i, set()))
        live = {i: set() for i in nodes}
        changed = True
        while changed:
            changed = False
            for i in nodes:
                nd = thread.nodes[i]
                out: set[int] = set()
                for j in self.succ[i]:
                    out |= live[j]
                tr = self.transfer.get(i)
                if tr is not None and nd.dst.slot in out:
                    out = out - {nd.dst.slot}
                    for e in ((nd.value,) if isinstance(nd, Assign) else (nd.lo, nd.hi)):
                        _vars_of(e, out)
                elif tr is not None:
                    out = out - {nd.dst.slot}
                new = (out | gen.get(i, set())) & self.follow
                if new != live[i]:
                    live[i] = new
                    changed = True
        self.key_slots = tuple(sorted(k for k in live[entry] if k < ns))
        self.cache: dict[tuple, tuple[int, int]] = {}

    def masks(self, vals: dict) -> tuple[int, int]:
        """The (read, write) masks of the region in a state where slot ``k`` holds ``vals[k]``.

        ``vals`` must hold at least the region's ``key_slots``.
        """
        if not self.mems:
            return self.base_r, self.base_w
        key = tuple(vals[k] for k in self.key_slots)
        got = self.cache.get(key)
        if got is None:
            got = self.cache[key] = self._masks(vals)
        return got

    def _masks(self, vals: dict) -> tuple[int, int]:
        envs = self._flow(vals)
        r, w = self.base_r, self.base_w
        for i, m, is_w in self.mems:
            env = envs.get(i)
            if env is None:
                continue  # a node no path of the region reaches
            cells = _mask(self._targets(m, env))
            if is_w:
                w |= cells
            else:
                r |= cells
        return r, w

    def _flow(self, vals: dict) -> dict[int, dict]:
        """The values of the followed slots in front of each node the region reaches."""
        order = self.order
        keys = self.key_slots  # the other followed slots are assigned before any index reads them
        start = tuple(frozenset() if k not in keys or vals[k] is None else frozenset((vals[k],)) for k in order)
        envs: dict[int, tuple] = {self.entry: start}
        todo = [self.entry]
        pending = {self.entry}
        visits: dict[int, int] = {}
        succ, transfer = self.succ, self.transfer
        while todo:
            i = todo.pop()
            pending.discard(i)
            env = envs[i]
            out = env
            tr = transfer.get(i)
            if tr is not None:
                pos, nd = tr
                d = dict(zip(order, env))
                if isinstance(nd, Assign):
                    got = self._eval(nd.value, d)
                else:
                    lo, hi = self._eval(nd.lo, d), self._eval(nd.hi, d)
                    got = None
                    if lo is not None and hi is not None:
                        got = frozenset()
                        if lo and hi:
                            got = frozenset(range(min(lo), max(hi) + 1)) if max(hi) - min(lo) < _CAP else None
                out = env[:pos] + (got,) + env[pos + 1:]
            for j in succ[i]:
                old = envs.get(j)
                if old is None:
                    new = out
                elif old == out:
                    continue
                else:
                    n = visits[j] = visits.get(j, 0) + 1
                    if n > 3:  # widen: what still grows here is unknown
                        new = tuple(o if o == v else None for o, v in zip(old, out))
                    else:
                        new = tuple(o if o == v else None if o is None or v is None or len(o | v) > _CAP else o | v
                                    for o, v in zip(old, out))
                    if new == old:
                        continue
                envs[j] = new
                if j not in pending:
                    pending.add(j)
                    todo.append(j)
        return {i: dict(zip(order, e)) for i, e in envs.items() if i in self.mem_nodes}

    def _targets(self, m: Mem, env: dict) -> list[int]:
        """The slots ``m`` may access (an index that faults accesses none)."""
        table = self.tables[m.table]
        idx = self._eval(m.index, env)
        if idx is None:
            return [s + m.offset for s in table.slots if s >= 0]
        return [table.slots[i] + m.offset for i in idx if 0 <= i < len(table.slots) and table.slots[i] >= 0]

    def _slot_values(self, k: int, env: dict) -> frozenset | None:
        """What a read of slot ``k`` may give (None: unknown)."""
        if k in env:
            return env[k]
        red = self.red
        got = red.const_vals.get(k)
        if got is not None:
            return got
        if k < red.L.nstate and red.L.hi[k] - red.L.lo[k] < _CAP:
            return frozenset(range(red.L.lo[k], red.L.hi[k] + 1))
        return None

    def _eval(self, e, env: dict) -> frozenset | None:
        """The values ``e`` may take (None: unknown); combinations that fault give none."""
        if isinstance(e, Const):
            return frozenset((e.value,))
        if isinstance(e, Var):
            return self._slot_values(e.slot, env)
        atoms: list = []
        _atoms(e, atoms)
        sets = []
        n = 1
        for a in atoms:
            if isinstance(a, Var):
                vs = self._slot_values(a.slot, env)
            else:
                vs = frozenset()
                for k in self._targets(a, env):
                    more = self._slot_values(k, env)
                    if more is None:
                        return None
                    vs |= more
            if vs is None:
                return None
            n *= len(vs)
            if n > _CAP * _CAP:
                return None
            sets.append(sorted(vs))
        out: set[int] = set()
        ev = self.red.ev
        for combo in itertools.product(*sets):
            try:
                out.add(ev.eval_atoms(e, dict(zip(map(id, atoms), combo))))
            except Fault:
                continue
            if len(out) > _CAP:
                return None
        return frozenset(out)


def _atoms(e, out: list) -> None:
    """The ``Var`` and outermost ``Mem`` subexpressions of ``e`` (each object once)."""
    if isinstance(e, (Var, Mem)):
        if all(a is not e for a in out):
            out.append(e)
    elif dataclasses.is_dataclass(e) and not isinstance(e, Const):
        for f in dataclasses.fields(e):
            c = getattr(e, f.name)
            if dataclasses.is_dataclass(c):
                _atoms(c, out)


class _AtomEvaluator(Evaluator):
    """Evaluates an expression whose ``Var`` and ``Mem`` leaves are given values (by object id)."""

    def eval_atoms(self, e, vals: dict) -> int:
        """Value of ``e`` with each atom ``a`` worth ``vals[id(a)]`` (raises :class:`Fault`)."""
        self._atoms = vals
        return self.eval(e, None)

    def eval(self, e, v) -> int:  # noqa: D102 (the atoms first, then the reference evaluator)
        got = self._atoms.get(id(e)) if isinstance(e, (Var, Mem)) else None
        if got is not None:
            return got
        if isinstance(e, (Var, Mem)):
            raise Fault(ir.UNINIT, "no value")
        return super().eval(e, v)


class Reduction:
    """What the BFS needs from the reductions: canonical states and reduced expansion."""

    def __init__(self, model: Model, por: bool = False, symmetry: bool = False) -> None:
        self.model = model
        p = model.program
        self.p = p
        L = model.layout
        self.L = L
        self.por = por
        self.reduced_states = 0
        nthreads = len(p.threads)
        # -- partial order ------------------------------------------------------
        visible: set[int] = set()
        for prop in p.properties:
            if prop.kind in (INVARIANT, REACHABLE):
                for nd in prop.routine.nodes:
                    visible |= ir.node_reads(nd, p.tables)
        vis = _mask(s for s in visible if s < p.nstate)
        self.vis = vis
        self.ev = _AtomEvaluator(p)
        ns = p.nstate
        written: set[int] = set()  # slots some thread may write
        for t in p.threads:
            for nd in t.nodes:
                written |= ir.node_writes(nd, p.tables)
        self.constant = {k for k in range(ns) if p.slots[k].kind == ir.GLOBAL and k not in written}
        init_states = [L.unpack(s) for s in model.initial_states()]
        self.const_vals = {k: frozenset(v[k] for v in init_states if v[k] is not None) for k in self.constant}
        # regions and key functions are made when a pc is first met
        self.step_reg: list[dict[int, _Region]] = [{} for _ in p.threads]  # pc -> the step from there
        self.fut_reg: list[dict[int, _Region]] = [{} for _ in p.threads]   # pc -> all the thread may still run
        self.key_slots: list[dict[int, tuple[int, ...]]] = [{} for _ in p.threads]
        self._everything = set(range(len(p.slots)))
        self._own = [set(t.locals) | {k for k, sl in enumerate(p.slots) if sl.thread == t.index} for t in p.threads]
        self.pc_slots = [t.pc_slot for t in p.threads]
        self.cands: dict[tuple, list[tuple[int, tuple[int, ...]]]] = {}
        # the decision depends on the pcs and, per thread, on the slots its regions at that pc follow
        lines = ["def key(s):"]
        ns_env: dict = {}
        parts = []
        for t, ps in enumerate(self.pc_slots):
            by_code: list = []
            for c, b in enumerate(L.pcs[ps]):
                by_code.append(self._key_stub(t, c, b, by_code))
            ns_env[f"K{t}"] = by_code
            lines.append(f"    c{t} = {L.code_text(ps, 's')}")
            parts.append(f"c{t}, K{t}[c{t}](s)")
        lines.append(f"    return ({', '.join(parts)},)")
        exec("\n".join(lines), ns_env)  # integers and names made here only
        self.pc_key = ns_env["key"]
        self.tcache: list[dict] = [{} for _ in p.threads]  # (pc code, key codes) -> masks
        self.texp = model.thread_expand
        self.nthreads = nthreads
        # -- symmetry -----------------------------------------------------------------
        self.groups: list[list[int]] = []
        self.holder_slots: list[int] = []
        self.sym_notes: list[str] = []
        if symmetry:
            seen: set[int] = set()
            for prop in p.properties:  # final properties too: they must not tell threads apart
                for nd in prop.routine.nodes:
                    seen |= ir.node_reads(nd, p.tables)
            self._find_groups(seen)

    def _key_stub(self, t: int, c: int, b: int, table: list):
        """A key function for thread ``t`` at pc ``b`` (code ``c``) that makes the real one on first use."""
        def stub(s):
            f = table[c] = self._key_fn(t, b)
            return f(s)
        return stub

    def _key_fn(self, t: int, b: int):
        """The codes of the slots thread ``t``'s regions at pc ``b`` depend on (making the regions)."""
        ks: tuple[int, ...] = ()
        if b != DONE:
            p = self.p
            th = p.threads[t]
            plan = self.model.interp.plans[t]
            step = self.step_reg[t][b] = _Region(self, t, _step_nodes(plan, th.nodes, b), b, self._everything)
            fut = self.fut_reg[t][b] = _Region(self, t, _reachable(th.nodes, b), b, self._own[t])
            ks = tuple(sorted(set(step.key_slots) | set(fut.key_slots)))
        self.key_slots[t][b] = ks
        if not ks:
            return lambda s: ()
        body = ", ".join(self.L.code_text(k, "s") for k in ks)  # integers only
        return eval(f"lambda s: ({body},)", {})

    def describe(self) -> str:
        """What was reduced, for reports."""
        parts = []
        if self.por:
            parts.append(f"partial order ({self.reduced_states:,} states expanded for one thread only)")
        if self.groups:
            names = [", ".join(self.p.threads[m].name for m in g) for g in self.groups]
            parts.append("symmetry (" + "; ".join(names) + ")")
        for n in self.sym_notes:
            parts.append(f"no symmetry for {n}")
        return "; ".join(parts) or "none applicable"

    # -- partial order ------------------------------------------------------------
    def expand(self, s: int, res: list, errs: list, warns: list) -> int:
        """Expand ``s``, reduced when possible.

        Returns -1 when every thread was expanded, else the bit mask of the
        threads whose steps alone were followed (a persistent set), which
        :meth:`expand_rest` takes to complete the expansion (the provisos).
        """
        if self.por:
            key = self.pc_key(s)
            cands = self.cands.get(key)
            if cands is None:
                cands = self.cands[key] = self._candidates(key)
            for mask, members in cands:
                n0, e0, w0 = len(res), len(errs), len(warns)
                for t in members:
                    self.texp[t](s, res, errs, warns)
                if len(errs) > e0:
                    # an error ends the run: it disables every other thread, so
                    # it commutes with nothing; expand them all
                    for u in range(self.nthreads):
                        if not mask >> u & 1:
                            self.texp[u](s, res, errs, warns)
                    if self.groups:
                        self._canon_from(res, n0)
                    return -1
                if len(res) > n0:
                    self.reduced_states += 1
                    if self.groups:
                        self._canon_from(res, n0)
                    return mask
                del warns[w0:]  # no member can move here: try the next set
        n0 = len(res)
        self.model.expand(s, res, errs, warns)
        if self.groups:
            self._canon_from(res, n0)
        return -1

    def accesses(self, s: int) -> tuple[list, list]:
        """Per thread, the (read, write) masks of its next step in ``s`` and of its future.

        None for a thread that has returned.
        """
        key = self.pc_key(s)
        got = [self._thread_masks(t, key[2 * t], key[2 * t + 1]) for t in range(self.nthreads)]
        return [g and g[0] for g in got], [g and g[1] for g in got]

    def _thread_masks(self, t: int, pc_code: int, codes: tuple):
        """Thread ``t``'s (step masks, future masks) at the pc and key slot codes given; None once returned."""
        ck = (pc_code, codes)
        got = self.tcache[t].get(ck)
        if got is None:
            L = self.L
            b = L.pcs[self.pc_slots[t]][pc_code]
            if b == DONE:
                got = ()
            else:
                vals = {k: L.value(k, c) for k, c in zip(self.key_slots[t][b], codes)}
                got = (self.step_reg[t][b].masks(vals), self.fut_reg[t][b].masks(vals))
            self.tcache[t][ck] = got
        return got or None

    def _candidates(self, key: tuple) -> list[tuple[int, tuple[int, ...]]]:
        """The persistent sets to try in states whose decision key is ``key``: (mask, threads), smallest first.

        For each live thread, the least set of threads containing it and
        closed under dependence: a thread ``u`` joins when its future may
        write a slot a member's next step reads or writes, or read a slot it
        writes. Sets with a visible step, and the set of every live thread
        (no reduction), are left out.
        """
        n = self.nthreads
        got = [self._thread_masks(t, key[2 * t], key[2 * t + 1]) for t in range(n)]
        live = [t for t in range(n) if got[t] is not None]
        all_live = 0
        for t in live:
            all_live |= 1 << t
        dep = {}
        for x in live:
            r, w = got[x][0]
            d = 0
            for u in live:
                if u != x:
                    fr, fw = got[u][1]
                    if (w & (fr | fw)) or (r & fw):
                        d |= 1 << u
            dep[x] = d
        vis = self.vis
        visible = 0  # threads whose next step writes what a property reads
        for t in live:
            if got[t][0][1] & vis:
                visible |= 1 << t
        seen: dict[int, tuple[int, ...]] = {}
        for t in live:
            mask = 1 << t
            todo = [t]
            while todo and not mask & visible:
                x = todo.pop()
                more = dep[x] & ~mask
                mask |= more
                todo.extend(u for u in live if more >> u & 1)
            if mask & visible:
                continue  # a visible step: only the full expansion keeps the properties
            if mask == all_live or mask in seen:
                continue
            seen[mask] = tuple(u for u in live if mask >> u & 1)
        return sorted(seen.items(), key=lambda kv: (len(kv[1]), kv[1]))

    def expand_rest(self, s: int, mask: int, res: list, errs: list, warns: list) -> None:
        """The steps of every thread outside ``mask`` (a proviso's full expansion)."""
        self.reduced_states -= 1
        n0 = len(res)
        for u in range(self.nthreads):
            if not mask >> u & 1:
                self.texp[u](s, res, errs, warns)
        if self.groups:
            self._canon_from(res, n0)

    # -- symmetry -----------------------------------------------------------------
    def _find_groups(self, visible: set[int]) -> None:
        p = self.p
        by_call: dict[tuple, list[int]] = {}
        for t in p.threads:  # threads with the same entry call (a count > 1, or repeated entries)
            by_call.setdefault((t.name.rstrip("0123456789"), t.call), []).append(t.index)
        holders: set[int] = set()
        self.gslots: list[list[list[int]]] = []
        for (base, _), members in by_call.items():
            if len(members) < 2:
                continue
            t0 = p.threads[members[0]]
            own0 = [t0.pc_slot] + [k for k in t0.locals if k < p.nstate]
            ok = True
            hs: set[int] = set()
            rows = [own0]
            for m in members[1:]:
                tm = p.threads[m]
                same, h, back = _same_code(p, t0, tm)
                if not same or any(k not in back for k in own0):
                    ok = False
                    self.sym_notes.append(f"{base}: threads differ beyond their locals and lock ids")
                    break
                hs |= h
                rows.append([back[k] for k in own0])
            if not ok:
                continue
            if any(not (p.slots[h].lo <= m + 1 <= p.slots[h].hi) for h in hs for m in members):
                # a lock word too narrow for some holder ids tells the threads apart
                self.sym_notes.append(f"{base}: a lock's domain does not hold every thread's id")
                continue
            touched = set()
            for m in members:
                touched |= set(p.threads[m].locals) | {p.threads[m].pc_slot}
            if (touched | hs) & visible:
                self.sym_notes.append(f"{base}: a property reads these threads' own state")
                continue
            if hs and _ids_leak(p, hs, {m + 1 for m in members}):
                self.sym_notes.append(f"{base}: a lock holder's id is used as data")
                continue
            self.groups.append(members)
            self.gslots.append(rows)  # each member's slots, in corresponding order
            holders |= hs
        self.holder_slots = sorted(holders)
        # each group's rows of codes, as generated code (integers only)
        # A thread's row: the codes of its own slots, then for every lock word
        # whether it holds this thread's id. Sorting full rows makes the
        # canonical state the same for every permutation of a state (two
        # threads alike in everything but which one holds a lock are told
        # apart by the lock), so each orbit has exactly one representative.
        self.rowfns = []
        L = self.L
        for members, slots in zip(self.groups, self.gslots):
            rows = []
            for m, sl in zip(members, slots):
                cells = [L.code_text(k, "s") for k in sl]
                cells += [self._holds(h, m) for h in self.holder_slots]
                rows.append("(" + ", ".join(cells) + ",)")
            self.rowfns.append(eval(f"lambda s: ({', '.join(rows)},)", {}))  # integers only

    def _holds(self, h: int, m: int) -> str:
        """Text testing whether lock word ``h`` holds thread ``m``'s id."""
        L = self.L
        if not L.lo[h] <= m + 1 <= L.hi[h]:
            return "False"  # the lock never holds it
        return f"({L.code_text(h, 's')} == {int(L.code(h, m + 1))})"

    def canon(self, s: int) -> int:
        """The canonical representative of ``s`` (``s`` itself without symmetry groups)."""
        if not self.groups:
            return s
        L = self.L
        x = s
        for members, slots, rowfn in zip(self.groups, self.gslots, self.rowfns):
            rows = rowfn(s)
            if all(rows[i] <= rows[i + 1] for i in range(len(rows) - 1)):
                continue  # already in canonical order
            order = sorted(range(len(rows)), key=rows.__getitem__)
            for pos, src in enumerate(order):
                if src == pos:
                    continue
                for j, k_dst in enumerate(slots[pos]):  # (the lock flags after the slots are not cells)
                    x += (rows[src][j] - rows[pos][j]) * L.mult[k_dst]
            if self.holder_slots:
                # thread members[src] now sits at position pos: its holder id moves too
                ren = {members[src] + 1: members[pos] + 1 for pos, src in enumerate(order)}
                for h in self.holder_slots:
                    v = L.get(s, h)
                    if v in ren and ren[v] != v:
                        x += (L.code(h, ren[v]) - L.codeof(x, h)) * L.mult[h]
        return x

    def _canon_from(self, res: list, n0: int) -> None:
        canon = self.canon
        for i in range(n0, len(res)):
            res[i] = canon(res[i])

    def concretize(self, path: list[int]) -> list[int]:
        """A concrete run through the canonical states of ``path`` (same length)."""
        if not self.groups or not path:
            return path
        model = self.model
        init = model.initial_states()
        cur = next((x for x in init if self.canon(x) == path[0]), path[0])
        out = [cur]
        for nxt in path[1:]:
            res: list = []
            model.expand(cur, res, [], [])
            cur = next(y for y in res if self.canon(y) == nxt)
            out.append(cur)
        return out


def _ids_leak(p: ir.Program, holders: set[int], ids: set[int]) -> bool:
    """Whether some thread uses a group's holder ids (``ids``, in lock words ``holders``) as data.

    Permuting the threads renames the ids in the lock words and nowhere
    else, so it maps runs to runs only if every read of a lock word compares
    it, with ``==`` or ``!=``, against a constant that is not another
    member's id (0, "free", or the reader's own id), and every store into one
    stores such a constant. A thread that copies a holder id into a variable,
    or compares against another thread's id, tells the threads apart.
    """
    tables = p.tables

    def reads(e) -> set[int]:
        out: set[int] = set()
        ir.expr_slots(e, out, tables)
        return out

    def leaks(e, own: int) -> bool:
        if isinstance(e, ir.Binary) and e.op in ("==", "!=") and isinstance(e.right, Const) \
                and isinstance(e.left, (Var, Mem)) and (e.right.value == own or e.right.value not in ids):
            return isinstance(e.left, Mem) and bool(reads(e.left.index) & holders)
        if isinstance(e, Var):
            return e.slot in holders
        if isinstance(e, Mem):
            return bool(reads(e) & holders)
        if isinstance(e, Const) or not dataclasses.is_dataclass(e):
            return False
        return any(leaks(getattr(e, f.name), own) for f in dataclasses.fields(e)
                   if dataclasses.is_dataclass(getattr(e, f.name)))

    for t in p.threads:
        own = t.index + 1
        for nd in t.nodes:
            if isinstance(nd, ir.Print):
                continue  # a message shows an id, the states do not depend on it
            if any(leaks(e, own) for e in ir.node_exprs(nd)):
                return True
            if isinstance(nd, (Assign, Choose)) and ir.node_writes(nd, tables) & holders:
                v = nd.value if isinstance(nd, Assign) else None
                if not (isinstance(v, Const) and (v.value == own or v.value not in ids)):
                    return True
    return False


def _same_code(p: ir.Program, a: ir.Thread, b: ir.Thread) -> tuple[bool, set[int], dict[int, int]]:
    """Whether threads ``a`` and ``b`` run the same nodes up to their own slots and holder ids.

    Their own slots (pc, locals, per-step scratch) must correspond one to one,
    atomic region numbers likewise; holder ids (``index + 1``, what a spinlock
    stores) may differ only where a lock operation stores or compares them.
    Returns the slots that receive holder ids (lock words) and the map from
    ``a``'s own slots to ``b``'s.
    """
    if len(a.nodes) != len(b.nodes):
        return False, set(), {}
    u = _Unifier(p, a, b)
    for na, nb in zip(a.nodes, b.nodes):
        if not u.node(na, nb):
            return False, set(), {}
    for la, lb in zip(a.locals, b.locals):  # locals no node mentions still pair up
        if la not in u.back and lb not in u.slots:
            u.slot(la, lb)
    return True, u.holders, u.back


class _Unifier:
    def __init__(self, p: ir.Program, a: ir.Thread, b: ir.Thread) -> None:
        self.p = p
        self.own_a = {a.pc_slot, *a.locals} | {i for i, s in enumerate(p.slots) if s.thread == a.index}
        self.own_b = {b.pc_slot, *b.locals} | {i for i, s in enumerate(p.slots) if s.thread == b.index}
        self.slots: dict[int, int] = {b.pc_slot: a.pc_slot}
        self.back: dict[int, int] = {a.pc_slot: b.pc_slot}
        self.regions: dict[int, int] = {0: 0, -1: -1}
        self.ha, self.hb = a.index + 1, b.index + 1
        self.holders: set[int] = set()

    def slot(self, x: int, y: int) -> bool:
        if x == y and x not in self.own_a:
            return True
        if x not in self.own_a or y not in self.own_b:
            return False
        if self.slots.setdefault(y, x) != x or self.back.setdefault(x, y) != y:
            return False
        return True

    def node(self, na, nb) -> bool:
        if type(na) is not type(nb):
            return False
        for f in dataclasses.fields(na):
            x, y = getattr(na, f.name), getattr(nb, f.name)
            if f.name == "region":
                if self.regions.setdefault(y, x) != x:
                    return False
            elif f.name == "value" and isinstance(na, Assign) and x == Const(self.ha) and y == Const(self.hb):
                if not self.expr(na.dst, nb.dst):
                    return False
                self.holders |= ir.node_writes(na, self.p.tables)
            elif f.name in ("dst", "value", "cond", "lo", "hi"):
                if not self.expr(x, y, holder_ok=f.name == "cond"):
                    return False
            elif f.name == "args":
                if len(x) != len(y) or not all(self.expr(c, d) for c, d in zip(x, y)):
                    return False
            elif x != y:
                return False
        return True

    def expr(self, x, y, holder_ok: bool = False) -> bool:
        if type(x) is not type(y):
            return False
        if isinstance(x, Var):
            return self.slot(x.slot, y.slot)
        if isinstance(x, Const):
            return x == y
        if isinstance(x, ir.Binary) and holder_ok and x.op in ("==", "!=") and x.right == Const(self.ha) \
                and y.right == Const(self.hb):
            return x.op == y.op and self.expr(x.left, y.left)
        if not dataclasses.is_dataclass(x):
            return x == y
        for f in dataclasses.fields(x):
            c, d = getattr(x, f.name), getattr(y, f.name)
            if dataclasses.is_dataclass(c):
                if not self.expr(c, d, holder_ok and f.name in ("left", "right", "arg", "cond", "then", "orelse")):
                    return False
            elif c != d:
                return False
        return True
