"""How a thread's CFG is cut into steps: the atomicity rule every engine shares.

A *step* starts at a boundary pc and executes nodes until it would start a
second *unit*. A unit is either one node outside any atomic region that reads
or writes shared (global) state, or one whole atomic region (entered at its
entry node). Local nodes (locals only: arithmetic, branches, nondeterministic
choice of a local, ``pr_*``) run inside the step that reaches them, so
computation on locals merges into the neighbouring shared step.

Ghost state (``ghost_*`` slots, bookkeeping read only by properties) counts
as local here: updating it rides along in the step of the operation it
shadows. Nodes of ``GHOST { }`` blocks (region -1) are never units either,
whatever they read.

A step also ends at ``Exit``. A loop whose body touches only locals (or
ghost state) runs inside the step that reaches it, however many iterations it
takes (an endless one is reported as an error). When a step ends, locals that are dead at the
pc where it stopped are reset to "uninitialised", so that stale values of dead
variables never split states.

:class:`StepPlan` precomputes, per thread, what the rule needs: which nodes
are shared, which start a region, which locals to clear at each boundary, and
for each boundary pc the slots the step may read and write (for partial-order
reduction) and its kind and location (for reports).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import (
    DONE, GLOBAL, Assign, Branch, Check, Choose, Exit, Loc, Mem, Node, Program, Thread,
    Var, node_reads, node_successors, node_writes,
)


@dataclass(frozen=True, slots=True)
class StepInfo:
    """What one step (from a boundary pc) may do, statically over-approximated."""

    thread: int
    pc: int
    reads: frozenset[int]
    writes: frozenset[int]
    kind: str  # load | store | rmw | atomic | local | exit
    loc: Loc
    ends: frozenset[int] = frozenset()  # the boundaries (or DONE) the step can end at


@dataclass(frozen=True, slots=True)
class ThreadPlan:
    """Per-thread tables for the step rule."""

    shared: tuple[bool, ...]        # node reads or writes a global
    region_entry: tuple[bool, ...]  # node is the entry of an atomic region
    clear_at: tuple[tuple[int, ...], ...]  # locals dead at each pc (cleared at a boundary there)
    boundaries: tuple[int, ...]     # pcs where a step can start
    clear_done: tuple[int, ...] = ()  # locals cleared when the thread returns (all but those properties read)


def _global_slots(program: Program) -> frozenset[int]:
    """Slots whose access is a shared access (globals that are not ghost state)."""
    return frozenset(i for i, s in enumerate(program.slots[: program.nstate]) if s.kind == GLOBAL and not s.ghost)


def thread_plan(program: Program, thread: Thread) -> ThreadPlan:
    """Compute the step-rule tables for one thread."""
    nodes = thread.nodes
    tables = program.tables
    gl = _global_slots(program)
    n = len(nodes)
    reads = [node_reads(nd, tables) for nd in nodes]
    writes = [node_writes(nd, tables) for nd in nodes]
    # ghost code (region < 0) is never a shared access
    shared = tuple(bool((reads[i] | writes[i]) & gl) and nodes[i].region >= 0 for i in range(n))

    preds: list[list[int]] = [[] for _ in range(n)]
    for i, nd in enumerate(nodes):
        for s in node_successors(nd):
            preds[s].append(i)
    region_entry = tuple(
        nodes[i].region > 0 and all(nodes[p].region != nodes[i].region for p in preds[i])
        for i in range(n)
    )

    # liveness of locals (Var stores kill; Mem stores never target locals)
    local_set = frozenset(thread.locals)
    use = [reads[i] & local_set for i in range(n)]
    kill = []
    for nd in nodes:
        if isinstance(nd, (Assign, Choose)) and isinstance(nd.dst, Var) and nd.dst.slot in local_set:
            kill.append({nd.dst.slot})
        else:
            kill.append(set())
    live_in: list[frozenset[int]] = [frozenset()] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            out: set[int] = set()
            for s in node_successors(nodes[i]):
                out |= live_in[s]
            new = frozenset(use[i] | (out - kill[i]))
            if new != live_in[i]:
                live_in[i] = new
                changed = True
    # locals a property reads (LOCAL()) keep their value: they are never cleared
    clearable = local_set - program.observed
    clear_at = tuple(tuple(sorted(clearable - live_in[i])) for i in range(n))

    # boundaries: the entry, and every node a step can stop in front of: region
    # entries and shared nodes outside regions
    bset = {thread.entry}
    for i in range(n):
        if region_entry[i] or (nodes[i].region == 0 and shared[i]):
            bset.add(i)
    boundaries = tuple(sorted(b for b in bset if not isinstance(nodes[b], Exit) or b == thread.entry))
    return ThreadPlan(shared, region_entry, clear_at, boundaries, tuple(sorted(clearable)))


def step_infos(program: Program, tid: int, plan: ThreadPlan) -> dict[int, StepInfo]:
    """Static read/write sets, kind and location of the step from each boundary pc.

    Explores every path the step rule allows from each boundary (without
    values), so the sets over-approximate what any execution of the step does.
    """
    thread = program.threads[tid]
    nodes = thread.nodes
    tables = program.tables
    out: dict[int, StepInfo] = {}
    for b in plan.boundaries:
        rd: set[int] = set()
        wr: set[int] = set()
        ends: set[int] = set()
        unit_nodes: list[int] = []
        for pc, stopped in walk_step(plan, nodes, b):
            if stopped:
                ends.add(pc)
                continue
            nd = nodes[pc]
            if plan.region_entry[pc] or (nd.region == 0 and plan.shared[pc]) or nd.region > 0:
                unit_nodes.append(pc)
            rd |= node_reads(nd, tables)
            wr |= node_writes(nd, tables)
            if isinstance(nd, Exit):
                ends.add(DONE)
        kind, loc = _classify(nodes, unit_nodes, plan, b, program)
        out[b] = StepInfo(tid, b, frozenset(rd), frozenset(wr), kind, loc, frozenset(ends))
    return out


def walk_step(plan: ThreadPlan, nodes: tuple[Node, ...], b: int):
    """Every node a step from boundary ``b`` may reach, without values: yields ``(pc, stopped)``.

    ``stopped`` is True where the step stops in front of ``pc`` (the step
    rule, :func:`stops_before`), False for a node the step runs. A node may
    come twice: once before and once after the step ran its unit.
    """
    seen: set[tuple[int, bool]] = set()
    stack = [(b, False, True)]
    while stack:
        pc, done, first = stack.pop()
        if (pc, done) in seen:
            continue
        seen.add((pc, done))
        nd = nodes[pc]
        if not first and stops_before(plan, nodes, pc, done):
            yield pc, True
            continue
        yield pc, False
        if plan.region_entry[pc] or (nd.region == 0 and plan.shared[pc]):
            done = True
        for s in node_successors(nd):
            stack.append((s, done, False))


def stops_before(plan: ThreadPlan, nodes: tuple[Node, ...], pc: int, units_done: bool) -> bool:
    """The step rule: does a step stop in front of node ``pc``?

    ``units_done`` says whether the step has already run its unit (one shared
    access or one atomic region). Not used for the first node of a step (a
    step always runs at least one node).
    """
    if plan.region_entry[pc]:
        return units_done
    if nodes[pc].region != 0:
        return False
    return units_done and plan.shared[pc]


def _classify(nodes, unit_nodes, plan, b, program) -> tuple[str, Loc]:
    if not unit_nodes:
        nd = nodes[b]
        return ("exit" if isinstance(nd, Exit) else "local"), nd.loc
    first = nodes[unit_nodes[0]]
    if first.region > 0:
        # report the first node of the region that has a real location
        for u in unit_nodes:
            if nodes[u].loc.line:
                return "atomic", nodes[u].loc
        return "atomic", first.loc
    if isinstance(first, Assign):
        dst_global = isinstance(first.dst, Mem) or (
            isinstance(first.dst, Var) and program.slots[first.dst.slot].kind == GLOBAL)
        if dst_global:
            return "store", first.loc
        return "load", first.loc
    if isinstance(first, Check):
        return "load", first.loc
    return "load", first.loc


def all_step_infos(program: Program) -> list[dict[int, StepInfo]]:
    """:func:`step_infos` for every thread."""
    return [step_infos(program, t.index, thread_plan(program, t)) for t in program.threads]


__all__ = ["StepInfo", "ThreadPlan", "thread_plan", "step_infos", "stops_before", "all_step_infos",
           "Branch"]
