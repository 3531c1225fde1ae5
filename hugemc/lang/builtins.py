"""Lowering of the builtins: atomics, bit operations, locks, nondeterminism, checks, printk.

Atomicity follows DESIGN.md: each atomic builtin is one step (an atomic
region); ``READ_ONCE``/``WRITE_ONCE``/``atomic_read``/``atomic_set`` are a
single load or store; the non-atomic ``__set_bit``/``__clear_bit`` are a load
step and a store step. Arguments are evaluated before the atomic operation,
as in C.
"""

from __future__ import annotations

import ast as _pyast
import re

from pycparser import c_ast

from ..ir import (
    ASSERTION, UNLOCK, Assume, Binary, Branch, Check, Choose, Const, Print, Unary, Var, Warn,
)
from .ctypes import BOOL, INT, VOID, IntType, PtrType
from .lower_common import shift_count_error

_PR_LEVELS = {"pr_warn": "warn", "pr_info": "info", "pr_err": "err", "pr_debug": "debug",
              "pr_notice": "notice", "printk": "printk"}
_NOOPS = {"smp_mb", "smp_wmb", "smp_rmb", "barrier", "cond_resched", "cpu_relax", "might_sleep"}

_ARITY = {
    "atomic_read": 1, "atomic_set": 2, "atomic_inc": 1, "atomic_dec": 1, "atomic_add": 2,
    "atomic_sub": 2, "atomic_inc_return": 1, "atomic_dec_return": 1, "atomic_add_return": 2,
    "atomic_sub_return": 2, "atomic_dec_and_test": 1, "atomic_inc_and_test": 1,
    "atomic_sub_and_test": 2, "atomic_add_unless": 3, "atomic_inc_not_zero": 1,
    "atomic_cmpxchg": 3, "atomic_xchg": 2, "atomic_fetch_add": 2, "atomic_fetch_sub": 2,
    "set_bit": 2, "clear_bit": 2, "test_bit": 2, "test_and_set_bit": 2, "test_and_clear_bit": 2,
    "__set_bit": 2, "__clear_bit": 2, "READ_ONCE": 1, "WRITE_ONCE": 2, "smp_store_release": 2,
    "smp_load_acquire": 1, "spin_lock": 1, "spin_unlock": 1, "spin_trylock": 1,
    "spin_lock_irq": 1, "spin_unlock_irq": 1, "spin_lock_irqsave": 2, "spin_unlock_irqrestore": 2,
    "nondet_bool": 0, "nondet_int": 2, "assume": 1, "assert": 1, "BUG_ON": 1, "VM_BUG_ON": 1,
    "VM_BUG_ON_PAGE": 2, "VM_BUG_ON_FOLIO": 2, "BUG": 0, "WARN_ON": 1, "WARN_ON_ONCE": 1,
    "VM_WARN_ON": 1, "VM_WARN_ON_ONCE": 1,
}


def lower_builtin(lw, name: str, args: list, node, used: bool):
    """Lower a call to builtin ``name``; returns (IR expression, C type)."""
    if name in _NOOPS:
        return Const(0), VOID
    if name in _PR_LEVELS:
        return _printk(lw, name, args, node)
    want = _ARITY[name]
    if len(args) != want:
        raise lw.error(f"'{name}' takes {want} argument(s), {len(args)} given", node)
    lw.loc = lw.mkloc(node)
    key = name[2:] + "_nonatomic" if name.startswith("__") else name
    fn = globals().get("_b_" + key.lower())
    if fn is None:
        raise lw.error(f"builtin '{name}' is not implemented", node)  # pragma: no cover
    return fn(lw, args, node, used)


# -- helpers ----------------------------------------------------------------

def _target(lw, arg, what="an atomic counter"):
    """The int place a pointer argument designates (``&x`` or a pointer expression)."""
    if isinstance(arg, c_ast.UnaryOp) and arg.op == "&":
        p = lw.lvalue(arg.expr)
    else:
        e, t = lw.rvalue(arg)
        if not isinstance(t, PtrType):
            raise lw.error(f"expected a pointer to {what}", arg, hint="write &x")
        p = lw.deref_place(e, t, arg)
    if not isinstance(p.type, IntType):
        raise lw.error(f"expected a pointer to {what}, got a pointer to {p.type.name}", arg)
    return p


def _val(lw, arg):
    e, t = lw.rvalue(arg)
    return lw.pin(e)


def _rmw(lw, p, new):
    lw.emit_assign(lw.place_expr(p), new)


def _tmp(lw, value):
    t = lw.temp_for(value)
    lw.emit_assign(Var(t), value)
    return Var(t)


