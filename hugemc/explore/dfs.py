"""Depth-first search: the same verdicts as BFS with less memory.

Only the set of visited states is kept (no parent links); the path to the
current state is the search stack, so counterexamples are valid but not
necessarily the shortest.

With partial-order reduction a state is first expanded for a persistent set
of threads only (:meth:`~hugemc.explore.reduce.Reduction.expand`). The
**stack proviso** then keeps any step from being postponed forever: when one
of those successors is a state on the current search stack (the reduced
expansion closes a cycle), the state is expanded in full. Every cycle of the
reduced graph is closed by such a back edge, so every cycle has a fully
expanded state.
"""

from __future__ import annotations

from ..backend import Model
from .common import Checker, Clock, Limits, Progress, SearchResult, peak_rss_bytes


def dfs(model: Model, limits: Limits = Limits(), progress: Progress | None = None, *,
        reduce=None) -> SearchResult:
    """Explore every reachable state of ``model`` depth-first.

    ``reduce`` (a :class:`~hugemc.explore.reduce.Reduction`) applies
    symmetry and/or partial-order reduction (with the stack proviso).
    """
    r = SearchResult()
    sym = reduce is not None and bool(reduce.groups)
    por = reduce is not None and reduce.por
    on_stack: set = set()  # the states of ``stack`` (the stack proviso)
    canon = reduce.canon if sym else None
    path = (lambda: reduce.concretize(list(stack))) if sym else (lambda: list(stack))
    clock = Clock(limits, progress)
    visited: set[tuple] = set()
    chk = Checker(model, r)
    expand = model.expand
    all_done = model.all_done
    errs: list = []
    warns: list = []
    transitions = 0
    max_depth = limits.max_depth
    max_states = limits.max_states
    count = 0
    stack: list[tuple] = []       # the current path
    succ_stack: list[list] = []   # successors still to visit, per level
    for s0 in model.initial_states():
        if sym:
            s0 = canon(s0)
        if s0 in visited:
            continue
        visited.add(s0)
        stack.append(s0)
        on_stack.add(s0)
        chk.on_state(s0, path)
        succ_stack.append(None)  # type: ignore[arg-type]
        while stack:
            if succ_stack[-1] is None:
                s = stack[-1]
                res: list = []
                if reduce is not None:
                    t = reduce.expand(s, res, errs, warns)  # (canonical states)
                    if por and t >= 0 and any(x in on_stack for x in res):
                        reduce.expand_rest(s, t, res, errs, warns)  # the stack proviso
                else:
                    expand(s, res, errs, warns)
                if not res and not errs and not all_done(s):
                    chk.on_deadlock(s, path)
                if max_depth is not None and len(stack) > max_depth:
                    # at the depth limit: this state is checked, nothing beyond it is stored (as BFS)
                    if any(x not in visited for x in res):
                        r.complete, r.limit = False, "max_depth"
                        res = [x for x in res if x in visited]  # counted, never entered
                if errs:
                    chk.on_errors(errs, path)
                    errs.clear()
                if warns:
                    chk.on_warnings(warns, path)
                    warns.clear()
                transitions += len(res)
                res.reverse()
                succ_stack[-1] = res
                r.depth = max(r.depth, len(stack) - 1)
                count += 1
                if count % 2048 == 0 or count == 1:
                    lim = clock.over(len(visited), transitions, len(stack), len(stack))
                    if lim:
                        r.complete, r.limit = False, lim
                        break
            todo = succ_stack[-1]
            while todo and todo[-1] in visited:
                todo.pop()
            if not todo:
                on_stack.discard(stack.pop())
                succ_stack.pop()
                continue
            if max_states is not None and len(visited) >= max_states:
                r.complete, r.limit = False, "max_states"  # a state beyond the limit exists (as BFS)
                break
            nxt = todo.pop()
            visited.add(nxt)
            stack.append(nxt)
            on_stack.add(nxt)
            succ_stack.append(None)  # type: ignore[arg-type]
            chk.on_state(nxt, path)
        if not r.complete and r.limit in ("time_limit", "max_memory", "max_states"):
            break
    r.states = len(visited)
    r.transitions = transitions
    r.seconds = clock.elapsed()
    r.peak_rss = peak_rss_bytes()
    if reduce is not None:
        r.reduction = reduce.describe()
    return r
