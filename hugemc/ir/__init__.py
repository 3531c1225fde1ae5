"""The intermediate representation: the contract between front end and engines.

A :class:`Program` is a fixed set of integer *slots* (globals flattened to
``pages[1]._refcount``; per thread a program counter and its locals), a set of
*threads* each given as a control-flow graph of small *nodes*, the tables that
resolve pointer and array accesses, and the properties to check.

Nothing here is executable Python: expressions are trees of frozen
dataclasses holding only integers and slot/table numbers, so the same program
can be interpreted (:mod:`hugemc.ir.interp`, the reference semantics),
compiled to Python (:mod:`hugemc.backend`) or, later, vectorised.

Steps (the indivisible transitions of a thread) are not stored: they are
derived from the CFG by the rule in :mod:`hugemc.ir.steps`, which every engine
shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

# ---------------------------------------------------------------------------
# Locations and slots
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a node comes from: model file, 1-based line and column, the line's text, the function."""

    file: str
    line: int
    col: int
    text: str = ""
    func: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


NOLOC = Loc("<builtin>", 0, 0, "")

GLOBAL = "global"
LOCAL = "local"
PC = "pc"
SCRATCH = "scratch"


@dataclass(frozen=True, slots=True)
class Slot:
    """One integer cell of the state vector.

    ``init`` is the initial value, or None for "uninitialised" (reading it is
    an error). ``kind`` is global, local, pc or scratch (property/init locals,
    not part of the state). ``thread`` owns locals and pcs. ``ptable`` names the
    pointer table for pointer-valued slots (so reports can print ``&pages[1]``),
    ``labels`` maps values to enumerator names for enum slots, ``bit_labels``
    bit numbers to names for a flags word. ``ghost``
    marks bookkeeping state for properties (a name component starting with
    ``ghost_``): accessing it never makes a step of its own.
    """

    name: str
    lo: int
    hi: int
    init: int | None
    kind: str = GLOBAL
    thread: int | None = None
    ptable: int | None = None
    labels: tuple[tuple[int, str], ...] = ()
    ghost: bool = False
    role: str = ""  # locals: "param" (an inlined function's parameter), "temp" (compiler temporary)
    domain_note: str = ""  # globals: where the domain comes from and how to widen it (for messages)
    bit_labels: tuple[tuple[int, str], ...] = ()  # a flags word (``__flags(E)``): bit number -> name, for reports


# ---------------------------------------------------------------------------
# Expressions (pure; errors such as NULL dereference are part of evaluation)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    """An integer constant."""

    value: int


@dataclass(frozen=True, slots=True)
class Var:
    """The slot with a statically known index (read, or as a store target)."""

    slot: int


@dataclass(frozen=True, slots=True)
class Mem:
    """The slot ``tables[table].slots[index] + offset``, found at run time.

    Table entries below zero are errors: ``NULL_ENTRY`` (dereferencing NULL)
    and ``END_ENTRY`` (dereferencing a one-past-the-end pointer); an index
    outside the table is an out-of-bounds access.
    """

    table: int
    index: "Expr"
    offset: int = 0


@dataclass(frozen=True, slots=True)
class Unary:
    """``op`` is one of ``-``, ``~``, ``!``."""

    op: str
    arg: "Expr"


@dataclass(frozen=True, slots=True)
class Binary:
    """Arithmetic, bitwise and comparison operators with C semantics.

    ``&&`` and ``||`` short-circuit (the right side may fault only when
    evaluated). ``/`` and ``%`` truncate toward zero; division by zero and
    shift counts outside ``0..MAX_SHIFT`` are errors. Results are mathematical integers:
    nothing wraps; storing checks the target's domain.
    """

    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Cond:
    """``cond ? then : orelse`` (only the chosen side is evaluated)."""

    cond: "Expr"
    then: "Expr"
    orelse: "Expr"


@dataclass(frozen=True, slots=True)
class PtrAdd:
    """Pointer arithmetic ``ptr + delta`` within one object group of ``ptable``.

    NULL arithmetic and leaving the group (beyond one past its end) are errors.
    """

    ptable: int
    ptr: "Expr"
    delta: "Expr"


@dataclass(frozen=True, slots=True)
class PtrDiff:
    """``left - right`` for two pointers into the same group (element count)."""

    ptable: int
    left: "Expr"
    right: "Expr"


Expr = Union[Const, Var, Mem, Unary, Binary, Cond, PtrAdd, PtrDiff]
LValue = Union[Var, Mem]

# ---------------------------------------------------------------------------
# Nodes of a control-flow graph. ``next`` is the successor node index;
# ``region`` is the atomic region (0 = none): consecutive nodes of one region
# execute as a single step.
# ---------------------------------------------------------------------------