def _add(lw, args, sign, ret, test=None, fetch=False):
    if len(args) == 1:
        p, amount = _target(lw, args[0]), Const(1)
    else:
        amount = _val(lw, args[0])
        p = _target(lw, args[1])
    with lw.atomic():
        cur = lw.place_expr(p)
        if fetch:
            old = _tmp(lw, cur)
            _rmw(lw, p, Binary("+" if sign > 0 else "-", old, amount))
            return old, INT
        _rmw(lw, p, Binary("+" if sign > 0 else "-", cur, amount))
        if test is not None:
            return _tmp(lw, Binary("==", lw.place_expr(p), Const(0))), BOOL
        if ret:
            return _tmp(lw, lw.place_expr(p)), INT
    return Const(0), VOID


# -- atomics ----------------------------------------------------------------

def _b_atomic_read(lw, args, node, used):
    p = _target(lw, args[0])
    return lw.place_expr(p), INT


def _b_atomic_set(lw, args, node, used):
    p = _target(lw, args[0])
    v = _val(lw, args[1])
    lw.emit_assign(lw.place_expr(p), v)
    return Const(0), VOID


def _b_atomic_inc(lw, args, node, used):
    return _add(lw, args, +1, False)


def _b_atomic_dec(lw, args, node, used):
    return _add(lw, args, -1, False)


def _b_atomic_add(lw, args, node, used):
    return _add(lw, args, +1, False)


def _b_atomic_sub(lw, args, node, used):
    return _add(lw, args, -1, False)


def _b_atomic_inc_return(lw, args, node, used):
    return _add(lw, args, +1, True)


def _b_atomic_dec_return(lw, args, node, used):
    return _add(lw, args, -1, True)


def _b_atomic_add_return(lw, args, node, used):
    return _add(lw, args, +1, True)


def _b_atomic_sub_return(lw, args, node, used):
    return _add(lw, args, -1, True)


def _b_atomic_fetch_add(lw, args, node, used):
    return _add(lw, args, +1, False, fetch=True)


def _b_atomic_fetch_sub(lw, args, node, used):
    return _add(lw, args, -1, False, fetch=True)


def _b_atomic_dec_and_test(lw, args, node, used):
    return _add(lw, args, -1, False, test=True)


def _b_atomic_inc_and_test(lw, args, node, used):
    return _add(lw, args, +1, False, test=True)


def _b_atomic_sub_and_test(lw, args, node, used):
    return _add(lw, args, -1, False, test=True)


def _add_unless(lw, p, amount, unless):
    with lw.atomic():
        t = lw.temp_for(None)
        lw.emit_assign(Var(t), Binary("!=", lw.place_expr(p), unless))
        b = lw.emit(Branch, cond=Var(t), then=None, orelse=None)
        lw.cur = [(b, "then")]
        _rmw(lw, p, Binary("+", lw.place_expr(p), amount))
        lw.cur = lw.cur + [(b, "orelse")]
    return Var(t), BOOL


def _b_atomic_add_unless(lw, args, node, used):
    p = _target(lw, args[0])
    a = _val(lw, args[1])
    u = _val(lw, args[2])
    return _add_unless(lw, p, a, u)


def _b_atomic_inc_not_zero(lw, args, node, used):
    p = _target(lw, args[0])
    return _add_unless(lw, p, Const(1), Const(0))


def _b_atomic_cmpxchg(lw, args, node, used):
    p = _target(lw, args[0])
    old = _val(lw, args[1])
    new = _val(lw, args[2])
    with lw.atomic():
        t = _tmp(lw, lw.place_expr(p))
        b = lw.emit(Branch, cond=Binary("==", t, old), then=None, orelse=None)
        lw.cur = [(b, "then")]
        _rmw(lw, p, new)
        lw.cur = lw.cur + [(b, "orelse")]
    return t, INT


def _b_atomic_xchg(lw, args, node, used):
    p = _target(lw, args[0])
    new = _val(lw, args[1])
    with lw.atomic():
        t = _tmp(lw, lw.place_expr(p))
        _rmw(lw, p, new)
    return t, INT


# -- bit operations -----------------------------------------------------------

def _bit(lw, args):
    nr = _val(lw, args[0])
    err = shift_count_error(lw, "<<", nr, args[0])
    if err is not None:
        raise err
    p = _target(lw, args[1], "a flags word")
    return p, Binary("<<", Const(1), nr), nr


def _b_set_bit(lw, args, node, used):
    p, mask, _ = _bit(lw, args)
    with lw.atomic():
        _rmw(lw, p, Binary("|", lw.place_expr(p), mask))
    return Const(0), VOID


def _b_clear_bit(lw, args, node, used):
    p, mask, _ = _bit(lw, args)
    with lw.atomic():
        _rmw(lw, p, Binary("&", lw.place_expr(p), Unary("~", mask)))
    return Const(0), VOID


