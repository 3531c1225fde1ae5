"""Compile an IR program to Python functions (the fast successor function).

For each thread and each step boundary pc, the step rule of
:mod:`hugemc.ir.steps` is applied statically: the nodes a step can run are
expanded into straight-line Python (branches become ``if``, nondeterministic
choices ``for`` loops) that copies the state tuple into a list, updates it and
appends the successor tuple. Properties are partially evaluated: loops over
constant bounds unroll, so an invariant is a plain Python expression over the
state tuple.

Errors are never handled in generated code. Any fault (NULL dereference,
domain overflow, failed check, ...) raises, and the step is re-run by the
reference interpreter, which produces the exact outcomes and messages. The
same happens for steps too large to expand. So the generated code only has to
be right on error-free paths, and the interpreter is the single definition of
error semantics.

Safety: generated code contains only identifiers made here, integer literals
produced by ``int()``, and references to constants held in the namespace; no
identifier, string or number from a model is pasted into it as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .. import ir
from ..ir import (
    DONE, Assign, Assume, Binary, Branch, Check, Choose, Cond, Const, Exit, Jump, Mem, Print,
    MAX_SHIFT, Program, PtrAdd, PtrDiff, Unary, Var, Warn, expr_range,
)
from ..ir.interp import Fault, Interpreter, c_div, c_mod
from ..ir.steps import ThreadPlan, stops_before
from .layout import Layout, make_layout

MAX_PATH_NODES = 4000      # nodes emitted for one step function before falling back
MAX_DEPTH = 40             # nesting depth of generated blocks
MAX_ROUTINE_NODES = 20000  # nodes emitted for one property before falling back
BIG = 1 << 40              # table entry for NULL / one-past-the-end: indexing with it raises
SMALL_TABLE = 8            # tables indexed by at most this many values become chains of static accesses


class _TooBig(Exception):
    pass


class _Err(Exception):
    """Raised by generated code on any fault; the interpreter redoes the step."""


def _chk(x):
    if x is None:
        raise _Err
    return x


def _padd(lo_tab, end_tab, p, d):
    if p == 0:
        raise _Err
    r = p + d
    if not lo_tab[p] <= r <= end_tab[p]:
        raise _Err
    return r


def _pdiff(lo_tab, a, b):
    if a == 0 or b == 0 or lo_tab[a] != lo_tab[b]:
        raise _Err
    return a - b


def _div(a, b):
    return c_div(a, b)


def _mod(a, b):
    return c_mod(a, b)


def _shl(a, b):
    if not 0 <= b <= MAX_SHIFT:  # the interpreter reports it
        raise _Err
    return a << b


def _shr(a, b):
    if not 0 <= b <= MAX_SHIFT:
        raise _Err
    return a >> b


@dataclass
class Model:
    """A compiled program: what every explorer works with.

    States are packed integers (see :mod:`hugemc.backend.layout`; ``pack``
    and ``unpack`` convert to and from slot tuples).
    ``expand(state, res, errs, warns)`` appends successor states to ``res``,
    ``(thread, kind, message, loc, name)`` to ``errs`` and ``(thread, message, loc)``
    to ``warns``. ``properties`` holds ``(ir.Property, fn)`` where ``fn(state)``
    returns the predicate's truth on a packed state (raising :class:`~hugemc.ir.interp.Fault`
    if evaluating it faults).
    """

    program: Program
    expand: Callable
    properties: list
    pc_slots: tuple[int, ...]
    interp: Interpreter
    source: str
    fallback_steps: int
    coverage: "Coverage" = None  # type: ignore[assignment]
    layout: Layout = None  # type: ignore[assignment]
    thread_expand: list = None  # type: ignore[assignment]  # expand for one thread, by thread index
    invariants_hold: Callable | None = None  # all invariants at once (generated; may raise: then ask one by one)
    all_done: Callable = field(init=False)  # (packed state) -> whether every thread has returned (generated)

    def __post_init__(self) -> None:
        L = self.layout
        self.pack = L.pack
        self.unpack = L.unpack
        test = " and ".join(f"{L.code_text(p, 's')} == {int(L.pcs[p].index(DONE))}" for p in self.pc_slots)
        self.all_done = eval(f"lambda s: {test or 'True'}", {})  # integers only

    def initial_states(self) -> list[int]:
        """The initial states, packed (raises Fault if ``init`` faults)."""
        return [self.layout.pack(s) for s in self.interp.initial_states()]



class _Gen:
    """Code generator for one program."""

    max_path_nodes = MAX_PATH_NODES  # a step expanding to more nodes is left to the interpreter

    def __init__(self, program: Program, layout: Layout) -> None:
        self.p = program
        self.L = layout
        self.ns: dict = {"_chk": _chk, "_padd": _padd, "_pdiff": _pdiff, "_div": _div, "_mod": _mod,
                         "_shl": _shl, "_shr": _shr, "_Err": _Err}
        self.consts: dict[int, str] = {}
        self.lines: list[str] = []
        self.fallbacks = 0
        self.fallback_pcs: list[tuple[int, int]] = []
        self.cov = Coverage()
        self.ns["_cov"] = self.cov.counts
        tabs = program.tables
        for k, t in enumerate(tabs):
            self.ns[f"_T{k}"] = tuple(BIG if x < 0 else x for x in t.slots)
            if t.group_lo:
                self.ns[f"_GL{k}"] = t.group_lo
                self.ns[f"_GE{k}"] = t.group_end
        self.slot_lo = tuple(s.lo for s in program.slots)
        self.slot_hi = tuple(s.hi for s in program.slots)
        self.ns["_LO"] = self.slot_lo
        self.ns["_HI"] = self.slot_hi
        # packed-state tables (dynamic addresses); stores check the analysed range
        L = layout
        self.ns["_M"] = L.mult
        self.ns["_B"] = L.base
        self.ns["_O"] = L.off
        self.ns["_NLO"] = L.lo
        self.ns["_NHI"] = L.hi
        self.ns["_nn"] = _nn
        self.ns["_code"] = L.codeof
        self.ns["_get"] = _get_fn(L)
        for k, vals in L.pcs.items():
            self.ns[f"_PCV{k}"] = vals
        self.tmp = 0
        self.env: dict = {}
        self.cond_depth = 0
        self._joins: dict = {}

    def const(self, obj) -> str:
        """Name of a namespace constant holding ``obj`` (strings, locations ...)."""
        key = id(obj)
        if key not in self.consts:
            name = f"_K{len(self.consts)}"
            self.consts[key] = name
            self.ns[name] = obj
        return self.consts[key]

    # -- expressions -------------------------------------------------------
    def expr(self, e, v: str, known: frozenset) -> str:
        """Python expression text for IR expression ``e`` over vector variable ``v``."""
        if isinstance(e, Const):
            return str(int(e.value))
        if isinstance(e, Var):
            s = int(e.slot)
            if s in self.env:
                return self.env[s]
            if s >= self.p.nstate:  # scratch never assigned on this path: undefined
                return self.undef_text()
            r = self.read(s, v, s in known)
            if self.cond_depth == 0:  # evaluated for sure: later uses on this path reuse it
                self.tmp += 1
                name = f"_r{self.tmp}"
                self.env[s] = name
                return f"({name} := {r})"
            return r
        if isinstance(e, Mem):
            t = int(e.table)
            idx = self.expr(e.index, v, known)
            lo, hi = expr_range(e.index, self._dom, self.p.tables)
            tab = self.p.tables[t].slots
            off = int(e.offset)
            if self.small_table(tab, off, lo, hi):
                # a small table: a chain of static reads (NULL entries fault)
                self.tmp += 1
                iv = f"_i{self.tmp}"
                self.cond_depth += hi > lo

                def one(i):
                    return self.expr(Var(tab[i] + off), v, frozenset()) if tab[i] >= 0 else self.undef_text()
                txt = one(hi)
                for i in range(hi - 1, lo - 1, -1):
                    txt = f"({one(i)} if {iv} == {i} else {txt})"
                self.cond_depth -= hi > lo
                return f"({iv} := {idx}, {txt})[1]" if hi > lo else txt
            addr = f"_T{t}[{idx}]" if lo >= 0 else f"_T{t}[_chk_idx({idx})]"
            self.ns["_chk_idx"] = _chk_idx
            off = int(e.offset)
            return self.dyn_read(v, f"{addr} + {off}" if off else addr)
        if isinstance(e, Unary):
            a = self.expr(e.arg, v, known)
            if e.op == "-":
                return f"(-{a})"
            if e.op == "~":
                return f"(~{a})"
            return f"(0 if {a} else 1)"
        if isinstance(e, Binary):
            a = self.expr(e.left, v, known)
            lazy = e.op in ("&&", "||")
            self.cond_depth += lazy
            b = self.expr(e.right, v, known)
            self.cond_depth -= lazy
            if e.op in ("%", "/") and isinstance(e.right, Const) and e.right.value > 0 and \
                    expr_range(e.left, self._dom, self.p.tables)[0] >= 0:
                return f"({a} {'%' if e.op == '%' else '//'} {b})"  # C and Python agree here
            return _binop_text(e.op, a, b)
        if isinstance(e, Cond):
            c = self.expr(e.cond, v, known)
            self.cond_depth += 1
            a = self.expr(e.then, v, known)
            b = self.expr(e.orelse, v, known)
            self.cond_depth -= 1
            return f"({a} if {c} else {b})"
        if isinstance(e, PtrAdd):
            t = int(e.ptable)
            return f"_padd(_GL{t}, _GE{t}, {self.expr(e.ptr, v, known)}, {self.expr(e.delta, v, known)})"
        if isinstance(e, PtrDiff):
            t = int(e.ptable)
            return f"_pdiff(_GL{t}, {self.expr(e.left, v, known)}, {self.expr(e.right, v, known)})"
        raise AssertionError(f"unknown expression {e!r}")

    def small_table(self, tab: tuple, off: int, lo: int, hi: int) -> bool:
        """Whether an access through ``tab`` with an index in ``lo..hi`` becomes a chain of static accesses."""
        return 0 <= lo and hi < len(tab) and hi - lo < SMALL_TABLE and all(
            tab[i] < 0 or tab[i] + off < self.p.nstate for i in range(lo, hi + 1))

    def code(self, s: int, v: str) -> str:
        """Python text for the code of state slot ``s`` in packed state ``v``."""
        return self.L.code_text(s, v)

    def read(self, s: int, v: str, known: bool) -> str:
        """Python text for the value of state slot ``s`` (raising _Err if it may be undefined)."""
        L = self.L
        if s in L.pcs:
            return f"_PCV{int(s)}[{self.code(s, v)}]"
        c = self.code(s, v)
        off = int(L.off[s])
        if L.nullable[s] and not known:
            c = f"_nn({c})"
        return f"({c} + {off})" if off else c

    def _dom(self, s: int) -> tuple[int, int]:
        if s < self.p.nstate and s not in self.L.pcs and self.L.lo[s] <= self.L.hi[s]:
            return self.L.lo[s], self.L.hi[s]  # every defined value lies in the analysed range
        return self.slot_lo[s], self.slot_hi[s]

    def store(self, dst, value, v: str, known: frozenset, out: list, ind: str, value_text: str | None = None,
              value_range: tuple[int, int] = (-(1 << 62), 1 << 62)) -> frozenset:
        """Emit a checked store; returns the updated set of known-assigned locals."""
        if value_text is None:
            val = self.expr(value, v, known)
            vr = expr_range(value, self._dom, self.p.tables)
        else:  # a value computed by the caller
            val, vr = value_text, value_range
        if isinstance(dst, Var):
            s = int(dst.slot)
            k = _fold(val)
            if s >= self.p.nstate:  # scratch: a Python variable per assignment, declared domain
                lo, hi = self.slot_lo[s], self.slot_hi[s]
                if k is not None and lo <= k <= hi:
                    self.env[s] = str(k)
                    return known | {s}
                self.tmp += 1
                x = f"_x{self.tmp}"
                out.append(f"{ind}{x} = {val}")
                if not (lo <= vr[0] and vr[1] <= hi):
                    out.append(f"{ind}if not {int(lo)} <= {x} <= {int(hi)}: raise _Err")
                self.env[s] = x
                return known | {s}
            lo, hi = self.L.lo[s], self.L.hi[s]  # the analysed range (within the declared domain)
            if k is not None and lo <= k <= hi:
                x = str(k)
            else:
                self.tmp += 1
                x = f"_x{self.tmp}"
                out.append(f"{ind}{x} = {val}")
                if not (lo <= vr[0] and vr[1] <= hi):
                    out.append(f"{ind}if not {int(lo)} <= {x} <= {int(hi)}: raise _Err")
            old = self.env.get(s)
            if old is not None:  # codes differ as values do
                if old != x:
                    if old.lstrip("-").isdigit() and x.lstrip("-").isdigit():
                        out.extend(self.bump(v, s, int(x) - int(old), ind))
                    else:
                        out.extend(self.bump(v, s, f"({x} - {old})", ind))
            else:
                out.extend(self.bump(v, s, f"({x} - {int(self.L.off[s])} - {self.code(s, v)})", ind))
            self.env[s] = x
            return known | {s}
        t = int(dst.table)
        idx = self.expr(dst.index, v, known)
        lo, hi = expr_range(dst.index, self._dom, self.p.tables)
        tab = self.p.tables[t].slots
        off = int(dst.offset)
        if self.small_table(tab, off, lo, hi):
            # a small table: one static store per possible index (NULL entries fault)
            self.tmp += 1
            xv, iv = f"_x{self.tmp}", f"_i{self.tmp}"
            out.append(f"{ind}{xv} = {val}")  # first: the index text may reuse reads cached by the value's
            out.append(f"{ind}{iv} = {idx}")
            saved = dict(self.env)
            if lo == hi:
                if tab[lo] < 0:
                    out.append(f"{ind}raise _Err")
                    return known
                return self.store(Var(tab[lo] + off), None, v, known, out, ind, value_text=xv, value_range=vr)
            for i in range(lo, hi + 1):
                out.append(f"{ind}{'if' if i == lo else 'elif'} {iv} == {i}:" if i < hi else f"{ind}else:")
                if tab[i] < 0:
                    out.append(f"{ind}    raise _Err")
                    continue
                self.env = dict(saved)
                k = len(out)
                self.store(Var(tab[i] + off), None, v, known, out, ind + "    ", value_text=xv, value_range=vr)
                if len(out) == k:
                    out.append(f"{ind}    pass")
            self.env = saved
            for i in range(lo, hi + 1):
                self.env.pop(tab[i] + off, None)
            return known
        self.ns["_chk_idx"] = _chk_idx
        addr = f"_T{t}[{idx}]" if lo >= 0 else f"_T{t}[_chk_idx({idx})]"
        out.append(f"{ind}_x = {val}")
        out.append(f"{ind}_a = {addr} + {int(dst.offset)}")
        out.append(f"{ind}if not _NLO[_a] <= _x <= _NHI[_a]: raise _Err")
        out.extend(self.dyn_store(v, ind))
        for x in self.p.tables[t].slots:  # any of them may have changed
            if x >= 0:
                self.env.pop(x + int(dst.offset), None)
        return known

    # -- how the packed state is read and changed (overridden by the C generator) --
    def undef_text(self) -> str:
        """Text of a read of a value that is undefined on this path (it faults)."""
        return "_chk(None)"

    def dyn_read(self, v: str, addr: str) -> str:
        """Text reading the slot whose number is the value of ``addr`` in state ``v``."""
        return f"_get({v}, {addr})"

    def dyn_store(self, v: str, ind: str) -> list[str]:
        """Lines storing ``_x`` (checked) into the slot numbered ``_a`` of state ``v``."""
        return [f"{ind}_m = _M[_a]", f"{ind}{v} += (_x - _O[_a] - _code({v}, _a)) * _m"]

    def bump(self, v: str, s: int, factor, ind: str) -> list[str]:
        """Lines adding ``factor`` (an int or Python text) to the code of slot ``s`` of state ``v``."""
        m = int(self.L.mult[s])
        if isinstance(factor, int):
            return [f"{ind}{v} += {factor * m}"] if factor else []
        return [f"{ind}{v} += {factor} * {m}"]

    def copy_state(self, m: str, v: str, ind: str) -> list[str]:
        """Lines making ``m`` a copy of state ``v`` (with its pending warnings)."""
        return [f"{ind}{m} = {v}", f"{ind}{m}w = {v}w"]

    def warn_line(self, v: str, c: str, w: str, ind: str) -> str:
        """The line recording warning constant ``w`` on state ``v``'s path when ``c`` holds."""
        return f"{ind}if {c}: {v}w = {v}w + ({w},)"

    def emit(self, v: str, k: int, ind: str) -> list[str]:
        """Lines counting coverage path ``k`` and appending successor ``v``."""
        out = [f"{ind}_cov[{k}] += 1", f"{ind}res.append({v})"]
        if "w" in self.env:
            out.append(f"{ind}if {v}w: warns.extend({v}w)")
        return out

    # -- thread steps ----------------------------------------------------------
    def step_function(self, tid: int, plan: ThreadPlan, pc: int, da: list) -> str:
        """Source of the function for the step of thread ``tid`` from boundary ``pc``."""
        name = f"_s{tid}_{pc}"
        try:
            body = self.step_body(tid, plan, pc, da)
            # a step without choices appends at most once, at the end of a path:
            # nothing to undo when it faults
            roll = self.choose
            code = [f"def {name}(s, res, errs, warns):"] + (
                ["    r0 = len(res); w0 = len(warns)"] if roll else []) + [
                    "    try:",
                    "        n = s"] + (["        nw = ()"] if self.warn or self.choose else []) + body + [
                    "    except Exception:"] + (
                ["        del res[r0:]; del warns[w0:]"] if roll else []) + [
                    f"        _slow({tid}, s, res, errs, warns)"]
        except _TooBig:
            self.fallbacks += 1
            code = [f"def {name}(s, res, errs, warns):", f"    _slow({tid}, s, res, errs, warns)"]
        self.fallback_pcs.append((tid, pc))
        return "\n".join(code)

    def step_body(self, tid: int, plan: ThreadPlan, pc: int, da: list) -> list[str]:
        """The lines of the step of thread ``tid`` from boundary ``pc`` over state ``n`` (raises _TooBig)."""
        body: list[str] = []
        self.count = 0
        self.start_pc = pc
        self.env = {}  # state slot -> Python text of its current (defined) value on this path
        self.cond_depth = 0  # > 0 inside a sub-expression that may not be evaluated
        self.choose = self.warn = False
        self.path(tid, plan, pc, False, "n", da[pc], body, "        ", 0, True, ())
        return body or ["        pass"]

    def path(self, tid, plan, pc, units_done, v, known, out, ind, depth, first, trail) -> None:
        """Emit code for the rest of a step from node ``pc`` (static expansion)."""
        thread = self.p.threads[tid]
        nodes = thread.nodes
        while True:
            self.count += 1
            if self.count > self.max_path_nodes or depth > MAX_DEPTH:
                raise _TooBig
            node = nodes[pc]
            if not first and stops_before(plan, nodes, pc, units_done):
                self.finish(tid, plan, pc, v, out, ind, trail)
                return
            first = False
            if plan.region_entry[pc] or (node.region == 0 and plan.shared[pc]):
                units_done = True
            trail = trail + (pc,)
            if isinstance(node, Exit):
                self.finish(tid, plan, DONE, v, out, ind, trail)
                return
            if isinstance(node, Assign):
                known = self.store(node.dst, node.value, v, known, out, ind)
                pc = node.next
            elif isinstance(node, Jump):
                pc = node.next
            elif isinstance(node, Branch):
                # (a loop inside a step unrolls until MAX_PATH_NODES, then the
                # step is left to the memoised interpreter)
                c = self.expr(node.cond, v, known)
                k = _fold(c)
                if k is not None:  # known when generating (a local loop with constant bounds)
                    pc = node.then if k else node.orelse
                    continue
                out.append(f"{ind}if {c}:")
                saved = dict(self.env)
                k0 = len(out)
                self.path(tid, plan, node.then, units_done, v, known, out, ind + "    ", depth + 1, False, trail)
                if len(out) == k0:  # the path was cut while generating (an assume known false)
                    out.append(f"{ind}    pass")
                self.env = saved
                out.append(f"{ind}else:")
                k0 = len(out)
                self.path(tid, plan, node.orelse, units_done, v, known, out, ind + "    ", depth + 1, False, trail)
                if len(out) == k0:  # the path was cut while generating (an assume known false)
                    out.append(f"{ind}    pass")
                return
            elif isinstance(node, Assume):
                c = self.expr(node.cond, v, known)
                k = _fold(c)
                if k is not None:
                    if not k:
                        return  # this path is cut: no successor
                    pc = node.next
                    continue
                out.append(f"{ind}if {c}:")
                k0 = len(out)
                self.path(tid, plan, node.next, units_done, v, known, out, ind + "    ", depth + 1, False, trail)
                if len(out) == k0:  # the path was cut while generating (an assume known false)
                    out.append(f"{ind}    pass")
                return
            elif isinstance(node, Check):
                c = self.expr(node.cond, v, known)
                out.append(f"{ind}if not {c}: raise _Err")
                pc = node.next
            elif isinstance(node, Warn):
                c = self.expr(node.cond, v, known)
                if self.p.fatal_warnings:
                    out.append(f"{ind}if {c}: raise _Err")
                else:  # kept with the path: reported only if the path completes
                    w = self.const((tid, node.message, node.loc))
                    self.warn = True
                    self.env["w"] = "1"  # this path may carry warnings
                    out.append(self.warn_line(v, c, w, ind))
                pc = node.next
            elif isinstance(node, Print):
                for a in node.args:  # evaluate for faults; the text is made on replay
                    out.append(f"{ind}{self.expr(a, v, known)}")
                pc = node.next
            elif isinstance(node, Choose):
                lo = self.expr(node.lo, v, known)
                hi = self.expr(node.hi, v, known)
                m = f"m{depth}"
                self.choose = True
                out.append(f"{ind}for _c{depth} in range({lo}, {hi} + 1):")
                out.extend(self.copy_state(m, v, ind + "    "))
                if isinstance(node.dst, Var):
                    out.append(f"{ind}    _c = _c{depth}")
                    k2 = self.store(node.dst, Var(-1), m, known, out, ind + "    ", value_text="_c")
                else:
                    raise _TooBig
                k0 = len(out)
                self.path(tid, plan, node.next, units_done, m, k2, out, ind + "    ", depth + 1, False, trail)
                if len(out) == k0:  # the path was cut while generating (an assume known false)
                    out.append(f"{ind}    pass")
                return
            else:
                raise AssertionError(f"unknown node {node!r}")

    def finish(self, tid, plan, pc, v, out, ind, trail=()) -> None:
        thread = self.p.threads[tid]
        clear = plan.clear_done if pc == DONE else plan.clear_at[pc]
        for s in clear:
            if s < self.p.nstate and self.L.base[s] > 1:
                cur = self.env.get(s)
                if cur is None:
                    out.extend(self.bump(v, s, f"(-{self.code(s, v)})", ind))
                elif cur.lstrip("-").isdigit():
                    out.extend(self.bump(v, s, int(self.L.off[s]) - int(cur), ind))
                else:
                    out.extend(self.bump(v, s, f"({int(self.L.off[s])} - {cur})", ind))
        ps = thread.pc_slot
        pcs = self.L.pcs[ps]
        out.extend(self.bump(v, ps, pcs.index(pc) - pcs.index(self.start_pc), ind))
        out.extend(self.emit(v, int(self.cov.index(tid, trail)), ind))

    # -- properties ----------------------------------------------------------------
    def routine_function(self, name: str, r: ir.Routine) -> str | None:
        """Source of ``name(s) -> bool`` for a property routine, or None to interpret."""
        out = self.routine_body(r)
        if out is None:
            return None
        return "\n".join([f"def {name}(s):", "    try:"] + out + [
            "    except Exception:", "        raise _Err"])

    def routine_body(self, r: ir.Routine) -> list[str] | None:
        """The lines of a property routine over state ``s`` (indented for a ``try``), or None to interpret."""
        out: list[str] = []
        self.count = 0
        self.maybe_none: set[str] = set()
        try:
            self.rpath(r, r.entry, {}, out, "        ", 0)
        except _TooBig:
            return None
        return out

    def rexpr(self, e, env: dict):
        """Partially evaluate ``e``: an int if known, else Python text over ``s``."""
        if isinstance(e, Const):
            return int(e.value)
        if isinstance(e, Var):
            s = e.slot
            if s < self.p.nstate:
                return self.read(s, "s", False)
            if s in env:
                return f"_chk({env[s]})" if env[s] in self.maybe_none else env[s]
            raise _Err  # uninitialised scratch: let the interpreter report it
        if isinstance(e, Mem):
            idx = self.rexpr(e.index, env)
            t = self.p.tables[e.table]
            if isinstance(idx, int):
                if not 0 <= idx < len(t.slots) or t.slots[idx] < 0:
                    raise _Err
                return self.rexpr(Var(t.slots[idx] + e.offset), env)
            self.ns["_chk_idx"] = _chk_idx
            return self.dyn_read("s", f"_T{int(e.table)}[_chk_idx({idx})] + {int(e.offset)}")
        if isinstance(e, Unary):
            a = self.rexpr(e.arg, env)
            if isinstance(a, int):
                return -a if e.op == "-" else ~a if e.op == "~" else (0 if a else 1)
            return f"(-{a})" if e.op == "-" else f"(~{a})" if e.op == "~" else f"(0 if {a} else 1)"
        if isinstance(e, Binary):
            a = self.rexpr(e.left, env)
            if e.op in ("&&", "||") and isinstance(a, int):
                if e.op == "&&" and not a:
                    return 0
                if e.op == "||" and a:
                    return 1
                b = self.rexpr(e.right, env)
                return (1 if b else 0) if isinstance(b, int) else f"(1 if {b} else 0)"
            b = self.rexpr(e.right, env)
            if isinstance(a, int) and isinstance(b, int):
                from ..ir.interp import Evaluator
                try:
                    return Evaluator.binop(e.op, a, b)
                except Fault:
                    raise _Err from None
            return _binop_text(e.op, str(a), str(b))
        if isinstance(e, Cond):
            c = self.rexpr(e.cond, env)
            if isinstance(c, int):
                return self.rexpr(e.then if c else e.orelse, env)
            return f"({self.rexpr(e.then, env)} if {c} else {self.rexpr(e.orelse, env)})"
        if isinstance(e, PtrAdd):
            p = self.rexpr(e.ptr, env)
            d = self.rexpr(e.delta, env)
            t = self.p.tables[e.ptable]
            if isinstance(p, int) and isinstance(d, int):
                if p == 0 or not t.group_lo[p] <= p + d <= t.group_end[p]:
                    raise _Err
                return p + d
            return f"_padd(_GL{int(e.ptable)}, _GE{int(e.ptable)}, {p}, {d})"
        if isinstance(e, PtrDiff):
            a = self.rexpr(e.left, env)
            b = self.rexpr(e.right, env)
            return f"_pdiff(_GL{int(e.ptable)}, {a}, {b})"
        raise AssertionError(e)

    def join(self, r: ir.Routine, n: int) -> int | None:
        """Where the two branches of routine node ``n`` meet again, ignoring paths that return.

        The first node (in breadth-first order from both successors) that
        every path from either successor reaches, unless it returns first,
        without going round a loop or back to ``n``. None if there is none.
        """
        key = (id(r), n)
        if key in self._joins:
            return self._joins[key][1]
        nodes = r.nodes
        a, b = ir.node_successors(nodes[n])

        memo: dict[int, dict[int, bool]] = {}

        def must_reach(x: int, j: int) -> bool:
            """Every path from x reaches j (or returns) without a loop or n: linear, memoised per j.

            A node met again while on the DFS stack lies on a cycle, so it is False
            whatever the path that led there: the memo is sound for both answers.
            """
            done = memo.setdefault(j, {})
            if x in done:
                return done[x]
            if x == j or isinstance(nodes[x], Exit) or x == n:
                done[x] = x != n
                return done[x]
            on = {x}
            stack = [(x, iter(ir.node_successors(nodes[x])), True)]
            while stack:
                y, succ, ok = stack[-1]
                z = next(succ, None)
                if z is None or not ok:
                    stack.pop()
                    on.discard(y)
                    done[y] = ok
                    if stack:
                        py, psucc, pok = stack[-1]
                        stack[-1] = (py, psucc, pok and ok)
                    continue
                if z == j or isinstance(nodes[z], Exit):
                    continue
                if z == n or z in on:
                    stack[-1] = (y, succ, False)
                    continue
                if z in done:
                    if not done[z]:
                        stack[-1] = (y, succ, False)
                    continue
                on.add(z)
                stack.append((z, iter(ir.node_successors(nodes[z])), True))
            return done[x]

        found = None
        seen = {a, b}
        queue = [a, b]
        k = 0
        while k < len(queue) and k < 200:
            c = queue[k]
            k += 1
            if c != n and not isinstance(nodes[c], Exit) and must_reach(a, c) and must_reach(b, c):
                found = c
                break
            for z in ir.node_successors(nodes[c]):
                if z not in seen and z != n:
                    seen.add(z)
                    queue.append(z)
        self._joins[key] = (r, found)  # keep r alive so its id stays unique
        return found

    def rpath(self, r: ir.Routine, pc: int, env: dict, out: list, ind: str, depth: int,
              stop: int | None = None) -> dict | None:
        """Emit the routine from ``pc``; returns the environment on reaching ``stop``, None if every path ended."""
        nodes = r.nodes
        while True:
            if pc == stop:
                return env
            self.count += 1
            if self.count > MAX_ROUTINE_NODES or depth > MAX_DEPTH:
                raise _TooBig
            node = nodes[pc]
            try:
                if isinstance(node, Exit):
                    val = env.get(r.result) if r.result is not None else 1
                    if val is None or val == "None":
                        raise _TooBig
                    if val in self.maybe_none:
                        val = f"_chk({val})"
                    out.append(f"{ind}return bool({val})")
                    return None
                if isinstance(node, Assign):
                    if not isinstance(node.dst, Var) or node.dst.slot < self.p.nstate:
                        raise _TooBig
                    val = self.rexpr(node.value, env)
                    s = node.dst.slot
                    if isinstance(val, int):
                        if not self.slot_lo[s] <= val <= self.slot_hi[s]:
                            raise _TooBig
                        env = {**env, s: val}
                    else:
                        var = f"v{self.count}"
                        out.append(f"{ind}{var} = {val}")
                        out.append(f"{ind}if not {int(self.slot_lo[s])} <= {var} <= {int(self.slot_hi[s])}: raise _Err")
                        env = {**env, s: var}
                    pc = node.next
                elif isinstance(node, (Jump, Print)):
                    if isinstance(node, Print):
                        for a in node.args:
                            x = self.rexpr(a, env)
                            if not isinstance(x, int):
                                out.append(f"{ind}{x}")
                    pc = node.next
                elif isinstance(node, Warn):
                    c = self.rexpr(node.cond, env)
                    if self.p.fatal_warnings:
                        if isinstance(c, int):
                            if c:
                                raise _TooBig
                        else:
                            out.append(f"{ind}if {c}: raise _Err")
                    pc = node.next
                elif isinstance(node, (Branch, Assume, Check)):
                    c = self.rexpr(node.cond, env)
                    if isinstance(node, Branch):
                        if isinstance(c, int):
                            pc = node.then if c else node.orelse
                            continue
                        # both branches are emitted up to the point where they join
                        # again (the branch's immediate post-dominator); values that
                        # differ there get a variable assigned in each branch. So an
                        # unrolled loop over many pages grows linearly, not 2**n.
                        join = self.join(r, pc)
                        t_out: list[str] = []
                        e_out: list[str] = []
                        env_t = self.rpath(r, node.then, env, t_out, ind + "    ", depth + 1, join)
                        env_e = self.rpath(r, node.orelse, env, e_out, ind + "    ", depth + 1, join)
                        if env_t is None or env_e is None:
                            merged = env_t if env_e is None else env_e
                        else:
                            merged = {}
                            for k in env_t.keys() | env_e.keys():
                                a, b = env_t.get(k, "None"), env_e.get(k, "None")  # None: undefined there
                                if a == b:
                                    merged[k] = a
                                else:
                                    self.count += 1
                                    var = f"v{self.count}"
                                    t_out.append(f"{ind}    {var} = {a}")
                                    e_out.append(f"{ind}    {var} = {b}")
                                    merged[k] = var
                                    if "None" in (a, b) or a in self.maybe_none or b in self.maybe_none:
                                        self.maybe_none.add(var)  # reads check it (undefined faults)
                        out.append(f"{ind}if {c}:")
                        out.extend(t_out or [f"{ind}    pass"])
                        out.append(f"{ind}else:")
                        out.extend(e_out or [f"{ind}    pass"])
                        if merged is None:
                            return None
                        env = merged
                        pc = join
                        continue
                    if isinstance(node, Assume):
                        if isinstance(c, int):
                            if not c:
                                out.append(f"{ind}return True")
                                return
                        else:
                            out.append(f"{ind}if not {c}: return True")
                        pc = node.next
                    else:
                        if isinstance(c, int):
                            if not c:
                                raise _TooBig
                        else:
                            out.append(f"{ind}if not {c}: raise _Err")
                        pc = node.next
                else:
                    raise _TooBig  # Choose and anything unusual: interpret
            except _Err:
                raise _TooBig from None


