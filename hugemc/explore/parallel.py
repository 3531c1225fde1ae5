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
from .bfs import Search
from .common import Limits, Progress, SearchResult
from .store import StateStore, StoreFull

BATCH = 32768  # states per batch (split between the workers)


def _worker(conn, model: Model, red, words: int) -> None:
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the coordinator stops the search and these workers
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
    S = Search(model, limits, progress, store, reduce)
    r, st, chk, red, path = S.r, S.st, S.chk, reduce, S.path
    words = model.layout.words

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
    max_depth = limits.max_depth
    frontier_only = max_depth is not None and max_depth <= 0
    checked_to = st.n  # states before this index were checked on discovery (the initial ones)
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
            frontier: list[int] = []  # the batch's states, made only when a note needs them

            def state(i: int) -> int:
                if not frontier:
                    frontier.extend(st.from_keys(keys_in))
                return frontier[i - head]
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
                        chk.on_state(state(i), lambda i=i: path(i))
                    elif what == "deadlock":
                        chk.on_deadlock(state(i), lambda i=i: path(i))
                    elif what == "errors":
                        chk.on_errors(data, lambda i=i: path(i))
                    elif what == "warnings":
                        chk.on_warnings(data, lambda i=i: path(i))
                    elif what == "reduced":
                        t, a, b = data
                        reduced.append((i, t, offs[k] + a, offs[k] + b))
            if reduced:
                red.reduced_states += len(reduced)
                state(head)
                extra, extra_par = S.proviso(reduced, keys, frontier, head)
                if extra:
                    keys = np.concatenate([keys, st.to_keys(extra)])
                    parents = np.concatenate([parents, np.asarray(extra_par, dtype=np.int64)])
            transitions += len(keys)
            if len(keys):
                S.merge(keys, parents, frontier_only)
            head = end
            if r.limit == "max_states":
                break
            lim = S.clock.over(st.n, transitions, depth, st.n - head)
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
    return S.finish(head, transitions, depth)