def _b_test_bit(lw, args, node, used):
    p, _, nr = _bit(lw, args)
    return Binary("&", Binary(">>", lw.place_expr(p), nr), Const(1)), BOOL


def _b_test_and_set_bit(lw, args, node, used):
    p, mask, nr = _bit(lw, args)
    with lw.atomic():
        t = _tmp(lw, Binary("&", Binary(">>", lw.place_expr(p), nr), Const(1)))
        _rmw(lw, p, Binary("|", lw.place_expr(p), mask))
    return t, BOOL


def _b_test_and_clear_bit(lw, args, node, used):
    p, mask, nr = _bit(lw, args)
    with lw.atomic():
        t = _tmp(lw, Binary("&", Binary(">>", lw.place_expr(p), nr), Const(1)))
        _rmw(lw, p, Binary("&", lw.place_expr(p), Unary("~", mask)))
    return t, BOOL


def _b_set_bit_nonatomic(lw, args, node, used):  # __set_bit: a load step, then a store step
    p, mask, _ = _bit(lw, args)
    lw.emit_assign(lw.place_expr(p), Binary("|", lw.place_expr(p), mask))
    return Const(0), VOID


def _b_clear_bit_nonatomic(lw, args, node, used):
    p, mask, _ = _bit(lw, args)
    lw.emit_assign(lw.place_expr(p), Binary("&", lw.place_expr(p), Unary("~", mask)))
    return Const(0), VOID


# -- plain accesses -------------------------------------------------------------

def _b_read_once(lw, args, node, used):
    p = lw.lvalue(args[0])
    return lw.read_place(p, args[0])


def _b_write_once(lw, args, node, used):
    p = lw.lvalue(args[0])
    v, vt = lw.rvalue(args[1])
    lw.store(p, lw.pin(v), vt, args[1])
    return Const(0), VOID


def _b_smp_store_release(lw, args, node, used):
    p = _target(lw, args[0], "a variable")
    v, vt = lw.rvalue(args[1])
    lw.store(p, lw.pin(v), vt, args[1])
    return Const(0), VOID


def _b_smp_load_acquire(lw, args, node, used):
    p = _target(lw, args[0], "a variable")
    return lw.place_expr(p), p.type


# -- locks ------------------------------------------------------------------------

def _holder(lw, node):
    if lw.owner is None:
        raise lw.error("locks can only be taken by threads (not in properties or init)", node)
    return Const(lw.owner + 1)


def _lock_name(lw, p):
    return lw.slots[p.base].name if p.base is not None else "the lock"


def _b_spin_lock(lw, args, node, used):
    p = _target(lw, args[0], "a spinlock")
    me = _holder(lw, node)
    with lw.atomic():
        lw.emit(Assume, cond=Binary("==", lw.place_expr(p), Const(0)))
        _rmw(lw, p, me)
    return Const(0), VOID


def _b_spin_unlock(lw, args, node, used):
    p = _target(lw, args[0], "a spinlock")
    me = _holder(lw, node)
    name = _lock_name(lw, p)
    with lw.atomic():
        lw.emit(Check, cond=Binary("!=", lw.place_expr(p), Const(0)), kind=UNLOCK,
                message=f"spin_unlock of {name}, which is not held")
        lw.emit(Check, cond=Binary("==", lw.place_expr(p), me), kind=UNLOCK,
                message=f"spin_unlock of {name}, which another thread holds")
        _rmw(lw, p, Const(0))
    return Const(0), VOID


def _b_spin_trylock(lw, args, node, used):
    p = _target(lw, args[0], "a spinlock")
    me = _holder(lw, node)
    with lw.atomic():
        t = _tmp(lw, Binary("==", lw.place_expr(p), Const(0)))
        b = lw.emit(Branch, cond=t, then=None, orelse=None)
        lw.cur = [(b, "then")]
        _rmw(lw, p, me)
        lw.cur = lw.cur + [(b, "orelse")]
    return t, BOOL


def _b_spin_lock_irq(lw, args, node, used):
    return _b_spin_lock(lw, args[:1], node, used)


def _b_spin_unlock_irq(lw, args, node, used):
    return _b_spin_unlock(lw, args[:1], node, used)


def _b_spin_lock_irqsave(lw, args, node, used):
    return _b_spin_lock(lw, args[:1], node, used)


def _b_spin_unlock_irqrestore(lw, args, node, used):
    return _b_spin_unlock(lw, args[:1], node, used)


# -- nondeterminism and checks ------------------------------------------------------

def _choose(lw, lo, hi):
    t = lw.temp_for(None)
    lw.emit(Choose, dst=Var(t), lo=lo, hi=hi)
    lw.note_auto(t, lo)
    lw.note_auto(t, hi)
    return Var(t)


