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


def bfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None, *,
        store: str = "memory", reduce=None) -> SearchResult:
    """Explore every reachable state of ``model`` breadth-first.

    ``store`` is ``"memory"``, ``"disk"`` (memory-mapped files) or
    ``"hash-compact"`` (64-bit hashes: may miss states, so never complete).
    ``reduce`` optionally maps ``(state, expand)`` to the successors to
    follow (partial-order or symmetry reduction, see :mod:`hugemc.explore.reduce`).
    """
    r = SearchResult()
    clock = Clock(limits, progress)
    st = StateStore(model.layout.words, disk=store == "disk", hash_compact=store == "hash-compact")
    r.store = store
    chk = Checker(model, r)
    checking = chk.active()

    red = reduce
    por = red is not None and red.por
    if red is not None and red.groups:
        concretize = red.concretize
        path = lambda i: concretize(st.path(i))  # noqa: E731
    else:
        path = st.path
    init = list(dict.fromkeys(model.initial_states()))
    if red is not None:
        init = list(dict.fromkeys(red.canon(s) for s in init))
    st.add(st.to_keys(init), np.full(len(init), -1, dtype=np.int32))
    for i, s in enumerate(init):
        chk.on_state(s, lambda i=i: path(i))

    expand = model.expand
    all_done = model.all_done
    errs: list = []
    warns: list = []
    transitions = 0
    depth = 0
    head = 0
    level_end = st.n
    max_states = limits.max_states
    max_depth = limits.max_depth
    frontier_only = max_depth is not None and max_depth <= 0  # at the depth limit: check, add nothing new
    try:
        while head < st.n:
            if head == level_end:
                depth += 1
                level_end = st.n
                if max_depth is not None and depth >= max_depth:
                    frontier_only = True
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
                if errs:
                    chk.on_errors(errs, lambda i=idx: path(i))
                    errs.clear()
                if warns:
                    chk.on_warnings(warns, lambda i=idx: path(i))
                    warns.clear()
                ends.append(len(res))
                idx += 1
            extra: list[int] = []  # parents of successors added by the proviso
            if reduced:
                # cycle proviso: a reduced state with a successor stored before
                # this batch is expanded in full
                where = [i for _, _, a, b in reduced for i in range(a, b)]
                if where:
                    hit = st.contains(st.run_keys(st.to_keys([res[i] for i in where])))
                    owner = np.repeat(np.arange(len(reduced)), [b - a for _, _, a, b in reduced])
                    for j in np.unique(owner[hit]).tolist():
                        i, t, _, _ = reduced[j]
                        s = frontier[i - head]
                        n0 = len(res)
                        red.expand_rest(s, t, res, errs, warns)
                        extra.extend([i] * (len(res) - n0))
                        if errs:
                            chk.on_errors(errs, lambda i=i: path(i))
                            errs.clear()
                        if warns:
                            chk.on_warnings(warns, lambda i=i: path(i))
                            warns.clear()
            transitions += len(res)
            if res:
                keys = st.to_keys(res)
                counts = np.diff(np.asarray(ends, dtype=np.int64), prepend=0)
                parents = np.repeat(np.arange(head, end, dtype=np.int64), counts)
                if extra:
                    parents = np.concatenate([parents, np.asarray(extra, dtype=np.int64)])
                pos, rk = st.fresh(keys)  # new states, in discovery order
                if len(pos):
                    if frontier_only:
                        r.complete, r.limit = False, "max_depth"  # a state beyond the limit exists
                    else:
                        if max_states is not None and st.n + len(pos) > max_states:
                            pos = pos[: max(max_states - st.n, 0)]
                            r.complete, r.limit = False, "max_states"
                        base = st.n
                        st.add(keys[pos], parents[pos], rk[pos])
                        if checking:
                            for j, p in enumerate(pos.tolist()):
                                chk.on_state(res[p], lambda i=base + j: path(i))
            head = end
            if r.limit == "max_states":
                break
            lim = clock.over(st.n, transitions, depth)
            if lim:
                r.complete, r.limit = False, lim
                break
    except StoreFull:
        r.complete, r.limit = False, "max_states"
    if r.complete and head < st.n:
        r.complete = False
    if store == "hash-compact" and st.hash_compact:
        r.complete = False
        r.limit = r.limit or "hash_compact"
    r.states = st.n
    r.transitions = transitions
    r.depth = depth
    r.seconds = clock.elapsed()
    r.peak_rss = peak_rss_bytes()
    r.store_bytes = st.nbytes_used()
    if red is not None:
        r.reduction = red.describe()
    st.close()
    return r
