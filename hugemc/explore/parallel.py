"""Breadth-first search over several processes of one machine.

The coordinating process owns the state store (:mod:`hugemc.explore.store`)
and everything that decides the result: deduplication, parents, the order of
discovery, the cycle proviso of partial-order reduction, and the recording of
violations. Worker processes, forked with the compiled model, do the
expensive part: each receives a slice of the current batch of states (as a
numpy array of keys), expands every state, evaluates the properties on it,
and sends back the successors as one key array plus the few states that
need attention (a failing or reached property, an error, a warning, a
deadlock, a state reduced to one thread). The coordinator then handles
that batch exactly as the one-process BFS does, so verdicts, state counts and
counterexample lengths are the same; properties are evaluated when a state
is expanded instead of when it is found, which is the same set of states.

Coverage counters of the workers are merged into the model's at the end.
"""

from __future__ import annotations

import multiprocessing as mp

import numpy as np

from ..backend import Model
from ..ir import FINAL, INVARIANT, REACHABLE
from ..ir.interp import Fault
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes
from .store import StateStore, StoreFull

BATCH = 32768  # states per batch (split between the workers)


def _worker(conn, model: Model, red, words: int) -> None:
    st = StateStore(words)
    all_props = [(p.kind, f) for p, f in model.properties]
    all_inv = [k for k, (kind, _) in enumerate(all_props) if kind == INVARIANT]
    active = None
    props: list = []
    inv_hold = None
    all_done = model.all_done
    expand = model.expand
    por = red is not None and red.por
    cov = model.coverage
    base = list(cov.counts)  # counts inherited from the coordinator at fork
    while True:
        msg = conn.recv()
        if msg is None:
            counts = [n - (base[k] if k < len(base) else 0) for k, n in enumerate(cov.counts)]
            conn.send((list(cov.paths), counts))
            return
        keys_in, open_props = msg
        if open_props != active:  # the coordinator has recorded some: stop looking for them
            active = open_props
            inv_hold = model.invariants_hold if all(k in active for k in all_inv) else None
            props = [all_props[k] for k in sorted(active)
                     if inv_hold is None or all_props[k][0] != INVARIANT]
        states = st.from_keys(keys_in)
        res: list[int] = []
        ends: list[int] = []
        notes: list[tuple] = []  # (local index, what, data)
        errs: list = []
        warns: list = []
        for i, s in enumerate(states):
            flagged = False
            if inv_hold is not None:
                try:
                    flagged = not inv_hold(s)
                except Exception:
                    flagged = True
                if flagged:
                    notes.append((i, "check", None))
            for kind, f in (() if flagged else props):
                try:
                    v = f(s)
                except Fault:
                    notes.append((i, "check", None))
                    break
                if (kind == INVARIANT and not v) or (kind == REACHABLE and v) or \
                        (kind == FINAL and not v and all_done(s)):
                    notes.append((i, "check", None))
                    break
            before = len(res)
            if red is None:
                expand(s, res, errs, warns)
            else:
                t = red.expand(s, res, errs, warns)
                if t >= 0 and por:
                    notes.append((i, "reduced", (t, before, len(res))))
            if len(res) == before and not errs and not all_done(s):
                notes.append((i, "deadlock", None))
            if errs:
                notes.append((i, "errors", list(errs)))
                errs.clear()
            if warns:
                notes.append((i, "warnings", list(warns)))
                warns.clear()
            ends.append(len(res))
        conn.send((st.to_keys(res), np.asarray(ends, dtype=np.int64), notes))


