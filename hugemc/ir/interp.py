"""Reference interpreter of the IR: the executable definition of the semantics.

Slow and explicit. Engines compile the IR for speed; this interpreter is what
they are tested against, and what turns a stored path of states into a
readable trace (every node a step ran, with its location, the slots it
changed and any ``pr_*`` message). Traces are therefore never taken on the
engine's word: :func:`replay` re-executes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import (
    GLOBAL, ASSERTION, DIV_ZERO, DOMAIN, DONE, END_ENTRY, NULL_DEREF, NULL_ENTRY, OUT_OF_BOUNDS, UNINIT,
    WARNING, Assign, Assume, Binary, Branch, Check, Choose, Cond, Const, Exit, Jump, Loc, Mem,
    Print, Program, PtrAdd, PtrDiff, Routine, Unary, Var, Warn, int_text, shift_count_problem,
)
from .steps import ThreadPlan, stops_before, thread_plan

MAX_NODES_PER_STEP = 100_000
LOOP_CHECK_AFTER = 1_000  # nodes in one step after which a repeated (pc, state) is an endless loop


class Fault(Exception):
    """A runtime error raised while evaluating (becomes an error outcome)."""

    def __init__(self, kind: str, message: str, loc: Loc | None = None, site: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.loc = loc
        self.site = site

    @property
    def name(self) -> str:
        """The property this error violates: its assertion site, else its kind."""
        return self.site or self.kind


@dataclass(slots=True)
class Op:
    """One executed node: where it is, what it changed, what it printed."""

    pc: int
    loc: Loc
    changes: dict[int, tuple] = field(default_factory=dict)  # every store, even of the same value
    reads: dict[int, int] = field(default_factory=dict)      # shared (global) slots read
    message: str | None = None
    warning: str | None = None


@dataclass(slots=True)
class Outcome:
    """One way a step can end: a successor state, or an error."""

    thread: int
    state: tuple | None
    ops: list[Op]
    error: Fault | None = None
    warnings: list[tuple[str, Loc]] = field(default_factory=list)


def c_div(a: int, b: int) -> int:
    """C division: truncate toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_mod(a: int, b: int) -> int:
    """C remainder: sign follows the dividend."""
    return a - b * c_div(a, b)


def format_printk(fmt: str, args: list[int]) -> str:
    """Render a printk format with integer arguments (``%d %u %x %lu %p %s`` ...)."""
    out = []
    i = 0
    ai = 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        if j < len(fmt) and fmt[j] == "%":
            out.append("%")
            i = j + 1
            continue
        while j < len(fmt) and fmt[j] in "-+ #0123456789.lhzjt":
            j += 1
        conv = fmt[j] if j < len(fmt) else ""
        val = args[ai] if ai < len(args) else None
        ai += 1
        if val is None:
            out.append("?")
        elif conv in "xX":
            out.append(format(val, "x" if conv == "x" else "X"))
        else:
            out.append(str(int(val)))
        i = j + 1
    return "".join(out).rstrip("\n")


