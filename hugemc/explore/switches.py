"""Counterexamples with the fewest context switches (``hugemc check --fewest-switches``).

Breadth-first search gives the shortest counterexample; a kernel developer
often reads more easily the one where the threads interleave least. After the
normal search found which properties are violated, :func:`fewest_switches`
runs a second search over pairs (packed state, thread that took the last
step), ordered by (switches, steps): Dijkstra's algorithm with those costs
(a step by the same thread as the last one costs no switch, any other one
switch; every step costs one step). The first time a violation of a property
is popped, its path is the counterexample with the fewest switches, and the
fewest steps among those. It stops when every property the normal search
violated has its path.

Violations are judged as in the normal search (:class:`~.common.Checker`):
invariants and final properties on states, runtime errors and assertion
sites on the failing step (which counts as a step of its thread), deadlocks on
states where no thread can move. Reductions are not used: every thread's
steps are followed, by the compiled per-thread successor functions.
"""

from __future__ import annotations

import heapq
import itertools

from ..backend import Model
from .common import Checker, Clock, Limits, SearchResult, peak_rss_bytes


def fewest_switches(model: Model, wanted: set[str], limits: Limits = Limits()) -> SearchResult:
    """Paths to the violations named in ``wanted`` with the fewest switches, then the fewest steps.

    Returns a :class:`SearchResult` whose ``violations`` hold the paths found
    (a property missing there was not reached within ``limits``) and whose
    statistics count the pairs (state, last thread) stored.
    """
    r = SearchResult()
    chk = Checker(model, r)
    # only the properties asked for are decided here
    chk.inv = [x for x in chk.inv if x[0].name in wanted]
    chk.final = [x for x in chk.final if x[0].name in wanted]
    chk.reach = [x for x in chk.reach if x[0].name in wanted]
    if len(chk.inv) < sum(1 for p, _ in model.properties if p.kind == "invariant"):
        chk.all_inv = None  # it would check the invariants not asked for too
    clock = Clock(limits, None)
    expanders = model.thread_expand
    nthreads = len(expanders)
    all_done = model.all_done
    # node id -> (packed state, last thread, parent node id)
    nodes: list[tuple[int, int, int]] = []
    best: dict[tuple[int, int], int] = {}  # (state, last thread) -> node id (settled or queued)
    cost: list[tuple[int, int]] = []
    tie = itertools.count()
    heap: list = []

    def path_to(i: int):
        def get(i=i):
            out = []
            while i >= 0:
                s, _, p = nodes[i]
                out.append(s)
                i = p
            return out[::-1]
        return get

    for s in dict.fromkeys(model.initial_states()):
        key = (s, -1)
        best[key] = len(nodes)
        nodes.append((s, -1, -1))
        cost.append((0, 0))
        heapq.heappush(heap, (0, 0, next(tie), len(nodes) - 1, None))
    settled: set[int] = set()
    transitions = 0
    depth = 0
    done = lambda: all(n in r.violations for n in wanted)  # noqa: E731
    res: list = []
    errs: list = []
    warns: list = []
    while heap and not done():
        sw, st, _, i, err = heapq.heappop(heap)
        if err is not None:  # a failing step, ordered among the states by its cost
            chk.on_errors([err], path_to(i))
            continue
        if i in settled:
            continue
        settled.add(i)
        s, last, _ = nodes[i]
        depth = max(depth, st)
        chk.on_state(s, path_to(i))
        moved = False
        for tid in range(nthreads):
            res.clear()
            errs.clear()
            warns.clear()
            expanders[tid](s, res, errs, warns)
            if res or errs:
                moved = True
            c = (sw + (1 if last not in (-1, tid) else 0), st + 1)
            for e in errs:
                if e[4] in wanted and e[4] not in r.violations:
                    heapq.heappush(heap, (c[0], c[1], next(tie), i, e))
            transitions += len(res)
            for s2 in res:
                key = (s2, tid)
                j = best.get(key)
                if j is None:
                    best[key] = j = len(nodes)
                    nodes.append((s2, tid, i))
                    cost.append(c)
                elif j in settled or cost[j] <= c:
                    continue
                else:
                    nodes[j] = (s2, tid, i)
                    cost[j] = c
                heapq.heappush(heap, (c[0], c[1], next(tie), j, None))
        if not moved and not all_done(s) and "deadlock" in wanted:
            chk.on_deadlock(s, path_to(i))
        if len(settled) % 4096 == 0:
            lim = clock.over(len(nodes), transitions, depth)
            if lim is None and limits.max_states is not None and len(nodes) > limits.max_states:
                lim = "max_states"
            if lim:
                r.complete, r.limit = False, lim
                break
    r.states = len(nodes)
    r.transitions = transitions
    r.depth = depth
    r.seconds = clock.elapsed()
    r.peak_rss = peak_rss_bytes()
    if not done():
        r.complete = False
    return r