def parallel_bfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None, *,
                 workers: int = 2, store: str = "memory", reduce=None) -> SearchResult:
    """:func:`~hugemc.explore.bfs.bfs` with the expansion spread over ``workers`` processes."""
    r = SearchResult()
    clock = Clock(limits, progress)
    words = model.layout.words
    st = StateStore(words, disk=store == "disk", hash_compact=store == "hash-compact")
    r.store = store
    chk = Checker(model, r)
    red = reduce
    if red is not None and red.groups:
        path = lambda i: red.concretize(st.path(i))  # noqa: E731
    else:
        path = st.path
    init = list(dict.fromkeys(model.initial_states()))
    if red is not None:
        init = list(dict.fromkeys(red.canon(s) for s in init))
    st.add(st.to_keys(init), np.full(len(init), -1, dtype=np.int32))
    for i, s in enumerate(init):
        chk.on_state(s, lambda i=i: path(i))

    ctx = mp.get_context("fork")
    pipes, procs = [], []
    for _ in range(workers):
        a, b = ctx.Pipe()
        p = ctx.Process(target=_worker, args=(b, model, red, words), daemon=True)
        p.start()
        pipes.append(a)
        procs.append(p)
    transitions = 0
    depth = 0
    head = 0
    level_end = st.n
    max_states, max_depth = limits.max_states, limits.max_depth
    frontier_only = max_depth is not None and max_depth <= 0
    checked_to = st.n  # states before this index were checked on discovery (the initial ones)
    reduced_states = 0
    try:
        while head < st.n:
            if head == level_end:
                depth += 1
                level_end = st.n
                if max_depth is not None and depth >= max_depth:
                    frontier_only = True
            end = min(head + BATCH, level_end)
            keys_in = st.keys(head, end)
            cuts = np.linspace(0, end - head, workers + 1).astype(int)
            open_props = frozenset(k for k, (p, _) in enumerate(model.properties) if chk.is_open(p.name))
            for k, conn in enumerate(pipes):
                conn.send((keys_in[cuts[k]:cuts[k + 1]], open_props))
            parts = [conn.recv() for conn in pipes]
            frontier = None
            succ = [x for x, _, _ in parts if len(x)]
            keys = np.concatenate(succ) if succ else np.zeros(0, dtype=st.kdtype)
            counts = np.concatenate([np.diff(e, prepend=0) for _, e, _ in parts])
            parents = np.repeat(np.arange(head, end, dtype=np.int64), counts)
            offs = np.concatenate([[0], np.cumsum([len(x) for x, _, _ in parts])])
            reduced = []
            for k, (_, _, notes) in enumerate(parts):
                base_i = head + cuts[k]
                for li, what, data in notes:
                    i = base_i + li
                    if what == "check" and i >= checked_to:
                        if frontier is None:
                            frontier = st.from_keys(keys_in)
                        chk.on_state(frontier[i - head], lambda i=i: path(i))
                    elif what == "deadlock":
                        if frontier is None:
                            frontier = st.from_keys(keys_in)
                        chk.on_deadlock(frontier[i - head], lambda i=i: path(i))
                    elif what == "errors":
                        chk.on_errors(data, lambda i=i: path(i))
                    elif what == "warnings":
                        chk.on_warnings(data, lambda i=i: path(i))
                    elif what == "reduced":
                        t, a, b = data
                        reduced.append((i, t, offs[k] + a, offs[k] + b))
            reduced_states += len(reduced)
            if reduced:  # the cycle proviso, as in bfs()
                where = np.concatenate([np.arange(a, b) for _, _, a, b in reduced])
                if len(where):
                    hit = st.contains(st.run_keys(keys[where]))
                    owner = np.repeat(np.arange(len(reduced)), [b - a for _, _, a, b in reduced])
                    extra_res: list[int] = []
                    extra_par: list[int] = []
                    errs: list = []
                    warns: list = []
                    if frontier is None:
                        frontier = st.from_keys(keys_in)
                    for j in np.unique(owner[hit]).tolist():
                        i, t, _, _ = reduced[j]
                        n0 = len(extra_res)
                        red.expand_rest(frontier[i - head], t, extra_res, errs, warns)
                        reduced_states -= 1
                        extra_par.extend([i] * (len(extra_res) - n0))
                        if errs:
                            chk.on_errors(errs, lambda i=i: path(i))
                            errs.clear()
                        if warns:
                            chk.on_warnings(warns, lambda i=i: path(i))
                            warns.clear()
                    if extra_res:
                        keys = np.concatenate([keys, st.to_keys(extra_res)])
                        parents = np.concatenate([parents, np.asarray(extra_par, dtype=np.int64)])
            transitions += len(keys)
            if len(keys):
                pos, rk = st.fresh(keys)  # new states, in discovery order
                if len(pos):
                    if frontier_only:
                        r.complete, r.limit = False, "max_depth"
                    else:
                        if max_states is not None and st.n + len(pos) > max_states:
                            pos = pos[: max(max_states - st.n, 0)]
                            r.complete, r.limit = False, "max_states"
                        st.add(keys[pos], parents[pos], rk[pos])
            head = end
            if r.limit == "max_states":
                break
            lim = clock.over(st.n, transitions, depth)
            if lim:
                r.complete, r.limit = False, lim
                break
        # states stored but never expanded (a limit stopped the search): check them here
        for i in range(max(head, checked_to), st.n):
            chk.on_state(st.state(i), lambda i=i: path(i))
    except StoreFull:
        r.complete, r.limit = False, "max_states"
    finally:
        cov = model.coverage
        for conn in pipes:
            try:
                conn.send(None)
                paths, counts = conn.recv()
                for key, n in zip(paths, counts):
                    if n:
                        cov.counts[cov.index(*key)] += n
            except (EOFError, OSError):
                pass
        for p in procs:
            p.join(timeout=5)
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
        red.reduced_states = reduced_states
        r.reduction = red.describe()
    st.close()
    return r