class Evaluator:
    """Evaluates expressions and runs nodes over a mutable value vector."""

    def __init__(self, program: Program) -> None:
        self.p = program
        self.slots = program.slots
        self.reads: dict | None = None  # when set, global reads are recorded here

    def eval(self, e, v: list) -> int:
        """Value of expression ``e`` in vector ``v`` (raises :class:`Fault`)."""
        if isinstance(e, Const):
            return e.value
        if isinstance(e, Var):
            x = v[e.slot]
            if x is None:
                sl = self.slots[e.slot]
                if sl.role == "temp":
                    raise Fault(UNINIT, "read of an uninitialised value (a function that returned without a value?)")
                raise Fault(UNINIT, f"read of uninitialised '{sl.name}'")
            if self.reads is not None and self.slots[e.slot].kind == GLOBAL:
                self.reads.setdefault(e.slot, x)
            return x
        if isinstance(e, Mem):
            a = self.address(e, v)
            x = v[a]
            if x is None:
                raise Fault(UNINIT, "read of uninitialised memory")
            if self.reads is not None and self.slots[a].kind == GLOBAL:
                self.reads.setdefault(a, x)
            return x
        if isinstance(e, Unary):
            a = self.eval(e.arg, v)
            if e.op == "-":
                return -a
            if e.op == "~":
                return ~a
            if e.op == "!":
                return 0 if a else 1
            raise AssertionError(e.op)
        if isinstance(e, Binary):
            op = e.op
            if op == "&&":
                return 1 if self.eval(e.left, v) and self.eval(e.right, v) else 0
            if op == "||":
                return 1 if self.eval(e.left, v) or self.eval(e.right, v) else 0
            a = self.eval(e.left, v)
            b = self.eval(e.right, v)
            return self.binop(op, a, b)
        if isinstance(e, Cond):
            return self.eval(e.then, v) if self.eval(e.cond, v) else self.eval(e.orelse, v)
        if isinstance(e, PtrAdd):
            t = self.p.tables[e.ptable]
            ptr = self.eval(e.ptr, v)
            d = self.eval(e.delta, v)
            if ptr == 0:
                raise Fault(NULL_DEREF, "arithmetic on a NULL pointer")
            r = ptr + d
            if not (t.group_lo[ptr] <= r <= t.group_end[ptr]):
                raise Fault(OUT_OF_BOUNDS, f"pointer arithmetic leaves the object: {t.names[ptr]} + {int_text(d)}")
            return r
        if isinstance(e, PtrDiff):
            t = self.p.tables[e.ptable]
            a = self.eval(e.left, v)
            b = self.eval(e.right, v)
            if a == 0 or b == 0:
                raise Fault(NULL_DEREF, "subtraction involving a NULL pointer")
            if t.group_lo[a] != t.group_lo[b]:
                raise Fault(OUT_OF_BOUNDS, f"subtracting pointers into different objects: {t.names[a]} - {t.names[b]}")
            return a - b
        raise AssertionError(f"unknown expression {e!r}")

    @staticmethod
    def binop(op: str, a: int, b: int) -> int:
        """Apply a C binary operator to two integers (comparisons give 0/1)."""
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise Fault(DIV_ZERO, "division by zero")
            return c_div(a, b)
        if op == "%":
            if b == 0:
                raise Fault(DIV_ZERO, "remainder by zero")
            return c_mod(a, b)
        if op in ("<<", ">>"):
            problem = shift_count_problem(b)
            if problem is not None:
                raise Fault(DOMAIN, problem)
            return a << b if op == "<<" else a >> b
        if op == "&":
            return a & b
        if op == "|":
            return a | b
        if op == "^":
            return a ^ b
        if op == "==":
            return 1 if a == b else 0
        if op == "!=":
            return 1 if a != b else 0
        if op == "<":
            return 1 if a < b else 0
        if op == "<=":
            return 1 if a <= b else 0
        if op == ">":
            return 1 if a > b else 0
        if op == ">=":
            return 1 if a >= b else 0
        raise AssertionError(op)

    def address(self, m: Mem, v: list) -> int:
        """The slot index a :class:`Mem` access resolves to (raises :class:`Fault`)."""
        t = self.p.tables[m.table]
        i = self.eval(m.index, v)
        if not 0 <= i < len(t.slots):
            raise Fault(OUT_OF_BOUNDS, f"index {int_text(i)} out of bounds for {t.name} (0..{len(t.slots) - 1})")
        s = t.slots[i]
        if s == NULL_ENTRY:
            raise Fault(NULL_DEREF, f"NULL pointer dereference ({t.name})")
        if s == END_ENTRY:
            raise Fault(OUT_OF_BOUNDS, f"dereference of {t.names[i] if t.names else i}, one past the end")
        return s + m.offset

    def run_simple(self, node, vec: list, op: "Op") -> int | None:
        """Execute a node other than Exit and Choose; the next pc, or None if an assume cut the path.

        A warning that fires is recorded on ``op`` (fatal ones raise).
        """
        if isinstance(node, Assign):
            self.store(node.dst, self.eval(node.value, vec), vec, op.changes)
            return node.next
        if isinstance(node, Branch):
            return node.then if self.eval(node.cond, vec) else node.orelse
        if isinstance(node, Jump):
            return node.next
        if isinstance(node, Assume):
            return node.next if self.eval(node.cond, vec) else None
        if isinstance(node, Check):
            if not self.eval(node.cond, vec):
                raise Fault(node.kind, node.message, site=node.site)
            return node.next
        if isinstance(node, Warn):
            if self.eval(node.cond, vec):
                if self.p.fatal_warnings:
                    raise Fault(WARNING, node.message, site=node.site)
                op.warning = node.message
            return node.next
        if isinstance(node, Print):
            args = [self.eval(a, vec) for a in node.args]
            op.message = f"{node.level}: {format_printk(node.fmt, args)}"
            return node.next
        raise AssertionError(f"unknown node {node!r}")

    def store(self, dst, value: int, v: list, changes: dict | None) -> None:
        """Store ``value`` into ``dst``, checking the slot's domain."""
        idx = dst.slot if isinstance(dst, Var) else self.address(dst, v)
        s = self.slots[idx]
        if not s.lo <= value <= s.hi:
            note = f"; {s.domain_note}" if s.domain_note else ""
            raise Fault(DOMAIN, f"value {int_text(value)} leaves the domain of '{s.name}' ({s.lo}..{s.hi}){note}")
        if changes is not None:
            old = changes[idx][0] if idx in changes else v[idx]
            changes[idx] = (old, value)
        v[idx] = value