class Coverage:
    """Which IR nodes the explored steps ran, and how often.

    Every distinct path a step can take (a leaf of the generated code, or an
    outcome of an interpreted step) is registered as ``(thread, nodes)``;
    ``counts[k]`` is how many times path ``k`` was taken during the search.
    """

    def __init__(self) -> None:
        self.paths: list[tuple[int, tuple[int, ...]]] = []
        self.counts: list[int] = []
        # hits counted per node and per step start directly (steps the compiled engine runs as a goto per node)
        self.extra_nodes: dict[tuple[int, int], int] = {}
        self.extra_steps: dict[tuple[int, int], int] = {}
        self._index: dict[tuple[int, tuple[int, ...]], int] = {}

    def index(self, tid: int, pcs: tuple[int, ...]) -> int:
        """The number of path ``(tid, pcs)``, registered on first use."""
        key = (tid, pcs)
        k = self._index.get(key)
        if k is None:
            k = len(self.paths)
            self._index[key] = k
            self.paths.append(key)
            self.counts.append(0)
        return k

    def node_hits(self) -> dict[tuple[int, int], int]:
        """(thread, node) -> times executed."""
        hits: dict[tuple[int, int], int] = dict(self.extra_nodes)
        for (tid, pcs), n in zip(self.paths, self.counts):
            if n:
                for pc in set(pcs):
                    hits[(tid, pc)] = hits.get((tid, pc), 0) + n
        return hits

    def step_hits(self) -> dict[tuple[int, int], int]:
        """(thread, boundary pc) -> times a step starting there was taken."""
        hits: dict[tuple[int, int], int] = dict(self.extra_steps)
        for (tid, pcs), n in zip(self.paths, self.counts):
            if n and pcs:
                hits[(tid, pcs[0])] = hits.get((tid, pcs[0]), 0) + n
        return hits


