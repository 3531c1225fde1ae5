"""State-space reductions for the breadth-first search: partial order and symmetry.

Partial-order reduction (persistent sets from the IR's read/write sets)
-----------------------------------------------------------------------
For each thread and step boundary, :func:`hugemc.ir.steps.step_infos` gives
the slots the step may read and write, and the boundaries it can end at (the
thread's *step graph*). From the step graph we also get, for every boundary, every slot any
later step of the thread may touch (its *future*). In a state where thread
``t`` is at boundary ``b``, the steps of ``t`` alone form a persistent set if

* **independence**: no other thread, from where it is now, can ever read a
  slot ``t``'s step writes or write a slot it reads or writes (so nothing the
  others do can disable, enable or change ``t``'s step, or be changed by it);
* **invisibility**: ``t``'s step writes no slot that an invariant or a
  reachability property reads;
* ``t``'s step is enabled and fails in no outcome (an error ends the run,
  so it commutes with nothing: the state is then expanded in full).

Then only ``t``'s outcomes are followed. The **cycle proviso** keeps a step
from being postponed forever: when a followed outcome is a state that was
already stored when the batch began, the state is expanded in full (every
cycle of the reduced graph closes on an already-stored state, so every cycle
has a fully expanded state). Errors, deadlocks and final states are
preserved by persistent sets; invariants and reachable properties by the
invisibility condition and the proviso.

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

from .. import ir
from ..backend import Model
from ..ir import DONE, INVARIANT, REACHABLE, Assign, Const, Var
from ..ir.steps import step_infos


def _mask(slots) -> int:
    m = 0
    for s in slots:
        m |= 1 << s
    return m


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
        self.acc: list[dict[int, tuple[int, int, bool]]] = []   # pc -> (R, W, eligible)
        self.fut: list[dict[int, tuple[int, int]]] = []         # pc -> (future R, future W)
        for t in p.threads:
            plan = model.interp.plans[t.index]
            infos = step_infos(p, t.index, plan)
            acc = {}
            for b, info in infos.items():
                r, w = _mask(info.reads), _mask(info.writes)
                acc[b] = (r, w, not (w & vis))
            fut = {b: (acc[b][0], acc[b][1]) for b in acc}
            changed = True
            while changed:  # fixpoint over the step graph (where each step can end)
                changed = False
                for b, succ in ((b, info.ends) for b, info in infos.items()):
                    fr, fw = fut[b]
                    for c in succ:
                        if c != DONE:
                            fr |= fut[c][0]
                            fw |= fut[c][1]
                    if (fr, fw) != fut[b]:
                        fut[b] = (fr, fw)
                        changed = True
            self.acc.append(acc)
            self.fut.append(fut)
        self.pc_slots = [t.pc_slot for t in p.threads]
        self.cands: dict[tuple, list[int]] = {}
        body = ", ".join(L.code_text(ps, "s") for ps in self.pc_slots)  # integers only
        self.pc_key = eval(f"lambda s: ({body},)", {})
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
        """Expand ``s``, reduced when possible; returns the thread followed alone, or -1 for all."""
        if self.por:
            key = self.pc_key(s)
            cands = self.cands.get(key)
            if cands is None:
                cands = self.cands[key] = self._candidates(key)
            for t in cands:
                n0, e0 = len(res), len(errs)
                self.texp[t](s, res, errs, warns)
                if len(errs) > e0:
                    # an error ends the run: it disables every other thread, so
                    # it commutes with nothing; expand them all
                    for u in range(self.nthreads):
                        if u != t:
                            self.texp[u](s, res, errs, warns)
                    if self.groups:
                        self._canon_from(res, n0)
                    return -1
                if len(res) > n0:
                    self.reduced_states += 1
                    if self.groups:
                        self._canon_from(res, n0)
                    return t
        n0 = len(res)
        self.model.expand(s, res, errs, warns)
        if self.groups:
            self._canon_from(res, n0)
        return -1

    def _candidates(self, codes: tuple) -> list[int]:
        """Threads whose next step alone is a persistent set when the pcs have these codes."""
        pcs = [self.L.pcs[ps][c] for ps, c in zip(self.pc_slots, codes)]
        out = []
        for t in range(self.nthreads):
            b = pcs[t]
            if b == DONE:
                continue
            r, w, ok = self.acc[t][b]
            if not ok:
                continue
            for u in range(self.nthreads):
                c = pcs[u]
                if u == t or c == DONE:
                    continue
                fr, fw = self.fut[u][c]
                if (w & (fr | fw)) or (r & fw):
                    break
            else:
                out.append(t)
        return out

    def expand_rest(self, s: int, t: int, res: list, errs: list, warns: list) -> None:
        """The steps of every thread but ``t`` (the proviso's full expansion)."""
        self.reduced_states -= 1
        n0 = len(res)
        for u in range(self.nthreads):
            if u != t:
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
