"""Shared pieces of the lowering: marker names, settings, and the records
the other ``lower_*`` modules build (slots under construction, places,
inlined activations), plus small pure helpers on IR expressions.

Owns: :class:`Options`, :class:`SlotRec`, :class:`Place`, :class:`FuncCtx`,
the builtin name list, and ``_replace``/``_truth``/``_fold``/``_written_names``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pycparser import c_ast

from .. import ir
from ..ir import Binary, Cond, Const, Mem, PtrAdd, PtrDiff, Unary
from .ctypes import CType


PROPERTY_PREFIXES = {
    "__hugemc_invariant__": ir.INVARIANT,
    "__hugemc_reachable__": ir.REACHABLE,
    "__hugemc_final__": ir.FINAL,
}
THREAD_PREFIX = "__hugemc_thread__"
INIT_NAME = "__hugemc_init__"
ATOMIC_MARK = "__hugemc_atomic__"
GHOST_MARK = "__hugemc_ghost__"
GHOST_REGION = -1  # region of ghost code: never a unit, never split

BUILTINS = {
    "atomic_read", "atomic_set", "atomic_inc", "atomic_dec", "atomic_add", "atomic_sub",
    "atomic_inc_return", "atomic_dec_return", "atomic_add_return", "atomic_sub_return",
    "atomic_dec_and_test", "atomic_inc_and_test", "atomic_sub_and_test", "atomic_add_unless",
    "atomic_inc_not_zero", "atomic_cmpxchg", "atomic_xchg", "atomic_fetch_add", "atomic_fetch_sub",
    "set_bit", "clear_bit", "test_bit", "test_and_set_bit", "test_and_clear_bit",
    "__set_bit", "__clear_bit", "READ_ONCE", "WRITE_ONCE", "smp_store_release", "smp_load_acquire",
    "spin_lock", "spin_unlock", "spin_trylock", "spin_lock_irq", "spin_unlock_irq",
    "spin_lock_irqsave", "spin_unlock_irqrestore",
    "nondet_bool", "nondet_int", "assume", "assert", "BUG_ON", "VM_BUG_ON", "VM_BUG_ON_PAGE",
    "VM_BUG_ON_FOLIO", "BUG", "WARN_ON", "WARN_ON_ONCE", "VM_WARN_ON", "VM_WARN_ON_ONCE",
    "pr_warn", "pr_info", "pr_err", "pr_debug", "pr_notice", "printk",
    "smp_mb", "smp_wmb", "smp_rmb", "barrier", "cond_resched", "cpu_relax", "might_sleep",
}


@dataclass
class Options:
    """Scenario-level settings the lowering needs."""

    int_domain: tuple[int, int] = (-128, 127)
    unsigned_domain: tuple[int, int] = (0, 255)
    domain_overrides: list = field(default_factory=list)  # [(glob, lo, hi)]
    domain_locs: dict = field(default_factory=dict)  # glob -> SourceLoc in the scenario
    fatal_warnings: bool = False
    debug_vm: bool = True  # CONFIG_DEBUG_VM: with False, VM_BUG_ON*/VM_WARN_ON* compile to nothing
    library_dirs: tuple = ()  # folders of the shipped library (a user's function replaces its functions)
    # sizes that cannot be meant (raise with HUGEMC_MAX_ARRAY, HUGEMC_MAX_DOMAIN, HUGEMC_MAX_NONDET)
    max_array: int = 4096      # slots in one global array
    max_domain: int = 1 << 32  # values in one __range domain
    max_nondet: int = 1 << 16  # values one nondet_int() may choose among


@dataclass
class SlotRec:
    """A slot under construction (domains of temporaries grow until finalised)."""

    name: str
    lo: int
    hi: int
    init: int | None
    kind: str
    thread: int | None = None
    ctype: object = None
    auto: bool = False  # temporary: domain = union of what is stored into it
    labels: tuple = ()
    func: str = ""
    var: str = ""
    role: str = ""
    coord: object = None  # declaration (globals), for messages
    domain_note: str = ""  # how to widen the domain (globals): the define or the [domains] entry
    bit_labels: tuple = ()  # a flags word: bit number -> name (``__flags(E)``)


@dataclass
class Place:
    """An lvalue: a static run of slots, or a slot found through a table at run time."""

    type: CType
    base: int | None = None
    table: int | None = None
    index: object = None
    offset: int = 0
    array_base: tuple | None = None  # (static place of the array, index expr) for &a[i]


@dataclass
class FuncCtx:
    """One inlined activation of a model function."""

    name: str
    scopes: list
    ret_slot: int | None
    ret_type: CType
    ret_holes: list
    labels: dict
    gotos: list
    loops: list  # (break_holes, continue_target_or_holes)
    temp_next: int = 0


def _replace(e, old, new):
    if e is old:
        return new
    if isinstance(e, Mem):
        return Mem(e.table, _replace(e.index, old, new), e.offset)
    if isinstance(e, Unary):
        return Unary(e.op, _replace(e.arg, old, new))
    if isinstance(e, Binary):
        return Binary(e.op, _replace(e.left, old, new), _replace(e.right, old, new))
    if isinstance(e, Cond):
        return Cond(_replace(e.cond, old, new), _replace(e.then, old, new), _replace(e.orelse, old, new))
    if isinstance(e, PtrAdd):
        return PtrAdd(e.ptable, _replace(e.ptr, old, new), _replace(e.delta, old, new))
    if isinstance(e, PtrDiff):
        return PtrDiff(e.ptable, _replace(e.left, old, new), _replace(e.right, old, new))
    return e


def _truth(e):
    """``e != 0`` as 0/1 (identity for expressions already 0/1)."""
    if isinstance(e, Binary) and e.op in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
        return e
    if isinstance(e, Unary) and e.op == "!":
        return e
    if isinstance(e, Const):
        return Const(1 if e.value else 0)
    return Binary("!=", e, Const(0))


def domain_too_wide(lo: int, hi: int, max_domain: int) -> bool:
    """Whether the domain ``lo..hi`` is too wide to be meant: more than ``max_domain`` values,
    or a bound at 2**62 or beyond (the same rule for ``__range``, enums and ``[domains]``)."""
    return max(abs(lo), abs(hi)) >= 1 << 62 or hi - lo >= max_domain


def domain_hint(max_domain: int) -> str:
    """The hint of a domain too wide to be meant."""
    return (f"domains are explored value by value; at most {max_domain:,} values (raise it with "
            "HUGEMC_MAX_DOMAIN in [defines]), bounds below 2**62")


SHIFT_HINT = (f"shift counts are 0..{ir.MAX_SHIFT} (C leaves a count of 64 or more undefined, and values here "
              "never wrap); shift less, or write the constant you mean")


def shift_count_error(lw, op: str, count, node):
    """The located error for a constant shift count outside ``0..MAX_SHIFT`` (None if ``count`` is fine)."""
    if op not in ("<<", ">>", "<<=", ">>=") or not isinstance(count, Const):
        return None
    problem = ir.shift_count_problem(count.value)
    if problem is None:
        return None
    return lw.error(problem, node, hint=SHIFT_HINT)


def _fold(e):
    """Constant-fold a node whose operands are constants."""
    from ..ir.interp import Evaluator, Fault
    try:
        if isinstance(e, Unary) and isinstance(e.arg, Const):
            v = e.arg.value
            return Const(-v if e.op == "-" else ~v if e.op == "~" else (0 if v else 1))
        if isinstance(e, Binary) and isinstance(e.left, Const) and isinstance(e.right, Const):
            a, b = e.left.value, e.right.value
            if e.op == "&&":
                return Const(1 if (a and b) else 0)
            if e.op == "||":
                return Const(1 if (a or b) else 0)
            return Const(Evaluator.binop(e.op, a, b))
        if isinstance(e, Cond) and isinstance(e.cond, Const):
            return e.then if e.cond.value else e.orelse
    except Fault:
        return e
    return e


def _written_names(body) -> set[str]:
    """Names a function body assigns, increments, takes the address of, or redeclares."""
    out: set[str] = set()

    class V(c_ast.NodeVisitor):
        def visit_Assignment(self, n):
            if isinstance(n.lvalue, c_ast.ID):
                out.add(n.lvalue.name)
            self.generic_visit(n)

        def visit_UnaryOp(self, n):
            if n.op in ("++", "--", "p++", "p--", "&") and isinstance(n.expr, c_ast.ID):
                out.add(n.expr.name)
            self.generic_visit(n)

        def visit_Decl(self, n):
            if n.name:
                out.add(n.name)
            self.generic_visit(n)

    V().visit(body)
    return out


def _is_expr(node) -> bool:
    return isinstance(node, (c_ast.Assignment, c_ast.UnaryOp, c_ast.BinaryOp, c_ast.FuncCall,
                             c_ast.ExprList, c_ast.TernaryOp, c_ast.Cast, c_ast.StructRef, c_ast.ArrayRef))


def _coord(node) -> str:
    c = getattr(node, "coord", None)
    if c is None:
        return "?"
    return f"{c.file}:{c.line}"


def where(node) -> str:
    """``file:line`` of a node as users see paths (``mm/hugetlb.c:120`` for the library), for hints."""
    from ..diagnostics import display_path
    c = getattr(node, "coord", None)
    return "?" if c is None else f"{display_path(c.file)}:{c.line}"