class _MemoSlow:
    """Steps run by the interpreter, memoised on the values of the slots they can read.

    A step's outcomes depend only on the slots it may read (its static read
    set, which over-approximates every path the step rule allows, plus its
    thread's pc). Each outcome is stored as the slots it actually wrote (stores,
    cleared dead locals, the pc) with their new codes, and replayed onto any
    packed state with the same read codes.
    """

    def __init__(self, program: Program, interp: Interpreter, cov: "Coverage", layout: Layout) -> None:
        self.cov = cov
        from ..ir.steps import step_infos
        self.interp = interp
        self.L = layout
        self.keys: dict[tuple[int, int], tuple] = {}
        self.cache: dict = {}
        for t in program.threads:
            infos = step_infos(program, t.index, interp.plans[t.index])
            for pc, info in infos.items():
                # everything the step may read or change: then an outcome is a
                # constant difference of packed states
                reads = sorted(r for r in info.reads | info.writes | set(t.locals) | {t.pc_slot}
                               if r < program.nstate)
                body = ", ".join(layout.code_text(r, "s") for r in reads)  # integers only
                self.keys[(t.index, pc)] = eval(f"lambda s: ({body},)", {})
        self.pc_slot = [t.pc_slot for t in program.threads]

    def __call__(self, tid, s, res, errs, warns) -> None:
        L = self.L
        ps = self.pc_slot[tid]
        pc = L.get(s, ps)
        key = (tid, pc, self.keys[(tid, pc)](s))
        entry = self.cache.get(key)
        if entry is None:
            entry = []
            for o in self.interp.successors(L.unpack(s), tid):
                ws = list(o.warnings)
                k = self.cov.index(tid, tuple(op.pc for op in o.ops))
                if o.error is not None:
                    entry.append((None, (tid, o.error.kind, o.error.message, o.error.loc, o.error.name), ws, k))
                    continue
                entry.append((L.pack(o.state) - s, None, ws, k))
            self.cache[key] = entry
        counts = self.cov.counts
        for delta, err, ws, k in entry:
            counts[k] += 1
            if err is not None:
                errs.append(err)
            else:
                res.append(s + delta)
            for msg, loc in ws:
                warns.append((tid, msg, loc))