# error kinds (the names are also the property names users write in `expect`)
NULL_DEREF = "null_deref"
OUT_OF_BOUNDS = "out_of_bounds"
DOMAIN = "domain_overflow"
DIV_ZERO = "div_by_zero"
UNINIT = "uninit_read"
UNLOCK = "unlock_unheld"
ASSERTION = "assertion"
WARNING = "warning"
DEADLOCK = "deadlock"
RUNTIME_KINDS = (NULL_DEREF, OUT_OF_BOUNDS, DOMAIN, DIV_ZERO, UNINIT, UNLOCK, ASSERTION, WARNING)
BUILTIN_PROPERTIES = RUNTIME_KINDS + (DEADLOCK,)

NULL_ENTRY = -1
END_ENTRY = -2


@dataclass(frozen=True, slots=True)
class Assign:
    """``dst = value``; the value is checked against the target's domain."""

    dst: LValue
    value: Expr
    next: int
    loc: Loc
    region: int = 0


@dataclass(frozen=True, slots=True)
class Branch:
    """Go to ``then`` if ``cond`` is non-zero, else ``orelse``."""

    cond: Expr
    then: int
    orelse: int
    loc: Loc
    region: int = 0


@dataclass(frozen=True, slots=True)
class Choose:
    """Nondeterministic choice: ``dst`` takes every value in ``lo..hi`` (one successor each)."""

    dst: LValue
    lo: Expr
    hi: Expr
    next: int
    loc: Loc
    region: int = 0


@dataclass(frozen=True, slots=True)
class Assume:
    """Continue only if ``cond`` holds; otherwise this path has no successor.

    On shared state this waits: a thread whose step has no successor is blocked.
    """

    cond: Expr
    next: int
    loc: Loc
    region: int = 0


@dataclass(frozen=True, slots=True)
class Check:
    """Runtime check: if ``cond`` is zero the step ends in error ``kind``.

    ``site`` names an assertion site (``VM_BUG_ON@enqueue_huge_page``): each
    site is a property of its own, with its own shortest counterexample.
    """

    cond: Expr
    kind: str
    message: str
    next: int
    loc: Loc
    region: int = 0
    site: str = ""


@dataclass(frozen=True, slots=True)
class Warn:
    """``WARN_ON``: if ``cond`` is non-zero a warning fires (fatal if the scenario says so).

    ``site`` names the warning site (``WARN_ON@alloc_buddy_huge_page``), the
    property a fatal warning violates.
    """

    cond: Expr
    message: str
    next: int
    loc: Loc
    region: int = 0
    site: str = ""


@dataclass(frozen=True, slots=True)
class Print:
    """``pr_warn``/``pr_info``/``pr_err``: kept in traces, no effect on the state."""

    level: str
    fmt: str
    args: tuple[Expr, ...]
    next: int
    loc: Loc
    region: int = 0


@dataclass(frozen=True, slots=True)
class Jump:
    """No operation (labels, joins)."""

    next: int
    loc: Loc
    region: int = 0


@dataclass(frozen=True, slots=True)
class Exit:
    """The thread (or routine) has returned."""

    loc: Loc
    region: int = 0


Node = Union[Assign, Branch, Choose, Assume, Check, Warn, Print, Jump, Exit]

