"""Breadth-first search: every violation with its shortest counterexample.

States are numbered in the order found; that order is also the BFS queue, so
the queue is a cursor into the list of states. A parent index per state lets
the path to any state be rebuilt; which thread took each step is recovered
later by replaying the path through the interpreter, so it is not stored.
"""

from __future__ import annotations

from array import array

from ..backend import Model
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes


def bfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None) -> SearchResult:
    """Explore every reachable state of ``model`` breadth-first."""
    r = SearchResult()
    clock = Clock(limits, progress)
    index: dict[tuple, int] = {}
    states: list[tuple] = []
    parent = array("q")

    def path_to(i: int) -> list[tuple]:
        out = []
        while i >= 0:
            out.append(states[i])
            i = parent[i]
        out.reverse()
        return out

    chk = Checker(model, r)
    for s in model.initial_states():
        if s in index:
            continue
        index[s] = len(states)
        states.append(s)
        parent.append(-1)
        chk.on_state(s, lambda k=len(states) - 1: path_to(k))

    expand = model.expand
    all_done = model.all_done
    res: list = []
    errs: list = []
    warns: list = []
    cursor = 0
    depth = 0
    level_end = len(states)
    transitions = 0
    max_states = limits.max_states
    max_depth = limits.max_depth
    check_every = 2048
    frontier_only = False  # at the depth limit: check the last level, add nothing new
    while cursor < len(states):
        if cursor == level_end:
            depth += 1
            level_end = len(states)
            if max_depth is not None and depth >= max_depth:
                frontier_only = True
        s = states[cursor]
        res.clear()
        expand(s, res, errs, warns)
        if not res and not errs and not all_done(s):
            chk.on_deadlock(s, lambda c=cursor: path_to(c))
        if errs:
            chk.on_errors(errs, lambda c=cursor: path_to(c))
            errs.clear()
        if warns:
            chk.on_warnings(warns, lambda c=cursor: path_to(c))
            warns.clear()
        transitions += len(res)
        for t in res:
            if t not in index:
                if frontier_only:
                    r.complete, r.limit = False, "max_depth"  # a state beyond the limit exists
                    continue
                index[t] = len(states)
                states.append(t)
                parent.append(cursor)
                chk.on_state(t, lambda k=len(states) - 1: path_to(k))
        cursor += 1
        if cursor % check_every == 0 or cursor == 1:
            lim = clock.over(len(states), transitions, depth)
            if lim:
                r.complete, r.limit = False, lim
                break
        if max_states is not None and len(states) >= max_states and cursor < len(states):
            r.complete, r.limit = False, "max_states"
            break
    if r.complete and cursor < len(states):
        r.complete = False
    r.states = len(states)
    r.transitions = transitions
    r.depth = depth
    r.seconds = clock.elapsed()
    r.peak_rss = peak_rss_bytes()
    pcs = model.pc_slots
    seen = r.pcs_seen
    for s in states:
        for k, p in enumerate(pcs):
            seen.add((k, s[p]))
    return r