_CHECKED_OPS = {"/": "_div", "%": "_mod", "<<": "_shl", ">>": "_shr"}
_PLAIN_OPS = {"+", "-", "*", "&", "|", "^", "==", "!=", "<", "<=", ">", ">="}


def _binop_text(op: str, a: str, b: str) -> str:
    """Python text for a C binary operator applied to two Python expressions (from this module)."""
    if op == "&&":
        return f"(1 if ({a} and {b}) else 0)"
    if op == "||":
        return f"(1 if ({a} or {b}) else 0)"
    if op in _CHECKED_OPS:
        return f"{_CHECKED_OPS[op]}({a}, {b})"
    if op in _PLAIN_OPS:
        return f"({a} {op} {b})"
    raise AssertionError(op)


_LITERAL = re.compile(r"[0-9()+\-*<>=! ]*")


def _fold(text: str) -> int | None:
    """The value of generated expression text made only of integer literals, or None.

    Only ``+ - * < <= > >= == !=`` and parentheses qualify; on integers Python and
    C agree on them (every binary operator is parenthesised, so no comparison chains).
    """
    if not _LITERAL.fullmatch(text) or not any(ch.isdigit() for ch in text):
        return None
    try:
        return int(eval(text, {"__builtins__": {}}))  # digits and operators only: checked above
    except Exception:
        return None