# ---------------------------------------------------------------------------
# Tables, threads, properties, program
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Table:
    """Resolves a run-time index to a slot: ``slots[i]`` (negative = error entry).

    For a pointer table the index is a pointer value; ``group_lo[i]`` and
    ``group_end[i]`` bound the object group that value points into (its
    array), and ``names[i]`` is its printable form (``&pages[1]``).
    """

    name: str
    slots: tuple[int, ...]
    group_lo: tuple[int, ...] = ()
    group_end: tuple[int, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Routine:
    """A CFG run to completion (property predicates, scenario init)."""

    name: str
    nodes: tuple[Node, ...]
    entry: int
    result: int | None = None  # slot holding the return value (properties)


@dataclass(frozen=True, slots=True)
class Thread:
    """One thread of the scenario: its CFG, its pc slot, its locals."""

    name: str
    index: int
    pc_slot: int
    entry: int
    nodes: tuple[Node, ...]
    locals: tuple[int, ...]
    call: str = ""  # the entry call as written in the scenario


INVARIANT = "invariant"
REACHABLE = "reachable"
FINAL = "final"
PROPERTY_KINDS = (INVARIANT, REACHABLE, FINAL)


@dataclass(frozen=True, slots=True)
class Property:
    """A named predicate over the state: invariant, reachable or final."""

    name: str
    kind: str
    description: str
    loc: Loc
    routine: Routine


DONE = -1  # pc value of a thread that has returned


@dataclass(frozen=True, slots=True)
class Program:
    """A whole scenario, ready for an engine.

    ``slots[:nstate]`` form the state vector; slots from ``nstate`` on are
    scratch (locals of properties and of ``init``), which engines evaluate in a
    vector extended by ``nscratch`` cells.
    """

    name: str
    slots: tuple[Slot, ...]
    nstate: int
    threads: tuple[Thread, ...]
    tables: tuple[Table, ...]
    properties: tuple[Property, ...]
    init: Routine | None = None
    fatal_warnings: bool = False
    sources: tuple[str, ...] = field(default=())
    # library functions a user's model replaced: (name, "file:line" of the
    # replacement, "file:line" of the library's version, reachable as __real_NAME)
    replaced: tuple[tuple[str, str, str], ...] = ()
    # thread locals that properties read (LOCAL(thread, var)): they start at
    # 0 and keep their value at every step boundary
    observed: frozenset[int] = frozenset()

    def sites(self) -> tuple[str, ...]:
        """Every assertion and warning site of the threads, in thread order."""
        out: dict[str, None] = {}
        for t in self.threads:
            for nd in t.nodes:
                if isinstance(nd, (Check, Warn)) and nd.site:
                    out.setdefault(nd.site, None)
        return tuple(out)

    @property
    def nscratch(self) -> int:
        """Number of scratch slots after the state vector."""
        return len(self.slots) - self.nstate

    def initial_vector(self) -> tuple:
        """The state before ``init`` runs: every slot's declared initial value."""
        return tuple(s.init for s in self.slots[: self.nstate])

    def slot_index(self, name: str) -> int:
        """Index of the slot called ``name`` (KeyError if none)."""
        for i, s in enumerate(self.slots):
            if s.name == name:
                return i
        raise KeyError(name)


#: The largest shift count: no 64-bit value can be shifted further (C leaves a count of 64 or
#: more undefined). A count outside ``0..MAX_SHIFT`` is an error, at compile time when it is a
#: constant and ``domain_overflow`` at run time, in every engine.
MAX_SHIFT = 63


def int_text(v: int) -> str:
    """``v`` in decimal for a message, or ``2**N+`` (``-2**N+``) when it has more than 30 digits.

    Python refuses to print integers of more than 4,300 digits, and a message
    should never be that long anyway.
    """
    if abs(v) < 10 ** 30:
        return str(v)
    return f"{'-' if v < 0 else ''}2**{abs(v).bit_length() - 1}+"


def shift_count_problem(b: int) -> str | None:
    """Why ``b`` cannot be a shift count (outside ``0..MAX_SHIFT``), or None if it can."""
    if b < 0:
        return f"negative shift count {int_text(b)}"
    if b > MAX_SHIFT:
        return f"shift count {int_text(b)} cannot be meant: no 64-bit value can be shifted more than {MAX_SHIFT}"
    return None


def site_kind(site: str) -> str:
    """The error kind of an assertion or warning site name (``WARN_ON@f`` -> warning)."""
    return WARNING if site.split("@")[0] in ("WARN_ON", "VM_WARN_ON") else ASSERTION


def is_ghost_name(name: str) -> bool:
    """Whether a slot name denotes ghost state (some component starts with ``ghost_``)."""
    return any(part.split("[")[0].startswith("ghost_") for part in name.split("."))


def node_successors(node: Node) -> tuple[int, ...]:
    """The CFG successors of ``node``."""
    if isinstance(node, Branch):
        return (node.then, node.orelse)
    if isinstance(node, Exit):
        return ()
    return (node.next,)


def expr_slots(expr: Expr, out: set[int], tables: tuple[Table, ...]) -> None:
    """Add every slot that evaluating ``expr`` may read to ``out``."""
    if isinstance(expr, Var):
        out.add(expr.slot)
    elif isinstance(expr, Mem):
        expr_slots(expr.index, out, tables)
        out.update(s + expr.offset for s in tables[expr.table].slots if s >= 0)
    elif isinstance(expr, Unary):
        expr_slots(expr.arg, out, tables)
    elif isinstance(expr, (Binary, PtrDiff)):
        a, b = (expr.left, expr.right)
        expr_slots(a, out, tables)
        expr_slots(b, out, tables)
    elif isinstance(expr, PtrAdd):
        expr_slots(expr.ptr, out, tables)
        expr_slots(expr.delta, out, tables)
    elif isinstance(expr, Cond):
        expr_slots(expr.cond, out, tables)
        expr_slots(expr.then, out, tables)
        expr_slots(expr.orelse, out, tables)


def node_exprs(node: Node) -> tuple[Expr, ...]:
    """The expressions a node evaluates (store targets' index expressions included)."""
    if isinstance(node, Assign):
        idx = (node.dst.index,) if isinstance(node.dst, Mem) else ()
        return (node.value,) + idx
    if isinstance(node, Choose):
        idx = (node.dst.index,) if isinstance(node.dst, Mem) else ()
        return (node.lo, node.hi) + idx
    if isinstance(node, (Branch, Assume, Check, Warn)):
        return (node.cond,)
    if isinstance(node, Print):
        return node.args
    return ()


def node_reads(node: Node, tables: tuple[Table, ...]) -> set[int]:
    """Slots a node may read."""
    out: set[int] = set()
    for e in node_exprs(node):
        expr_slots(e, out, tables)
    return out


def node_writes(node: Node, tables: tuple[Table, ...]) -> set[int]:
    """Slots a node may write."""
    if isinstance(node, (Assign, Choose)):
        d = node.dst
        if isinstance(d, Var):
            return {d.slot}
        return {s + d.offset for s in tables[d.table].slots if s >= 0}
    return set()


def expr_range(e: Expr, dom, tables: tuple[Table, ...], fallback: tuple[int, int] = (-(1 << 62), 1 << 62)
               ) -> tuple[int, int]:
    """A sound interval for the values of ``e``; ``dom(slot)`` gives a slot's (lo, hi)."""
    if isinstance(e, Const):
        return e.value, e.value
    if isinstance(e, Var):
        return dom(e.slot)
    if isinstance(e, Mem):
        rs = [dom(x + e.offset) for x in tables[e.table].slots if x >= 0]
        if not rs:
            return 0, 0
        return min(r[0] for r in rs), max(r[1] for r in rs)
    if isinstance(e, PtrAdd):
        return 0, len(tables[e.ptable].slots) - 1
    if isinstance(e, PtrDiff):
        n = len(tables[e.ptable].slots)
        return -n, n
    if isinstance(e, Unary):
        lo, hi = expr_range(e.arg, dom, tables, fallback)
        if e.op == "-":
            return -hi, -lo
        if e.op == "!":
            return 0, 1
        return ~hi, ~lo
    if isinstance(e, Cond):
        a = expr_range(e.then, dom, tables, fallback)
        b = expr_range(e.orelse, dom, tables, fallback)
        return min(a[0], b[0]), max(a[1], b[1])
    if isinstance(e, Binary):
        if e.op in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
            return 0, 1
        a0, a1 = expr_range(e.left, dom, tables, fallback)
        b0, b1 = expr_range(e.right, dom, tables, fallback)
        if e.op == "+":
            return a0 + b0, a1 + b1
        if e.op == "-":
            return a0 - b1, a1 - b0
        if e.op == "*":
            c = [a0 * b0, a0 * b1, a1 * b0, a1 * b1]
            return min(c), max(c)
        if e.op == "%":  # C: the sign of the dividend, smaller than the divisor
            m = max(abs(b0), abs(b1)) - 1
            if m < 0:
                return 0, 0  # always faults
            if a0 >= 0:
                return 0, min(a1, m)
            if a1 <= 0:
                return max(a0, -m), 0
            return max(a0, -m), min(a1, m)
        if e.op == "/":
            if b0 > 0 and a0 >= 0:
                return a0 // b1, a1 // b0
            m = max(abs(a0), abs(a1))
            return -m, m
        if a0 >= 0 and b0 >= 0:
            if e.op == "&":
                return 0, min(a1, b1)
            if e.op in ("|", "^"):
                return 0, (1 << max(a1, b1).bit_length()) - 1
            if e.op == ">>":
                return 0, a1
            if e.op == "<<" and b1 <= 62:
                return 0, a1 << b1
        return fallback
    return fallback


def remap_expr(e: Expr, m: dict[int, int]) -> Expr:
    """``e`` with every slot number ``s`` replaced by ``m[s]``."""
    if isinstance(e, Var):
        return Var(m[e.slot])
    if isinstance(e, Mem):
        return Mem(e.table, remap_expr(e.index, m), e.offset)
    if isinstance(e, Unary):
        return Unary(e.op, remap_expr(e.arg, m))
    if isinstance(e, Binary):
        return Binary(e.op, remap_expr(e.left, m), remap_expr(e.right, m))
    if isinstance(e, Cond):
        return Cond(remap_expr(e.cond, m), remap_expr(e.then, m), remap_expr(e.orelse, m))
    if isinstance(e, PtrAdd):
        return PtrAdd(e.ptable, remap_expr(e.ptr, m), remap_expr(e.delta, m))
    if isinstance(e, PtrDiff):
        return PtrDiff(e.ptable, remap_expr(e.left, m), remap_expr(e.right, m))
    return e


def remap_node(n: Node, m: dict[int, int]) -> Node:
    """A node with its slot numbers remapped."""
    import dataclasses
    changes = {}
    for f in ("dst", "value", "cond", "lo", "hi"):
        if hasattr(n, f):
            changes[f] = remap_expr(getattr(n, f), m)
    if isinstance(n, Print):
        changes["args"] = tuple(remap_expr(a, m) for a in n.args)
    return dataclasses.replace(n, **changes)