def _b_nondet_bool(lw, args, node, used):
    return _choose(lw, Const(0), Const(1)), BOOL


def _b_nondet_int(lw, args, node, used):
    lo, _ = lw.rvalue(args[0])
    hi, _ = lw.rvalue(args[1])
    if lw.has_shared(lo) or lw.has_shared(hi):
        raise lw.error("nondet_int bounds must not read shared state", node,
                       hint="read the value into a local first")
    if isinstance(lo, Const) and isinstance(hi, Const) and hi.value - lo.value + 1 > lw.opt.max_nondet:
        n = hi.value - lo.value + 1
        raise lw.error(f"nondet_int over {n:,} values cannot be meant: each value is a branch of the search",
                       node, hint=f"choose among a few values (at most {lw.opt.max_nondet:,}; raise the cap with "
                                  "HUGEMC_MAX_NONDET in [defines])")
    return _choose(lw, lo, hi), INT


def _b_assume(lw, args, node, used):
    c, _ = lw.rvalue(args[0])
    lw.emit_cond_node(Assume, c)
    return Const(0), VOID


def _check(lw, cond, message, macro, node):
    site = lw.site_name(macro, node)
    lw.emit_cond_node(Check, cond, kind=ASSERTION, message=f"{message} [{site}]", site=site)
    return Const(0), VOID


def _b_assert(lw, args, node, used):
    c, _ = lw.rvalue(args[0])
    return _check(lw, c, f"assertion failed: {lw.text(args[0])}", "assert", node)


def _b_bug_on(lw, args, node, used):
    c, _ = lw.rvalue(args[0])
    return _check(lw, Unary("!", c), f"BUG_ON({lw.text(args[0])})", "BUG_ON", node)


def _vm_bug_on(lw, args, node, macro):
    if not lw.opt.debug_vm:  # CONFIG_DEBUG_VM=0: compiled out, the condition is not evaluated
        return Const(0), VOID
    c, _ = lw.rvalue(args[0])
    return _check(lw, Unary("!", c), f"{macro}({lw.text(args[0])})", macro, node)


def _b_vm_bug_on(lw, args, node, used):
    return _vm_bug_on(lw, args, node, "VM_BUG_ON")


def _b_vm_bug_on_page(lw, args, node, used):
    return _vm_bug_on(lw, args, node, "VM_BUG_ON_PAGE")


def _b_vm_bug_on_folio(lw, args, node, used):
    return _vm_bug_on(lw, args, node, "VM_BUG_ON_FOLIO")


def _b_bug(lw, args, node, used):
    return _check(lw, Const(0), "BUG()", "BUG", node)


def _warn(lw, args, node, used, label):
    c, _ = lw.rvalue(args[0])
    site = lw.site_name(label, node)
    msg = f"{label}({lw.text(args[0])}) [{site}]"
    if used:
        t = _tmp(lw, Binary("!=", c, Const(0)))
        lw.emit(Warn, cond=t, message=msg, site=site)
        return t, BOOL
    lw.emit_cond_node(Warn, c, message=msg, site=site)
    return Const(0), VOID


def _b_warn_on(lw, args, node, used):
    return _warn(lw, args, node, used, "WARN_ON")


def _b_warn_on_once(lw, args, node, used):
    return _warn(lw, args, node, used, "WARN_ON_ONCE")


def _b_vm_warn_on(lw, args, node, used):
    if not lw.opt.debug_vm:  # CONFIG_DEBUG_VM=0: compiled out
        return Const(0), VOID
    return _warn(lw, args, node, False, "VM_WARN_ON")


def _b_vm_warn_on_once(lw, args, node, used):
    if not lw.opt.debug_vm:
        return Const(0), VOID
    return _warn(lw, args, node, False, "VM_WARN_ON_ONCE")


# -- printk ---------------------------------------------------------------------------

_STR = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _printk(lw, name, args, node):
    if not args or not (isinstance(args[0], c_ast.Constant) and args[0].type == "string"):
        raise lw.error(f"'{name}' needs a format string literal first", node)
    raw = "".join(_STR.findall(args[0].value))
    try:
        fmt = _pyast.literal_eval('"' + raw + '"')
    except Exception:
        fmt = raw
    fmt = re.sub(r"^\\?0?[0-7]", "", fmt) if name == "printk" else fmt
    vals = []
    for a in args[1:]:
        e, t = lw.rvalue(a)
        vals.append(e)
    lw.loc = lw.mkloc(node)
    vals, _ = lw.split(vals)
    lw.emit(Print, level=_PR_LEVELS[name], fmt=fmt, args=tuple(vals))
    return Const(0), VOID