def _nn(c):
    """A nullable slot's code, raising on 0 (undefined)."""
    if c == 0:
        raise _Err
    return c


def _get_fn(L: Layout):
    """``get(state, slot)`` for dynamic addresses: the slot's value, raising _Err if undefined."""
    # one tuple per slot: shift, mask, inner multiplier, base, offset, nullable, pc values
    desc = tuple((L.shift[k], L.mask[k], L.inner[k], L.base[k], L.off[k], L.nullable[k], L.pcs.get(k))
                 for k in range(L.nstate))

    def get(s, a):
        sh, mk, inner, base, off, null, pcv = desc[a]
        c = ((s >> sh) & mk) // inner % base
        if null and c == 0:
            raise _Err
        if pcv is not None:
            return pcv[c]
        return c + off
    return get


def _chk_idx(i):
    if i < 0:
        raise _Err
    return i


def definitely_assigned(program: Program, tid: int) -> list[frozenset]:
    """For each node, the locals certainly assigned when it starts (must-analysis)."""
    thread = program.threads[tid]
    nodes = thread.nodes
    local_set = frozenset(thread.locals)
    n = len(nodes)
    preds: list[list[int]] = [[] for _ in range(n)]
    for i, nd in enumerate(nodes):
        for s in ir.node_successors(nd):
            preds[s].append(i)
    top = local_set
    da_in = [top] * n
    da_in[thread.entry] = frozenset()

    def gen(nd) -> frozenset:
        if isinstance(nd, (Assign, Choose)) and isinstance(nd.dst, Var) and nd.dst.slot in local_set:
            return frozenset({nd.dst.slot})
        return frozenset()

    changed = True
    while changed:
        changed = False
        for i in range(n):
            if i == thread.entry:
                new = frozenset()
            else:
                ins = [da_in[p] | gen(nodes[p]) for p in preds[i]]
                new = frozenset.intersection(*ins) if ins else frozenset()
            if new != da_in[i]:
                da_in[i] = new
                changed = True
    return da_in


