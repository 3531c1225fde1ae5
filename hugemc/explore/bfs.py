"""Breadth-first search: every violation with its shortest counterexample.

The visited set maps each state to the state it was first reached from (its
parent, ``None`` for initial states): the path to any state is rebuilt by
following parents, and no per-state object other than the state itself is
kept. The queue holds only the states still to expand. Which thread took each
step is recovered later by replaying the path through the interpreter, so it
is not stored.
"""

from __future__ import annotations

from collections import deque

from ..backend import Model
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes


def bfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None) -> SearchResult:
    """Explore every reachable state of ``model`` breadth-first."""
    r = SearchResult()
    clock = Clock(limits, progress)
    parent: dict[tuple, tuple | None] = {}
    queue: deque[tuple] = deque()

    def path_to(s: tuple) -> list[tuple]:
        out = []
        while s is not None:
            out.append(s)
            s = parent[s]
        out.reverse()
        return out

    chk = Checker(model, r)
    for s in model.initial_states():
        if s in parent:
            continue
        parent[s] = None
        queue.append(s)
        chk.on_state(s, lambda s=s: path_to(s))

    expand = model.expand
    all_done = model.all_done
    res: list = []
    errs: list = []
    warns: list = []
    expanded = 0
    depth = 0
    level_left = len(queue)  # states of the current level still to expand
    next_level = 0
    transitions = 0
    max_states = limits.max_states
    max_depth = limits.max_depth
    check_every = 2048
    frontier_only = max_depth is not None and max_depth <= 0  # at the depth limit: check, add nothing new
    while queue:
        if level_left == 0:
            depth += 1
            level_left, next_level = next_level, 0
            if max_depth is not None and depth >= max_depth:
                frontier_only = True
        s = queue.popleft()
        level_left -= 1
        res.clear()
        expand(s, res, errs, warns)
        if not res and not errs and not all_done(s):
            chk.on_deadlock(s, lambda s=s: path_to(s))
        if errs:
            chk.on_errors(errs, lambda s=s: path_to(s))
            errs.clear()
        if warns:
            chk.on_warnings(warns, lambda s=s: path_to(s))
            warns.clear()
        transitions += len(res)
        for t in res:
            if t not in parent:
                if frontier_only:
                    r.complete, r.limit = False, "max_depth"  # a state beyond the limit exists
                    continue
                parent[t] = s
                queue.append(t)
                next_level += 1
                chk.on_state(t, lambda t=t: path_to(t))
        expanded += 1
        if expanded % check_every == 0 or expanded == 1:
            lim = clock.over(len(parent), transitions, depth)
            if lim:
                r.complete, r.limit = False, lim
                break
        if max_states is not None and len(parent) >= max_states and queue:
            r.complete, r.limit = False, "max_states"
            break
    if r.complete and queue:
        r.complete = False
    r.states = len(parent)
    r.transitions = transitions
    r.depth = depth
    r.seconds = clock.elapsed()
    r.peak_rss = peak_rss_bytes()
    return r
