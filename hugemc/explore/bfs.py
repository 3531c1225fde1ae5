"""Breadth-first search: every violation with its shortest counterexample.

States are packed integers (:mod:`hugemc.backend.layout`) kept in a
:class:`~hugemc.explore.store.StateStore`, in the order they were found, each
with the index of the state it was first reached from. The queue is simply the
stored states not expanded yet, so no per-state Python object survives a
batch. States are expanded a batch at a time (at most one BFS level per
batch); the successors of a batch are deduplicated with vectorised sorts and
looked up in the store together, and the new ones keep their discovery order,
so the parent of every state is the first state that reached it, exactly as
in a queue-and-dictionary BFS. Which thread took each step is recovered later
by replaying the path through the interpreter, so it is not stored.
"""

from __future__ import annotations

import numpy as np

from ..backend import Model
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes
from .store import StateStore, StoreFull

BATCH = 16384  # states expanded per batch


class Search:
    """What both breadth-first engines share (:func:`bfs` and
    :func:`~hugemc.explore.parallel.parallel_bfs`): the state store, the
    property checker, the path to a stored state, the cycle proviso, merging a
    batch's successors, and the result."""

    def __init__(self, model: Model, limits: Limits, progress: Progress | None, store: str, red) -> None:
        self.model = model
        self.limits = limits
        self.r = SearchResult()
        self.r.store = store
        self.clock = Clock(limits, progress)
        self.st = st = StateStore(model.layout.words, disk=store == "disk", hash_compact=store == "hash-compact")
        self.chk = Checker(model, self.r)
        self.red = red
        if red is not None and red.groups:
            concretize = red.concretize
            self.path = lambda i: concretize(st.path(i))
        else:
            self.path = st.path
        init = list(dict.fromkeys(model.initial_states()))
        if red is not None:
            init = list(dict.fromkeys(red.canon(s) for s in init))
        st.add(st.to_keys(init), np.full(len(init), -1, dtype=np.int32))
        for i, s in enumerate(init):
            self.chk.on_state(s, lambda i=i: self.path(i))

    def report(self, i: int, errs: list, warns: list) -> None:
        """Record (and clear) the errors and warnings found expanding state ``i``."""
        if errs:
            self.chk.on_errors(errs, lambda: self.path(i))
            errs.clear()
        if warns:
            self.chk.on_warnings(warns, lambda: self.path(i))
            warns.clear()

    def proviso(self, reduced: list, keys: np.ndarray, frontier: list, head: int) -> tuple[list, list]:
        """The cycle proviso: a reduced state with a successor stored before this batch is expanded in full.

        ``reduced`` holds ``(index, thread, first, end)``: the state's index, the
        thread followed alone, and where its successors are in ``keys``.
        Returns the extra successors and their parents' indices.
        """
        extra: list[int] = []
        parents: list[int] = []
        where = [k for _, _, a, b in reduced for k in range(a, b)]
        if not where:
            return extra, parents
        hit = self.st.contains(self.st.run_keys(keys[where]))
        owner = np.repeat(np.arange(len(reduced)), [b - a for _, _, a, b in reduced])
        errs: list = []
        warns: list = []
        for j in np.unique(owner[hit]).tolist():
            i, t, _, _ = reduced[j]
            n0 = len(extra)
            self.red.expand_rest(frontier[i - head], t, extra, errs, warns)
            parents.extend([i] * (len(extra) - n0))
            self.report(i, errs, warns)
        return extra, parents

    def merge(self, keys: np.ndarray, parents: np.ndarray, frontier_only: bool) -> tuple[np.ndarray, int]:
        """Store a batch's new successors; returns their positions in ``keys`` and the index of the first."""
        st, r = self.st, self.r
        pos, rk = st.fresh(keys)  # new states, in discovery order
        base = st.n
        if len(pos):
            if frontier_only:
                r.complete, r.limit = False, "max_depth"  # a state beyond the limit exists
                return pos[:0], base
            max_states = self.limits.max_states
            if max_states is not None and st.n + len(pos) > max_states:
                pos = pos[: max(max_states - st.n, 0)]
                r.complete, r.limit = False, "max_states"
            st.add(keys[pos], parents[pos], rk[pos])
        return pos, base

    def finish(self, head: int, transitions: int, depth: int) -> SearchResult:
        """The result, once the search stopped with states ``head ..`` not expanded."""
        r, st = self.r, self.st
        if r.complete and head < st.n:
            r.complete = False
        if st.hash_compact:
            r.complete = False
            r.limit = r.limit or "hash_compact"
        r.states = st.n
        r.transitions = transitions
        r.depth = depth
        r.seconds = self.clock.elapsed()
        r.peak_rss = peak_rss_bytes()
        r.store_bytes = st.nbytes_used()
        if self.red is not None:
            r.reduction = self.red.describe()
        st.close()
        return r


def bfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None, *,
        store: str = "memory", reduce=None, upgrade=None) -> SearchResult:
    """Explore every reachable state of ``model`` breadth-first.

    ``store`` is ``"memory"``, ``"disk"`` (memory-mapped files) or
    ``"hash-compact"`` (64-bit hashes: may miss states, so never complete).
    ``reduce`` is an optional :class:`~hugemc.explore.reduce.Reduction`
    (partial-order or symmetry reduction). ``upgrade`` is a
    :class:`~hugemc.backend.jit.Build` of the model's compiled engine: when it
    is ready, between two batches, the compiled engine takes the search over
    (:func:`~hugemc.explore.compiled.compiled_bfs`) and finishes it; if the
    search ends first, the build is cancelled.
    """
    S = Search(model, limits, progress, store, reduce)
    r, st, chk, red, path = S.r, S.st, S.chk, reduce, S.path
    checking = chk.active()
    por = red is not None and red.por
    expand = model.expand
    all_done = model.all_done
    errs: list = []
    warns: list = []
    transitions = 0
    depth = 0
    head = 0
    level_end = st.n
    max_depth = limits.max_depth
    frontier_only = max_depth is not None and max_depth <= 0  # at the depth limit: check, add nothing new
    bounds = [0, level_end]  # where each level starts, then the end of the current one (for an upgrade)
    can_upgrade = upgrade is not None and not por and store == "memory"  # (symmetry is compiled too)
    try:
        while head < st.n:
            if head == level_end:
                depth += 1
                level_end = st.n
                bounds.append(level_end)
                if max_depth is not None and depth >= max_depth:
                    frontier_only = True
            if can_upgrade and upgrade.poll() is not None:
                from .compiled import compiled_bfs
                keys = st.keys(0, st.n).view(np.int64).reshape(st.n, -1).copy()
                st.close()
                return compiled_bfs(model, upgrade.result, limits, progress, resume={
                    "keys": keys, "bounds": bounds, "head": head, "depth": depth, "transitions": transitions,
                    "frontier_only": frontier_only, "result": r, "checker": chk, "clock": S.clock}, reduce=red)
            end = min(head + BATCH, level_end)
            frontier = st.from_keys(st.keys(head, end))
            res: list[int] = []
            ends: list[int] = []
            reduced: list[tuple[int, int, int, int]] = []  # (index, thread, first, end) of reduced states
            idx = head
            for s in frontier:
                before = len(res)
                if red is None:
                    expand(s, res, errs, warns)
                else:
                    t = red.expand(s, res, errs, warns)
                    if t >= 0 and por:
                        reduced.append((idx, t, before, len(res)))
                if len(res) == before and not errs and not all_done(s):
                    chk.on_deadlock(s, lambda i=idx: path(i))
                if errs or warns:
                    S.report(idx, errs, warns)
                ends.append(len(res))
                idx += 1
            if res:
                keys = st.to_keys(res)
                counts = np.diff(np.asarray(ends, dtype=np.int64), prepend=0)
                parents = np.repeat(np.arange(head, end, dtype=np.int64), counts)
                if reduced:
                    extra, extra_par = S.proviso(reduced, keys, frontier, head)
                    if extra:
                        res += extra
                        keys = np.concatenate([keys, st.to_keys(extra)])
                        parents = np.concatenate([parents, np.asarray(extra_par, dtype=np.int64)])
                transitions += len(res)
                pos, base = S.merge(keys, parents, frontier_only)
                if checking:
                    for j, p in enumerate(pos.tolist()):
                        chk.on_state(res[p], lambda i=base + j: path(i))
            head = end
            if r.limit == "max_states":
                break
            lim = S.clock.over(st.n, transitions, depth, st.n - head)
            if lim:
                r.complete, r.limit = False, lim
                break
    except StoreFull:
        r.complete, r.limit = False, "max_states"
    return S.finish(head, transitions, depth)