def compile_program(program: Program) -> Model:
    """Generate and compile the successor function and property predicates."""
    interp = Interpreter(program)
    try:
        initial = interp.initial_states()
    except Fault:  # reported by the search, which calls init again
        initial = [program.initial_vector()]
    layout = make_layout(program, initial, {t.index: interp.plans[t.index].boundaries for t in program.threads})
    g = _Gen(program, layout)
    srcs: list[str] = []
    tables_src: list[str] = []
    for t in program.threads:
        plan = interp.plans[t.index]
        da = definitely_assigned(program, t.index)
        entries = []
        for b in plan.boundaries:
            srcs.append(g.step_function(t.index, plan, b, da))
            entries.append((b, f"_s{t.index}_{b}"))
        pcs = layout.pcs[t.pc_slot]
        slots = ["None"] * len(pcs)  # indexed by the pc's code
        for b, fname in entries:
            slots[pcs.index(b)] = fname
        tables_src.append(f"_F{t.index} = ({', '.join(slots)},)")
    # the expand function: every thread's next step
    body = ["def expand(s, res, errs, warns):"]
    for t in program.threads:
        body.append(f"    f = _F{t.index}[{g.code(t.pc_slot, 's')}]")
        body.append("    if f is not None: f(s, res, errs, warns)")
    body.append("    return")
    for t in program.threads:  # one thread's next step (for reductions)
        body.append(f"def expand_t{t.index}(s, res, errs, warns):")
        body.append(f"    f = _F{t.index}[{g.code(t.pc_slot, 's')}]")
        body.append("    if f is not None: f(s, res, errs, warns)")
    prop_srcs = []
    prop_fns: list = []
    for k, prop in enumerate(program.properties):
        src = g.routine_function(f"_p{k}", prop.routine)
        prop_srcs.append(src)

    g.ns["_slow"] = _MemoSlow(program, interp, g.cov, layout)
    source = "\n\n".join(srcs + tables_src + ["\n".join(body)] + [s for s in prop_srcs if s])
    try:
        code = compile(source, f"<hugemc {program.name}>", "exec")
    except (SyntaxError, RecursionError, MemoryError):
        # some function nests deeper than Python's parser allows: interpret those, compile the rest
        srcs, prop_srcs = _compilable(srcs, g), [p if _compiles(p) else "" for p in prop_srcs]
        source = "\n\n".join(srcs + tables_src + ["\n".join(body)] + [s for s in prop_srcs if s])
        code = compile(source, f"<hugemc {program.name}>", "exec")
    exec(code, g.ns)
    for k, prop in enumerate(program.properties):
        fast = g.ns.get(f"_p{k}") if prop_srcs[k] else None
        prop_fns.append((prop, _prop_caller(fast, interp, k, layout)))
    inv_fast = [f"_p{k}(s)" for k, prop in enumerate(program.properties)
                if prop.kind == ir.INVARIANT and prop_srcs[k]]
    all_fast = len(inv_fast) == sum(1 for p in program.properties if p.kind == ir.INVARIANT)
    invariants_hold = eval(f"lambda s: {' and '.join(inv_fast) or 'True'}", g.ns) if all_fast else None
    return Model(program, g.ns["expand"], prop_fns, tuple(t.pc_slot for t in program.threads), interp,
                 source, g.fallbacks, g.cov, layout,
                 [g.ns[f"expand_t{t.index}"] for t in program.threads], invariants_hold)


def _compiles(src: str) -> bool:
    """Whether one generated function's source compiles (an empty one trivially does)."""
    if not src:
        return True
    try:
        compile(src, "<hugemc>", "exec")
        return True
    except (SyntaxError, RecursionError, MemoryError):
        return False


def _compilable(srcs: list[str], g) -> list[str]:
    """Step functions, each one that does not compile replaced by a call of the interpreter."""
    out = []
    for src in srcs:
        if _compiles(src):
            out.append(src)
            continue
        head = src.split("\n", 1)[0]  # def _s{tid}_{pc}(s, res, errs, warns):
        tid = int(head.split("_s", 1)[1].split("_", 1)[0])
        g.fallbacks += 1
        out.append(f"{head}\n    _slow({tid}, s, res, errs, warns)")
    return out


def _prop_caller(fast, interp: Interpreter, k: int, layout: Layout):
    unpack = layout.unpack
    if fast is None:
        return lambda s: interp.eval_property(k, unpack(s))

    def call(s, fast=fast):
        try:
            return fast(s)
        except _Err:
            return interp.eval_property(k, unpack(s))  # raises the precise Fault
    return call