class Interpreter(Evaluator):
    """Runs steps of threads and routines of one program, node by node."""

    def __init__(self, program: Program) -> None:
        super().__init__(program)
        self.plans: list[ThreadPlan] = [thread_plan(program, t) for t in program.threads]
        self.scratch_init = [s.init for s in program.slots[program.nstate:]]

    # -- threads ----------------------------------------------------------
    def successors(self, state: tuple, tid: int) -> list[Outcome]:
        """Every outcome of thread ``tid``'s next step from ``state``."""
        thread = self.p.threads[tid]
        pc = state[thread.pc_slot]
        if pc == DONE:
            return []
        out: list[Outcome] = []
        vec = list(state) + self.scratch_init
        self._walk(tid, pc, vec, False, [], [], out, True, 0)
        self.reads = None
        return out

    def _walk(self, tid, pc, vec, units_done, ops, warns, out, first, budget) -> None:
        thread = self.p.threads[tid]
        plan = self.plans[tid]
        nodes = thread.nodes
        seen: set | None = None  # after a while: (pc, state) pairs of this deterministic walk
        while True:
            if budget > LOOP_CHECK_AFTER:
                # a walk is deterministic between choices: meeting the same pc and state again
                # means the step never ends; say so now instead of after MAX_NODES_PER_STEP
                key = (pc, units_done, tuple(vec))
                if seen is None:
                    seen = set()
                if key in seen:
                    budget = MAX_NODES_PER_STEP + 1
                else:
                    seen.add(key)
            if budget > MAX_NODES_PER_STEP:
                out.append(Outcome(tid, None, ops, Fault(
                    ASSERTION, f"a step ran more than {MAX_NODES_PER_STEP} operations without ending "
                    "(an endless loop that touches no shared state, or one inside an ATOMIC block)",
                    nodes[pc].loc), warns))
                return
            budget += 1
            node = nodes[pc]
            if not first and stops_before(plan, nodes, pc, units_done):
                self._finish(tid, pc, vec, ops, warns, out)
                return
            first = False
            if plan.region_entry[pc] or (node.region == 0 and plan.shared[pc]):
                units_done = True
            op = Op(pc, node.loc)
            ops.append(op)
            self.reads = op.reads
            try:
                if isinstance(node, Exit):
                    self._finish(tid, DONE, vec, ops, warns, out)
                    return
                if not isinstance(node, Choose):
                    nxt = self.run_simple(node, vec, op)
                    if nxt is None:
                        return  # an assume cut this path: no successor
                    if op.warning is not None:
                        warns = warns + [(node.message, node.loc)]
                    pc = nxt
                    continue
                if isinstance(node, Choose):  # one successor per value of lo..hi
                    lo = self.eval(node.lo, vec)
                    hi = self.eval(node.hi, vec)
                    for value in range(lo, hi + 1):
                        v2 = list(vec)
                        op2 = Op(pc, node.loc)
                        ops2 = ops[:-1] + [op2]
                        try:
                            self.store(node.dst, value, v2, op2.changes)
                        except Fault as f:
                            f.loc = node.loc
                            out.append(Outcome(tid, None, ops2, f, list(warns)))
                            continue
                        self._walk(tid, node.next, v2, units_done, ops2, list(warns),
                                   out, False, budget)
                    return
                else:
                    raise AssertionError(f"unknown node {node!r}")
            except Fault as f:
                f.loc = node.loc
                out.append(Outcome(tid, None, ops, f, warns))
                return

    def _finish(self, tid, pc, vec, ops, warns, out) -> None:
        thread = self.p.threads[tid]
        plan = self.plans[tid]
        clear = plan.clear_done if pc == DONE else plan.clear_at[pc]
        for s in clear:
            vec[s] = None
        vec[thread.pc_slot] = pc
        out.append(Outcome(tid, tuple(vec[: self.p.nstate]), ops, None, warns))

    # -- routines (properties, init) --------------------------------------
    def run_routine(self, r: Routine, state: tuple) -> list[tuple[list, list[Op]]]:
        """Run a routine to completion over ``state`` + fresh scratch slots.

        Returns every (final vector, ops) the routine can end in (several if it
        makes nondeterministic choices). Raises :class:`Fault` on errors.
        """
        self.reads = None
        vec = list(state) + [s.init for s in self.p.slots[self.p.nstate:]]
        results: list[tuple[list, list[Op]]] = []
        self._run(r, r.entry, vec, [], results, 0)
        return results

    def _run(self, r: Routine, pc: int, vec: list, ops: list[Op], results, budget) -> None:
        nodes = r.nodes
        while True:
            budget += 1
            if budget > MAX_NODES_PER_STEP:
                raise Fault(ASSERTION, f"'{r.name}' ran more than {MAX_NODES_PER_STEP} operations "
                            "(an endless loop?)", nodes[pc].loc)
            node = nodes[pc]
            op = Op(pc, node.loc)
            ops.append(op)
            try:
                if isinstance(node, Exit):
                    results.append((vec, ops))
                    return
                if not isinstance(node, Choose):
                    nxt = self.run_simple(node, vec, op)
                    if nxt is None:
                        return
                    pc = nxt
                    continue
                if isinstance(node, Choose):  # one successor per value of lo..hi
                    lo = self.eval(node.lo, vec)
                    hi = self.eval(node.hi, vec)
                    for value in range(lo, hi + 1):
                        v2 = list(vec)
                        self.store(node.dst, value, v2, None)
                        self._run(r, node.next, v2, list(ops), results, budget)
                    return
                else:
                    raise AssertionError(f"unknown node {node!r}")
            except Fault as f:
                if f.loc is None:
                    f.loc = node.loc
                raise

    def eval_property(self, index: int, state: tuple) -> bool:
        """Value of property ``index`` in ``state`` (raises :class:`Fault`)."""
        prop = self.p.properties[index]
        results = self.run_routine(prop.routine, state)
        if not results:
            return True
        vec, _ = results[0]
        val = vec[prop.routine.result]
        if val is None:
            raise Fault(UNINIT, f"property '{prop.name}' ended without returning a value", prop.loc)
        return bool(val)

    def initial_states(self) -> list[tuple]:
        """The states the scenario starts in (after its ``init`` routine, if any)."""
        base = self.p.initial_vector()
        if self.p.init is None:
            return [base]
        seen: dict[tuple, None] = {}
        for vec, _ in self.run_routine(self.p.init, base):
            seen.setdefault(tuple(vec[: self.p.nstate]), None)
        return list(seen)


def replay(program: Program, states: list[tuple], threads: list[int]) -> list[Outcome]:
    """Re-execute a path: ``states[i+1]`` must follow from ``states[i]`` by a step of ``threads[i]``.

    Returns the matching outcome of each step (with its ops). Raises
    ValueError if some step does not exist: a fabricated trace cannot replay.
    """
    interp = Interpreter(program)
    result = []
    for i, tid in enumerate(threads):
        matches = [o for o in interp.successors(states[i], tid) if o.state == states[i + 1]]
        if not matches:
            raise ValueError(f"step {i + 1}: thread {program.threads[tid].name} cannot go "
                             "from the recorded state to the next one")
        result.append(matches[0])
    return result
